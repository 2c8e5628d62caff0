//! `/__nexxo/`: the dev server's own pages. `/__nexxo/` lists them; `/__nexxo/graph` is the
//! bundle report's page (`nexxo_analyze`) fed live from the module graph through
//! `/__nexxo/graph.json`, which the page polls (it answers with the revision alone while the
//! graph has not changed, so polling costs little).
//!
//! They show the project's files, so other sites may not have them: every route is refused
//! to cross-site requests (`Sec-Fetch-Site`), and the data also needs the server's code token,
//! which only the graph page (readable by this origin alone) carries.

use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use nexxo_dev_modules::lock;

use crate::server::{is_cross_site, refuse_foreign_code_request, status, DevServer};

/// Where the pages live, outside `base` (they are the server's, not the app's).
pub const PREFIX: &str = "/__nexxo";

const INDEX_HTML: &str = include_str!("../inspector/index.html");

/// The last graph data served, by revision: several tabs polling share one computation.
#[derive(Default)]
pub struct Inspector {
    last: Mutex<Option<(u64, Arc<String>)>>,
}

/// Answers requests under [`PREFIX`] this module owns; `None` for other paths (other tools'
/// pages under `/__nexxo/`, and the app).
pub async fn handle(
    server: &Arc<DevServer>,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let rest = path.strip_prefix(PREFIX)?;
    if !matches!(rest, "" | "/" | "/graph" | "/graph.json") {
        return None;
    }
    if is_cross_site(headers) {
        return Some(status(
            StatusCode::FORBIDDEN,
            "403: the dev server's tools are only served to its own pages",
        ));
    }
    Some(match rest {
        "" => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{PREFIX}/"))],
        )
            .into_response(),
        "/" => html(INDEX_HTML.to_string()),
        "/graph" => html(nexxo_analyze::report::render_live_page(&format!(
            "{PREFIX}/graph.json?token={}",
            server.code_token.as_str()
        ))),
        _ => graph_json(server, query, headers).await,
    })
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `{"revision": "…", "stats": {…}}`, or `{"revision": "…"}` when `since` is the current one.
async fn graph_json(server: &Arc<DevServer>, query: &str, headers: &HeaderMap) -> Response {
    if let Some(refusal) = refuse_foreign_code_request(server, headers, query) {
        return refusal;
    }
    let since = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
        .unwrap_or("")
        .to_string();
    let server = server.clone();
    let body = tokio::task::spawn_blocking(move || {
        // Locked while the packages are being bundled: the page then shows them without sizes,
        // and polls again until the bundle is there (the revision changes with it).
        let deps = server.compile.deps.try_lock().ok().map(|deps| deps.clone());
        let revision = nexxo_dev_modules::analysis::page_revision(
            lock(&server.compile.graph).revision(),
            deps.as_deref(),
        );
        if since == revision.to_string() {
            return format!("{{\"revision\":\"{revision}\"}}");
        }
        if let Some((cached, body)) = lock(&server.inspector.last).as_ref() {
            if *cached == revision {
                return body.to_string();
            }
        }
        let root = server.session().config.root.clone();
        let mut snapshot =
            lock(&server.compile.graph).snapshot(&root, &deps.clone().unwrap_or_default());
        snapshot.revision = revision;
        let stats = snapshot.stats();
        let body = serde_json::json!({
            "revision": snapshot.revision.to_string(),
            "stats": stats,
        })
        .to_string();
        *lock(&server.inspector.last) = Some((snapshot.revision, Arc::new(body.clone())));
        body
    })
    .await
    .unwrap_or_else(|_| "{\"revision\":\"error\"}".to_string());
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
