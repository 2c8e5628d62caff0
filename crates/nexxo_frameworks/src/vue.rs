//! Vue 3 single-file components, as `@vitejs/plugin-vue` compiles them: `@vue/compiler-sfc`
//! (from the project's `vue`) runs in the Node helper; the component's script comes back as
//! TypeScript or JavaScript for oxc; each `<style>` block is its own module
//! (`App.vue?vue&type=style&index=0&scoped=…&lang.scss`) compiled by Nexxo's CSS stage (Sass,
//! CSS Modules, lightningcss), then scoped by Vue's `compileStyle`.
//!
//! Hot updates: the component accepts itself and asks Vue's HMR runtime to re-render (the
//! script is unchanged: state kept) or reload it (the script changed).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_css::{StylesheetLang, StylesheetSource};
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{HookFilter, Hooks, Lang, LoadArgs, LoadedModule, ModuleHost, Plugin};
use serde::Deserialize;
use serde_json::{json, Map};

use crate::compilers::{CompilerWarning, NodeCompilers};
use crate::sfc_cache::{component_part, read_component, ComponentPart, LastCompiles};
use crate::FrameworkMode;

/// What the helper's `vue.compile` task returns.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompiledSfc {
    code: String,
    lang: String,
    /// Changes when the script (or what the template needs from it) changes: an edit that
    /// keeps it re-renders the component instead of reloading it.
    script_key: String,
    styles: Vec<StyleBlock>,
    #[serde(default)]
    files: Vec<PathBuf>,
    #[serde(default)]
    warnings: Vec<CompilerWarning>,
    /// The `data-v-…` id it was compiled with, for its style blocks.
    #[serde(skip)]
    scope_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StyleBlock {
    content: String,
    lang: String,
    scoped: bool,
    module: Option<String>,
    src_file: Option<PathBuf>,
    /// 1-based line of the .vue file where the block's text starts.
    line: usize,
    /// A plain CSS block already scoped (and `v-bind()` rewritten) by the compile request.
    #[serde(default)]
    scoped_css: Option<String>,
}

pub struct VueComponents {
    compilers: Arc<NodeCompilers>,
    stylesheets: Arc<StylesheetModules>,
    mode: FrameworkMode,
    compiled: LastCompiles<CompiledSfc>,
}

impl VueComponents {
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

    /// `data-v-<id>`'s id, as plugin-vue makes it: from the path relative to the root, plus the
    /// source in production builds.
    fn scope_id(&self, path: &Path, source: &str) -> String {
        let relative = nexxo_css::relative_name(self.compilers.root(), path);
        let mut hashed = relative.into_bytes();
        if self.mode.production {
            hashed.extend_from_slice(source.as_bytes());
        }
        format!("{:08x}", xxhash_rust::xxh3::xxh3_64(&hashed) as u32)
    }

    fn compile(&self, path: &Path) -> Result<crate::sfc_cache::Compiled<CompiledSfc>, Diagnostic> {
        let source = read_component(path)?;
        let scope_id = self.scope_id(path, &source);
        self.compiled.get_or_compile(path, &source, || {
            let mut args = Map::new();
            args.insert("filename".into(), json!(path));
            args.insert("source".into(), json!(source));
            args.insert("scopeId".into(), json!(scope_id));
            args.insert("production".into(), json!(self.mode.production));
            args.insert("hmr".into(), json!(self.mode.hmr));
            let result = self.compilers.run("vue.compile", "vue", args)?;
            let mut compiled = serde_json::from_value::<CompiledSfc>(result).map_err(|err| {
                Diagnostic::error(format!(
                    "{}: unexpected reply from the Vue compiler: {err}",
                    path.display()
                ))
            })?;
            compiled.scope_id = scope_id;
            Ok::<_, Diagnostic>(compiled)
        })
    }

    fn load_component(
        &self,
        path: &Path,
        host: &dyn ModuleHost,
    ) -> Result<LoadedModule, Diagnostic> {
        let compiled = self.compile(path)?;
        let sfc = &compiled.current;
        self.compilers.report_warnings(path, &sfc.warnings, host);
        let mut code = sfc.code.clone();
        if self.mode.hmr {
            // Vue's HMR runtime re-renders in place (state kept) when only the template or the
            // styles changed, and reloads the component when its script did.
            let rerender_only = compiled
                .previous
                .as_ref()
                .is_some_and(|previous| previous.script_key == sfc.script_key);
            code.push_str(&format!(
                "\nexport const _rerender_only = {rerender_only};\n"
            ));
        }
        let lang = match sfc.lang.as_str() {
            "ts" => Lang::Ts,
            "tsx" => Lang::Tsx,
            "jsx" => Lang::Jsx,
            _ => Lang::Js,
        };
        let mut files = vec![path.to_path_buf()];
        files.extend(sfc.files.iter().cloned());
        Ok(LoadedModule::script(code, lang, files))
    }

    fn load_style(
        &self,
        id: &str,
        path: &Path,
        index: usize,
        host: &dyn ModuleHost,
    ) -> Result<LoadedModule, Diagnostic> {
        let compiled = self.compile(path)?;
        let sfc = &compiled.current;
        let block = sfc.styles.get(index).ok_or_else(|| {
            Diagnostic::error(format!(
                "{}: no <style> block number {index}",
                path.display()
            ))
        })?;
        let lang = match block.lang.as_str() {
            "css" => StylesheetLang::Css,
            "scss" => StylesheetLang::Scss,
            "sass" => StylesheetLang::Sass,
            other => {
                return Err(Diagnostic::at(
                    format!(
                    "<style lang=\"{other}\"> is not supported: Nexxo compiles CSS, SCSS and Sass"
                ),
                    nexxo_css::relative_name(self.compilers.root(), path),
                    read_component(path).ok(),
                    block.line.saturating_sub(1).max(1),
                    1,
                ))
            }
        };
        let (sheet_path, line_offset) = match &block.src_file {
            Some(file) => (file.clone(), 0),
            None => (path.to_path_buf(), block.line.saturating_sub(1)),
        };
        let stylesheet = self.stylesheets.compile_text(&StylesheetSource {
            path: sheet_path,
            text: block
                .scoped_css
                .clone()
                .unwrap_or_else(|| block.content.clone()),
            lang,
            css_module: block.module.is_some(),
            line_offset,
        })?;
        let mut css = self.stylesheets.resolve_urls(&stylesheet, host);
        if block.scoped_css.is_none() && (block.scoped || css.contains("v-bind(")) {
            let mut args = Map::new();
            args.insert("filename".into(), json!(path));
            args.insert("css".into(), json!(css));
            args.insert("scopeId".into(), json!(sfc.scope_id));
            args.insert("scoped".into(), json!(block.scoped));
            args.insert("production".into(), json!(self.mode.production));
            let scoped = self.compilers.run("vue.style", "vue", args)?;
            css = scoped["code"].as_str().unwrap_or_default().to_string();
        }
        let mut module = self
            .stylesheets
            .stylesheet_module(id, path, css, &stylesheet, host)?;
        module.files.extend(block.src_file.iter().cloned());
        Ok(module)
    }
}

impl Plugin for VueComponents {
    fn name(&self) -> &str {
        "nexxo:vue"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter::extensions(&["vue"])),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        match component_part(args.id, "vue") {
            ComponentPart::Script(path) => self.load_component(path, host).map(Some),
            ComponentPart::Style { path, index } => {
                self.load_style(args.id, path, index, host).map(Some)
            }
            ComponentPart::Other => Ok(None),
        }
    }
}
