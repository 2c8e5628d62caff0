//! The project's resolver, built from the one set of rules (`nexxo_config::ResolverConfig`)
//! that rolldown's options are built from too (`nexxo_plugins::resolve_options`), so a
//! plugin's `host.resolve`, the dev server and the build name the same file for a specifier.

use std::path::{Path, PathBuf};

use nexxo_config::ResolverConfig;
use oxc_resolver::{AliasValue, ResolveOptions, Resolver, TsconfigDiscovery};

/// oxc's options for the rules: ES imports (`import` condition) from the browser.
pub fn oxc_options(rules: &ResolverConfig) -> ResolveOptions {
    let mut conditions = vec!["import".to_string()];
    conditions.extend(rules.conditions.iter().cloned());
    conditions.push("default".into());
    ResolveOptions {
        alias: rules
            .alias
            .iter()
            .map(|(find, to)| (find.clone(), vec![AliasValue::from(to.as_str())]))
            .collect(),
        alias_fields: vec![vec!["browser".into()]],
        extensions: rules.extensions.clone(),
        extension_alias: rules.extension_alias.clone(),
        condition_names: conditions,
        main_fields: rules.main_fields.clone(),
        tsconfig: Some(TsconfigDiscovery::Auto),
        ..ResolveOptions::default()
    }
}

/// A resolver for plugins and the dev server.
pub struct ProjectResolver {
    resolver: Resolver,
}

impl std::fmt::Debug for ProjectResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectResolver")
    }
}

impl ProjectResolver {
    pub fn new(rules: &ResolverConfig) -> Self {
        Self {
            resolver: Resolver::new(oxc_options(rules)),
        }
    }

    /// The oxc resolver itself (for tsconfig lookups).
    pub fn oxc(&self) -> &Resolver {
        &self.resolver
    }

    /// Resolves `specifier` (no query) from the file `importer`, with the `paths` of the
    /// tsconfig.json that governs it (oxc finds that one only from a file, as rolldown asks).
    pub fn resolve_from_file(&self, importer: &Path, specifier: &str) -> Result<PathBuf, String> {
        self.resolver
            .resolve_file(importer, specifier)
            .map(|found| found.full_path())
            .map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(alias: Vec<(String, String)>) -> ResolverConfig {
        ResolverConfig {
            extensions: nexxo_config::resolver::EXTENSIONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            extension_alias: vec![(".js".into(), vec![".js".into(), ".ts".into()])],
            conditions: vec!["module".into(), "browser".into(), "production".into()],
            main_fields: vec!["browser".into(), "module".into(), "main".into()],
            alias,
        }
    }

    #[test]
    fn vite_extension_order_and_conditions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("util.js"), "").unwrap();
        std::fs::write(root.join("util.ts"), "").unwrap();
        std::fs::write(root.join("only.ts"), "").unwrap();
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/helper.ts"), "").unwrap();
        std::fs::write(
            root.join("tsconfig.json"),
            r#"{"compilerOptions":{"baseUrl":".","paths":{"~lib/*":["./lib/*"]}}}"#,
        )
        .unwrap();
        let pkg = root.join("node_modules/pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(
            pkg.join("package.json"),
            r#"{"name":"pkg","exports":{".":{"development":"./dev.js","production":"./prod.js","default":"./x.js"}}}"#,
        )
        .unwrap();
        std::fs::write(pkg.join("prod.js"), "").unwrap();
        std::fs::write(pkg.join("dev.js"), "").unwrap();
        let resolver = ProjectResolver::new(&rules(vec![("@".into(), root.display().to_string())]));
        let main = root.join("main.ts");
        let found = |s: &str| resolver.resolve_from_file(&main, s).unwrap();
        assert_eq!(found("./util"), root.join("util.js"));
        assert_eq!(found("./only.js"), root.join("only.ts"));
        assert_eq!(found("@/util"), root.join("util.js"));
        assert_eq!(found("pkg"), pkg.join("prod.js"));
        // tsconfig `paths`, found from the importing file.
        assert_eq!(found("~lib/helper"), root.join("lib/helper.ts"));
    }
}
