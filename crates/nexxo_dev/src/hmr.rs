//! Hot updates: file events in, WebSocket messages out.
//!
//! A changed module is recompiled alone; the graph finds the accepting boundaries and the new
//! code goes to the page over the WebSocket (no extra request). Pages, `.env` files and the
//! config reload the page (the last two after re-reading the config).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use serde_json::json;

use crate::page::hot_module_code;
use crate::server::{error_payload, DevServer, Session};

/// Folders whose changes never matter to the dev server.
fn ignored(root: &Path, out_dir: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    path.starts_with(out_dir)
        || relative.components().any(|c| {
            let name = c.as_os_str().to_string_lossy();
            name == "node_modules"
                || name == ".git"
                || (name.starts_with('.') && !name.starts_with(".env"))
        })
}

/// Watches the project: the root itself and each of its folders except `node_modules`, outDir and
/// hidden folders, so a large `node_modules` costs no watches (inotify's limit is per user) and
/// no start-up time. A folder created at the top later is watched when it appears. The watcher
/// lives as long as the task that reads its events.
pub fn watch(server: Arc<DevServer>) -> notify::Result<()> {
    let session = server.session();
    let root = session.config.root.clone();
    let out_dir = session.config.out_dir.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(PathBuf, Instant)>();
    let filter_root = root.clone();
    let filter_out_dir = out_dir.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        for path in event.paths {
            if !ignored(&filter_root, &filter_out_dir, &path) {
                let _ = sender.send((path, Instant::now()));
            }
        }
    })?;
    watcher.watch(&root, RecursiveMode::NonRecursive)?;
    let mut watched = BTreeSet::new();
    watch_top_folders(&mut watcher, &root, &out_dir, &mut watched);
    tokio::spawn(async move {
        while let Some((first, started)) = receiver.recv().await {
            // Editors write a file in several steps (truncate, write, rename): take the burst.
            let mut paths = BTreeSet::from([first]);
            tokio::time::sleep(Duration::from_millis(5)).await;
            while let Ok((path, _)) = receiver.try_recv() {
                paths.insert(path);
            }
            if paths
                .iter()
                .any(|p| p.parent() == Some(root.as_path()) && p.is_dir())
            {
                watch_top_folders(&mut watcher, &root, &out_dir, &mut watched);
            }
            on_files_changed(&server, paths.into_iter().collect(), started).await;
        }
    });
    Ok(())
}

/// Adds a recursive watch for each folder at the top of `root` not watched yet and not ignored.
fn watch_top_folders(
    watcher: &mut notify::RecommendedWatcher,
    root: &Path,
    out_dir: &Path,
    watched: &mut BTreeSet<PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() || ignored(root, out_dir, &path) || watched.contains(&path) {
            continue;
        }
        match watcher.watch(&path, RecursiveMode::Recursive) {
            Ok(()) => {
                watched.insert(path);
            }
            Err(err) => eprintln!(
                "  warning: cannot watch {}: {err}; edits there are not seen",
                path.display()
            ),
        }
    }
}

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

async fn on_files_changed(server: &Arc<DevServer>, paths: Vec<PathBuf>, started: Instant) {
    let session = server.session();
    let changed_files = || {
        paths
            .iter()
            .map(|f| session.config.display_path(f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if paths.iter().any(|p| is_env_or_config(&session, p)) {
        restart(server).await;
        debug_log(server, &changed_files(), "restart + full-reload", started);
        return;
    }
    let page_changed = paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "html"));
    if page_changed {
        // Inline page scripts are compiled again from the new HTML.
        crate::lock(&server.graph)
            .nodes
            .retain(|id, _| !id.contains(".html?"));
    }
    // Stylesheets linked from HTML: swap the <link>.
    let linked: Vec<String> = crate::lock(&server.linked_css)
        .iter()
        .filter(|(_, files)| files.iter().any(|f| paths.contains(f)))
        .map(|(url, _)| url.clone())
        .collect();
    if !page_changed && !linked.is_empty() {
        let base = crate::load::dev_base(&session.config);
        for url in &linked {
            server.broadcast(
                json!({"type": "css-update", "url": format!("{base}{}", url.trim_start_matches('/'))}),
            );
        }
        debug_log(server, &changed_files(), "css-update", started);
    }

    let server_for_compile = server.clone();
    let paths_for_compile = paths.clone();
    let outcome =
        tokio::task::spawn_blocking(move || recompile(&server_for_compile, &paths_for_compile))
            .await;
    if page_changed {
        // Other files saved in the same burst (a `git checkout`) were recompiled above, so the
        // reloaded page gets their new code.
        server.broadcast(json!({"type": "full-reload", "reason": "page changed"}));
        debug_log(server, &changed_files(), "full-reload", started);
        return;
    }
    match outcome {
        Ok(Some(outcome)) => send_outcome(server, outcome, started).await,
        Ok(None) => {}
        Err(join_error) => report_compile_panic(server, join_error),
    }
}

/// A recompile that panicked outside the per-module guard: said in the terminal and the page
/// instead of silently dropping the update.
fn report_compile_panic(server: &DevServer, join_error: tokio::task::JoinError) {
    let reason = match join_error.try_into_panic() {
        Ok(payload) => crate::panic_message(payload.as_ref()).to_string(),
        Err(err) => err.to_string(),
    };
    let error = nexxo_diagnostics::Diagnostic::error(format!(
        "internal error while applying an update: {reason}. This is a bug in Nexxo; please report it."
    ));
    eprintln!("{}", error.render(false));
    server.broadcast(json!({"type": "error", "error": error_payload(&error)}));
}

/// `--debug hmr`: what a file event led to, and how long after the event it was sent.
fn debug_log(server: &DevServer, files: &str, what: &str, started: Instant) {
    if server.debug_hmr {
        eprintln!(
            "  [hmr] {files} → {what} sent {:.1} ms after the file event",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// What recompiling the changed files produced.
struct Outcome {
    changed: Vec<String>,
    added: Vec<String>,
    /// Modules no longer imported by anything (their `prune` handlers run in the page).
    pruned: Vec<String>,
    files: Vec<PathBuf>,
}

fn recompile(server: &DevServer, paths: &[PathBuf]) -> Option<Outcome> {
    let session = server.session();
    let mut graph = crate::lock(&server.graph);
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
    Some(Outcome {
        changed,
        added,
        pruned,
        files: paths.to_vec(),
    })
}

async fn send_outcome(server: &Arc<DevServer>, outcome: Outcome, started: Instant) {
    if outcome.changed.is_empty() {
        return;
    }
    // A package imported for the first time: bundle it, then reload once.
    match server.ensure_deps().await {
        Ok((_, true)) => {
            server.broadcast(json!({"type": "full-reload", "reason": "new dependency"}));
            return;
        }
        Ok(_) => {}
        Err(error) => {
            server.broadcast(json!({"type": "error", "error": error_payload(&error)}));
            return;
        }
    }
    let message = {
        let graph = crate::lock(&server.graph);
        let mut involved = outcome.changed.clone();
        involved.extend(outcome.added.iter().cloned());
        if let Some(error) = graph.first_error(&involved) {
            eprintln!(
                "{}",
                error.render(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            );
            *crate::lock(&server.error_shown) = true;
            json!({"type": "error", "error": error_payload(error)})
        } else if crate::server::changes_a_worker(server, &graph, &outcome.changed) {
            json!({"type": "full-reload", "reason": "a web worker's module changed"})
        } else {
            match graph.hot_boundaries(&outcome.changed) {
                None => json!({"type": "full-reload", "reason": "no module accepts the update"}),
                Some(boundaries) => {
                    let modules: Vec<String> = involved
                        .iter()
                        .filter_map(|id| hot_module_code(&graph, id))
                        .collect();
                    json!({"type": "update", "modules": modules, "boundaries": boundaries})
                }
            }
        }
    };
    let is_error = message["type"] == "error";
    if !is_error {
        let mut shown = crate::lock(&server.error_shown);
        if *shown {
            *shown = false;
            server.broadcast(json!({"type": "error-cleared"}));
        }
    }
    let kind = message["type"].as_str().unwrap_or("").to_string();
    server.broadcast(message);
    if kind == "update" && !outcome.pruned.is_empty() {
        server.broadcast(json!({"type": "prune", "ids": outcome.pruned}));
    }
    let files: Vec<String> = outcome
        .files
        .iter()
        .map(|f| server.session().config.display_path(f))
        .collect();
    debug_log(server, &files.join(", "), &kind, started);
}

/// The config or an env file changed: read the config again, forget compiled modules, reload.
async fn restart(server: &Arc<DevServer>) {
    let current = server.session();
    let config = nexxo_config::resolve_config(
        &current.config.root,
        nexxo_config::Command::Serve,
        &server.overrides,
        &std::env::vars().collect(),
    );
    let store = current.module_cache.store.clone();
    let session = match config.and_then(|config| Session::new(config, store)) {
        Ok(session) => session,
        Err(error) => {
            eprintln!("{}", error.render(false));
            server.broadcast(json!({"type": "error", "error": error_payload(&error)}));
            return;
        }
    };
    eprintln!("  config or env changed: restarted");
    *crate::write(&server.session) = Arc::new(session);
    *crate::lock(&server.graph) = Default::default();
    server.broadcast(json!({"type": "full-reload", "reason": "config changed"}));
}

/// Messages from the page: `invalidate` (a module could not apply its update).
pub async fn client_message(server: &Arc<DevServer>, text: &str) {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    if message["type"] != "invalidate" {
        return;
    }
    let Some(id) = message["id"].as_str() else {
        return;
    };
    let reply = {
        let graph = crate::lock(&server.graph);
        let importers: Vec<String> = graph
            .nodes
            .get(id)
            .map(|n| n.importers.iter().cloned().collect())
            .unwrap_or_default();
        match (importers.is_empty(), graph.hot_boundaries(&importers)) {
            (false, Some(boundaries)) => {
                json!({"type": "update", "modules": [], "boundaries": boundaries})
            }
            _ => json!({"type": "full-reload", "reason": format!("{id} invalidated")}),
        }
    };
    server.broadcast(reply);
}
