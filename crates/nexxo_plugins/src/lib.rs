//! Nexxo's features, one plugin per feature (as in Vite):
//!
//! - [`modules`]: the module plugins both drivers run (the build through rolldown's `load`
//!   hook, the dev server from its module pipeline): stylesheets, assets with
//!   `?url`/`?raw`/`?inline`, JSON.
//! - [`build_driver`]: how the build runs them (hashed assets, errors collected).
//! - [`html_entry`]: HTML pages as entries (module scripts and stylesheets in, rewritten HTML
//!   out); build only, the dev server serves pages itself.
//! - [`css`]: the build's side of stylesheets: per-chunk CSS files, lazy chunks' CSS loaders,
//!   the library `style.css`.
//! - [`assets`], [`asset_url`]: which imports are assets, and output names and URLs.
//! - [`input_guard`]: special files and over-deep scripts refused before rolldown reads them.
//! - [`asset_import_meta_url`]: `new URL('./x.png', import.meta.url)` as an emitted asset.
//! - [`root_absolute`], [`queried_files`]: Vite's `/src/x.ts` (root, then `public/`) and
//!   `./x.js?v=1` (the file, the query kept in the id) imports.
//!
//! Env variables, `define` and aliases need no plugin: both drivers hand them to oxc/rolldown as
//! data.

pub mod asset_import_meta_url;
pub mod asset_url;
pub mod assets;
pub mod build_driver;
pub mod css;
pub mod html_entry;
pub mod input_guard;
pub mod modules;
pub mod queried_files;
pub mod root_absolute;

use std::path::Path;
use std::sync::Arc;

use rolldown_plugin::__inner::SharedPluginable;

pub use asset_url::AssetUrls;
pub use build_driver::RolldownModulePlugin;
pub use css::{ChunkStyles, CssPlugin};
pub use html_entry::{HtmlEntryPlugin, HtmlPage, PageScript};
pub use modules::{AssetModules, JsonModules, ModuleHost, ModulePlugin, StylesheetModules};

/// The plugins of an app build, in hook order: the CSS plugin claims stylesheets before the
/// asset plugin sees them. The CSS plugin is passed in so the build can read its errors.
pub fn app_plugins(
    css: Arc<CssPlugin>,
    chunk_styles: Arc<ChunkStyles>,
    asset_urls: Arc<AssetUrls>,
    pages: Vec<HtmlPage>,
    root: &Path,
    public_dir: Option<&Path>,
) -> Vec<SharedPluginable> {
    let mut plugins: Vec<SharedPluginable> = vec![
        Arc::new(html_entry::HtmlEntryPlugin::new(
            pages,
            asset_urls.clone(),
            chunk_styles,
        )),
        Arc::new(root_absolute::RootAbsoluteImports::new(root, public_dir)),
    ];
    plugins.extend(lib_plugins(css, asset_urls, root));
    plugins
}

/// The plugins of a library build: no HTML, assets always inlined and CSS in one file (as Vite's
/// library mode does, so a library is one self-contained file per format plus its stylesheet).
pub fn lib_plugins(
    css: Arc<CssPlugin>,
    asset_urls: Arc<AssetUrls>,
    root: &Path,
) -> Vec<SharedPluginable> {
    let errors = css.module_errors();
    vec![
        Arc::new(input_guard::InputGuard::new(root, errors.clone())),
        Arc::new(asset_import_meta_url::AssetImportMetaUrl),
        css,
        Arc::new(RolldownModulePlugin::new(
            AssetModules,
            asset_urls.clone(),
            errors.clone(),
        )),
        Arc::new(RolldownModulePlugin::new(
            JsonModules {
                root: root.to_path_buf(),
                leave_packages_to_bundler: true,
            },
            asset_urls,
            errors,
        )),
        // Last: only what no other plugin loads.
        Arc::new(queried_files::QueriedFiles),
    ]
}
