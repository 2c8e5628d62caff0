//! The build's rolldown plugins around the module pipeline (`nexxo_pipeline`):
//!
//! - [`build_driver`]: the plugin container as one rolldown plugin (resolve, load, transform),
//!   with the build's host (hashed or inlined assets, CSS kept for its chunk, errors
//!   collected because rolldown drops their text).
//! - [`html_entry`]: HTML pages as entries (module scripts and stylesheets in, rewritten HTML
//!   out); build only, the dev server serves pages itself.
//! - [`css`]: the build's chunk hooks for stylesheets: per-chunk CSS files, lazy chunks' CSS
//!   loaders, the library `style.css`.
//! - [`assets`], [`asset_url`]: the asset emitter, output names and URLs.
//! - [`input_guard`]: special files and over-deep scripts refused before rolldown reads them.
//! - [`workers`]: web workers' own bundles (nested builds), emitted as assets of the page build.
//! - [`resolve_options`]: rolldown's resolver options from the project's resolution rules.

pub mod asset_url;
pub mod assets;
pub mod build_driver;
pub mod css;
pub mod html_entry;
pub mod input_guard;
pub mod workers;

use std::sync::Arc;

use nexxo_config::{ResolvedConfig, ResolverConfig};
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{BuiltinOptions, Environment, PluginContainer, ProjectResolver};
use rolldown_common::ResolveOptions;
use rolldown_plugin::__inner::SharedPluginable;

pub use asset_url::AssetUrls;
pub use build_driver::PipelinePlugin;
pub use css::{ChunkStyles, CssPlugin};
pub use html_entry::{HtmlEntryPlugin, HtmlPage, PageScript};
pub use workers::{WorkerBuilds, WorkerBundle, WorkerBundler, WorkerFile, WorkerOutput};

/// What every build's plugins share.
pub struct BuildPlugins {
    /// Chunk hooks for stylesheets; also the sink of compiled CSS and of pipeline errors.
    pub css: Arc<CssPlugin>,
    /// The stylesheet module plugin (with the build's persistent CSS cache).
    pub stylesheets: Arc<StylesheetModules>,
    pub asset_urls: Arc<AssetUrls>,
    /// Web workers' bundles (app builds; library builds have none).
    pub workers: Option<Arc<WorkerBuilds>>,
}

/// The plugins of an app build, in hook order: the pages as entries, the input guard, the
/// module pipeline, then the CSS chunk hooks.
pub fn app_plugins(
    config: &ResolvedConfig,
    shared: BuildPlugins,
    chunk_styles: Arc<ChunkStyles>,
    pages: Vec<HtmlPage>,
) -> Vec<SharedPluginable> {
    let mut plugins: Vec<SharedPluginable> = vec![Arc::new(html_entry::HtmlEntryPlugin::new(
        pages,
        shared.asset_urls.clone(),
        chunk_styles,
    ))];
    plugins.extend(lib_plugins(config, shared));
    plugins
}

/// The plugins of a library build: no HTML; assets always inlined and CSS in one file (as
/// Vite's library mode does, so a library is one self-contained file per format plus its
/// stylesheet), which `AssetUrls` and `CssPlugin` were made for.
pub fn lib_plugins(config: &ResolvedConfig, shared: BuildPlugins) -> Vec<SharedPluginable> {
    let css = shared.css.clone();
    let mut plugins = pipeline_plugins(config, shared, Environment::Page);
    plugins.push(css);
    plugins
}

/// The plugins of a web worker's own bundle: the input guard and the module pipeline for a
/// worker. No CSS chunk hooks: a worker has no document to style (an imported stylesheet's
/// CSS is dropped).
pub fn worker_plugins(config: &ResolvedConfig, shared: BuildPlugins) -> Vec<SharedPluginable> {
    pipeline_plugins(config, shared, Environment::Worker)
}

/// The input guard, then the module pipeline for `environment`.
fn pipeline_plugins(
    config: &ResolvedConfig,
    shared: BuildPlugins,
    environment: Environment,
) -> Vec<SharedPluginable> {
    let container = PluginContainer::new(nexxo_pipeline::builtin_plugins(BuiltinOptions {
        root: &config.root,
        public_dir: config.public_dir.as_deref(),
        alias: &config.alias,
        stylesheets: shared.stylesheets,
        json_in_packages_to_bundler: true,
    }));
    vec![
        Arc::new(input_guard::InputGuard::new(
            &config.root,
            shared.css.module_errors(),
        )),
        Arc::new(PipelinePlugin::new(
            container,
            environment,
            shared.asset_urls,
            shared.css,
            ProjectResolver::new(&ResolverConfig::new(config)),
            shared.workers,
        )),
    ]
}

/// rolldown's resolver options from the project's resolution rules, the ones the dev server's
/// resolver and the plugins' `host.resolve` are built from (`nexxo_pipeline::resolver`).
pub fn resolve_options(rules: &ResolverConfig) -> ResolveOptions {
    ResolveOptions {
        alias: (!rules.alias.is_empty()).then(|| {
            rules
                .alias
                .iter()
                .map(|(find, to)| (find.clone(), vec![Some(to.clone())]))
                .collect()
        }),
        // rolldown adds `import`/`require` per import kind, `default`, and `browser` for the
        // browser platform.
        condition_names: Some(rules.conditions.clone()),
        extensions: Some(rules.extensions.clone()),
        extension_alias: Some(rules.extension_alias.clone()),
        main_fields: Some(rules.main_fields.clone()),
        ..ResolveOptions::default()
    }
}
