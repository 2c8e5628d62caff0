//! How import specifiers become files: one set of rules for every place that resolves one (the
//! build through rolldown, the dev server, dependency pre-bundling, HTML `<script src>` and
//! `<link href>`, CSS `@import`/`url()`), so `import './util'` names the same file everywhere.
//!
//! The values are Vite's defaults: its extension order (`.mjs` and `.js` before `.ts`, so
//! `./util` with both `util.js` and `util.ts` is `util.js`, in dev and build alike), its export
//! conditions (`module`, `browser`, then `development` or `production` by command) and main
//! fields. Each resolver is built from this plain data by the crate that owns it.

use crate::{Command, ResolvedConfig};

/// Vite's `resolve.extensions` default, in its order.
pub const EXTENSIONS: &[&str] = &[".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"];

/// The resolution rules of one project and command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolverConfig {
    /// Extensions tried, in order, for a specifier without one.
    pub extensions: Vec<String>,
    /// `./x.js` written in TypeScript sources may name `x.ts`/`x.tsx` (tsc's convention): the
    /// written file first, as Vite, then the TypeScript ones.
    pub extension_alias: Vec<(String, Vec<String>)>,
    /// `exports`/`imports` conditions besides `import`/`require` and `default`.
    pub conditions: Vec<String>,
    /// package.json fields read for a package without `exports`.
    pub main_fields: Vec<String>,
    /// (specifier prefix, replacement) pairs, relative replacements already made absolute.
    pub alias: Vec<(String, String)>,
}

impl ResolverConfig {
    pub fn new(config: &ResolvedConfig) -> Self {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Vite's `development|production` condition follows the command (and so NODE_ENV).
        let mode_condition = match config.command {
            Command::Serve => "development",
            Command::Build => "production",
        };
        let mut conditions = strings(&["module", "browser", mode_condition]);
        if config.frameworks.svelte {
            // Svelte libraries export their components under `svelte` (vite-plugin-svelte adds
            // it too); some exports (`@lucide/svelte/icons`) have no other condition.
            conditions.insert(0, "svelte".to_string());
        }
        Self {
            extensions: strings(EXTENSIONS),
            extension_alias: vec![
                (".js".into(), strings(&[".js", ".ts", ".tsx"])),
                (".jsx".into(), strings(&[".jsx", ".tsx"])),
                (".mjs".into(), strings(&[".mjs", ".mts"])),
                (".cjs".into(), strings(&[".cjs", ".cts"])),
            ],
            conditions,
            main_fields: strings(&["browser", "module", "jsnext:main", "jsnext", "main"]),
            alias: config.alias.clone(),
        }
    }

    /// `specifier` with the first matching alias applied (a key matches the whole specifier or
    /// a `key/` prefix, as in Vite and oxc's resolver), for resolvers that have no alias
    /// option of their own (the CSS `@import` bundler).
    pub fn apply_alias(&self, specifier: &str) -> Option<String> {
        apply_alias(&self.alias, specifier)
    }
}

/// `specifier` with the first matching alias of `alias` applied (see
/// [`ResolverConfig::apply_alias`]).
pub fn apply_alias(alias: &[(String, String)], specifier: &str) -> Option<String> {
    alias.iter().find_map(|(find, to)| {
        let rest = specifier.strip_prefix(find.as_str())?;
        (rest.is_empty() || rest.starts_with('/') || find.ends_with('/'))
            .then(|| format!("{to}{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_match_whole_segments() {
        let rules = ResolverConfig {
            extensions: vec![],
            extension_alias: vec![],
            conditions: vec![],
            main_fields: vec![],
            alias: vec![("@".into(), "/p/src".into()), ("~/".into(), "/p/".into())],
        };
        assert_eq!(
            rules.apply_alias("@/a.css").as_deref(),
            Some("/p/src/a.css")
        );
        assert_eq!(rules.apply_alias("@").as_deref(), Some("/p/src"));
        assert_eq!(rules.apply_alias("@scope/pkg"), None);
        assert_eq!(rules.apply_alias("~/x.css").as_deref(), Some("/p/x.css"));
        assert_eq!(rules.apply_alias("./a.css"), None);
    }
}
