//! The dev server's module graph: every compiled module, its resolved imports, its importers,
//! and what it accepts for hot updates. Plain data; `session.rs` owns the lock around it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::input::special_file_error;
use nexxo_diagnostics::Diagnostic;
use rayon::prelude::*;

use crate::load::{load_module, LoadedModule};
use crate::resolve::{id_for_path, path_for_id, Resolved, DEPS_PREFIX};
use crate::session::Session;

/// One module of the graph.
#[derive(Debug, Clone, Default)]
pub struct ModuleNode {
    pub file: PathBuf,
    /// The compiled module, or the error that stopped it.
    pub loaded: Option<LoadedModule>,
    pub error: Option<Diagnostic>,
    /// The module failed because an import did not resolve: a new file may fix it.
    pub unresolved_import: bool,
    /// Specifier as written → module id (static and dynamic imports).
    pub specifiers: BTreeMap<String, String>,
    pub static_deps: Vec<String>,
    pub dynamic_deps: Vec<String>,
    pub importers: BTreeSet<String>,
    /// Ids of the modules this one accepts updates for (`import.meta.hot.accept(deps)`).
    pub accepted_deps: BTreeSet<String>,
}

impl ModuleNode {
    pub fn self_accepting(&self) -> bool {
        self.loaded
            .as_ref()
            .is_some_and(|m| m.compiled.hot.self_accepting)
    }
}

#[derive(Default)]
pub struct ModuleGraph {
    pub nodes: HashMap<String, ModuleNode>,
    /// Importers of modules not compiled yet (a lazy route's target), by target id.
    pending_importers: HashMap<String, BTreeSet<String>>,
    /// Packages that modules not in the graph yet import, found by `scan_lazy_imports`.
    lazy_packages: BTreeSet<String>,
    /// The entries the last scan started from, while no module or file changed since: a page
    /// loaded again (or the warm-up's page request) needs no second scan.
    lazy_scan_of: Option<Vec<String>>,
}

/// The result of compiling one module and resolving its imports, before it joins the graph.
struct Compiled {
    id: String,
    node: ModuleNode,
}

/// What a hot update must do: re-run `stale` modules and call the boundary's accept handlers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HotBoundary {
    /// The module whose accept handler runs.
    pub boundary: String,
    /// The module it accepts (itself for a self-accepting module).
    pub accepted: String,
    /// Every module on the paths from the changed modules up to `accepted`.
    pub stale: Vec<String>,
}

impl ModuleGraph {
    /// Compiles `ids` and everything they import statically that is not in the graph yet.
    /// Independent modules of one level are compiled in parallel.
    pub fn ensure(&mut self, session: &Session, ids: &[String]) {
        let mut frontier: Vec<String> = ids
            .iter()
            .filter(|id| !self.nodes.contains_key(*id) && !id.starts_with(DEPS_PREFIX))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        while !frontier.is_empty() {
            let compiled: Vec<Compiled> =
                frontier.par_iter().map(|id| compile(session, id)).collect();
            let mut next = BTreeSet::new();
            for result in compiled {
                for dep in &result.node.static_deps {
                    if !self.nodes.contains_key(dep) && !dep.starts_with(DEPS_PREFIX) {
                        next.insert(dep.clone());
                    }
                }
                self.insert(result);
            }
            next.retain(|id| !self.nodes.contains_key(id));
            frontier = next.into_iter().collect();
        }
    }

    /// Finds the packages imported by the modules that `ids` load with `import()`, directly or
    /// through other modules, so that they are in the page's first dependency bundle (Vite's
    /// dependency scan follows dynamic imports too). Found only when a lazy route opens, they
    /// would need a new bundle and so a page reload: a second bundle would bring its own copy
    /// of packages the page already runs (two Reacts). The lazy modules are only parsed (as
    /// esbuild's scan in Vite) and stay out of the graph until the page loads them: edits to
    /// them and their errors concern no page before that.
    pub fn scan_lazy_imports(&mut self, session: &Session, ids: &[String]) {
        if self.lazy_scan_of.as_deref() == Some(ids) {
            return;
        }
        let mut packages = BTreeSet::new();
        let mut scanned: HashMap<String, Vec<String>> = HashMap::new();
        let mut seen: HashSet<String> = ids.iter().cloned().collect();
        let mut frontier: Vec<String> = ids.to_vec();
        while !frontier.is_empty() {
            // Modules not compiled yet are parsed only: their imports are all the scan needs,
            // and a lazy half of a large app would otherwise be compiled at every start.
            let found: Vec<(String, Vec<String>)> = frontier
                .par_iter()
                .filter(|id| !self.nodes.contains_key(*id))
                .map(|id| (id.clone(), scan_imports(session, id)))
                .collect();
            scanned.extend(found);
            let mut next = Vec::new();
            for id in &frontier {
                let deps: Vec<&String> = match self.nodes.get(id) {
                    Some(node) => node.static_deps.iter().chain(&node.dynamic_deps).collect(),
                    None => scanned.get(id).into_iter().flatten().collect(),
                };
                for dep in deps {
                    match dep.strip_prefix(DEPS_PREFIX) {
                        Some(package) => {
                            packages.insert(package.to_string());
                        }
                        None if seen.insert(dep.clone()) => next.push(dep.clone()),
                        None => {}
                    }
                }
            }
            frontier = next;
        }
        self.lazy_packages = packages;
        self.lazy_scan_of = Some(ids.to_vec());
    }

    /// A file changed or a module was compiled: the next page request scans again.
    pub fn forget_lazy_scan(&mut self) {
        self.lazy_scan_of = None;
    }

    /// Recompiles `id` in place (after its file changed); new static imports are compiled too.
    /// Returns whether the compiled output changed.
    pub fn recompile(&mut self, session: &Session, id: &str) -> bool {
        let result = compile(session, id);
        let old = self.nodes.get(id);
        let unchanged = old.is_some_and(|old| {
            old.error.is_none()
                && result.node.error.is_none()
                && old.loaded.as_ref().map(|m| m.content_hash)
                    == result.node.loaded.as_ref().map(|m| m.content_hash)
                && old.specifiers == result.node.specifiers
        });
        if unchanged {
            return false;
        }
        let new_deps = result.node.static_deps.clone();
        self.insert(result);
        self.ensure(session, &new_deps);
        true
    }

    fn insert(&mut self, result: Compiled) {
        self.lazy_scan_of = None;
        let Compiled { id, mut node } = result;
        if let Some(old) = self.nodes.remove(&id) {
            node.importers = old.importers;
            for dep in old.static_deps.iter().chain(&old.dynamic_deps) {
                if let Some(dep_node) = self.nodes.get_mut(dep) {
                    dep_node.importers.remove(&id);
                }
            }
        }
        for dep in node.static_deps.iter().chain(&node.dynamic_deps) {
            match self.nodes.get_mut(dep) {
                Some(dep_node) => {
                    dep_node.importers.insert(id.clone());
                }
                None => {
                    self.pending_importers
                        .entry(dep.clone())
                        .or_default()
                        .insert(id.clone());
                }
            }
        }
        // Importers compiled before this module (lazy routes, cycles) are waiting for it.
        if let Some(waiting) = self.pending_importers.remove(&id) {
            node.importers.extend(waiting);
        }
        self.nodes.insert(id, node);
    }

    /// Bare specifiers of the npm packages the modules import now, and those the last
    /// `scan_lazy_imports` found (what the dependency bundle must hold). Read from the graph
    /// each time, so a package whose import was removed (one that failed to bundle, say) stops
    /// being asked for.
    pub fn dependencies(&self) -> BTreeSet<String> {
        self.nodes
            .values()
            .flat_map(|node| node.static_deps.iter().chain(&node.dynamic_deps))
            .filter_map(|id| id.strip_prefix(DEPS_PREFIX))
            .map(str::to_string)
            .chain(self.lazy_packages.iter().cloned())
            .collect()
    }

    /// Modules statically reachable from `entries`, in a stable order (dependencies first).
    pub fn static_closure(&self, entries: &[String]) -> Vec<String> {
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        for entry in entries {
            self.visit(entry, &mut seen, &mut order);
        }
        order
    }

    fn visit(&self, id: &str, seen: &mut HashSet<String>, order: &mut Vec<String>) {
        if !seen.insert(id.to_string()) {
            return;
        }
        if let Some(node) = self.nodes.get(id) {
            for dep in &node.static_deps {
                self.visit(dep, seen, order);
            }
            order.push(id.to_string());
        }
    }

    /// Module ids whose compilation read `path`.
    pub fn modules_reading(&self, path: &Path) -> Vec<String> {
        let mut ids: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, node)| {
                node.file == path
                    || node
                        .loaded
                        .as_ref()
                        .is_some_and(|m| m.files.iter().any(|f| f == path))
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// The first error among `ids`.
    pub fn first_error(&self, ids: &[String]) -> Option<&Diagnostic> {
        ids.iter()
            .filter_map(|id| self.nodes.get(id))
            .find_map(|node| node.error.as_ref())
    }

    /// Finds the hot-update boundaries for changed modules, like Vite's `propagateUpdate`:
    /// walk importers until a module accepts itself or the dependency it came through.
    /// `None` means some path reaches an entry without a boundary: the page must reload.
    pub fn hot_boundaries(&self, changed: &[String]) -> Option<Vec<HotBoundary>> {
        let mut boundaries: Vec<HotBoundary> = Vec::new();
        for id in changed {
            let mut path = Vec::new();
            let mut visited = HashSet::new();
            if !self.propagate(id, &mut path, &mut visited, &mut boundaries) {
                return None;
            }
        }
        Some(boundaries)
    }

    fn propagate(
        &self,
        id: &str,
        path: &mut Vec<String>,
        visited: &mut HashSet<String>,
        boundaries: &mut Vec<HotBoundary>,
    ) -> bool {
        if !visited.insert(id.to_string()) {
            return true;
        }
        let Some(node) = self.nodes.get(id) else {
            return false;
        };
        path.push(id.to_string());
        let result = if node.self_accepting() {
            add_boundary(boundaries, id, id, path);
            true
        } else if node.importers.is_empty() {
            false
        } else {
            node.importers.iter().all(|importer| {
                let accepts = self
                    .nodes
                    .get(importer)
                    .is_some_and(|n| n.accepted_deps.contains(id));
                if accepts {
                    add_boundary(boundaries, importer, id, path);
                    true
                } else {
                    self.propagate(importer, path, visited, boundaries)
                }
            })
        };
        path.pop();
        result
    }
}

fn add_boundary(
    boundaries: &mut Vec<HotBoundary>,
    boundary: &str,
    accepted: &str,
    path: &[String],
) {
    if let Some(existing) = boundaries
        .iter_mut()
        .find(|b| b.boundary == boundary && b.accepted == accepted)
    {
        for id in path {
            if !existing.stale.contains(id) {
                existing.stale.push(id.clone());
            }
        }
        return;
    }
    boundaries.push(HotBoundary {
        boundary: boundary.to_string(),
        accepted: accepted.to_string(),
        stale: path.to_vec(),
    });
}

/// The ids a script module imports (statically or by `import()` with a string), from a parse
/// of its source without compiling it; packages come back as `/@deps/<specifier>`. Files that
/// are not scripts, ids with a query and imports that do not resolve give nothing: the scan
/// only looks for packages, and the compile reports errors when the module is loaded.
fn scan_imports(session: &Session, id: &str) -> Vec<String> {
    let (_, query) = nexxo_pipeline::ids::split_query(id);
    let file = path_for_id(&session.config.root, id);
    if query.is_some() {
        return Vec::new();
    }
    let specifiers = match session.module_cache.get_scan(&file) {
        Some(specifiers) => specifiers,
        None => {
            let Some((specifiers, hash)) = parse_import_specifiers(&file) else {
                return Vec::new();
            };
            session.module_cache.put_scan(&file, hash, &specifiers);
            specifiers
        }
    };
    specifiers
        .into_iter()
        .filter_map(
            |specifier| match session.resolver.resolve(&file, &specifier) {
                Ok(Resolved::File { path, query }) => {
                    Some(id_for_path(&session.config.root, &path, query.as_deref()))
                }
                Ok(Resolved::Dependency(bare)) => Some(format!("{DEPS_PREFIX}{bare}")),
                Err(_) => None,
            },
        )
        .collect()
}

/// The specifiers a script file imports statically (not type-only) or by `import()` with a
/// string, and the hash of the source read; `None` for files that are not scripts.
fn parse_import_specifiers(file: &Path) -> Option<(Vec<String>, String)> {
    let source_type = oxc_span::SourceType::from_path(file).ok()?;
    let source = nexxo_diagnostics::input::read_regular_to_string(file).ok()?;
    let hash = nexxo_cache::hash_hex(&[source.as_bytes()]);
    nexxo_diagnostics::input::check_nesting(
        file,
        &source,
        nexxo_diagnostics::input::Syntax::Script,
    )
    .ok()?;
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, &source, source_type).parse();
    let record = &parsed.module_record;
    let static_specifiers = record
        .requested_modules
        .iter()
        .filter(|(_, requests)| requests.iter().any(|r| !r.is_type))
        .map(|(specifier, _)| specifier.as_str().to_string());
    let dynamic_specifiers = record.dynamic_imports.iter().filter_map(|import| {
        let text = import.module_request.source_text(&source);
        let quoted = text.len() >= 2
            && (text.starts_with('\'') && text.ends_with('\'')
                || text.starts_with('"') && text.ends_with('"'));
        quoted.then(|| text[1..text.len() - 1].to_string())
    });
    Some((static_specifiers.chain(dynamic_specifiers).collect(), hash))
}

/// Compiles one module and resolves its imports (runs on rayon's threads).
fn compile(session: &Session, id: &str) -> Compiled {
    let Session {
        config,
        settings,
        plugins,
        resolver,
        module_cache: cache,
        ..
    } = session;
    let file = path_for_id(&config.root, id);
    let mut node = ModuleNode {
        file: file.clone(),
        ..ModuleNode::default()
    };
    let loaded = match cache.get(id) {
        Some(cached) => Ok(cached),
        None => {
            let started = std::time::SystemTime::now();
            let hash_before = crate::module_cache::file_hash(&file);
            let loaded = compile_guarded(id, || {
                load_module(config, settings, plugins, resolver, id, &file)
            });
            if let Ok(loaded) = &loaded {
                cache.put(id, &file, hash_before, started, loaded);
            }
            loaded
        }
    };
    match loaded {
        Err(error) => node.error = Some(error),
        Ok(loaded) => {
            let compiled = &loaded.compiled;
            let importer = &file;
            let mut resolve = |specifier: &str| -> Option<String> {
                match resolver.resolve(importer, specifier) {
                    Ok(Resolved::File { path, query }) => {
                        Some(id_for_path(&config.root, &path, query.as_deref()))
                    }
                    Ok(Resolved::Dependency(bare)) => Some(format!("{DEPS_PREFIX}{bare}")),
                    Err(reason) => {
                        if node.error.is_none() {
                            node.error = Some(import_error(config, &file, specifier, &reason));
                            node.unresolved_import = true;
                        }
                        None
                    }
                }
            };
            for specifier in &compiled.imports {
                if let Some(target) = resolve(specifier) {
                    node.specifiers.insert(specifier.clone(), target.clone());
                    node.static_deps.push(target);
                }
            }
            for specifier in &compiled.dynamic_imports {
                if let Some(target) = resolve(specifier) {
                    node.specifiers.insert(specifier.clone(), target.clone());
                    node.dynamic_deps.push(target);
                }
            }
            node.accepted_deps = compiled
                .hot
                .accepted_deps
                .iter()
                .filter_map(|s| node.specifiers.get(s).cloned())
                .collect();
            node.loaded = Some(loaded);
        }
    }
    Compiled {
        id: id.to_string(),
        node,
    }
}

/// Runs a compile so that a panic inside a compiler (oxc, lightningcss, grass) becomes this
/// module's error instead of taking the graph, and every later request, down with it.
fn compile_guarded(
    id: &str,
    compile: impl FnOnce() -> Result<LoadedModule, Diagnostic>,
) -> Result<LoadedModule, Diagnostic> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(compile)).unwrap_or_else(|panic| {
        Err(Diagnostic::error(format!(
            "internal error while compiling {id}: {}. This is a bug in Nexxo; please report it with the file.",
            crate::panic_message(panic.as_ref())
        )))
    })
}

/// "Cannot resolve" with the import's line and column in the original file.
fn import_error(config: &ResolvedConfig, file: &Path, specifier: &str, reason: &str) -> Diagnostic {
    let display = config.display_path(file);
    // The resolver skips FIFOs and devices as if missing: say what the file is instead.
    let special = specifier
        .starts_with('.')
        .then(|| file.parent())
        .flatten()
        .and_then(|folder| special_file_error(&folder.join(specifier)));
    let message = match special {
        Some(err) => format!("cannot import \"{specifier}\": {err}"),
        None => format!("cannot resolve import \"{specifier}\" ({reason})"),
    };
    let source = nexxo_diagnostics::input::read_regular_to_string(file).unwrap_or_default();
    let offset = ["'", "\"", "`"]
        .iter()
        .find_map(|quote| source.find(&format!("{quote}{specifier}{quote}")));
    match offset {
        Some(offset) => Diagnostic::at_offset(message, display, &source, offset),
        None => Diagnostic::error(format!("{display}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(importers: &[&str], self_accepting: bool, accepted: &[&str]) -> ModuleNode {
        let mut loaded = None;
        if self_accepting {
            let mut compiled = crate::transform::CompiledModule {
                code: String::new(),
                map: None,
                imports: vec![],
                dynamic_imports: vec![],
                hot: Default::default(),
            };
            compiled.hot.self_accepting = true;
            loaded = Some(LoadedModule {
                compiled,
                files: vec![],
                content_hash: 0,
            });
        }
        ModuleNode {
            importers: importers.iter().map(|s| s.to_string()).collect(),
            accepted_deps: accepted.iter().map(|s| s.to_string()).collect(),
            loaded,
            ..ModuleNode::default()
        }
    }

    /// A project written to a temporary folder, with its dev session (no persistent cache).
    fn session_for(files: &[(&str, &str)]) -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let file = dir.path().join(name);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let config = nexxo_config::resolve_config(
            dir.path(),
            nexxo_config::Command::Serve,
            &nexxo_config::ConfigOverrides::default(),
            &Default::default(),
        )
        .unwrap();
        let store = nexxo_cache::CacheStore::disabled(nexxo_cache::StoreKind::Dev);
        let session = Session::new(config, std::sync::Arc::new(store)).unwrap();
        (dir, session)
    }

    #[test]
    fn packages_of_lazily_imported_modules_are_found_without_adding_them_to_the_graph() {
        let package = |name: &str| {
            [
                (
                    format!("node_modules/{name}/package.json"),
                    format!(r#"{{"name":"{name}","type":"module","main":"index.js"}}"#),
                ),
                (
                    format!("node_modules/{name}/index.js"),
                    "export const x = 1;\n".to_string(),
                ),
            ]
        };
        let mut files: Vec<(String, String)> = vec![
            ("index.html".into(), String::new()),
            (
                "src/main.ts".into(),
                "import 'eager-pkg';\nimport('./route');\n".into(),
            ),
            // Reached only through import(), and from there statically and through import().
            (
                "src/route.ts".into(),
                "import './part';\nimport('./deeper');\nexport const route = 1;\n".into(),
            ),
            ("src/part.ts".into(), "import 'route-pkg';\n".into()),
            (
                "src/deeper.ts".into(),
                "import 'deeper-pkg';\nimport('./route');\n".into(),
            ),
        ];
        for name in ["eager-pkg", "route-pkg", "deeper-pkg"] {
            files.extend(package(name));
        }
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let (_dir, session) = session_for(&files);
        let mut graph = ModuleGraph::default();
        let entries = vec!["/src/main.ts".to_string()];
        graph.ensure(&session, &entries);
        assert_eq!(
            graph.dependencies(),
            BTreeSet::from(["eager-pkg".to_string()])
        );

        graph.scan_lazy_imports(&session, &entries);
        assert_eq!(
            graph.dependencies(),
            ["deeper-pkg", "eager-pkg", "route-pkg"]
                .map(String::from)
                .into_iter()
                .collect::<BTreeSet<String>>()
        );
        // Compiled for the scan only: a lazy module joins the graph when the page loads it.
        let mut ids: Vec<&String> = graph.nodes.keys().collect();
        ids.sort();
        assert_eq!(ids, ["/src/main.ts"]);
    }

    #[test]
    fn propagation_finds_boundaries_or_asks_for_reload() {
        let mut graph = ModuleGraph::default();
        graph.nodes.insert("/main".into(), node(&[], false, &[]));
        graph
            .nodes
            .insert("/App".into(), node(&["/main"], true, &[]));
        graph
            .nodes
            .insert("/util".into(), node(&["/App"], false, &[]));
        graph
            .nodes
            .insert("/store".into(), node(&["/main"], false, &[]));
        graph
            .nodes
            .insert("/watcher".into(), node(&[], false, &["/cfg"]));
        graph
            .nodes
            .insert("/cfg".into(), node(&["/watcher"], false, &[]));

        let found = graph.hot_boundaries(&["/util".into()]).unwrap();
        assert_eq!(
            found,
            [HotBoundary {
                boundary: "/App".into(),
                accepted: "/App".into(),
                stale: vec!["/util".into(), "/App".into()],
            }]
        );
        assert_eq!(graph.hot_boundaries(&["/store".into()]), None);
        let found = graph.hot_boundaries(&["/cfg".into()]).unwrap();
        assert_eq!(
            (found[0].boundary.as_str(), found[0].stale.clone()),
            ("/watcher", vec!["/cfg".to_string()])
        );
    }
}
