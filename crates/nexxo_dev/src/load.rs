//! Loading one module for the dev server: each kind of file (script, stylesheet, JSON, asset,
//! inline HTML script) becomes JavaScript, then goes through the same compile step.
//!
//! The rules are the build's: asset kinds and `?url`/`?raw`/`?inline` come from
//! `nexxo_plugins::assets`, stylesheets from `nexxo_css::compile_stylesheet`.

use std::path::{Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_css::{compile_stylesheet, CssOptions};
use nexxo_diagnostics::Diagnostic;
use nexxo_plugins::asset_url::{data_url, js_string};
use nexxo_plugins::assets::{classify, has_query_flag, split_query, AssetImport};

use crate::resolve::id_for_path;
use crate::transform::{compile_module, is_script, CompiledModule, TransformSettings};

/// Query marking the n-th inline `<script type="module">` of an HTML page.
pub const INLINE_SCRIPT_QUERY: &str = "nexxo-inline=";

/// A loaded and compiled module.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LoadedModule {
    pub compiled: CompiledModule,
    /// Files whose change must recompile this module (the file itself, Sass partials, @imports).
    pub files: Vec<PathBuf>,
    /// Hash of the inputs, to skip work when an editor saves unchanged content.
    pub content_hash: u64,
}

pub fn is_stylesheet(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("css" | "scss" | "sass")
    )
}

/// Loads the module `id` (file `path`).
pub fn load_module(
    config: &ResolvedConfig,
    settings: &TransformSettings,
    id: &str,
    path: &Path,
) -> Result<LoadedModule, Diagnostic> {
    let (_, query) = split_query(id);
    let display = config.display_path(path);
    let read_error =
        |err: std::io::Error| Diagnostic::error(format!("cannot read {display}: {err}"));

    if let Some(index) = query.and_then(|q| q.strip_prefix(INLINE_SCRIPT_QUERY)) {
        let html = std::fs::read_to_string(path).map_err(read_error)?;
        let code = inline_script(&html, index).ok_or_else(|| {
            Diagnostic::error(format!("{display} has no inline module script #{index}"))
        })?;
        // Inline scripts are plain JavaScript; the `.js` name picks the parser.
        let name = format!("{display}?inline-{index}.js");
        return finish(
            compile_module(Path::new(&name), &name, &code, settings)?,
            vec![path.to_path_buf()],
            &code,
        );
    }

    if is_stylesheet(path) && !has_query_flag(query, "url") && !has_query_flag(query, "raw") {
        return load_stylesheet(config, settings, id, path, has_query_flag(query, "inline"));
    }
    if let Some(kind) = classify(id) {
        let bytes = std::fs::read(path).map_err(read_error)?;
        let value = match kind {
            AssetImport::Url => js_string(&asset_url(config, path)),
            AssetImport::Raw => js_string(&String::from_utf8_lossy(&bytes)),
            AssetImport::Inline => js_string(&data_url(path, &bytes)),
        };
        let code = format!("export default {value};\n");
        let name = format!("{display}.js");
        let compiled = compile_module(Path::new(&name), &name, &code, settings)?;
        return finish(compiled, vec![path.to_path_buf()], &code);
    }
    let source = std::fs::read_to_string(path).map_err(read_error)?;
    if path.extension().is_some_and(|e| e == "json") {
        let code = json_module(&source).map_err(|err| {
            Diagnostic::at(
                format!("invalid JSON: {err}"),
                &display,
                Some(source.clone()),
                err.line(),
                err.column(),
            )
        })?;
        let name = format!("{display}.js");
        return finish(
            compile_module(Path::new(&name), &name, &code, settings)?,
            vec![path.to_path_buf()],
            &source,
        );
    }
    if !is_script(path) {
        return Err(Diagnostic::error(format!(
            "{display}: cannot import a file of this type; add `?url` or `?raw` to get its URL or text"
        )));
    }
    let compiled = compile_module(path, &display, &source, settings)?;
    finish(compiled, vec![path.to_path_buf()], &source)
}

fn finish(
    compiled: CompiledModule,
    files: Vec<PathBuf>,
    input: &str,
) -> Result<LoadedModule, Diagnostic> {
    Ok(LoadedModule {
        compiled,
        files,
        content_hash: xxhash_rust::xxh3::xxh3_64(input.as_bytes()),
    })
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

/// Compiles a stylesheet and its `url()`s to dev URLs.
pub fn compile_css_for_dev(
    config: &ResolvedConfig,
    path: &Path,
) -> Result<(String, nexxo_css::CompiledCss), Diagnostic> {
    let compiled = compile_stylesheet(path, &css_options(config))?;
    let code = nexxo_css::replace_urls(&compiled.code, &compiled.urls, |url| {
        let from = url.from_file.parent().unwrap_or(&config.root);
        let (request, _) = split_query(&url.url);
        let target = if request.starts_with('/') {
            config.root.join(request.trim_start_matches('/'))
        } else {
            from.join(request)
        };
        asset_url(config, &target)
    });
    Ok((code, compiled))
}

/// A stylesheet imported from JavaScript: a module that puts the CSS in a `<style>` element.
/// Plain CSS accepts its own updates; a CSS Module does not (its class names feed importers).
fn load_stylesheet(
    config: &ResolvedConfig,
    settings: &TransformSettings,
    id: &str,
    path: &Path,
    inline: bool,
) -> Result<LoadedModule, Diagnostic> {
    let (css, compiled) = compile_css_for_dev(config, path)?;
    let mut code = String::new();
    if inline {
        code.push_str(&format!("export default {};\n", js_string(&css)));
    } else {
        code.push_str(&format!(
            "__nexxo.updateStyle({}, {});\n",
            js_string(id),
            js_string(&css)
        ));
        code.push_str(&format!(
            "import.meta.hot.prune(() => __nexxo.removeStyle({}));\n",
            js_string(id)
        ));
        match &compiled.module_exports {
            Some(exports) => {
                let object: Vec<String> = exports
                    .iter()
                    .map(|(name, classes)| format!("{}: {}", js_string(name), js_string(classes)))
                    .collect();
                code.push_str(&format!("export default {{{}}};\n", object.join(", ")));
                for (name, classes) in exports {
                    if is_identifier(name) {
                        code.push_str(&format!("export const {name} = {};\n", js_string(classes)));
                    }
                }
            }
            None => code.push_str("import.meta.hot.accept();\n"),
        }
    }
    let name = format!("{}.js", config.display_path(path));
    let compiled_js = compile_module(Path::new(&name), &name, &code, settings)?;
    let mut files = compiled.files.clone();
    if !files.iter().any(|f| f == path) {
        files.push(path.to_path_buf());
    }
    finish(compiled_js, files, &code)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(
            name,
            "default"
                | "class"
                | "delete"
                | "new"
                | "function"
                | "var"
                | "let"
                | "const"
                | "import"
                | "export"
                | "in"
                | "for"
                | "if"
                | "do"
                | "switch"
                | "case"
                | "return"
        )
}

/// `export default <json>` plus named exports for top-level keys that are identifiers.
fn json_module(source: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(source)?;
    let mut code = format!("const json = {value};\nexport default json;\n");
    if let serde_json::Value::Object(map) = &value {
        for key in map.keys().filter(|k| is_identifier(k)) {
            code.push_str(&format!("export const {key} = json[{}];\n", js_string(key)));
        }
    }
    Ok(code)
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
