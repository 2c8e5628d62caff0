//! What the servers refuse: requests for files outside the allowed roots (`..`, percent-encoded
//! dots, absolute paths, symlinks leading out), secrets inside them (`.env`, `.git`, keys and
//! certificates, as Vite's `server.fs.deny`), foreign `Host`/`Origin` headers (DNS
//! rebinding, other sites' pages opening the WebSocket), and other sites' pages loading the
//! project's code as scripts (`Sec-Fetch-Site` and the per-server [`CodeToken`]).

use std::fmt::Write;
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
///
/// Colons are allowed elsewhere (client routes such as `/t/12:30`): on Unix they are ordinary
/// file-name characters. Windows reads `name:stream` as an alternate data stream (a way around
/// the secret-file rules, `.env::$DATA`) and `C:x` as a drive-relative path, so there any colon
/// is refused.
pub fn url_path_segments(url_path: &str) -> Result<Vec<String>, Refused> {
    let decoded = percent_decode_str(url_path)
        .decode_utf8()
        .map_err(|_| Refused::Forbidden)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refused::Forbidden);
    }
    let mut segments: Vec<String> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Refused::Forbidden),
            s if segments.is_empty() && is_drive_like(s) => return Err(Refused::Forbidden),
            s if cfg!(windows) && s.contains(':') => return Err(Refused::Forbidden),
            s => segments.push(s.to_string()),
        }
    }
    Ok(segments)
}

/// `C:` or `C:anything`: a Windows drive, whatever platform the server runs on (a URL naming
/// one is never a page of the app).
fn is_drive_like(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// The absolute path an `/@fs/<path>` URL names (`rest` is what follows `/@fs`), decoded, with
/// the same refusals as [`url_path_segments`].
pub fn fs_url_path(rest: &str) -> Result<PathBuf, Refused> {
    let segments = url_path_segments(rest)?;
    let mut path = PathBuf::from("/");
    for segment in &segments {
        push_segment(&mut path, segment)?;
    }
    Ok(path)
}

/// Appends one URL segment; refuses one that is not a single plain file name on this platform
/// (a root, prefix or `..` would make `push` replace or leave the path instead of extending it).
fn push_segment(path: &mut PathBuf, segment: &str) -> Result<(), Refused> {
    let mut components = Path::new(segment).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(name)), None) if name == segment => {
            path.push(segment);
            Ok(())
        }
        _ => Err(Refused::Forbidden),
    }
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
        push_segment(&mut path, segment)?;
    }
    checked_file(&path, allowed)
}

/// `path` canonicalized, if it is a file inside one of `allowed` and not a secret. Every route
/// that serves or compiles a file by a request's path goes through here.
pub fn checked_file(path: &Path, allowed: &[PathBuf]) -> Result<PathBuf, Refused> {
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Refused::Forbidden);
    }
    // The name asked for (a symlink called `.env`) and the file it leads to (`notes.txt` linking
    // to `.env`) must both pass. Only the part below an allowed root is checked, so a project
    // that happens to live under a folder named like a secret still works.
    if is_secret(below_allowed_root(path, allowed)) {
        return Err(Refused::Forbidden);
    }
    let canonical = path.canonicalize().map_err(|_| Refused::NotFound)?;
    let Some(root) = allowed.iter().find(|root| canonical.starts_with(root)) else {
        return Err(Refused::Forbidden);
    };
    if is_secret(canonical.strip_prefix(root).unwrap_or(&canonical)) {
        return Err(Refused::Forbidden);
    }
    if !canonical.is_file() {
        return Err(Refused::NotFound);
    }
    Ok(canonical)
}

/// `path` relative to the allowed root it is written under, or all of it when it is written
/// through another path (a symlinked parent: the canonical check covers the rest).
fn below_allowed_root<'p>(path: &'p Path, allowed: &[PathBuf]) -> &'p Path {
    allowed
        .iter()
        .find_map(|root| path.strip_prefix(root).ok())
        .unwrap_or(path)
}

/// Files no page needs and whose content must not reach one (Vite's `server.fs.deny`
/// defaults, plus private keys), shared with the build's `public/` copy.
pub use nexxo_config::deny::is_secret;

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
    name_allowed(&host, allowed)
}

/// Whether `host` (lowercase, no port) is one of the names given with `--host` (`.example.com`
/// allows its subdomains too).
fn name_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|name| {
        let name = name.to_ascii_lowercase();
        match name.strip_prefix('.') {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == name,
        }
    })
}

/// Whether a WebSocket `Origin` is a page of this server: the same host and port as the
/// request's `Host` header (which [`host_allowed`] accepted), or a name the user allowed with
/// `--host` on the server's own `port`. Anything else, an IP literal or `localhost` on another
/// port included, is another site: its pages must not read hot updates (whole source files).
///
/// A request without `Origin` is not judged here: browsers always send one on WebSocket
/// handshakes, and a client that is not a browser can write any `Origin` it likes, so refusing
/// those would protect nothing (such a client can fetch the same sources over plain HTTP).
pub fn origin_allowed(origin: &str, host_header: &str, allowed: &[String], port: u16) -> bool {
    let (default_port, authority) = if let Some(rest) = origin.strip_prefix("http://") {
        (80, rest)
    } else if let Some(rest) = origin.strip_prefix("https://") {
        (443, rest)
    } else {
        // `null` (sandboxed frames, `file:` pages) or another scheme: never this server.
        return false;
    };
    let Some((origin_host, origin_port)) = split_authority(authority) else {
        return false;
    };
    let origin_port = origin_port.unwrap_or(default_port);
    if let Some((host, host_port)) = split_authority(host_header) {
        // A `Host` without a port means the scheme's default one, as in the `Origin`.
        if host == origin_host && host_port.unwrap_or(default_port) == origin_port {
            return true;
        }
    }
    origin_port == port && name_allowed(&origin_host, allowed)
}

/// `host[:port]` (an `Origin` without its scheme, or a `Host` header) as a lowercase host and
/// its port; `None` when it is not a bare authority (paths, user info, empty host, bad port).
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => (host, None),
            rest => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Whether a request's `Sec-Fetch-Site` value lets it have the project's code: only the
/// server's own pages (`same-origin`) and the user typing or bookmarking the URL (`none`).
/// `same-site` is refused too: every port of `localhost` is the same site, so any other local
/// server's page would otherwise read this one's sources.
pub fn fetch_site_allowed(sec_fetch_site: &str) -> bool {
    matches!(sec_fetch_site, "same-origin" | "none")
}

/// A random secret made when the server starts, carried in the URLs of the scripts that hold
/// the project's code. The HTML pages that embed those URLs can only be read by the server's
/// own origin, so another site's page cannot name the scripts, even in a browser that sends no
/// `Sec-Fetch-Site` (older browsers, and plain-HTTP hosts other than loopback).
pub struct CodeToken(String);

impl CodeToken {
    /// 128 bits from the operating system's secure random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        let hex = bytes
            .iter()
            .fold(String::with_capacity(32), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            });
        Ok(Self(hex))
    }

    /// The token as written in URLs (hex, so it never needs escaping).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the token; takes the same time whichever byte differs, so the
    /// answer's timing does not reveal how much of a guess was right.
    pub fn matches(&self, candidate: &str) -> bool {
        let (expected, candidate) = (self.0.as_bytes(), candidate.as_bytes());
        expected.len() == candidate.len()
            && expected
                .iter()
                .zip(candidate)
                .fold(0u8, |differences, (a, b)| differences | (a ^ b))
                == 0
    }
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
            url_path_segments("/%43%3A/Windows"),
            Err(Refused::Forbidden)
        );
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
    fn only_same_origin_and_direct_requests_get_code() {
        assert!(fetch_site_allowed("same-origin"));
        assert!(fetch_site_allowed("none"));
        for site in [
            "same-site",
            "cross-site",
            "",
            "Same-Origin",
            "same-origin, none",
        ] {
            assert!(!fetch_site_allowed(site), "{site}");
        }
    }

    #[test]
    fn code_tokens_are_random_and_compared_whole() {
        let token = CodeToken::generate().unwrap();
        let other = CodeToken::generate().unwrap();
        assert_eq!(token.as_str().len(), 32);
        assert!(token.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(token.as_str(), other.as_str());
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(other.as_str()));
        assert!(!token.matches(""));
        assert!(!token.matches(&token.as_str()[..31]));
        assert!(!token.matches(&format!("{}0", token.as_str())));
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
    }

    #[test]
    fn origins_must_be_this_server() {
        let allowed = vec!["dev.example.com".to_string(), ".corp.test".to_string()];
        let ok = |origin: &str, host: &str| origin_allowed(origin, host, &allowed, 5173);
        // Same origin as the request's Host.
        assert!(ok("http://localhost:5173", "localhost:5173"));
        assert!(ok("http://LOCALHOST:5173", "localhost:5173"));
        assert!(ok("http://127.0.0.1:5173", "127.0.0.1:5173"));
        assert!(ok("http://[::1]:5173", "[::1]:5173"));
        assert!(ok("http://192.168.1.20:5173", "192.168.1.20:5173"));
        // Behind a proxy on the default port: no port on either side.
        assert!(ok("https://dev.example.com", "dev.example.com"));
        assert!(ok("http://localhost", "localhost"));
        // A name allowed with --host, on the server's port (the Host may be a loopback name).
        assert!(ok("http://dev.example.com:5173", "localhost:5173"));
        assert!(ok("http://a.corp.test:5173", "127.0.0.1:5173"));

        // Other sites: IP literals, other ports, other names, odd values.
        assert!(!ok("http://203.0.113.5", "localhost:5173"));
        assert!(!ok("http://203.0.113.5:5173", "localhost:5173"));
        assert!(!ok("http://127.0.0.1:8080", "127.0.0.1:5173"));
        assert!(!ok("http://localhost:3000", "localhost:5173"));
        assert!(!ok("http://localhost", "localhost:5173"));
        assert!(!ok("http://[::1]:8080", "[::1]:5173"));
        assert!(!ok("http://evil.com:5173", "localhost:5173"));
        assert!(!ok("http://dev.example.com:8080", "localhost:5173"));
        assert!(!ok("http://localhost.evil.com:5173", "localhost:5173"));
        assert!(!ok("null", "localhost:5173"));
        assert!(!ok("file://", "localhost:5173"));
        assert!(!ok("http://localhost:5173/x", "localhost:5173"));
        assert!(!ok("http://evil.com@localhost:5173", "localhost:5173"));
        assert!(!ok("http://localhost:99999", "localhost:5173"));
        assert!(!ok("http://:5173", ":5173"));
        assert!(!ok("http://localhost:5173", ""));
    }

    #[test]
    fn colons_are_allowed_outside_drive_prefixes() {
        #[cfg(not(windows))]
        {
            assert_eq!(url_path_segments("/t/12:30").unwrap(), ["t", "12:30"]);
            assert_eq!(url_path_segments("/t/a%3Ab").unwrap(), ["t", "a:b"]);
            // Not a drive once under another segment: a plain name on Unix, still inside root.
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().canonicalize().unwrap();
            std::fs::create_dir_all(root.join("t")).unwrap();
            std::fs::write(root.join("t/12:30"), "x").unwrap();
            let allowed = [root.clone()];
            let segments = url_path_segments("/t/12:30").unwrap();
            assert_eq!(
                file_under(&root, &segments, &allowed),
                Ok(root.join("t/12:30"))
            );
            assert_eq!(
                file_under(&root, &["C:".into(), "x".into()], &allowed),
                Err(Refused::NotFound)
            );
        }
        assert_eq!(url_path_segments("/c:"), Err(Refused::Forbidden));
        assert_eq!(url_path_segments("/D:x/y"), Err(Refused::Forbidden));
        // Segments that are not one plain name never reach `push`.
        let root = PathBuf::from("/srv/app");
        assert_eq!(
            file_under(&root, &["/etc".into()], std::slice::from_ref(&root)),
            Err(Refused::Forbidden)
        );
        assert_eq!(
            file_under(&root, &["..".into()], std::slice::from_ref(&root)),
            Err(Refused::Forbidden)
        );
    }

    #[test]
    fn fs_urls_are_decoded() {
        assert_eq!(
            fs_url_path("/home/me/my%20app/caf%C3%A9.png").unwrap(),
            PathBuf::from("/home/me/my app/café.png")
        );
        assert_eq!(
            fs_url_path("/home/%2e%2e/etc/passwd"),
            Err(Refused::Forbidden)
        );
        assert_eq!(fs_url_path("/home/..%2Fetc"), Err(Refused::Forbidden));
        assert_eq!(fs_url_path("/a%00b"), Err(Refused::Forbidden));
    }

    #[test]
    fn secrets_are_refused() {
        for secret in [
            ".env",
            ".env.local",
            ".ENV.production.local",
            "sub/.env",
            ".git/config",
            "pkg/.git/HEAD",
            ".git",
            "certs/server.pem",
            "server.crt",
            "tls/private.KEY",
        ] {
            assert!(is_secret(Path::new(secret)), "{secret}");
        }
        for fine in [
            "src/env.ts",
            ".envrc.ts",
            "src/.environment",
            "docs/git/x.md",
            ".github/workflows/ci.yml",
            "src/keys.ts",
            "a.pem.txt",
        ] {
            assert!(!is_secret(Path::new(fine)), "{fine}");
        }

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/config"), "[core]").unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        std::fs::write(root.join(".env.local"), "SECRET=1").unwrap();
        std::fs::write(root.join("key.pem"), "-----").unwrap();
        std::fs::write(root.join("notes.txt"), "ok").unwrap();
        let allowed = [root.clone()];
        let get = |path: &str| file_under(&root, &url_path_segments(path).unwrap(), &allowed);
        for path in [
            "/.env",
            "/.env.local",
            "/.git/config",
            "/key.pem",
            "/%2Eenv",
        ] {
            assert_eq!(get(path), Err(Refused::Forbidden), "{path}");
        }
        assert!(get("/notes.txt").is_ok());
        assert_eq!(
            checked_file(&root.join(".env"), &allowed),
            Err(Refused::Forbidden)
        );
        #[cfg(unix)]
        {
            // Through a harmless name, or a secret name leading to a harmless file.
            std::os::unix::fs::symlink(root.join(".env"), root.join("env.txt")).unwrap();
            std::os::unix::fs::symlink(root.join("notes.txt"), root.join(".env.test")).unwrap();
            assert_eq!(get("/env.txt"), Err(Refused::Forbidden));
            assert_eq!(get("/.env.test"), Err(Refused::Forbidden));
            // A project below a folder named like a secret is still served.
            let nested = root.join(".git/worktree-app");
            std::fs::create_dir_all(&nested).unwrap();
            std::fs::write(nested.join("index.html"), "<p>").unwrap();
            assert!(file_under(
                &nested,
                &["index.html".into()],
                std::slice::from_ref(&nested)
            )
            .is_ok());
        }
    }
}
