//! The scripts the browser loads, as strings: the page script that defines every module the
//! page imports statically (one request instead of thousands) with an index source map whose
//! sections point at each module's own map, lazy scripts, and a hot update's module code.

use std::collections::HashSet;

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

    /// Whether any module of the graph failed to compile (the overlay stays up).
    pub fn has_module_error(&self) -> bool {
        let graph = lock(&self.graph);
        let ids: Vec<String> = graph.nodes.keys().cloned().collect();
        graph.first_error(&ids).is_some()
    }
}
