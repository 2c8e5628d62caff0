//! The shape of `nexxo.config.json`. Unknown keys are errors (a typo must never be silently
//! ignored); every field is optional and defaults the way Vite's do.
//!
//! `schema/nexxo.config.schema.json` describes the same shape for editors; a test keeps the two
//! in step.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserConfig {
    /// Editors put the schema URL here; it has no effect on the build.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Project root (where `index.html` lives), relative to the config file.
    pub root: Option<String>,
    /// Public base path the app is served from, e.g. `/` or `/my-app/` or `./`.
    pub base: Option<String>,
    /// Output directory, relative to the root.
    pub out_dir: Option<String>,
    /// Folder copied as is into the output; `false` turns it off.
    pub public_dir: Option<PublicDir>,
    /// Folder of the persistent cache, relative to the root (`node_modules/.nexxo`).
    pub cache_dir: Option<String>,
    /// Size cap of each cache store, in megabytes (512); least recently used entries go first.
    pub cache_max_size: Option<u64>,
    /// `production` for builds unless set.
    pub mode: Option<String>,
    /// Global constant replacements. A string value is used as a JS expression (as in Vite);
    /// any other JSON value is inserted as its JSON text.
    pub define: Option<BTreeMap<String, serde_json::Value>>,
    pub resolve: Option<ResolveConfig>,
    /// Prefix (or prefixes) of env variables exposed to client code.
    pub env_prefix: Option<StringOrList>,
    /// Folder holding the `.env` files, relative to the root.
    pub env_dir: Option<String>,
    pub css: Option<CssConfig>,
    pub build: Option<BuildConfig>,
    pub worker: Option<WorkerConfig>,
    /// What each user plugin (by its `name`) may reach beyond reading the project and writing
    /// outDir and the cache: `{ "read": [], "write": [], "net": [], "exec": [] }`.
    pub permissions: Option<BTreeMap<String, crate::plugins::PermissionsConfig>>,
    /// User plugins compiled to WebAssembly (`docs/wasm-plugins.md`), in hook order.
    pub wasm_plugins: Option<Vec<WasmPluginConfig>>,
    /// `nexxo audit` and the dev audits panel (`docs/audits.md`).
    pub audit: Option<AuditConfig>,
}

/// `audit`: which checks count and the limits of the measured ones.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditConfig {
    /// Rule id (`image-alt`, `meta-description`, `largest-contentful-paint`…) → its level.
    pub rules: Option<BTreeMap<String, AuditLevel>>,
    /// Largest Contentful Paint above this many milliseconds is a finding (2500).
    pub max_lcp_ms: Option<f64>,
    /// Cumulative Layout Shift above this is a finding (0.1).
    pub max_cls: Option<f64>,
    /// Interaction to Next Paint above this many milliseconds is a finding (200).
    pub max_inp_ms: Option<f64>,
    /// A built JavaScript chunk larger than this many kB (1000 bytes) is a finding (500).
    pub max_chunk_kb: Option<u64>,
    /// The dev server's audits button and panel, and the `data-nexxo-source` attributes it reads
    /// (true).
    pub dev: Option<bool>,
}

/// How much one audit rule counts: `error` fails `nexxo audit`, `warn` is reported, `off` is not
/// checked.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuditLevel {
    Error,
    Warn,
    Off,
}

/// One entry of `wasmPlugins`.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WasmPluginConfig {
    /// The module, `.wasm` (binary) or `.wat` (text), relative to the root.
    pub path: String,
    /// Shown in errors (default: the file name without extension).
    pub name: Option<String>,
    /// The modules the plugin's hooks are called for (default: every module).
    pub filter: Option<WasmPluginFilter>,
    /// Folders, relative to the root, the plugin may read through WASI (nothing else).
    pub allow_read: Option<Vec<String>>,
    /// Memory cap of one call, in MiB (256).
    pub memory_limit_mb: Option<u64>,
    /// Time cap of one call, in milliseconds (5000).
    pub timeout_ms: Option<u64>,
}

/// `wasmPlugins[].filter`: both conditions must hold when both are given.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WasmPluginFilter {
    /// A regular expression (Rust `regex` syntax) the module id must match.
    pub id: Option<String>,
    /// File extensions, with or without the dot (`".txt"`, `"md"`).
    pub extensions: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkerConfig {
    /// Output format of module workers' bundles: `es` (default) or `iife`.
    pub format: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CssConfig {
    pub modules: Option<CssModulesConfig>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CssModulesConfig {
    /// Class name pattern with `[name]`, `[local]`, `[hash]` and `[hash:N]`.
    pub generate_scoped_name: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResolveConfig {
    /// Import specifier prefix → replacement, e.g. `{ "@": "./src" }`.
    pub alias: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BuildConfig {
    /// `es2020`, a list such as `["chrome100", "safari15"]`, or a browserslist query.
    pub target: Option<StringOrList>,
    pub sourcemap: Option<SourcemapOption>,
    pub minify: Option<bool>,
    /// Imported assets smaller than this many bytes are inlined as data URLs.
    pub assets_inline_limit: Option<u64>,
    /// Folder under outDir for chunks and assets.
    pub assets_dir: Option<String>,
    /// Chunk name → module patterns (package names, or globs relative to the root).
    pub manual_chunks: Option<indexed::IndexedMap>,
    pub empty_out_dir: Option<bool>,
    pub lib: Option<LibConfig>,
    /// The build's entries (Vite's `build.rollupOptions.input`): a path, a list of paths, or
    /// `{ name: path }`. HTML files are pages, anything else a script entry.
    pub input: Option<BuildInput>,
    /// Rebuild on every change (`nexxo build --watch`): `true`, or Rollup's watcher options.
    pub watch: Option<WatchOption>,
    /// Size limits on output files; a build over one fails (`docs/analyze.md`).
    pub budgets: Option<Vec<BudgetConfig>>,
}

/// One entry of `build.budgets`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BudgetConfig {
    /// A glob over output files relative to outDir (`assets/*.js`, `**/*.css`).
    pub path: String,
    /// Bytes as a number, or a string with a unit: `"150kB"` (1000s), `"150KiB"` (1024s),
    /// `"1.5MB"`, `"900B"`.
    pub max_size: serde_json::Value,
    /// Limit the gzip size instead of the raw size.
    pub gzip: Option<bool>,
}

/// One entry of `build.input`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEntry {
    /// The key, for error messages: `build.input`, `build.input[1]` or `build.input.admin`.
    pub key: String,
    /// The object form's name (names the entry chunk); `None` for the string and list forms.
    pub name: Option<String>,
    /// The path as written, relative to the root.
    pub path: String,
}

/// `build.input`: Rollup's three forms, the object's key order kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInput(pub Vec<InputEntry>);

/// `build.watch`: `true`/`false`/`null`, or an object of watcher options (any object turns
/// watching on, as in Vite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchOption {
    Off,
    On(WatchConfig),
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WatchConfig {
    /// Milliseconds to wait after the last change before rebuilding (Rollup's `buildDelay`).
    pub build_delay: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LibConfig {
    pub entry: String,
    /// Global variable name for `umd` and `iife`.
    pub name: Option<String>,
    pub formats: Option<Vec<String>>,
    /// Base name of the output files (default: the package name, else the entry's name).
    pub file_name: Option<String>,
    /// Name of the library's stylesheet (default: `style.css`).
    pub css_file_name: Option<String>,
}

/// `publicDir`: a path, or `false` for none.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicDir {
    Path(String),
    Disabled,
}

/// `build.sourcemap`: `true` | `"inline"` | `"hidden"` | `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcemapOption {
    Off,
    File,
    Inline,
    Hidden,
}

/// A value that may be one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringOrList(pub Vec<String>);

impl<'de> Deserialize<'de> for PublicDir {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PublicDirVisitor;
        impl Visitor<'_> for PublicDirVisitor {
            type Value = PublicDir;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a folder path or false")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PublicDir, E> {
                Ok(PublicDir::Path(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<PublicDir, E> {
                if v {
                    Err(E::invalid_value(de::Unexpected::Bool(true), &self))
                } else {
                    Ok(PublicDir::Disabled)
                }
            }
        }
        deserializer.deserialize_any(PublicDirVisitor)
    }
}

impl<'de> Deserialize<'de> for SourcemapOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourcemapVisitor;
        impl Visitor<'_> for SourcemapVisitor {
            type Value = SourcemapOption;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"true, false, "inline" or "hidden""#)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SourcemapOption, E> {
                Ok(if v {
                    SourcemapOption::File
                } else {
                    SourcemapOption::Off
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourcemapOption, E> {
                match v {
                    "inline" => Ok(SourcemapOption::Inline),
                    "hidden" => Ok(SourcemapOption::Hidden),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(SourcemapVisitor)
    }
}

impl<'de> Deserialize<'de> for BuildInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputVisitor;
        impl<'de> Visitor<'de> for InputVisitor {
            type Value = BuildInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path, a list of paths, or an object of name: path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BuildInput, E> {
                Ok(BuildInput(vec![InputEntry {
                    key: "build.input".into(),
                    name: None,
                    path: v.to_string(),
                }]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BuildInput, A::Error> {
                let mut entries = Vec::new();
                while let Some(path) = seq.next_element::<String>()? {
                    entries.push(InputEntry {
                        key: format!("build.input[{}]", entries.len()),
                        name: None,
                        path,
                    });
                }
                Ok(BuildInput(entries))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<BuildInput, A::Error> {
                let mut entries = Vec::new();
                while let Some((name, path)) = map.next_entry::<String, String>()? {
                    entries.push(InputEntry {
                        key: format!("build.input.{name}"),
                        name: Some(name),
                        path,
                    });
                }
                Ok(BuildInput(entries))
            }
        }
        deserializer.deserialize_any(InputVisitor)
    }
}

impl<'de> Deserialize<'de> for WatchOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WatchVisitor;
        impl<'de> Visitor<'de> for WatchVisitor {
            type Value = WatchOption;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false, null or an object of watcher options")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<WatchOption, E> {
                Ok(if v {
                    WatchOption::On(WatchConfig::default())
                } else {
                    WatchOption::Off
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<WatchOption, E> {
                Ok(WatchOption::Off)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<WatchOption, A::Error> {
                WatchConfig::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(WatchOption::On)
            }
        }
        deserializer.deserialize_any(WatchVisitor)
    }
}

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrListVisitor;
        impl<'de> Visitor<'de> for StringOrListVisitor {
            type Value = StringOrList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringOrList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringOrList(items))
            }
        }
        deserializer.deserialize_any(StringOrListVisitor)
    }
}

pub mod indexed {
    //! `build.manualChunks` keeps the user's key order: the first matching chunk wins.

    use serde::Deserialize;

    #[derive(Debug, Default, Clone, PartialEq, Deserialize)]
    #[serde(transparent)]
    pub struct IndexedMap(pub serde_json::Map<String, serde_json::Value>);

    impl IndexedMap {
        /// The entries as (name, patterns); a value that is not a list of strings is an error.
        pub fn entries(&self) -> Result<Vec<(String, Vec<String>)>, String> {
            self.0
                .iter()
                .map(|(name, value)| {
                    let patterns = value
                        .as_array()
                        .and_then(|items| {
                            items.iter().map(|i| i.as_str().map(str::to_string)).collect()
                        })
                        .ok_or_else(|| {
                            format!("build.manualChunks.{name}: expected a list of module patterns (strings)")
                        })?;
                    Ok((name.clone(), patterns))
                })
                .collect()
        }
    }
}
