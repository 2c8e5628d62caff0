//! Browser targets. `build.target` may be an ES version (`es2020`), engine versions
//! (`chrome100`), or a browserslist query (`> 0.5%, last 2 versions`). Without it Nexxo reads the
//! project's browserslist (`.browserslistrc` or package.json `browserslist`), and otherwise uses
//! Vite's default: browsers that are "baseline widely available".
//!
//! The result is a sorted list of esbuild-style targets (`chrome107`, `safari16`…) that both the
//! JS transform and the CSS stage understand.

use std::path::Path;

use oxc_compat::{Engine, EngineTargets};

/// Vite 7+'s default `build.target` ('baseline-widely-available').
pub const DEFAULT_TARGETS: [&str; 4] = ["chrome107", "edge107", "firefox104", "safari16"];

/// Resolves the user's target entries (or the project's browserslist) into engine targets.
pub fn resolve_targets(entries: Option<&[String]>, root: &Path) -> Result<Vec<String>, String> {
    if let Some(entries) = entries {
        if entries.is_empty() {
            return Err("build.target must not be empty".to_string());
        }
        if entries.iter().all(|e| is_engine_target(e)) {
            return Ok(entries.iter().map(|e| e.to_ascii_lowercase()).collect());
        }
        return query_targets(&entries.join(", "));
    }
    if let Some(query) = project_browserslist(root) {
        return query_targets(&query);
    }
    Ok(DEFAULT_TARGETS.iter().map(|t| (*t).to_string()).collect())
}

/// `esnext`, `es2020`, `chrome100`, `safari15.4`…
fn is_engine_target(entry: &str) -> bool {
    let lower = entry.to_ascii_lowercase();
    if lower == "esnext" {
        return true;
    }
    if let Some(year) = lower.strip_prefix("es") {
        return year.len() == 4 && year.chars().all(|c| c.is_ascii_digit())
            || year == "5"
            || year == "6";
    }
    Engine::parse_name_and_version(&lower).is_ok()
}

fn query_targets(query: &str) -> Result<Vec<String>, String> {
    let targets = EngineTargets::try_from_query(query)
        .map_err(|err| format!("invalid browserslist query `{query}`: {err}"))?;
    let mut list: Vec<String> = targets
        .to_string()
        .split(',')
        .filter(|t| !t.is_empty())
        // Engines the JS and CSS compilers do not know are dropped, as esbuild does.
        .filter(|t| is_engine_target(t))
        .map(trim_zero_version_parts)
        .collect();
    if list.is_empty() {
        return Err(format!(
            "browserslist query `{query}` matched no known browser"
        ));
    }
    list.sort();
    Ok(list)
}

/// `chrome90.0.0` → `chrome90`, `safari15.4.0` → `safari15.4`.
fn trim_zero_version_parts(target: &str) -> String {
    let mut target = target.to_string();
    while let Some(stripped) = target.strip_suffix(".0") {
        target = stripped.to_string();
    }
    target
}

/// The project's own browserslist, if it declares one.
fn project_browserslist(root: &Path) -> Option<String> {
    if let Ok(text) =
        nexxo_diagnostics::input::read_regular_to_string(&root.join(".browserslistrc"))
    {
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty() && !l.starts_with('['))
            .collect();
        if !lines.is_empty() {
            return Some(lines.join(", "));
        }
    }
    let package: serde_json::Value = serde_json::from_str(
        &nexxo_diagnostics::input::read_regular_to_string(&root.join("package.json")).ok()?,
    )
    .ok()?;
    match package.get("browserslist")? {
        serde_json::Value::String(query) => Some(query.clone()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es_versions_and_engines_pass_through() {
        let root = Path::new("/nonexistent");
        assert_eq!(
            resolve_targets(Some(&["es2020".into()]), root).unwrap(),
            vec!["es2020"]
        );
        assert_eq!(
            resolve_targets(Some(&["Chrome100".into(), "safari15".into()]), root).unwrap(),
            vec!["chrome100", "safari15"]
        );
        assert_eq!(resolve_targets(None, root).unwrap(), DEFAULT_TARGETS);
    }

    #[test]
    fn browserslist_query_resolves_to_engines() {
        let targets = resolve_targets(Some(&["chrome >= 90".into()]), Path::new("/x")).unwrap();
        assert_eq!(targets, vec!["chrome90"]);
        assert!(resolve_targets(Some(&["not a real query !!".into()]), Path::new("/x")).is_err());
    }

    #[test]
    fn project_browserslist_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"browserslist": ["firefox >= 100"]}"#,
        )
        .unwrap();
        assert_eq!(
            resolve_targets(None, dir.path()).unwrap(),
            vec!["firefox100"]
        );
    }
}
