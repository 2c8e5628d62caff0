//! Stylesheets per chunk in the build (chunk hooks), on the CSS stage (`nexxo_css`); the
//! stylesheet plugin compiles each imported sheet and the build's host hands its CSS here
//! (`keep_for_chunk`):
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

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use nexxo_css::CssOptions;
use nexxo_diagnostics::Diagnostic;

use crate::asset_url::AssetUrls;
use crate::plugin::{ChunkHost, Hooks, Plugin, RenderChunkArgs, SourcemapMode, Transformed};

pub use crate::plugins::stylesheets::{is_stylesheet, STYLESHEET_EXTENSIONS};

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
pub struct ChunkCss {
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
}

impl ChunkCss {
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
        }
    }

    /// Keeps a stylesheet's final CSS for the CSS file of the chunk that holds it.
    pub fn keep_for_chunk(&self, id: &str, css: String, map: Option<String>) {
        self.compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), (css, map));
    }

    /// A stylesheet imported with `?url`: its CSS as a file of its own; the URL expression.
    pub fn emit_imported_stylesheet(
        &self,
        host: &dyn ChunkHost,
        path: &Path,
        css: String,
    ) -> Result<String, Diagnostic> {
        let stem = path
            .file_stem()
            .map_or("style".into(), |s| s.to_string_lossy().into_owned());
        let file_name = self.emit_css_file(host, &stem, css)?;
        Ok(self.urls.js_url_expression(&file_name))
    }

    /// Output name of a CSS file: `assets/<stem>-<hash of the CSS>.css`.
    fn css_file_name(&self, stem: &str, code: &str) -> String {
        self.urls
            .file_name(Path::new(&format!("{stem}.css")), code.as_bytes())
    }

    fn emit_css_file(
        &self,
        host: &dyn ChunkHost,
        stem: &str,
        code: String,
    ) -> Result<String, Diagnostic> {
        let file_name = self.css_file_name(stem, &code);
        host.emit_file(&file_name, code.into_bytes())?;
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
        host: &dyn ChunkHost,
        stem: &str,
        parts: &[(String, Option<String>)],
        sourcemap: Option<SourcemapMode>,
    ) -> Result<String, Diagnostic> {
        let Some(sourcemap) = sourcemap else {
            let css = self.join_css(parts.iter().map(|(code, _)| code.as_str()));
            return self.emit_css_file(host, stem, css);
        };
        let borrowed: Vec<(&str, Option<&str>)> = parts
            .iter()
            .map(|(code, map)| (code.as_str(), map.as_deref()))
            .collect();
        let (code, map) =
            nexxo_css::concat_stylesheets(&borrowed, &self.options.root, &self.map_source_root);
        let Some(map) = map else {
            return self.emit_css_file(host, stem, code);
        };
        // The name hashes the CSS only, so the map's own bytes never change it.
        let file_name = self.css_file_name(stem, &code);
        let base_name = file_name
            .rsplit('/')
            .next()
            .unwrap_or(&file_name)
            .to_string();
        let comment = match sourcemap {
            SourcemapMode::File => format!("\n/*# sourceMappingURL={base_name}.map */"),
            SourcemapMode::Inline => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(map.as_bytes());
                format!("\n/*# sourceMappingURL=data:application/json;base64,{encoded} */")
            }
            SourcemapMode::Hidden => String::new(),
        };
        if sourcemap != SourcemapMode::Inline {
            host.emit_file(&format!("{file_name}.map"), map.into_bytes())?;
        }
        host.emit_file(&file_name, (code + &comment).into_bytes())?;
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

impl Plugin for ChunkCss {
    fn name(&self) -> &str {
        "nexxo:chunk-css"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            render_chunk: true,
            generate_bundle: self.library_css_name.is_some(),
            ..Hooks::default()
        }
    }

    fn render_chunk(
        &self,
        args: &RenderChunkArgs,
        host: &dyn ChunkHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let parts: Vec<(String, Option<String>)> = {
            let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
            args.rendered_modules
                .iter()
                .filter_map(|id| compiled.get(id).cloned())
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
        let file_name = self.emit_chunk_css(host, args.name, &parts, args.sourcemap)?;
        {
            let mut by_module = self
                .chunk_styles
                .by_module
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for id in args.module_ids {
                by_module.insert(id.clone(), file_name.clone());
            }
        }
        if args.is_entry {
            // Entry pages link their CSS in the HTML.
            return Ok(None);
        }
        let mut code = string_wizard::MagicString::new(args.code);
        code.prepend(css_loader(&self.urls.js_url_expression(&file_name)));
        let map = args.sourcemap.map(|_| {
            code.source_map(string_wizard::SourceMapOptions {
                hires: string_wizard::Hires::Boundary,
                include_content: false,
                source: Arc::from(args.file_name),
            })
            .to_json_string()
        });
        Ok(Some(Transformed {
            code: code.to_string(),
            map,
            files: Vec::new(),
            lang: None,
        }))
    }

    fn generate_bundle(&self, host: &dyn ChunkHost) -> Result<(), Diagnostic> {
        let Some(name) = &self.library_css_name else {
            return Ok(());
        };
        let css = self
            .library_css
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .concat();
        if !css.is_empty() {
            host.emit_file(name, css.into_bytes())?;
        }
        Ok(())
    }
}
