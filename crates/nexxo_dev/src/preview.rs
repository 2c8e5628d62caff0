//! `nexxo preview`: serves the built `outDir` as a production server would: gzip/brotli,
//! MIME types, long cache headers for hashed files under `assetsDir`, `index.html` for unknown
//! routes (SPA), and the same `Host` check as the dev server.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::{bind, print_urls, shutdown_signal, ServeOptions};

pub async fn preview(config: ResolvedConfig, options: ServeOptions) -> Result<(), Diagnostic> {
    let started = Instant::now();
    let out_dir = config.out_dir.clone();
    if !out_dir.join("index.html").is_file() {
        return Err(Diagnostic::error(format!(
            "{} has no index.html: run `nexxo build` first",
            config.display_path(&out_dir)
        )));
    }
    let base = crate::load::dev_base(&config).to_string();
    let (listener, allowed_hosts) = bind(&options).await?;
    let files = ServeDir::new(&out_dir)
        .append_index_html_on_directories(true)
        .fallback(ServeFile::new(out_dir.join("index.html")));
    let hashed_prefix = format!("{base}{}/", config.assets_dir.trim_matches('/'));
    let (served_dir, base_len) = (out_dir.clone(), base.len());
    let cache_headers = axum::middleware::from_fn(move |request: Request, next: Next| {
        let path = request.uri().path();
        let hashed = path.starts_with(&hashed_prefix);
        // A missing hashed file is a 404, never `index.html` (which would be cached for a
        // year under that name).
        let missing = hashed && {
            let relative = percent_encoding::percent_decode_str(&path[base_len..])
                .decode_utf8_lossy()
                .into_owned();
            !served_dir.join(relative).is_file()
        };
        async move {
            if missing {
                return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
            }
            let mut response: Response = next.run(request).await;
            let value = if hashed {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
            response
        }
    });
    let router = if base == "/" {
        Router::new().fallback_service(files)
    } else {
        Router::new().nest_service(base.trim_end_matches('/'), files)
    };
    let app = router
        .layer(cache_headers)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed_hosts),
            crate::server::check_host,
        ));
    print_urls(&listener, &options, &base, started, "preview");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| Diagnostic::error(format!("the preview server stopped: {err}")))
}
