//! Loading one module for the dev server: each kind of file becomes JavaScript, then goes
//! through the same compile step.
//!
//! Every module goes through the module pipeline the build runs too (`nexxo_pipeline`): its
//! `load` hooks (stylesheets, assets with `?url`/`?raw`/`?inline`, JSON, queried files), then
//! its `transform` hooks, with [`DevHost`] giving the dev server's answers: files are served
//! where they are, and an imported stylesheet's CSS goes into a `<style>` element that hot
//! updates replace. Scripts no plugin loads, and inline `<script type="module">`s of pages, are
//! read here; all of it then goes through the compile step (`transform.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_config::ResolvedConfig;
use nexxo_css::CssOptions;
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::ids::{js_string, split_query};
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{
    BuiltinOptions, Environment, Lang, LoadArgs, ModuleHost, PluginContainer, TransformArgs,
    WorkerScript, WorkerType,
};

use crate::resolve::{id_for_path, ModuleResolver};
use crate::transform::{compile_module, is_script, CompiledModule, TransformSettings};

/// A loaded and compiled module.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadedModule {
    pub compiled: CompiledModule,
    /// Files whose change must recompile this module (the file itself, Sass partials, @imports,
    /// the tsconfig.json that set its JSX options).
    pub files: Vec<PathBuf>,
    /// Hash of the inputs, to skip work when an editor saves unchanged content.
    pub content_hash: u64,
}

impl LoadedModule {
    /// `input` is what was compiled: its hash lets a save of unchanged content skip the update.
    fn new(compiled: CompiledModule, files: Vec<PathBuf>, input: &str) -> Self {
        Self {
            compiled,
            files,
            content_hash: xxhash_rust::xxh3::xxh3_64(input.as_bytes()),
        }
    }
}

/// Whether the stylesheet plugin compiles this file (the rule the build uses).
pub fn is_stylesheet(path: &Path) -> bool {
    nexxo_pipeline::plugins::stylesheets::is_stylesheet(&path.to_string_lossy())
}

/// The module pipeline of a dev session: the build's built-in and user plugins, in the
/// build's order.
pub struct DevPlugins {
    /// Also compiles `<link>`ed stylesheets.
    pub stylesheets: Arc<StylesheetModules>,
    pub container: PluginContainer,
    /// The Node helper pool of the framework plugins (`None`: the project needs none).
    pub node_compilers: Option<Arc<nexxo_frameworks::NodeCompilers>>,
    /// The config's JS plugins (also in `container`): their `configureServer` middlewares and
    /// `transformIndexHtml` hooks run outside the module pipeline.
    pub js_plugins: nexxo_user_plugins::UserPluginSet,
    /// Whether there are user plugins (JS or WASM) that may make modules of any file type.
    pub has_user_plugins: bool,
    /// An Angular app's compile: it has the component updates of the last template edit.
    pub angular: Option<Arc<nexxo_frameworks::angular::AngularCompiler>>,
}

impl DevPlugins {
    /// `store`: the dev cache, which also keeps the framework compilers' results. An error:
    /// a user plugin does not compile.
    pub fn new(
        config: &ResolvedConfig,
        store: Option<Arc<nexxo_cache::CacheStore>>,
    ) -> Result<Self, Diagnostic> {
        let wasm_plugins = nexxo_wasm_plugins::wasm_plugins(config)?;
        let mut js_plugins = nexxo_user_plugins::UserPluginSet::new(
            config,
            &nexxo_user_plugins::Confinement::current_exe(),
            &[],
        );
        // The dev server's middlewares are added when the session starts, as Vite's.
        js_plugins.configure_server()?;
        let has_user_plugins = !js_plugins.is_empty() || !wasm_plugins.is_empty();
        let mut user = js_plugins.pipeline();
        user.normal.extend(wasm_plugins);
        let compilers = nexxo_frameworks::ProjectCompilers::new(
            &config.root,
            config.frameworks,
            nexxo_frameworks::FrameworkMode {
                production: false,
                hmr: true,
            },
            store,
        )
        .with_angular(config.angular.clone());
        let mut options = css_options(config);
        options.transform = compilers.stylesheet_transform();
        let stylesheets = Arc::new(StylesheetModules::new(
            options,
            None,
            config.public_dir.clone(),
        ));
        let container = PluginContainer::new(nexxo_pipeline::builtin_plugins(BuiltinOptions {
            root: &config.root,
            public_dir: config.public_dir.as_deref(),
            alias: &config.alias,
            stylesheets: stylesheets.clone(),
            // An app's own import of a package's JSON file is served as a module; packages'
            // internal `require`s happen inside the pre-bundled dependencies.
            json_in_packages_to_bundler: false,
            frameworks: compilers.plugins(&stylesheets),
            user,
        }));
        let angular = compilers.angular_compiler().cloned();
        Ok(Self {
            stylesheets,
            container,
            node_compilers: compilers.node().cloned(),
            js_plugins,
            has_user_plugins,
            angular,
        })
    }
}

/// The dev server's side of [`ModuleHost`].
pub struct DevHost<'a> {
    pub config: &'a ResolvedConfig,
    /// The id the browser knows the module by (`/src/a.module.css`): names its CSS in the page,
    /// where the absolute path the plugins see has no business.
    pub module_id: &'a str,
    pub resolver: &'a ModuleResolver,
}

impl ModuleHost for DevHost<'_> {
    fn asset_url_expression(&self, path: &Path, _bytes: Vec<u8>) -> Result<String, Diagnostic> {
        Ok(js_string(&asset_url(self.config, path)))
    }

    fn css_asset_url(&self, path: &Path, _bytes: Vec<u8>) -> Option<String> {
        Some(asset_url(self.config, path))
    }

    fn public_url(&self, name: &str) -> String {
        format!("{}{name}", dev_base(self.config))
    }

    fn stylesheet_url_expression(&self, path: &Path, _css: String) -> Result<String, Diagnostic> {
        // The server compiles a stylesheet requested by URL on the fly.
        Ok(js_string(&asset_url(self.config, path)))
    }

    fn take_stylesheet(
        &self,
        _absolute_id: &str,
        css: String,
        _map: Option<String>,
        is_module: bool,
    ) -> String {
        let id = js_string(self.module_id);
        let mut code = format!(
            "__nexxo.updateStyle({id}, {});\nimport.meta.hot.prune(() => __nexxo.removeStyle({id}));\n",
            js_string(&css),
        );
        // Plain CSS applies its own updates; a CSS Module's class names feed its importers.
        if !is_module {
            code.push_str("import.meta.hot.accept();\n");
        }
        code
    }

    fn resolve(&self, specifier: &str, importer: &Path) -> Option<PathBuf> {
        self.resolver.resolve_file(importer, specifier)
    }

    /// Printed in the terminal as the module compiles, as Vite's framework plugins do.
    fn warn(&self, warning: Diagnostic) {
        nexxo_diagnostics::events::warning(&warning.into_warning().render(false));
    }

    /// The worker's modules in one script from the `@nexxo/worker.js` route, which runs as a
    /// module or a classic worker alike. The URL is made in the browser by the runtime, which
    /// knows the server's code token (compiled modules are cached across runs and must not hold
    /// it); inline workers load the same URL in dev, as in Vite.
    fn worker_script(
        &self,
        entry: &Path,
        requested: Option<WorkerType>,
        _inline: bool,
    ) -> Result<WorkerScript, Diagnostic> {
        let id = id_for_path(&self.config.root, entry, None);
        Ok(WorkerScript {
            url: format!("__nexxo.workerUrl({})", js_string(&id)),
            worker_type: requested.unwrap_or(WorkerType::Module),
        })
    }
}

/// Loads the module `id` (file `path`).
pub fn load_module(
    config: &ResolvedConfig,
    settings: &TransformSettings,
    plugins: &DevPlugins,
    resolver: &ModuleResolver,
    id: &str,
    path: &Path,
) -> Result<LoadedModule, Diagnostic> {
    let (_, query) = split_query(id);
    let display = config.display_path(path);
    let read_error =
        |err: std::io::Error| Diagnostic::error(format!("cannot read {display}: {err}"));
    // Code that plugins generate (inline page scripts too) is plain JavaScript.
    let plain_options = settings.options_for(None)?;

    // The plugins see absolute paths, as in the build.
    let absolute_id = match query {
        Some(query) => format!("{}?{query}", path.display()),
        None => path.display().to_string(),
    };
    let host = DevHost {
        config,
        module_id: id,
        resolver,
    };
    let load_args = LoadArgs {
        id: &absolute_id,
        environment: Environment::Page,
    };
    let unknown_type = || {
        Diagnostic::error(format!(
            "{display}: cannot import a file of this type; add `?url` or `?raw` to get its URL or text"
        ))
    };
    // A file of no type Nexxo knows is read as text when user plugins may turn it into
    // JavaScript in `transform` (@rollup/plugin-yaml), as the build's bundler reads it.
    let mut needs_plugin_transform = false;
    let (source, lang, mut files) = match plugins.container.load(&load_args, &host)? {
        Some(loaded) => (loaded.code, loaded.lang, loaded.files),
        None => {
            let lang = match Lang::of(&path.to_string_lossy()) {
                Some(lang) => lang,
                None if plugins.has_user_plugins => {
                    needs_plugin_transform = true;
                    Lang::Js
                }
                None => return Err(unknown_type()),
            };
            let source =
                nexxo_diagnostics::input::read_regular_to_string(path).map_err(read_error)?;
            (source, lang, vec![path.to_path_buf()])
        }
    };
    if !files.iter().any(|f| f == path) {
        files.push(path.to_path_buf());
    }
    let transformed = if plugins.container.may_transform(&absolute_id) {
        let args = TransformArgs {
            id: &absolute_id,
            code: &source,
            lang,
            environment: Environment::Page,
        };
        plugins.container.transform(&args, &host)?
    } else {
        None
    };
    if needs_plugin_transform && transformed.is_none() {
        return Err(unknown_type());
    }
    let code = transformed.as_ref().map_or(&source, |t| &t.code);
    let lang = transformed.as_ref().and_then(|t| t.lang).unwrap_or(lang);
    let with_tsconfig = |files: &mut Vec<PathBuf>| -> Result<_, Diagnostic> {
        let tsconfig = resolver.tsconfig_for(path)?;
        files.extend(tsconfig.as_ref().map(|t| t.path.clone()));
        settings.options_for(tsconfig.as_deref())
    };
    // The name's extension picks the parser: a script as written keeps its own name; code a
    // plugin generated in TypeScript (a Vue component's script) gets a `.ts` name and the
    // tsconfig's options; other generated code is plain JavaScript.
    let (name, options) = if is_script(path) && Lang::of(&path.to_string_lossy()) == Some(lang) {
        (path.to_path_buf(), with_tsconfig(&mut files)?)
    } else if matches!(lang, Lang::Ts | Lang::Tsx) {
        let extension = if lang == Lang::Ts { "ts" } else { "tsx" };
        (
            PathBuf::from(format!("{display}.{extension}")),
            with_tsconfig(&mut files)?,
        )
    } else {
        (PathBuf::from(format!("{display}.js")), plain_options)
    };
    // Errors in generated code name the id (`index.html?html-proxy&index=0.js`).
    let shown = match query {
        Some(query) if name != path => format!("{display}?{query}"),
        _ => display.clone(),
    };
    let mut compiled = compile_module(&name, &shown, code, settings, &options)?;
    if let Some(transformed) = &transformed {
        files.extend(transformed.files.iter().cloned());
        compiled.map = chain_maps(&transformed.maps, compiled.map.take(), &display);
    }
    Ok(LoadedModule::new(compiled, files, &source))
}

/// The compile step's map on top of the transform hooks' maps: one map from the output to the
/// file as written.
fn chain_maps(
    transform_maps: &[String],
    compiled: Option<String>,
    display: &str,
) -> Option<String> {
    let mut maps = transform_maps.to_vec();
    maps.push(compiled?);
    let mut map = nexxo_plugins::build_driver::collapse_maps(&maps)?;
    map.set_sources([display]);
    Some(map.to_json_string())
}

/// The URL the dev server serves a file at, with the base.
pub fn asset_url(config: &ResolvedConfig, path: &Path) -> String {
    let id = id_for_path(&config.root, path, None);
    format!("{}{}", dev_base(config), id.trim_start_matches('/'))
}

/// The base as an absolute path (`./` means `/` in dev, as in Vite).
pub fn dev_base(config: &ResolvedConfig) -> &str {
    if config.base.starts_with('/') {
        &config.base
    } else {
        "/"
    }
}

pub fn css_options(config: &ResolvedConfig) -> CssOptions {
    CssOptions {
        root: config.root.clone(),
        targets: config.targets.clone(),
        minify: false,
        sourcemap: false,
        modules_pattern: config.css_modules_pattern.clone(),
        alias: config.alias.clone(),
        transform: None,
    }
}

/// Compiles a stylesheet requested by `<link>` with the session's stylesheet plugin, its
/// `url()`s turned into dev URLs by the same rules as imported stylesheets.
pub fn compile_css_for_dev(
    config: &ResolvedConfig,
    plugins: &DevPlugins,
    resolver: &ModuleResolver,
    path: &Path,
) -> Result<(String, nexxo_css::CompiledCss), Diagnostic> {
    let compiled = plugins.stylesheets.compile(path)?;
    let url = asset_url(config, path);
    let host = DevHost {
        config,
        module_id: &url,
        resolver,
    };
    let code = plugins.stylesheets.resolve_urls(&compiled, &host);
    Ok((code, compiled))
}
