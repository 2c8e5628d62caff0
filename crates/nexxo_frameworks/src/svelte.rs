//! Svelte 5 (runes), 4 and 3 components: `svelte/compiler` from the project runs in the Node
//! helper, after oxc has stripped the TypeScript of `<script lang="ts">` blocks here. The
//! component's CSS becomes its own module (`App.svelte?svelte&type=style&lang.css`) through
//! Nexxo's CSS stage. Svelte 5 compiles with `hmr` in dev, so an edit re-renders the component
//! in place and keeps its state; Svelte 4 components, which need `svelte-hmr`, reload the page.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use nexxo_css::{StylesheetLang, StylesheetSource};
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::ids::{js_string, split_query};
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{
    HookFilter, Hooks, Lang, LoadArgs, LoadedModule, ModuleHost, Plugin, TransformArgs, Transformed,
};
use regex::Regex;
use serde::Deserialize;
use serde_json::{json, Map};

use crate::compilers::{CompilerWarning, NodeCompilers};
use crate::sfc_cache::{component_part, read_component, ComponentPart, LastCompiles};
use crate::strip_types::strip_types;
use crate::FrameworkMode;

/// What the helper's `svelte.compile` task returns.
#[derive(Debug, Deserialize)]
struct CompiledComponent {
    js: String,
    css: Option<String>,
    #[serde(default)]
    warnings: Vec<CompilerWarning>,
    /// Sass partials its `<style lang="scss">` read.
    #[serde(skip)]
    files: Vec<PathBuf>,
}

pub struct SvelteComponents {
    compilers: Arc<NodeCompilers>,
    stylesheets: Arc<StylesheetModules>,
    mode: FrameworkMode,
    compiled: LastCompiles<CompiledComponent>,
}

impl SvelteComponents {
    pub fn new(
        compilers: Arc<NodeCompilers>,
        stylesheets: Arc<StylesheetModules>,
        mode: FrameworkMode,
    ) -> Self {
        Self {
            compilers,
            stylesheets,
            mode,
            compiled: LastCompiles::default(),
        }
    }

    fn compile(&self, path: &Path) -> Result<Arc<CompiledComponent>, Diagnostic> {
        let source = read_component(path)?;
        let compiled = self.compiled.get_or_compile(path, &source, || {
            let display = nexxo_css::relative_name(self.compilers.root(), path);
            let (with_css, files) = self.compile_sass_styles(path, &source)?;
            let javascript = strip_script_types(&display, &with_css)?;
            let mut args = Map::new();
            args.insert("filename".into(), json!(path));
            args.insert("source".into(), json!(javascript));
            args.insert("production".into(), json!(self.mode.production));
            args.insert("hmr".into(), json!(self.mode.hmr));
            let result = self.compilers.run("svelte.compile", "svelte", args)?;
            let mut compiled =
                serde_json::from_value::<CompiledComponent>(result).map_err(|err| {
                    Diagnostic::error(format!(
                        "{display}: unexpected reply from the Svelte compiler: {err}"
                    ))
                })?;
            compiled.files = files;
            Ok::<_, Diagnostic>(compiled)
        })?;
        Ok(compiled.current)
    }

    /// The component with each `<style lang="scss">`/`"sass"` compiled to CSS by Nexxo's Sass
    /// (Svelte's compiler reads only CSS; under Vite, `vitePreprocess` does this), and the
    /// partials read. `url()`s stay as written: the component's CSS goes through the CSS stage
    /// again afterwards, which resolves them.
    fn compile_sass_styles(
        &self,
        path: &Path,
        source: &str,
    ) -> Result<(String, Vec<PathBuf>), Diagnostic> {
        static STYLE: OnceLock<Regex> = OnceLock::new();
        let style = STYLE.get_or_init(|| {
            Regex::new(
                r#"(?s)<style(\s[^>]*?)\blang\s*=\s*["']?(scss|sass)["']?([^>]*)>(.*?)</style>"#,
            )
            .expect("valid style pattern")
        });
        let mut out = String::with_capacity(source.len());
        let mut files = Vec::new();
        let mut last = 0;
        for captures in style.captures_iter(source) {
            let (Some(whole), Some(body)) = (captures.get(0), captures.get(4)) else {
                continue;
            };
            let lang = match &captures[2] {
                "sass" => StylesheetLang::Sass,
                _ => StylesheetLang::Scss,
            };
            let compiled = self.stylesheets.compile_text(&StylesheetSource {
                path: path.to_path_buf(),
                text: body.as_str().to_string(),
                lang,
                css_module: false,
                line_offset: source[..body.start()].matches('\n').count(),
            })?;
            let css =
                nexxo_css::replace_urls(&compiled.code, &compiled.urls, |url| url.url.clone());
            files.extend(compiled.files.iter().filter(|file| *file != path).cloned());
            out.push_str(&source[last..whole.start()]);
            out.push_str(&format!("<style{}{}>", &captures[1], &captures[3]));
            push_keeping_lines(&mut out, &css, body.as_str());
            out.push_str("</style>");
            last = whole.end();
        }
        out.push_str(&source[last..]);
        Ok((out, files))
    }

    fn load_component(
        &self,
        path: &Path,
        host: &dyn ModuleHost,
    ) -> Result<LoadedModule, Diagnostic> {
        let compiled = self.compile(path)?;
        self.compilers
            .report_warnings(path, &compiled.warnings, host);
        let mut code = compiled.js.clone();
        if compiled
            .css
            .as_deref()
            .is_some_and(|css| !css.trim().is_empty())
        {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            code.push_str(&format!(
                "\nimport {};\n",
                js_string(&format!("./{name}?svelte&type=style&lang.css"))
            ));
        }
        let mut files = vec![path.to_path_buf()];
        files.extend(compiled.files.iter().cloned());
        Ok(LoadedModule::script(code, Lang::Js, files))
    }

    fn load_style(
        &self,
        id: &str,
        path: &Path,
        host: &dyn ModuleHost,
    ) -> Result<LoadedModule, Diagnostic> {
        let compiled = self.compile(path)?;
        let stylesheet = self.stylesheets.compile_text(&StylesheetSource {
            path: path.to_path_buf(),
            text: compiled.css.clone().unwrap_or_default(),
            lang: StylesheetLang::Css,
            css_module: false,
            line_offset: 0,
        })?;
        let css = self.stylesheets.resolve_urls(&stylesheet, host);
        let mut module = self
            .stylesheets
            .stylesheet_module(id, path, css, &stylesheet, host)?;
        module.files.extend(compiled.files.iter().cloned());
        Ok(module)
    }
}

impl Plugin for SvelteComponents {
    fn name(&self) -> &str {
        "nexxo:svelte"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter::extensions(&["svelte"])),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        match component_part(args.id, "svelte") {
            ComponentPart::Script(path) => self.load_component(path, host).map(Some),
            ComponentPart::Style { path, .. } => self.load_style(args.id, path, host).map(Some),
            ComponentPart::Other => Ok(None),
        }
    }
}

/// Svelte 5 runes in plain modules (`counter.svelte.ts`, `store.svelte.js`): TypeScript
/// stripped by oxc, then `compileModule`.
pub struct SvelteRuneModules {
    compilers: Arc<NodeCompilers>,
    mode: FrameworkMode,
}

impl SvelteRuneModules {
    pub fn new(compilers: Arc<NodeCompilers>, mode: FrameworkMode) -> Self {
        Self { compilers, mode }
    }
}

impl Plugin for SvelteRuneModules {
    fn name(&self) -> &str {
        "nexxo:svelte-modules"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(HookFilter {
                id: Some(Regex::new(r"\.svelte\.[mc]?[jt]s(\?|$)").expect("valid pattern")),
                ..HookFilter::any()
            }),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let path = Path::new(split_query(args.id).0);
        let typescript = matches!(args.lang, Lang::Ts | Lang::Tsx);
        let code = compile_rune_module(
            &self.compilers,
            path,
            args.code,
            typescript,
            self.mode.production,
        )?;
        Ok(Some(Transformed {
            code,
            // The map leads to the stripped JavaScript, not to the TypeScript as written.
            map: None,
            files: Vec::new(),
            lang: Some(Lang::Js),
        }))
    }
}

/// A Svelte 5 rune module (`x.svelte.ts`, `x.svelte.js`) as JavaScript: TypeScript stripped
/// by oxc, then `compileModule`.
pub fn compile_rune_module(
    compilers: &NodeCompilers,
    path: &Path,
    code: &str,
    typescript: bool,
    production: bool,
) -> Result<String, Diagnostic> {
    let display = nexxo_css::relative_name(compilers.root(), path);
    let javascript = if typescript {
        strip_types(&display, code, false)?.code
    } else {
        code.to_string()
    };
    let mut request = Map::new();
    request.insert("filename".into(), json!(path));
    request.insert("source".into(), json!(javascript));
    request.insert("production".into(), json!(production));
    let result = compilers.run("svelte.module", "svelte", request)?;
    Ok(result["js"].as_str().unwrap_or_default().to_string())
}

/// A component inside a package (`bits-ui`, `@lucide/svelte` ship `.svelte` files) for the dev
/// server's dependency pre-bundle, which has no CSS stage: compiled with its CSS injected by
/// the component itself and without hot-update code (packages are not edited), as
/// vite-plugin-svelte's optimizer does.
pub fn compile_dependency_component(
    compilers: &NodeCompilers,
    path: &Path,
    source: &str,
) -> Result<String, Diagnostic> {
    let display = nexxo_css::relative_name(compilers.root(), path);
    let javascript = strip_script_types(&display, source)?;
    let mut request = Map::new();
    request.insert("filename".into(), json!(path));
    request.insert("source".into(), json!(javascript));
    request.insert("production".into(), json!(false));
    request.insert("hmr".into(), json!(false));
    request.insert("cssInjected".into(), json!(true));
    let result = compilers.run("svelte.compile", "svelte", request)?;
    Ok(result["js"].as_str().unwrap_or_default().to_string())
}

/// Appends `replacement` for a block whose text was `original`, padded with newlines to at
/// least `original`'s line count, so the compiler's positions after the block stay right.
fn push_keeping_lines(out: &mut String, replacement: &str, original: &str) {
    out.push_str(replacement);
    let missing = original
        .matches('\n')
        .count()
        .saturating_sub(replacement.matches('\n').count());
    out.extend(std::iter::repeat_n('\n', missing));
}

/// The component with the TypeScript of each `<script lang="ts">` removed. Each block keeps
/// its line count, so the compiler's positions in the markup after it stay right.
fn strip_script_types(display: &str, source: &str) -> Result<String, Diagnostic> {
    static SCRIPT: OnceLock<Regex> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        Regex::new(r"(?s)<script(\s[^>]*)?>(.*?)</script>").expect("valid script pattern")
    });
    static TS_LANG: OnceLock<Regex> = OnceLock::new();
    let ts_lang = TS_LANG.get_or_init(|| {
        Regex::new(r#"\blang\s*=\s*["']?(ts|typescript)\b"#).expect("valid lang pattern")
    });
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    for captures in script.captures_iter(source) {
        let attributes = captures.get(1).map_or("", |m| m.as_str());
        let Some(body) = captures.get(2) else {
            continue;
        };
        if !ts_lang.is_match(attributes) {
            continue;
        }
        let lines_before = source[..body.start()].matches('\n').count();
        let stripped = strip_types(display, body.as_str(), false).map_err(|mut error| {
            // Positions are in the block: move them to the component file.
            if let Some(location) = error.location.as_mut() {
                location.line += lines_before;
                location.source = Some(source.to_string());
            }
            error
        })?;
        out.push_str(&source[last..body.start()]);
        push_keeping_lines(&mut out, &format!("\n{}", stripped.code), body.as_str());
        last = body.end();
    }
    out.push_str(&source[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typescript_is_stripped_and_imports_used_by_markup_stay() {
        let source = "<script lang=\"ts\">\n  import Icon from './Icon.svelte';\n  import type { Item } from './types';\n  let { items }: { items: Item[] } = $props();\n  let count: number = $state(0);\n\n\n</script>\n\n<Icon />\n<p>{count}</p>\n";
        let out = strip_script_types("App.svelte", source).unwrap();
        assert!(out.contains("import Icon from"), "{out}");
        assert!(!out.contains("import type"), "{out}");
        assert!(!out.contains(": number"), "{out}");
        // The markup keeps its line.
        let line_of =
            |text: &str, needle: &str| text[..text.find(needle).unwrap()].matches('\n').count();
        assert_eq!(line_of(&out, "<Icon />"), line_of(source, "<Icon />"));
        assert!(
            out.contains("lang=\"ts\""),
            "the attribute stays for Svelte 5's parser"
        );
    }

    #[test]
    fn plain_scripts_are_left_alone_and_errors_point_into_the_component() {
        let source = "<script>\n  let a = 1;\n</script>\n<p>{a}</p>\n";
        assert_eq!(strip_script_types("A.svelte", source).unwrap(), source);
        let broken = "<p>hi</p>\n<script lang=\"ts\">\n  let a: number = ;\n</script>\n";
        let error = strip_script_types("B.svelte", broken).unwrap_err();
        assert_eq!(error.location.map(|l| l.line), Some(3));
    }
}
