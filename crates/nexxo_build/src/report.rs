//! The build report: every emitted file with its size and gzip size, as Vite prints it.

use std::io::Write as _;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use rayon::prelude::*;

use crate::emit::EmittedFile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSize {
    pub name: String,
    pub bytes: usize,
    /// Gzip size for text files; `None` for binary assets, where it means little.
    pub gzip_bytes: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct BuildReport {
    /// outDir as shown to the user.
    pub out_dir: String,
    pub files: Vec<FileSize>,
    /// Files copied from public/.
    pub public_files: usize,
    pub duration: Duration,
    pub warnings: Vec<String>,
    pub cache: CacheOutcome,
    pub cache_stats: nexxo_cache::RunStats,
}

/// Whether the files came from the cache, and if not, why.
#[derive(Debug, Clone)]
pub enum CacheOutcome {
    Restored,
    Built(crate::cache::MissReason),
}

const TEXT_EXTENSIONS: &[&str] = &[
    ".js", ".mjs", ".cjs", ".css", ".html", ".svg", ".json", ".map", ".txt",
];

/// Sizes of the files, listed in Vite's order: HTML, other assets, CSS, JS; by name within each.
/// Gzip sizes are computed in parallel: compressing a large app's output one file at a time
/// was a visible part of the build.
pub fn measure(files: &[EmittedFile]) -> Vec<FileSize> {
    let mut sizes: Vec<FileSize> = files
        .par_iter()
        .filter(|f| !f.name.ends_with(".map"))
        .map(|file| {
            let is_text = TEXT_EXTENSIONS.iter().any(|ext| file.name.ends_with(ext));
            FileSize {
                name: file.name.clone(),
                bytes: file.bytes.len(),
                gzip_bytes: is_text.then(|| gzip_size(&file.bytes)),
            }
        })
        .collect();
    sizes.sort_by_key(|f| (kind_rank(&f.name), f.name.clone()));
    sizes
}

fn kind_rank(name: &str) -> u8 {
    if name.ends_with(".html") {
        0
    } else if name.ends_with(".css") {
        2
    } else if name.ends_with(".js") || name.ends_with(".mjs") || name.ends_with(".cjs") {
        3
    } else {
        1
    }
}

fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    if encoder.write_all(bytes).is_err() {
        return 0;
    }
    encoder.finish().map_or(0, |out| out.len())
}

fn kilobytes(bytes: usize) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}

impl BuildReport {
    /// The report as printed after a build.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let name_width = self.files.iter().map(|f| f.name.len()).max().unwrap_or(0);
        let size_width = self
            .files
            .iter()
            .map(|f| kilobytes(f.bytes).len())
            .max()
            .unwrap_or(0);
        for file in &self.files {
            out.push_str(&format!(
                "{}/{:<name_width$}  {:>size_width$}",
                self.out_dir,
                file.name,
                kilobytes(file.bytes)
            ));
            if let Some(gzip) = file.gzip_bytes {
                out.push_str(&format!(" │ gzip: {:>9}", kilobytes(gzip)));
            }
            out.push('\n');
        }
        if self.public_files > 0 {
            out.push_str(&format!(
                "+ {} file(s) copied from public/\n",
                self.public_files
            ));
        }
        let verb = match self.cache {
            CacheOutcome::Restored => "restored from the cache",
            CacheOutcome::Built(_) => "built",
        };
        out.push_str(&format!("✓ {verb} in {}ms\n", self.duration.as_millis()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_html_first_and_skips_maps() {
        let files = vec![
            EmittedFile {
                name: "assets/index-a.js".into(),
                bytes: b"console.log(1)".to_vec(),
            },
            EmittedFile {
                name: "assets/index-a.js.map".into(),
                bytes: b"{}".to_vec(),
            },
            EmittedFile {
                name: "index.html".into(),
                bytes: b"<html></html>".to_vec(),
            },
            EmittedFile {
                name: "assets/logo-b.png".into(),
                bytes: vec![0; 2000],
            },
        ];
        let sizes = measure(&files);
        let names: Vec<&str> = sizes.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["index.html", "assets/logo-b.png", "assets/index-a.js"]
        );
        assert!(sizes[1].gzip_bytes.is_none());
        let report = BuildReport {
            out_dir: "dist".into(),
            files: sizes,
            public_files: 0,
            duration: Duration::from_millis(12),
            warnings: vec![],
            cache: CacheOutcome::Built(crate::cache::MissReason::FirstBuild),
            cache_stats: Default::default(),
        }
        .render();
        assert!(report.contains("dist/index.html"), "{report}");
        assert!(report.contains("2.00 kB"), "{report}");
        assert!(report.contains("built in 12ms"), "{report}");
    }
}
