//! `duplicated-javascript` (Lighthouse's id): code outDir ships twice.
//!
//! Two cases, both read from outDir's files alone:
//! - **the same module in several JavaScript files**: each `.js`/`.mjs` file with a `.map`
//!   beside it is split among its map's sources (`nexxo_analyze::attribute`, the analyzer's
//!   byte attribution); sources are grouped by the file they name, or by the package folder
//!   they lie in (`node_modules/<name>`: one installed copy of a package). A group found in two
//!   or more files is shipped twice. Rolldown never copies a module into two chunks of one
//!   build; copies come from separate builds of one app (a web worker bundles its own copy of
//!   what it shares with the page) or from files added beside the build;
//! - **identical JavaScript files**: two or more files with the same bytes.
//!
//! Copies that waste under [`MIN_WASTED_BYTES`] in all (the bytes beyond the largest copy) are
//! not reported, as Lighthouse ignores them. Virtual sources (rolldown's runtime, plugins'
//! `\0` ids) name no file and are left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nexxo_analyze::attribute::attribute;
use nexxo_analyze::packages::package_of;
use nexxo_analyze::stats::source_to_id;

use crate::findings::Finding;

/// Lighthouse's `ignoreThresholdInBytes` for this audit: 1 KiB.
pub const MIN_WASTED_BYTES: usize = 1024;

/// One JavaScript file of outDir, with its source map's text when it has one.
pub struct ScriptFile {
    /// As shown in findings (`dist/assets/index-a1b2.js`).
    pub shown: String,
    /// Absolute path: map sources are relative to its folder.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub map_json: Option<String>,
}

/// The findings for `scripts`; module and package paths are shown relative to `root`.
pub fn duplicated_javascript(root: &Path, scripts: &[ScriptFile]) -> Vec<Finding> {
    let mut findings = duplicated_sources(root, scripts);
    findings.extend(identical_files(scripts));
    findings
}

/// What a group of sources is: an app file, or one installed copy of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Shipped {
    File(PathBuf),
    Package { name: String, dir: PathBuf },
}

fn duplicated_sources(root: &Path, scripts: &[ScriptFile]) -> Vec<Finding> {
    // group → script index → bytes.
    let mut groups: BTreeMap<Shipped, BTreeMap<usize, usize>> = BTreeMap::new();
    for (at, script) in scripts.iter().enumerate() {
        let Some(map_json) = &script.map_json else {
            continue;
        };
        let attribution = attribute(&script.bytes, map_json);
        let base = script.path.parent().unwrap_or(Path::new(""));
        for (source, bytes) in attribution.sources.iter().zip(attribution.bytes) {
            let id = source_to_id(base, source);
            if bytes == 0 || !Path::new(&id).is_absolute() || id.contains('\0') {
                continue;
            }
            let group = match package_of(&id) {
                Some((name, dir)) => Shipped::Package {
                    name,
                    dir: dir.into(),
                },
                None => Shipped::File(PathBuf::from(id.split('?').next().unwrap_or(&id))),
            };
            *groups.entry(group).or_default().entry(at).or_default() += bytes;
        }
    }
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut findings = Vec::new();
    for (group, per_script) in groups {
        if per_script.len() < 2 {
            continue;
        }
        let total: usize = per_script.values().sum();
        let largest = per_script.values().copied().max().unwrap_or(0);
        let wasted = total - largest;
        if wasted < MIN_WASTED_BYTES {
            continue;
        }
        let copies: Vec<String> = per_script
            .iter()
            .map(|(&at, &bytes)| format!("{} ({})", scripts[at].shown, kilobytes(bytes)))
            .collect();
        let (what, file) = match &group {
            Shipped::File(path) => (shown(path), shown(path)),
            Shipped::Package { name, dir } => (
                format!("package {name} ({})", shown(dir)),
                format!("{}/package.json", shown(dir)),
            ),
        };
        findings.push(
            Finding::new(
                "duplicated-javascript",
                format!(
                    "{what} is shipped in {} JavaScript files: {}; {} is downloaded and run more than once",
                    per_script.len(),
                    copies.join(", "),
                    kilobytes(wasted)
                ),
            )
            .at(file, 1, 1),
        );
    }
    findings
}

fn identical_files(scripts: &[ScriptFile]) -> Vec<Finding> {
    let mut by_content: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
    for (at, script) in scripts.iter().enumerate() {
        if !script.bytes.is_empty() {
            by_content.entry(&script.bytes).or_default().push(at);
        }
    }
    let mut findings = Vec::new();
    for (bytes, copies) in by_content {
        let wasted = bytes.len() * copies.len().saturating_sub(1);
        if copies.len() < 2 || wasted < MIN_WASTED_BYTES {
            continue;
        }
        let first = &scripts[copies[0]].shown;
        for &copy in &copies[1..] {
            findings.push(
                Finding::new(
                    "duplicated-javascript",
                    format!(
                        "same content as {first} ({}): the same code is downloaded twice",
                        kilobytes(bytes.len())
                    ),
                )
                .at(scripts[copy].shown.clone(), 1, 1),
            );
        }
    }
    findings
}

fn kilobytes(bytes: usize) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map whose every line maps to `source` at column 0.
    fn map_of(code: &str, sources: &[&str]) -> String {
        // One line per source: line i maps to source i.
        let mut mappings = Vec::new();
        for (line, _) in code.lines().enumerate() {
            // Output column 0, source index +1 after the first line ("ACAA").
            mappings.push(if line == 0 { "AAAA" } else { "ACAA" });
        }
        serde_json::json!({
            "version": 3,
            "sources": sources,
            "names": [],
            "mappings": mappings.join(";"),
        })
        .to_string()
    }

    fn script(root: &Path, name: &str, lines: &[(&str, usize)]) -> ScriptFile {
        let code: String = lines
            .iter()
            .map(|(_, size)| format!("{}\n", "x".repeat(*size)))
            .collect();
        let sources: Vec<&str> = lines.iter().map(|(source, _)| *source).collect();
        ScriptFile {
            shown: format!("dist/assets/{name}"),
            path: root.join("dist/assets").join(name),
            map_json: Some(map_of(&code, &sources)),
            bytes: code.into_bytes(),
        }
    }

    #[test]
    fn a_module_in_two_files_is_reported_with_both() {
        let root = Path::new("/p");
        let scripts = [
            script(
                root,
                "index-1.js",
                &[("../../src/main.ts", 300), ("../../src/words.ts", 1500)],
            ),
            script(root, "worker-2.js", &[("../../src/words.ts", 1400)]),
        ];
        let findings = duplicated_javascript(root, &scripts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding.rule, "duplicated-javascript");
        assert_eq!(finding.file.as_deref(), Some("src/words.ts"));
        assert!(
            finding.message.contains("dist/assets/index-1.js (1.5 kB)")
                && finding.message.contains("dist/assets/worker-2.js (1.4 kB)")
                && finding.message.contains("1.4 kB is downloaded"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn package_files_group_by_installed_copy() {
        let root = Path::new("/p");
        let scripts = [
            script(
                root,
                "a.js",
                &[
                    ("../../node_modules/lib/a.js", 700),
                    ("../../node_modules/other/node_modules/lib/a.js", 2000),
                ],
            ),
            script(root, "b.js", &[("../../node_modules/lib/b.js", 700)]),
        ];
        let findings = duplicated_javascript(root, &scripts);
        // node_modules/lib is in both files (700 + 700: 700 B wasted, under the threshold
        // alone, so make it count with a third file).
        assert!(findings.is_empty(), "{findings:#?}");
        let mut scripts = scripts.into_iter().collect::<Vec<_>>();
        scripts.push(script(
            root,
            "c.js",
            &[("../../node_modules/lib/c.js", 400)],
        ));
        let findings = duplicated_javascript(root, &scripts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].file.as_deref(),
            Some("node_modules/lib/package.json")
        );
        assert!(
            findings[0]
                .message
                .starts_with("package lib (node_modules/lib) is shipped in 3 JavaScript files"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn small_copies_and_virtual_sources_are_not_reported() {
        let root = Path::new("/p");
        let scripts = [
            script(
                root,
                "a.js",
                &[("../../src/tiny.ts", 100), ("\0rolldown/runtime.js", 5000)],
            ),
            // Not the same bytes as a.js (identical files are the other case).
            script(
                root,
                "b.js",
                &[("../../src/tiny.ts", 90), ("\0rolldown/runtime.js", 4900)],
            ),
        ];
        assert!(duplicated_javascript(root, &scripts).is_empty());
    }

    #[test]
    fn identical_files_are_reported_once_per_copy() {
        let root = Path::new("/p");
        let file = |name: &str, bytes: Vec<u8>| ScriptFile {
            shown: format!("dist/{name}"),
            path: root.join("dist").join(name),
            bytes,
            map_json: None,
        };
        let big = vec![b'a'; 2000];
        let scripts = [
            file("a.js", big.clone()),
            file("b.js", big),
            file("c.js", vec![b'c'; 10]),
            file("d.js", vec![b'c'; 10]),
        ];
        let findings = duplicated_javascript(root, &scripts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].file.as_deref(), Some("dist/b.js"));
        assert!(findings[0]
            .message
            .starts_with("same content as dist/a.js (2.0 kB)"));
    }

    #[test]
    fn broken_maps_never_panic() {
        let root = Path::new("/p");
        let scripts = [ScriptFile {
            shown: "dist/a.js".into(),
            path: root.join("dist/a.js"),
            bytes: b"x".to_vec(),
            map_json: Some("{".into()),
        }];
        assert!(duplicated_javascript(root, &scripts).is_empty());
    }
}
