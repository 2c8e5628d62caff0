//! User-facing errors.
//!
//! Every error Nexxo shows a user is a [`Diagnostic`]: a message, and where known the file, the
//! 1-based line and column and the source text so a code frame can be drawn. Stages produce
//! diagnostics as plain data; only the CLI decides how to print them.

pub mod events;
pub mod input;

use std::fmt;
use std::path::{Path, PathBuf};

/// A location in a source file, with the file's text so a code frame can be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// Path as shown to the user (relative to the project root where possible).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The whole file text, when available, for the code frame.
    pub source: Option<String>,
}

/// One error (or warning) for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// Boxed: most errors travel in `Result`s, which should stay small.
    pub location: Option<Box<SourceLocation>>,
    /// An extra line telling the user what to do about it.
    pub help: Option<String>,
    /// Text already rendered by another tool (rolldown renders its own code frames); printed as is.
    pub rendered: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            location: None,
            help: None,
            rendered: None,
        }
    }

    /// An error at `line`/`column` (1-based) of `file`, whose text is `source`.
    pub fn at(
        message: impl Into<String>,
        file: impl Into<PathBuf>,
        source: Option<String>,
        line: usize,
        column: usize,
    ) -> Self {
        Self {
            message: message.into(),
            location: Some(Box::new(SourceLocation {
                file: file.into(),
                line,
                column,
                source,
            })),
            help: None,
            rendered: None,
        }
    }

    /// An error at a byte offset of `source`.
    pub fn at_offset(
        message: impl Into<String>,
        file: impl Into<PathBuf>,
        source: &str,
        offset: usize,
    ) -> Self {
        let (line, column) = line_column(source, offset);
        Self::at(message, file, Some(source.to_string()), line, column)
    }

    /// A diagnostic whose text another tool has already rendered.
    pub fn pre_rendered(message: impl Into<String>, rendered: String) -> Self {
        Self {
            message: message.into(),
            location: None,
            help: None,
            rendered: Some(rendered),
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_location(mut self, location: SourceLocation) -> Self {
        self.location = Some(Box::new(location));
        self
    }

    /// Renders the diagnostic for a terminal: a header `error: message`, then
    /// `file:line:column` and a code frame where the source is known.
    pub fn render(&self, color: bool) -> String {
        if let Some(rendered) = &self.rendered {
            return rendered.clone();
        }
        let header = if color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        format!("{header}: {}", self.render_body(color))
    }

    /// The same diagnostic as a warning: rendered without the `error:` header, for callers
    /// that print warnings under their own (`events::warning` writes `warning: …`).
    pub fn into_warning(mut self) -> Self {
        self.rendered = Some(self.render_body(false).trim_end().to_string());
        self
    }

    /// The message, then `file:line:column` and a code frame where the source is known.
    fn render_body(&self, color: bool) -> String {
        let mut out = format!("{}\n", self.message);
        if let Some(location) = &self.location {
            out.push_str(&format!(
                "  --> {}:{}:{}\n",
                display_path(&location.file),
                location.line,
                location.column
            ));
            if let Some(source) = &location.source {
                out.push_str(&code_frame(source, location.line, location.column, color));
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostic {}

/// Several diagnostics from one run, e.g. every syntax error rolldown found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn render(&self, color: bool) -> String {
        self.0
            .iter()
            .map(|d| d.render(color))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Draws the lines around `line` with a caret under `column`, through miette's graphical
/// renderer so frames look like those of other Rust tools.
fn code_frame(source: &str, line: usize, column: usize, color: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};

    let (source, column) = frame_window(source, line, column);
    let offset = offset_of(&source, line, column);
    let diagnostic =
        MietteDiagnostic::new("").with_labels([LabeledSpan::at_offset(offset, "here")]);
    let report = miette::Report::new(diagnostic).with_source_code(source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(2);
    let mut rendered = String::new();
    if handler
        .render_report(&mut rendered, report.as_ref())
        .is_err()
    {
        return String::new();
    }
    // miette prints the (empty) message line first; the frame starts at the first box line.
    let frame: Vec<&str> = rendered.lines().skip_while(|l| !l.contains('╭')).collect();
    let mut out = frame.join("\n");
    out.push('\n');
    out
}

/// The widest slice of a line a code frame shows: minified code can put megabytes on one line,
/// and miette cannot pad to a column past 65,535.
const FRAME_WIDTH: usize = 120;

/// The source a code frame is drawn from, and the column in it: the lines around `line` (two
/// each side, as the frame shows) cut to [`FRAME_WIDTH`] characters around `column`, the
/// lines before them left empty so line numbers stay right.
fn frame_window(source: &str, line: usize, column: usize) -> (String, usize) {
    let first = line.saturating_sub(3);
    let start = column.saturating_sub(FRAME_WIDTH / 2 + 1);
    let mut window = "\n".repeat(first);
    for text in source.lines().skip(first).take(5) {
        window.extend(text.chars().skip(start).take(FRAME_WIDTH));
        window.push('\n');
    }
    (window, column - start)
}

/// Byte offset of a 1-based line and column.
pub fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, text) in source.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let within: usize = text
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + within;
        }
        offset += text.len();
    }
    source.len()
}

/// Paths are shown with forward slashes so messages read the same on every OS.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let source = "ab\ncdé\nf";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 3), (2, 1));
        assert_eq!(line_column(source, source.find('f').unwrap()), (3, 1));
        assert_eq!(offset_of(source, 2, 3), 5);
    }

    #[test]
    fn render_shows_location_and_frame() {
        let source = "const a = 1;\nconst b = ;\nconst c = 3;\n";
        let diagnostic = Diagnostic::at(
            "Unexpected token",
            "src/main.ts",
            Some(source.into()),
            2,
            11,
        );
        let text = diagnostic.render(false);
        assert!(text.starts_with("error: Unexpected token\n"), "{text}");
        assert!(text.contains("src/main.ts:2:11"), "{text}");
        assert!(text.contains("const b = ;"), "{text}");
    }

    #[test]
    fn frames_of_huge_lines_show_a_window_around_the_column() {
        let line = format!("{}BAD{}", "a".repeat(100_000), "b".repeat(100_000));
        let source = format!("first\n{line}\nlast\n");
        let diagnostic = Diagnostic::at("Unexpected", "min.js", Some(source), 2, 100_001);
        let text = diagnostic.render(false);
        assert!(text.contains("min.js:2:100001"), "{text}");
        assert!(text.contains("aaaBADbbb"), "{text}");
        assert!(text.contains(" 2 │"), "{text}");
        assert!(text.len() < 2_000, "{}", text.len());
    }
}
