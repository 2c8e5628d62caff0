//! Nexxo's build features as rolldown plugins, one plugin per feature (as in Vite):
//!
//! - [`html_entry`]: HTML pages as entries (module scripts in, rewritten HTML out).
//! - [`assets`]: imported files as hashed URLs or data URLs, and the `?url`/`?raw`/`?inline`
//!   queries.
//! - [`css_gate`]: a clear error for stylesheets until the CSS stage lands.
//!
//! Env variables, `define` and aliases need no plugin: the build hands them to rolldown as data.

pub mod asset_url;
pub mod assets;
pub mod css_gate;
pub mod html_entry;

use std::sync::Arc;

use rolldown_plugin::__inner::SharedPluginable;

pub use asset_url::AssetUrls;
pub use css_gate::CssGatePlugin;
pub use html_entry::{HtmlEntryPlugin, HtmlPage, PageScript};

/// The plugins of an app build, in hook order. The CSS gate is passed in so the build can read
/// what it found afterwards.
pub fn app_plugins(
    css_gate: Arc<CssGatePlugin>,
    asset_urls: Arc<AssetUrls>,
    pages: Vec<HtmlPage>,
) -> Vec<SharedPluginable> {
    vec![
        css_gate,
        Arc::new(html_entry::HtmlEntryPlugin::new(pages, asset_urls.clone())),
        Arc::new(assets::AssetPlugin::new(asset_urls)),
    ]
}

/// The plugins of a library build: no HTML, assets always inlined (as Vite's library mode does,
/// so the library is one self-contained file per format).
pub fn lib_plugins(
    css_gate: Arc<CssGatePlugin>,
    asset_urls: Arc<AssetUrls>,
) -> Vec<SharedPluginable> {
    vec![css_gate, Arc::new(assets::AssetPlugin::new(asset_urls))]
}
