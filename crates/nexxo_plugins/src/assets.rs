//! Imported files that are not code: images, fonts, media, `.wasm`… become hashed files under
//! `assets/` (or data URLs below `build.assetsInlineLimit`) and the import gives their URL.
//! This file holds the rules both drivers share (which imports are assets, query flags) and the
//! build's file emitter; the loader itself is `modules::AssetModules`.
//! Query suffixes work as in Vite: `?url` (the URL of any file), `?raw` (its text as a string)
//! and `?inline` (always a data URL).

use std::path::Path;

use rolldown_common::{EmittedAsset, StrOrBytes};
use rolldown_plugin::PluginContext;

use crate::asset_url::AssetUrls;

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

/// Classifies a module id; `None` means "not an asset import, leave it to rolldown".
pub fn classify(id: &str) -> Option<AssetImport> {
    let (path, query) = split_query(id);
    if has_query_flag(query, "raw") {
        return Some(AssetImport::Raw);
    }
    if has_query_flag(query, "inline") {
        return Some(AssetImport::Inline);
    }
    if has_query_flag(query, "url") {
        return Some(AssetImport::Url);
    }
    let extension = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    ASSET_EXTENSIONS
        .contains(&extension.as_str())
        .then_some(AssetImport::Url)
}

/// Emits `path`'s bytes as an asset file and returns its output file name.
pub fn emit_asset_file(
    ctx: &PluginContext,
    urls: &AssetUrls,
    path: &Path,
    bytes: Vec<u8>,
) -> anyhow::Result<String> {
    let file_name = urls.file_name(path, &bytes);
    let original = path
        .strip_prefix(ctx.cwd())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    emit_named_file(ctx, &file_name, Some(original), StrOrBytes::Bytes(bytes))?;
    Ok(file_name)
}

/// Emits a file under the exact output name Nexxo chose (see [`AssetUrls::file_name`]).
pub fn emit_named_file(
    ctx: &PluginContext,
    file_name: &str,
    original_file_name: Option<String>,
    source: StrOrBytes,
) -> anyhow::Result<()> {
    ctx.emit_file(
        EmittedAsset {
            name: file_name.rsplit('/').next().map(str::to_string),
            original_file_name,
            file_name: Some(file_name.into()),
            source,
        },
        None,
        None,
    )?;
    Ok(())
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
    }
}
