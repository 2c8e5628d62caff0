//! PostCSS and Tailwind for Nexxo's CSS stage: each stylesheet goes through the project's
//! PostCSS config (in the Node helper) before lightningcss, as in Vite. A project with no
//! PostCSS config but Tailwind v4 (a Vite project using `@tailwindcss/vite`) gets Tailwind's
//! compiler for the sheets that `@import "tailwindcss"`. Neither: no transform, no Node.
//!
//! Results are not kept in the helper's result cache: Tailwind's output depends on the sources
//! it scans, so the CSS stage's own cache checks them (they come back as the sheet's files).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_css::{StylesheetTransform, TransformedStylesheet};
use nexxo_diagnostics::Diagnostic;
use serde_json::{json, Map, Value};

use crate::compilers::NodeCompilers;

/// Config files PostCSS (through `postcss-load-config`) finds at the project root.
const POSTCSS_CONFIG_FILES: &[&str] = &[
    "postcss.config.js",
    "postcss.config.cjs",
    "postcss.config.mjs",
    "postcss.config.ts",
    "postcss.config.mts",
    "postcss.config.cts",
    ".postcssrc",
    ".postcssrc.json",
    ".postcssrc.js",
    ".postcssrc.cjs",
    ".postcssrc.mjs",
    ".postcssrc.yaml",
    ".postcssrc.yml",
];

/// Which transform a project's stylesheets get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StylesheetTool {
    /// The project's PostCSS config (its path; the root package.json for `"postcss"`).
    PostCss(PathBuf),
    /// Tailwind v4's compiler for sheets that import `tailwindcss`.
    Tailwind,
}

impl StylesheetTool {
    /// The tool `root` uses: a PostCSS config wins, as in Vite; else Tailwind v4 when the
    /// package.json names `tailwindcss` 4 or `@tailwindcss/vite`.
    pub fn detect(root: &Path) -> Option<Self> {
        if let Some(config) = POSTCSS_CONFIG_FILES
            .iter()
            .map(|name| root.join(name))
            .find(|path| path.is_file())
        {
            return Some(Self::PostCss(config));
        }
        let package: Value =
            nexxo_diagnostics::input::read_regular_to_string(&root.join("package.json"))
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())?;
        if package.get("postcss").is_some_and(Value::is_object) {
            return Some(Self::PostCss(root.join("package.json")));
        }
        let dependency = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .find_map(|field| package[field].get(name)?.as_str().map(str::to_string))
        };
        let tailwind_v4 = dependency("@tailwindcss/vite").is_some()
            || dependency("tailwindcss").is_some_and(|range| is_major_4(&range));
        tailwind_v4.then_some(Self::Tailwind)
    }
}

/// Whether a version range of package.json means major version 4 (`^4.1.0`, `4`, `~4.0`).
fn is_major_4(range: &str) -> bool {
    let digits = range.trim_start_matches(|c: char| !c.is_ascii_digit());
    digits.split(['.', ' ', '-']).next() == Some("4")
}

/// Whether a stylesheet's text asks for Tailwind (v4's `@import "tailwindcss"`, or its
/// `@tailwind`/`@theme`/`@apply` directives in a sheet of the same project).
fn uses_tailwind(text: &str) -> bool {
    text.contains("@import \"tailwindcss")
        || text.contains("@import 'tailwindcss")
        || text.contains("@tailwind ")
        || text.contains("@theme")
        || text.contains("@apply ")
        || text.contains("@reference ")
}

/// The CSS stage's hook, running PostCSS or Tailwind in the Node helper.
pub struct NodeStylesheetTransform {
    compilers: Arc<NodeCompilers>,
    tool: StylesheetTool,
    production: bool,
    fingerprint: String,
}

impl NodeStylesheetTransform {
    pub fn new(compilers: Arc<NodeCompilers>, tool: StylesheetTool, production: bool) -> Self {
        let config_text = match &tool {
            StylesheetTool::PostCss(config) => std::fs::read(config).unwrap_or_default(),
            StylesheetTool::Tailwind => Vec::new(),
        };
        let versions = [
            "postcss",
            "tailwindcss",
            "@tailwindcss/postcss",
            "@tailwindcss/node",
        ]
        .map(|package| compilers.package_version(package).unwrap_or_default())
        .join(",");
        let fingerprint = nexxo_cache::hash_hex(&[
            format!("{tool:?}").as_bytes(),
            &config_text,
            versions.as_bytes(),
            &[u8::from(production)],
        ]);
        Self {
            compilers,
            tool,
            production,
            fingerprint,
        }
    }
}

impl StylesheetTransform for NodeStylesheetTransform {
    fn wants(&self, path: &Path, text: &str) -> bool {
        let in_package = path
            .components()
            .any(|part| part.as_os_str() == "node_modules");
        !in_package
            && match self.tool {
                StylesheetTool::PostCss(_) => true,
                StylesheetTool::Tailwind => uses_tailwind(text),
            }
    }

    fn transform(&self, path: &Path, text: &str) -> Result<TransformedStylesheet, Diagnostic> {
        let task = match self.tool {
            StylesheetTool::PostCss(_) => "postcss",
            StylesheetTool::Tailwind => "tailwind",
        };
        let mut args = Map::new();
        args.insert("filename".into(), json!(path));
        args.insert("css".into(), json!(text));
        args.insert("production".into(), json!(self.production));
        let result = self.compilers.run_uncached(task, args)?;
        let code = result["css"]
            .as_str()
            .ok_or_else(|| {
                Diagnostic::error(format!(
                    "{}: the {task} step returned no CSS",
                    path.display()
                ))
            })?
            .to_string();
        let mut files: Vec<PathBuf> = result["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(PathBuf::from)
            .filter(|file| file.is_file())
            .collect();
        files.sort();
        files.dedup();
        Ok(TransformedStylesheet { code, files })
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcss_config_wins_then_tailwind_v4_then_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(StylesheetTool::detect(root), None);
        std::fs::write(
            root.join("package.json"),
            r#"{"devDependencies":{"tailwindcss":"^3.4.0"}}"#,
        )
        .unwrap();
        assert_eq!(
            StylesheetTool::detect(root),
            None,
            "v3 needs a PostCSS config"
        );
        std::fs::write(
            root.join("package.json"),
            r#"{"devDependencies":{"tailwindcss":"^4.1.0"}}"#,
        )
        .unwrap();
        assert_eq!(StylesheetTool::detect(root), Some(StylesheetTool::Tailwind));
        std::fs::write(root.join("postcss.config.mjs"), "export default {}").unwrap();
        assert_eq!(
            StylesheetTool::detect(root),
            Some(StylesheetTool::PostCss(root.join("postcss.config.mjs")))
        );
    }

    #[test]
    fn tailwind_sheets_are_recognised() {
        assert!(uses_tailwind("@import \"tailwindcss\";\n"));
        assert!(uses_tailwind("@import 'tailwindcss' source(none);"));
        assert!(!uses_tailwind("body { color: red }"));
        assert!(is_major_4("^4.1.3") && is_major_4("4") && !is_major_4("^3.4.17"));
    }
}
