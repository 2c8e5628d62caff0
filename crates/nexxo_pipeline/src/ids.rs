//! Module ids and what their queries ask for, as in Vite: an id is an absolute path with an
//! optional `?query`; `?url`, `?raw` and `?inline` turn any file into a string export, and
//! files of the asset types are imported as their URL.

use std::path::Path;

use base64::Engine as _;

/// File extensions imported as assets (Vite's list of known asset types).
pub const ASSET_EXTENSIONS: &[&str] = &[
    "apng",
    "bmp",
    "png",
    "jpg",
    "jpeg",
    "jfif",
    "pjpeg",
    "pjp",
    "gif",
    "svg",
    "ico",
    "webp",
    "avif",
    "cur",
    "jxl",
    "mp4",
    "webm",
    "ogg",
    "mp3",
    "wav",
    "flac",
    "aac",
    "opus",
    "mov",
    "m4a",
    "vtt",
    "woff",
    "woff2",
    "eot",
    "ttf",
    "otf",
    "webmanifest",
    "pdf",
    "txt",
    "wasm",
];

/// What an import asks for, from its query suffix and extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetImport {
    /// Default export is the file's URL (or a data URL when small).
    Url,
    /// Default export is the file's text.
    Raw,
    /// Default export is a data URL.
    Inline,
}

/// Splits `id` into path and query (without the `?`).
pub fn split_query(id: &str) -> (&str, Option<&str>) {
    match id.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (id, None),
    }
}

/// Whether a query string (without `?`) holds `flag`, e.g. `raw` in `raw&lang.css`.
pub fn has_query_flag(query: Option<&str>, flag: &str) -> bool {
    query.is_some_and(|q| q.split('&').any(|part| part == flag))
}

/// The value of `key` in a query string (without `?`): `0` for `index` in `vue&index=0`.
pub fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
}

/// The lower-case extension of an id's path (query removed), without the dot.
pub fn extension(id: &str) -> Option<String> {
    let (path, _) = split_query(id);
    let name = path.rsplit('/').next()?;
    let (_, extension) = name.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

/// Classifies a module id; `None` means "not an asset import".
pub fn classify(id: &str) -> Option<AssetImport> {
    let (_, query) = split_query(id);
    if has_query_flag(query, "raw") {
        return Some(AssetImport::Raw);
    }
    if has_query_flag(query, "inline") {
        return Some(AssetImport::Inline);
    }
    if has_query_flag(query, "url") {
        return Some(AssetImport::Url);
    }
    let extension = extension(id)?;
    ASSET_EXTENSIONS
        .contains(&extension.as_str())
        .then_some(AssetImport::Url)
}

/// Whether `id` is a file inside a package (`node_modules`).
pub fn is_in_package(id: &str) -> bool {
    Path::new(split_query(id).0)
        .components()
        .any(|c| c.as_os_str() == "node_modules")
}

/// A `data:` URL for a file.
pub fn data_url(path: &Path, bytes: &[u8]) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{};base64,{encoded}", mime.essence_str())
}

/// A JS string literal.
pub fn js_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_vite_queries() {
        assert_eq!(classify("/a/logo.png"), Some(AssetImport::Url));
        assert_eq!(classify("/a/logo.PNG"), Some(AssetImport::Url));
        assert_eq!(classify("/a/main.ts?raw"), Some(AssetImport::Raw));
        assert_eq!(classify("/a/worker.js?url"), Some(AssetImport::Url));
        assert_eq!(classify("/a/logo.svg?inline"), Some(AssetImport::Inline));
        assert_eq!(classify("/a/main.ts"), None);
        assert_eq!(classify("/a/data.json"), None);
        assert_eq!(classify("/a.b/noext"), None);
    }

    #[test]
    fn extensions_ignore_queries_and_folders() {
        assert_eq!(extension("/a/b.Module.CSS?inline").as_deref(), Some("css"));
        assert_eq!(extension("/a.d/file"), None);
    }
}
