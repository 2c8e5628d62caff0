//! Hot updates over HTTP: file events go to the module model (`nexxo_dev_modules::hmr`), its
//! [`FileChangeOutcome`] becomes [`ServerMessage`]s for every page on the WebSocket.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use nexxo_dev_modules::hmr::{needs_restart, page_changed, FileChangeOutcome};
use nexxo_dev_modules::load::dev_base;
use nexxo_dev_modules::lock;
use nexxo_dev_modules::watch::FileWatcher;
use nexxo_diagnostics::Diagnostic;
use tokio::sync::broadcast;

use crate::messages::{ClientMessage, ServerMessage};
use crate::security::origin_allowed;
use crate::server::{status, DevServer};

/// Watches the project and sends each burst's updates, for as long as the server runs.
pub fn watch(server: Arc<DevServer>) -> Result<(), Diagnostic> {
    let session = server.session();
    let root = session.config.root.clone();
    let mut watcher = FileWatcher::new(root.clone(), session.config.out_dir.clone())
        .map_err(|err| Diagnostic::error(format!("cannot watch {}: {err}", root.display())))?;
    tokio::spawn(async move {
        while let Some((paths, started)) = watcher.next_burst().await {
            on_files_changed(&server, paths, started).await;
        }
    });
    Ok(())
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
    if needs_restart(&session, &paths) {
        match server.compile.restart() {
            Ok(()) => server.broadcast(ServerMessage::full_reload("config changed")),
            Err(error) => {
                eprintln!("{}", error.render(false));
                server.broadcast(ServerMessage::error(&error));
            }
        }
        debug_log(server, &changed_files(), "restart + full-reload", started);
        return;
    }
    // Stylesheets linked from HTML: swap the <link> at once, before modules recompile.
    let linked: Vec<String> = lock(&server.linked_css)
        .iter()
        .filter(|(_, files)| files.iter().any(|f| paths.contains(f)))
        .map(|(url, _)| url.clone())
        .collect();
    if !page_changed(&session, &paths) && !linked.is_empty() {
        let base = dev_base(&session.config);
        for url in &linked {
            server.broadcast(ServerMessage::CssUpdate {
                url: format!("{base}{}", url.trim_start_matches('/')),
            });
        }
        debug_log(server, &changed_files(), "css-update", started);
    }

    let sent = match server.compile.files_changed(&paths).await {
        FileChangeOutcome::Unchanged => return,
        FileChangeOutcome::PageChanged => {
            server.broadcast(ServerMessage::full_reload("page changed"));
            "full-reload"
        }
        FileChangeOutcome::NewDependency => {
            server.broadcast(ServerMessage::full_reload("new dependency"));
            return;
        }
        FileChangeOutcome::DependencyError(error) => {
            server.broadcast(ServerMessage::error(&error));
            return;
        }
        // Said in the terminal and the page instead of silently dropping the update.
        FileChangeOutcome::InternalError(error) => {
            eprintln!("{}", error.render(false));
            server.broadcast(ServerMessage::error(&error));
            return;
        }
        FileChangeOutcome::CompileError(error) => {
            eprintln!(
                "{}",
                error.render(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            );
            server.overlay.error_shown();
            server.broadcast(ServerMessage::error(&error));
            "error"
        }
        FileChangeOutcome::NoBoundary => {
            clear_overlay(server);
            server.broadcast(ServerMessage::full_reload("no module accepts the update"));
            "full-reload"
        }
        FileChangeOutcome::WorkerChanged => {
            clear_overlay(server);
            server.broadcast(ServerMessage::full_reload("a web worker's module changed"));
            "full-reload"
        }
        FileChangeOutcome::AngularComponents(ids) => {
            clear_overlay(server);
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_millis() as u64);
            for id in ids {
                server.broadcast(ServerMessage::Custom {
                    event: "angular:component-update".into(),
                    data: serde_json::json!({ "id": id, "timestamp": timestamp }),
                });
            }
            "angular:component-update"
        }
        FileChangeOutcome::Update(update) => {
            clear_overlay(server);
            server.broadcast(ServerMessage::Update {
                modules: update.modules,
                boundaries: update.boundaries,
            });
            if !update.pruned.is_empty() {
                server.broadcast(ServerMessage::Prune { ids: update.pruned });
            }
            "update"
        }
    };
    debug_log(server, &changed_files(), sent, started);
}

/// Hides the overlay if an error was showing (the update compiled).
fn clear_overlay(server: &DevServer) {
    if server.overlay.take_shown() {
        server.broadcast(ServerMessage::ErrorCleared);
    }
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

/// `@nexxo/ws`: checks the page's origin, then relays hot-update messages.
pub async fn websocket(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Only pages of this server may listen: hot updates carry whole source files. Requests
    // without `Origin` come from non-browser clients, which could send any `Origin` anyway
    // (see `origin_allowed`).
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| origin_allowed(origin, host, &server.allowed_hosts, server.port));
        if !allowed {
            return status(StatusCode::FORBIDDEN, "WebSocket origin not allowed");
        }
    }
    upgrade.on_upgrade(move |socket| relay(server, socket))
}

async fn relay(server: Arc<DevServer>, mut socket: WebSocket) {
    let mut updates = server.hmr.subscribe();
    let _ = socket
        .send(Message::Text(ServerMessage::Connected.to_json().into()))
        .await;
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let reload = ServerMessage::FullReload { reason: None };
                    let _ = socket.send(Message::Text(reload.to_json().into())).await;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => client_message(&server, &text),
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
}

/// Messages from the page: `invalidate` (a module could not apply its update).
fn client_message(server: &DevServer, text: &str) {
    let Ok(ClientMessage::Invalidate { id }) = serde_json::from_str::<ClientMessage>(text) else {
        return;
    };
    let reply = match server.compile.invalidate(&id) {
        Some(boundaries) => ServerMessage::Update {
            modules: Vec::new(),
            boundaries,
        },
        None => ServerMessage::full_reload(format!("{id} invalidated")),
    };
    server.broadcast(reply);
}
