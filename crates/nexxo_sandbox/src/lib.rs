//! Confinement for helper processes that run third-party code (Node.js running Vite/Rollup
//! plugins).
//!
//! The confinement is applied by the operating system before any plugin code loads: Nexxo
//! re-executes its own binary as a tiny trampoline,
//! `nexxo __sandbox <policy json> -- <program> <args…>`, which restricts itself with Linux
//! Landlock (still single-threaded, nothing else loaded) and then `exec`s the program. Landlock
//! domains are inherited across `exec` and by every child, and cannot be lifted, so Node and
//! everything it starts stay inside the policy.
//!
//! - [`SandboxPolicy`] says what the process may touch: files and folders to read, folders to
//!   write, executables to run, TCP ports to connect to or bind. Everything else is denied:
//!   other files (`EACCES`), executing anything else, other TCP ports, connecting to abstract
//!   UNIX sockets made outside the sandbox, signalling processes outside it.
//! - [`SandboxPolicy::for_node`] / [`SandboxPolicy::with_runtime`] add what the Node.js
//!   runtime itself needs to start (its binary, ELF interpreter and shared libraries, OpenSSL's
//!   configuration file), found from the binary itself.
//! - [`confined_command`] builds the trampoline command; [`run_trampoline`] is the trampoline
//!   (the CLI's hidden `__sandbox` subcommand).
//! - [`landlock_status`] tells once whether this kernel enforces Landlock, so the caller can warn
//!   when it does not (the trampoline then runs the program unconfined: best effort).
//! - [`node_permission_args`] is the second layer: Node's own permission model flags
//!   (`--permission`), which also refuse child processes, workers, native addons, WASI and the
//!   inspector inside Node.
//!
//! Paths are resolved (symlinks followed, `..` removed) when the rules are built, and Landlock
//! rules are bound to the inodes found then: a symlink inside an allowed folder that points
//! outside it gives no access to its target, and a path that does not exist yet is skipped (it
//! gives nothing, and a folder created there later is not covered either). Create the folders a
//! policy names before building the command.

mod node_flags;
mod runtime;
mod status;
mod trampoline;

#[cfg(target_os = "linux")]
mod landlock_rules;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

pub use node_flags::node_permission_args;
pub use status::{landlock_status, LandlockStatus};
pub use trampoline::run_trampoline;

/// The hidden subcommand of the `nexxo` binary that runs [`run_trampoline`].
pub const TRAMPOLINE_COMMAND: &str = "__sandbox";

/// Environment variable the trampoline sets for the program it runs: `landlock-abi-N` when a
/// Landlock domain (kernel ABI `N`) confines it, `none` when the kernel has no Landlock and the
/// program runs unconfined. Lets the program (or a test) see how it is confined.
pub const STATUS_VARIABLE: &str = "NEXXO_SANDBOX";

/// What a confined process may access. Anything not listed is denied.
///
/// Serialized as JSON on the trampoline's command line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxPolicy {
    /// Files and folders (with everything beneath them) that may be read: open for reading and
    /// list folders. Not executed.
    pub read: Vec<PathBuf>,
    /// Folders (with everything beneath them) that may be read and written: create, write,
    /// truncate, rename and remove files, folders and symlinks. A file here may be read and
    /// written. A path that does not exist when the rules are built is skipped, not created.
    pub write: Vec<PathBuf>,
    /// Executables that may be executed (and read, as a script interpreter needs). A folder here
    /// allows every executable beneath it.
    pub exec: Vec<PathBuf>,
    /// TCP ports the process may connect to (on any address). All others are refused.
    pub connect_tcp: Vec<u16>,
    /// TCP ports the process may bind (listen on). Port 0 stands for "any free port", which
    /// `listen(0)` asks for. All others are refused.
    pub bind_tcp: Vec<u16>,
}

impl SandboxPolicy {
    /// A policy that lets the Node.js binary `node` start and run, and nothing more (add the
    /// project's files to it). See [`SandboxPolicy::with_runtime`].
    pub fn for_node(node: &Path) -> io::Result<Self> {
        Self::default().with_runtime(node)
    }

    /// Adds what the Node.js runtime `node` needs to start and run: the binary (execute), its
    /// ELF interpreter (execute), the shared libraries the interpreter maps for it (read), and
    /// the files Node itself reads at startup: OpenSSL's configuration file (`$OPENSSL_CONF`,
    /// else `openssl.cnf` in the `OPENSSLDIR` compiled into Node's OpenSSL; Node exits when it
    /// exists but cannot be read) and `$NODE_EXTRA_CA_CERTS` when set. Nothing else under
    /// `/etc`, nothing under `/proc`, `/sys`, `/tmp` or the home folder: Node runs without them
    /// (what degrades is listed in `docs/plugin-sandbox.md`).
    ///
    /// `node` must be the real binary (a version manager's shell shim is refused: ask it for
    /// `process.execPath`). The libraries are listed by the interpreter itself (`ld.so
    /// --list`), and the environment variables read, in this process's environment: start the
    /// confined Node with the same `LD_LIBRARY_PATH`, `OPENSSL_CONF` and `NODE_EXTRA_CA_CERTS`.
    pub fn with_runtime(mut self, node: &Path) -> io::Result<Self> {
        let runtime = runtime::node_runtime(node)?;
        self.exec.extend(runtime.exec);
        self.read.extend(runtime.read);
        Ok(self)
    }

    /// The same policy with every path resolved to its real path (symlinks followed), paths that
    /// do not exist (or cannot be resolved) left out, and duplicates removed. This is what the
    /// rules are built from.
    pub fn canonicalized(&self) -> SandboxPolicy {
        SandboxPolicy {
            read: canonical_paths(&self.read),
            write: canonical_paths(&self.write),
            exec: canonical_paths(&self.exec),
            connect_tcp: unique(&self.connect_tcp),
            bind_tcp: unique(&self.bind_tcp),
        }
    }

    /// The policy as the JSON the trampoline reads. Paths must be valid UTF-8.
    pub fn to_json(&self) -> io::Result<String> {
        serde_json::to_string(self).map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("sandbox policy paths must be valid UTF-8: {err}"),
            )
        })
    }

    /// Reads a policy written by [`SandboxPolicy::to_json`].
    pub fn from_json(json: &str) -> io::Result<Self> {
        serde_json::from_str(json).map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad sandbox policy: {err}"),
            )
        })
    }
}

fn canonical_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .filter_map(|path| std::fs::canonicalize(path).ok())
        .filter(|path| seen.insert(path.clone()))
        .collect()
}

fn unique(ports: &[u16]) -> Vec<u16> {
    let mut seen = HashSet::new();
    ports
        .iter()
        .copied()
        .filter(|port| seen.insert(*port))
        .collect()
}

/// `launcher __sandbox <policy json> -- program`: runs `program` confined by `policy`. The
/// caller adds the program's arguments, stdio, working directory and environment; `launcher` is
/// the `nexxo` binary (`std::env::current_exe()`).
///
/// The policy's paths are resolved here, against this process's working directory, so relative
/// paths mean what the caller meant. `program` must be allowed by `policy.exec` (Landlock
/// checks the `exec` itself), which [`SandboxPolicy::for_node`] does for Node.
///
/// `NODE_OPTIONS` is removed from the environment: it could add `--allow-*` flags or preload
/// code and undo the permission flags given on the command line.
///
/// Fails only when a policy path is not valid UTF-8.
pub fn confined_command(
    launcher: &Path,
    policy: &SandboxPolicy,
    program: &Path,
) -> io::Result<Command> {
    let json = policy.canonicalized().to_json()?;
    let mut command = Command::new(launcher);
    command
        .arg(TRAMPOLINE_COMMAND)
        .arg(json)
        .arg("--")
        .arg(program)
        .env_remove("NODE_OPTIONS");
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_json_round_trips() {
        let policy = SandboxPolicy {
            read: vec![
                PathBuf::from("/project"),
                PathBuf::from("/project/node_modules"),
            ],
            write: vec![PathBuf::from("/project/dist")],
            exec: vec![PathBuf::from("/usr/bin/node")],
            connect_tcp: vec![5173],
            bind_tcp: vec![0, 24678],
        };
        let json = policy.to_json().unwrap();
        assert_eq!(SandboxPolicy::from_json(&json).unwrap(), policy);
    }

    #[test]
    fn policy_json_missing_lists_are_empty_and_unknown_keys_are_refused() {
        let policy = SandboxPolicy::from_json(r#"{"read":["/a"]}"#).unwrap();
        assert_eq!(policy.read, vec![PathBuf::from("/a")]);
        assert!(policy.write.is_empty() && policy.exec.is_empty());
        assert!(policy.connect_tcp.is_empty() && policy.bind_tcp.is_empty());
        // A misspelt key would silently grant nothing where the caller meant to grant.
        assert!(SandboxPolicy::from_json(r#"{"reads":["/a"]}"#).is_err());
        assert!(SandboxPolicy::from_json(r#"{"connect_tcp":[70000]}"#).is_err());
        assert!(SandboxPolicy::from_json("not json").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_are_an_error_not_a_panic() {
        use std::os::unix::ffi::OsStrExt;
        let policy = SandboxPolicy {
            read: vec![PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/\xff"))],
            ..SandboxPolicy::default()
        };
        assert_eq!(
            policy.to_json().unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[cfg(unix)]
    #[test]
    fn canonicalized_follows_symlinks_and_drops_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(real.join("project")).unwrap();
        std::fs::create_dir(real.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(real.join("elsewhere"), real.join("project/link")).unwrap();
        let policy = SandboxPolicy {
            read: vec![
                real.join("project/../project"),
                real.join("project/link"),
                real.join("missing"),
                real.join("project"),
            ],
            write: vec![real.join("project/link/new-folder")],
            exec: vec![],
            connect_tcp: vec![80, 80, 443],
            bind_tcp: vec![],
        };
        let resolved = policy.canonicalized();
        // `..` removed, the symlink replaced by its target, the duplicate and the missing path
        // dropped, order kept.
        assert_eq!(
            resolved.read,
            vec![real.join("project"), real.join("elsewhere")]
        );
        assert!(resolved.write.is_empty());
        assert_eq!(resolved.connect_tcp, vec![80, 443]);
    }

    #[test]
    fn confined_command_passes_the_resolved_policy_and_program() {
        let dir = tempfile::tempdir().unwrap();
        let policy = SandboxPolicy {
            read: vec![dir.path().to_path_buf(), dir.path().join("missing")],
            connect_tcp: vec![8080],
            ..SandboxPolicy::default()
        };
        let command =
            confined_command(Path::new("/opt/nexxo"), &policy, Path::new("/usr/bin/node")).unwrap();
        assert_eq!(command.get_program(), "/opt/nexxo");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args.len(), 4);
        assert_eq!(args[0], TRAMPOLINE_COMMAND);
        let sent = SandboxPolicy::from_json(args[1].to_str().unwrap()).unwrap();
        assert_eq!(sent, policy.canonicalized());
        assert_eq!(sent.read, vec![std::fs::canonicalize(dir.path()).unwrap()]);
        assert_eq!(args[2], "--");
        assert_eq!(args[3], "/usr/bin/node");
        assert!(command
            .get_envs()
            .any(|(key, value)| key == "NODE_OPTIONS" && value.is_none()));
    }
}
