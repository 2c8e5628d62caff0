//! `nexxo preview`: serves the built `outDir` as a production server would: gzip/brotli,
//! MIME types, long cache headers for hashed files under `assetsDir`, `index.html` for unknown
//! routes (SPA), and the same `Host` check as the dev server.
//!
//! Only regular files inside outDir are served (their real paths: a symlink leading out is
//! refused), never dotfiles (`.env`, `.git/`, any name starting with a dot), and every refusal
//! is the same 404 as a missing hashed file, so the answers never tell whether a path exists.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

use crate::security::{file_under, url_path_segments, Refused};
use crate::server::refusal;
use crate::{bind, print_urls, shutdown_signal, ServeOptions};

/// The built app as the preview server sees it.
struct Dist {
    /// outDir, canonical: every file served must really be inside it.
    root: PathBuf,
    /// The URL prefix the app is served under (`/` or `/app/`).
    base: String,
    /// `assetsDir` as URL segments: content-hashed files, cached for a year, and never answered
    /// with `index.html` (which would then be cached for a year under that name).
    assets: Vec<String>,
}

/// The preview server's routes for `config`'s outDir, and the base they answer under.
fn dist_router(config: &ResolvedConfig) -> Result<(Router, String), Diagnostic> {
    let out_dir = &config.out_dir;
    let root = match out_dir.canonicalize() {
        Ok(root) if root.join("index.html").is_file() => root,
        _ => {
            return Err(Diagnostic::error(format!(
                "{} has no index.html: run `nexxo build` first",
                config.display_path(out_dir)
            )))
        }
    };
    let dist = Arc::new(Dist {
        root,
        base: nexxo_dev_modules::load::dev_base(config).to_string(),
        assets: config
            .assets_dir
            .split('/')
            // `""` or `"."`: hashed files sit at the top of outDir, beside everything else.
            .filter(|segment| !segment.is_empty() && *segment != ".")
            .map(String::from)
            .collect(),
    });
    let base = dist.base.clone();
    let router = Router::new()
        .fallback(serve_dist)
        .with_state(dist)
        .layer(CompressionLayer::new());
    Ok((router, base))
}

pub async fn preview(config: ResolvedConfig, options: ServeOptions) -> Result<(), Diagnostic> {
    let started = Instant::now();
    let (router, base) = dist_router(&config)?;
    let (listener, allowed_hosts) = bind(&options).await?;
    let app = router.layer(axum::middleware::from_fn_with_state(
        Arc::new(allowed_hosts),
        crate::server::check_host,
    ));
    print_urls(&listener, &options, &base, started, "preview");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| Diagnostic::error(format!("the preview server stopped: {err}")))
}

/// A preview server of the built app on a free loopback port, running until the returned
/// handle is dropped (`nexxo audit --browser` opens its pages).
pub struct BackgroundPreview {
    /// `http://127.0.0.1:<port><base>`.
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn preview_in_background(
    config: &ResolvedConfig,
) -> Result<BackgroundPreview, Diagnostic> {
    let (router, base) = dist_router(config)?;
    let options = ServeOptions {
        port: 0,
        host: None,
        open: false,
        debug_hmr: false,
    };
    let (listener, allowed_hosts) = bind(&options).await?;
    let port = listener
        .local_addr()
        .map_err(|err| Diagnostic::error(format!("the preview server has no address: {err}")))?
        .port();
    let app = router.layer(axum::middleware::from_fn_with_state(
        Arc::new(allowed_hosts),
        crate::server::check_host,
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(BackgroundPreview {
        url: format!("http://127.0.0.1:{port}{base}"),
        _stop: stop,
    })
}

async fn serve_dist(State(dist): State<Arc<Dist>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "405: the preview server only answers GET and HEAD",
        )
            .into_response();
    }
    let path = request.uri().path();
    let is_folder = path.ends_with('/');
    let (file, hashed) = match dist.lookup(path, is_folder) {
        Some(found) => found,
        None => return not_found(),
    };
    let mut response = match ServeFile::new(&file).try_call(request).await {
        // Gone since the lookup: the same answer as any other missing file.
        Ok(response) if response.status() == StatusCode::NOT_FOUND => return not_found(),
        Ok(response) => response.map(Body::new),
        Err(_) => return not_found(),
    };
    let cache = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The one answer for everything not served (missing, traversal, dotfile, symlink out).
fn not_found() -> Response {
    let mut response = refusal(Refused::NotFound);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

impl Dist {
    /// The file a request path is answered with, and whether it is a hashed asset; `None` for
    /// a 404.
    fn lookup(&self, url_path: &str, is_folder: bool) -> Option<(PathBuf, bool)> {
        let segments = self.segments(url_path)?;
        let hashed = !self.assets.is_empty() && segments.starts_with(&self.assets);
        match self.page_or_file(&segments, is_folder) {
            Ok(file) => Some((file, hashed)),
            // A client-side route of a single-page app, unless it names a hashed file or
            // something refused (a symlink out): those are 404s.
            Err(Refused::NotFound) if !hashed => {
                let index = self.file(&["index.html".to_string()]).ok()?;
                Some((index, false))
            }
            Err(_) => None,
        }
    }

    /// The URL path below `base` as decoded segments; `None` outside `base`, for traversal
    /// (`..` plain or encoded, backslashes, NUL, drive names) and for dotfiles.
    fn segments(&self, url_path: &str) -> Option<Vec<String>> {
        let below_base = match url_path.strip_prefix(&self.base) {
            Some(rest) => rest,
            None if url_path == self.base.trim_end_matches('/') => "",
            None => return None,
        };
        let segments = url_path_segments(below_base).ok()?;
        (!segments.iter().any(|segment| is_hidden_name(segment))).then_some(segments)
    }

    /// The file `segments` name, or the page they name as the dev server finds it: a folder's
    /// `index.html`, `/about` as `about.html` then `about/index.html`.
    fn page_or_file(&self, segments: &[String], is_folder: bool) -> Result<PathBuf, Refused> {
        let folder_index = || {
            let mut index = segments.to_vec();
            index.push("index.html".to_string());
            self.file(&index)
        };
        match self.file(segments) {
            Err(Refused::NotFound) if is_folder => folder_index(),
            Err(Refused::NotFound) => match segments.split_last() {
                Some((last, parents)) => {
                    let mut page = parents.to_vec();
                    page.push(format!("{last}.html"));
                    match self.file(&page) {
                        Err(Refused::NotFound) => folder_index(),
                        found => found,
                    }
                }
                None => folder_index(),
            },
            found => found,
        }
    }

    /// A regular file inside outDir by its real path, not a dotfile or a secret there either
    /// (a harmless name may be a symlink to `.env`).
    fn file(&self, segments: &[String]) -> Result<PathBuf, Refused> {
        let file = file_under(&self.root, segments, std::slice::from_ref(&self.root))?;
        if has_dotfile_name(file.strip_prefix(&self.root).unwrap_or(&file)) {
            return Err(Refused::Forbidden);
        }
        Ok(file)
    }
}

fn has_dotfile_name(relative: &Path) -> bool {
    relative.components().any(|component| {
        matches!(component, Component::Normal(name) if is_hidden_name(&name.to_string_lossy()))
    })
}

/// A dotfile or dot-folder name, which preview never serves; `.well-known/` (RFC 8615: a
/// site's `security.txt`, app links) is the one public dot-folder.
fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') && name != ".well-known"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// outDir with an app, a hashed asset, dotfiles, a multi-page layout and symlinks.
    fn dist(base: &str) -> (tempfile::TempDir, Dist) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dist");
        let write = |name: &str, text: &str| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("index.html", "<p>app");
        write("assets/index-abc123.js", "code");
        write(".env", "SECRET=1");
        write(".nexxo-output", "{}");
        write(".git/config", "[core]");
        write(".well-known/x.txt", "x");
        write("about/index.html", "<p>about");
        write("contact.html", "<p>contact");
        std::fs::write(dir.path().join("outside.txt"), "TOP-SECRET").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(dir.path().join("outside.txt"), root.join("leak.txt")).unwrap();
            symlink(dir.path(), root.join("assets/up")).unwrap();
            symlink(root.join(".nexxo-output"), root.join("output.json")).unwrap();
            symlink(root.join("contact.html"), root.join("contact-link.html")).unwrap();
        }
        let dist = Dist {
            root: root.canonicalize().unwrap(),
            base: base.to_string(),
            assets: vec!["assets".to_string()],
        };
        (dir, dist)
    }

    fn served(dist: &Dist, path: &str) -> Option<(String, bool)> {
        let (file, hashed) = dist.lookup(path, path.ends_with('/'))?;
        let relative = file.strip_prefix(&dist.root).unwrap();
        Some((relative.to_string_lossy().into_owned(), hashed))
    }

    #[test]
    fn files_pages_and_the_spa_fallback() {
        let (_dir, dist) = dist("/");
        let index = Some(("index.html".to_string(), false));
        assert_eq!(served(&dist, "/"), index);
        assert_eq!(
            served(&dist, "/assets/index-abc123.js"),
            Some(("assets/index-abc123.js".to_string(), true))
        );
        assert_eq!(served(&dist, "/deep/client/route"), index);
        assert_eq!(
            served(&dist, "/about"),
            Some(("about/index.html".to_string(), false))
        );
        assert_eq!(
            served(&dist, "/about/"),
            Some(("about/index.html".to_string(), false))
        );
        assert_eq!(
            served(&dist, "/contact"),
            Some(("contact.html".to_string(), false))
        );
        #[cfg(unix)]
        assert_eq!(
            served(&dist, "/contact-link.html"),
            Some(("contact.html".to_string(), false)),
            "a symlink staying inside outDir is served"
        );
    }

    #[test]
    fn missing_hashed_files_dotfiles_traversal_and_symlinks_out_are_404() {
        let (_dir, dist) = dist("/");
        for path in [
            "/assets/index-000000.js",
            "/assets/..%2f..%2fetc%2fpasswd",
            "/assets/../index.html",
            "/%2e%2e/outside.txt",
            "/..%2foutside.txt",
            "/a%5c..%5c..%5coutside.txt",
            "/index.html%00.js",
            "/C:/Windows/win.ini",
            "/.env",
            "/%2Eenv",
            "/.nexxo-output",
            "/.git/config",
            "/.git/",
            "/about/.hidden",
            "/leak.txt",
            "/assets/up/outside.txt",
            "/output.json",
        ] {
            assert_eq!(served(&dist, path), None, "{path}");
        }
    }

    #[test]
    fn base_prefix() {
        let (_dir, dist) = dist("/app/");
        let index = Some(("index.html".to_string(), false));
        assert_eq!(served(&dist, "/app/"), index);
        assert_eq!(served(&dist, "/app"), index);
        assert_eq!(served(&dist, "/app/route"), index);
        assert_eq!(
            served(&dist, "/app/assets/index-abc123.js"),
            Some(("assets/index-abc123.js".to_string(), true))
        );
        assert_eq!(served(&dist, "/assets/index-abc123.js"), None);
        // The one public dot-folder (RFC 8615).
        assert!(served(&dist, "/app/.well-known/x.txt").is_some());
        assert_eq!(served(&dist, "/application"), None);
        assert_eq!(served(&dist, "/app/.env"), None);
    }

    #[test]
    fn assets_at_the_top_of_out_dir() {
        let (_dir, mut dist) = dist("/");
        dist.assets = Vec::new();
        assert_eq!(
            served(&dist, "/route"),
            Some(("index.html".to_string(), false))
        );
        assert_eq!(
            served(&dist, "/assets/index-abc123.js"),
            Some(("assets/index-abc123.js".to_string(), false))
        );
    }
}
