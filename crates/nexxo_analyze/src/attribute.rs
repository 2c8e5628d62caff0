//! Each source's share of an output file, read from the file's source map: every byte of the
//! output belongs to the mapped segment it falls in (from one mapping to the next on its
//! line), and so to that segment's source. Bytes before a line's first mapping, on lines
//! without mappings, or in segments with no source are "unattributed". The shares therefore
//! add up to the file's size exactly.

use oxc_sourcemap::SourceMap;

/// Bytes of one output file per source of its map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// The map's `sources`, as written (relative to the output file's folder).
    pub sources: Vec<String>,
    /// Output bytes per entry of `sources`.
    pub bytes: Vec<usize>,
    /// Output bytes no mapping covers.
    pub unattributed: usize,
}

/// Splits `code`'s bytes among the sources of `map_json`. A map that does not parse leaves
/// every byte unattributed: a broken map must not fail the build's report.
pub fn attribute(code: &[u8], map_json: &str) -> Attribution {
    let Ok(map) = SourceMap::from_json_string(map_json) else {
        return Attribution {
            unattributed: code.len(),
            ..Attribution::default()
        };
    };
    // `sourceRoot` (lightningcss writes one) is the prefix of every source.
    let source_root = map.get_source_root().unwrap_or("");
    let sources: Vec<String> = map
        .get_sources()
        .map(|source| match source_root {
            "" => source.to_string(),
            root if root.ends_with('/') => format!("{root}{source}"),
            root => format!("{root}/{source}"),
        })
        .collect();
    let mut bytes = vec![0usize; sources.len()];
    let mut unattributed = 0usize;
    // (line, column, source) sorted by position; mappings are usually sorted already.
    let mut tokens: Vec<(u32, u32, Option<u32>)> = map
        .get_tokens()
        .map(|t| (t.get_dst_line(), t.get_dst_col(), t.get_source_id()))
        .collect();
    tokens.sort_by_key(|&(line, col, _)| (line, col));

    let mut next_token = 0usize;
    let mut line_start = 0usize;
    let mut line_number = 0u32;
    while line_start < code.len() {
        let line_end = code[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(code.len(), |at| line_start + at);
        // The newline goes with the line's last segment.
        let segment_end_of_line = (line_end + 1).min(code.len());
        let line = &code[line_start..line_end];
        // Skip mappings of earlier lines (only possible when a line number was reused).
        while next_token < tokens.len() && tokens[next_token].0 < line_number {
            next_token += 1;
        }
        let first = next_token;
        while next_token < tokens.len() && tokens[next_token].0 == line_number {
            next_token += 1;
        }
        let line_tokens = &tokens[first..next_token];
        let mut columns = Utf16Columns::new(line);
        let mut position = line_start;
        let mut owner: Option<u32> = None;
        for &(_, column, source) in line_tokens {
            let at = line_start + columns.byte_offset(column);
            credit(&mut bytes, &mut unattributed, owner, at - position);
            position = at;
            owner = source.filter(|&id| (id as usize) < bytes.len());
        }
        credit(
            &mut bytes,
            &mut unattributed,
            owner,
            segment_end_of_line - position,
        );
        line_start = segment_end_of_line;
        line_number += 1;
    }
    Attribution {
        sources,
        bytes,
        unattributed,
    }
}

fn credit(bytes: &mut [usize], unattributed: &mut usize, owner: Option<u32>, count: usize) {
    match owner {
        Some(id) => bytes[id as usize] += count,
        None => *unattributed += count,
    }
}

/// Byte offsets of UTF-16 columns (source maps count columns in UTF-16 code units) on one
/// line, for columns asked in increasing order.
struct Utf16Columns<'a> {
    line: &'a [u8],
    byte: usize,
    column: u32,
}

impl<'a> Utf16Columns<'a> {
    fn new(line: &'a [u8]) -> Self {
        Self {
            line,
            byte: 0,
            column: 0,
        }
    }

    /// The byte offset of `column`, clamped to the line; never moves backwards.
    fn byte_offset(&mut self, column: u32) -> usize {
        while self.column < column && self.byte < self.line.len() {
            let lead = self.line[self.byte];
            let (width, units) = match lead {
                0x00..=0x7f => (1, 1),
                0xc0..=0xdf => (2, 1),
                0xe0..=0xef => (3, 1),
                0xf0..=0xf7 => (4, 2),
                // A continuation or invalid byte: count it alone, as a lossy decoder would.
                _ => (1, 1),
            };
            self.byte = (self.byte + width).min(self.line.len());
            self.column += units;
        }
        self.byte
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A map with mappings given as (dst line, dst col, source) triples, encoded as VLQ.
    pub(crate) fn map_of(sources: &[&str], mappings: &[(u32, u32, Option<u32>)]) -> String {
        let tokens = mappings
            .iter()
            .map(|&(line, col, source)| oxc_sourcemap::Token::new(line, col, 0, 0, source, None))
            .collect::<Vec<_>>();
        let map = SourceMap::new(
            None,
            vec![],
            None,
            sources
                .iter()
                .map(|s| std::borrow::Cow::Borrowed(*s))
                .collect(),
            vec![],
            tokens.into_boxed_slice(),
            None,
        );
        map.to_json_string()
    }

    #[test]
    fn splits_each_line_between_its_mappings() {
        // Line 0: "abcdef\n", a from col 0, b from col 2; line 1 "xy" unmapped.
        let code = b"abcdef\nxy";
        let map = map_of(&["a.js", "b.js"], &[(0, 0, Some(0)), (0, 2, Some(1))]);
        let attribution = attribute(code, &map);
        assert_eq!(attribution.sources, vec!["a.js", "b.js"]);
        assert_eq!(attribution.bytes, vec![2, 5]);
        assert_eq!(attribution.unattributed, 2);
    }

    #[test]
    fn bytes_before_the_first_mapping_and_sourceless_segments_are_unattributed() {
        let code = b"//x\nab;cd";
        let map = map_of(&["a.js"], &[(1, 1, Some(0)), (1, 3, None)]);
        let attribution = attribute(code, &map);
        assert_eq!(attribution.bytes, vec![2]);
        assert_eq!(attribution.unattributed, 4 + 1 + 2);
        assert_eq!(attribution.bytes[0] + attribution.unattributed, code.len());
    }

    #[test]
    fn columns_are_utf16_units() {
        // "é" is 2 bytes / 1 unit, "😀" 4 bytes / 2 units.
        let code = "é😀ab".as_bytes();
        let map = map_of(&["x", "y"], &[(0, 0, Some(0)), (0, 3, Some(1))]);
        let attribution = attribute(code, &map);
        assert_eq!(attribution.bytes, vec![6, 2]);
    }

    #[test]
    fn sources_are_read_under_the_source_root() {
        let map = r#"{"version":3,"sourceRoot":"../../","sources":["src/a.css"],"names":[],"mappings":"AAAA"}"#;
        assert_eq!(attribute(b".a{}", map).sources, vec!["../../src/a.css"]);
    }

    #[test]
    fn a_broken_map_leaves_everything_unattributed() {
        let attribution = attribute(b"abc", "{not json");
        assert_eq!(attribution.unattributed, 3);
        // Columns past the end of a line and unsorted tokens do not panic.
        let map = map_of(
            &["a"],
            &[(0, 99, Some(0)), (0, 0, Some(0)), (7, 0, Some(0))],
        );
        let attribution = attribute(b"ab\n", &map);
        assert_eq!(attribution.bytes[0] + attribution.unattributed, 3);
    }
}
