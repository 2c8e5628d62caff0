//! Imported files that are not code: images, fonts, media, `.wasm`… become hashed files under
//! `assets/` (or data URLs below `build.assetsInlineLimit`) and the import gives their URL.
//! Query suffixes work as in Vite: `?url` (the URL of any file), `?raw` (its text as a string)
//! and `?inline` (always a data URL).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use rolldown_common::side_effects::HookSideEffects;
use rolldown_common::{EmittedAsset, ModuleType, StrOrBytes};
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookUsage, Plugin, PluginContext,
    SharedLoadPluginContext,
};

use crate::asset_url::{data_url, js_string, AssetUrls};

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

#[derive(Debug)]
pub struct AssetPlugin {
    urls: Arc<AssetUrls>,
}

impl AssetPlugin {
    pub fn new(urls: Arc<AssetUrls>) -> Self {
        Self { urls }
    }

    async fn load_asset(&self, ctx: &PluginContext, id: &str, kind: AssetImport) -> HookLoadReturn {
        let (path_text, _) = split_query(id);
        let path = Path::new(path_text);
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|err| anyhow::anyhow!("cannot read imported file {path_text}: {err}"))?;
        ctx.add_watch_file(path_text);
        let expression = match kind {
            AssetImport::Raw => js_string(&String::from_utf8_lossy(&bytes)),
            AssetImport::Inline => js_string(&data_url(path, &bytes)),
            AssetImport::Url if self.urls.should_inline(bytes.len()) => {
                js_string(&data_url(path, &bytes))
            }
            AssetImport::Url => {
                let file_name = emit_asset_file(ctx, &self.urls, path, bytes)?;
                self.urls.js_url_expression(&file_name)
            }
        };
        Ok(Some(HookLoadOutput {
            code: format!("export default {expression};\n").into(),
            module_type: Some(ModuleType::Js),
            // An unused asset import must not keep the asset in the bundle.
            side_effects: Some(HookSideEffects::False),
            ..Default::default()
        }))
    }
}

impl Plugin for AssetPlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:assets")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Load
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        match classify(args.id) {
            Some(kind) => self.load_asset(&ctx, args.id, kind).await,
            None => Ok(None),
        }
    }
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
