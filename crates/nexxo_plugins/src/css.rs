//! Stylesheets in the build, on the CSS stage (`nexxo_css`):
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
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use nexxo_css::{CompiledCss, CssOptions, CssUrl, StylesheetCache};
use nexxo_diagnostics::Diagnostic;
use rolldown_common::side_effects::HookSideEffects;
use rolldown_common::{ModuleType, Output, OutputAsset, SourceMapType, StrOrBytes};
use rolldown_plugin::{
    HookGenerateBundleArgs, HookLoadArgs, HookLoadOutput, HookLoadReturn, HookNoopReturn,
    HookRenderChunkArgs, HookRenderChunkOutput, HookRenderChunkReturn, HookTransformOutputMap,
    HookUsage, Plugin, PluginContext, SharedLoadPluginContext,
};

use crate::asset_url::{data_url, js_string, AssetUrls};
use crate::assets::{emit_asset_file, emit_named_file, has_query_flag, split_query};

pub const STYLESHEET_EXTENSIONS: &[&str] = &[".css", ".scss", ".sass"];

/// Whether the CSS plugin handles this module id (`?raw` stays a plain text import).
pub fn is_stylesheet(id: &str) -> bool {
    let (path, query) = split_query(id);
    let lower = path.to_ascii_lowercase();
    let raw = has_query_flag(query, "raw");
    STYLESHEET_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) && !raw
}

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
    stylesheets: StylesheetCache,
    options: CssOptions,
    urls: Arc<AssetUrls>,
    public_dir: Option<PathBuf>,
    chunk_styles: Arc<ChunkStyles>,
    /// Module id → its final CSS (URLs resolved) and source map, for the chunk step.
    compiled: Mutex<HashMap<String, (String, Option<String>)>>,
    /// `sourceRoot` of CSS maps: from the assets folder back to the project root.
    map_source_root: String,
    /// Library builds: all CSS in chunk order, written as one file.
    library_css_name: Option<String>,
    library_css: Mutex<Vec<String>>,
    errors: Mutex<Vec<Diagnostic>>,
}

impl CssPlugin {
    pub fn new(
        stylesheets: StylesheetCache,
        options: CssOptions,
        urls: Arc<AssetUrls>,
        public_dir: Option<PathBuf>,
        chunk_styles: Arc<ChunkStyles>,
        library_css_name: Option<String>,
        map_source_root: String,
    ) -> Self {
        Self {
            stylesheets,
            options,
            map_source_root,
            urls,
            public_dir,
            chunk_styles,
            compiled: Mutex::default(),
            library_css_name,
            library_css: Mutex::default(),
            errors: Mutex::default(),
        }
    }

    /// Errors met while compiling stylesheets.
    pub fn errors(&self) -> Vec<Diagnostic> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The CSS with every `url()` turned into its output URL (emitting assets as needed).
    fn resolve_urls(&self, ctx: &PluginContext, compiled: &CompiledCss) -> String {
        nexxo_css::replace_urls(&compiled.code, &compiled.urls, |url| {
            self.output_url(ctx, url).unwrap_or_else(|| url.url.clone())
        })
    }

    /// `None` keeps the URL as written (external, data, fragment, or not a file).
    fn output_url(&self, ctx: &PluginContext, url: &CssUrl) -> Option<String> {
        let written = url.url.as_str();
        if !nexxo_html::is_local_url(written) {
            return None;
        }
        let path_part = written.split(['?', '#']).next()?;
        let suffix = &written[path_part.len()..];
        if let Some(rest) = path_part.strip_prefix('/') {
            if let Some(public) = &self.public_dir {
                if public.join(rest).is_file() {
                    return Some(self.urls.css_url(rest) + suffix);
                }
            }
        }
        let file = match path_part.strip_prefix('/') {
            Some(rest) => self.options.root.join(rest),
            None => url.from_file.parent()?.join(path_part),
        };
        let bytes = std::fs::read(&file).ok()?;
        if self.urls.should_inline(bytes.len()) {
            return Some(data_url(&file, &bytes));
        }
        let file_name = emit_asset_file(ctx, &self.urls, &file, bytes).ok()?;
        Some(self.urls.css_url(&file_name) + suffix)
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

    fn load_stylesheet(&self, ctx: &PluginContext, id: &str) -> HookLoadReturn {
        let (path_text, query) = split_query(id);
        let path = Path::new(path_text);
        let compiled = match self.stylesheets.compile(path, &self.options) {
            Ok(compiled) => compiled,
            Err(diagnostic) => {
                self.errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(diagnostic);
                return Ok(Some(js_module(
                    "export {};\n".into(),
                    HookSideEffects::False,
                )));
            }
        };
        for file in &compiled.files {
            ctx.add_watch_file(&file.to_string_lossy());
        }
        let code = self.resolve_urls(ctx, &compiled);
        if has_query_flag(query, "inline") {
            let js = format!("export default {};\n", js_string(&code));
            return Ok(Some(js_module(js, HookSideEffects::False)));
        }
        if has_query_flag(query, "url") {
            let stem = path
                .file_stem()
                .map_or("style".into(), |s| s.to_string_lossy().into_owned());
            let file_name = self.emit_css_file(ctx, &stem, code)?;
            let js = format!(
                "export default {};\n",
                self.urls.js_url_expression(&file_name)
            );
            return Ok(Some(js_module(js, HookSideEffects::False)));
        }
        self.compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), (code, compiled.map.clone()));
        let js = match &compiled.module_exports {
            Some(exports) => class_map_module(exports),
            None => "export {};\n".to_string(),
        };
        // The module must stay in its chunk even when nothing reads its exports: its CSS does.
        Ok(Some(js_module(js, HookSideEffects::NoTreeshake)))
    }
}

fn js_module(code: String, side_effects: HookSideEffects) -> HookLoadOutput {
    HookLoadOutput {
        code: code.into(),
        module_type: Some(ModuleType::Js),
        side_effects: Some(side_effects),
        ..Default::default()
    }
}

/// `export default { local: "scoped" }` plus a named export per JS-safe class name.
fn class_map_module(exports: &[(String, String)]) -> String {
    let entries: Vec<String> = exports
        .iter()
        .map(|(local, classes)| format!("  {}: {}", js_string(local), js_string(classes)))
        .collect();
    let mut js = format!("export default {{\n{}\n}};\n", entries.join(",\n"));
    for (local, classes) in exports {
        let is_identifier = local
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if is_identifier && local != "default" {
            js.push_str(&format!("export const {local} = {};\n", js_string(classes)));
        }
    }
    js
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
        HookUsage::Load | HookUsage::RenderChunk | HookUsage::GenerateBundle
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        if !is_stylesheet(args.id) {
            return Ok(None);
        }
        self.load_stylesheet(&ctx, args.id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_map_exports_default_and_named() {
        let js = class_map_module(&[
            ("title".into(), "a_title_x".into()),
            ("is-big".into(), "a_is-big_x".into()),
        ]);
        assert!(js.contains("\"title\": \"a_title_x\""));
        assert!(js.contains("\"is-big\": \"a_is-big_x\""));
        assert!(js.contains("export const title = \"a_title_x\";"));
        assert!(!js.contains("export const is-big"));
    }

    #[test]
    fn stylesheet_ids() {
        assert!(is_stylesheet("/a/b.module.scss"));
        assert!(is_stylesheet("/a/b.css?inline"));
        assert!(!is_stylesheet("/a/b.css?raw"));
        assert!(!is_stylesheet("/a/b.ts"));
    }
}
