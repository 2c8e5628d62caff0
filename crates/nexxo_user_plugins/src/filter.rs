//! A plugin's hook filter (`{ filter: { id, code } }`, as Rolldown and Vite 7 define it) turned
//! into the pipeline's [`HookFilter`], so a module no plugin wants is never sent to Node.
//!
//! Strings are globs for ids (relative ones from the root, as Vite's `createFilter`) and
//! substrings for code; RegExps are translated to Rust's `regex`. A RegExp that `regex` cannot
//! express (look-around, back-references) leaves that hook unfiltered here: the helper checks
//! every filter again before calling the hook, so the plugin still sees only what it asked for.

use std::path::Path;
use std::sync::Arc;

use nexxo_config::plugins::{HookFilterSpec, Pattern};
use nexxo_pipeline::{CodePattern, HookFilter, IdPattern, PatternFilter};
use regex::{Regex, RegexBuilder};

/// The filter of a hook; `None` for a hook without one (it sees every module).
pub fn hook_filter(spec: Option<&HookFilterSpec>, root: &Path) -> HookFilter {
    let Some(spec) = spec else {
        return HookFilter::any();
    };
    match pattern_filter(spec, root) {
        Some(patterns) => HookFilter {
            patterns: Some(Arc::new(patterns)),
            ..HookFilter::any()
        },
        None => HookFilter::any(),
    }
}

fn pattern_filter(spec: &HookFilterSpec, root: &Path) -> Option<PatternFilter> {
    let ids = |set: Option<&Vec<Pattern>>| -> Option<Vec<IdPattern>> {
        set.into_iter()
            .flatten()
            .map(|pattern| id_pattern(pattern, root))
            .collect()
    };
    let codes = |set: Option<&Vec<Pattern>>| -> Option<Vec<CodePattern>> {
        set.into_iter().flatten().map(code_pattern).collect()
    };
    let id = spec.id.clone().unwrap_or_default();
    let code = spec.code.clone().unwrap_or_default();
    Some(PatternFilter {
        id_include: ids(id.include.as_ref())?,
        id_exclude: ids(id.exclude.as_ref())?,
        code_include: codes(code.include.as_ref())?,
        code_exclude: codes(code.exclude.as_ref())?,
    })
}

fn id_pattern(pattern: &Pattern, root: &Path) -> Option<IdPattern> {
    match pattern {
        Pattern::Regex { regex, flags } => js_regex(regex, flags).map(IdPattern::Regex),
        Pattern::Text(glob) => {
            let absolute =
                if glob.starts_with('/') || glob.starts_with("**") || glob.starts_with('\0') {
                    glob.clone()
                } else {
                    format!("{}/{glob}", root.to_string_lossy().trim_end_matches('/'))
                };
            globset::GlobBuilder::new(&absolute)
                .literal_separator(true)
                .build()
                .ok()
                .map(|glob| IdPattern::Glob(glob.compile_matcher()))
        }
    }
}

fn code_pattern(pattern: &Pattern) -> Option<CodePattern> {
    match pattern {
        Pattern::Text(text) => Some(CodePattern::Contains(text.clone())),
        Pattern::Regex { regex, flags } => js_regex(regex, flags).map(CodePattern::Regex),
    }
}

/// A JavaScript RegExp's source and flags as a Rust regex (`i`, `m`, `s` and `u` map; `g`,
/// `y` and `d` do not change whether it matches somewhere).
fn js_regex(source: &str, flags: &str) -> Option<Regex> {
    // `\/` is how a JS literal writes `/`; `regex` has no such escape.
    let source = source.replace("\\/", "/");
    RegexBuilder::new(&source)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .build()
        .ok()
}

/// Whether the spec's patterns could all be checked here (for the docs' hook table and tests).
pub fn fully_checked(spec: &HookFilterSpec, root: &Path) -> bool {
    pattern_filter(spec, root).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> HookFilterSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn regex_and_glob_ids_with_excludes() {
        let root = Path::new("/p");
        let filter = hook_filter(
            Some(&spec(json!({
                "id": { "include": [{ "regex": "\\.svg\\?react$", "flags": "" }, "src/**/*.yaml"],
                        "exclude": ["**/skip/**"] }
            }))),
            root,
        );
        assert!(filter.matches("/p/src/logo.svg?react", None));
        assert!(!filter.matches("/p/src/logo.svg", None));
        assert!(filter.matches("/p/src/data/a.yaml", None));
        assert!(!filter.matches("/p/other/a.yaml", None));
        assert!(!filter.matches("/p/src/skip/a.yaml", None));
    }

    #[test]
    fn code_filters_and_flags() {
        let root = Path::new("/p");
        let filter = hook_filter(
            Some(&spec(
                json!({ "code": { "include": ["__VERSION__", { "regex": "^import", "flags": "im" }] } }),
            )),
            root,
        );
        assert!(filter.matches("/p/a.js", Some("const v = __VERSION__")));
        assert!(filter.matches("/p/a.js", Some("x\nIMPORT y")));
        assert!(!filter.matches("/p/a.js", Some("nothing")));
    }

    #[test]
    fn a_regex_rust_cannot_express_leaves_the_hook_to_the_helper() {
        let root = Path::new("/p");
        let unsupported =
            spec(json!({ "id": { "include": [{ "regex": "(?<!x)\\.svg$", "flags": "" }] } }));
        assert!(!fully_checked(&unsupported, root));
        assert!(hook_filter(Some(&unsupported), root).matches("/p/a.ts", None));
        assert!(hook_filter(None, root).matches("/p/a.ts", Some("x")));
    }
}
