//! The build's rolldown plugins around the module pipeline (`nexxo_pipeline`):
//!
//! - [`build_driver`]: the plugin container as one rolldown plugin (resolve, load, transform,
//!   and the chunk hooks: CSS files per chunk),
//!   with the build's host (hashed or inlined assets, CSS kept for its chunk, errors
//!   collected because rolldown drops their text).
//! - [`html_entry`]: HTML pages as entries (module scripts and stylesheets in, rewritten HTML
//!   out); build only, the dev server serves pages itself.
//! - [`assets`], [`asset_url`]: the asset emitter, output names and URLs.
//! - [`input_guard`]: special files and over-deep scripts refused before rolldown reads them.
//! - [`workers`]: web workers' own bundles (nested builds), emitted as assets of the page build.
//! - [`resolve_options`]: rolldown's resolver options from the project's resolution rules.
//! - [`transform_plugins`]: oxc's plugins (styled-components) from the project's dependencies,
//!   for both drivers.

pub mod asset_url;
pub mod assets;
pub mod build_driver;
pub mod html_entry;
pub mod input_guard;
mod transform_plugins;
pub mod workers;

use std::sync::Arc;

use nexxo_config::{ResolvedConfig, ResolverConfig};
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{BuiltinOptions, Environment, PluginContainer, ProjectResolver};
use rolldown_common::ResolveOptions;
use rolldown_plugin::__inner::SharedPluginable;

pub use asset_url::AssetUrls;
pub use build_driver::ModuleErrors;
pub use build_driver::PipelinePlugin;
pub use html_entry::{HtmlEntryPlugin, HtmlPage, PageScript};
pub use nexxo_pipeline::plugins::{ChunkCss, ChunkStyles};
pub use transform_plugins::transform_plugins;
pub use workers::{WorkerBuilds, WorkerBundle, WorkerBundler, WorkerFile, WorkerOutput};

/// What every build's plugins share.
pub struct BuildPlugins {
    /// Stylesheets per chunk (the pipeline's chunk hooks; the sink of compiled CSS).
    pub css: Arc<ChunkCss>,
    /// Errors of every hook of the build (rolldown would drop their text).
    pub errors: Arc<ModuleErrors>,
    /// The stylesheet module plugin (with the build's persistent CSS cache).
    pub stylesheets: Arc<StylesheetModules>,
    pub asset_urls: Arc<AssetUrls>,
    /// Web workers' bundles (app builds; library builds have none).
    pub workers: Option<Arc<WorkerBuilds>>,
    /// The framework plugins (`nexxo_frameworks`), shared by the page and worker bundles so a
    /// component compiles once.
    pub frameworks: Vec<Arc<dyn nexxo_pipeline::Plugin>>,
    /// The user's plugins (`wasmPlugins`), compiled once per build and shared the same way.
    pub user_plugins: Vec<Arc<dyn nexxo_pipeline::Plugin>>,
}

/// The plugins of an app build, in hook order: the pages as entries, the input guard, then the
/// module pipeline (its chunk hooks write each chunk's CSS before the HTML plugin links it).
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
/// stylesheet), which `AssetUrls` and `ChunkCss` were made for.
pub fn lib_plugins(config: &ResolvedConfig, shared: BuildPlugins) -> Vec<SharedPluginable> {
    pipeline_plugins(config, shared, Environment::Page)
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
    let mut plugins = nexxo_pipeline::builtin_plugins(BuiltinOptions {
        root: &config.root,
        public_dir: config.public_dir.as_deref(),
        alias: &config.alias,
        stylesheets: shared.stylesheets,
        json_in_packages_to_bundler: true,
        frameworks: shared.frameworks,
        user_plugins: shared.user_plugins,
    });
    // A page's chunks get their CSS files; a worker has no document to style.
    if environment == Environment::Page {
        plugins.push(shared.css.clone());
    }
    vec![
        Arc::new(input_guard::InputGuard::new(
            &config.root,
            shared.errors.clone(),
        )),
        Arc::new(PipelinePlugin::new(
            PluginContainer::new(plugins),
            environment,
            shared.asset_urls,
            shared.css,
            shared.errors,
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
