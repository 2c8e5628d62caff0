//! Stylesheets in the build, on the CSS stage (`nexxo_css`); the module pipeline's stylesheet
//! plugin compiles each imported sheet and hands its CSS here (`BuildHost::take_stylesheet`):
//!
//! - `import './a.css'` (and `.scss`, `.sass`, CSS Modules) compiles the file; the JS module is
//!   empty, or the class map for a CSS Module (default export plus named exports).
//! - `?inline` gives the compiled CSS as a string; `?url` the URL of the compiled CSS as a file;
//!   `?raw` is left to the asset plugin (the source text).
//! - `url()`s become hashed assets, data URLs under the inline limit, or base-prefixed public
//!   files.
//! - Per chunk: the CSS of the chunk's modules, in execution (= import) order, becomes one
//!   `assets/<chunk>-<hash>.css`. Entry pages link theirs (see [`ChunkStyles`]); a lazy chunk
//!   starts by loading its CSS (top-level await), so its styles apply before it renders.
//! - Library builds collect all CSS into one `style.css`.
//!
//! rolldown drops a plugin's own message from load errors, so compile errors are collected here
//! and reported by the build once rolldown returns.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use nexxo_css::CssOptions;
use nexxo_diagnostics::Diagnostic;
use rolldown_common::{Output, OutputAsset, SourceMapType, StrOrBytes};
use rolldown_plugin::{
    HookGenerateBundleArgs, HookNoopReturn, HookRenderChunkArgs, HookRenderChunkOutput,
    HookRenderChunkReturn, HookTransformOutputMap, HookUsage, Plugin, PluginContext,
};

use crate::asset_url::AssetUrls;
use crate::assets::emit_named_file;
use crate::build_driver::ModuleErrors;

pub use nexxo_pipeline::plugins::stylesheets::{is_stylesheet, STYLESHEET_EXTENSIONS};

/// Which CSS file holds the styles of which chunk: filled while chunks render, read by the HTML
/// plugin to link each page's styles.
#[derive(Debug, Default)]
pub struct ChunkStyles {
    /// Module id → CSS file of the chunk holding that module.
    by_module: Mutex<HashMap<String, String>>,
}

impl ChunkStyles {
    /// The CSS file of the chunk whose modules include `module_id`.
    pub fn css_file_for(&self, module_id: &str) -> Option<String> {
        self.by_module
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(module_id)
            .cloned()
    }
}

#[derive(Debug)]
pub struct CssPlugin {
    /// The CSS stage's options (minify, root for source maps).
    options: CssOptions,
    urls: Arc<AssetUrls>,
    chunk_styles: Arc<ChunkStyles>,
    /// Module id → its final CSS (URLs resolved) and source map, for the chunk step.
    compiled: Mutex<HashMap<String, (String, Option<String>)>>,
    /// `sourceRoot` of CSS maps: from the assets folder back to the project root.
    map_source_root: String,
    /// Library builds: all CSS in chunk order, written as one file.
    library_css_name: Option<String>,
    library_css: Mutex<Vec<String>>,
    /// Errors of every module plugin of the build (this one's and the asset and JSON ones').
    errors: Arc<ModuleErrors>,
}

impl CssPlugin {
    pub fn new(
        options: CssOptions,
        urls: Arc<AssetUrls>,
        chunk_styles: Arc<ChunkStyles>,
        library_css_name: Option<String>,
        map_source_root: String,
    ) -> Self {
        Self {
            options,
            map_source_root,
            urls,
            chunk_styles,
            compiled: Mutex::default(),
            library_css_name,
            library_css: Mutex::default(),
            errors: Arc::default(),
        }
    }

    /// Errors the module pipeline met (stylesheets, assets, JSON, transforms).
    pub fn errors(&self) -> Vec<Diagnostic> {
        self.errors.all()
    }

    /// The collector the other module plugins of the build report to.
    pub fn module_errors(&self) -> Arc<ModuleErrors> {
        self.errors.clone()
    }

    /// Keeps a stylesheet's final CSS for the CSS file of the chunk that holds it.
    pub(crate) fn keep_for_chunk(&self, id: &str, css: String, map: Option<String>) {
        self.compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), (css, map));
    }

    /// A stylesheet imported with `?url`: its CSS as a file of its own; the URL expression.
    pub(crate) fn emit_imported_stylesheet(
        &self,
        ctx: &PluginContext,
        path: &Path,
        css: String,
    ) -> Result<String, Diagnostic> {
        let stem = path
            .file_stem()
            .map_or("style".into(), |s| s.to_string_lossy().into_owned());
        let file_name = self
            .emit_css_file(ctx, &stem, css)
            .map_err(|err| Diagnostic::error(err.to_string()))?;
        Ok(self.urls.js_url_expression(&file_name))
    }

    /// Output name of a CSS file: `assets/<stem>-<hash of the CSS>.css`.
    fn css_file_name(&self, stem: &str, code: &str) -> String {
        self.urls
            .file_name(Path::new(&format!("{stem}.css")), code.as_bytes())
    }

    fn emit_css_file(
        &self,
        ctx: &PluginContext,
        stem: &str,
        code: String,
    ) -> anyhow::Result<String> {
        let file_name = self.css_file_name(stem, &code);
        emit_named_file(ctx, &file_name, None, StrOrBytes::Str(code))?;
        Ok(file_name)
    }

    /// Stylesheets of one chunk or library, in order, without maps.
    fn join_css<'a>(&self, parts: impl Iterator<Item = &'a str>) -> String {
        parts
            .collect::<Vec<_>>()
            .join(if self.options.minify { "" } else { "\n" })
    }

    /// Writes a chunk's CSS (and its source map in the mode the JS maps use).
    fn emit_chunk_css(
        &self,
        ctx: &PluginContext,
        stem: &str,
        parts: &[(String, Option<String>)],
        sourcemap: Option<&SourceMapType>,
    ) -> anyhow::Result<String> {
        let Some(sourcemap) = sourcemap else {
            let css = self.join_css(parts.iter().map(|(code, _)| code.as_str()));
            return self.emit_css_file(ctx, stem, css);
        };
        let borrowed: Vec<(&str, Option<&str>)> = parts
            .iter()
            .map(|(code, map)| (code.as_str(), map.as_deref()))
            .collect();
        let (code, map) =
            nexxo_css::concat_stylesheets(&borrowed, &self.options.root, &self.map_source_root);
        let Some(map) = map else {
            return self.emit_css_file(ctx, stem, code);
        };
        // The name hashes the CSS only, so the map's own bytes never change it.
        let file_name = self.css_file_name(stem, &code);
        let base_name = file_name
            .rsplit('/')
            .next()
            .unwrap_or(&file_name)
            .to_string();
        let comment = match sourcemap {
            SourceMapType::File => format!("\n/*# sourceMappingURL={base_name}.map */"),
            SourceMapType::Inline => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(map.as_bytes());
                format!("\n/*# sourceMappingURL=data:application/json;base64,{encoded} */")
            }
            SourceMapType::Hidden => String::new(),
        };
        if !matches!(sourcemap, SourceMapType::Inline) {
            emit_named_file(ctx, &format!("{file_name}.map"), None, StrOrBytes::Str(map))?;
        }
        emit_named_file(ctx, &file_name, None, StrOrBytes::Str(code + &comment))?;
        Ok(file_name)
    }
}

/// Code that loads a lazy chunk's stylesheet before the chunk's own code runs.
fn css_loader(href_expression: &str) -> String {
    format!(
        "await new Promise((resolve, reject) => {{ const href = new URL({href_expression}, document.baseURI).href; \
if ([...document.querySelectorAll('link[rel=\"stylesheet\"]')].some((link) => link.href === href)) return resolve(); \
const link = document.createElement('link'); link.rel = 'stylesheet'; link.href = href; link.onload = resolve; \
link.onerror = () => reject(new Error('Unable to load stylesheet ' + href)); document.head.appendChild(link); }});\n"
    )
}

impl Plugin for CssPlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:css")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::RenderChunk | HookUsage::GenerateBundle
    }

    async fn render_chunk(
        &self,
        ctx: &PluginContext,
        args: &HookRenderChunkArgs<'_>,
    ) -> HookRenderChunkReturn {
        let chunk = &args.chunk;
        let parts: Vec<(String, Option<String>)> = {
            let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
            chunk
                .modules
                .keys
                .iter()
                .filter_map(|id| compiled.get(id.as_ref()).cloned())
                .collect()
        };
        if parts.is_empty() {
            return Ok(None);
        }
        if self.library_css_name.is_some() {
            let css = self.join_css(parts.iter().map(|(code, _)| code.as_str()));
            self.library_css
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(css);
            return Ok(None);
        }
        let file_name =
            self.emit_chunk_css(ctx, &chunk.name, &parts, args.options.sourcemap.as_ref())?;
        {
            let mut by_module = self
                .chunk_styles
                .by_module
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for id in &chunk.module_ids {
                by_module.insert(id.to_string(), file_name.clone());
            }
        }
        if chunk.is_entry {
            // Entry pages link their CSS in the HTML.
            return Ok(None);
        }
        let mut code = string_wizard::MagicString::new(args.code.as_str());
        code.prepend(css_loader(&self.urls.js_url_expression(&file_name)));
        Ok(Some(HookRenderChunkOutput {
            code: code.to_string(),
            map: HookTransformOutputMap::from_if_enabled(args.options.sourcemap.is_some(), || {
                code.source_map(string_wizard::SourceMapOptions {
                    hires: string_wizard::Hires::Boundary,
                    include_content: false,
                    source: Arc::from(chunk.filename.as_str()),
                })
            }),
        }))
    }

    async fn generate_bundle(
        &self,
        _ctx: &PluginContext,
        args: &mut HookGenerateBundleArgs<'_>,
    ) -> HookNoopReturn {
        let Some(name) = &self.library_css_name else {
            return Ok(());
        };
        let css = self
            .library_css
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .concat();
        if !css.is_empty() {
            args.bundle.push(Output::Asset(Arc::new(OutputAsset {
                names: vec![name.clone()],
                original_file_names: vec![],
                filename: name.as_str().into(),
                source: StrOrBytes::Str(css),
            })));
        }
        Ok(())
    }
}
