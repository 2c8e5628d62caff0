//! What the servers refuse: requests for files outside the allowed roots (`..`, percent-encoded
//! dots, absolute paths, symlinks leading out), and foreign `Host`/`Origin` headers (DNS
//! rebinding, other sites' pages opening the WebSocket).

use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Why a URL path cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The path tries to leave its root: 403.
    Forbidden,
    /// No such file: 404.
    NotFound,
}

/// Decodes a URL path (without query) into relative path segments, refusing `..`, backslashes,
/// NUL bytes and drive prefixes whether written plainly or percent-encoded.
pub fn url_path_segments(url_path: &str) -> Result<Vec<String>, Refused> {
    let decoded = percent_decode_str(url_path)
        .decode_utf8()
        .map_err(|_| Refused::Forbidden)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refused::Forbidden);
    }
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Refused::Forbidden),
            s if s.contains(':') => return Err(Refused::Forbidden),
            s => segments.push(s.to_string()),
        }
    }
    Ok(segments)
}

/// The file for `segments` under `root`, if it exists and, symlinks resolved, is still inside
/// one of `allowed` (canonical paths).
pub fn file_under(
    root: &Path,
    segments: &[String],
    allowed: &[PathBuf],
) -> Result<PathBuf, Refused> {
    let mut path = root.to_path_buf();
    for segment in segments {
        path.push(segment);
    }
    checked_file(&path, allowed)
}

/// `path` canonicalized, if it is a file inside one of `allowed`.
pub fn checked_file(path: &Path, allowed: &[PathBuf]) -> Result<PathBuf, Refused> {
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Refused::Forbidden);
    }
    let canonical = path.canonicalize().map_err(|_| Refused::NotFound)?;
    if !allowed.iter().any(|root| canonical.starts_with(root)) {
        return Err(Refused::Forbidden);
    }
    if !canonical.is_file() {
        return Err(Refused::NotFound);
    }
    Ok(canonical)
}

/// Whether a `Host` header names this server: loopback names, IP literals (a rebinding attack
/// needs a DNS name), and the names the user allowed.
pub fn host_allowed(host_header: &str, allowed: &[String]) -> bool {
    let host = strip_port(host_header).to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return true;
    }
    allowed.iter().any(|name| {
        let name = name.to_ascii_lowercase();
        match name.strip_prefix('.') {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == name,
        }
    })
}

/// Whether a WebSocket `Origin` is a page of this server (same host rules, http or https).
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    host_allowed(rest.trim_end_matches('/'), allowed)
}

fn strip_port(host: &str) -> &str {
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        return &host[..end + 2];
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        assert_eq!(
            url_path_segments("/src/../../etc/passwd"),
            Err(Refused::Forbidden)
        );
        assert_eq!(
            url_path_segments("/src/%2e%2e/%2E%2E/etc/passwd"),
            Err(Refused::Forbidden)
        );
        assert_eq!(
            url_path_segments("/..%2f..%2fetc/passwd"),
            Err(Refused::Forbidden)
        );
        assert_eq!(url_path_segments("/a%5c..%5cb"), Err(Refused::Forbidden));
        assert_eq!(url_path_segments("/C:/Windows"), Err(Refused::Forbidden));
        assert_eq!(
            url_path_segments("//etc/passwd").unwrap(),
            ["etc", "passwd"]
        );
        assert_eq!(
            url_path_segments("/src/a%20b.png").unwrap(),
            ["src", "a b.png"]
        );
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "x").unwrap();
        std::fs::write(root.join("ok.txt"), "y").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        let allowed = [root.canonicalize().unwrap()];
        assert!(file_under(&root, &["ok.txt".into()], &allowed).is_ok());
        #[cfg(unix)]
        assert_eq!(
            file_under(&root, &["link.txt".into()], &allowed),
            Err(Refused::Forbidden)
        );
        assert_eq!(
            file_under(&root, &["none".into()], &allowed),
            Err(Refused::NotFound)
        );
    }

    #[test]
    fn hosts_and_origins() {
        let allowed = vec!["dev.example.com".to_string(), ".corp.test".to_string()];
        for host in [
            "localhost:5173",
            "127.0.0.1:5173",
            "[::1]:5173",
            "app.localhost",
            "dev.example.com",
            "a.corp.test",
        ] {
            assert!(host_allowed(host, &allowed), "{host}");
        }
        for host in ["evil.com", "localhost.evil.com:5173", "example.com"] {
            assert!(!host_allowed(host, &allowed), "{host}");
        }
        assert!(origin_allowed("http://localhost:5173", &allowed));
        assert!(!origin_allowed("http://evil.com", &allowed));
        assert!(!origin_allowed("null", &allowed));
    }
}
