//! Stylesheets imported from JavaScript, through the CSS stage (`nexxo_css`): plain CSS, Sass,
//! CSS Modules (class maps as exports), `?inline` (the CSS text) and `?url` (its URL). Where the
//! compiled CSS goes is the host's choice: the build keeps it for the chunk's CSS file, dev puts
//! it in a `<style>` element that hot updates replace.

use std::path::{Path, PathBuf};

use nexxo_css::{
    compile_stylesheet, CompiledCss, CssOptions, CssUrl, StylesheetCache, StylesheetSource,
};
use nexxo_diagnostics::Diagnostic;

use super::json::is_export_name;
use crate::host::ModuleHost;
use crate::ids::{has_query_flag, js_string, split_query};
use crate::plugin::{HookFilter, Hooks, Lang, LoadArgs, LoadedModule, Plugin, SideEffects};

pub const STYLESHEET_EXTENSIONS: &[&str] = &[".css", ".scss", ".sass"];

/// Whether the stylesheet plugin handles this module id (`?raw` stays a plain text import).
pub fn is_stylesheet(id: &str) -> bool {
    let (path, query) = split_query(id);
    let lower = path.to_ascii_lowercase();
    STYLESHEET_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) && !has_query_flag(query, "raw")
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

    /// Compiles stylesheet text that is not a file of its own: a Vue `<style>` block, a Svelte
    /// component's CSS. Not cached here: the component's modules are (dev) and the whole
    /// build is.
    pub fn compile_text(&self, source: &StylesheetSource) -> Result<CompiledCss, Diagnostic> {
        nexxo_css::compile_stylesheet_source(source, &self.options)
    }

    /// The CSS with every local `url()` turned into the URL the host gives the file; external,
    /// data and fragment URLs, and files that do not exist, stay as written.
    pub fn resolve_urls(&self, compiled: &CompiledCss, host: &dyn ModuleHost) -> String {
        nexxo_css::replace_urls(&compiled.code, &compiled.urls, |url| {
            self.url_for(url, host).unwrap_or_else(|| url.url.clone())
        })
    }

    /// The module of stylesheet `id` (file `path`, or the file a `<style>` block is in) whose
    /// final CSS is `css`: the CSS text for `?inline`, its URL for `?url`, else the CSS handed
    /// to the host and the class map of a CSS Module.
    pub fn stylesheet_module(
        &self,
        id: &str,
        path: &Path,
        css: String,
        compiled: &CompiledCss,
        host: &dyn ModuleHost,
    ) -> Result<LoadedModule, Diagnostic> {
        let (_, query) = split_query(id);
        let mut files = compiled.files.clone();
        if !files.iter().any(|f| f == path) {
            files.push(path.to_path_buf());
        }
        let loaded = |code: String, side_effects: SideEffects| LoadedModule {
            code,
            lang: Lang::Js,
            files: files.clone(),
            side_effects,
        };
        if has_query_flag(query, "inline") {
            return Ok(loaded(
                format!("export default {};\n", js_string(&css)),
                SideEffects::None,
            ));
        }
        if has_query_flag(query, "url") {
            let url = host.stylesheet_url_expression(path, css)?;
            return Ok(loaded(
                format!("export default {url};\n"),
                SideEffects::None,
            ));
        }
        let is_module = compiled.module_exports.is_some();
        let mut code = host.take_stylesheet(id, css, compiled.map.clone(), is_module);
        match &compiled.module_exports {
            Some(exports) => code.push_str(&class_map_module(exports)),
            None => code.push_str("export {};\n"),
        }
        Ok(loaded(code, SideEffects::Keep))
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
        let aliased = nexxo_config::resolver::apply_alias(&self.options.alias, path_part)
            .filter(|a| Path::new(a).is_absolute());
        let file = match (aliased, path_part.strip_prefix('/')) {
            (Some(aliased), _) => PathBuf::from(aliased),
            (None, Some(rest)) => self.options.root.join(rest),
            (None, None) => url.from_file.parent()?.join(path_part),
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

impl Plugin for StylesheetModules {
    fn name(&self) -> &str {
        "nexxo:css"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter::extensions(&["css", "scss", "sass"])),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let id = args.id;
        if !is_stylesheet(id) {
            return Ok(None);
        }
        let path = Path::new(split_query(id).0);
        let compiled = self.compile(path)?;
        let css = self.resolve_urls(&compiled, host);
        self.stylesheet_module(id, path, css, &compiled, host)
            .map(Some)
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
        fn resolve(&self, _: &str, _: &Path) -> Option<PathBuf> {
            None
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
                alias: vec![],
                transform: None,
            },
            None,
            Some(root.join("public")),
        );
        let loaded = plugin
            .load(
                &LoadArgs {
                    id: &root.join("a.css").display().to_string(),
                    environment: crate::plugin::Environment::Page,
                },
                &ServeInPlace,
            )
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
        assert_eq!(loaded.side_effects, SideEffects::Keep);
    }

    #[test]
    fn stylesheet_ids() {
        assert!(is_stylesheet("/a/b.module.scss"));
        assert!(is_stylesheet("/a/b.css?inline"));
        assert!(!is_stylesheet("/a/b.css?raw"));
        assert!(!is_stylesheet("/a/b.ts"));
    }
}
