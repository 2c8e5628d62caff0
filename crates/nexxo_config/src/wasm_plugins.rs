//! `wasmPlugins`: user plugins compiled to WebAssembly, checked here and turned into plain
//! data; `nexxo_wasm_plugins` compiles and runs them (`docs/wasm-plugins.md`).

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

use crate::resolve::absolute;
use crate::user_config::WasmPluginConfig;

/// Memory cap of one call when `memoryLimitMb` is not set.
pub const DEFAULT_WASM_MEMORY_LIMIT_MB: u64 = 256;
/// Time cap of one call when `timeoutMs` is not set.
pub const DEFAULT_WASM_TIMEOUT_MS: u64 = 5000;
/// A 32-bit WebAssembly memory holds at most 4 GiB.
const MAX_WASM_MEMORY_LIMIT_MB: u64 = 4096;

/// One `wasmPlugins` entry, checked: its file exists, its filter compiles, its folders are
/// folders inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedWasmPlugin {
    /// Where it is in the config (`wasmPlugins[0]`), for messages.
    pub key: String,
    /// `name`, or the file name without its extension.
    pub name: String,
    /// The `.wasm` or `.wat` file (absolute).
    pub path: PathBuf,
    /// `filter.id`, a regular expression known to compile.
    pub id_pattern: Option<String>,
    /// `filter.extensions`: lower case, without the dot; empty: any.
    pub extensions: Vec<String>,
    /// Folders the plugin may read (absolute, canonical, inside the root).
    pub allow_read: Vec<PathBuf>,
    pub memory_limit_bytes: u64,
    pub timeout_ms: u64,
}

/// Checks the `wasmPlugins` entries of the config of the project at `root` (canonical).
pub fn resolve_wasm_plugins(
    entries: &[WasmPluginConfig],
    root: &Path,
) -> Result<Vec<ResolvedWasmPlugin>, Diagnostic> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| resolve_one(&format!("wasmPlugins[{index}]"), entry, root))
        .collect()
}

fn resolve_one(
    key: &str,
    entry: &WasmPluginConfig,
    root: &Path,
) -> Result<ResolvedWasmPlugin, Diagnostic> {
    let relative_help = "paths in wasmPlugins are relative to the project root";
    let path = absolute(root, Path::new(&entry.path));
    if !path.is_file() {
        return Err(Diagnostic::error(format!(
            "{key}.path: WASM plugin `{}` does not exist",
            entry.path
        ))
        .with_help(relative_help));
    }
    let name = match &entry.name {
        Some(name) if name.trim().is_empty() => {
            return Err(Diagnostic::error(format!("{key}.name must not be empty")))
        }
        Some(name) => name.clone(),
        None => path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| entry.path.clone()),
    };
    let filter = entry.filter.clone().unwrap_or_default();
    if let Some(pattern) = &filter.id {
        regex::Regex::new(pattern).map_err(|err| {
            Diagnostic::error(format!(
                "{key}.filter.id: invalid regular expression: {err}"
            ))
        })?;
    }
    let extensions = filter
        .extensions
        .unwrap_or_default()
        .iter()
        .map(|ext| {
            let ext = ext.trim_start_matches('.').to_ascii_lowercase();
            if ext.is_empty() || ext.contains(['/', '\\', '?']) {
                Err(Diagnostic::error(format!(
                    "{key}.filter.extensions: `{ext}` is not a file extension"
                )))
            } else {
                Ok(ext)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let allow_read = entry
        .allow_read
        .iter()
        .flatten()
        .map(|folder| {
            let real = absolute(root, Path::new(folder))
                .canonicalize()
                .ok()
                .filter(|real| real.is_dir())
                .ok_or_else(|| {
                    Diagnostic::error(format!("{key}.allowRead: `{folder}` is not a folder"))
                        .with_help(relative_help)
                })?;
            // Files outside the root are not in the build cache's fingerprint, and a plugin
            // has no business reading them.
            if !real.starts_with(root) {
                return Err(Diagnostic::error(format!(
                    "{key}.allowRead: `{folder}` is outside the project root"
                )));
            }
            Ok(real)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let memory_limit_mb = entry
        .memory_limit_mb
        .unwrap_or(DEFAULT_WASM_MEMORY_LIMIT_MB);
    if !(1..=MAX_WASM_MEMORY_LIMIT_MB).contains(&memory_limit_mb) {
        return Err(Diagnostic::error(format!(
            "{key}.memoryLimitMb must be between 1 and {MAX_WASM_MEMORY_LIMIT_MB}, not {memory_limit_mb}"
        )));
    }
    let timeout_ms = entry.timeout_ms.unwrap_or(DEFAULT_WASM_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err(Diagnostic::error(format!(
            "{key}.timeoutMs must be at least 1"
        )));
    }
    Ok(ResolvedWasmPlugin {
        key: key.to_string(),
        name,
        path,
        id_pattern: filter.id,
        extensions,
        allow_read,
        memory_limit_bytes: memory_limit_mb * 1024 * 1024,
        timeout_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user_config::WasmPluginFilter;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("plugins")).unwrap();
        std::fs::create_dir_all(root.join("content")).unwrap();
        std::fs::write(root.join("plugins/upper.wat"), "(module)").unwrap();
        (dir, root)
    }

    fn entry(path: &str) -> WasmPluginConfig {
        WasmPluginConfig {
            path: path.into(),
            ..WasmPluginConfig::default()
        }
    }

    #[test]
    fn defaults_and_normalized_filter() {
        let (_dir, root) = project();
        let config = WasmPluginConfig {
            filter: Some(WasmPluginFilter {
                id: Some(r"\.txt$".into()),
                extensions: Some(vec![".TXT".into(), "md".into()]),
            }),
            allow_read: Some(vec!["content".into()]),
            ..entry("plugins/upper.wat")
        };
        let plugins = resolve_wasm_plugins(&[config], &root).unwrap();
        let plugin = &plugins[0];
        assert_eq!(plugin.key, "wasmPlugins[0]");
        assert_eq!(plugin.name, "upper");
        assert_eq!(plugin.path, root.join("plugins/upper.wat"));
        assert_eq!(plugin.extensions, ["txt", "md"]);
        assert_eq!(plugin.allow_read, [root.join("content")]);
        assert_eq!(plugin.memory_limit_bytes, 256 * 1024 * 1024);
        assert_eq!(plugin.timeout_ms, 5000);
    }

    #[test]
    fn bad_entries_are_named_errors() {
        let (_dir, root) = project();
        let error_of = |config: WasmPluginConfig| {
            resolve_wasm_plugins(&[entry("plugins/upper.wat"), config], &root)
                .unwrap_err()
                .message
        };
        let missing = error_of(entry("plugins/missing.wasm"));
        assert!(
            missing.contains("wasmPlugins[1].path") && missing.contains("plugins/missing.wasm"),
            "{missing}"
        );
        let regex = error_of(WasmPluginConfig {
            filter: Some(WasmPluginFilter {
                id: Some("(".into()),
                extensions: None,
            }),
            ..entry("plugins/upper.wat")
        });
        assert!(regex.contains("wasmPlugins[1].filter.id"), "{regex}");
        let outside = error_of(WasmPluginConfig {
            allow_read: Some(vec!["..".into()]),
            ..entry("plugins/upper.wat")
        });
        assert!(outside.contains("outside the project root"), "{outside}");
        let not_folder = error_of(WasmPluginConfig {
            allow_read: Some(vec!["plugins/upper.wat".into()]),
            ..entry("plugins/upper.wat")
        });
        assert!(not_folder.contains("is not a folder"), "{not_folder}");
        let memory = error_of(WasmPluginConfig {
            memory_limit_mb: Some(5000),
            ..entry("plugins/upper.wat")
        });
        assert!(memory.contains("memoryLimitMb"), "{memory}");
        let timeout = error_of(WasmPluginConfig {
            timeout_ms: Some(0),
            ..entry("plugins/upper.wat")
        });
        assert!(timeout.contains("timeoutMs"), "{timeout}");
    }
}
