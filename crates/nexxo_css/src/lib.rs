//! The CSS stage: one stylesheet (and everything it `@import`s) in, one CSS string out.
//!
//! - Sass (`.scss`, `.sass`) compiles through `grass`, with `node_modules` on the load path,
//!   in a worker process with time and memory limits ([`sass`]).
//! - Every file is refused when it is not a regular file or is nested deeper than the
//!   compilers' stacks allow (`nexxo_diagnostics::input`); CSS Modules that `composes` in a
//!   cycle are refused before lightningcss follows the cycle.
//! - Plain CSS goes through lightningcss's bundler, which inlines `@import` (relative paths and
//!   bare package specifiers such as `@import 'normalize.css'`).
//! - lightningcss then lowers and prefixes for the browser targets, scopes CSS Modules
//!   (`*.module.css`, `*.module.scss`), minifies, and replaces every `url()` by a placeholder
//!   listed in [`CompiledCss::urls`], so the caller decides what each URL becomes (hashed file,
//!   data URL, base prefix) without this crate knowing about output files.
//!
//! - A [`StylesheetTransform`] (PostCSS, Tailwind; implemented outside this crate) can rewrite
//!   each project stylesheet before lightningcss parses it, and a Sass entry's compiled CSS.
//!
//! [`compile_stylesheet`] is the single-file entry point: the build calls it per imported
//! stylesheet, and the dev server per changed file. [`compile_stylesheet_source`] compiles text
//! that is part of another file (a `<style>` block of a `.vue` file).

pub mod cache;
mod compile;
mod entry_errors;
mod kept_texts;
mod modules;
mod provider;
pub mod sass;
mod targets;
mod transform;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;

pub use cache::{CssInputs, StylesheetCache};
pub use modules::is_css_module;
pub use transform::{StylesheetTransform, TransformedStylesheet};

/// How stylesheets are compiled for one build.
#[derive(Clone)]
pub struct CssOptions {
    /// Project root: file names in hashes, maps and messages are relative to it.
    pub root: PathBuf,
    /// esbuild-style targets (`chrome107`, `safari16`, or `es2020` which sets none).
    pub targets: Vec<String>,
    pub minify: bool,
    /// Produce a source map.
    pub sourcemap: bool,
    /// CSS Modules class name pattern: `[name]`, `[local]`, `[hash]` (`[hash:N]` is read as `[hash]`).
    pub modules_pattern: String,
    /// The project's aliases (`resolve.alias`), for `@import` and `url()` as in scripts.
    pub alias: Vec<(String, String)>,
    /// Rewrites each project stylesheet before it is parsed (PostCSS, Tailwind).
    pub transform: Option<Arc<dyn StylesheetTransform>>,
}

impl std::fmt::Debug for CssOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transform shows as whether there is one: its fingerprint can cost file reads,
        // and the cache adds it to its keys itself.
        f.debug_struct("CssOptions")
            .field("root", &self.root)
            .field("targets", &self.targets)
            .field("minify", &self.minify)
            .field("sourcemap", &self.sourcemap)
            .field("modules_pattern", &self.modules_pattern)
            .field("alias", &self.alias)
            .field(
                "transform",
                &self.transform.as_ref().map(|_| "StylesheetTransform"),
            )
            .finish()
    }
}

/// A `url()` found in the stylesheet, replaced by `placeholder` in [`CompiledCss::code`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CssUrl {
    pub placeholder: String,
    /// The URL as written.
    pub url: String,
    /// The file the `url()` was written in (relative URLs resolve from its folder).
    pub from_file: PathBuf,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct CompiledCss {
    pub code: String,
    pub urls: Vec<CssUrl>,
    /// CSS Modules: exported name → class list (the scoped name plus composed ones).
    pub module_exports: Option<Vec<(String, String)>>,
    /// Source map JSON, when asked for.
    pub map: Option<String>,
    /// Every file read, and every file the transform's results depend on, for watching and
    /// cache keys (not the path of given text: it was not read).
    pub files: Vec<PathBuf>,
}

/// The language of a stylesheet's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StylesheetLang {
    Css,
    Scss,
    /// Sass's indented syntax.
    Sass,
}

impl StylesheetLang {
    /// The language a file extension (or a `<style lang="…">` attribute) names: `css`,
    /// `scss`, `sass`.
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "css" => Some(Self::Css),
            "scss" => Some(Self::Scss),
            "sass" => Some(Self::Sass),
            _ => None,
        }
    }

    /// The language of the file at `path`: Sass by extension, CSS otherwise.
    pub fn of_path(path: &Path) -> Self {
        path.extension()
            .and_then(|extension| extension.to_str())
            .and_then(Self::from_extension)
            .unwrap_or(Self::Css)
    }
}

/// Stylesheet text that is not a file of its own: a `<style>` block of a `.vue` file, a Svelte
/// component's CSS.
#[derive(Debug, Clone)]
pub struct StylesheetSource {
    /// The file the text belongs to (`/p/src/App.vue`): relative `@import`, `url()` and Sass
    /// `@use` resolve from its folder, and errors name it. It need not exist on disk.
    pub path: PathBuf,
    pub text: String,
    pub lang: StylesheetLang,
    /// Scope the classes as a CSS Module (`<style module>`), whatever `path` is called.
    pub css_module: bool,
    /// Lines of `path` before the text, so an error's line is the line in the whole file.
    pub line_offset: usize,
}

/// Compiles the stylesheet at `path` (CSS, Sass, or a CSS Module of either).
pub fn compile_stylesheet(path: &Path, options: &CssOptions) -> Result<CompiledCss, Diagnostic> {
    compile_stylesheet_hashing_reads(path, options).map(|(compiled, _)| compiled)
}

/// [`compile_stylesheet`], also returning every file read with the content hash of the bytes
/// the compile used (what the cache records: a hash taken after the compile could belong to a
/// version saved meanwhile).
pub fn compile_stylesheet_hashing_reads(
    path: &Path,
    options: &CssOptions,
) -> Result<(CompiledCss, Vec<(PathBuf, String)>), Diagnostic> {
    compile::compile(&compile::Entry::file(path), options)
}

/// Compiles stylesheet text that belongs to another file (see [`StylesheetSource`]). The files
/// it `@import`s or `@use`s are read as usual; `source.path` itself is not read, nor listed in
/// [`CompiledCss::files`] (its text is the input).
pub fn compile_stylesheet_source(
    source: &StylesheetSource,
    options: &CssOptions,
) -> Result<CompiledCss, Diagnostic> {
    compile_stylesheet_source_hashing_reads(source, options).map(|(compiled, _)| compiled)
}

/// [`compile_stylesheet_source`], also returning every file read with the content hash of the
/// bytes the compile used (see [`compile_stylesheet_hashing_reads`]).
pub fn compile_stylesheet_source_hashing_reads(
    source: &StylesheetSource,
    options: &CssOptions,
) -> Result<(CompiledCss, Vec<(PathBuf, String)>), Diagnostic> {
    compile::compile(&compile::Entry::source(source), options)
}

/// `path` relative to `root`, with forward slashes.
pub fn relative_name(root: &Path, path: &Path) -> String {
    nexxo_diagnostics::display_path(path.strip_prefix(root).unwrap_or(path))
}

/// Replaces each `url()` placeholder in `code` with `resolve(url)`.
pub fn replace_urls(code: &str, urls: &[CssUrl], resolve: impl Fn(&CssUrl) -> String) -> String {
    let mut code = code.to_string();
    for url in urls {
        code = code.replace(&url.placeholder, &resolve(url));
    }
    code
}

/// Joins the CSS of several stylesheets (in order) into one file, one stylesheet per line
/// group, and merges their source maps when every part has one. `source_root` is written as the
/// map's `sourceRoot`: the way from the output file's folder back to the project root.
pub fn concat_stylesheets(
    parts: &[(&str, Option<&str>)],
    root: &Path,
    source_root: &str,
) -> (String, Option<String>) {
    let code = parts
        .iter()
        .map(|(code, _)| *code)
        .collect::<Vec<_>>()
        .join("\n");
    if parts.is_empty() || parts.iter().any(|(_, map)| map.is_none()) {
        return (code, None);
    }
    let root_text = root.to_string_lossy();
    let mut merged = parcel_sourcemap::SourceMap::new(&root_text);
    let mut line_offset: i64 = 0;
    for (part, map) in parts {
        let Some(Ok(mut map)) =
            map.map(|json| parcel_sourcemap::SourceMap::from_json(&root_text, json))
        else {
            return (code, None);
        };
        if merged.add_sourcemap(&mut map, line_offset).is_err() {
            return (code, None);
        }
        line_offset += i64::try_from(part.matches('\n').count()).unwrap_or(0) + 1;
    }
    let map = merged.to_json(Some(source_root)).ok();
    (code, map)
}
