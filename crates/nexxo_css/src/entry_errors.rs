//! Errors in given stylesheet text (a `<style>` block) moved to where that text sits in its
//! file, so a Vue error names the `.vue` file's line and shows a frame of the whole file.

use std::path::Path;

use nexxo_diagnostics::{offset_of, Diagnostic};

use crate::compile::Entry;
use crate::relative_name;

/// `error` as located in the entry's file when it is located in the entry's given text (or in
/// `parsed_text`, what a transform made of it); any other error is returned as it is.
pub(crate) fn place_in_file(
    mut error: Diagnostic,
    entry: &Entry,
    parsed_text: Option<&str>,
    root: &Path,
) -> Diagnostic {
    let Some(given) = entry.given_text else {
        return error;
    };
    let Some(location) = error.location.as_deref_mut() else {
        return error;
    };
    if location.file != Path::new(&relative_name(root, entry.path)) {
        return error;
    }
    let text = location.source.clone().unwrap_or_else(|| given.to_string());
    let is_given_text = text == given;
    if !is_given_text && Some(text.as_str()) != parsed_text {
        // Another text under the entry's name: the CSS a Sass block compiled to.
        return error;
    }
    let line_in_text = location.line;
    location.line += entry.line_offset;
    let file_text = is_given_text
        .then(|| std::fs::read_to_string(entry.path).ok())
        .flatten()
        .and_then(|file_text| {
            let indent = indent_of_text(&file_text, given, entry.line_offset)?;
            Some((file_text, indent))
        });
    match file_text {
        Some((file_text, indent)) => {
            if line_in_text == 1 {
                // A block's first line starts after its tag: `<style>.a {`.
                location.column += indent;
            }
            location.source = Some(file_text);
        }
        // The file is gone or no longer holds the text (saved since): the text alone, moved
        // down so the line numbers match the file's.
        None => location.source = Some(format!("{}{text}", "\n".repeat(entry.line_offset))),
    }
    error
}

/// Where `text` starts in `file_text` when it starts on the line after `line_offset` lines: the
/// characters before it on that line.
fn indent_of_text(file_text: &str, text: &str, line_offset: usize) -> Option<usize> {
    let line_start = offset_of(file_text, line_offset + 1, 1);
    let rest = &file_text[line_start..];
    let found = rest.find(text)?;
    let before = &rest[..found];
    (!before.contains('\n')).then(|| before.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_found_on_its_first_line_after_its_tag() {
        let file = "<template/>\n<style>\n.a { color: red }\n</style>\n";
        assert_eq!(indent_of_text(file, "\n.a { color: red }\n", 1), Some(7));
        assert_eq!(indent_of_text(file, ".a { color: red }\n", 2), Some(0));
        // Not where the offset says.
        assert_eq!(indent_of_text(file, ".a { color: red }\n", 0), None);
        assert_eq!(indent_of_text(file, ".b {}", 2), None);
    }
}
