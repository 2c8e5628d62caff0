//! Files for lightningcss's `@import` bundler: reading is lightningcss's own `FileProvider`;
//! resolving follows the web and the npm ecosystem: relative to the importing file first, then
//! `node_modules` packages (`@import 'normalize.css'`, `@import 'pkg/dist/x.css'`, with or without
//! webpack's `~` prefix), using a package's `style` field when the specifier names the package.
//!
//! The entry's text can be given instead of read (a `<style>` block of a `.vue` file), and each
//! project file's text goes through the stylesheet transform (PostCSS) before lightningcss
//! parses it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lightningcss::bundler::{FileProvider, ResolveResult, SourceProvider};
use nexxo_diagnostics::input::{check_nesting, ensure_regular_file, without_dot_segments, Syntax};
use nexxo_diagnostics::Diagnostic;

use crate::kept_texts::KeptTexts;
use crate::transform::{self, StylesheetTransform};

pub struct NodeStyleProvider {
    files: FileProvider,
    root: PathBuf,
    /// The sheets are CSS Modules, whose `composes … from` loads other files.
    css_modules: bool,
    /// Every file read, with the content hash of the text read.
    read: Mutex<Vec<(PathBuf, String)>>,
    /// The first structural problem found in a file read, with its precise location: an
    /// unbalanced brace, nesting too deep to parse, a `composes` cycle, a special file.
    structure_error: Mutex<Option<Diagnostic>>,
    /// CSS Modules: file → the files its `composes … from` name (canonical paths).
    composes: Mutex<BTreeMap<PathBuf, Vec<PathBuf>>>,
    /// The project's aliases, applied before anything else (as the script resolver does).
    alias: Vec<(String, String)>,
    /// A file whose text is given rather than read, with that text.
    given: Option<(PathBuf, String)>,
    transform: Option<Arc<dyn StylesheetTransform>>,
    /// The transform's output for each file it rewrote: what lightningcss parsed.
    transformed: KeptTexts,
    /// Files the transform's results depend on (Tailwind's scanned sources).
    transform_files: Mutex<Vec<PathBuf>>,
}

impl NodeStyleProvider {
    pub fn new(root: &Path, css_modules: bool, alias: &[(String, String)]) -> Self {
        Self {
            alias: alias.to_vec(),
            files: FileProvider::new(),
            root: root.to_path_buf(),
            css_modules,
            read: Mutex::new(Vec::new()),
            structure_error: Mutex::new(None),
            composes: Mutex::new(BTreeMap::new()),
            given: None,
            transform: None,
            transformed: KeptTexts::default(),
            transform_files: Mutex::new(Vec::new()),
        }
    }

    /// `file`'s text is `text`, not what is on disk (which may not exist).
    pub fn with_given_text(mut self, file: &Path, text: String) -> Self {
        self.given = Some((file.to_path_buf(), text));
        self
    }

    pub fn with_transform(mut self, transform: Option<Arc<dyn StylesheetTransform>>) -> Self {
        self.transform = transform;
        self
    }

    /// The text lightningcss parsed for `file` when it is not the file on disk: the
    /// transform's output, or the given text.
    pub fn parsed_text(&self, file: &Path) -> Option<&str> {
        self.transformed.get(file).or_else(|| self.given_text(file))
    }

    /// Files the transform's results depend on, besides the files read.
    pub fn transform_files(&self) -> Vec<PathBuf> {
        self.transform_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn given_text(&self, file: &Path) -> Option<&str> {
        self.given
            .as_ref()
            .filter(|(given, _)| given == file)
            .map(|(_, text)| text.as_str())
    }

    /// `file`'s text as given, or as read from disk (then recorded with its hash).
    fn text_as_read<'a>(&'a self, file: &Path, shown: &str) -> Result<&'a str, std::io::Error> {
        if let Some(text) = self.given_text(file) {
            return Ok(text);
        }
        if let Err(err) = ensure_regular_file(file) {
            return Err(self.refuse(Diagnostic::error(format!(
                "CSS error: cannot read {shown}: {err}"
            ))));
        }
        let text = self.files.read(file)?;
        self.read.lock().unwrap_or_else(|e| e.into_inner()).push((
            file.to_path_buf(),
            nexxo_cache::hash_hex(&[text.as_bytes()]),
        ));
        Ok(text)
    }

    /// Keeps `diagnostic` when it is the first problem, and returns the read error that stops
    /// lightningcss before it parses a file it cannot handle.
    fn refuse(&self, diagnostic: Diagnostic) -> std::io::Error {
        let message = diagnostic.message.clone();
        self.structure_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(diagnostic);
        std::io::Error::new(std::io::ErrorKind::InvalidData, message)
    }

    /// lightningcss follows `composes: a from './b.module.css'` by loading the file, and a file
    /// that composes from itself, or two that compose from each other, make it recurse without
    /// end. Records `file`'s `composes` sources and refuses the first one that leads back.
    fn check_composes_cycle(&self, file: &Path, text: &str) -> Result<(), Diagnostic> {
        let here = canonical(file);
        let mut graph = self.composes.lock().unwrap_or_else(|e| e.into_inner());
        for (specifier, offset) in composes_sources(text) {
            let Ok(ResolveResult::File(target)) = self.resolve(specifier, file) else {
                // lightningcss reports the unresolved import itself.
                continue;
            };
            let target = canonical(&target);
            graph.entry(here.clone()).or_default().push(target.clone());
            if let Some(cycle) = path_back(&graph, &target, &here) {
                let names: Vec<String> = std::iter::once(&here)
                    .chain(&cycle)
                    .map(|f| crate::relative_name(&self.root, f))
                    .collect();
                return Err(Diagnostic::at_offset(
                    format!(
                        "CSS error: `composes` from '{specifier}' forms a cycle: {}",
                        names.join(" → ")
                    ),
                    crate::relative_name(&self.root, file),
                    text,
                    offset,
                )
                .with_help("a class can only compose classes of files that do not compose from it; to reuse a class of the same file, write `composes: name` without `from`"));
            }
        }
        Ok(())
    }

    /// An unclosed block (or stray `}`) in any file read: browsers silently auto-close blocks,
    /// which hides mistakes, so Nexxo reports them as PostCSS does; and every other problem
    /// that stopped the bundler at a file (see `refuse`).
    pub fn structure_error(&self) -> Option<Diagnostic> {
        self.structure_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every file read so far, with the content hash of the text that was read (hashed then,
    /// since the file may be saved again before the compile ends).
    pub fn files_read(&self) -> Vec<(PathBuf, String)> {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn resolve_package(&self, specifier: &str, from_dir: &Path) -> Option<PathBuf> {
        let (package, subpath) = split_package(specifier);
        for dir in from_dir.ancestors() {
            // Folders above the root count too: workspaces hoist node_modules upwards.
            let package_dir = dir.join("node_modules").join(package);
            if !package_dir.is_dir() {
                continue;
            }
            if let Some(subpath) = subpath {
                let file = package_dir.join(subpath);
                return with_css_extension(&file);
            }
            return package_entry(&package_dir);
        }
        None
    }
}

impl SourceProvider for NodeStyleProvider {
    type Error = std::io::Error;

    fn read<'a>(&'a self, file: &Path) -> Result<&'a str, Self::Error> {
        let shown = crate::relative_name(&self.root, file);
        let as_read = self.text_as_read(file, &shown)?;
        // The checks below guard lightningcss, so they look at the text it will parse.
        let text = match transform::apply(self.transform.as_deref(), file, as_read) {
            None => as_read,
            Some(Err(error)) => return Err(self.refuse(error)),
            Some(Ok(transformed)) => {
                self.transform_files
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(transformed.files);
                self.transformed.keep(file, transformed.code)
            }
        };
        if let Err(deep) = check_nesting(&shown, text, Syntax::Stylesheet) {
            return Err(self.refuse(deep));
        }
        if self.css_modules {
            self.check_composes_cycle(file, text)
                .map_err(|cycle| self.refuse(cycle))?;
        }
        if let Some((message, offset)) = unbalanced_brace(text) {
            let mut first = self
                .structure_error
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if first.is_none() {
                *first = Some(Diagnostic::at_offset(
                    format!("CSS error: {message}"),
                    shown,
                    text,
                    offset,
                ));
            }
        }
        Ok(text)
    }

    fn resolve(
        &self,
        specifier: &str,
        originating_file: &Path,
    ) -> Result<ResolveResult, Self::Error> {
        if specifier.contains("://") || specifier.starts_with("//") {
            return Ok(ResolveResult::External(specifier.to_string()));
        }
        let from_dir = originating_file.parent().unwrap_or(&self.root);
        let specifier = specifier.strip_prefix('~').unwrap_or(specifier);
        let aliased = nexxo_config::resolver::apply_alias(&self.alias, specifier);
        // An alias to a folder gives an absolute path, which is a file path here, not a
        // root-absolute URL.
        if let Some(file) = aliased
            .as_deref()
            .filter(|a| Path::new(a).is_absolute())
            .and_then(|a| with_css_extension(&without_dot_segments(Path::new(a))))
        {
            return Ok(ResolveResult::File(file));
        }
        let specifier = aliased.as_deref().unwrap_or(specifier);
        let local = without_dot_segments(&match specifier.strip_prefix('/') {
            Some(rest) => self.root.join(rest),
            None => from_dir.join(specifier),
        });
        if let Some(file) = with_css_extension(&local) {
            return Ok(ResolveResult::File(file));
        }
        let is_relative = specifier.starts_with('.') || specifier.starts_with('/');
        if !is_relative {
            if let Some(file) = self.resolve_package(specifier, from_dir) {
                return Ok(ResolveResult::File(file));
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "cannot find `{specifier}` imported from {}",
                originating_file.display()
            ),
        ))
    }
}

/// The first structural brace problem: an unclosed `{` (at its offset) or a stray `}`.
/// Strings, comments and escapes are skipped.
pub fn unbalanced_brace(text: &str) -> Option<(&'static str, usize)> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 1);
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' => open.push(i),
            // The guard pops the innermost open block; only a `}` with none open is an error.
            b'}' if open.pop().is_none() => {
                return Some(("Unexpected `}`: no block is open here", i));
            }
            _ => {}
        }
        i += 1;
    }
    open.pop()
        .map(|offset| ("Unclosed block: this `{` is never closed", offset))
}

/// `@scope/pkg/sub/x.css` → (`@scope/pkg`, `Some("sub/x.css")`).
fn split_package(specifier: &str) -> (&str, Option<&str>) {
    let mut parts = specifier.splitn(if specifier.starts_with('@') { 3 } else { 2 }, '/');
    let first = parts.next().unwrap_or("");
    let (name_len, rest) = if specifier.starts_with('@') {
        let second = parts.next().unwrap_or("");
        (first.len() + 1 + second.len(), parts.next())
    } else {
        (first.len(), parts.next())
    };
    (&specifier[..name_len.min(specifier.len())], rest)
}

/// The file itself, or with `.css` added. A special file (a FIFO…) is found too, so that its
/// read is refused by name instead of the import being reported as missing.
fn with_css_extension(file: &Path) -> Option<PathBuf> {
    let is_file = |path: &Path| path.exists() && !path.is_dir();
    if is_file(file) {
        return Some(file.to_path_buf());
    }
    let with_extension = PathBuf::from(format!("{}.css", file.to_string_lossy()));
    is_file(&with_extension).then_some(with_extension)
}

fn canonical(file: &Path) -> PathBuf {
    std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}

/// The files on a `composes` path from `from` to `to` (ending with `to`), if there is one.
fn path_back(
    graph: &BTreeMap<PathBuf, Vec<PathBuf>>,
    from: &Path,
    to: &Path,
) -> Option<Vec<PathBuf>> {
    let mut stack = vec![vec![from.to_path_buf()]];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last()?;
        if last == to {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in graph.get(last).into_iter().flatten() {
            let mut longer = path.clone();
            longer.push(next.clone());
            stack.push(longer);
        }
    }
    None
}

/// The `from` sources of the `composes` declarations in `text`, with the offset of each
/// declaration: `composes: a b from './x.module.css'` → (`./x.module.css`, offset of
/// `composes`). Comments are not skipped: a commented-out declaration can only add a check.
fn composes_sources(text: &str) -> Vec<(&str, usize)> {
    let mut sources = Vec::new();
    let mut rest = 0;
    while let Some(found) = text[rest..].find("composes") {
        let start = rest + found;
        rest = start + "composes".len();
        let declaration = &text[rest..];
        let Some(value) = declaration.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = &value[..value.find([';', '}']).unwrap_or(value.len())];
        let Some(from) = value.rfind(" from ") else {
            continue;
        };
        let source = value[from + " from ".len()..].trim();
        let unquoted = source
            .strip_prefix(['"', '\''])
            .and_then(|s| s.strip_suffix(['"', '\'']));
        if let Some(specifier) = unquoted {
            sources.push((specifier, start));
        }
    }
    sources
}

/// A package's stylesheet: package.json `style`, else a `.css` `main`, else `index.css`.
fn package_entry(package_dir: &Path) -> Option<PathBuf> {
    let manifest: serde_json::Value = std::fs::read_to_string(package_dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let field = |name: &str| {
        manifest
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    [
        field("style"),
        field("main").filter(|main| main.ends_with(".css")),
    ]
    .into_iter()
    .flatten()
    .chain(std::iter::once("index.css".to_string()))
    .map(|candidate| package_dir.join(candidate))
    .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::{composes_sources, split_package, unbalanced_brace};

    #[test]
    fn unbalanced_braces_are_found() {
        assert_eq!(unbalanced_brace(".a { color: red; }"), None);
        assert_eq!(unbalanced_brace(".a { content: '}'; } /* { */"), None);
        assert_eq!(
            unbalanced_brace(".a {\n .b { color: red; }\n"),
            Some(("Unclosed block: this `{` is never closed", 3))
        );
        assert_eq!(unbalanced_brace(".a {} }").map(|e| e.1), Some(6));
    }

    #[test]
    fn composes_sources_are_found() {
        let text = ".a { composes: x y from './b.module.css'; }\n.c { composes: z; }\n.d{composes:q from \"../e.css\"}";
        assert_eq!(
            composes_sources(text),
            [
                ("./b.module.css", 5),
                ("../e.css", text.rfind("composes").unwrap())
            ]
        );
    }

    #[test]
    fn package_specifiers_split() {
        assert_eq!(split_package("normalize.css"), ("normalize.css", None));
        assert_eq!(split_package("pkg/dist/a.css"), ("pkg", Some("dist/a.css")));
        assert_eq!(
            split_package("@scope/pkg/a.css"),
            ("@scope/pkg", Some("a.css"))
        );
        assert_eq!(split_package("@scope/pkg"), ("@scope/pkg", None));
    }
}
