//! Files whose content must never leave the project: not served by the dev server or preview,
//! not copied from `public/` into a build. Vite's `server.fs.deny` defaults, plus private keys.

use std::path::{Component, Path};

/// Whether `path` (relative to the folder it is served or copied from) names a secret: `.env`
/// and `.env.*`, anything in a `.git` folder, `*.pem`, `*.crt`, `*.key`. Names are compared
/// without case: macOS and Windows file systems ignore it.
pub fn is_secret(path: &Path) -> bool {
    let mut names = path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(name.to_string_lossy().to_ascii_lowercase()),
        _ => None,
    });
    let last = names.next_back();
    let in_git = names.any(|name| name == ".git");
    let Some(file) = last else {
        return false;
    };
    in_git
        || file == ".git"
        || file == ".env"
        || file.starts_with(".env.")
        || [".pem", ".crt", ".key"]
            .iter()
            .any(|extension| file.ends_with(extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_named_by_vites_deny_list() {
        for secret in [
            ".env",
            ".ENV.local",
            "a/.git/config",
            ".git",
            "k/site.PEM",
            "x.key",
        ] {
            assert!(is_secret(Path::new(secret)), "{secret}");
        }
        for plain in ["env.ts", ".envrc.md", "git/a", "keys.json", "a/b.css"] {
            assert!(!is_secret(Path::new(plain)), "{plain}");
        }
    }
}
