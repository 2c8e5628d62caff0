//! `import.meta.glob` as in Vite: a call naming files by pattern becomes an object from each
//! matching file's key to a loader (`() => import('./a.ts')`) or, with `{ eager: true }`, to the
//! module itself through a hoisted static import.
//!
//! Patterns are relative to the importer (`./`, `../`), to the root (`/src/…`), start with
//! `**` (from the root) or with an alias; `!` excludes. Keys are relative to the importer for
//! relative patterns, root-absolute otherwise, relative to `base` when it is given (then
//! relative patterns are too). Files are sorted by path as Vite sorts them; the importer itself,
//! `node_modules` (unless a pattern names it) and dot files are left out unless `exhaustive`.
//!
//! The call is found with oxc, not a pattern, so comments, strings and TypeScript generics
//! (`import.meta.glob<Mod>(…)`) are handled; arguments that are not literals are errors with
//! the call's position. The plugin remembers each importer's globs so a file created or removed
//! later names the importers to compile again (`hot_update`); the glob folders are returned as
//! `Transformed::files` for `build --watch` (and a folder has no content hash, so the dev
//! server's persistent cache never serves a glob importer from an older folder listing).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use globset::{GlobBuilder, GlobMatcher};
use nexxo_diagnostics::Diagnostic;
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, CallExpression, Expression, ObjectPropertyKind, Program,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};

use crate::host::ModuleHost;
use crate::ids::{js_string, split_query};
use crate::plugin::{FileChange, HookFilter, Hooks, Lang, Plugin, TransformArgs, Transformed};

pub struct GlobImports {
    root: PathBuf,
    alias: Vec<(String, String)>,
    /// The globs of each importer (absolute id) as last transformed, for `hot_update`.
    importers: Mutex<BTreeMap<String, Vec<FileGlobs>>>,
}

impl GlobImports {
    pub fn new(root: &Path, alias: &[(String, String)]) -> Self {
        Self {
            root: root.to_path_buf(),
            alias: alias.to_vec(),
            importers: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Plugin for GlobImports {
    fn name(&self) -> &str {
        "nexxo:import-glob"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(
                HookFilter::scripts()
                    .with_code("import.meta.glob")
                    .without_packages(),
            ),
            hot_update: true,
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let importer = Path::new(split_query(args.id).0);
        let Some(importer_dir) = importer.parent().filter(|d| d.is_absolute()) else {
            return Ok(None);
        };
        let display = display_path(&self.root, importer);
        let error_at = |message: String, offset: u32| {
            Diagnostic::at_offset(message, &display, args.code, offset as usize)
        };
        let Some(calls) = with_program(args.code, args.lang, |program| {
            let mut finder = GlobCallFinder::default();
            finder.visit_program(program);
            finder.calls
        }) else {
            // A syntax error: the compile step reports it with its own frame.
            return Ok(None);
        };
        if calls.is_empty() {
            return Ok(None);
        }
        let mut code = string_wizard::MagicString::new(args.code);
        let mut hoisted = String::new();
        let mut globs_of_importer = Vec::new();
        let mut folders = Vec::new();
        for (index, call) in calls.into_iter().enumerate() {
            let call = call.map_err(|(message, offset)| error_at(message, offset))?;
            let context = PatternContext {
                root: &self.root,
                importer_dir,
                alias: &self.alias,
            };
            let globs = FileGlobs::new(&call, importer, &context)
                .map_err(|(message, offset)| error_at(message, offset))?;
            let files = globs.find_files();
            let replacement =
                glob_object(&call.options, &globs, &files, &context, index, &mut hoisted);
            code.update(call.span.start, call.span.end, replacement)
                .map_err(|err| Diagnostic::error(format!("{}: {err}", display.display())))?;
            folders.extend(globs.positive.iter().map(|p| p.base.clone()));
            globs_of_importer.push(globs);
        }
        self.importers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(args.id.to_string(), globs_of_importer);
        if !hoisted.is_empty() {
            code.prepend(hoisted);
        }
        folders.sort();
        folders.dedup();
        Ok(Some(Transformed::edited(&code, args.id, folders)))
    }

    fn hot_update(&self, file: &Path, change: FileChange) -> Vec<String> {
        if change == FileChange::Modified {
            return Vec::new();
        }
        self.importers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter(|(_, globs)| globs.iter().any(|g| g.matches(file)))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Parses `code` as `lang` and runs `read` on the program; `None` when it does not parse.
pub(crate) fn with_program<R>(
    code: &str,
    lang: Lang,
    read: impl FnOnce(&Program) -> R,
) -> Option<R> {
    let source_types: &[SourceType] = match lang {
        // Some projects write JSX in `.js` files: tried when plain JavaScript does not parse.
        Lang::Js => &[SourceType::mjs(), SourceType::jsx()],
        Lang::Jsx => &[SourceType::jsx()],
        Lang::Ts => &[SourceType::ts()],
        Lang::Tsx => &[SourceType::tsx()],
    };
    let allocator = Allocator::default();
    let program = source_types.iter().find_map(|source_type| {
        let parsed = Parser::new(&allocator, code, source_type.with_module(true)).parse();
        (!parsed.panicked && parsed.diagnostics.is_empty()).then_some(parsed.program)
    })?;
    Some(read(&program))
}

/// The path shown in messages: relative to the root where possible.
pub(crate) fn display_path(root: &Path, file: &Path) -> PathBuf {
    file.strip_prefix(root).unwrap_or(file).to_path_buf()
}

/// Whether `expression` is `import.meta.<property>`.
pub(crate) fn is_import_meta(expression: &Expression, property: &str) -> bool {
    matches!(expression, Expression::StaticMemberExpression(member)
        if matches!(member.object, Expression::ImportMeta(_)) && member.property.name == property)
}

/// A string literal or a template without `${}`.
pub(crate) fn literal_string(expression: &Expression) -> Option<String> {
    match expression {
        Expression::StringLiteral(literal) => Some(literal.value.to_string()),
        Expression::TemplateLiteral(template) if template.expressions.is_empty() => template
            .quasis
            .first()
            .and_then(|quasi| quasi.value.cooked.as_ref())
            .map(|cooked| cooked.to_string()),
        _ => None,
    }
}

/// An error message and the byte offset it points at.
type Located = (String, u32);

/// One `import.meta.glob(…)` call as written.
#[derive(Debug, Clone)]
struct GlobCall {
    span: Span,
    /// Each pattern with the offset of its literal.
    patterns: Vec<(String, u32)>,
    options: GlobOptions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GlobOptions {
    eager: bool,
    /// The export each entry is (`'default'`, a name); `None` or `'*'`: the module namespace.
    import: Option<String>,
    /// Added to each import specifier (`?raw`), starting with `?`.
    query: Option<String>,
    /// The folder patterns and keys are relative to, as written.
    base: Option<(String, u32)>,
    /// Include `node_modules` and dot files.
    exhaustive: bool,
}

#[derive(Default)]
struct GlobCallFinder {
    calls: Vec<Result<GlobCall, Located>>,
}

impl<'a> Visit<'a> for GlobCallFinder {
    fn visit_call_expression(&mut self, call: &CallExpression<'a>) {
        if is_import_meta(&call.callee, "glob") {
            self.calls.push(read_glob_call(call));
        }
        walk::walk_call_expression(self, call);
    }
}

const NOT_LITERAL: &str =
    "import.meta.glob() can only take string literals or an array of string literals as patterns";

fn read_glob_call(call: &CallExpression) -> Result<GlobCall, Located> {
    let at = |span: Span| span.start;
    if call.arguments.is_empty() || call.arguments.len() > 2 {
        return Err((
            format!(
                "import.meta.glob() takes a pattern (or an array of them) and an optional options object; got {} arguments",
                call.arguments.len()
            ),
            at(call.span),
        ));
    }
    let first = call.arguments[0]
        .as_expression()
        .ok_or_else(|| (NOT_LITERAL.to_string(), at(call.arguments[0].span())))?;
    let mut patterns = Vec::new();
    match first {
        Expression::ArrayExpression(array) => {
            for element in &array.elements {
                let ArrayExpressionElement::SpreadElement(_) = element else {
                    let expression = element.as_expression();
                    let pattern = expression
                        .and_then(literal_string)
                        .ok_or_else(|| (NOT_LITERAL.to_string(), at(element.span())))?;
                    patterns.push((pattern, at(element.span())));
                    continue;
                };
                return Err((NOT_LITERAL.to_string(), at(element.span())));
            }
        }
        other => {
            let pattern =
                literal_string(other).ok_or_else(|| (NOT_LITERAL.to_string(), at(other.span())))?;
            patterns.push((pattern, at(other.span())));
        }
    }
    if patterns.is_empty() {
        return Err((
            "import.meta.glob() needs at least one pattern".into(),
            at(call.span),
        ));
    }
    let options = match call.arguments.get(1) {
        None => GlobOptions::default(),
        Some(argument) => match argument.as_expression() {
            Some(Expression::ObjectExpression(object)) => read_options(&object.properties)?,
            _ => {
                return Err((
                    "the options of import.meta.glob() must be an object literal".into(),
                    at(argument.span()),
                ))
            }
        },
    };
    Ok(GlobCall {
        span: call.span,
        patterns,
        options,
    })
}

fn read_options(properties: &[ObjectPropertyKind]) -> Result<GlobOptions, Located> {
    let mut options = GlobOptions::default();
    for property in properties {
        let ObjectPropertyKind::ObjectProperty(property) = property else {
            return Err((
                "the options of import.meta.glob() must be written out, without spreads".into(),
                property.span().start,
            ));
        };
        let Some(name) = property.key.static_name().filter(|_| !property.computed) else {
            return Err((
                "the options of import.meta.glob() must have plain names".into(),
                property.span.start,
            ));
        };
        let at = property.value.span().start;
        let string = |what: &str| {
            literal_string(&property.value).ok_or_else(|| {
                (
                    format!("import.meta.glob() option `{what}` must be a string literal"),
                    at,
                )
            })
        };
        let boolean = |what: &str| match &property.value {
            Expression::BooleanLiteral(literal) => Ok(literal.value),
            _ => Err((
                format!("import.meta.glob() option `{what}` must be `true` or `false`"),
                at,
            )),
        };
        match name.as_ref() {
            "eager" => options.eager = boolean("eager")?,
            "exhaustive" => options.exhaustive = boolean("exhaustive")?,
            "import" => options.import = Some(string("import")?),
            "base" => {
                let base = string("base")?;
                if !(base.starts_with("./") || base.starts_with("../") || base.starts_with('/') || base == "." || base == "..") {
                    return Err((
                        format!("import.meta.glob() option `base` must start with './', '../' or '/'; got \"{base}\""),
                        at,
                    ));
                }
                options.base = Some((base, at));
            }
            "query" => {
                options.query = Some(match &property.value {
                    Expression::ObjectExpression(object) => query_of_object(&object.properties)?,
                    _ => {
                        let query = string("query")?;
                        if query.starts_with('?') {
                            query
                        } else {
                            format!("?{query}")
                        }
                    }
                })
            }
            // Vite's deprecated form of `query` + `import: 'default'`.
            "as" => {
                let as_ = string("as")?;
                options.query = Some(format!("?{as_}"));
                if as_ == "raw" || as_ == "url" {
                    options.import = Some("default".into());
                }
            }
            other => {
                return Err((
                    format!("unknown import.meta.glob() option `{other}`; the options are eager, import, query, base and exhaustive"),
                    property.span.start,
                ))
            }
        }
    }
    Ok(options)
}

/// `{ foo: 'bar', n: 1, flag: true }` as `?foo=bar&n=1&flag=true`.
fn query_of_object(properties: &[ObjectPropertyKind]) -> Result<String, Located> {
    let mut pairs = Vec::new();
    for property in properties {
        let ObjectPropertyKind::ObjectProperty(property) = property else {
            return Err((
                "a glob `query` object must be written out".into(),
                property.span().start,
            ));
        };
        let name = property.key.static_name().filter(|_| !property.computed);
        let value = match &property.value {
            Expression::BooleanLiteral(literal) => Some(literal.value.to_string()),
            Expression::NumericLiteral(literal) => Some(literal.value.to_string()),
            other => literal_string(other),
        };
        let (Some(name), Some(value)) = (name, value) else {
            return Err((
                "a glob `query` object may only hold string, number and boolean literals".into(),
                property.span.start,
            ));
        };
        pairs.push(format!("{}={}", query_encode(&name), query_encode(&value)));
    }
    Ok(format!("?{}", pairs.join("&")))
}

fn query_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Where a call's patterns are anchored.
pub(crate) struct PatternContext<'a> {
    pub root: &'a Path,
    pub importer_dir: &'a Path,
    pub alias: &'a [(String, String)],
}

/// A glob split into the folder it starts in (no wildcard in it) and the pattern below it.
#[derive(Debug, Clone)]
struct Pattern {
    base: PathBuf,
    matcher: GlobMatcher,
    /// How many folders deep a match can be; `None` with `**`.
    max_depth: Option<usize>,
    /// The pattern names `node_modules` or a dot file, which are otherwise left out.
    names_packages: bool,
    names_dot_files: bool,
}

fn is_magic(segment: &str) -> bool {
    segment.contains(['*', '?', '[', ']', '{', '}'])
}

impl Pattern {
    /// `written` (without its `!`), relative patterns anchored at `anchor`.
    fn new(written: &str, anchor: &Path, context: &PatternContext) -> Result<Self, String> {
        let (start, rest): (PathBuf, String) = if written.starts_with("./")
            || written.starts_with("../")
        {
            (anchor.to_path_buf(), written.to_string())
        } else if let Some(rest) = written.strip_prefix('/') {
            (context.root.to_path_buf(), rest.to_string())
        } else if written.starts_with("**") {
            (context.root.to_path_buf(), written.to_string())
        } else if let Some(aliased) = nexxo_config::resolver::apply_alias(context.alias, written)
            .filter(|a| Path::new(a).is_absolute())
        {
            (PathBuf::from("/"), aliased)
        } else {
            return Err(format!(
                "invalid glob \"{written}\": it must start with './', '../' or '/' (or an alias)"
            ));
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let mut base = start;
        let mut first_magic = 0;
        while first_magic + 1 < segments.len() && !is_magic(segments[first_magic]) {
            match segments[first_magic] {
                "." => {}
                ".." => {
                    base.pop();
                }
                name => base.push(name),
            }
            first_magic += 1;
        }
        let below = &segments[first_magic..];
        if below.is_empty() {
            return Err(format!("invalid glob \"{written}\": it names no files"));
        }
        if below.iter().any(|s| *s == ".." || *s == ".") {
            return Err(format!(
                "invalid glob \"{written}\": '.' and '..' may only come before the first wildcard"
            ));
        }
        let below = below.join("/");
        let matcher = GlobBuilder::new(&below)
            .literal_separator(true)
            .build()
            .map_err(|err| format!("invalid glob \"{written}\": {}", err.kind()))?
            .compile_matcher();
        Ok(Self {
            base,
            max_depth: (!below.contains("**")).then(|| below.split('/').count()),
            names_packages: written.contains("node_modules"),
            names_dot_files: written.contains("/.")
                || written.starts_with('.')
                    && !written.starts_with("./")
                    && !written.starts_with("../"),
            matcher,
        })
    }

    /// Whether `file` matches, with the same rules as the folder walk.
    fn matches(&self, file: &Path, exhaustive: bool) -> bool {
        let Ok(relative) = file.strip_prefix(&self.base) else {
            return false;
        };
        let names: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if self.max_depth.is_some_and(|depth| names.len() > depth) {
            return false;
        }
        if names.iter().any(|name| !self.may_enter(name, exhaustive)) {
            return false;
        }
        self.matcher.is_match(names.join("/"))
    }

    fn may_enter(&self, name: &str, exhaustive: bool) -> bool {
        exhaustive
            || ((name != "node_modules" || self.names_packages)
                && (!name.starts_with('.') || self.names_dot_files))
    }

    fn walk(
        &self,
        folder: &Path,
        prefix: &str,
        depth: usize,
        exhaustive: bool,
        found: &mut Vec<PathBuf>,
    ) {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !self.may_enter(&name, exhaustive) {
                continue;
            }
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            // Symlinked folders are not followed: a link back up would never end.
            if kind.is_dir() {
                if self.max_depth.is_none_or(|max| depth + 1 < max) {
                    self.walk(&path, &relative, depth + 1, exhaustive, found);
                }
            } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
                && self.matcher.is_match(&relative)
            {
                found.push(path);
            }
        }
    }
}

/// The resolved patterns of one call.
#[derive(Debug, Clone)]
pub(crate) struct FileGlobs {
    positive: Vec<Pattern>,
    negative: Vec<Pattern>,
    exhaustive: bool,
    /// Left out of its own results.
    importer: PathBuf,
    /// The folder keys are relative to, when they are relative.
    key_base: Option<PathBuf>,
}

impl FileGlobs {
    fn new(call: &GlobCall, importer: &Path, context: &PatternContext) -> Result<Self, Located> {
        let base = match &call.options.base {
            Some((base, at)) => Some(if let Some(rest) = base.strip_prefix('/') {
                normalize(&context.root.join(rest))
            } else {
                normalize(&context.importer_dir.join(base))
            })
            .map(|b| (b, *at)),
            None => None,
        };
        let anchor = base
            .as_ref()
            .map_or(context.importer_dir, |(b, _)| b.as_path());
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for (written, at) in &call.patterns {
            let (list, pattern) = match written.strip_prefix('!') {
                Some(pattern) => (&mut negative, pattern),
                None => (&mut positive, written.as_str()),
            };
            list.push(Pattern::new(pattern, anchor, context).map_err(|message| (message, *at))?);
        }
        // Vite: keys are relative when every pattern is (`./`, `../`, or a negation).
        let relative_keys = call
            .patterns
            .iter()
            .all(|(p, _)| p.starts_with('.') || p.starts_with('!'));
        let key_base = match base {
            Some((base, _)) => Some(base),
            None => relative_keys.then(|| context.importer_dir.to_path_buf()),
        };
        Ok(Self {
            positive,
            negative,
            exhaustive: call.options.exhaustive,
            importer: importer.to_path_buf(),
            key_base,
        })
    }

    /// The matching files, sorted by path as Vite sorts them.
    fn find_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for pattern in &self.positive {
            pattern.walk(&pattern.base, "", 0, self.exhaustive, &mut found);
        }
        found.retain(|file| {
            *file != self.importer
                && !self
                    .negative
                    .iter()
                    .any(|n| n.matches(file, self.exhaustive))
        });
        found.sort_by(|a, b| a.to_string_lossy().cmp(&b.to_string_lossy()));
        found.dedup();
        found
    }

    /// Whether `file` is (or would be) one of the results.
    fn matches(&self, file: &Path) -> bool {
        *file != self.importer
            && self
                .positive
                .iter()
                .any(|p| p.matches(file, self.exhaustive))
            && !self
                .negative
                .iter()
                .any(|n| n.matches(file, self.exhaustive))
    }
}

/// `path` without `.` and `..` components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `file` relative to the folder `from`, starting with `./` or `../`, with `/` separators.
pub(crate) fn relative_specifier(from: &Path, file: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = file.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    let joined = parts.join("/");
    if joined.starts_with("../") {
        joined
    } else {
        format!("./{joined}")
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The object a call becomes (Vite's output); eager imports are added to `hoisted`.
fn glob_object(
    options: &GlobOptions,
    globs: &FileGlobs,
    files: &[PathBuf],
    context: &PatternContext,
    call_index: usize,
    hoisted: &mut String,
) -> String {
    let query = options.query.as_deref().unwrap_or_default();
    let import = options.import.as_deref().filter(|name| *name != "*");
    let mut entries = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        let specifier = js_string(&format!(
            "{}{query}",
            relative_specifier(context.importer_dir, file)
        ));
        let key = match &globs.key_base {
            Some(base) => relative_specifier(base, file),
            None => match file.strip_prefix(context.root) {
                Ok(inside) => format!("/{}", inside.to_string_lossy().replace('\\', "/")),
                Err(_) => file.to_string_lossy().into_owned(),
            },
        };
        let value = if options.eager {
            let name = format!("__glob__{call_index}_{file_index}");
            match import {
                None => hoisted.push_str(&format!("import * as {name} from {specifier};")),
                Some(export) => {
                    let export = if is_identifier(export) {
                        export.to_string()
                    } else {
                        js_string(export)
                    };
                    hoisted.push_str(&format!(
                        "import {{ {export} as {name} }} from {specifier};"
                    ))
                }
            }
            name
        } else {
            match import {
                None => format!("() => import({specifier})"),
                Some(export) => format!(
                    "() => import({specifier}).then((m) => m[{}])",
                    js_string(export)
                ),
            }
        };
        entries.push(format!("{}: {value}", js_string(&key)));
    }
    format!("/* #__PURE__ */ Object.assign({{{}}})", entries.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Environment;

    use crate::host::NoHost;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for file in [
            "src/main.ts",
            "src/dir/b.ts",
            "src/dir/a.ts",
            "src/dir/skip.ts",
            "src/dir/nested/c.ts",
            "src/dir/notes.md",
            "src/dir/.hidden.ts",
            "src/dir/node_modules/pkg/x.ts",
            "src/pages/home.tsx",
            "src/base/dir/foo.js",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "export default 1;").unwrap();
        }
        (dir, root)
    }

    fn transform(
        plugin: &GlobImports,
        root: &Path,
        code: &str,
        lang: Lang,
    ) -> Result<String, Diagnostic> {
        let id = root.join("src/main.ts").display().to_string();
        let out = plugin.transform(
            &TransformArgs {
                id: &id,
                code,
                lang,
                environment: Environment::Page,
            },
            &NoHost,
        )?;
        Ok(out.map(|t| t.code).unwrap_or_default())
    }

    #[test]
    fn lazy_globs_become_sorted_loaders() {
        let (_dir, root) = project();
        let plugin = GlobImports::new(&root, &[]);
        let code = transform(
            &plugin,
            &root,
            "const m = import.meta.glob('./dir/*.ts');",
            Lang::Ts,
        )
        .unwrap();
        assert_eq!(
            code,
            "const m = /* #__PURE__ */ Object.assign({\"./dir/a.ts\": () => import(\"./dir/a.ts\"), \"./dir/b.ts\": () => import(\"./dir/b.ts\"), \"./dir/skip.ts\": () => import(\"./dir/skip.ts\")});"
        );
    }

    #[test]
    fn recursion_negation_and_leaving_out_packages_and_dot_files() {
        let (_dir, root) = project();
        let plugin = GlobImports::new(&root, &[]);
        let code = transform(
            &plugin,
            &root,
            "export const m = import.meta.glob<{ default: number }>(['./dir/**/*.ts', '!**/skip.ts'], { import: 'default' });",
            Lang::Ts,
        )
        .unwrap();
        assert!(
            code.contains(
                "\"./dir/a.ts\": () => import(\"./dir/a.ts\").then((m) => m[\"default\"])"
            ),
            "{code}"
        );
        assert!(code.contains("\"./dir/nested/c.ts\""), "{code}");
        assert!(!code.contains("skip"), "{code}");
        assert!(
            !code.contains("hidden") && !code.contains("node_modules"),
            "{code}"
        );
        // Naming node_modules includes it.
        let code = transform(
            &plugin,
            &root,
            "import.meta.glob('./dir/node_modules/**/*.ts')",
            Lang::Js,
        )
        .unwrap();
        assert!(code.contains("./dir/node_modules/pkg/x.ts"), "{code}");
    }

    #[test]
    fn eager_imports_are_hoisted_with_queries() {
        let (_dir, root) = project();
        let plugin = GlobImports::new(&root, &[]);
        let code = transform(
            &plugin,
            &root,
            "const raw = import.meta.glob('./dir/*.md', { eager: true, query: '?raw', import: 'default' });\nconst all = import.meta.glob('./dir/a.ts', { eager: true, query: { custom: 'x y', n: 2 } });",
            Lang::Ts,
        )
        .unwrap();
        assert!(code.starts_with("import { default as __glob__0_0 } from \"./dir/notes.md?raw\";import * as __glob__1_0 from \"./dir/a.ts?custom=x+y&n=2\";"), "{code}");
        assert!(
            code.contains(
                "const raw = /* #__PURE__ */ Object.assign({\"./dir/notes.md\": __glob__0_0});"
            ),
            "{code}"
        );
    }

    #[test]
    fn keys_for_root_absolute_alias_and_base_patterns() {
        let (_dir, root) = project();
        let src = root.join("src").display().to_string();
        let plugin = GlobImports::new(&root, &[("@".into(), src)]);
        let code = transform(
            &plugin,
            &root,
            "import.meta.glob('/src/pages/*.tsx')",
            Lang::Js,
        )
        .unwrap();
        assert!(
            code.contains("\"/src/pages/home.tsx\": () => import(\"./pages/home.tsx\")"),
            "{code}"
        );
        let code = transform(
            &plugin,
            &root,
            "import.meta.glob('@/pages/*.tsx')",
            Lang::Js,
        )
        .unwrap();
        assert!(
            code.contains("\"/src/pages/home.tsx\": () => import(\"./pages/home.tsx\")"),
            "{code}"
        );
        let code = transform(
            &plugin,
            &root,
            "import.meta.glob('./**/*.js', { base: './base' })",
            Lang::Js,
        )
        .unwrap();
        assert!(
            code.contains("\"./dir/foo.js\": () => import(\"./base/dir/foo.js\")"),
            "{code}"
        );
    }

    #[test]
    fn bad_arguments_are_errors_at_their_position() {
        let (_dir, root) = project();
        let plugin = GlobImports::new(&root, &[]);
        let error = |code: &str| transform(&plugin, &root, code, Lang::Ts).unwrap_err();
        let err = error("const dir = 'x';\nimport.meta.glob(dir + '/*.ts')");
        assert!(err.message.contains("string literals"), "{}", err.message);
        let location = err.location.unwrap();
        assert_eq!((location.line, location.column), (2, 18));
        assert!(location.file.ends_with("src/main.ts"));
        let err = error("import.meta.glob('./*.ts', { eagr: true })");
        assert!(
            err.message
                .contains("unknown import.meta.glob() option `eagr`"),
            "{}",
            err.message
        );
        let err = error("import.meta.glob('./*.ts', { eager: 'yes' })");
        assert!(
            err.message.contains("`eager` must be `true` or `false`"),
            "{}",
            err.message
        );
        let err = error("import.meta.glob('dir/*.ts')");
        assert!(
            err.message.contains("must start with './'"),
            "{}",
            err.message
        );
        // In a comment or a string it is not a call.
        assert_eq!(
            transform(
                &plugin,
                &root,
                "// import.meta.glob(x)\nconst s = 'import.meta.glob(x)';",
                Lang::Ts
            )
            .unwrap(),
            ""
        );
    }

    #[test]
    fn created_and_removed_files_name_the_importer() {
        let (_dir, root) = project();
        let plugin = GlobImports::new(&root, &[]);
        transform(
            &plugin,
            &root,
            "import.meta.glob(['./dir/*.ts', '!./dir/skip.ts'])",
            Lang::Ts,
        )
        .unwrap();
        let id = root.join("src/main.ts").display().to_string();
        let new = root.join("src/dir/new.ts");
        assert_eq!(
            plugin.hot_update(&new, FileChange::Created),
            vec![id.clone()]
        );
        assert_eq!(plugin.hot_update(&new, FileChange::Removed), vec![id]);
        assert!(plugin.hot_update(&new, FileChange::Modified).is_empty());
        assert!(plugin
            .hot_update(&root.join("src/dir/skip.ts"), FileChange::Created)
            .is_empty());
        assert!(plugin
            .hot_update(&root.join("src/dir/nested/d.ts"), FileChange::Created)
            .is_empty());
        assert!(plugin
            .hot_update(&root.join("src/dir/x.js"), FileChange::Created)
            .is_empty());
    }

    #[test]
    fn the_builtin_order_expands_globs_written_by_the_plugins_before() {
        let (_dir, root) = project();
        for (file, text) in [("src/locales/en.js", ""), ("src/flags/red.svg", "<svg/>")] {
            std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            std::fs::write(root.join(file), text).unwrap();
        }
        let container =
            crate::PluginContainer::new(crate::builtin_plugins(crate::BuiltinOptions {
                root: &root,
                public_dir: None,
                stylesheets: std::sync::Arc::new(crate::plugins::StylesheetModules::new(
                    nexxo_css::CssOptions {
                        root: root.clone(),
                        targets: Vec::new(),
                        minify: false,
                        sourcemap: false,
                        modules_pattern: "[local]".into(),
                        alias: Vec::new(),
                        transform: None,
                    },
                    None,
                    None,
                )),
                json_in_packages_to_bundler: false,
                frameworks: Vec::new(),
                user: Default::default(),
                alias: &[],
            }));
        let id = root.join("src/main.js").display().to_string();
        let code = "const m = import(`./locales/${lang}.js`);\nconst u = new URL(`./flags/${f}.svg`, import.meta.url);\n// jsx in a .js file\nconst el = <div />;";
        let chain = container
            .transform(
                &TransformArgs {
                    id: &id,
                    code,
                    lang: Lang::Js,
                    environment: Environment::Page,
                },
                &NoHost,
            )
            .unwrap()
            .unwrap();
        assert!(chain.code.contains("__variableDynamicImportRuntimeHelper((/* #__PURE__ */ Object.assign({\"./locales/en.js\": () => import(\"./locales/en.js\")})), `./locales/${lang}.js`, 3)"), "{}", chain.code);
        assert!(
            chain
                .code
                .contains("import { default as __glob__1_0 } from \"./flags/red.svg?url\";"),
            "{}",
            chain.code
        );
        assert!(chain.code.contains("new URL((/* #__PURE__ */ Object.assign({\"./flags/red.svg\": __glob__1_0}))[`./flags/${f}.svg`], import.meta.url)"), "{}", chain.code);
        assert_eq!(chain.maps.len(), 3);
        assert!(chain.files.contains(&root.join("src/locales")));
    }

    #[test]
    fn relative_specifiers() {
        assert_eq!(
            relative_specifier(Path::new("/p/src"), Path::new("/p/src/a/b.ts")),
            "./a/b.ts"
        );
        assert_eq!(
            relative_specifier(Path::new("/p/src/x"), Path::new("/p/src/a.ts")),
            "../a.ts"
        );
    }
}
