//! Compressed sizes of output files, as servers would send them.

use std::io::Write as _;

/// Gzip size at the default level (what the build's size table shows).
pub fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    if encoder.write_all(bytes).is_err() {
        return 0;
    }
    encoder.finish().map(|out| out.len()).unwrap_or(0)
}

/// Brotli size at quality 11 (what precompressed files are served at), 4 MiB window.
pub fn brotli_size(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        if writer.write_all(bytes).is_err() {
            return 0;
        }
    }
    out.len()
}

/// Whether compressed sizes mean anything for a file (text, not images or fonts).
pub fn is_text_file(name: &str) -> bool {
    const TEXT: &[&str] = &[
        ".js", ".mjs", ".cjs", ".css", ".html", ".svg", ".json", ".txt", ".xml", ".wasm",
    ];
    TEXT.iter().any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_repetitive_text() {
        let text = "const value = 1;\n".repeat(1000);
        let gzip = gzip_size(text.as_bytes());
        let brotli = brotli_size(text.as_bytes());
        assert!(gzip > 0 && gzip < text.len() / 10, "{gzip}");
        assert!(brotli > 0 && brotli < text.len() / 10, "{brotli}");
        assert!(is_text_file("assets/a-1.js") && !is_text_file("logo.png"));
    }
}
