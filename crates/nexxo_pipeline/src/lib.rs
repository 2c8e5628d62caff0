//! The module pipeline both drivers run, as Rollup's and Vite's plugin container: an ordered
//! list of [`Plugin`]s with `resolve_id`, `load`, `transform` and `hot_update` hooks, each with
//! a [`HookFilter`] checked before the hook is called. The module's [`Environment`] (a page, a
//! web worker) is an argument of every hook. This crate knows nothing of rolldown or HTTP: the
//! build wraps the [`PluginContainer`] in one rolldown plugin (`nexxo_plugins::build_driver`),
//! the dev server calls it directly (`nexxo_dev::load`); what differs between them (where a
//! file's URL points, where compiled CSS goes, how a specifier resolves) is asked of the
//! [`ModuleHost`].
//!
//! - [`plugin`]: the plugin trait, hook arguments and filters.
//! - [`container`]: the hook-running rules.
//! - [`host`]: what the drivers answer.
//! - [`asset_url`]: content-hashed output names and base-aware URLs of emitted files.
//! - [`ids`]: module ids and their queries (`?url`, `?raw`, `?inline`).
//! - [`plugins`]: the built-in features, one plugin each.
//! - [`resolver`]: the project's resolver, from the one set of resolution rules.

pub mod asset_url;
pub mod container;
pub mod host;
pub mod ids;
pub mod plugin;
pub mod plugins;
pub mod resolver;

use std::path::Path;
use std::sync::Arc;

pub use container::{PluginContainer, TransformChain};
pub use host::{ModuleHost, WorkerScript, WorkerType};
pub use plugin::{
    ChunkHost, CodePattern, Environment, FileChange, HookFilter, Hooks, IdPattern, Lang, LoadArgs,
    LoadedModule, ModuleInfo, OutputFile, OutputKind, PatternFilter, Plugin, QueryFilter,
    RenderChunkArgs, ResolveArgs, ResolvedId, SideEffects, SourcemapMode, TransformArgs,
    Transformed,
};
pub use resolver::ProjectResolver;

/// What the built-in plugins need to know about the project.
pub struct BuiltinOptions<'a> {
    pub root: &'a Path,
    pub public_dir: Option<&'a Path>,
    pub stylesheets: Arc<plugins::StylesheetModules>,
    /// Leave JSON inside `node_modules` to the bundler (the build: a package's CommonJS
    /// `require('./data.json')` must get the object itself, which rolldown's JSON support gives).
    pub json_in_packages_to_bundler: bool,
    /// The project's aliases (`nexxo_config::ResolverConfig::alias`), for glob patterns.
    pub alias: &'a [(String, String)],
    /// The framework plugins (`nexxo_frameworks`: Vue, Svelte, Solid), before the stylesheet
    /// plugin: their components' style blocks are ids of their own.
    pub frameworks: Vec<Arc<dyn Plugin>>,
    /// The user's plugins (`nexxo_user_plugins`), by `enforce`.
    pub user: UserPlugins,
}

/// The user's plugins in Vite's three places: `enforce: 'pre'` before Nexxo's built-ins but
/// after root-absolute imports (Vite's alias plugin comes first too), normal ones after the
/// framework plugins and before the stylesheet, asset and JSON plugins (Vite's core plugins
/// `load` those before the build plugins), `post` ones last.
#[derive(Clone, Default)]
pub struct UserPlugins {
    pub pre: Vec<Arc<dyn Plugin>>,
    pub normal: Vec<Arc<dyn Plugin>>,
    pub post: Vec<Arc<dyn Plugin>>,
}

impl UserPlugins {
    /// Every user plugin in hook order (for the hooks that run outside the module pipeline:
    /// build start and end, pages' HTML).
    pub fn all(&self) -> Vec<Arc<dyn Plugin>> {
        self.pre
            .iter()
            .chain(&self.normal)
            .chain(&self.post)
            .cloned()
            .collect()
    }
}

/// Nexxo's built-in plugins in hook order: root-absolute resolution; pages' inline scripts;
/// web workers; the framework plugins; the user's plugins; stylesheets claimed
/// before the asset plugin sees them; JSON; files with unknown queries last; the
/// `new URL(…, import.meta.url)` transforms; dynamic imports with variables; and last the glob
/// transform, which expands the `import.meta.glob` calls the two before it write.
///
/// The user's plugins sit where Vite puts plugins without `enforce`: after its core resolve,
/// HTML-proxy and worker plugins, so `/src/x.ts` and `?html-proxy`/`?worker` ids are settled
/// first; after the framework plugins, which a Vite config lists as user plugins too (Vue's
/// first, Svelte's and Solid's `enforce: 'pre'`); and before the stylesheet, asset and JSON
/// plugins' `load`, so a user `load` can answer any id, a virtual `.css` or `.json` included
/// (Vite compiles CSS and JSON in transforms after the file is read, which a user `load`
/// precedes as well). One deliberate difference: Vite's asset plugin loads image/font files
/// before plugins without `enforce` (svgr-like plugins need `enforce: 'pre'`); here a user
/// `load` of an `.svg` wins without that. Their transforms run before the `import.meta.url`, dynamic-import and glob transforms,
/// as Vite's normal plugins run before `assetImportMetaUrl`, `dynamicImportVars` and
/// `importGlob`. Another difference: TypeScript and JSX are compiled after the container, so
/// a user transform sees a module's source as written, not Vite's oxc output.
pub fn builtin_plugins(options: BuiltinOptions) -> Vec<Arc<dyn Plugin>> {
    let mut plugins: Vec<Arc<dyn Plugin>> = vec![Arc::new(plugins::RootAbsoluteImports::new(
        options.root,
        options.public_dir,
    ))];
    plugins.extend(options.user.pre);
    plugins.extend::<[Arc<dyn Plugin>; 2]>([
        Arc::new(plugins::HtmlInlineScripts),
        // Before the asset plugin, which would take `?worker&url` and `?worker&inline`.
        Arc::new(plugins::Workers),
    ]);
    plugins.extend(options.frameworks);
    plugins.extend(options.user.normal);
    plugins.extend::<[Arc<dyn Plugin>; 8]>([
        options.stylesheets,
        Arc::new(plugins::AssetModules),
        Arc::new(plugins::JsonModules {
            root: options.root.to_path_buf(),
            leave_packages_to_bundler: options.json_in_packages_to_bundler,
        }),
        Arc::new(plugins::QueriedFiles),
        Arc::new(plugins::AssetImportMetaUrl),
        Arc::new(plugins::AssetUrlTemplates),
        Arc::new(plugins::DynamicImportVars::new(options.root, options.alias)),
        Arc::new(plugins::GlobImports::new(options.root, options.alias)),
    ]);
    plugins.extend(options.user.post);
    plugins
}
