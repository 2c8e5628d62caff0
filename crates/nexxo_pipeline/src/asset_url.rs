//! Naming and addressing of emitted asset files.
//!
//! An asset's output name is `assets/<stem>-<hash><ext>`, where the hash is taken from its bytes
//! only, so the same file gets the same name on every machine and path (rolldown's own reference
//! ids depend on load order, which varies between runs). Both the asset plugin and the HTML
//! plugin name files here, so a file referenced from JS and from HTML is emitted once.

use std::path::Path;

pub use crate::ids::{data_url, js_string};

use base64::Engine as _;

/// How asset URLs are written for one build.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    /// Public base path: `/`, `/app/`, `https://cdn/…/`, or `./` for relative URLs.
    pub base: String,
    /// Folder under outDir for chunks and assets.
    pub assets_dir: String,
    /// Files smaller than this many bytes become data URLs in JS imports.
    pub inline_limit: u64,
    /// Library builds inline every asset.
    pub always_inline: bool,
}

impl AssetUrls {
    /// Output file name (relative to outDir) for a file with these bytes.
    pub fn file_name(&self, path: &Path, bytes: &[u8]) -> String {
        let stem = path
            .file_stem()
            .map_or("asset".into(), |s| s.to_string_lossy().into_owned());
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._@-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let extension = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        format!(
            "{}/{stem}-{}{extension}",
            self.assets_dir,
            content_hash(bytes)
        )
    }

    /// Whether an import of a file of this size becomes a data URL.
    pub fn should_inline(&self, size: usize) -> bool {
        self.always_inline || (size as u64) < self.inline_limit
    }

    /// A JS expression giving the URL of an emitted file, as seen from a chunk in `assets_dir`.
    pub fn js_url_expression(&self, file_name: &str) -> String {
        if self.base == "./" {
            // A relative base: resolve against the chunk's own URL.
            let relative = relative_url(&self.assets_dir, file_name);
            format!("new URL({}, import.meta.url).href", js_string(&relative))
        } else {
            js_string(&format!("{}{file_name}", self.base))
        }
    }

    /// The URL of a file in outDir as written in an HTML page at `page_name` (relative to outDir).
    pub fn html_url(&self, page_name: &str, file_name: &str) -> String {
        let page_dir = page_name.rsplit_once('/').map_or("", |(dir, _)| dir);
        self.url_from(page_dir, file_name)
    }

    /// The URL of a file in outDir as written in a CSS file, which lives in `assets_dir`.
    pub fn css_url(&self, file_name: &str) -> String {
        self.url_from(&self.assets_dir, file_name)
    }

    /// `file_name` (relative to outDir) as written in a file in `from_dir`: base-prefixed, or
    /// relative to `from_dir` when the base is `./`.
    fn url_from(&self, from_dir: &str, file_name: &str) -> String {
        if self.base == "./" {
            relative_url(from_dir, file_name)
        } else {
            format!("{}{file_name}", self.base)
        }
    }
}

/// The relative URL from folder `from_dir` to `file_name`, both relative to outDir
/// (`assets`, `assets/a.png` → `./a.png`; `docs`, `assets/a.png` → `../assets/a.png`).
fn relative_url(from_dir: &str, file_name: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = file_name.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = from.len() - common;
    let prefix = if ups == 0 {
        "./".to_string()
    } else {
        "../".repeat(ups)
    };
    format!("{prefix}{}", to[common..].join("/"))
}

/// 8 URL-safe characters from a 128-bit hash of the bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes();
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    encoded[..8].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(base: &str) -> AssetUrls {
        AssetUrls {
            base: base.into(),
            assets_dir: "assets".into(),
            inline_limit: 4096,
            always_inline: false,
        }
    }

    #[test]
    fn names_depend_on_content_only() {
        let a = urls("/").file_name(Path::new("/x/logo.png"), b"abc");
        let b = urls("/").file_name(Path::new("/elsewhere/logo.png"), b"abc");
        let c = urls("/").file_name(Path::new("/x/logo.png"), b"abd");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("assets/logo-") && a.ends_with(".png"), "{a}");
    }

    #[test]
    fn urls_follow_base() {
        assert_eq!(
            urls("/app/").js_url_expression("assets/a.png"),
            "\"/app/assets/a.png\""
        );
        assert_eq!(
            urls("./").js_url_expression("assets/a.png"),
            "new URL(\"./a.png\", import.meta.url).href"
        );
        assert_eq!(
            urls("./").html_url("nested/page.html", "assets/a.png"),
            "../assets/a.png"
        );
        assert_eq!(
            urls("./").html_url("index.html", "assets/a.png"),
            "./assets/a.png"
        );
        assert_eq!(urls("./").css_url("assets/a.png"), "./a.png");
        assert_eq!(urls("./").css_url("favicon.svg"), "../favicon.svg");
        assert_eq!(urls("/app/").css_url("favicon.svg"), "/app/favicon.svg");
    }
}
