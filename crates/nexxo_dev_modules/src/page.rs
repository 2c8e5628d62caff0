//! The scripts the browser loads, as strings: the page script that defines every module the
//! page imports statically (one request instead of thousands) with an index source map whose
//! sections point at each module's own map, lazy scripts, and a hot update's module code.

use std::collections::HashSet;
use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;
use serde::Serialize;

use crate::graph::ModuleGraph;
use crate::lock;
use crate::resolve::DEPS_PREFIX;
use crate::session::{CompileState, Session};
use crate::transform::CompiledModule;

/// The registry function's parameters, named as oxc's module-runner transform writes them.
const MODULE_PARAMS: &str = "__vite_ssr_import__, __vite_ssr_dynamic_import__, __vite_ssr_exports__, __vite_ssr_exportAll__, __vite_ssr_import_meta__, $RefreshReg$, $RefreshSig$";

/// Per-module facts the registry needs at run time.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ModuleFlags {
    /// A CommonJS dependency: named imports read properties of its default export.
    pub interop: bool,
    /// Registers React components: accept updates through React Refresh.
    pub refresh: bool,
}

/// One module's registry definition.
pub struct WrappedModule {
    pub text: String,
    /// Line of `text` where the module's own code starts (its map's offset).
    pub code_line: usize,
}

/// `__nexxo.define(id, specifiers, flags, async function (...) { code })`.
pub fn wrap_module(
    id: &str,
    specifiers: &[(String, String)],
    flags: ModuleFlags,
    code: &str,
) -> WrappedModule {
    let specifiers: serde_json::Map<String, serde_json::Value> = specifiers
        .iter()
        .map(|(s, t)| (s.clone(), t.clone().into()))
        .collect();
    let header = format!(
        "__nexxo.define({}, {}, {}, async function ({MODULE_PARAMS}) {{\n",
        serde_json::Value::from(id),
        serde_json::Value::Object(specifiers),
        serde_json::to_string(&flags).unwrap_or_else(|_| "{}".into()),
    );
    let mut text = header;
    text.push_str(code);
    if !code.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("});\n");
    WrappedModule { text, code_line: 1 }
}

/// The registry definition of a graph module.
pub fn wrap_graph_module(graph: &ModuleGraph, id: &str) -> Option<(WrappedModule, Option<String>)> {
    let node = graph.nodes.get(id)?;
    let loaded = node.loaded.as_ref()?;
    let CompiledModule { code, map, hot, .. } = &loaded.compiled;
    let specifiers: Vec<(String, String)> = node
        .specifiers
        .iter()
        .map(|(s, t)| (s.clone(), t.clone()))
        .collect();
    let flags = ModuleFlags {
        interop: false,
        refresh: hot.refresh,
    };
    Some((wrap_module(id, &specifiers, flags, code), map.clone()))
}

/// A script of several modules plus its index source map.
pub struct ScriptWithMap {
    pub code: String,
    pub map: String,
}

/// Concatenates the definitions of `ids` and appends `footer`; the map's sections place each
/// module's map at the line its code starts.
pub fn concat_modules(
    graph: &ModuleGraph,
    ids: &[String],
    footer: &str,
    map_url: &str,
) -> ScriptWithMap {
    let mut code = String::new();
    let mut sections = Vec::new();
    let mut line = 0usize;
    for id in ids {
        let Some((wrapped, map)) = wrap_graph_module(graph, id) else {
            continue;
        };
        if let Some(map) = map {
            sections.push(format!(
                "{{\"offset\":{{\"line\":{},\"column\":0}},\"map\":{map}}}",
                line + wrapped.code_line
            ));
        }
        line += wrapped.text.matches('\n').count();
        code.push_str(&wrapped.text);
    }
    code.push_str(footer);
    code.push_str(&format!("\n//# sourceMappingURL={map_url}\n"));
    let map = format!("{{\"version\":3,\"sections\":[{}]}}", sections.join(","));
    ScriptWithMap { code, map }
}

/// One module's definition for a hot update, with an inline map so devtools show the source.
pub fn hot_module_code(graph: &ModuleGraph, id: &str) -> Option<String> {
    let (wrapped, map) = wrap_graph_module(graph, id)?;
    let mut code = wrapped.text;
    if let Some(map) = map {
        // Shift the module's map by the wrapper's header line.
        let shifted = format!(
            "{{\"version\":3,\"sections\":[{{\"offset\":{{\"line\":{},\"column\":0}},\"map\":{map}}}]}}",
            wrapped.code_line
        );
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, shifted);
        code.push_str(&format!(
            "//# sourceMappingURL=data:application/json;base64,{encoded}\n"
        ));
    }
    code.push_str(&format!("//# sourceURL=nexxo-hot://{id}\n"));
    Some(code)
}

impl CompileState {
    /// The page script: every module `entries` import statically, then `__nexxo.start`; or the
    /// first compile error among those modules.
    pub fn page_script(
        &self,
        session: &Session,
        page_id: &str,
        entries: &[String],
        map_url: &str,
    ) -> Result<ScriptWithMap, Diagnostic> {
        let graph = lock(&self.graph);
        let ids = graph.static_closure(entries);
        if let Some(error) = graph.first_error(&ids) {
            return Err(error.clone());
        }
        let start = serde_json::json!({
            "page": page_id,
            "entries": entries,
            "refresh": session.refresh_runtime.as_ref().map(|s| format!("{DEPS_PREFIX}{s}")),
        });
        Ok(concat_modules(
            &graph,
            &ids,
            &format!("__nexxo.start({start});\n"),
            map_url,
        ))
    }

    /// A lazy script: the `import()` target `id` and what it imports that the page (whose
    /// scripts are `page_entries`) does not hold yet; or the first compile error among them.
    pub fn lazy_script(
        &self,
        id: &str,
        page_entries: &[String],
        map_url: &str,
    ) -> Result<ScriptWithMap, Diagnostic> {
        let graph = lock(&self.graph);
        let have: HashSet<String> = graph.static_closure(page_entries).into_iter().collect();
        let ids: Vec<String> = graph
            .static_closure(&[id.to_string()])
            .into_iter()
            .filter(|m| !have.contains(m))
            .collect();
        if let Some(error) = graph.first_error(&ids) {
            return Err(error.clone());
        }
        Ok(concat_modules(&graph, &ids, "", map_url))
    }

    /// A web worker's script: every module the worker can import, dynamic imports included (a
    /// worker has no way to fetch more later), then `start`; or the first compile error. The
    /// caller puts the worker registry (and the dependency bundle when `uses_packages`) first.
    pub async fn worker_script(
        self: &Arc<Self>,
        id: &str,
        map_url: &str,
    ) -> Result<WorkerScript, Diagnostic> {
        lock(&self.worker_entries).insert(id.to_string());
        // Static imports compile with their importers; dynamic ones are added level by level.
        let mut wanted = vec![id.to_string()];
        loop {
            self.ensure_modules(wanted).await;
            wanted = worker_closure(&lock(&self.graph), id).missing;
            if wanted.is_empty() {
                break;
            }
        }
        let graph = lock(&self.graph);
        let closure = worker_closure(&graph, id);
        if let Some(error) = graph.first_error(&closure.modules) {
            return Err(error.clone());
        }
        let start = serde_json::json!({ "entries": [id] });
        Ok(WorkerScript {
            script: concat_modules(
                &graph,
                &closure.modules,
                &format!("__nexxo.start({start});\n"),
                map_url,
            ),
            uses_packages: closure.uses_packages,
        })
    }

    /// Whether a change to `changed` must restart a web worker: one of them is in the closure
    /// of a worker a page started. Workers have no hot updates: the page reloads.
    pub(crate) fn changes_a_worker(&self, graph: &ModuleGraph, changed: &[String]) -> bool {
        let entries: Vec<String> = lock(&self.worker_entries).iter().cloned().collect();
        entries.iter().any(|entry| {
            let closure = worker_closure(graph, entry);
            changed.iter().any(|id| closure.modules.contains(id))
        })
    }

    /// Whether any module of the graph failed to compile (the overlay stays up).
    pub fn has_module_error(&self) -> bool {
        let graph = lock(&self.graph);
        let ids: Vec<String> = graph.nodes.keys().cloned().collect();
        graph.first_error(&ids).is_some()
    }
}

/// A web worker's modules as one script.
pub struct WorkerScript {
    pub script: ScriptWithMap,
    /// Whether the worker imports npm packages (from the dependency bundle).
    pub uses_packages: bool,
}

/// What a worker's script holds.
struct WorkerClosure {
    /// Modules in the graph reachable from the entry by static and dynamic imports.
    modules: Vec<String>,
    /// Reachable modules not compiled yet (dynamic imports' targets).
    missing: Vec<String>,
    /// Whether any of them imports an npm package (from the dependency bundle).
    uses_packages: bool,
}

fn worker_closure(graph: &ModuleGraph, entry: &str) -> WorkerClosure {
    let mut closure = WorkerClosure {
        modules: Vec::new(),
        missing: Vec::new(),
        uses_packages: false,
    };
    let mut seen = HashSet::new();
    let mut stack = vec![entry.to_string()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if id.starts_with(DEPS_PREFIX) {
            closure.uses_packages = true;
            continue;
        }
        match graph.nodes.get(&id) {
            Some(node) => {
                stack.extend(node.static_deps.iter().chain(&node.dynamic_deps).cloned());
                closure.modules.push(id);
            }
            None => closure.missing.push(id),
        }
    }
    closure
}

/// An index source map's sections moved down by `lines` (code put before the modules).
pub fn shift_index_map(map: &str, lines: usize) -> String {
    let Ok(mut map) = serde_json::from_str::<serde_json::Value>(map) else {
        return map.to_string();
    };
    if let Some(sections) = map["sections"].as_array_mut() {
        for section in sections {
            if let Some(line) = section["offset"]["line"].as_u64() {
                section["offset"]["line"] = (line + lines as u64).into();
            }
        }
    }
    map.to_string()
}

#[cfg(test)]
mod worker_tests {
    use super::*;

    #[test]
    fn a_worker_holds_its_static_and_dynamic_imports() {
        let mut graph = ModuleGraph::default();
        let node = |statics: &[&str], dynamics: &[&str]| crate::graph::ModuleNode {
            static_deps: statics.iter().map(|s| s.to_string()).collect(),
            dynamic_deps: dynamics.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        graph
            .nodes
            .insert("/w.ts".into(), node(&["/a.ts"], &["/lazy.ts"]));
        graph
            .nodes
            .insert("/a.ts".into(), node(&["/@deps/lodash"], &[]));
        graph.nodes.insert("/page.ts".into(), node(&["/a.ts"], &[]));
        let closure = worker_closure(&graph, "/w.ts");
        let mut modules = closure.modules.clone();
        modules.sort();
        assert_eq!(modules, vec!["/a.ts", "/w.ts"]);
        assert_eq!(closure.missing, vec!["/lazy.ts"]);
        assert!(closure.uses_packages);
        assert!(!worker_closure(&graph, "/a.ts")
            .missing
            .iter()
            .any(|m| m == "/lazy.ts"));
    }

    #[test]
    fn index_maps_move_down_by_the_prefix() {
        let map = r#"{"version":3,"sections":[{"offset":{"line":1,"column":0},"map":{}},{"offset":{"line":9,"column":0},"map":{}}]}"#;
        let shifted: serde_json::Value = serde_json::from_str(&shift_index_map(map, 100)).unwrap();
        assert_eq!(shifted["sections"][0]["offset"]["line"], 101);
        assert_eq!(shifted["sections"][1]["offset"]["line"], 109);
    }
}
