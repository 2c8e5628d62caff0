//! The root package.json, read once when the config is resolved: its `type` and `name` decide
//! library file names, and the packages it depends on switch compile features on in both
//! drivers (the styled-components transform), so dev and build never disagree about them.

use std::collections::BTreeSet;
use std::path::Path;

/// The package whose presence in the root package.json turns on oxc's styled-components
/// transform (as babel-plugin-styled-components would be installed beside it).
pub const STYLED_COMPONENTS: &str = "styled-components";

/// What Nexxo reads from the root package.json.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootPackage {
    pub name: Option<String>,
    /// `"type": "module"`.
    pub is_module: bool,
    /// Package names in `dependencies` and `devDependencies`.
    pub dependencies: BTreeSet<String>,
}

impl RootPackage {
    /// Reads `<root>/package.json`. A missing or malformed file is a project without one: the
    /// package manager reports a broken package.json, and the build must still run without it.
    pub fn read(root: &Path) -> Self {
        nexxo_diagnostics::input::read_regular_to_string(&root.join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .map(|manifest| Self::from_manifest(&manifest))
            .unwrap_or_default()
    }

    fn from_manifest(manifest: &serde_json::Value) -> Self {
        let dependencies = ["dependencies", "devDependencies"]
            .iter()
            .filter_map(|field| manifest.get(field)?.as_object())
            .flat_map(|table| table.keys().cloned())
            .collect();
        Self {
            name: manifest
                .get("name")
                .and_then(|name| name.as_str())
                .map(str::to_string),
            is_module: manifest.get("type").and_then(|t| t.as_str()) == Some("module"),
            dependencies,
        }
    }

    /// Whether the project lists `package` in `dependencies` or `devDependencies`.
    pub fn depends_on(&self, package: &str) -> bool {
        self.dependencies.contains(package)
    }

    /// Whether scripts get oxc's styled-components transform (display names, SSR-safe ids).
    pub fn uses_styled_components(&self) -> bool {
        self.depends_on(STYLED_COMPONENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> RootPackage {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), text).unwrap();
        RootPackage::read(dir.path())
    }

    #[test]
    fn styled_components_counts_in_dependencies_and_dev_dependencies() {
        assert!(
            read(r#"{ "dependencies": { "styled-components": "^6" } }"#).uses_styled_components()
        );
        assert!(
            read(r#"{ "devDependencies": { "styled-components": "^6" } }"#)
                .uses_styled_components()
        );
    }

    #[test]
    fn other_fields_and_similar_names_do_not_count() {
        let package = read(
            r#"{ "name": "styled-components", "peerDependencies": { "styled-components": "*" },
                 "dependencies": { "@types/styled-components": "1", "styled-components-x": "1" } }"#,
        );
        assert!(!package.uses_styled_components(), "{package:?}");
        assert!(package.depends_on("@types/styled-components"));
    }

    #[test]
    fn name_and_type_are_read() {
        let package = read(r#"{ "name": "@scope/lib", "type": "module" }"#);
        assert_eq!(package.name.as_deref(), Some("@scope/lib"));
        assert!(package.is_module);
        assert!(!read(r#"{ "type": "commonjs" }"#).is_module);
    }

    #[test]
    fn a_missing_or_broken_package_json_is_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(RootPackage::read(dir.path()), RootPackage::default());
        assert_eq!(read("{ not json"), RootPackage::default());
        assert_eq!(read(r#"{ "dependencies": [] }"#), RootPackage::default());
    }
}
