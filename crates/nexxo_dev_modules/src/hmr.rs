//! Hot updates as plain data: changed files in, a [`FileChangeOutcome`] out.
//!
//! A changed module is recompiled alone; the graph finds the accepting boundaries and the new
//! code is handed back for the page (the server sends it over its WebSocket, no extra request).
//! Pages, `.env` files and the config reload the page (the last two after re-reading the
//! config, see [`CompileState::restart`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;

use crate::graph::HotBoundary;
use crate::lock;
use crate::page::hot_module_code;
use crate::session::{CompileState, Session};

/// Files whose change needs a new session: `.env` files, the config, tsconfig files (they
/// set JSX and decorator options and resolver paths), the root package.json (it names the
/// frameworks), PostCSS/Tailwind configs (every stylesheet depends on them) and WASM plugins'
/// modules (compiled once per session).
fn is_env_or_config(session: &Session, path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let at_root = path.parent() == Some(session.config.root.as_path());
    (name.starts_with(".env") && at_root)
        || session.config.config_file.as_deref() == Some(path)
        || session
            .config
            .wasm_plugins
            .iter()
            .any(|plugin| plugin.path == path)
        || (name == "nexxo.config.json" && at_root)
        || (name == "package.json" && at_root)
        || (name.starts_with("tsconfig") && name.ends_with(".json"))
        || (at_root
            && (name == "package.json"
                || name.starts_with("postcss.config.")
                || name.starts_with(".postcssrc")
                || name.starts_with("tailwind.config.")))
}

/// Whether `paths` need a new session ([`CompileState::restart`]) rather than recompiles.
pub fn needs_restart(session: &Session, paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| is_env_or_config(session, p))
}

/// Whether an HTML page is among `paths`: the pages reload. In an Angular app the other HTML
/// files are component templates, which recompile their component instead.
pub fn page_changed(session: &Session, paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| {
        p.extension().is_some_and(|e| e == "html")
            && (session.config.angular.is_none() || *p == session.config.index_page())
    })
}

/// What the pages must do after some files changed.
#[derive(Debug)]
pub enum FileChangeOutcome {
    /// No module read the files, or none compiles differently: nothing to send.
    Unchanged,
    /// An HTML page changed: pages reload. Other files saved in the same burst (a
    /// `git checkout`) were recompiled first, so the reloaded page gets their new code.
    PageChanged,
    /// A package imported for the first time was bundled: pages reload to load it.
    NewDependency,
    /// Pre-bundling the packages failed.
    DependencyError(Diagnostic),
    /// A changed or newly imported module failed to compile.
    CompileError(Diagnostic),
    /// A changed module reaches a page's entry with no module accepting it: pages reload.
    NoBoundary,
    /// A module of a web worker a page started changed: pages reload (workers have no hot
    /// updates).
    WorkerChanged,
    /// New code for the modules that changed, and where it is accepted.
    Update(HotUpdate),
    /// Angular components whose template or styles alone changed: the page asks for each
    /// one's replacement (`@ng/component?c=<id>`) on the `angular:component-update` event and
    /// swaps it in, keeping the app's state (Angular's own hot replacement).
    AngularComponents(Vec<String>),
    /// The recompile panicked outside the per-module guard (a bug in Nexxo).
    InternalError(Diagnostic),
}

/// A hot update: define `modules` again, then run the boundaries' accept handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotUpdate {
    /// Registry definitions (`page.rs`) of the changed and added modules.
    pub modules: Vec<String>,
    pub boundaries: Vec<HotBoundary>,
    /// Modules no longer imported by anything (their `prune` handlers run in the page).
    pub pruned: Vec<String>,
}

/// What recompiling the changed files produced.
struct Recompiled {
    changed: Vec<String>,
    added: Vec<String>,
    pruned: Vec<String>,
}

impl CompileState {
    /// Recompiles the modules that read `paths` (and modules waiting for a file that may have
    /// appeared) and decides what the pages must do. Changes needing a restart are the caller's
    /// to check first ([`needs_restart`]).
    pub async fn files_changed(self: &Arc<Self>, paths: &[PathBuf]) -> FileChangeOutcome {
        // A lazy module (not in the graph) may import new packages now.
        lock(&self.graph).forget_lazy_scan();
        let page_changed = page_changed(&self.session(), paths);
        if page_changed {
            // Inline page scripts are compiled again from the new HTML.
            lock(&self.graph)
                .nodes
                .retain(|id, _| !id.contains(".html?"));
        }
        let state = self.clone();
        let paths_for_compile = paths.to_vec();
        let recompiled =
            tokio::task::spawn_blocking(move || state.recompile(&paths_for_compile)).await;
        if page_changed {
            return FileChangeOutcome::PageChanged;
        }
        // Only templates and stylesheets changed, and the compile made replacements for the
        // components using them (taken even when not used, so a later edit never sends them).
        let components = self
            .session()
            .plugins
            .angular
            .as_ref()
            .map(|angular| angular.take_updated_components())
            .unwrap_or_default();
        let only_resources = paths
            .iter()
            .all(|p| !p.extension().is_some_and(|e| e == "ts" || e == "mts"));
        match recompiled {
            Ok(Some(recompiled)) if only_resources && !components.is_empty() => {
                // A template type error still lets Angular make a replacement: show the error.
                let graph = lock(&self.graph);
                let mut involved = recompiled.changed;
                involved.extend(recompiled.added);
                let error = graph.first_error(&involved).cloned();
                match error {
                    Some(error) => FileChangeOutcome::CompileError(error),
                    None => FileChangeOutcome::AngularComponents(components),
                }
            }
            Ok(Some(recompiled)) => self.hot_update(recompiled).await,
            Ok(None) => FileChangeOutcome::Unchanged,
            Err(join_error) => {
                let reason = match join_error.try_into_panic() {
                    Ok(payload) => crate::panic_message(payload.as_ref()).to_string(),
                    Err(err) => err.to_string(),
                };
                FileChangeOutcome::InternalError(Diagnostic::error(format!(
                    "internal error while applying an update: {reason}. This is a bug in Nexxo; please report it."
                )))
            }
        }
    }

    fn recompile(&self, paths: &[PathBuf]) -> Option<Recompiled> {
        let session = self.session();
        let mut graph = lock(&self.graph);
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for path in paths {
            let readers = graph.modules_reading(path);
            // The plugins name the modules a change concerns beyond those that read the file:
            // an `import.meta.glob` importer whose pattern a new file matches, a user plugin's
            // `hotUpdate`. A file no module has read counts as new to the page.
            let change = if !path.exists() {
                nexxo_pipeline::FileChange::Removed
            } else if readers.is_empty() {
                nexxo_pipeline::FileChange::Created
            } else {
                nexxo_pipeline::FileChange::Modified
            };
            ids.extend(readers);
            for plugin_id in session.plugins.container.hot_update(path, change) {
                // The plugins name modules by absolute path; the graph by the browser's id.
                let file = nexxo_pipeline::ids::split_query(&plugin_id).0;
                ids.extend(graph.modules_reading(Path::new(file)));
            }
        }
        // A new file may be the one an import was waiting for.
        if paths.iter().any(|p| p.exists()) {
            ids.extend(
                graph
                    .nodes
                    .iter()
                    .filter(|(_, n)| n.unresolved_import)
                    .map(|(id, _)| id.clone()),
            );
        }
        if ids.is_empty() {
            return None;
        }
        let before: BTreeSet<String> = graph.nodes.keys().cloned().collect();
        // Modules these imported before: those nobody imports afterwards are pruned in the page.
        let previous_imports: BTreeSet<String> = ids
            .iter()
            .filter_map(|id| graph.nodes.get(id))
            .flat_map(|node| node.static_deps.iter().cloned())
            .collect();
        // A deleted file's own module is compiled (and fails) only if something still imports
        // it once the others are compiled: a glob importer drops it instead.
        let (deleted, others): (Vec<String>, Vec<String>) = ids.into_iter().partition(|id| {
            graph
                .nodes
                .get(id)
                .is_some_and(|node| paths.contains(&node.file) && !node.file.exists())
        });
        let mut changed = Vec::new();
        for id in others {
            if graph.recompile(&session, &id) {
                changed.push(id);
            }
        }
        for id in deleted {
            let still_imported = graph
                .nodes
                .get(&id)
                .is_some_and(|n| !n.importers.is_empty());
            if still_imported && graph.recompile(&session, &id) {
                changed.push(id);
            }
        }
        let added = graph
            .nodes
            .keys()
            .filter(|id| !before.contains(*id))
            .cloned()
            .collect();
        let pruned = previous_imports
            .into_iter()
            .filter(|id| graph.nodes.get(id).is_some_and(|n| n.importers.is_empty()))
            .collect();
        Some(Recompiled {
            changed,
            added,
            pruned,
        })
    }

    async fn hot_update(&self, recompiled: Recompiled) -> FileChangeOutcome {
        if recompiled.changed.is_empty() {
            return FileChangeOutcome::Unchanged;
        }
        // A package imported for the first time: bundle it, then reload once.
        match self.ensure_deps().await {
            Ok((_, true)) => return FileChangeOutcome::NewDependency,
            Ok(_) => {}
            Err(error) => return FileChangeOutcome::DependencyError(error),
        }
        let graph = lock(&self.graph);
        let mut involved = recompiled.changed.clone();
        involved.extend(recompiled.added.iter().cloned());
        if let Some(error) = graph.first_error(&involved) {
            return FileChangeOutcome::CompileError(error.clone());
        }
        if self.changes_a_worker(&graph, &recompiled.changed) {
            return FileChangeOutcome::WorkerChanged;
        }
        match graph.hot_boundaries(&recompiled.changed) {
            None => FileChangeOutcome::NoBoundary,
            Some(boundaries) => FileChangeOutcome::Update(HotUpdate {
                modules: involved
                    .iter()
                    .filter_map(|id| hot_module_code(&graph, id))
                    .collect(),
                boundaries,
                pruned: recompiled.pruned,
            }),
        }
    }

    /// The page could not apply the update of `id` (`import.meta.hot.invalidate()`): the
    /// boundaries its importers offer, or `None` when the page must reload.
    pub fn invalidate(&self, id: &str) -> Option<Vec<HotBoundary>> {
        let graph = lock(&self.graph);
        let importers: Vec<String> = graph
            .nodes
            .get(id)
            .map(|n| n.importers.iter().cloned().collect())
            .unwrap_or_default();
        if importers.is_empty() {
            return None;
        }
        graph.hot_boundaries(&importers)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use nexxo_cache::{CacheStore, StoreKind};
    use nexxo_config::{Command, ConfigOverrides};

    use super::*;
    use crate::page_entries;

    /// A project whose page imports `view.ts` (accepts its own updates, imports `part.ts`) and
    /// `label.ts` (no module accepts it), compiled as the first page request would.
    async fn compiled_project() -> (tempfile::TempDir, Arc<CompileState>) {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "index.html",
                r#"<!doctype html><script type="module" src="/src/main.ts"></script>"#,
            ),
            (
                "src/main.ts",
                "import { label } from './label';\nimport './view';\nconsole.log(label);\n",
            ),
            (
                "src/view.ts",
                "import { part } from './part';\nexport const view: string = 'one' + part;\nimport.meta.hot?.accept();\n",
            ),
            ("src/part.ts", "export const part = 1;\n"),
            ("src/label.ts", "export const label = 'a';\n"),
        ];
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let config = nexxo_config::resolve_config(
            dir.path(),
            Command::Serve,
            &ConfigOverrides::default(),
            &BTreeMap::new(),
        )
        .unwrap();
        let store = Arc::new(CacheStore::disabled(StoreKind::Dev));
        let session = Session::new(config, store).unwrap();
        let index = session.config.root.join("index.html");
        let html = std::fs::read_to_string(&index).unwrap();
        let entries = page_entries(&session, &index, &html).unwrap();
        let state = Arc::new(CompileState::new(session, ConfigOverrides::default()));
        state.ensure_modules(entries).await;
        (dir, state)
    }

    /// Writes `text` to `name` in the project and returns its path as the watcher reports it.
    fn save(state: &CompileState, name: &str, text: &str) -> PathBuf {
        let path = state.session().config.root.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test]
    async fn an_edit_becomes_an_update_a_reload_or_an_error() {
        let (_dir, state) = compiled_project().await;

        // Saved without a change: the compiled output is the same, nothing to send.
        let label = save(&state, "src/label.ts", "export const label = 'a';\n");
        assert!(matches!(
            state.files_changed(&[label]).await,
            FileChangeOutcome::Unchanged
        ));

        let view = save(
            &state,
            "src/view.ts",
            "import { part } from './part';\nexport const view: string = 'two' + part;\nimport.meta.hot?.accept();\n",
        );
        let FileChangeOutcome::Update(update) =
            state.files_changed(std::slice::from_ref(&view)).await
        else {
            panic!("a self-accepting module's edit is a hot update");
        };
        assert_eq!(update.modules.len(), 1);
        assert!(
            update.modules[0].contains("\"two\""),
            "{}",
            update.modules[0]
        );
        assert!(update.modules[0].starts_with("__nexxo.define(\"/src/view.ts\""));
        assert!(
            !update.modules[0].contains(": string"),
            "TypeScript is compiled"
        );
        assert_eq!(
            update.boundaries,
            [HotBoundary {
                boundary: "/src/view.ts".into(),
                accepted: "/src/view.ts".into(),
                stale: vec!["/src/view.ts".into()],
            }]
        );
        assert!(update.pruned.is_empty());

        let label = save(&state, "src/label.ts", "export const label = 'b';\n");
        assert!(matches!(
            state.files_changed(&[label]).await,
            FileChangeOutcome::NoBoundary
        ));

        save(&state, "src/view.ts", "export const view = ;\n");
        let FileChangeOutcome::CompileError(error) =
            state.files_changed(std::slice::from_ref(&view)).await
        else {
            panic!("a syntax error is reported");
        };
        let location = error.location.as_deref().expect("the error has a place");
        assert!(location.file.ends_with("src/view.ts"));
        assert_eq!(location.line, 1);

        let page = save(
            &state,
            "index.html",
            r#"<!doctype html><title>new</title><script type="module" src="/src/main.ts"></script>"#,
        );
        assert!(matches!(
            state.files_changed(&[page]).await,
            FileChangeOutcome::PageChanged
        ));
        let unrelated = save(&state, "notes.txt", "not imported");
        assert!(matches!(
            state.files_changed(&[unrelated]).await,
            FileChangeOutcome::Unchanged
        ));
    }

    #[tokio::test]
    async fn env_config_and_tsconfig_changes_need_a_restart() {
        let (_dir, state) = compiled_project().await;
        let session = state.session();
        let root = &session.config.root;
        for name in [
            ".env",
            ".env.local",
            "nexxo.config.json",
            "tsconfig.json",
            "package.json",
            "postcss.config.mjs",
            ".postcssrc.json",
            "tailwind.config.js",
        ] {
            assert!(needs_restart(&session, &[root.join(name)]), "{name}");
        }
        assert!(needs_restart(
            &session,
            &[root.join("src/tsconfig.app.json")]
        ));
        assert!(!needs_restart(&session, &[root.join("src/.env")]));
        assert!(!needs_restart(&session, &[root.join("src/package.json")]));
        assert!(!needs_restart(&session, &[root.join("src/view.ts")]));
    }

    #[test]
    fn a_wasm_plugin_runs_in_the_session_and_its_module_needs_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("plugins")).unwrap();
        // A load hook that answers every module with `export default 7;`, limited to `.txt`.
        std::fs::write(
            root.join("plugins/seven.wat"),
            r#"(module
              (memory (export "memory") 1)
              (data (i32.const 16) "export default 7;")
              (func (export "nexxo_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "load") (param i32 i32) (result i64)
                (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 17))))"#,
        )
        .unwrap();
        std::fs::write(
            root.join("nexxo.config.json"),
            r#"{ "wasmPlugins": [{ "path": "plugins/seven.wat", "filter": { "extensions": ["txt"] } }] }"#,
        )
        .unwrap();
        std::fs::write(root.join("seven.txt"), "not read: the plugin answers").unwrap();
        let config = nexxo_config::resolve_config(
            &root,
            Command::Serve,
            &ConfigOverrides::default(),
            &BTreeMap::new(),
        )
        .unwrap();
        let store = Arc::new(CacheStore::disabled(StoreKind::Dev));
        let session = Session::new(config, store).unwrap();
        let loaded = crate::load::load_module(
            &session.config,
            &session.settings,
            &session.plugins,
            &session.resolver,
            "/seven.txt",
            &root.join("seven.txt"),
        )
        .unwrap();
        assert!(
            loaded
                .compiled
                .code
                .contains("__vite_ssr_export_default__ = 7;"),
            "{}",
            loaded.compiled.code
        );
        assert!(needs_restart(&session, &[root.join("plugins/seven.wat")]));
        assert!(!needs_restart(&session, &[root.join("plugins/other.wat")]));
        // Its module file and granted folders key the module cache.
        assert!(session
            .plugins
            .container
            .fingerprint()
            .starts_with("seven="));
    }

    #[tokio::test]
    async fn an_invalidated_module_goes_to_its_importers_boundaries() {
        let (_dir, state) = compiled_project().await;
        // `part.ts` is imported by `view.ts`, which accepts its own updates.
        assert_eq!(
            state.invalidate("/src/part.ts"),
            Some(vec![HotBoundary {
                boundary: "/src/view.ts".into(),
                accepted: "/src/view.ts".into(),
                stale: vec!["/src/view.ts".into()],
            }])
        );
        // `view.ts` is imported by `main.ts`, which accepts nothing and is an entry: reload.
        assert_eq!(state.invalidate("/src/view.ts"), None);
        assert_eq!(state.invalidate("/src/unknown.ts"), None);
    }
}
