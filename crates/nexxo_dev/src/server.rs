//! The dev server: HTTP routes and the state they share (the compile state is `nexxo_dev_modules`).
//!
//! Routes (under `base`):
//! - `@nexxo/client.js` the browser runtime (`client/`), `@nexxo/deps.js` pre-bundled packages,
//!   `@nexxo/page/<page>.js` a page's modules in one script (+ `.map`), `@nexxo/lazy.js?id=` an
//!   `import()` target compiled on first request, `@nexxo/ws` hot updates (`hot_updates.rs`);
//! - everything else: HTML pages (with Nexxo's scripts added), `public/`, stylesheets compiled,
//!   other files as they are, and `index.html` for unknown routes (SPA fallback).
//!
//! Other sites' pages may navigate to the HTML pages and embed `public/` files, assets such as
//! images, and the client runtime; everything else holds the project's code or files and is
//! refused to them (`Sec-Fetch-Site`). The page, lazy and dependency scripts and their source
//! maps also need the server's [`CodeToken`] in their URL, which only the HTML pages carry, for
//! browsers that send no fetch metadata.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nexxo_dev_modules::load::{compile_css_for_dev, dev_base, is_stylesheet};
use nexxo_dev_modules::page::shift_index_map;
use nexxo_dev_modules::resolve::{id_for_path, path_for_id, DEPS_PREFIX, FS_PREFIX};
use nexxo_dev_modules::{lock, page_entries, CompileState, Session};
use nexxo_diagnostics::Diagnostic;
use tokio::sync::broadcast;

use crate::messages::{ErrorPayload, ServerMessage};
use crate::overlay::OverlayState;
use crate::security::{
    checked_file, fetch_site_allowed, file_under, fs_url_path, host_allowed, url_path_segments,
    CodeToken, Refused,
};

const CLIENT_JS: &str = concat!(
    include_str!("../client/overlay.js"),
    "\n",
    include_str!("../client/interop.js"),
    "\n",
    include_str!("../client/runtime.js")
);

/// Appended to the client when the project has the audits panel on (`audit.dev`).
const AUDITS_HOOK_JS: &str = include_str!("../client/audits.js");

/// `/__nexxo/audits`: the app in a frame, with the audits panel open in it.
const AUDITS_PAGE_HTML: &str = include_str!("../client/audits-page.html");

/// The registry of a web worker's script (no document, no WebSocket).
const WORKER_JS: &str = concat!(
    include_str!("../client/interop.js"),
    "\n",
    include_str!("../client/worker.js")
);

/// The dev server: the compile state it serves, and what only HTTP needs.
pub struct DevServer {
    /// The session, module graph and dependency bundle (`nexxo_dev_modules`).
    pub compile: Arc<CompileState>,
    /// Messages for every connected page (JSON text of [`ServerMessage`]s).
    pub hmr: broadcast::Sender<String>,
    /// Stylesheets requested by `<link>` (URL path → files they read), for CSS-only updates.
    pub linked_css: Mutex<HashMap<String, Vec<PathBuf>>>,
    /// Host names the user allowed besides loopback and IPs (`--host <name>`).
    pub allowed_hosts: Vec<String>,
    /// The port the server listens on (WebSocket `Origin`s of allowed names must use it).
    pub port: u16,
    /// Required in the URLs of the scripts holding the project's code (see the module docs).
    pub code_token: CodeToken,
    /// What the pages' error overlay shows.
    pub overlay: OverlayState,
    pub debug_hmr: bool,
    /// The `/__nexxo/` pages' state (`inspector.rs`).
    pub inspector: crate::inspector::Inspector,
}

impl DevServer {
    pub fn session(&self) -> Arc<Session> {
        self.compile.session()
    }

    pub fn broadcast(&self, message: ServerMessage) {
        // No page connected is not an error.
        let _ = self.hmr.send(message.to_json());
    }
}

/// The tags the dev server adds to every page: the client (registry, HMR, overlay), the
/// dependency bundle and the page's own script, in that order. The client's URL carries the
/// server's code token for the lazy scripts it requests (the client itself is public).
fn page_tags(base: &str, token: &str, deps_version: &str, page_script: &str) -> String {
    format!(
        "\n    <script src=\"{base}@nexxo/client.js?token={token}\"></script>\n    <script src=\"{base}@nexxo/deps.js?v={deps_version}&token={token}\" defer></script>\n    <script src=\"{page_script}\" defer></script>"
    )
}

fn script_response(code: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        code,
    )
        .into_response()
}

fn failure_script(diagnostic: &Diagnostic) -> Response {
    eprintln!(
        "{}",
        diagnostic.render(std::io::IsTerminal::is_terminal(&std::io::stderr()))
    );
    script_response(format!(
        "__nexxo.fail({});\n",
        ErrorPayload::from(diagnostic).to_json()
    ))
}

pub(crate) fn status(code: StatusCode, text: &str) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

/// The value of `name` in a query string (not percent-decoded).
fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Whether the browser says the request comes from another site's page (`Sec-Fetch-Site`;
/// requests without it are judged by the token alone).
pub(crate) fn is_cross_site(headers: &HeaderMap) -> bool {
    headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|site| !site.to_str().is_ok_and(fetch_site_allowed))
}

fn cross_site_refusal() -> Response {
    status(
        StatusCode::FORBIDDEN,
        "403: the project's code and files are only served to this dev server's own pages",
    )
}

/// The answer for a request of a page, lazy or dependency script or source map that another
/// site may have sent: `Some(403)` when the browser says so, or when the URL lacks the token
/// only this server's pages know.
pub(crate) fn refuse_foreign_code_request(
    server: &DevServer,
    headers: &HeaderMap,
    query: &str,
) -> Option<Response> {
    if is_cross_site(headers) {
        return Some(cross_site_refusal());
    }
    let token = query_param(query, "token").unwrap_or("");
    (!server.code_token.matches(token)).then(|| {
        status(
            StatusCode::FORBIDDEN,
            "403: this script URL lacks the dev server's token (reload the page to get current URLs)",
        )
    })
}

/// Files other sites' pages may embed, as from any web server: images, fonts, media and the
/// other asset types of Vite's list. Browsers do not run them as scripts (`nosniff`).
fn is_embeddable_asset(file: &Path) -> bool {
    file.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            nexxo_plugins::assets::ASSET_EXTENSIONS
                .contains(&extension.to_ascii_lowercase().as_str())
        })
}

/// Refuses requests whose `Host` is not this server (DNS rebinding). A request must carry
/// exactly one `Host` (RFC 9112 asks for a 400 otherwise): with two, a check of the first could
/// pass while something else reads the second.
pub async fn check_host(
    State(allowed): State<Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next().map(|h| h.to_str()), hosts.next()) {
        (Some(Ok(host)), None) => host,
        _ => {
            return status(
                StatusCode::BAD_REQUEST,
                "400: a request needs exactly one valid Host header",
            )
        }
    };
    if !host_allowed(host, &allowed) {
        return status(
            StatusCode::FORBIDDEN,
            &format!("Blocked request: host \"{host}\" is not allowed. Start the server with --host {} to allow it.", host.split(':').next().unwrap_or(host)),
        );
    }
    next.run(request).await
}

/// The largest request body handed to plugin middlewares.
const MAX_MIDDLEWARE_BODY: usize = 16 << 20;

/// Offers `request` to the user plugins' middlewares: `Ok` with their answer, or `Err` with the
/// request for Nexxo's own routes. Nexxo's code routes and cross-site requests never reach them
/// (the Host and Origin checks ran before this).
async fn plugin_middlewares(
    server: &Arc<DevServer>,
    request: Request,
) -> Result<Response, Request> {
    let session = server.session();
    let plugins = &session.plugins.js_plugins;
    let cross_site = request
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() == b"cross-site");
    if !plugins.has_middlewares() || cross_site || request.uri().path().contains("/@nexxo/") {
        return Err(request);
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_MIDDLEWARE_BODY)
        .await
        .unwrap_or_default();
    let offered = nexxo_user_plugins::MiddlewareRequest {
        method: parts.method.to_string(),
        url: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |pq| pq.to_string()),
        headers: parts
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.to_string(), value.to_str().ok()?.to_string().into()))
            })
            .collect(),
        body: body.to_vec(),
    };
    match tokio::task::block_in_place(|| plugins.handle_request(&offered)) {
        Ok(Some(answer)) => {
            let mut response = Response::new(axum::body::Body::from(answer.body));
            *response.status_mut() =
                StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in answer.headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    header::HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            Ok(response)
        }
        Ok(None) => Err(Request::from_parts(parts, axum::body::Body::from(body))),
        Err(error) => {
            eprintln!("{}", error.render(false));
            Ok(status(StatusCode::INTERNAL_SERVER_ERROR, &error.message))
        }
    }
}

/// Every request except the WebSocket.
pub async fn handle(State(server): State<Arc<DevServer>>, request: Request) -> Response {
    // Plugins' `configureServer` middlewares come first, as Vite's do.
    let request = match plugin_middlewares(&server, request).await {
        Ok(response) => return response,
        Err(request) => request,
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "the dev server only answers GET and HEAD",
        );
    }
    let uri = request.uri().clone();
    // The server's own tools, outside the app's base.
    if let Some(response) = crate::inspector::handle(
        &server,
        uri.path(),
        uri.query().unwrap_or(""),
        request.headers(),
    )
    .await
    {
        return response;
    }
    let session = server.session();
    let base = dev_base(&session.config).to_string();
    let Some(path) = uri.path().strip_prefix(&base).map(|p| format!("/{p}")) else {
        if uri.path() == "/" || uri.path() == base.trim_end_matches('/') {
            return (StatusCode::FOUND, [(header::LOCATION, base.clone())]).into_response();
        }
        return status(
            StatusCode::NOT_FOUND,
            &format!("not found: the app is served under {base}"),
        );
    };
    let query = uri.query().unwrap_or("");
    let headers = request.headers();
    let accepts_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));

    let is_code_route = matches!(
        path.as_str(),
        "/@nexxo/deps.js"
            | "/@nexxo/audit/panel.js"
            | "/@nexxo/lazy.js"
            | "/@nexxo/lazy.js.map"
            | "/@nexxo/worker.js"
            | "/@nexxo/worker.js.map"
    ) || path.starts_with("/@nexxo/page");
    if is_code_route {
        if let Some(refusal) = refuse_foreign_code_request(&server, headers, query) {
            return refusal;
        }
    }
    // Angular's runtime imports a component's replacement from beside its module
    // (`/src/app/@ng/component?c=<id>&t=<time>`), without the page's token.
    if path.ends_with("/@ng/component") {
        if is_cross_site(headers) {
            return cross_site_refusal();
        }
        return angular_component_update(&session, query);
    }
    match path.as_str() {
        // The runtime holds no project code: any page may load it.
        "/@nexxo/client.js" => {
            let audits = nexxo_audit::AuditSettings::from_config(&session.config.audit).dev;
            return script_response(if audits {
                format!("{CLIENT_JS}\n{AUDITS_HOOK_JS}")
            } else {
                CLIENT_JS.to_string()
            });
        }
        "/@nexxo/audit/panel.js" | "/__nexxo/audits" => {
            return audits_route(&session, &path, headers)
        }
        "/@nexxo/deps.js" => {
            return match server.compile.ensure_deps().await {
                Ok((bundle, _)) => (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        // The URL carries the bundle's version.
                        (header::CACHE_CONTROL, "max-age=31536000, immutable"),
                    ],
                    bundle.script.clone(),
                )
                    .into_response(),
                Err(error) => failure_script(&error),
            };
        }
        "/@nexxo/lazy.js" | "/@nexxo/lazy.js.map" => {
            return lazy_script(&server, query, path.ends_with(".map")).await;
        }
        "/@nexxo/worker.js" | "/@nexxo/worker.js.map" => {
            return worker_script(&server, query, path.ends_with(".map")).await;
        }
        _ => {}
    }
    if let Some(page) = path.strip_prefix("/@nexxo/page") {
        return page_script(&server, page, query).await;
    }

    // Files.
    let segments = match url_path_segments(&path) {
        Ok(segments) => segments,
        Err(refused) => return refusal(refused),
    };
    let config = &session.config;
    if let Some(public) = &config.public_dir {
        if let Ok(public) = public.canonicalize() {
            if let Ok(file) = file_under(&public, &segments, std::slice::from_ref(&public)) {
                return file_response(&file).await;
            }
        }
    }
    let is_fs = path.starts_with(&format!("{FS_PREFIX}/"));
    let file = if is_fs {
        // Browsers percent-encode the path (spaces, non-ASCII): decode it as other URLs are.
        fs_url_path(&path[FS_PREFIX.len()..])
            .and_then(|absolute| checked_file(&absolute, &session.allowed_roots))
    } else {
        file_under(&config.root, &segments, &session.allowed_roots)
    };
    let with_index = |mut segments: Vec<String>| {
        segments.push("index.html".into());
        file_under(&config.root, &segments, &session.allowed_roots)
    };
    let file = match file {
        Ok(file) => Ok(file),
        // A folder: its index.html.
        Err(Refused::NotFound) if path.ends_with('/') && !is_fs => with_index(segments.clone()),
        // A page asked for without its extension (`/about`): `about.html`, then
        // `about/index.html`, before the SPA fallback (Vite's order for multi-page apps).
        Err(Refused::NotFound) if accepts_html && !is_fs => match segments.split_last() {
            Some((last, parents)) => {
                let mut as_html = parents.to_vec();
                as_html.push(format!("{last}.html"));
                match file_under(&config.root, &as_html, &session.allowed_roots) {
                    Err(Refused::NotFound) => with_index(segments.clone()),
                    found => found,
                }
            }
            None => Err(Refused::NotFound),
        },
        Err(refused) => Err(refused),
    };
    match file {
        // Pages are public (links from other sites navigate to them); what they load is not.
        Ok(file) if file.extension().is_some_and(|e| e == "html") => {
            html_page(&server, &file).await
        }
        Ok(file) if is_cross_site(headers) && !is_embeddable_asset(&file) => cross_site_refusal(),
        Ok(file) if is_stylesheet(&file) && !query.contains("raw") => {
            linked_stylesheet(&server, &path, &file)
        }
        Ok(file) => file_response(&file).await,
        Err(Refused::Forbidden) => refusal(Refused::Forbidden),
        Err(Refused::NotFound) => {
            let index = config.index_page();
            if accepts_html && index.is_file() {
                html_page(&server, &index).await
            } else {
                refusal(Refused::NotFound)
            }
        }
    }
}

/// An Angular component's replacement module (empty when there is none: Angular's runtime
/// then keeps the component as it is, as with the Angular CLI's server).
fn angular_component_update(session: &Session, query: &str) -> Response {
    let id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("c="))
        .unwrap_or_default();
    let code = session
        .plugins
        .angular
        .as_ref()
        .and_then(|angular| angular.component_update(id))
        .unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        code,
    )
        .into_response()
}

/// The audits panel's code (`@nexxo/audit/panel.js`, a code route: this server's pages only)
/// and the `/__nexxo/audits` page (refused to other sites' pages too). Both are off with
/// `audit.dev: false`.
fn audits_route(session: &Session, path: &str, headers: &HeaderMap) -> Response {
    let settings = nexxo_audit::AuditSettings::from_config(&session.config.audit);
    if !settings.dev {
        return status(
            StatusCode::NOT_FOUND,
            "404: the audits panel is off (audit.dev in nexxo.config.json)",
        );
    }
    if is_cross_site(headers) {
        return cross_site_refusal();
    }
    if path == "/__nexxo/audits" {
        let base = dev_base(&session.config);
        let page = AUDITS_PAGE_HTML.replace("%BASE%", &html_attribute(base));
        return (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            page,
        )
            .into_response();
    }
    let settings_json = serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into());
    script_response(nexxo_audit::client::dev_panel_script(&settings_json))
}

/// `text` escaped for a double-quoted HTML attribute.
fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(crate) fn refusal(refused: Refused) -> Response {
    match refused {
        Refused::Forbidden => status(
            StatusCode::FORBIDDEN,
            "403: not served (outside the served folders, or a secret such as .env, .git or a key)",
        ),
        Refused::NotFound => status(StatusCode::NOT_FOUND, "404: not found"),
    }
}

async fn file_response(file: &Path) -> Response {
    match tokio::fs::read(file).await {
        Ok(bytes) => {
            let mime = mime_guess::from_path(file).first_or_octet_stream();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_str(mime.as_ref())
                            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                    // A text or JSON file is never run as a script or applied as a stylesheet
                    // on a guessed type, so another site's page cannot load it as one.
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                Body::from(bytes),
            )
                .into_response()
        }
        Err(_) => refusal(Refused::NotFound),
    }
}

/// The page's HTML after the plugins' `transformIndexHtml` hooks (which may wait on Node).
fn transformed_page(
    session: &nexxo_dev_modules::Session,
    file: &Path,
    html: String,
) -> Result<String, nexxo_diagnostics::Diagnostic> {
    tokio::task::block_in_place(|| session.page_html(file, html))
}

/// A page: its modules compiled first (so the dependency bundle is ready), then the HTML with
/// the client, dependency and page scripts added.
async fn html_page(server: &Arc<DevServer>, file: &Path) -> Response {
    let session = server.session();
    let html = match tokio::fs::read_to_string(file).await {
        Ok(html) => html,
        Err(err) => {
            return status(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot read the page: {err}"),
            )
        }
    };
    let html = match transformed_page(&session, file, html) {
        Ok(html) => html,
        Err(error) => {
            eprintln!("{}", error.render(false));
            return status(StatusCode::INTERNAL_SERVER_ERROR, &error.render(false));
        }
    };
    let mut entries = page_entries(&session, file, &html).unwrap_or_default();
    if let Some(refresh) = &session.refresh_runtime {
        entries.retain(|e| e != refresh);
    }
    server.compile.ensure_page_modules(entries).await;
    let deps_version = match server.compile.ensure_deps().await {
        Ok((bundle, _)) => bundle.version.clone(),
        Err(error) => {
            eprintln!("{}", error.render(false));
            String::new()
        }
    };
    let base = dev_base(&session.config);
    let page_id = id_for_path(&session.config.root, file, None);
    let token = server.code_token.as_str();
    let page_script = format!("{base}@nexxo/page{page_id}.js?v={deps_version}&token={token}");
    let tags = page_tags(base, token, &deps_version, &page_script);
    // `<link href="@/app.css">`: aliases apply to the page's URLs as in the build.
    let config = &session.config;
    let aliased_url = |url: &str| {
        let target = nexxo_config::resolver::apply_alias(&config.alias, url)?;
        let target = Path::new(&target);
        (target.is_absolute() && target.is_file())
            .then(|| nexxo_dev_modules::load::asset_url(config, target))
    };
    match nexxo_html::rewrite_dev_html(&html, &tags, base, &aliased_url) {
        Ok(page) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            page,
        )
            .into_response(),
        Err(err) => status(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot rewrite the page: {err}"),
        ),
    }
}

/// `@nexxo/page/<page>.html.js`: every module the page imports statically, then `start`.
async fn page_script(server: &Arc<DevServer>, page: &str, query: &str) -> Response {
    let session = server.session();
    let config = &session.config;
    let is_map = page.ends_with(".js.map");
    let page_id = page.trim_end_matches(".map").trim_end_matches(".js");
    let segments = match url_path_segments(page_id) {
        Ok(segments) => segments,
        Err(refused) => return refusal(refused),
    };
    let file = match file_under(&config.root, &segments, &session.allowed_roots) {
        Ok(file) => file,
        Err(refused) => return refusal(refused),
    };
    let html = tokio::fs::read_to_string(&file).await.unwrap_or_default();
    let html = transformed_page(&session, &file, html).unwrap_or_default();
    let entries = match page_entries(&session, &file, &html) {
        Ok(entries) => entries,
        Err(error) => return failure_script(&error),
    };
    server.compile.ensure_modules(entries.clone()).await;
    let (bundle, changed) = match server.compile.ensure_deps().await {
        Ok(result) => result,
        Err(error) => return failure_script(&error),
    };
    // The page was served with another dependency bundle: load the page again, once.
    let requested_version = query_param(query, "v").unwrap_or("");
    if !is_map && (changed || requested_version != bundle.version) {
        return script_response("__nexxo.reload();\n".into());
    }
    let map_url = format!(
        "{}@nexxo/page{page_id}.js.map?token={}",
        dev_base(config),
        server.code_token.as_str()
    );
    let script = match server
        .compile
        .page_script(&session, page_id, &entries, &map_url)
    {
        Ok(script) => script,
        Err(error) => {
            server.overlay.error_shown();
            return failure_script(&error);
        }
    };
    if is_map {
        return ([(header::CONTENT_TYPE, "application/json")], script.map).into_response();
    }
    script_response(script.code)
}

/// `@nexxo/lazy.js?id=<module>&page=<page>`: an `import()` target and what it imports that the
/// page does not have yet, compiled on the first request.
async fn lazy_script(server: &Arc<DevServer>, query: &str, is_map: bool) -> Response {
    let params: HashMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect();
    let Some(id) = params.get("id").cloned() else {
        return status(StatusCode::BAD_REQUEST, "missing id");
    };
    if id.starts_with(DEPS_PREFIX) {
        // A package imported only through `import()`: in the dependency bundle after a reload.
        let _ = server.compile.ensure_deps().await;
        return script_response("__nexxo.reload();\n".into());
    }
    if url_path_segments(nexxo_plugins::assets::split_query(&id).0).is_err() {
        return refusal(Refused::Forbidden);
    }
    let session = server.session();
    // The id comes from the request: `/@fs/<any path>?raw` would otherwise hand any file on
    // the machine to any page as a script.
    if let Err(refused) = checked_file(
        &path_for_id(&session.config.root, &id),
        &session.allowed_roots,
    ) {
        return refusal(refused);
    }
    let page_entries_ids = match params.get("page") {
        Some(page) if !page.is_empty() => {
            let file = session.config.root.join(page.trim_start_matches('/'));
            if let Err(refused) = checked_file(&file, &session.allowed_roots) {
                return refusal(refused);
            }
            let html = tokio::fs::read_to_string(&file).await.unwrap_or_default();
            let html = transformed_page(&session, &file, html).unwrap_or_default();
            page_entries(&session, &file, &html).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    server.compile.ensure_modules(vec![id.clone()]).await;
    match server.compile.ensure_deps().await {
        Ok((_, true)) => return script_response("__nexxo.reload();\n".into()),
        Ok(_) => {}
        Err(error) => return failure_script(&error),
    }
    let map_url = format!("{}@nexxo/lazy.js.map?{query}", dev_base(&session.config));
    let script = match server.compile.lazy_script(&id, &page_entries_ids, &map_url) {
        Ok(script) => script,
        Err(error) => {
            server.overlay.error_shown();
            eprintln!("{}", error.render(false));
            return script_response(format!(
                "__nexxo.fail({});\n",
                ErrorPayload::from(&error).to_json()
            ));
        }
    };
    if is_map {
        return ([(header::CONTENT_TYPE, "application/json")], script.map).into_response();
    }
    script_response(script.code)
}

/// `@nexxo/worker.js?id=<module>&token=`: a web worker's script: the worker registry
/// (`client/worker.js`), the dependency bundle when the worker imports packages, then the
/// worker's modules (`CompileState::worker_script`). The same script runs as a module or a
/// classic worker.
async fn worker_script(server: &Arc<DevServer>, query: &str, is_map: bool) -> Response {
    let Some(id) = query_param(query, "id").map(|id| {
        percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned()
    }) else {
        return status(StatusCode::BAD_REQUEST, "missing id");
    };
    // As for lazy scripts: the id comes from the request and must name a servable file.
    if id.starts_with(DEPS_PREFIX)
        || url_path_segments(nexxo_plugins::assets::split_query(&id).0).is_err()
    {
        return refusal(Refused::Forbidden);
    }
    let session = server.session();
    if let Err(refused) = checked_file(
        &path_for_id(&session.config.root, &id),
        &session.allowed_roots,
    ) {
        return refusal(refused);
    }
    let map_url = format!("{}@nexxo/worker.js.map?{query}", dev_base(&session.config));
    let worker = match server.compile.worker_script(&id, &map_url).await {
        Ok(worker) => worker,
        Err(error) => return worker_failure(server, &error),
    };
    let deps = match server.compile.ensure_deps().await {
        Ok((bundle, _)) => bundle,
        Err(error) => return worker_failure(server, &error),
    };
    let mut prefix = format!("{WORKER_JS}\n");
    if worker.uses_packages {
        prefix.push_str(&deps.script);
        prefix.push('\n');
    }
    if is_map {
        let map = shift_index_map(&worker.script.map, prefix.matches('\n').count());
        return ([(header::CONTENT_TYPE, "application/json")], map).into_response();
    }
    script_response(prefix + &worker.script.code)
}

/// A worker whose modules do not compile: the error in the worker (it throws) and on the
/// page's overlay; saving the fix reloads the page (`FileChangeOutcome::WorkerChanged`).
fn worker_failure(server: &DevServer, error: &Diagnostic) -> Response {
    eprintln!("{}", error.render(false));
    server.overlay.error_shown();
    server.broadcast(ServerMessage::error(error));
    script_response(format!(
        "{WORKER_JS}\n__nexxo.fail({});\n",
        ErrorPayload::from(error).to_json()
    ))
}

/// A stylesheet requested by `<link rel="stylesheet">`: compiled CSS.
fn linked_stylesheet(server: &DevServer, url_path: &str, file: &Path) -> Response {
    let session = server.session();
    match compile_css_for_dev(&session.config, &session.plugins, &session.resolver, file) {
        Ok((css, compiled)) => {
            let mut files = compiled.files;
            files.push(file.to_path_buf());
            lock(&server.linked_css).insert(url_path.to_string(), files);
            clear_error_if_fixed(server, url_path);
            (
                [
                    (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                css,
            )
                .into_response()
        }
        Err(error) => {
            eprintln!("{}", error.render(false));
            // Watch the file even when it never compiled (the page loaded with it broken), so
            // saving the fix sends the `css-update` that fetches it again.
            lock(&server.linked_css)
                .entry(url_path.to_string())
                .or_insert_with(|| vec![file.to_path_buf()]);
            server.overlay.link_broken(url_path);
            server.broadcast(ServerMessage::error(&error));
            server.overlay.error_shown();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/css")],
                format!("/* {} */", error.message.replace("*/", "* /")),
            )
                .into_response()
        }
    }
}

/// After `url_path` compiled again: hides the overlay if nothing else is broken (no other
/// linked stylesheet, no module in the graph). Module errors are cleared by `hot_updates.rs` when a
/// module recompiles; a linked stylesheet is not a module, so its fix is only seen here.
fn clear_error_if_fixed(server: &DevServer, url_path: &str) {
    if server.overlay.link_fixed(url_path) {
        return;
    }
    if server.compile.has_module_error() {
        return;
    }
    if server.overlay.take_shown() {
        server.broadcast(ServerMessage::ErrorCleared);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_matched_by_whole_name() {
        let query = "id=%2Fsrc%2Fa.ts&page=&xtoken=1&token=abc";
        assert_eq!(query_param(query, "token"), Some("abc"));
        assert_eq!(query_param(query, "page"), Some(""));
        assert_eq!(query_param(query, "id"), Some("%2Fsrc%2Fa.ts"));
        assert_eq!(query_param(query, "v"), None);
    }

    #[test]
    fn only_assets_are_embeddable_by_other_sites() {
        for file in ["logo.svg", "photo.JPG", "font.woff2", "clip.mp4"] {
            assert!(is_embeddable_asset(Path::new(file)), "{file}");
        }
        for file in [
            "main.ts",
            "app.js",
            "page.css",
            "data.json",
            "index.js.map",
            "Makefile",
        ] {
            assert!(!is_embeddable_asset(Path::new(file)), "{file}");
        }
    }

    #[test]
    fn cross_site_is_what_the_browser_says() {
        let with = |sites: &[&str]| {
            let mut headers = HeaderMap::new();
            for site in sites {
                headers.append("sec-fetch-site", HeaderValue::from_str(site).unwrap());
            }
            is_cross_site(&headers)
        };
        assert!(!with(&[]));
        assert!(!with(&["same-origin"]));
        assert!(!with(&["none"]));
        assert!(with(&["same-site"]));
        assert!(with(&["cross-site"]));
        assert!(with(&["same-origin", "cross-site"]));
    }
}
