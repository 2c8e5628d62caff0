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

/// Files whose change needs a new session: `.env` files, the config, and tsconfig files (they
/// set JSX and decorator options and resolver paths).
fn is_env_or_config(session: &Session, path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let at_root = path.parent() == Some(session.config.root.as_path());
    (name.starts_with(".env") && at_root)
        || session.config.config_file.as_deref() == Some(path)
        || (name == "nexxo.config.json" && at_root)
        || (name.starts_with("tsconfig") && name.ends_with(".json"))
}

/// Whether `paths` need a new session ([`CompileState::restart`]) rather than recompiles.
pub fn needs_restart(session: &Session, paths: &[PathBuf]) -> bool {
    paths.iter().any(|p| is_env_or_config(session, p))
}

/// Whether an HTML page is among `paths`: the pages reload.
pub fn page_changed(paths: &[PathBuf]) -> bool {
    paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "html"))
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
    /// New code for the modules that changed, and where it is accepted.
    Update(HotUpdate),
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
        let page_changed = page_changed(paths);
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
        match recompiled {
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
            ids.extend(graph.modules_reading(path));
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
        let mut changed = Vec::new();
        for id in ids {
            if graph.recompile(&session, &id) {
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
