//! User plugins written as WebAssembly, run as `nexxo_pipeline` plugins.
//!
//! A plugin is a core WebAssembly module (`.wasm`, or `.wat` text) with a small string-in,
//! string-out ABI for `resolveId`, `load` and `transform` (`docs/wasm-plugins.md`). It runs
//! isolated: its only imports are WASI preview1, which gives it no args, no env, no stdin, no
//! network and no files beyond the folders `allowRead` grants (read-only); its stderr is kept
//! for error messages. Each call gets a fresh instance with a memory cap and a time limit, so
//! a plugin that loops, recurses or allocates without end fails its module with a diagnostic
//! naming the plugin and the module, and the build goes on with the next error.
//!
//! - [`module`]: compiling a plugin and checking its exports; one call in a fresh instance.
//! - [`threads`]: the threads calls run on and the epoch clock behind the time limit.
//! - [`stderr`]: the plugin's stderr, kept for diagnostics.

pub mod module;
mod stderr;
pub mod threads;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use nexxo_config::{ResolvedConfig, ResolvedWasmPlugin};
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::ids::split_query;
use nexxo_pipeline::{
    HookFilter, Hooks, Lang, LoadArgs, LoadedModule, ModuleHost, Plugin, ResolveArgs, ResolvedId,
    TransformArgs, Transformed,
};

pub use module::{CallError, CallFailure, CompiledPlugin, Grants, Hook};

/// How long past its time limit a call may take before the hook stops waiting for it: the
/// epoch stops WebAssembly within a tick, so only a call blocked inside WASI (a read of a FIFO
/// in a granted folder) waits this long.
const BLOCKED_CALL_GRACE: Duration = Duration::from_secs(1);

/// The config's `wasmPlugins`, compiled, in the user's order. An error names the entry and its
/// file (missing, not WebAssembly, importing more than WASI, missing exports).
pub fn wasm_plugins(config: &ResolvedConfig) -> Result<Vec<Arc<dyn Plugin>>, Diagnostic> {
    config
        .wasm_plugins
        .iter()
        .map(|plugin| {
            WasmPlugin::new(plugin, &config.root).map(|plugin| Arc::new(plugin) as Arc<dyn Plugin>)
        })
        .collect()
}

/// One `wasmPlugins` entry as a pipeline plugin.
pub struct WasmPlugin {
    name: &'static str,
    root: PathBuf,
    config: ResolvedWasmPlugin,
    compiled: Arc<CompiledPlugin>,
    filter: HookFilter,
    fingerprint: OnceLock<String>,
}

impl WasmPlugin {
    /// Reads and compiles the plugin of `config` (of the project at `root`).
    pub fn new(config: &ResolvedWasmPlugin, root: &Path) -> Result<Self, Diagnostic> {
        let shown = display(root, &config.path);
        let file_error = |problem: String| {
            Diagnostic::error(format!("WASM plugin `{shown}` ({}) {problem}", config.key))
                .with_help("see docs/wasm-plugins.md for the exports a plugin needs")
        };
        let bytes = nexxo_diagnostics::input::read_regular(&config.path)
            .map_err(|err| file_error(format!("cannot be read: {err}")))?;
        let grants = Grants {
            read: config.allow_read.clone(),
            memory_limit_bytes: config.memory_limit_bytes,
            timeout: Duration::from_millis(config.timeout_ms),
        };
        let compiled = CompiledPlugin::new(&bytes, grants).map_err(file_error)?;
        let filter = HookFilter {
            extensions: config.extensions.iter().map(|ext| intern(ext)).collect(),
            id: config
                .id_pattern
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|err| Diagnostic::error(format!("{}.filter.id: {err}", config.key)))?,
            ..HookFilter::default()
        };
        Ok(Self {
            name: intern(&config.name),
            root: root.to_path_buf(),
            config: config.clone(),
            compiled: Arc::new(compiled),
            filter,
            fingerprint: OnceLock::new(),
        })
    }

    /// Runs `hook` on a call thread; `doing` says what for, in diagnostics.
    fn call(
        &self,
        hook: Hook,
        inputs: [Option<&str>; 2],
        doing: impl FnOnce() -> String,
    ) -> Result<Option<String>, Diagnostic> {
        let compiled = self.compiled.clone();
        let owned: Vec<Option<String>> = inputs[..hook.inputs()]
            .iter()
            .map(|input| input.map(str::to_string))
            .collect();
        let wait = self.compiled.grants().timeout + BLOCKED_CALL_GRACE;
        let outcome = threads::run_on_call_thread(
            move || {
                let inputs: Vec<Option<&str>> = owned.iter().map(Option::as_deref).collect();
                compiled.call(hook, &inputs)
            },
            wait,
        );
        let failure = match outcome {
            Ok(Ok(result)) => return Ok(result),
            Ok(Err(failure)) => failure,
            Err(threads::Abandoned::TimedOut) => CallFailure {
                error: CallError::TimeLimit,
                stderr: None,
            },
            Err(threads::Abandoned::Lost) => CallFailure {
                error: CallError::Host("the call's thread ended without an answer".into()),
                stderr: None,
            },
            Err(threads::Abandoned::NoThread(message)) => CallFailure {
                error: CallError::Host(message),
                stderr: None,
            },
        };
        Err(self.diagnostic(failure, &doing()))
    }

    /// The diagnostic of a failed call made while `doing` ("transforming src/a.js").
    pub fn diagnostic(&self, failure: CallFailure, doing: &str) -> Diagnostic {
        let name = self.name;
        let key = &self.config.key;
        let (message, help) = match failure.error {
            CallError::TimeLimit => (
                format!(
                    "WASM plugin '{name}' exceeded its time limit of {} ms while {doing}",
                    self.config.timeout_ms
                ),
                Some(format!(
                    "a plugin that needs longer can be given more with `timeoutMs` in {key}"
                )),
            ),
            CallError::MemoryLimit => (
                format!(
                    "WASM plugin '{name}' exceeded its memory limit of {} MiB while {doing}",
                    self.config.memory_limit_bytes / (1024 * 1024)
                ),
                Some(format!(
                    "a plugin that needs more can be given more with `memoryLimitMb` in {key}"
                )),
            ),
            CallError::StackOverflow => (
                format!("WASM plugin '{name}' overflowed its stack while {doing}"),
                None,
            ),
            CallError::Trap(trap) => (
                format!("WASM plugin '{name}' crashed while {doing}: {trap}"),
                None,
            ),
            CallError::Plugin(message) => (
                format!("WASM plugin '{name}' failed while {doing}: {message}"),
                None,
            ),
            CallError::Abi(problem) => (
                format!("WASM plugin '{name}' broke the plugin ABI while {doing}: it {problem}"),
                Some("see docs/wasm-plugins.md".to_string()),
            ),
            CallError::Host(problem) => (
                format!("WASM plugin '{name}' could not run while {doing}: {problem}"),
                None,
            ),
        };
        let help = match failure.stderr {
            Some(stderr) => Some(format!("the plugin's stderr ended with:\n{stderr}")),
            None => help,
        };
        let diagnostic = Diagnostic::error(message);
        match help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }

    /// A module id as users read it: relative to the root, `\0` written out.
    fn shown_id(&self, id: &str) -> String {
        let (path, query) = split_query(id);
        let mut shown = if Path::new(path).is_absolute() {
            display(&self.root, Path::new(path))
        } else {
            path.replace('\0', "\\0")
        };
        if let Some(query) = query {
            shown.push('?');
            shown.push_str(query);
        }
        shown
    }

    /// The file behind `id` when the plugin may read it (it was probably read to load it):
    /// the dev server watches it and its cache checks it.
    fn granted_file(&self, id: &str) -> Option<PathBuf> {
        let path = Path::new(split_query(id).0);
        (path.is_absolute()
            && self
                .config
                .allow_read
                .iter()
                .any(|dir| path.starts_with(dir))
            && path.is_file())
        .then(|| path.to_path_buf())
    }
}

impl Plugin for WasmPlugin {
    fn name(&self) -> &'static str {
        self.name
    }

    fn hooks(&self) -> Hooks {
        let has = |hook| {
            self.compiled
                .hooks()
                .contains(&hook)
                .then(|| self.filter.clone())
        };
        Hooks {
            resolve_id: has(Hook::ResolveId),
            load: has(Hook::Load),
            transform: has(Hook::Transform),
            ..Hooks::default()
        }
    }

    fn resolve_id(
        &self,
        args: &ResolveArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        let importer = args.importer.map(|path| path.to_string_lossy());
        let resolved = self.call(
            Hook::ResolveId,
            [Some(args.specifier), importer.as_deref()],
            || match args.importer {
                Some(importer) => format!(
                    "resolving `{}` from {}",
                    args.specifier,
                    display(&self.root, importer)
                ),
                None => format!("resolving `{}`", args.specifier),
            },
        )?;
        Ok(resolved.map(|id| ResolvedId { id }))
    }

    fn load(
        &self,
        args: &LoadArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let code = self.call(Hook::Load, [Some(args.id), None], || {
            format!("loading {}", self.shown_id(args.id))
        })?;
        Ok(code.map(|code| {
            // A virtual id without a script extension holds JavaScript.
            let lang = Lang::of(args.id).unwrap_or(Lang::Js);
            let files = self.granted_file(args.id).into_iter().collect();
            LoadedModule::script(code, lang, files)
        }))
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let code = self.call(Hook::Transform, [Some(args.id), Some(args.code)], || {
            format!("transforming {}", self.shown_id(args.id))
        })?;
        Ok(code
            .filter(|code| code != args.code)
            .map(|code| Transformed {
                code,
                // The ABI carries no source map: positions map as if lines were kept.
                map: None,
                files: Vec::new(),
                lang: None,
            }))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint
            .get_or_init(|| inputs_fingerprint(&self.config))
            .clone()
    }
}

/// A hash of everything a plugin's output depends on besides its inputs: its entry in the
/// config, its module file and every file in the folders it may read (path and content). The
/// dev module cache keys on it; the build's cache adds it to the build plan, which covers a
/// module file outside the root as well.
pub fn inputs_fingerprint(plugin: &ResolvedWasmPlugin) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(format!("{plugin:?}").as_bytes());
    hash_file(&mut hasher, &plugin.path);
    for folder in &plugin.allow_read {
        let mut files = Vec::new();
        collect_files(folder, &mut files);
        files.sort();
        for file in files {
            hash_file(&mut hasher, &file);
        }
    }
    format!("{:032x}", hasher.digest128())
}

fn hash_file(hasher: &mut xxhash_rust::xxh3::Xxh3, path: &Path) {
    hasher.update(path.to_string_lossy().as_bytes());
    hasher.update(&[0]);
    // Through the guard that refuses FIFOs and devices: hashing must not block.
    match nexxo_diagnostics::input::read_regular(path) {
        Ok(bytes) => hasher.update(&xxhash_rust::xxh3::xxh3_128(&bytes).to_le_bytes()),
        Err(_) => hasher.update(b"unreadable"),
    }
}

/// Regular files under `folder`, symlinked folders not followed (a loop must not hang).
fn collect_files(folder: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_files(&path, files);
        } else if std::fs::metadata(&path).is_ok_and(|meta| meta.is_file()) {
            files.push(path);
        }
    }
}

/// `path` relative to `root` when inside it, with forward slashes.
fn display(root: &Path, path: &Path) -> String {
    nexxo_diagnostics::display_path(path.strip_prefix(root).unwrap_or(path))
}

/// A `'static` copy of `text`, made once per distinct text: plugin names and filter extensions
/// come from the config, but the pipeline's `Plugin::name` and `HookFilter` take `'static`
/// strings. A dev server re-reading its config keeps using the same copies.
fn intern(text: &str) -> &'static str {
    static INTERNED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    let set = interned.get_or_insert_with(HashSet::new);
    if let Some(existing) = set.get(text) {
        return existing;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}
