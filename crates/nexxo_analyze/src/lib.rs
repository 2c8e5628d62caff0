//! Bundle analysis on plain data: a driver hands over a [`BuildGraph`] (modules, import edges,
//! output files with their source maps) and gets [`Stats`] back, from which come `stats.json`,
//! an esbuild-compatible metafile, the self-contained HTML report, `--compare` and
//! `nexxo why`. Budgets check output sizes. Nothing here knows rolldown or HTTP.

pub mod attribute;
pub mod budgets;
pub mod chains;
pub mod compare;
pub mod compress;
pub mod graph;
pub mod metafile;
pub mod packages;
pub mod report;
pub mod stats;

use std::path::{Path, PathBuf};

pub use compare::{compare, Comparison};
pub use graph::{BuildGraph, ChunkInput, ModuleInput, OutputInput};
pub use stats::{build_stats, Stats, StatsOptions, STATS_VERSION};

/// Where `nexxo build --analyze` writes, relative to the root: outside outDir, so the report is
/// never deployed.
pub const ANALYZE_DIR: &str = ".nexxo/analyze";

/// The files one analysis wrote.
#[derive(Debug, Clone)]
pub struct AnalysisFiles {
    pub report: PathBuf,
    pub stats: PathBuf,
    pub metafile: PathBuf,
}

/// Writes `report.html`, `stats.json` and `metafile.json` into `dir` (created if needed).
pub fn write_analysis(
    dir: &Path,
    stats: &Stats,
    comparison: Option<&Comparison>,
) -> std::io::Result<AnalysisFiles> {
    std::fs::create_dir_all(dir)?;
    let files = AnalysisFiles {
        report: dir.join("report.html"),
        stats: dir.join("stats.json"),
        metafile: dir.join("metafile.json"),
    };
    let stats_json = serde_json::to_string(stats).map_err(std::io::Error::other)?;
    let metafile_json =
        serde_json::to_string_pretty(&metafile::metafile(stats)).map_err(std::io::Error::other)?;
    write_whole(&files.stats, stats_json.as_bytes())?;
    write_whole(&files.metafile, metafile_json.as_bytes())?;
    write_whole(
        &files.report,
        report::render_report(stats, comparison).as_bytes(),
    )?;
    Ok(files)
}

/// Reads a `stats.json` written by this or an earlier Nexxo, with a message saying what is
/// wrong with it otherwise.
pub fn read_stats(path: &Path) -> Result<Stats, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let probe: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    match probe.get("version").and_then(|v| v.as_u64()) {
        Some(version) if version == u64::from(STATS_VERSION) => {}
        Some(version) => {
            return Err(format!(
                "{} is stats version {version}; this Nexxo reads version {STATS_VERSION}",
                path.display()
            ))
        }
        None => {
            return Err(format!(
                "{} is not a Nexxo stats.json (no \"version\")",
                path.display()
            ))
        }
    }
    serde_json::from_value(probe).map_err(|err| format!("{}: {err}", path.display()))
}

/// Written beside and renamed over, so a reader never sees half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let stats = build_stats(
            &stats::tests::sample_graph(),
            &StatsOptions {
                tool: "nexxo test".into(),
                version_of: &|_| None,
            },
        );
        let files = write_analysis(dir.path(), &stats, None).unwrap();
        assert_eq!(read_stats(&files.stats).unwrap(), stats);
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&files.metafile).unwrap()).unwrap();
        assert!(meta["outputs"].is_object());
        assert!(std::fs::read_to_string(&files.report)
            .unwrap()
            .starts_with("<!doctype html>"));
    }

    #[test]
    fn refuses_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, r#"{"version": 99}"#).unwrap();
        assert!(read_stats(&path).unwrap_err().contains("version 99"));
        std::fs::write(&path, "{").unwrap();
        assert!(read_stats(&path).unwrap_err().contains("not JSON"));
        std::fs::write(&path, "{}").unwrap();
        assert!(read_stats(&path).unwrap_err().contains("no \"version\""));
        assert!(read_stats(&dir.path().join("none")).is_err());
    }
}
