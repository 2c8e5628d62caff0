//! What a user plugin's helper may reach, and how its process is confined to it.
//!
//! By default a plugin reads the project and the packages it resolves from (every
//! `node_modules` from the root up, by their real paths, so a linked workspace package is
//! included), and writes outDir and the cache. `permissions` in the config widen that per
//! plugin. Node's permission model enforces it inside the process (no child processes, worker
//! threads or native addons unless a program is granted).

use std::path::{Path, PathBuf};

use nexxo_config::plugins::PluginPermissions;
use nexxo_config::ResolvedConfig;

/// The files and programs one plugin's helper may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginRights {
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    pub exec: Vec<PathBuf>,
    /// `host:port` or `port` it may connect to.
    pub net: Vec<String>,
}

impl PluginRights {
    /// The defaults for a plugin of the project `config`, widened by `granted`.
    pub fn for_project(config: &ResolvedConfig, granted: Option<&PluginPermissions>) -> Self {
        let mut rights = Self::read_only(&config.root);
        rights.write = vec![config.out_dir.clone(), config.cache_dir.clone()];
        if let Some(script) = &config.script_config {
            rights.read.push(script.file.clone());
        }
        if let Some(granted) = granted {
            rights.read.extend(granted.read.iter().cloned());
            rights.write.extend(granted.write.iter().cloned());
            rights.exec.extend(granted.exec.iter().cloned());
            rights.net.extend(granted.net.iter().cloned());
        }
        rights.read = real_paths(rights.read);
        rights.write = real_paths(rights.write);
        rights.exec = real_paths(rights.exec);
        rights
    }

    /// Reading the project at `root` and its packages, nothing else (evaluating the config).
    pub fn read_only(root: &Path) -> Self {
        let mut read = vec![root.to_path_buf()];
        for folder in root.ancestors() {
            let packages = folder.join("node_modules");
            if packages.is_dir() {
                read.push(packages);
            }
        }
        Self {
            read: real_paths(read),
            ..Self::default()
        }
    }
}

/// Each path and, when it differs, the path it really is (symlinks resolved): Node checks the
/// path as written, the kernel the real file.
fn real_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for path in paths {
        let real = path.canonicalize().ok();
        for candidate in std::iter::once(path).chain(real) {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_up_the_tree_are_readable_by_their_real_paths() {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path().join("node_modules");
        let project = dir.path().join("apps/web");
        std::fs::create_dir_all(&outer).unwrap();
        std::fs::create_dir_all(project.join("src")).unwrap();
        let linked = dir.path().join("store");
        std::fs::create_dir_all(&linked).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&linked, project.join("node_modules")).unwrap();
        let rights = PluginRights::read_only(&project);
        assert!(rights.read.contains(&project));
        assert!(rights.read.contains(&outer));
        #[cfg(unix)]
        assert!(rights.read.contains(&linked.canonicalize().unwrap()));
        assert!(rights.write.is_empty() && rights.exec.is_empty());
    }
}
