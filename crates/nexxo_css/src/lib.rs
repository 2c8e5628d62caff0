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
//! [`compile_stylesheet`] is the single-file entry point: the build calls it per imported
//! stylesheet, and the dev server will call it per changed file.

pub mod cache;
mod modules;
mod provider;
pub mod sass;
mod targets;

use std::path::{Path, PathBuf};

use lightningcss::bundler::Bundler;
use lightningcss::dependencies::{Dependency, DependencyOptions};
use lightningcss::printer::PrinterOptions;
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, StyleSheet};
use nexxo_diagnostics::input::{check_nesting, Syntax};
use nexxo_diagnostics::Diagnostic;

pub use cache::{CssInputs, StylesheetCache};
pub use modules::is_css_module;

/// How stylesheets are compiled for one build.
#[derive(Debug, Clone)]
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
    /// Every file read, for watching and cache keys.
    pub files: Vec<PathBuf>,
}

fn is_sass(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("scss" | "sass")
    )
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
    let relative = relative_name(&options.root, path);
    let css_modules = if is_css_module(path) {
        Some(modules::config(&options.modules_pattern).map_err(Diagnostic::error)?)
    } else {
        None
    };
    let parser_options = |filename: String| ParserOptions {
        filename,
        css_modules: css_modules.clone(),
        ..ParserOptions::default()
    };

    let provider =
        provider::NodeStyleProvider::new(&options.root, css_modules.is_some(), &options.alias);
    let sass_output;
    let mut sass_files = Vec::new();
    let mut source_map = options
        .sourcemap
        .then(|| parcel_sourcemap::SourceMap::new(&options.root.to_string_lossy()));
    let mut stylesheet = if is_sass(path) {
        let compiled = sass::compile(path, &options.root, &options.alias)?;
        (sass_output, sass_files) = (compiled.css, compiled.files);
        // Sass keeps selectors such as `:is(:is(…))` as written: the CSS parser recurses too.
        check_nesting(
            format!("{relative} (compiled to CSS)"),
            &sass_output,
            Syntax::Stylesheet,
        )?;
        if let Some(map) = source_map.as_mut() {
            // grass writes no source map, so the map leads to the compiled CSS of the file.
            map.add_source(&relative);
            let _ = map.set_source_content(0, &sass_output);
        }
        StyleSheet::parse(
            &sass_output,
            parser_options(path.to_string_lossy().into_owned()),
        )
        .map_err(|err| {
            css_error(
                err.to_string(),
                err.loc.as_ref(),
                Some(&sass_output),
                options,
            )
        })?
    } else {
        let mut bundler = Bundler::new(
            &provider,
            source_map.as_mut(),
            parser_options(String::new()),
        );
        let bundled = bundler.bundle(path);
        if let Some(error) = provider.structure_error() {
            return Err(error);
        }
        bundled.map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), None, options))?
    };

    let browser_targets = targets::browsers(&options.targets);
    stylesheet
        .minify(MinifyOptions {
            targets: browser_targets.into(),
            ..MinifyOptions::default()
        })
        .map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), None, options))?;
    let root = options.root.to_string_lossy().into_owned();
    let result = stylesheet
        .to_css(PrinterOptions {
            minify: options.minify,
            source_map: source_map.as_mut(),
            project_root: Some(&root),
            targets: browser_targets.into(),
            analyze_dependencies: Some(DependencyOptions {
                remove_imports: true,
            }),
            ..PrinterOptions::default()
        })
        .map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), None, options))?;

    let urls = result
        .dependencies
        .unwrap_or_default()
        .into_iter()
        .filter_map(|dependency| match dependency {
            Dependency::Url(url) => Some(CssUrl {
                placeholder: url.placeholder,
                url: url.url,
                from_file: PathBuf::from(url.loc.file_path),
            }),
            Dependency::Import(_) => None,
        })
        .collect();
    let mut hashed_reads = provider.files_read();
    hashed_reads.extend(sass_files);
    if !hashed_reads.iter().any(|(file, _)| file == path) {
        // Every compile reads its own file through the recorders; kept as a fallback so the
        // sheet itself is always listed.
        if let Some(hash) = nexxo_cache::file_hash(path) {
            hashed_reads.push((path.to_path_buf(), hash));
        }
    }
    hashed_reads.sort();
    hashed_reads.dedup_by(|later, kept| {
        let same_file = later.0 == kept.0;
        if same_file && later.1 != kept.1 {
            // Read twice with different content (saved mid-compile): no hash describes what
            // the output was made from, so an empty one makes any cache entry miss.
            kept.1.clear();
        }
        same_file
    });
    let mut files: Vec<PathBuf> = hashed_reads.iter().map(|(file, _)| file.clone()).collect();
    if !files.iter().any(|file| file == path) {
        files.push(path.to_path_buf());
        files.sort();
    }
    let compiled = CompiledCss {
        code: result.code,
        urls,
        module_exports: result.exports.map(modules::class_lists),
        map: source_map.and_then(|mut map| map.to_json(None).ok()),
        files,
    };
    Ok((compiled, hashed_reads))
}

/// A lightningcss error with its location and a code frame.
fn css_error(
    message: String,
    location: Option<&lightningcss::error::ErrorLocation>,
    compiled_source: Option<&str>,
    options: &CssOptions,
) -> Diagnostic {
    let Some(location) = location else {
        return Diagnostic::error(format!("CSS error: {message}"));
    };
    let file = PathBuf::from(&location.filename);
    // Errors in compiled Sass point into the compiled CSS; show that text.
    let source = compiled_source
        .map(str::to_string)
        .or_else(|| std::fs::read_to_string(&file).ok());
    Diagnostic::at(
        format!("CSS error: {message}"),
        relative_name(&options.root, &file),
        source,
        location.line as usize + 1,
        location.column.max(1) as usize,
    )
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
