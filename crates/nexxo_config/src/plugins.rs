//! Config files in JavaScript or TypeScript (`nexxo.config.{ts,mts,js,mjs}`) and the user
//! plugins they list, as plain data. Evaluating the file needs Node, which this crate does not
//! start: the caller hands [`resolve_config`](crate::resolve_config) a [`ScriptConfigLoader`]
//! (`nexxo_user_plugins`) through [`ConfigOverrides`](crate::ConfigOverrides). A project without
//! such a file never needs one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;
use serde::Deserialize;

use crate::Command;

/// Script config file names, in the order they are looked for (Vite's order).
pub const SCRIPT_CONFIG_FILE_NAMES: [&str; 4] = [
    "nexxo.config.js",
    "nexxo.config.mjs",
    "nexxo.config.ts",
    "nexxo.config.mts",
];

/// Whether `path` is a script config (by extension) rather than JSON.
pub fn is_script_config(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|ext| ext.to_str()),
        Some("js" | "mjs" | "ts" | "mts")
    )
}

/// Evaluates a script config file (in the Node helper).
pub trait ScriptConfigLoader: Send + Sync {
    fn load(&self, file: &Path, command: Command, mode: &str) -> Result<ScriptConfig, Diagnostic>;
}

impl std::fmt::Debug for dyn ScriptConfigLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptConfigLoader")
    }
}

/// A shareable loader (the dev server keeps it to re-read the config on a change).
pub type SharedScriptConfigLoader = Arc<dyn ScriptConfigLoader>;

/// What evaluating a script config gave.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptConfig {
    /// The exported object's plain data, without `plugins`: parsed like `nexxo.config.json`.
    pub user: serde_json::Value,
    /// What each plugin's `config` hook returned, in order: `(plugin name, partial config)`.
    pub plugin_configs: Vec<(String, serde_json::Value)>,
    /// The plugins that apply to this command, in hook order (`enforce` applied).
    pub plugins: Vec<UserPluginSpec>,
    /// The file's JavaScript (TypeScript stripped) that the plugins' helpers evaluate again;
    /// `None` when Node runs the file itself.
    pub code: Option<String>,
}

/// Where a plugin goes in the hook order (Vite's `enforce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforce {
    Pre,
    Post,
}

/// One plugin of the config, as the helper described it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserPluginSpec {
    /// Position in the flattened `plugins` array (how a helper finds it again).
    pub index: usize,
    pub name: String,
    pub enforce: Option<Enforce>,
    /// The hooks the plugin has (Rollup and Vite names: `resolveId`, `transform`, …).
    pub hooks: BTreeMap<String, HookSpec>,
}

impl UserPluginSpec {
    pub fn has(&self, hook: &str) -> bool {
        self.hooks.contains_key(hook)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct HookSpec {
    /// `order: 'pre' | 'post'` of an object hook.
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub filter: Option<HookFilterSpec>,
}

/// Rolldown's and Vite 7's hook filter: `{ id, code }`, each `include`/`exclude` patterns.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct HookFilterSpec {
    #[serde(default)]
    pub id: Option<PatternSet>,
    #[serde(default)]
    pub code: Option<PatternSet>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct PatternSet {
    #[serde(default)]
    pub include: Option<Vec<Pattern>>,
    #[serde(default)]
    pub exclude: Option<Vec<Pattern>>,
}

/// A string (a glob for ids, a substring for code) or a JavaScript RegExp.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Pattern {
    Text(String),
    Regex { regex: String, flags: String },
}

/// What a plugin's helper may reach beyond the defaults (reading the project and its
/// packages, writing outDir and the cache): `permissions` in the config, per plugin name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginPermissions {
    /// Files and folders it may read (absolute).
    pub read: Vec<PathBuf>,
    /// Folders and files it may write (absolute).
    pub write: Vec<PathBuf>,
    /// `host:port` (or `port`) it may connect to.
    pub net: Vec<String>,
    /// Programs it may run (absolute).
    pub exec: Vec<PathBuf>,
}

/// The `permissions` key as written.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PermissionsConfig {
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
    #[serde(default)]
    pub net: Vec<String>,
    #[serde(default)]
    pub exec: Vec<String>,
}

impl PermissionsConfig {
    /// Paths made absolute from the root (`~/` from the home folder).
    pub fn resolve(&self, root: &Path) -> PluginPermissions {
        let path = |text: &String| {
            let expanded = match text.strip_prefix("~/") {
                Some(rest) => std::env::var_os("HOME")
                    .map(|home| PathBuf::from(home).join(rest))
                    .unwrap_or_else(|| PathBuf::from(text)),
                None => PathBuf::from(text),
            };
            crate::resolve::absolute(root, &expanded)
        };
        PluginPermissions {
            read: self.read.iter().map(path).collect(),
            write: self.write.iter().map(path).collect(),
            net: self.net.clone(),
            exec: self.exec.iter().map(path).collect(),
        }
    }
}

/// The script config a run used, for the plugins' helpers to evaluate again.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptConfigSource {
    pub file: PathBuf,
    /// JavaScript with TypeScript stripped; `None`: Node runs the file itself.
    pub code: Option<String>,
}

/// Keys a plugin's `config` hook may set, merged into the user's config; Vite keys Nexxo has no
/// use for (`server`, `optimizeDeps`, …) are left out instead of failing the strict parse.
pub(crate) fn plugin_config_known_keys(partial: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Map, Value};
    let Some(object) = partial.as_object() else {
        return Value::Object(Map::new());
    };
    let mut kept = Map::new();
    for key in ["define", "base", "envPrefix", "mode"] {
        if let Some(value) = object.get(key) {
            kept.insert(key.into(), value.clone());
        }
    }
    if let Some(alias) = object
        .get("resolve")
        .and_then(|resolve| resolve.get("alias"))
    {
        // Vite also takes `[{ find, replacement }]`; string `find`s become map entries.
        let map = match alias {
            Value::Object(map) => map.clone(),
            Value::Array(entries) => entries
                .iter()
                .filter_map(|entry| {
                    Some((
                        entry.get("find")?.as_str()?.to_string(),
                        entry.get("replacement")?.clone(),
                    ))
                })
                .collect(),
            _ => Map::new(),
        };
        kept.insert("resolve".into(), serde_json::json!({ "alias": map }));
    }
    Value::Object(kept)
}

/// Vite's deep merge: objects merged key by key, anything else replaced.
pub(crate) fn merge_json(base: &mut serde_json::Value, extra: &serde_json::Value) {
    match (base, extra) {
        (serde_json::Value::Object(base), serde_json::Value::Object(extra)) => {
            for (key, value) in extra {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_json(existing, value)
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, extra) => *base = extra.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plugin_configs_keep_the_keys_nexxo_knows() {
        let partial = json!({
            "define": { "__A__": "1" },
            "optimizeDeps": { "exclude": ["x"] },
            "resolve": { "alias": [{ "find": "@x", "replacement": "/src/x" }, { "find": {}, "replacement": "y" }], "dedupe": ["react"] },
        });
        assert_eq!(
            plugin_config_known_keys(&partial),
            json!({ "define": { "__A__": "1" }, "resolve": { "alias": { "@x": "/src/x" } } })
        );
    }

    #[test]
    fn merging_is_deep_for_objects_only() {
        let mut base = json!({ "define": { "A": "1" }, "base": "/a/" });
        merge_json(&mut base, &json!({ "define": { "B": "2" }, "base": "/b/" }));
        assert_eq!(
            base,
            json!({ "define": { "A": "1", "B": "2" }, "base": "/b/" })
        );
    }

    #[test]
    fn plugin_descriptions_parse() {
        let spec: UserPluginSpec = serde_json::from_value(json!({
            "index": 2, "name": "svgr", "enforce": "pre",
            "hooks": { "load": { "order": null, "filter": { "id": { "include": [{ "regex": "\\.svg\\?react$", "flags": "" }] } } }, "buildStart": { "order": null } }
        }))
        .unwrap();
        assert_eq!(spec.enforce, Some(Enforce::Pre));
        assert!(spec.has("buildStart"));
        let filter = spec.hooks["load"].filter.as_ref().unwrap();
        assert_eq!(
            filter.id.as_ref().unwrap().include.as_ref().unwrap()[0],
            Pattern::Regex {
                regex: "\\.svg\\?react$".into(),
                flags: String::new()
            }
        );
    }
}
