//! How a plugin's helper process is confined: the operating system's layer (Landlock on Linux,
//! through the `nexxo __sandbox` trampoline of `nexxo_sandbox`) applied before Node starts,
//! and Node's permission model inside it (read and write lists; no child processes unless a
//! program is granted, no worker threads, no native addons).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use nexxo_node::NodeOptions;
use nexxo_sandbox::{LandlockStatus, SandboxPolicy};

use crate::rights::PluginRights;

/// The Node major version the permission flags are written for (`--experimental-permission`
/// before 22; the machines run Node 20).
const NODE_MAJOR: u32 = 20;

/// Flags the plugin tasks need beyond the permission model: `vm` modules for TypeScript
/// configs, `import.meta.resolve` with a parent, and no experimental-feature warnings on
/// stderr (crash reports show its tail).
const PLUGIN_NODE_FLAGS: [&str; 3] = [
    "--experimental-vm-modules",
    "--experimental-import-meta-resolve",
    "--no-warnings",
];

/// How helpers are confined.
#[derive(Debug, Clone, Default)]
pub struct Confinement {
    /// The `nexxo` binary, which re-executes itself as `nexxo __sandbox <policy> -- node …`;
    /// `None`: Node's permission model only (unit tests, which have no such binary).
    pub launcher: Option<PathBuf>,
}

impl Confinement {
    /// Confinement through this process's own executable.
    pub fn current_exe() -> Self {
        Self {
            launcher: std::env::current_exe().ok(),
        }
    }

    /// Sets `options` up to run helpers with `rights`.
    pub fn apply(&self, options: &mut NodeOptions, rights: &PluginRights) {
        let policy = SandboxPolicy {
            read: rights.read.clone(),
            write: rights.write.clone(),
            exec: rights.exec.clone(),
            connect_tcp: rights
                .net
                .iter()
                .filter_map(|entry| port_of(entry))
                .collect(),
            bind_tcp: Vec::new(),
        };
        options.node_args = nexxo_sandbox::node_permission_args(&policy, NODE_MAJOR);
        if !rights.exec.is_empty() {
            options.node_args.push("--allow-child-process".into());
        }
        options
            .node_args
            .extend(PLUGIN_NODE_FLAGS.map(String::from));
        let Some(launcher) = self.launcher.clone() else {
            return;
        };
        warn_once_without_landlock();
        options.command = Some(Arc::new(move |node: &Path| {
            let policy = policy
                .clone()
                .with_runtime(node)
                .unwrap_or_else(|_| policy.clone());
            nexxo_sandbox::confined_command(&launcher, &policy, node)
                .unwrap_or_else(|_| std::process::Command::new(node))
        }));
    }
}

/// `host:port` or `port` → the port (Landlock confines TCP by port).
fn port_of(entry: &str) -> Option<u16> {
    entry.rsplit(':').next()?.parse().ok()
}

fn warn_once_without_landlock() {
    static WARNED: OnceLock<()> = OnceLock::new();
    if let LandlockStatus::Unsupported { reason } = nexxo_sandbox::landlock_status() {
        WARNED.get_or_init(|| {
            eprintln!(
                "warning: this system has no Landlock ({reason}); plugins are confined by Node's permission model only"
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_from_net_entries() {
        assert_eq!(port_of("localhost:5173"), Some(5173));
        assert_eq!(port_of("8080"), Some(8080));
        assert_eq!(port_of("example.com"), None);
    }

    #[test]
    fn a_granted_program_allows_child_processes() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = NodeOptions::new("test");
        let mut rights = PluginRights::read_only(dir.path());
        Confinement::default().apply(&mut options, &rights);
        assert!(!options
            .node_args
            .iter()
            .any(|a| a == "--allow-child-process"));
        assert!(options
            .node_args
            .iter()
            .any(|a| a == "--experimental-permission"));
        rights.exec.push(PathBuf::from("/bin/true"));
        Confinement::default().apply(&mut options, &rights);
        assert!(options
            .node_args
            .iter()
            .any(|a| a == "--allow-child-process"));
    }
}
