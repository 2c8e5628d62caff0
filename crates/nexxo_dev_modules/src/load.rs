//! Loading one module for the dev server: each kind of file becomes JavaScript, then goes
//! through the same compile step.
//!
//! Stylesheets, assets (`?url`/`?raw`/`?inline`) and JSON go through the module plugins the
//! build runs too (`nexxo_plugins::modules`), with [`DevHost`] giving the dev server's answers:
//! files are served where they are, and an imported stylesheet's CSS goes into a `<style>`
//! element that hot updates replace. Scripts and inline `<script type="module">`s of pages
//! are compiled directly.

use std::path::{Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_css::CssOptions;
use nexxo_diagnostics::Diagnostic;
use nexxo_plugins::asset_url::js_string;
use nexxo_plugins::assets::split_query;
use nexxo_plugins::{AssetModules, JsonModules, ModuleHost, ModulePlugin, StylesheetModules};

use crate::resolve::{id_for_path, ModuleResolver};
use crate::transform::{compile_module, is_script, CompiledModule, TransformSettings};

/// Query marking the n-th inline `<script type="module">` of an HTML page.
pub const INLINE_SCRIPT_QUERY: &str = "nexxo-inline=";

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
    nexxo_plugins::modules::is_stylesheet(&path.to_string_lossy())
}

/// The module plugins of a dev session, in the build's hook order: stylesheets are claimed
/// before the asset plugin sees them.
pub struct DevPlugins {
    pub stylesheets: StylesheetModules,
    assets: AssetModules,
    json: JsonModules,
}

impl DevPlugins {
    pub fn new(config: &ResolvedConfig) -> Self {
        Self {
            stylesheets: StylesheetModules::new(
                css_options(config),
                None,
                config.public_dir.clone(),
            ),
            assets: AssetModules,
            json: JsonModules {
                root: config.root.clone(),
                // An app's own import of a package's JSON file is served as a module; packages'
                // internal `require`s happen inside the pre-bundled dependencies.
                leave_packages_to_bundler: false,
            },
        }
    }

    fn all(&self) -> [&dyn ModulePlugin; 3] {
        [&self.stylesheets, &self.assets, &self.json]
    }
}

/// The dev server's side of [`ModuleHost`].
pub struct DevHost<'a> {
    pub config: &'a ResolvedConfig,
    /// The id the browser knows the module by (`/src/a.module.css`): names its CSS in the page,
    /// where the absolute path the plugins see has no business.
    pub module_id: &'a str,
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
    // Code that plugins generate and inline page scripts are plain JavaScript.
    let plain_options = settings.options_for(None)?;
    let compile = |name: &str, code: &str, files: Vec<PathBuf>| {
        let compiled = compile_module(Path::new(name), name, code, settings, &plain_options)?;
        Ok(LoadedModule::new(compiled, files, code))
    };

    if let Some(index) = query.and_then(|q| q.strip_prefix(INLINE_SCRIPT_QUERY)) {
        let html = nexxo_diagnostics::input::read_regular_to_string(path).map_err(read_error)?;
        let code = inline_script(&html, index).ok_or_else(|| {
            Diagnostic::error(format!("{display} has no inline module script #{index}"))
        })?;
        // Inline scripts are plain JavaScript; the `.js` name picks the parser.
        return compile(
            &format!("{display}?inline-{index}.js"),
            &code,
            vec![path.to_path_buf()],
        );
    }

    // The plugins see absolute paths, as in the build.
    let absolute_id = match query {
        Some(query) => format!("{}?{query}", path.display()),
        None => path.display().to_string(),
    };
    let host = DevHost {
        config,
        module_id: id,
    };
    for plugin in plugins.all() {
        if let Some(loaded) = plugin.load(&absolute_id, &host)? {
            let mut files = loaded.files;
            if !files.iter().any(|f| f == path) {
                files.push(path.to_path_buf());
            }
            return compile(&format!("{display}.js"), &loaded.code, files);
        }
    }
    if !is_script(path) {
        return Err(Diagnostic::error(format!(
            "{display}: cannot import a file of this type; add `?url` or `?raw` to get its URL or text"
        )));
    }
    let source = nexxo_diagnostics::input::read_regular_to_string(path).map_err(read_error)?;
    let tsconfig = resolver.tsconfig_for(path)?;
    let options = settings.options_for(tsconfig.as_deref())?;
    let compiled = compile_module(path, &display, &source, settings, &options)?;
    let mut files = vec![path.to_path_buf()];
    files.extend(tsconfig.map(|t| t.path.clone()));
    Ok(LoadedModule::new(compiled, files, &source))
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
    }
}

/// Compiles a stylesheet requested by `<link>` with the session's stylesheet plugin, its
/// `url()`s turned into dev URLs by the same rules as imported stylesheets.
pub fn compile_css_for_dev(
    config: &ResolvedConfig,
    plugins: &DevPlugins,
    path: &Path,
) -> Result<(String, nexxo_css::CompiledCss), Diagnostic> {
    let compiled = plugins.stylesheets.compile(path)?;
    let url = asset_url(config, path);
    let host = DevHost {
        config,
        module_id: &url,
    };
    let code = plugins.stylesheets.resolve_urls(&compiled, &host);
    Ok((code, compiled))
}

fn inline_script(html: &str, index: &str) -> Option<String> {
    let index: usize = index.parse().ok()?;
    let scan = nexxo_html::scan_html(html).ok()?;
    scan.scripts
        .into_iter()
        .filter_map(|script| match script {
            nexxo_html::ModuleScript::Inline { code, .. } => Some(code),
            nexxo_html::ModuleScript::External { .. } => None,
        })
        .nth(index)
}
