//! `nexxo dev` and `nexxo preview`: the HTTP layer.
//!
//! What the dev server compiles and how a file change becomes a hot update is the module model
//! in `nexxo_dev_modules` (session, graph, resolve/load/transform, page scripts, HMR
//! boundaries); this crate serves it: routes (`server.rs`), the WebSocket and its typed
//! messages (`hot_updates.rs`, `messages.rs`), the overlay's error state (`overlay.rs`), the
//! request rules (`security.rs`), `nexxo preview` (`preview.rs`) and the browser code
//! (`client/`).
//!
//! ```text
//! request ─ server.rs ─ CompileState (nexxo_dev_modules) ─ page/lazy/deps script ─ browser (client/)
//! file event ─ FileWatcher ─ hot_updates.rs ─ FileChangeOutcome → ServerMessage ─ WebSocket ─ client/runtime.js
//! ```

mod hot_updates;
mod inspector;
mod messages;
mod overlay;
mod preview;
mod security;
mod server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::routing::get;
use axum::Router;
use nexxo_config::{ConfigOverrides, ResolvedConfig};
use nexxo_dev_modules::load::dev_base;
use nexxo_dev_modules::{page_entries, CompileState};
use nexxo_diagnostics::Diagnostic;
use tokio::net::TcpListener;

pub use nexxo_dev_modules::Session;
pub use preview::{preview, preview_in_background, BackgroundPreview};
pub use server::DevServer;

/// How the user asked the server to listen.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Preferred port; the next free one is used when it is taken. 0 picks any free port.
    pub port: u16,
    /// `None`: loopback only. `Some("")`: every interface. `Some(name)`: that address or name.
    pub host: Option<String>,
    pub open: bool,
    /// Log each hot update's time from file event to message sent.
    pub debug_hmr: bool,
}

/// Binds `host:port`, trying the following ports when it is taken (as Vite does).
pub(crate) async fn bind(options: &ServeOptions) -> Result<(TcpListener, Vec<String>), Diagnostic> {
    let (address, allowed_hosts): (IpAddr, Vec<String>) = match options.host.as_deref() {
        None => (IpAddr::V4(Ipv4Addr::LOCALHOST), Vec::new()),
        Some("" | "0.0.0.0" | "true") => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), Vec::new()),
        Some(host) => match host.parse::<IpAddr>() {
            Ok(ip) => (ip, Vec::new()),
            // A name: listen everywhere, accept that name in `Host`.
            Err(_) => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), vec![host.to_string()]),
        },
    };
    let attempts = if options.port == 0 { 1 } else { 50 };
    let mut last_error = None;
    for offset in 0..attempts {
        let port = options.port.saturating_add(offset);
        match TcpListener::bind(SocketAddr::new(address, port)).await {
            Ok(listener) => return Ok((listener, allowed_hosts)),
            Err(err) => last_error = Some(err),
        }
    }
    Err(Diagnostic::error(format!(
        "cannot listen on {address}:{}: {}",
        options.port,
        last_error.map(|e| e.to_string()).unwrap_or_default()
    )))
}

pub(crate) fn print_urls(
    listener: &TcpListener,
    options: &ServeOptions,
    base: &str,
    started: Instant,
    what: &str,
) {
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(options.port);
    nexxo_diagnostics::events::event(
        "phase",
        serde_json::json!({"phase": what, "status": "ready", "duration_ms": started.elapsed().as_millis() as u64, "port": port}),
    );
    if options.open {
        let url = format!("http://localhost:{port}{base}");
        // Opening a browser is a convenience: failing to is not an error.
        let _ = open_command(&url).spawn();
    }
    if nexxo_diagnostics::events::json_events_enabled() {
        return;
    }
    println!(
        "\n  nexxo {what} ready in {} ms\n\n  ➜  Local:   http://localhost:{port}{base}",
        started.elapsed().as_millis()
    );
    match &options.host {
        None => println!("  ➜  Network: use --host to expose"),
        Some(host) => println!(
            "  ➜  Network: http://{}:{port}{base}",
            if host.is_empty() { "0.0.0.0" } else { host }
        ),
    }
}

/// The platform's "open this URL in the default browser" command.
fn open_command(url: &str) -> std::process::Command {
    if cfg!(target_os = "macos") {
        let mut command = std::process::Command::new("open");
        command.arg(url);
        command
    } else if cfg!(target_os = "windows") {
        // `start` is a cmd built-in; its first quoted argument is a window title, hence "".
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", "", url]);
        command
    } else {
        let mut command = std::process::Command::new("xdg-open");
        command.arg(url);
        command
    }
}

/// Runs the dev server until the process is stopped.
pub async fn dev(
    config: ResolvedConfig,
    overrides: ConfigOverrides,
    options: ServeOptions,
) -> Result<(), Diagnostic> {
    let started = Instant::now();
    let store = Arc::new(nexxo_cache::CacheStore::open(
        &config.cache_dir,
        nexxo_cache::StoreKind::Dev,
        config.cache_max_bytes,
        &|warning| nexxo_diagnostics::events::warning(&warning),
    ));
    let session = Session::new(config, store)?;
    let base = dev_base(&session.config).to_string();
    let (listener, allowed_hosts) = bind(&options).await?;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(options.port);
    let code_token = security::CodeToken::generate().map_err(|err| {
        Diagnostic::error(format!(
            "cannot read random bytes for the dev server's script token: {err}"
        ))
    })?;
    let server = Arc::new(DevServer {
        compile: Arc::new(CompileState::new(session, overrides)),
        hmr: tokio::sync::broadcast::channel(256).0,
        linked_css: Mutex::new(Default::default()),
        allowed_hosts: allowed_hosts.clone(),
        port,
        code_token,
        overlay: Default::default(),
        debug_hmr: options.debug_hmr,
        inspector: Default::default(),
    });
    // Compile the pages' modules and bundle the dependencies before saying "ready", so the first
    // page load only concatenates.
    warm_up(&server).await;
    hot_updates::watch(server.clone())?;
    let app = Router::new()
        .route(&format!("{base}@nexxo/ws"), get(hot_updates::websocket))
        .fallback(server::handle)
        .with_state(server.clone())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed_hosts),
            server::check_host,
        ));
    print_urls(&listener, &options, &base, started, "dev server");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| Diagnostic::error(format!("the dev server stopped: {err}")));
    // Record this run's cache use (and evict over the cap) on the way out.
    let stats = server.session().module_cache.store.finish();
    nexxo_diagnostics::events::event(
        "cache",
        serde_json::json!({"store": "dev", "hits": stats.hits, "misses": stats.misses, "writes": stats.writes}),
    );
    served
}

async fn warm_up(server: &Arc<DevServer>) {
    let session = server.session();
    let index = session.config.index_page();
    // A special file in index.html's place would block the start (the page request says why).
    let Ok(html) = nexxo_diagnostics::input::read_regular_to_string(&index) else {
        return;
    };
    // An Angular app's index page names no script: the Angular plugin adds the entry.
    let html = if session.config.angular.is_some() {
        match tokio::task::block_in_place(|| session.page_html(&index, html)) {
            Ok(html) => html,
            Err(_) => return,
        }
    } else {
        html
    };
    let Ok(entries) = page_entries(&session, &index, &html) else {
        return;
    };
    server.compile.ensure_page_modules(entries).await;
    if let Err(error) = server.compile.ensure_deps().await {
        eprintln!("{}", error.render(false));
    }
}

pub(crate) async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("signal handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
