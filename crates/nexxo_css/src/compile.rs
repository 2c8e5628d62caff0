//! The one compile behind [`crate::compile_stylesheet`] (a file) and
//! [`crate::compile_stylesheet_source`] (text that belongs to a file): they differ only in
//! where the entry's text comes from and how its language and CSS Modules are decided.

use std::path::{Path, PathBuf};

use lightningcss::bundler::Bundler;
use lightningcss::dependencies::{Dependency, DependencyOptions};
use lightningcss::printer::PrinterOptions;
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, StyleSheet};
use nexxo_diagnostics::input::{check_nesting, Syntax};
use nexxo_diagnostics::Diagnostic;

use crate::provider::NodeStyleProvider;
use crate::sass::GivenSass;
use crate::{
    entry_errors, is_css_module, modules, relative_name, sass, targets, transform, CompiledCss,
    CssOptions, CssUrl, StylesheetLang, StylesheetSource,
};

/// The stylesheet a compile starts from.
pub(crate) struct Entry<'a> {
    pub path: &'a Path,
    /// The text, when it is given rather than read from `path`.
    pub given_text: Option<&'a str>,
    pub lang: StylesheetLang,
    pub css_module: bool,
    /// Lines of `path` before `given_text`.
    pub line_offset: usize,
}

impl<'a> Entry<'a> {
    /// The file at `path`: language by extension, CSS Module by a `.module.` name.
    pub fn file(path: &'a Path) -> Self {
        Self {
            path,
            given_text: None,
            lang: StylesheetLang::of_path(path),
            css_module: is_css_module(path),
            line_offset: 0,
        }
    }

    pub fn source(source: &'a StylesheetSource) -> Self {
        Self {
            path: &source.path,
            given_text: Some(&source.text),
            lang: source.lang,
            css_module: source.css_module,
            line_offset: source.line_offset,
        }
    }
}

/// Compiles `entry`, returning the CSS and every file read with the content hash of the bytes
/// used.
pub(crate) fn compile(
    entry: &Entry,
    options: &CssOptions,
) -> Result<(CompiledCss, Vec<(PathBuf, String)>), Diagnostic> {
    let mut provider = NodeStyleProvider::new(&options.root, entry.css_module, &options.alias)
        .with_transform(options.transform.clone());
    if let Some(text) = entry.given_text {
        provider = provider.with_given_text(entry.path, text.to_string());
    }
    compile_with(entry, options, &provider).map_err(|error| {
        entry_errors::place_in_file(
            error,
            entry,
            provider.parsed_text(entry.path),
            &options.root,
        )
    })
}

fn compile_with(
    entry: &Entry,
    options: &CssOptions,
    provider: &NodeStyleProvider,
) -> Result<(CompiledCss, Vec<(PathBuf, String)>), Diagnostic> {
    let path = entry.path;
    let relative = relative_name(&options.root, path);
    let css_modules = if entry.css_module {
        Some(modules::config(&options.modules_pattern).map_err(Diagnostic::error)?)
    } else {
        None
    };
    let parser_options = |filename: String| ParserOptions {
        filename,
        css_modules: css_modules.clone(),
        ..ParserOptions::default()
    };
    // The text lightningcss parsed for a file, for code frames: what the provider was given
    // or the transform made, else the file on disk.
    let text_of = |file: &Path| {
        provider
            .parsed_text(file)
            .map(str::to_string)
            .or_else(|| std::fs::read_to_string(file).ok())
    };

    let sass_output;
    let mut sass_files = Vec::new();
    let mut sass_transform_files = Vec::new();
    let mut source_map = options
        .sourcemap
        .then(|| parcel_sourcemap::SourceMap::new(&options.root.to_string_lossy()));
    let mut stylesheet = if entry.lang == StylesheetLang::Css {
        let mut bundler =
            Bundler::new(provider, source_map.as_mut(), parser_options(String::new()));
        let bundled = bundler.bundle(path);
        if let Some(error) = provider.structure_error() {
            return Err(error);
        }
        bundled
            .map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), &text_of, options))?
    } else {
        let given = entry.given_text.map(|text| GivenSass {
            text: text.to_string(),
            indented: entry.lang == StylesheetLang::Sass,
        });
        let compiled = sass::compile(path, given.as_ref(), &options.root, &options.alias)?;
        sass_files = compiled.files;
        // As Vite: PostCSS runs on what Sass made.
        sass_output = match transform::apply(options.transform.as_deref(), path, &compiled.css) {
            None => compiled.css,
            Some(transformed) => {
                let transformed = transformed?;
                sass_transform_files = transformed.files;
                transformed.code
            }
        };
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
            // Errors in compiled Sass point into the compiled CSS; show that text.
            css_error(
                err.to_string(),
                err.loc.as_ref(),
                &|_: &Path| Some(sass_output.clone()),
                options,
            )
        })?
    };

    let browser_targets = targets::browsers(&options.targets);
    stylesheet
        .minify(MinifyOptions {
            targets: browser_targets.into(),
            ..MinifyOptions::default()
        })
        .map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), &text_of, options))?;
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
        .map_err(|err| css_error(err.kind.to_string(), err.loc.as_ref(), &text_of, options))?;

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
    let transform_files = provider
        .transform_files()
        .into_iter()
        .chain(sass_transform_files);
    hashed_reads.extend(transform_files.map(|file| {
        // Hashed now, after the transform read them: the best this crate can do without the
        // transform's own hashes. A file that cannot be hashed gets an empty hash, which no
        // cache lookup matches, rather than being left out of the entry's files.
        let hash = nexxo_cache::file_hash(&file).unwrap_or_default();
        (file, hash)
    }));
    let reads_entry_file = entry.given_text.is_none();
    if reads_entry_file && !hashed_reads.iter().any(|(file, _)| file == path) {
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
    if reads_entry_file && !files.iter().any(|file| file == path) {
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

/// A lightningcss error with its location and a code frame of `text_of` the file it is in.
fn css_error(
    message: String,
    location: Option<&lightningcss::error::ErrorLocation>,
    text_of: &dyn Fn(&Path) -> Option<String>,
    options: &CssOptions,
) -> Diagnostic {
    let Some(location) = location else {
        return Diagnostic::error(format!("CSS error: {message}"));
    };
    let file = PathBuf::from(&location.filename);
    Diagnostic::at(
        format!("CSS error: {message}"),
        relative_name(&options.root, &file),
        text_of(&file),
        location.line as usize + 1,
        location.column.max(1) as usize,
    )
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
