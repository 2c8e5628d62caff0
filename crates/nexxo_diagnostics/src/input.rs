//! Guards for reading a project's files, shared by every stage that reads them.
//!
//! - [`ensure_regular_file`] / [`read_regular`]: opening a FIFO for reading blocks until a
//!   writer appears, and a character device such as `/dev/zero` never ends, so a project file
//!   that is not a regular file (after following symlinks) would hang a build or the dev server.
//!   Such files are refused with an error naming the file and what it is.
//! - [`nesting_too_deep`]: compilers parse nested code recursively, so a file nested thousands
//!   of levels deep would overflow their stack and abort the process. A cheap scan of bracket
//!   depth finds the place where a file crosses [`NESTING_LIMIT`], far above real code, and the
//!   compile threads' stacks are sized to handle well beyond it.

use std::io;
use std::path::Path;

/// Scripts nested deeper than this (brackets, braces and parentheses) are refused before oxc
/// sees them. Real code stays far below (deeply nested JSX or generated data reaches a few
/// dozen levels).
pub const NESTING_LIMIT: usize = 1000;

/// Stylesheets nested deeper than this (blocks, parentheses and brackets) are refused before
/// lightningcss or grass sees them: lightningcss's printer keeps its indentation in a `u8`
/// (two per block), so about 127 nested blocks is its hard ceiling. Real stylesheets nest a
/// handful of levels.
pub const STYLESHEET_NESTING_LIMIT: usize = 100;

/// `Ok` when `path` (symlinks followed) is a regular file; otherwise an `InvalidInput` error
/// saying what it is ("it is a FIFO (named pipe), not a regular file"), for the caller to put
/// after the file's name. Missing files give the usual not-found error.
pub fn ensure_regular_file(path: &Path) -> io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        return Ok(());
    }
    Err(not_regular(&metadata.file_type()))
}

/// The error for a file of this type where a regular file is needed.
fn not_regular(file_type: &std::fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(file_type)),
    )
}

/// The error for `path` when it exists and is neither a regular file nor a folder (symlinks
/// followed): what an import of it must be refused with. Resolvers skip such files, which would
/// report a FIFO the user can see as "not found".
pub fn special_file_error(path: &Path) -> Option<io::Error> {
    let metadata = std::fs::metadata(path).ok()?;
    (!metadata.is_file() && !metadata.is_dir()).then(|| not_regular(&metadata.file_type()))
}

/// Whether `path` (symlinks followed) is a regular file Nexxo may read.
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// `std::fs::read`, refusing anything but a regular file (see [`ensure_regular_file`]).
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    ensure_regular_file(path)?;
    std::fs::read(path)
}

/// `std::fs::read_to_string`, refusing anything but a regular file.
pub fn read_regular_to_string(path: &Path) -> io::Result<String> {
    ensure_regular_file(path)?;
    std::fs::read_to_string(path)
}

/// `path` without its `.` segments (`src/./a.css` → `src/a.css`), as resolvers join specifiers.
pub fn without_dot_segments(path: &Path) -> std::path::PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// "a folder", "a FIFO (named pipe)", "a socket", "a device"…
pub fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

/// The language whose brackets [`nesting_too_deep`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JavaScript and TypeScript (JSX included): `( [ {` and `${`; strings, template text,
    /// comments and regular expressions are skipped.
    Script,
    /// CSS and Sass: `{ ( [`; strings and comments are skipped.
    Stylesheet,
}

/// The byte offset where `source` first gets nested deeper than `limit` levels, if it does.
/// A linear scan, no allocation per level beyond a small stack of template-literal depths.
pub fn nesting_too_deep(source: &str, syntax: Syntax, limit: usize) -> Option<usize> {
    match syntax {
        Syntax::Script => script_nesting_too_deep(source.as_bytes(), limit),
        Syntax::Stylesheet => stylesheet_nesting_too_deep(source.as_bytes(), limit),
    }
}

impl Syntax {
    /// How deep files of this language may nest.
    pub fn nesting_limit(self) -> usize {
        match self {
            Syntax::Script => NESTING_LIMIT,
            Syntax::Stylesheet => STYLESHEET_NESTING_LIMIT,
        }
    }
}

/// The message for a file nested deeper than `syntax`'s limit at `offset`.
pub fn nesting_error(
    file: impl Into<std::path::PathBuf>,
    source: &str,
    syntax: Syntax,
    offset: usize,
) -> crate::Diagnostic {
    crate::Diagnostic::at_offset(
        format!("nesting deeper than {} levels", syntax.nesting_limit()),
        file,
        source,
        offset,
    )
    .with_help("no real code nests this deep; generated code should be flattened (the compilers would run out of stack)")
}

/// Checks `source` against `syntax`'s nesting limit: `Err` with the file, line and column where
/// the limit is crossed.
pub fn check_nesting(
    file: impl Into<std::path::PathBuf>,
    source: &str,
    syntax: Syntax,
) -> Result<(), crate::Diagnostic> {
    match nesting_too_deep(source, syntax, syntax.nesting_limit()) {
        Some(offset) => Err(nesting_error(file, source, syntax, offset)),
        None => Ok(()),
    }
}

fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    // `start` is at `/*`; returns the index of the closing `/`.
    let mut i = start + 2;
    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
        i += 1;
    }
    i + 1
}

fn skip_line_comment(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// `start` is at the opening quote; returns the index of the closing one (or the line end).
fn skip_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

fn stylesheet_nesting_too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            // Sass's line comments; in plain CSS `//` only appears inside URLs, which are
            // either quoted or hold no brackets that matter.
            b'/' if bytes.get(i + 1) == Some(&b'/') && !url_context(bytes, i) => {
                i = skip_line_comment(bytes, i)
            }
            b'"' | b'\'' => i = skip_quoted(bytes, i),
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the `//` at `i` follows a `:` (as in `url(http://…)`), so it is no comment.
fn url_context(bytes: &[u8], i: usize) -> bool {
    i > 0 && bytes[i - 1] == b':'
}

fn script_nesting_too_deep(bytes: &[u8], limit: usize) -> Option<usize> {
    // Depth of every open bracket; for each open template literal, the depth at which its
    // `${` was opened, so the matching `}` returns to the template's text.
    let mut depth = 0usize;
    let mut template_depths: Vec<usize> = Vec::new();
    // Whether a `/` here starts a regular expression (after an operator or opening bracket)
    // or is a division (after a name, number or closing bracket).
    let mut regex_allowed = true;
    let mut i = 0;
    let open = |depth: &mut usize, at: usize| {
        *depth += 1;
        (*depth > limit).then_some(at)
    };
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line_comment(bytes, i),
            b'/' if regex_allowed => {
                i = skip_regex(bytes, i);
                regex_allowed = false;
            }
            b'"' | b'\'' => {
                i = skip_quoted(bytes, i);
                regex_allowed = false;
            }
            b'`' | b'}' if byte == b'`' || template_depths.last() == Some(&depth) => {
                if byte == b'}' {
                    // The end of a `${…}`: back in the template's text.
                    template_depths.pop();
                    depth = depth.saturating_sub(1);
                }
                // Template text up to its end or its next `${`.
                match skip_template_text(bytes, i + 1) {
                    TemplateEnd::Closed(end) => {
                        i = end;
                        regex_allowed = false;
                    }
                    TemplateEnd::Substitution(brace) => {
                        // A `${` opens a level, as a bracket does.
                        if let Some(at) = open(&mut depth, brace) {
                            return Some(at);
                        }
                        template_depths.push(depth);
                        i = brace;
                        regex_allowed = true;
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                if let Some(at) = open(&mut depth, i) {
                    return Some(at);
                }
                regex_allowed = true;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                // `)` can end an `if (…)` before a regex, but a division is far more common.
                regex_allowed = false;
            }
            b if b.is_ascii_whitespace() => {}
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                let start = i;
                while i + 1 < bytes.len()
                    && (bytes[i + 1].is_ascii_alphanumeric()
                        || matches!(bytes[i + 1], b'_' | b'$')
                        || bytes[i + 1] >= 0x80)
                {
                    i += 1;
                }
                // After a keyword such as `return` or `typeof`, a `/` starts a regex.
                regex_allowed = matches!(
                    &bytes[start..=i],
                    b"return"
                        | b"typeof"
                        | b"instanceof"
                        | b"in"
                        | b"of"
                        | b"new"
                        | b"delete"
                        | b"void"
                        | b"throw"
                        | b"case"
                        | b"do"
                        | b"else"
                        | b"yield"
                        | b"await"
                );
            }
            _ => regex_allowed = true,
        }
        i += 1;
    }
    None
}

enum TemplateEnd {
    /// Index of the closing backtick.
    Closed(usize),
    /// Index of the `{` of a `${`.
    Substitution(usize),
}

fn skip_template_text(bytes: &[u8], mut i: usize) -> TemplateEnd {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'`' => return TemplateEnd::Closed(i),
            b'$' if bytes.get(i + 1) == Some(&b'{') => return TemplateEnd::Substitution(i + 1),
            _ => {}
        }
        i += 1;
    }
    TemplateEnd::Closed(bytes.len())
}

/// `start` is at the `/` opening a regular expression; returns the index of its closing `/`
/// (character classes may hold a `/`), or the line end for a `/` that was not one.
fn skip_regex(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut in_class = false;
    while i < bytes.len() && bytes[i] != b'\n' {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'/' if !in_class => return i,
            _ => {}
        }
        i += 1;
    }
    // Not a regex after all (no closing `/` on the line): resume right after the `/`.
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_regular_files_are_refused_with_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.js");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(read_regular(&file).unwrap(), b"x");
        let error = read_regular(dir.path()).unwrap_err();
        assert!(error.to_string().contains("is a folder"), "{error}");
        #[cfg(unix)]
        {
            let link = dir.path().join("zero.js");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            let error = read_regular_to_string(&link).unwrap_err();
            assert!(error.to_string().contains("character device"), "{error}");
            let good_link = dir.path().join("b.js");
            std::os::unix::fs::symlink(&file, &good_link).unwrap();
            assert!(is_regular_file(&good_link));
            assert!(special_file_error(&link).is_some());
            assert!(
                special_file_error(&good_link).is_none()
                    && special_file_error(dir.path()).is_none()
            );
            let fifo = dir.path().join("fifo.js");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Would block forever if it were opened.
                let error = read_regular(&fifo).unwrap_err();
                assert!(error.to_string().contains("FIFO"), "{error}");
            }
        }
    }

    #[test]
    fn script_nesting_is_measured_outside_strings_comments_and_regexes() {
        let deep = format!("x = {}1{};", "[".repeat(1200), "]".repeat(1200));
        assert_eq!(
            nesting_too_deep(&deep, Syntax::Script, 1000),
            Some(4 + 1000)
        );
        let parens = format!("x = {}1{};", "(".repeat(50), ")".repeat(50));
        assert_eq!(nesting_too_deep(&parens, Syntax::Script, 1000), None);
        assert_eq!(nesting_too_deep(&parens, Syntax::Script, 49), Some(4 + 49));
        let hidden = format!(
            "const s = '{0}'; // {0}\n/* {0} */ const r = /[(]{{/g; const t = `{0}${{ a({{}}) }}{0}`; a / (b) / c;",
            "(".repeat(30)
        );
        assert_eq!(nesting_too_deep(&hidden, Syntax::Script, 3), None);
        let in_template = format!("`${{{}`", "[".repeat(5));
        assert_eq!(nesting_too_deep(&in_template, Syntax::Script, 4), Some(6));
    }

    #[test]
    fn stylesheet_nesting_is_measured_outside_strings_and_comments() {
        let nested = format!("{}color: red{}", ".a {".repeat(1001), "}".repeat(1001));
        assert_eq!(
            nesting_too_deep(&nested, Syntax::Stylesheet, 1000),
            Some(1000 * 4 + 3)
        );
        let selector = format!("{}.b{} {{}}", ":is(".repeat(20), ")".repeat(20));
        assert_eq!(nesting_too_deep(&selector, Syntax::Stylesheet, 20), None);
        assert!(nesting_too_deep(&selector, Syntax::Stylesheet, 19).is_some());
        let quiet = ".a { content: '((((('; background: url(http://x/y.png) } /* {{{{ */ // {{{{\n";
        // The block and `url(` are the only real levels.
        assert_eq!(nesting_too_deep(quiet, Syntax::Stylesheet, 2), None);
    }

    #[test]
    fn the_nesting_error_points_where_the_limit_is_crossed() {
        let source = format!("const a = 1;\nconst b = {};\n", "[".repeat(1001));
        let error = check_nesting("src/deep.js", &source, Syntax::Script).unwrap_err();
        let location = error.location.as_ref().unwrap();
        assert_eq!((location.line, location.column), (2, 11 + 1000));
        assert!(error.message.contains("nesting deeper than 1000 levels"));
    }
}
