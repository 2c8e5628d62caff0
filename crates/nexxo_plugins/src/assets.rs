//! Imported files that are not code: images, fonts, media, `.wasm`… become hashed files under
//! `assets/` (or data URLs below `build.assetsInlineLimit`) and the import gives their URL.
//! The rules both drivers share (which imports are assets, query flags) are
//! `nexxo_pipeline::ids`, the loader is `nexxo_pipeline::plugins::AssetModules`; this file holds
//! the build's file emitter.
//! Query suffixes work as in Vite: `?url` (the URL of any file), `?raw` (its text as a string)
//! and `?inline` (always a data URL).

use std::path::Path;

use rolldown_common::{EmittedAsset, StrOrBytes};
use rolldown_plugin::PluginContext;

use crate::asset_url::AssetUrls;

pub use nexxo_pipeline::ids::{
    classify, has_query_flag, split_query, AssetImport, ASSET_EXTENSIONS,
};

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
