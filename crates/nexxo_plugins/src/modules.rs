//! Nexxo's module plugins: one interface, two drivers.
//!
//! Each feature that turns an imported file into JavaScript is a [`ModulePlugin`]:
//! [`StylesheetModules`] (CSS, Sass, CSS Modules, `?inline`/`?url`), [`AssetModules`] (images,
//! fonts… and `?url`/`?raw`/`?inline`) and [`JsonModules`]. The build runs them inside rolldown's
//! `load` hook (`assets.rs`, `css.rs`, `json.rs`); the dev server calls the same plugins from its
//! module pipeline (`nexxo_dev::load`), as Vite's plugin container does, so dev and build agree.
//!
//! What differs between the drivers is asked of the [`ModuleHost`]: where a file's URL points
//! (the build emits a hashed copy or inlines it; dev serves the file where it is) and where the
//! compiled CSS of an imported stylesheet goes (the build collects it per chunk; dev puts it in
//! a `<style>` element that hot updates replace).

use std::path::{Path, PathBuf};

use nexxo_css::{compile_stylesheet, CompiledCss, CssOptions, CssUrl, StylesheetCache};
use nexxo_diagnostics::Diagnostic;

use crate::asset_url::{data_url, js_string};
use crate::assets::{classify, has_query_flag, split_query, AssetImport};

pub const STYLESHEET_EXTENSIONS: &[&str] = &[".css", ".scss", ".sass"];

/// A module a plugin produced: JavaScript plus the files it was made from.
#[derive(Debug, Clone)]
pub struct LoadedJs {
    pub code: String,
    /// Files read to make the module: the driver watches them (and the dev cache checks them).
    pub files: Vec<PathBuf>,
    /// The module must stay in the bundle even when nothing reads its exports (its CSS does).
    pub keep_without_exports: bool,
}

/// What each driver decides for the plugins.
pub trait ModuleHost {
    /// A JS expression giving the URL of `path`, imported as an asset (`bytes` already read).
    fn asset_url_expression(&self, path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic>;
    /// The URL a stylesheet's `url()` gets for the local file `path` (`bytes` already read).
    fn css_asset_url(&self, path: &Path, bytes: Vec<u8>) -> Option<String>;
    /// The URL a stylesheet's `url()` gets for `/name`, a file of `public/`.
    fn public_url(&self, name: &str) -> String;
    /// A JS expression giving the URL of a stylesheet imported with `?url` (its compiled CSS).
    fn stylesheet_url_expression(&self, path: &Path, css: String) -> Result<String, Diagnostic>;
    /// Takes the compiled CSS of an imported stylesheet; returns code the module starts with.
    fn take_stylesheet(
        &self,
        id: &str,
        css: String,
        map: Option<String>,
        is_module: bool,
    ) -> String;
}

/// One feature that loads module ids into JavaScript. `Ok(None)`: not this plugin's module.
pub trait ModulePlugin: Send + Sync {
    fn name(&self) -> &'static str;
    fn load(&self, id: &str, host: &dyn ModuleHost) -> Result<Option<LoadedJs>, Diagnostic>;
}

fn read(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    nexxo_diagnostics::input::read_regular(path).map_err(|err| {
        Diagnostic::error(format!(
            "cannot read imported file {}: {err}",
            path.display()
        ))
    })
}

/// Whether the stylesheet plugin handles this module id (`?raw` stays a plain text import).
pub fn is_stylesheet(id: &str) -> bool {
    let (path, query) = split_query(id);
    let lower = path.to_ascii_lowercase();
    STYLESHEET_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) && !has_query_flag(query, "raw")
}

/// Imported files that are not code, and the `?url`/`?raw`/`?inline` queries.
#[derive(Debug, Default)]
pub struct AssetModules;

impl ModulePlugin for AssetModules {
    fn name(&self) -> &'static str {
        "nexxo:assets"
    }

    fn load(&self, id: &str, host: &dyn ModuleHost) -> Result<Option<LoadedJs>, Diagnostic> {
        let Some(kind) = classify(id) else {
            return Ok(None);
        };
        let path = Path::new(split_query(id).0);
        let bytes = read(path)?;
        let expression = match kind {
            AssetImport::Raw => js_string(&String::from_utf8_lossy(&bytes)),
            AssetImport::Inline => js_string(&data_url(path, &bytes)),
            AssetImport::Url => host.asset_url_expression(path, bytes)?,
        };
        Ok(Some(LoadedJs {
            code: format!("export default {expression};\n"),
            files: vec![path.to_path_buf()],
            keep_without_exports: false,
        }))
    }
}

/// JSON files: a default export plus one named export per top-level key that is a valid name
/// (so an app that imports one key gets only that key in its bundle).
#[derive(Debug)]
pub struct JsonModules {
    /// Errors name files relative to the project root.
    pub root: PathBuf,
    /// Leave JSON inside `node_modules` to the bundler: a package's CommonJS
    /// `require('./data.json')` must get the object itself, which rolldown's own JSON support
    /// gives and an ES module does not. (The dev server bundles packages with rolldown too.)
    pub leave_packages_to_bundler: bool,
}

impl ModulePlugin for JsonModules {
    fn name(&self) -> &'static str {
        "nexxo:json"
    }

    fn load(&self, id: &str, _host: &dyn ModuleHost) -> Result<Option<LoadedJs>, Diagnostic> {
        let (path_text, query) = split_query(id);
        if query.is_some() || !path_text.to_ascii_lowercase().ends_with(".json") {
            return Ok(None);
        }
        let in_package = Path::new(path_text)
            .components()
            .any(|c| c.as_os_str() == "node_modules");
        if in_package && self.leave_packages_to_bundler {
            return Ok(None);
        }
        let path = Path::new(path_text);
        let source = String::from_utf8_lossy(&read(path)?).into_owned();
        let code = json_module(&source).map_err(|err| {
            Diagnostic::at(
                format!("invalid JSON: {err}"),
                nexxo_diagnostics::display_path(path.strip_prefix(&self.root).unwrap_or(path)),
                Some(source.clone()),
                err.line(),
                err.column(),
            )
        })?;
        Ok(Some(LoadedJs {
            code,
            files: vec![path.to_path_buf()],
            keep_without_exports: false,
        }))
    }
}

/// `export const key = …` per valid key, and a default export object built from them.
pub fn json_module(source: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(source)?;
    let serde_json::Value::Object(map) = &value else {
        return Ok(format!("export default {value};\n"));
    };
    let mut code = String::new();
    let mut fields = Vec::new();
    for (index, (key, item)) in map.iter().enumerate() {
        if is_export_name(key) {
            code.push_str(&format!("export const {key} = {item};\n"));
            fields.push(format!("{}: {key}", js_string(key)));
        } else {
            // Not a valid binding name: still in the default export.
            code.push_str(&format!("const __json_{index} = {item};\n"));
            fields.push(format!("{}: __json_{index}", js_string(key)));
        }
    }
    code.push_str(&format!("export default {{ {} }};\n", fields.join(", ")));
    Ok(code)
}

/// Whether `name` can be a named export (`export const name`): an ASCII identifier that is
/// not a reserved word in module code.
pub fn is_export_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "arguments",
        "eval",
    ];
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
}

/// `export default { local: "scoped" }` plus a named export per class name that can be one.
pub fn class_map_module(exports: &[(String, String)]) -> String {
    let entries: Vec<String> = exports
        .iter()
        .map(|(local, classes)| format!("  {}: {}", js_string(local), js_string(classes)))
        .collect();
    let mut js = format!("export default {{\n{}\n}};\n", entries.join(",\n"));
    for (local, classes) in exports {
        if is_export_name(local) {
            js.push_str(&format!("export const {local} = {};\n", js_string(classes)));
        }
    }
    js
}

/// Stylesheets imported from JavaScript, through the CSS stage (`nexxo_css`).
#[derive(Debug)]
pub struct StylesheetModules {
    pub options: CssOptions,
    /// Earlier results from the persistent cache (the build's CSS stage); dev caches whole
    /// modules instead.
    cache: Option<StylesheetCache>,
    public_dir: Option<PathBuf>,
}

impl StylesheetModules {
    pub fn new(
        options: CssOptions,
        cache: Option<StylesheetCache>,
        public_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            options,
            cache,
            public_dir,
        }
    }

    pub fn compile(&self, path: &Path) -> Result<CompiledCss, Diagnostic> {
        match &self.cache {
            Some(cache) => cache.compile(path, &self.options),
            None => compile_stylesheet(path, &self.options),
        }
    }

    /// The CSS with every local `url()` turned into the URL the host gives the file; external,
    /// data and fragment URLs, and files that do not exist, stay as written.
    pub fn resolve_urls(&self, compiled: &CompiledCss, host: &dyn ModuleHost) -> String {
        nexxo_css::replace_urls(&compiled.code, &compiled.urls, |url| {
            self.url_for(url, host).unwrap_or_else(|| url.url.clone())
        })
    }

    fn url_for(&self, url: &CssUrl, host: &dyn ModuleHost) -> Option<String> {
        let written = url.url.as_str();
        if !nexxo_html::is_local_url(written) {
            return None;
        }
        let path_part = written.split(['?', '#']).next()?;
        // `?#iefix`, `?v=2`: kept on the new URL.
        let suffix = &written[path_part.len()..];
        if let Some(rest) = path_part.strip_prefix('/') {
            if let Some(public) = &self.public_dir {
                if public.join(rest).is_file() {
                    return Some(host.public_url(rest) + suffix);
                }
            }
        }
        let file = match path_part.strip_prefix('/') {
            Some(rest) => self.options.root.join(rest),
            None => url.from_file.parent()?.join(path_part),
        };
        let bytes = nexxo_diagnostics::input::read_regular(&file).ok()?;
        let new_url = host.css_asset_url(&file, bytes)?;
        Some(if new_url.starts_with("data:") {
            new_url
        } else {
            new_url + suffix
        })
    }
}

impl ModulePlugin for StylesheetModules {
    fn name(&self) -> &'static str {
        "nexxo:css"
    }

    fn load(&self, id: &str, host: &dyn ModuleHost) -> Result<Option<LoadedJs>, Diagnostic> {
        if !is_stylesheet(id) {
            return Ok(None);
        }
        let (path_text, query) = split_query(id);
        let path = Path::new(path_text);
        let compiled = self.compile(path)?;
        let css = self.resolve_urls(&compiled, host);
        let mut files = compiled.files.clone();
        if !files.iter().any(|f| f == path) {
            files.push(path.to_path_buf());
        }
        let loaded = |code: String, keep_without_exports: bool| {
            Ok(Some(LoadedJs {
                code,
                files: files.clone(),
                keep_without_exports,
            }))
        };
        if has_query_flag(query, "inline") {
            return loaded(format!("export default {};\n", js_string(&css)), false);
        }
        if has_query_flag(query, "url") {
            let url = host.stylesheet_url_expression(path, css)?;
            return loaded(format!("export default {url};\n"), false);
        }
        let is_module = compiled.module_exports.is_some();
        let mut code = host.take_stylesheet(id, css, compiled.map.clone(), is_module);
        match &compiled.module_exports {
            Some(exports) => code.push_str(&class_map_module(exports)),
            None => code.push_str("export {};\n"),
        }
        loaded(code, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_become_named_exports_unless_reserved() {
        let code = json_module(r#"{"name": "app", "private": true, "my-key": 1}"#).unwrap();
        assert!(code.contains("export const name = \"app\";"), "{code}");
        assert!(!code.contains("export const private"), "{code}");
        assert!(!code.contains("export const my-key"), "{code}");
        assert!(code.contains("\"private\": __json_1"), "{code}");
        assert!(code.contains("\"my-key\": __json_2"), "{code}");
        assert_eq!(json_module("[1, 2]").unwrap(), "export default [1,2];\n");
    }

    #[test]
    fn class_map_exports_default_and_named() {
        let js = class_map_module(&[
            ("title".into(), "a_title_x".into()),
            ("is-big".into(), "a_is-big_x".into()),
            ("static".into(), "a_static_x".into()),
        ]);
        assert!(js.contains("\"title\": \"a_title_x\""));
        assert!(js.contains("\"is-big\": \"a_is-big_x\""));
        assert!(js.contains("export const title = \"a_title_x\";"));
        assert!(!js.contains("export const is-big"));
        assert!(!js.contains("export const static"));
    }

    /// A host that serves files where they are, as the dev server does.
    struct ServeInPlace;

    impl ModuleHost for ServeInPlace {
        fn asset_url_expression(&self, path: &Path, _: Vec<u8>) -> Result<String, Diagnostic> {
            Ok(js_string(&format!("/served{}", path.display())))
        }
        fn css_asset_url(&self, path: &Path, _: Vec<u8>) -> Option<String> {
            Some(format!("/served/{}", path.file_name()?.to_string_lossy()))
        }
        fn public_url(&self, name: &str) -> String {
            format!("/base/{name}")
        }
        fn stylesheet_url_expression(&self, path: &Path, _: String) -> Result<String, Diagnostic> {
            Ok(js_string(&path.display().to_string()))
        }
        fn take_stylesheet(&self, _: &str, css: String, _: Option<String>, _: bool) -> String {
            format!("/* {css} */\n")
        }
    }

    #[test]
    fn stylesheet_urls_keep_external_data_and_fragment_urls_and_suffixes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("public")).unwrap();
        std::fs::write(root.join("public/bg.png"), b"png").unwrap();
        std::fs::write(root.join("font.woff2"), b"woff").unwrap();
        std::fs::write(
            root.join("a.css"),
            ".a { background: url(https://cdn.example.com/x.png); }\n\
             .b { background: url(data:image/gif;base64,R0lGODlhAQABAAAAACw=); }\n\
             .c { mask: url(#shape); }\n\
             .d { background: url(/bg.png); }\n\
             @font-face { font-family: f; src: url(./font.woff2?v=2#iefix); }\n",
        )
        .unwrap();
        let plugin = StylesheetModules::new(
            CssOptions {
                root: root.clone(),
                targets: vec![],
                minify: false,
                sourcemap: false,
                modules_pattern: "[local]".into(),
            },
            None,
            Some(root.join("public")),
        );
        let loaded = plugin
            .load(&root.join("a.css").display().to_string(), &ServeInPlace)
            .unwrap()
            .unwrap();
        let css = &loaded.code;
        assert!(css.contains("https://cdn.example.com/x.png"), "{css}");
        assert!(
            css.contains("data:image/gif;base64,R0lGODlhAQABAAAAACw="),
            "{css}"
        );
        assert!(
            css.contains("url(\"#shape\")") || css.contains("url(#shape)"),
            "{css}"
        );
        assert!(css.contains("/base/bg.png"), "{css}");
        assert!(css.contains("/served/font.woff2?v=2#iefix"), "{css}");
        assert!(loaded.keep_without_exports);
    }

    #[test]
    fn stylesheet_ids() {
        assert!(is_stylesheet("/a/b.module.scss"));
        assert!(is_stylesheet("/a/b.css?inline"));
        assert!(!is_stylesheet("/a/b.css?raw"));
        assert!(!is_stylesheet("/a/b.ts"));
    }
}
