//! `nexxo audit` without a browser: the built output (outDir) as files — every HTML page through
//! the static checks, published source maps, chunk sizes, code shipped twice.

use std::path::{Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;

use crate::duplicates::{duplicated_javascript, ScriptFile};
use crate::findings::{Finding, Report};
use crate::html_checks::{check_page, SourcePage};
use crate::settings::AuditSettings;

/// The files of outDir the checks read (regular files only; symlinks are not followed).
#[derive(Debug, Default)]
pub struct DistFiles {
    pub html: Vec<PathBuf>,
    pub scripts: Vec<PathBuf>,
    pub source_maps: Vec<PathBuf>,
}

/// Lists outDir's files; hidden files and folders are skipped as the preview server skips them.
pub fn dist_files(out_dir: &Path) -> std::io::Result<DistFiles> {
    let mut files = DistFiles::default();
    let mut folders = vec![out_dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&folder)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() {
                if name.ends_with(".html") {
                    files.html.push(path);
                } else if name.ends_with(".map") {
                    files.source_maps.push(path);
                } else if name.ends_with(".js") || name.ends_with(".mjs") {
                    files.scripts.push(path);
                }
            }
        }
    }
    files.html.sort();
    files.scripts.sort();
    files.source_maps.sort();
    Ok(files)
}

/// `path` relative to the project root, with `/` separators (absolute when outside it).
pub fn display(config: &ResolvedConfig, path: &Path) -> String {
    path.strip_prefix(&config.root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The page's URL path below `base`-less root: `index.html` → `/index.html`.
fn page_path(out_dir: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(out_dir).unwrap_or(file);
    format!("/{}", relative.to_string_lossy().replace('\\', "/"))
}

/// Runs every static check on the built app in `config.out_dir`.
pub fn audit_dist(config: &ResolvedConfig, settings: &AuditSettings) -> Result<Report, Diagnostic> {
    let out_dir = &config.out_dir;
    if !out_dir.join("index.html").is_file() && !out_dir.is_dir() {
        return Err(Diagnostic::error(format!(
            "{} does not exist: run `nexxo build` first (or `nexxo audit --build`)",
            display(config, out_dir)
        )));
    }
    let files = dist_files(out_dir).map_err(|err| {
        Diagnostic::error(format!("cannot read {}: {err}", display(config, out_dir)))
    })?;
    let mut report = Report::default();
    for file in &files.html {
        let Ok(html) = nexxo_diagnostics::input::read_regular_to_string(file) else {
            continue;
        };
        let page = page_path(out_dir, file);
        // The page it was built from: the same path under the root (pages keep their paths).
        let relative = file.strip_prefix(out_dir).unwrap_or(file);
        let source = config.root.join(relative);
        let source = nexxo_diagnostics::input::read_regular_to_string(&source)
            .ok()
            .map(|text| SourcePage::new(display(config, &source), text));
        report.findings.extend(check_page(
            &html,
            &page,
            &display(config, file),
            source.as_ref(),
        ));
        report.pages.push(page);
    }
    for map in &files.source_maps {
        report.findings.push(
            Finding::new(
                "public-source-maps",
                "a source map is published with the app: anyone can read the original source (build.sourcemap: \"hidden\" keeps it out of the served files' comments, or remove it before deploying)",
            )
            .at(display(config, map), 1, 1),
        );
    }
    let mut scripts = Vec::new();
    for script in &files.scripts {
        let Ok(bytes) = nexxo_diagnostics::input::read_regular(script) else {
            continue;
        };
        let size = bytes.len() as u64;
        let mut map_name = script.as_os_str().to_owned();
        map_name.push(".map");
        let map_path = PathBuf::from(map_name);
        let map_json = match files.source_maps.binary_search(&map_path) {
            Ok(_) => nexxo_diagnostics::input::read_regular_to_string(&map_path).ok(),
            Err(_) => None,
        };
        scripts.push(ScriptFile {
            shown: display(config, script),
            path: script.clone(),
            bytes,
            map_json,
        });
        if size > settings.max_chunk_bytes {
            report.findings.push(
                Finding::new(
                    "chunk-size",
                    format!(
                        "chunk is {:.1} kB, over the {:.0} kB limit (audit.maxChunkKb): split it with import() or build.manualChunks",
                        size as f64 / 1000.0,
                        settings.max_chunk_bytes as f64 / 1000.0
                    ),
                )
                .at(display(config, script), 1, 1),
            );
        }
    }
    report
        .findings
        .extend(duplicated_javascript(&config.root, &scripts));
    Ok(report)
}

/// A browser run: Chromium and the URL the built app is served at (ending in `/`).
pub struct BrowserRun<'a> {
    pub chromium: &'a Path,
    pub app_url: &'a str,
}

/// `nexxo audit`: the static checks, then (with `browser`) every page in headless Chromium;
/// the configured levels applied, duplicates removed, sorted.
pub fn audit_app(
    config: &ResolvedConfig,
    settings: &AuditSettings,
    browser: Option<BrowserRun<'_>>,
) -> Result<Report, Diagnostic> {
    let mut report = audit_dist(config, settings)?;
    if let Some(run) = browser {
        let files = dist_files(&config.out_dir).map_err(|err| {
            Diagnostic::error(format!(
                "cannot read {}: {err}",
                display(config, &config.out_dir)
            ))
        })?;
        let pages: Vec<crate::browser::PageToAudit> = files
            .html
            .iter()
            .map(|file| {
                let relative = file
                    .strip_prefix(&config.out_dir)
                    .unwrap_or(file)
                    .to_string_lossy()
                    .replace('\\', "/");
                let url_path = relative
                    .strip_suffix("index.html")
                    .unwrap_or(&relative)
                    .to_string();
                let source = config.root.join(&relative);
                crate::browser::PageToAudit {
                    page: format!("/{relative}"),
                    url: format!("{}{url_path}", run.app_url),
                    source_file: source.is_file().then(|| display(config, &source)),
                }
            })
            .collect();
        let results = crate::browser::audit_pages(run.chromium, &pages, settings)?;
        report.findings.extend(results.findings);
        report.metrics = results.metrics;
        report.browser = true;
    }
    report.findings = settings.apply(std::mem::take(&mut report.findings));
    report.normalize();
    Ok(report)
}
