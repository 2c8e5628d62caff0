//! A pool of Node.js helper processes that run JS compilers (Vue, Svelte, Solid, PostCSS, ...)
//! installed in the user's project.
//!
//! Nothing starts until the first [`NodePool::request`]: React, Preact, Lit and vanilla projects
//! never need Node, so they never start it. Then up to one helper per core is started as
//! requests need them; each helper runs `helper/helper.mjs` (embedded, Node built-ins only) and
//! loads compilers with `createRequire` from the project root. Messages are a 4-byte
//! little-endian length plus UTF-8 JSON over the child's stdin/stdout; stderr is kept for crash
//! reports. A request that times out kills its helper; a helper that dies is replaced on the
//! next request; the request gets an error either way, never a hang.
//!
//! The API is blocking and `Sync`, for rayon threads (call it from tokio through
//! `spawn_blocking`). Each helper serves one request at a time, so a timeout or crash fails only
//! the request that caused it, unless [`NodeOptions::requests_per_helper`] lets requests share
//! a helper (a user plugin's one helper): then their round trips overlap.
//!
//! # The helper script
//!
//! `helper/helper.mjs` is the core (protocol, package loading, error normalization, the `tasks`
//! table); `helper/tasks/<framework>.mjs` add the compiler tasks; `helper/main.mjs` starts
//! reading requests. They are concatenated in that order into one module (`helper.rs`), so they
//! share one scope and only the core imports Node built-ins.
//!
//! # Compiler tasks ([`NodeTask::Compile`])
//!
//! Paths are absolute. A failed task is [`NodeError::Task`] with the file the user edits and
//! 1-based line and column in it (a Vue template error points into the `.vue` file), or
//! [`NodeError::MissingPackage`] naming the package to install. Source maps are JSON text or
//! `null`.
//!
//! - `vue.compile` `{ filename, source, scopeId, production, hmr }` → `{ code, lang, templateKey,
//!   scriptKey, styles: [{ index, content, lang, scoped, module, srcFile, line }], files,
//!   warnings: [{ message, line?, column? }] }`. `code` is the main module as
//!   @vitejs/plugin-vue writes it (style imports `./App.vue?vue&type=style&index=N[&scoped=ID]
//!   [&module]&lang.css`; TypeScript left in when `lang` is `ts`/`tsx`; no `_rerender_only`
//!   export, the caller adds it by comparing `templateKey` and `scriptKey` with the last
//!   compile). `files` are the `src=` files read. Needs `vue`.
//! - `vue.style` `{ filename, css, scopeId, scoped, production }` → `{ code }` (scoped selectors,
//!   `v-bind()` variables).
//! - `svelte.compile` `{ filename, source, production, hmr }` → `{ js, map, css, cssMap,
//!   warnings: [{ message, code, line?, column? }], major }` (Svelte 3, 4 or 5).
//! - `solid.compile` `{ filename, source, production, hmr }` → `{ code, map }`: Babel with
//!   babel-preset-solid (and solid-refresh when `hmr`) on JavaScript with JSX.
//! - `postcss` `{ filename, css, production }` → `{ css, map, dependencies, dirDependencies:
//!   [{ dir, glob }], warnings, config }` with the nearest PostCSS config from the stylesheet's
//!   folder up to `root`; `postcss.config` `{ dir }` → `{ file }` (that config, or `null`).
//! - `tailwind` `{ filename, css, production }` → `{ css, dependencies, dirDependencies }`:
//!   Tailwind v4 as @tailwindcss/vite runs it (the scanner skips `node_modules` and what
//!   `.gitignore` lists, even outside a git repository).

mod error;
mod helper;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};

pub use error::NodeError;
pub use helper::Callbacks;
use helper::Helper;

/// The environment variable naming the `node` executable to use instead of the one on `PATH`.
pub const NODE_ENV_VAR: &str = "NEXXO_NODE";

/// Makes the command that starts `node` (given its path): a launcher that confines the process
/// before Node loads anything (see `nexxo_sandbox`), or `node` itself.
pub type NodeCommand = Arc<dyn Fn(&Path) -> Command + Send + Sync>;

/// How a [`NodePool`] runs.
#[derive(Clone)]
pub struct NodeOptions {
    /// What Node is needed for, as shown in errors ("Vue single-file components").
    pub purpose: String,
    /// The most helpers running at once; defaults to the number of cores (at least 1).
    pub max_helpers: usize,
    /// The most requests one helper has in flight at once (default 1). More than one suits
    /// tasks that mostly wait for the round trip (a user plugin's hooks, which all run in the
    /// plugin's one helper): their round trips overlap. With one, a timeout or crash fails
    /// only the request that caused it; with more, the others in flight on that helper too.
    pub requests_per_helper: usize,
    /// How long one request may take before its helper is killed and restarted.
    pub request_timeout: Duration,
    /// The `node` executable; `None` finds it from `NEXXO_NODE`, then `PATH`, when first needed.
    pub node: Option<PathBuf>,
    /// The helpers' working folder: the project root, since some compilers resolve the paths
    /// of their config from it (`@tailwindcss/postcss` and Tailwind v3's `content` globs, as
    /// under Vite, which runs in the root).
    pub cwd: Option<PathBuf>,
    /// How `node` is started; `None`: directly.
    pub command: Option<NodeCommand>,
    /// Options for `node` itself, before the script (Node's permission flags).
    pub node_args: Vec<String>,
    /// Sent to each helper as soon as it starts, before any request: a helper that holds
    /// state (a user plugin) is set up again when a crash or timeout replaced it.
    pub init: Option<NodeTask>,
}

impl std::fmt::Debug for NodeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeOptions")
            .field("purpose", &self.purpose)
            .field("max_helpers", &self.max_helpers)
            .field("requests_per_helper", &self.requests_per_helper)
            .field("node_args", &self.node_args)
            .finish_non_exhaustive()
    }
}

impl NodeOptions {
    pub fn new(purpose: impl Into<String>) -> Self {
        Self {
            purpose: purpose.into(),
            max_helpers: default_helper_count(),
            requests_per_helper: 1,
            request_timeout: Duration::from_secs(60),
            node: None,
            cwd: None,
            command: None,
            node_args: Vec::new(),
            init: None,
        }
    }
}

/// The environment variable that sets how many helpers may run at once (a tuning knob).
pub const HELPERS_ENV_VAR: &str = "NEXXO_NODE_HELPERS";

/// `NEXXO_NODE_HELPERS` when set to a number, else one per core.
fn default_helper_count() -> usize {
    std::env::var(HELPERS_ENV_VAR)
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|count| *count > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// One unit of work for a helper. `root` is the project root compilers are resolved from.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeTask {
    /// Node's version and the installed version of each package (`null` when missing).
    Version {
        root: PathBuf,
        packages: Vec<String>,
    },
    /// Loads `package` from `root` and calls its exported function `export` with `args`; the
    /// function's (awaited) return value is the result.
    Call {
        root: PathBuf,
        package: String,
        export: String,
        args: Vec<Value>,
    },
    /// Runs the helper's task `task` (`vue.compile`, `vue.style`, `svelte.compile`,
    /// `solid.compile`, `postcss`, `postcss.config`, `tailwind`) with `args` as the request's
    /// other fields. The task's reply object is the result; see the crate docs for each task's
    /// fields.
    Compile {
        root: PathBuf,
        task: String,
        args: Map<String, Value>,
    },
}

impl NodeTask {
    /// A [`NodeTask::Compile`] from a JSON object of arguments (anything else counts as none).
    pub fn compile(root: impl Into<PathBuf>, task: impl Into<String>, args: Value) -> Self {
        NodeTask::Compile {
            root: root.into(),
            task: task.into(),
            args: match args {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        }
    }

    fn root(&self) -> &Path {
        match self {
            NodeTask::Version { root, .. }
            | NodeTask::Call { root, .. }
            | NodeTask::Compile { root, .. } => root,
        }
    }

    fn to_message(&self) -> Map<String, Value> {
        let message = match self {
            NodeTask::Version { root, packages } => json!({
                "task": "version",
                "root": root.to_string_lossy(),
                "packages": packages,
            }),
            NodeTask::Call {
                root,
                package,
                export,
                args,
            } => json!({
                "task": "call",
                "root": root.to_string_lossy(),
                "package": package,
                "export": export,
                "args": args,
            }),
            NodeTask::Compile { root, task, args } => {
                // The task's own fields are set last: an argument cannot change which task runs.
                let mut message = args.clone();
                message.insert("task".into(), Value::from(task.as_str()));
                message.insert("root".into(), Value::from(root.to_string_lossy()));
                Value::Object(message)
            }
        };
        match message {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object literal is an object"),
        }
    }
}

/// A running helper and how many requests it serves now.
struct Running {
    helper: Arc<Helper>,
    in_flight: usize,
}

/// The running helpers, and how many are being started.
struct Slots {
    running: Vec<Running>,
    starting: usize,
}

/// A lazily started pool of Node.js helpers. Dropping it stops them.
pub struct NodePool {
    options: NodeOptions,
    slots: Mutex<Slots>,
    helper_freed: Condvar,
    started: AtomicUsize,
}

impl NodePool {
    /// A pool that starts nothing until the first request.
    pub fn new(options: NodeOptions) -> Self {
        Self {
            options,
            slots: Mutex::new(Slots {
                running: Vec::new(),
                starting: 0,
            }),
            helper_freed: Condvar::new(),
            started: AtomicUsize::new(0),
        }
    }

    /// How many helper processes this pool has started so far (restarts included).
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// Runs one task on a helper and returns its result.
    pub fn request(&self, task: &NodeTask) -> Result<Value, NodeError> {
        self.request_with(task, &|method, _| {
            Err(format!(
                "the Rust side answers no `{method}` questions here"
            ))
        })
    }

    /// Runs one task whose code may ask the Rust side questions while it runs (a plugin's
    /// `this.resolve`); `callbacks` answers them on the calling thread.
    pub fn request_with(&self, task: &NodeTask, callbacks: &Callbacks) -> Result<Value, NodeError> {
        let helper = self.acquire()?;
        let outcome = helper.request(task.to_message(), self.options.request_timeout, callbacks);
        self.release(&helper, outcome.is_ok());
        match outcome {
            Ok(reply) => reply_result(reply, task.root()),
            Err(error) => Err(self.node_too_old(error)),
        }
    }

    /// The installed Node's version (`20.20.2`).
    pub fn node_version(&self) -> Result<String, NodeError> {
        let reply = self.request(&NodeTask::Version {
            root: PathBuf::new(),
            packages: Vec::new(),
        })?;
        Ok(reply["node"].as_str().unwrap_or_default().to_string())
    }

    /// Fails with one clear message when the installed Node is older than `major`.
    pub fn ensure_node_at_least(&self, major: u32) -> Result<(), NodeError> {
        let found = self.node_version()?;
        let found_major = found
            .split('.')
            .next()
            .and_then(|major| major.parse::<u32>().ok())
            .unwrap_or(0);
        if found_major < major {
            return Err(NodeError::NodeTooOld {
                purpose: self.options.purpose.clone(),
                found,
                needed_major: major,
            });
        }
        Ok(())
    }

    /// A helper that refused to run on an old Node (see `MIN_NODE_MAJOR` in the helper) gives
    /// the one clear message instead of a crash report.
    fn node_too_old(&self, error: NodeError) -> NodeError {
        let NodeError::Crashed { stderr_tail, .. } = &error else {
            return error;
        };
        let refusal = stderr_tail
            .lines()
            .find_map(|line| line.strip_prefix("NEXXO_NODE_TOO_OLD "))
            .and_then(|rest| rest.split_once(' '))
            .and_then(|(found, needed)| Some((found, needed.trim().parse::<u32>().ok()?)));
        match refusal {
            Some((found, needed_major)) => NodeError::NodeTooOld {
                purpose: self.options.purpose.clone(),
                found: found.to_string(),
                needed_major,
            },
            None => error,
        }
    }

    /// An idle helper; else a new one while fewer than `max_helpers` run; else the least busy
    /// one below `requests_per_helper`; else the next one freed.
    fn acquire(&self) -> Result<Arc<Helper>, NodeError> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // One that died while idle is replaced now, so this request does not fail for it.
            slots
                .running
                .retain(|running| running.in_flight > 0 || !running.helper.has_exited());
            if let Some(idle) = slots.running.iter_mut().find(|r| r.in_flight == 0) {
                idle.in_flight = 1;
                return Ok(Arc::clone(&idle.helper));
            }
            if slots.running.len() + slots.starting < self.options.max_helpers.max(1) {
                slots.starting += 1;
                drop(slots);
                // Started outside the lock: other threads keep using the running helpers.
                let spawned = self.spawn().map(Arc::new);
                let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
                slots.starting -= 1;
                if let Ok(helper) = &spawned {
                    slots.running.push(Running {
                        helper: Arc::clone(helper),
                        in_flight: 1,
                    });
                }
                drop(slots);
                self.helper_freed.notify_all();
                return spawned;
            }
            let shared = self.options.requests_per_helper.max(1);
            if let Some(least_busy) = slots
                .running
                .iter_mut()
                .filter(|running| running.in_flight < shared)
                .min_by_key(|running| running.in_flight)
            {
                least_busy.in_flight += 1;
                return Ok(Arc::clone(&least_busy.helper));
            }
            slots = self
                .helper_freed
                .wait(slots)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Ends one request on `helper`; a helper whose request failed is dead (killed or exited)
    /// and leaves the pool, to be replaced on a later request.
    fn release(&self, helper: &Arc<Helper>, alive: bool) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = slots
            .running
            .iter()
            .position(|running| Arc::ptr_eq(&running.helper, helper))
        {
            if alive {
                slots.running[index].in_flight -= 1;
            } else {
                slots.running.swap_remove(index);
            }
        }
        drop(slots);
        // One place freed, one waiter woken: with many threads waiting on a plugin's helper,
        // waking all of them for each reply cost more than the round trips (measured).
        self.helper_freed.notify_one();
    }

    fn spawn(&self) -> Result<Helper, NodeError> {
        let node = match &self.options.node {
            Some(node) => node.clone(),
            None => find_node(
                std::env::var_os(NODE_ENV_VAR),
                std::env::var_os("PATH"),
                &self.options.purpose,
            )?,
        };
        let command = match &self.options.command {
            Some(make) => make(&node),
            None => Command::new(&node),
        };
        let helper = Helper::spawn(
            &node,
            command,
            &self.options.node_args,
            self.options.cwd.as_deref(),
        )?;
        self.started.fetch_add(1, Ordering::SeqCst);
        if let Some(init) = &self.options.init {
            let reply = helper
                .request(
                    init.to_message(),
                    self.options.request_timeout,
                    &|method, _| Err(format!("no `{method}` questions while starting")),
                )
                .map_err(|error| self.node_too_old(error))?;
            reply_result(reply, init.root())?;
        }
        Ok(helper)
    }
}

/// `{ ok: true, result }` → the result; `{ ok: false, error }` → the matching [`NodeError`].
fn reply_result(mut reply: Value, root: &Path) -> Result<Value, NodeError> {
    if reply["ok"] == Value::Bool(true) {
        return Ok(reply["result"].take());
    }
    let error = &reply["error"];
    if let Some(package) = error["missingPackage"].as_str() {
        return Err(NodeError::MissingPackage {
            package: package.to_string(),
            root: root.to_path_buf(),
        });
    }
    let location = |key: &str| error[key].as_u64().and_then(|n| usize::try_from(n).ok());
    Err(NodeError::Task {
        message: error["message"]
            .as_str()
            .unwrap_or("the Node.js helper reported an error without a message")
            .to_string(),
        file: error["file"].as_str().map(str::to_string),
        line: location("line"),
        column: location("column"),
    })
}

/// The `node` executable: `NEXXO_NODE` when set, else the first `node` on `PATH`.
fn find_node(
    env_override: Option<OsString>,
    path: Option<OsString>,
    purpose: &str,
) -> Result<PathBuf, NodeError> {
    if let Some(node) = env_override.filter(|value| !value.is_empty()) {
        let node = PathBuf::from(node);
        return if node.is_file() {
            Ok(node)
        } else {
            Err(NodeError::NodeMissing {
                purpose: purpose.to_string(),
                detail: format!(
                    "{NODE_ENV_VAR} names {}, which is not a file",
                    node.display()
                ),
            })
        };
    }
    let names: &[&str] = if cfg!(windows) {
        &["node.exe", "node"]
    } else {
        &["node"]
    };
    path.iter()
        .flat_map(std::env::split_paths)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| NodeError::NodeMissing {
            purpose: purpose.to_string(),
            detail: "no `node` was found on PATH".to_string(),
        })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod compiler_tests;
