//! Nexxo's build features as rolldown plugins, one plugin per feature (as in Vite):
//!
//! - [`html_entry`]: HTML pages as entries (module scripts and stylesheets in, rewritten HTML out).
//! - [`css`]: stylesheets through the CSS stage, per-chunk CSS files.
//! - [`assets`]: imported files as hashed URLs or data URLs, and the `?url`/`?raw`/`?inline`
//!   queries.
//!
//! Env variables, `define` and aliases need no plugin: the build hands them to rolldown as data.

pub mod asset_url;
pub mod assets;
pub mod css;
pub mod html_entry;

use std::sync::Arc;

use rolldown_plugin::__inner::SharedPluginable;

pub use asset_url::AssetUrls;
pub use css::{ChunkStyles, CssPlugin};
pub use html_entry::{HtmlEntryPlugin, HtmlPage, PageScript};

/// The plugins of an app build, in hook order: the CSS plugin claims stylesheets before the
/// asset plugin sees them. The CSS plugin is passed in so the build can read its errors.
pub fn app_plugins(
    css: Arc<CssPlugin>,
    chunk_styles: Arc<ChunkStyles>,
    asset_urls: Arc<AssetUrls>,
    pages: Vec<HtmlPage>,
) -> Vec<SharedPluginable> {
    vec![
        Arc::new(html_entry::HtmlEntryPlugin::new(
            pages,
            asset_urls.clone(),
            chunk_styles,
        )),
        css,
        Arc::new(assets::AssetPlugin::new(asset_urls)),
    ]
}

/// The plugins of a library build: no HTML, assets always inlined and CSS in one file (as Vite's
/// library mode does, so a library is one self-contained file per format plus its stylesheet).
pub fn lib_plugins(css: Arc<CssPlugin>, asset_urls: Arc<AssetUrls>) -> Vec<SharedPluginable> {
    vec![css, Arc::new(assets::AssetPlugin::new(asset_urls))]
}
