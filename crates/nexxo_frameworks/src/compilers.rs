//! The project's JS compilers, run in the Node helper, with their results kept in the
//! persistent cache: a result is keyed by the task, its arguments (the source among them),
//! the compiler package's installed version and Nexxo's own build, so a warm build or dev
//! start whose components did not change never starts Node.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nexxo_cache::CacheStore;
use nexxo_diagnostics::Diagnostic;
use nexxo_node::{NodeError, NodeOptions, NodePool, NodeTask};
use serde_json::{Map, Value};

/// The Node helper pool of one build or dev session, started on the first cache miss.
pub struct NodeCompilers {
    root: PathBuf,
    pool: NodePool,
    cache: Option<Arc<CacheStore>>,
    /// Installed version of each compiler package (`None`: not installed), read once.
    versions: Mutex<HashMap<String, Option<String>>>,
}

impl NodeCompilers {
    /// `purpose` names what Node is needed for in errors ("Vue single-file components").
    pub fn new(root: &Path, purpose: &str, cache: Option<Arc<CacheStore>>) -> Self {
        Self::with_options(
            root,
            NodeOptions {
                cwd: Some(root.to_path_buf()),
                ..NodeOptions::new(purpose)
            },
            cache,
        )
    }

    /// A pool with its own options (the Angular compile keeps its program in one helper).
    pub fn with_options(root: &Path, options: NodeOptions, cache: Option<Arc<CacheStore>>) -> Self {
        Self {
            root: root.to_path_buf(),
            pool: NodePool::new(options),
            cache: cache.filter(|store| store.is_enabled()),
            versions: Mutex::new(HashMap::new()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many Node processes were started (none when every result came from the cache).
    pub fn node_processes_started(&self) -> usize {
        self.pool.started()
    }

    /// The installed version of `package`, from its package.json in the nearest
    /// `node_modules` at or above the root (as Node resolves it).
    pub fn package_version(&self, package: &str) -> Option<String> {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions
            .entry(package.to_string())
            .or_insert_with(|| installed_version(&self.root, package))
            .clone()
    }

    /// Runs the helper task `task` with `args`; `package` is the compiler whose version the
    /// result depends on. A cached result is returned without starting Node.
    pub fn run(
        &self,
        task: &str,
        package: &str,
        args: Map<String, Value>,
    ) -> Result<Value, Diagnostic> {
        let key = self.cache.as_ref().map(|_| {
            let version = self.package_version(package).unwrap_or_default();
            let args_json = serde_json::to_string(&args).unwrap_or_default();
            let hash = nexxo_cache::hash_hex(&[
                nexxo_cache::tool_fingerprint().as_bytes(),
                task.as_bytes(),
                package.as_bytes(),
                version.as_bytes(),
                args_json.as_bytes(),
            ]);
            format!("node-compile:{hash}").into_bytes()
        });
        if let (Some(store), Some(key)) = (&self.cache, &key) {
            if let Some(bytes) = store.get(key) {
                if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                    return Ok(value);
                }
            }
        }
        let result = self.run_uncached(task, args)?;
        if let (Some(store), Some(key)) = (&self.cache, &key) {
            if let Ok(bytes) = serde_json::to_vec(&result) {
                store.put(key, &bytes);
            }
        }
        Ok(result)
    }
}

impl NodeCompilers {
    /// Runs the helper task without the result cache, for results that depend on more than
    /// their arguments (Tailwind scans the project's sources).
    pub fn run_uncached(&self, task: &str, args: Map<String, Value>) -> Result<Value, Diagnostic> {
        self.pool
            .request(&NodeTask::Compile {
                root: self.root.clone(),
                task: task.to_string(),
                args,
            })
            .map_err(|error| self.diagnostic(&error))
    }

    /// Runs the helper task without the result cache, answering the task's questions to the
    /// Rust side with `callbacks` (the Angular compile asks for each component stylesheet).
    pub fn run_with_callbacks(
        &self,
        task: &str,
        args: Map<String, Value>,
        callbacks: &nexxo_node::Callbacks,
    ) -> Result<Value, Diagnostic> {
        self.pool
            .request_with(
                &NodeTask::Compile {
                    root: self.root.clone(),
                    task: task.to_string(),
                    args,
                },
                callbacks,
            )
            .map_err(|error| self.diagnostic(&error))
    }

    /// The error as shown to the user, its file relative to the root as in other errors.
    fn diagnostic(&self, error: &NodeError) -> Diagnostic {
        let mut diagnostic = error.to_diagnostic();
        if let Some(location) = diagnostic.location.as_mut() {
            if let Ok(relative) = location.file.strip_prefix(&self.root) {
                location.file = relative.to_path_buf();
            }
        }
        diagnostic
    }
}

/// A compiler's warning about a component, as the helper reports it (1-based positions).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CompilerWarning {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl NodeCompilers {
    /// Hands a compiler's `warnings` about the component file `path` to the host, each with
    /// its location and a code frame.
    pub fn report_warnings(
        &self,
        path: &Path,
        warnings: &[CompilerWarning],
        host: &dyn nexxo_pipeline::ModuleHost,
    ) {
        if warnings.is_empty() {
            return;
        }
        let source = nexxo_diagnostics::input::read_regular_to_string(path).unwrap_or_default();
        for warning in warnings {
            host.warn(self.warning_diagnostic(path, &source, warning));
        }
    }

    /// `warning` about the file `path` (whose text is `source`) as shown to the user.
    fn warning_diagnostic(
        &self,
        path: &Path,
        source: &str,
        warning: &CompilerWarning,
    ) -> Diagnostic {
        let file = path.strip_prefix(&self.root).unwrap_or(path);
        match warning.line {
            Some(line) => Diagnostic::at(
                warning.message.clone(),
                file,
                Some(source.to_string()),
                line,
                warning.column.unwrap_or(1).max(1),
            ),
            None => Diagnostic::error(format!("{}: {}", file.display(), warning.message)),
        }
    }
}

fn installed_version(root: &Path, package: &str) -> Option<String> {
    root.ancestors().find_map(|dir| {
        let manifest = dir.join("node_modules").join(package).join("package.json");
        let text = nexxo_diagnostics::input::read_regular_to_string(&manifest).ok()?;
        let parsed: Value = serde_json::from_str(&text).ok()?;
        parsed["version"].as_str().map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_nearest_node_modules_upwards() {
        let dir = tempfile::tempdir().unwrap();
        let package_dir = dir.path().join("node_modules/@scope/compiler");
        std::fs::create_dir_all(&package_dir).unwrap();
        std::fs::write(package_dir.join("package.json"), r#"{"version":"1.2.3"}"#).unwrap();
        let app = dir.path().join("apps/web");
        std::fs::create_dir_all(&app).unwrap();
        let compilers = NodeCompilers::new(&app, "tests", None);
        assert_eq!(
            compilers.package_version("@scope/compiler").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(compilers.package_version("missing"), None);
        assert_eq!(compilers.node_processes_started(), 0);
    }
}
