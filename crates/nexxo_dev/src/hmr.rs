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

/// Watches the project root; returns the watcher, which must stay alive.
pub fn watch(server: Arc<DevServer>) -> notify::Result<notify::RecommendedWatcher> {
    let session = server.session();
    let root = session.config.root.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(PathBuf, Instant)>();
    let out_dir = session.config.out_dir.clone();
    let filter_root = root.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        for path in event.paths {
            if !ignored(&filter_root, &out_dir, &path) {
                let _ = sender.send((path, Instant::now()));
            }
        }
    })?;
    watcher.watch(&root, RecursiveMode::Recursive)?;
    tokio::spawn(async move {
        while let Some((first, started)) = receiver.recv().await {
            // Editors write a file in several steps (truncate, write, rename): take the burst.
            let mut paths = BTreeSet::from([first]);
            tokio::time::sleep(Duration::from_millis(5)).await;
            while let Ok((path, _)) = receiver.try_recv() {
                paths.insert(path);
            }
            on_files_changed(&server, paths.into_iter().collect(), started).await;
        }
    });
    Ok(watcher)
}

fn is_env_or_config(session: &Session, path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    (name.starts_with(".env") && path.parent() == Some(session.config.root.as_path()))
        || session.config.config_file.as_deref() == Some(path)
        || (name == "nexxo.config.json" && path.parent() == Some(session.config.root.as_path()))
}

async fn on_files_changed(server: &Arc<DevServer>, paths: Vec<PathBuf>, started: Instant) {
    let session = server.session();
    if paths.iter().any(|p| is_env_or_config(&session, p)) {
        restart(server).await;
        return;
    }
    if paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "html"))
    {
        server
            .graph
            .lock()
            .expect("graph lock")
            .nodes
            .retain(|id, _| !id.contains(".html?"));
        server.broadcast(json!({"type": "full-reload", "reason": "page changed"}));
        return;
    }
    // Stylesheets linked from HTML: swap the <link>.
    let linked: Vec<String> = server
        .linked_css
        .lock()
        .expect("css lock")
        .iter()
        .filter(|(_, files)| files.iter().any(|f| paths.contains(f)))
        .map(|(url, _)| url.clone())
        .collect();
    for url in linked {
        let base = crate::load::dev_base(&session.config);
        server.broadcast(
            json!({"type": "css-update", "url": format!("{base}{}", url.trim_start_matches('/'))}),
        );
    }

    let server_for_compile = server.clone();
    let outcome = tokio::task::spawn_blocking(move || recompile(&server_for_compile, &paths)).await;
    let Ok(outcome) = outcome else { return };
    let Some(outcome) = outcome else { return };
    send_outcome(server, outcome, started).await;
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
    let mut graph = server.graph.lock().expect("graph lock");
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
        if graph.recompile(
            &session.config,
            &session.settings,
            &session.resolver,
            &session.module_cache,
            &id,
        ) {
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
        let graph = server.graph.lock().expect("graph lock");
        let mut involved = outcome.changed.clone();
        involved.extend(outcome.added.iter().cloned());
        if let Some(error) = graph.first_error(&involved) {
            eprintln!(
                "{}",
                error.render(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            );
            *server.error_shown.lock().expect("error lock") = true;
            json!({"type": "error", "error": error_payload(error)})
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
        let mut shown = server.error_shown.lock().expect("error lock");
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
    if server.debug_hmr {
        let session = server.session();
        let files: Vec<String> = outcome
            .files
            .iter()
            .map(|f| session.config.display_path(f))
            .collect();
        eprintln!(
            "  [hmr] {} → {kind} sent {:.1} ms after the file event",
            files.join(", "),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
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
    *server.session.write().expect("session lock") = Arc::new(session);
    *server.graph.lock().expect("graph lock") = Default::default();
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
        let graph = server.graph.lock().expect("graph lock");
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
