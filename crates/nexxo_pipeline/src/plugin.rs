//! What a plugin is: a name, the hooks it uses with a filter each, and the hooks themselves.
//! Every hook gets the module's [`Environment`] as an argument; nothing is global.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;
use regex::Regex;

use crate::host::ModuleHost;
use crate::ids::{extension, has_query_flag, is_in_package, split_query};

/// Where a module runs. A worker's modules are loaded and transformed for a worker (no DOM,
/// no page stylesheets), a page's for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// A document's scripts.
    Page,
    /// A dedicated or shared web worker.
    Worker,
}

/// Extensions of script files (without the dot): the ones [`Lang::of`] knows.
pub const SCRIPT_EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"];

/// The language of a module's code, which decides how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Js,
    Jsx,
    Ts,
    Tsx,
}

impl Lang {
    /// The language of a script file by its extension; `None` for files that are not scripts.
    pub fn of(id: &str) -> Option<Lang> {
        Some(match extension(id)?.as_str() {
            "js" | "mjs" | "cjs" => Lang::Js,
            "jsx" => Lang::Jsx,
            "ts" | "mts" | "cts" => Lang::Ts,
            "tsx" => Lang::Tsx,
            _ => return None,
        })
    }
}

/// Which queries a hook's filter accepts.
#[derive(Debug, Clone, Default)]
pub enum QueryFilter {
    /// With or without a query.
    #[default]
    Any,
    /// Only ids without a query.
    None,
    /// Only ids with a query.
    Present,
    /// Only ids whose query holds one of these flags (`worker`, `raw`…).
    AnyFlag(Vec<&'static str>),
}

/// The modules a hook is called for, checked by the container before the call (as Rolldown's
/// and Vite 7's hook filters), so a module no plugin wants costs one check per plugin.
#[derive(Debug, Clone, Default)]
pub struct HookFilter {
    /// Extensions without the dot, lower case; empty: any.
    pub extensions: Vec<&'static str>,
    pub query: QueryFilter,
    /// A pattern the whole id must match.
    pub id: Option<Regex>,
    /// Transform only: text the code must contain.
    pub code_contains: Option<&'static str>,
    /// Leave files inside `node_modules` alone.
    pub skip_packages: bool,
    /// A user plugin's `{ id, code }` include/exclude patterns.
    pub patterns: Option<std::sync::Arc<PatternFilter>>,
}

/// A user plugin's hook filter as Rolldown and Vite 7 define it: an id (or code) must match no
/// `exclude` pattern and, when there are `include` patterns, one of them.
#[derive(Debug, Clone, Default)]
pub struct PatternFilter {
    pub id_include: Vec<IdPattern>,
    pub id_exclude: Vec<IdPattern>,
    pub code_include: Vec<CodePattern>,
    pub code_exclude: Vec<CodePattern>,
}

#[derive(Debug, Clone)]
pub enum IdPattern {
    /// A glob matched against the id's path (without its query).
    Glob(globset::GlobMatcher),
    /// A regular expression matched against the whole id.
    Regex(Regex),
}

impl IdPattern {
    fn matches(&self, id: &str) -> bool {
        match self {
            IdPattern::Glob(glob) => glob.is_match(split_query(id).0),
            IdPattern::Regex(regex) => regex.is_match(id),
        }
    }
}

#[derive(Debug, Clone)]
pub enum CodePattern {
    Contains(String),
    Regex(Regex),
}

impl CodePattern {
    fn matches(&self, code: &str) -> bool {
        match self {
            CodePattern::Contains(text) => code.contains(text.as_str()),
            CodePattern::Regex(regex) => regex.is_match(code),
        }
    }
}

impl PatternFilter {
    pub fn matches(&self, id: &str, code: Option<&str>) -> bool {
        fn passes<P>(include: &[P], exclude: &[P], matches: impl Fn(&P) -> bool) -> bool {
            !exclude.iter().any(&matches) && (include.is_empty() || include.iter().any(matches))
        }
        passes(&self.id_include, &self.id_exclude, |p| p.matches(id))
            && code.is_none_or(|code| {
                passes(&self.code_include, &self.code_exclude, |p| p.matches(code))
            })
    }
}

impl HookFilter {
    /// Any module.
    pub fn any() -> Self {
        Self::default()
    }

    /// Script files (JavaScript and TypeScript, with or without JSX).
    pub fn scripts() -> Self {
        Self::extensions(SCRIPT_EXTENSIONS)
    }

    pub fn extensions(extensions: &[&'static str]) -> Self {
        Self {
            extensions: extensions.to_vec(),
            ..Self::default()
        }
    }

    pub fn query_flags(flags: &[&'static str]) -> Self {
        Self {
            query: QueryFilter::AnyFlag(flags.to_vec()),
            ..Self::default()
        }
    }

    pub fn with_code(mut self, text: &'static str) -> Self {
        self.code_contains = Some(text);
        self
    }

    pub fn without_packages(mut self) -> Self {
        self.skip_packages = true;
        self
    }

    /// Whether the hook wants module `id` (with `code`, for transform filters).
    pub fn matches(&self, id: &str, code: Option<&str>) -> bool {
        if !self.extensions.is_empty()
            && !extension(id).is_some_and(|ext| self.extensions.contains(&ext.as_str()))
        {
            return false;
        }
        let (_, query) = split_query(id);
        let query_ok = match &self.query {
            QueryFilter::Any => true,
            QueryFilter::None => query.is_none(),
            QueryFilter::Present => query.is_some(),
            QueryFilter::AnyFlag(flags) => flags.iter().any(|flag| has_query_flag(query, flag)),
        };
        query_ok
            && self
                .patterns
                .as_ref()
                .is_none_or(|patterns| patterns.matches(id, code))
            && !(self.skip_packages && is_in_package(id))
            && self.id.as_ref().is_none_or(|pattern| pattern.is_match(id))
            && match (self.code_contains, code) {
                (Some(text), Some(code)) => code.contains(text),
                _ => true,
            }
    }
}

/// The hooks a plugin uses, each with its filter; a hook not listed is never called.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    pub resolve_id: Option<HookFilter>,
    pub load: Option<HookFilter>,
    pub transform: Option<HookFilter>,
    /// The plugin wants to hear of file changes (dev server, `build --watch`).
    pub hot_update: bool,
    /// Build only: the plugin changes rendered chunks or emits files beside them.
    pub render_chunk: bool,
    /// Build only: the plugin adds files once every chunk is rendered.
    pub generate_bundle: bool,
    /// The plugin runs code at the start and end of a build (Rollup's `buildStart`,
    /// `buildEnd`, `writeBundle`, `closeBundle`).
    pub build_lifecycle: bool,
    /// The plugin changes pages' HTML (Vite's `transformIndexHtml`).
    pub transform_html: bool,
    /// Build only: the plugin reads each module once it is parsed (Rollup's `moduleParsed`).
    pub module_parsed: bool,
}

pub struct ResolveArgs<'a> {
    /// As written, with its query.
    pub specifier: &'a str,
    /// The importing file (absolute); `None` for entries.
    pub importer: Option<&'a Path>,
    pub environment: Environment,
}

/// What a `resolve_id` hook answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedId {
    /// An absolute path with an optional `?query`, or a virtual id starting with `\0`.
    pub id: String,
}

pub struct LoadArgs<'a> {
    /// An absolute path with an optional `?query`.
    pub id: &'a str,
    pub environment: Environment,
}

/// A module a plugin produced.
#[derive(Debug, Clone)]
pub struct LoadedModule {
    pub code: String,
    pub lang: Lang,
    /// Files read to make the module: the driver watches them (and the dev cache checks them).
    pub files: Vec<PathBuf>,
    pub side_effects: SideEffects,
}

/// Whether a bundler may drop a module whose exports nothing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideEffects {
    /// Never: the module does something when it runs (a stylesheet's CSS goes on the page).
    Keep,
    /// As its code and package say (scripts).
    FromCode,
    /// Always: only its exports matter (an asset's URL, JSON).
    None,
}

impl LoadedModule {
    /// Generated JavaScript made from `files` that only exports values.
    pub fn js(code: String, files: Vec<PathBuf>) -> Self {
        Self {
            code,
            lang: Lang::Js,
            files,
            side_effects: SideEffects::None,
        }
    }

    /// A script (its side effects are its code's).
    pub fn script(code: String, lang: Lang, files: Vec<PathBuf>) -> Self {
        Self {
            code,
            lang,
            files,
            side_effects: SideEffects::FromCode,
        }
    }
}

pub struct TransformArgs<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub lang: Lang,
    pub environment: Environment,
}

/// New code for a module, with the source map from the code the hook was given.
#[derive(Debug, Clone)]
pub struct Transformed {
    pub code: String,
    /// Source map JSON; `None` when lines and columns did not move.
    pub map: Option<String>,
    /// More files the result depends on (a glob's folder, a worker's entry).
    pub files: Vec<PathBuf>,
    /// The language of the new code when it changed (Solid's JSX compiled to JavaScript,
    /// TypeScript stripped); later hooks and the compile step parse it as this.
    pub lang: Option<Lang>,
}

/// How the build writes source maps (`build.sourcemap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcemapMode {
    /// A `.map` file beside the output, named in a comment.
    File,
    /// A data URL in the comment.
    Inline,
    /// A `.map` file, not named in the output.
    Hidden,
}

/// One rendered chunk of a build, for `render_chunk`.
pub struct RenderChunkArgs<'a> {
    /// The chunk's name (`index`, a lazy module's stem).
    pub name: &'a str,
    /// Its output file (relative to outDir).
    pub file_name: &'a str,
    /// The modules whose code the chunk holds, in execution order.
    pub rendered_modules: &'a [String],
    /// Every module the chunk was made from (tree-shaken ones too).
    pub module_ids: &'a [String],
    pub is_entry: bool,
    pub code: &'a str,
    /// `None`: no source maps.
    pub sourcemap: Option<SourcemapMode>,
}

/// What the build offers chunk hooks.
pub trait ChunkHost {
    /// Writes `bytes` as the output file `file_name` (relative to outDir).
    fn emit_file(&self, file_name: &str, bytes: Vec<u8>) -> Result<(), Diagnostic>;
    /// The bundle's files so far (Rollup's `OutputBundle`, for `generateBundle`).
    fn outputs(&self) -> Vec<OutputFile> {
        Vec::new()
    }
    /// The build's modules and how they import each other (Rollup's `this.getModuleInfo`).
    fn module_infos(&self) -> Vec<ModuleInfo> {
        Vec::new()
    }
}

/// One module of a build's graph, as Rollup's `this.getModuleInfo` describes it.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    pub id: String,
    /// The module's code after every transform; only `moduleParsed` gets it.
    pub code: Option<String>,
    pub is_entry: bool,
    pub imported_ids: Vec<String>,
    pub dynamically_imported_ids: Vec<String>,
    pub importers: Vec<String>,
    pub dynamic_importers: Vec<String>,
}

/// One file of a build's output, as Rollup's `generateBundle` and `writeBundle` see it.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Relative to outDir.
    pub file_name: String,
    pub kind: OutputKind,
}

#[derive(Debug, Clone)]
pub enum OutputKind {
    Chunk {
        name: String,
        code: String,
        is_entry: bool,
        is_dynamic_entry: bool,
        /// Ids of the chunks it imports statically and with `import()`.
        imports: Vec<String>,
        dynamic_imports: Vec<String>,
        /// Module id → rendered length (bytes of the module's code in the chunk).
        modules: Vec<(String, usize)>,
    },
    Asset {
        source: Vec<u8>,
    },
}

impl Transformed {
    /// The edited code of module `id`, with a source map back to the code it was given.
    pub fn edited(code: &string_wizard::MagicString, id: &str, files: Vec<PathBuf>) -> Self {
        let map = code.source_map(string_wizard::SourceMapOptions {
            hires: string_wizard::Hires::Boundary,
            include_content: true,
            source: std::sync::Arc::from(id),
        });
        Self {
            code: code.to_string(),
            map: Some(map.to_json_string()),
            files,
            lang: None,
        }
    }
}

/// How a file changed, for `hot_update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Created,
    Modified,
    Removed,
}

/// One feature of the module pipeline. Hooks answer `Ok(None)` for modules that are not
/// theirs; an error stops that module with a diagnostic.
pub trait Plugin: Send + Sync {
    fn name(&self) -> &str;

    /// The hooks this plugin uses and their filters.
    fn hooks(&self) -> Hooks;

    fn resolve_id(
        &self,
        _args: &ResolveArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        Ok(None)
    }

    fn load(
        &self,
        _args: &LoadArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        Ok(None)
    }

    fn transform(
        &self,
        _args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        Ok(None)
    }

    /// Build only: new code for a rendered chunk (with its map from the code given).
    fn render_chunk(
        &self,
        _args: &RenderChunkArgs,
        _host: &dyn ChunkHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        Ok(None)
    }

    /// Build only: every chunk is rendered; files that depend on all of them are emitted now.
    fn generate_bundle(&self, _host: &dyn ChunkHost) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Build only, with `Hooks::module_parsed`: `info`'s module is parsed (its importers so far).
    fn module_parsed(&self, _info: &ModuleInfo) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Build only, with `Hooks::build_lifecycle`: a build starts (Rollup's `buildStart`).
    fn build_start(&self) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Build only, with `Hooks::build_lifecycle`: every module is loaded (`error`: why the
    /// build failed, if it did).
    fn build_end(&self, _error: Option<&str>) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Build only, with `Hooks::build_lifecycle`: the output is written to outDir.
    fn write_bundle(&self, _outputs: &[OutputFile]) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Build only, with `Hooks::build_lifecycle`: the build is over, written or failed.
    fn close_bundle(&self) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// With `Hooks::transform_html`: new HTML for the page `path` (absolute), before Nexxo
    /// reads its scripts and links.
    fn transform_html(&self, _html: &str, _path: &Path) -> Result<Option<String>, Diagnostic> {
        Ok(None)
    }

    /// A file was created, changed or removed: the modules (ids) that must be compiled again
    /// beyond those that read the file (a glob importer when a matching file appears).
    fn hot_update(&self, _file: &Path, _change: FileChange) -> Vec<String> {
        Vec::new()
    }

    /// What, beyond the config and Nexxo's own build, decides this plugin's output (a user
    /// plugin's code, the files it may read): part of the dev module cache's key. Empty for
    /// the built-in plugins.
    fn fingerprint(&self) -> String {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_check_extension_query_packages_and_code() {
        let css = HookFilter::extensions(&["css", "scss"]);
        assert!(css.matches("/p/a.module.SCSS?inline", None));
        assert!(!css.matches("/p/a.ts", None));
        let worker = HookFilter::query_flags(&["worker", "sharedworker"]);
        assert!(worker.matches("/p/w.ts?worker&inline", None));
        assert!(!worker.matches("/p/w.ts?workers", None));
        assert!(!worker.matches("/p/w.ts", None));
        let glob = HookFilter::any()
            .with_code("import.meta.glob")
            .without_packages();
        assert!(glob.matches("/p/a.ts", Some("import.meta.glob('./*.ts')")));
        assert!(!glob.matches("/p/a.ts", Some("plain")));
        assert!(!glob.matches("/p/node_modules/x/a.js", Some("import.meta.glob")));
    }

    #[test]
    fn langs_by_extension() {
        assert_eq!(Lang::of("/a/b.mts?v=1"), Some(Lang::Ts));
        assert_eq!(Lang::of("/a/b.jsx"), Some(Lang::Jsx));
        assert_eq!(Lang::of("/a/b.css"), None);
    }
}
