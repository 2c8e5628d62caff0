//! `--compare`: what grew, shrank, appeared or left between two builds, per output (by its
//! stable name: chunk name or asset name without hash) and per package.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::{OutputKind, Stats};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    Grew,
    Shrank,
    Appeared,
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeChange {
    pub name: String,
    pub change: Change,
    pub old_bytes: usize,
    pub new_bytes: usize,
}

impl SizeChange {
    pub fn delta(&self) -> i64 {
        self.new_bytes as i64 - self.old_bytes as i64
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// Changed outputs, largest change first.
    pub outputs: Vec<SizeChange>,
    /// Changed packages (`name@version` when the versions differ), largest change first.
    pub packages: Vec<SizeChange>,
    pub old_total: usize,
    pub new_total: usize,
}

/// The differences between `old` and `new`; unchanged entries are left out.
pub fn compare(old: &Stats, new: &Stats) -> Comparison {
    let output_sizes = |stats: &Stats| -> BTreeMap<String, usize> {
        let mut sizes = BTreeMap::new();
        for output in &stats.outputs {
            let kind = match output.kind {
                OutputKind::Chunk => "chunk",
                OutputKind::Asset => "asset",
            };
            *sizes.entry(format!("{kind} {}", output.name)).or_default() += output.bytes;
        }
        sizes
    };
    let package_sizes = |stats: &Stats| -> BTreeMap<String, usize> {
        let mut sizes = BTreeMap::new();
        for package in &stats.packages {
            *sizes.entry(package.name.clone()).or_default() += package.output_bytes;
        }
        // The app's own files, as one entry.
        let app: usize = stats
            .modules
            .iter()
            .filter(|m| m.package.is_none())
            .map(|m| m.output_bytes)
            .sum();
        sizes.insert("(app code)".to_string(), app);
        sizes
    };
    Comparison {
        outputs: differences(output_sizes(old), output_sizes(new)),
        packages: differences(package_sizes(old), package_sizes(new)),
        old_total: old.outputs.iter().map(|o| o.bytes).sum(),
        new_total: new.outputs.iter().map(|o| o.bytes).sum(),
    }
}

fn differences(old: BTreeMap<String, usize>, new: BTreeMap<String, usize>) -> Vec<SizeChange> {
    let mut changes = Vec::new();
    for (name, &old_bytes) in &old {
        let change = match new.get(name) {
            None => Some((Change::Left, 0)),
            Some(&new_bytes) if new_bytes > old_bytes => Some((Change::Grew, new_bytes)),
            Some(&new_bytes) if new_bytes < old_bytes => Some((Change::Shrank, new_bytes)),
            Some(_) => None,
        };
        if let Some((change, new_bytes)) = change {
            changes.push(SizeChange {
                name: name.clone(),
                change,
                old_bytes,
                new_bytes,
            });
        }
    }
    for (name, &new_bytes) in &new {
        if !old.contains_key(name) {
            changes.push(SizeChange {
                name: name.clone(),
                change: Change::Appeared,
                old_bytes: 0,
                new_bytes,
            });
        }
    }
    changes.sort_by(|a, b| {
        b.delta()
            .unsigned_abs()
            .cmp(&a.delta().unsigned_abs())
            .then_with(|| a.name.cmp(&b.name))
    });
    changes
}

/// The comparison as terminal lines (`+1.2 kB  grew  chunk index  (10.0 kB → 11.2 kB)`).
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::new();
    let total = comparison.new_total as i64 - comparison.old_total as i64;
    out.push_str(&format!(
        "compared with the previous stats: total {} → {} ({})\n",
        format_bytes(comparison.old_total),
        format_bytes(comparison.new_total),
        format_delta(total)
    ));
    for (title, changes) in [
        ("outputs", &comparison.outputs),
        ("packages", &comparison.packages),
    ] {
        if changes.is_empty() {
            out.push_str(&format!("  {title}: no change\n"));
            continue;
        }
        out.push_str(&format!("  {title}:\n"));
        for change in changes {
            let word = match change.change {
                Change::Grew => "grew",
                Change::Shrank => "shrank",
                Change::Appeared => "appeared",
                Change::Left => "left",
            };
            out.push_str(&format!(
                "    {:>10}  {word:<8}  {}  ({} → {})\n",
                format_delta(change.delta()),
                change.name,
                format_bytes(change.old_bytes),
                format_bytes(change.new_bytes)
            ));
        }
    }
    out
}

/// `12.3 kB` (powers of 1000, as the build's size table).
pub fn format_bytes(bytes: usize) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.2} kB", bytes as f64 / 1000.0)
    } else {
        format!("{:.2} MB", bytes as f64 / 1_000_000.0)
    }
}

fn format_delta(delta: i64) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", format_bytes(delta.unsigned_abs() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{ModuleStats, OutputStats, PackageStats};

    fn stats(outputs: &[(&str, usize)], packages: &[(&str, usize)]) -> Stats {
        Stats {
            outputs: outputs
                .iter()
                .map(|&(name, bytes)| OutputStats {
                    name: name.into(),
                    file: format!("assets/{name}-hash.js"),
                    bytes,
                    ..OutputStats::default()
                })
                .collect(),
            packages: packages
                .iter()
                .map(|&(name, bytes)| PackageStats {
                    name: name.into(),
                    output_bytes: bytes,
                    ..PackageStats::default()
                })
                .collect(),
            modules: vec![ModuleStats {
                output_bytes: 5,
                ..ModuleStats::default()
            }],
            ..Stats::default()
        }
    }

    #[test]
    fn lists_each_kind_of_change() {
        let old = stats(
            &[("index", 1000), ("about", 300), ("gone", 50)],
            &[("react", 600), ("left-pad", 10)],
        );
        let new = stats(
            &[("index", 1500), ("about", 200), ("admin", 70)],
            &[("react", 600), ("lodash", 400)],
        );
        let comparison = compare(&old, &new);
        let outputs: Vec<_> = comparison
            .outputs
            .iter()
            .map(|c| (c.name.as_str(), c.change, c.delta()))
            .collect();
        assert_eq!(
            outputs,
            vec![
                ("chunk index", Change::Grew, 500),
                ("chunk about", Change::Shrank, -100),
                ("chunk admin", Change::Appeared, 70),
                ("chunk gone", Change::Left, -50),
            ]
        );
        let packages: Vec<_> = comparison
            .packages
            .iter()
            .map(|c| (c.name.as_str(), c.change))
            .collect();
        assert_eq!(
            packages,
            vec![("lodash", Change::Appeared), ("left-pad", Change::Left)]
        );
        let text = render(&comparison);
        assert!(text.contains("+500 B  grew      chunk index"), "{text}");
        assert!(text.contains("1.35 kB → 1.77 kB"), "{text}");
    }

    #[test]
    fn same_stats_mean_no_change() {
        let old = stats(&[("index", 1000)], &[("react", 600)]);
        let comparison = compare(&old, &old.clone());
        assert!(comparison.outputs.is_empty() && comparison.packages.is_empty());
        assert!(render(&comparison).contains("outputs: no change"));
    }
}
