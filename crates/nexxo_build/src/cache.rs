//! The whole-build cache: when nothing that affects the output changed, the build's files are
//! restored from the cache instead of bundled again, byte for byte.
//!
//! A build's key is made of four fingerprint layers, each a content hash:
//! - **input fingerprint**: every file of the project (outside `node_modules`, outDir and
//!   hidden folders; `.env` files included), by path and content;
//! - **build-plan hash**: the resolved config (mode, base, define and env values, aliases,
//!   chunks, CSS Modules pattern, library settings…);
//! - **output-target hash**: browser targets, minify and source map settings, Nexxo's build
//!   ([`nexxo_cache::tool_fingerprint`]);
//! - **module-graph hash**: every file the build read that the input fingerprint does not cover
//!   (npm packages, hidden folders such as `.storybook/`, files outside the root, stylesheets
//!   and `url()` assets the CSS stage read there) and the lockfiles of the root and the folders
//!   above it (installed versions). It is stored with the entry and checked on lookup, since
//!   which files a build reads is only known after it ran.
//!
//! A build is only stored when its inputs are the ones fingerprinted: input files are checked
//! again after bundling, and each module-graph file's hash must be that of the text rolldown
//! loaded (or the file must be older than the build), so a file saved mid-build never gets
//! output made from its new content stored under its old key, or the reverse.
//!
//! Output files are stored by content hash and checked when read; an entry and its files are
//! written in one atomic batch, so a build killed mid-write leaves either a whole entry or none.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use nexxo_cache::{file_hash, hash_hex, may_have_changed_since, tool_fingerprint, CacheStore};
use nexxo_config::ResolvedConfig;
use nexxo_css::CssInputs;
use rayon::prelude::*;
use rolldown_plugin::{
    HookTransformArgs, HookTransformReturn, HookUsage, Plugin, SharedTransformPluginContext,
};
use serde::{Deserialize, Serialize};

use crate::emit::EmittedFile;

/// The fingerprint layers of one build.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fingerprint {
    pub input: String,
    pub build_plan: String,
    pub output_target: String,
    /// Project file → content hash (kept to explain a miss).
    pub files: BTreeMap<String, String>,
    /// Each input file's size and time before it was hashed, to tell after the build which
    /// ones may have been saved meanwhile (not stored).
    #[serde(skip)]
    stamps: Vec<(PathBuf, String, FileStamp)>,
    /// When the fingerprint was taken (not stored).
    #[serde(skip)]
    taken_at: Option<SystemTime>,
    /// A warning naming project files skipped because they are not regular files (not stored).
    #[serde(skip)]
    pub skipped: Option<String>,
}

/// A file's size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }
}

impl Fingerprint {
    fn key(&self) -> Vec<u8> {
        format!(
            "build:{}",
            hash_hex(&[
                self.input.as_bytes(),
                self.build_plan.as_bytes(),
                self.output_target.as_bytes()
            ])
        )
        .into_bytes()
    }
}

/// What a build produced: its files and the warnings to show again when it is restored.
#[derive(Debug)]
pub struct BuildOutput {
    pub files: Vec<EmittedFile>,
    pub warnings: Vec<String>,
}

/// What is stored per build.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Files read outside the project → content hash (the module-graph layer).
    graph_files: BTreeMap<PathBuf, String>,
    /// Output file name → content hash of its bytes.
    outputs: Vec<(String, String)>,
    warnings: Vec<String>,
}

const LAST_KEY: &[u8] = b"last-build";

/// Why a build was not restored from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissReason {
    NoCache,
    FirstBuild,
    Changed(Vec<String>),
    Unverified(String),
    /// The config has JS plugins, whose hooks must run (see `build_with_cache`).
    JsPlugins,
    /// `--analyze` needs the module graph, which only a bundling run has.
    Analyze,
}

impl std::fmt::Display for MissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissReason::NoCache => write!(f, "the cache is not available"),
            MissReason::FirstBuild => write!(f, "no earlier build in the cache"),
            MissReason::Changed(changes) => write!(f, "{}", changes.join("; ")),
            MissReason::Unverified(why) => write!(f, "{why}"),
            MissReason::JsPlugins => {
                write!(f, "the config has JS plugins, which run on every build")
            }
            MissReason::Analyze => {
                write!(f, "--analyze needs the module graph of a real bundling run")
            }
        }
    }
}

/// Files of the project that can change a build, and the special files skipped (FIFOs,
/// sockets, devices, also through symlinks: reading them would block the build).
fn project_files(config: &ResolvedConfig) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut special = Vec::new();
    let mut stack = vec![config.root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let skip = name == "node_modules"
                    || name.starts_with('.')
                    || path == config.out_dir
                    || path == config.cache_dir;
                if !skip {
                    stack.push(path);
                }
            } else {
                match std::fs::metadata(&path) {
                    Ok(target) if target.is_file() => files.push(path),
                    // A symlink to a folder is not followed; a dangling one is no input.
                    Ok(target) if target.is_dir() => {}
                    Ok(_) => special.push(path),
                    Err(_) => {}
                }
            }
        }
    }
    special.sort();
    (files, special)
}

/// Computes the fingerprint of a build of `config` (hashing in parallel).
pub fn fingerprint(config: &ResolvedConfig) -> Fingerprint {
    let taken_at = SystemTime::now();
    // Stamped before reading: a save after the stamp then shows when the build is checked.
    let (files, special) = project_files(config);
    let hashed: Vec<(PathBuf, String, FileStamp, String)> = files
        .par_iter()
        .filter_map(|path| {
            let stamp = FileStamp::of(path)?;
            let hash = file_hash(path)?;
            Some((path.clone(), config.display_path(path), stamp, hash))
        })
        .collect();
    let files: BTreeMap<String, String> = hashed
        .iter()
        .map(|(_, shown, _, hash)| (shown.clone(), hash.clone()))
        .collect();
    let stamps = hashed
        .into_iter()
        .map(|(path, shown, stamp, _)| (path, shown, stamp))
        .collect();
    let input_parts: Vec<String> = files.iter().map(|(p, h)| format!("{p}\0{h}")).collect();
    let input = hash_hex(&[input_parts.join("\n").as_bytes()]);
    // The config's own text would do, but the resolved form also covers CLI flags and env.
    let mut plan_view = config.clone();
    plan_view.targets.clear();
    plan_view.minify = false;
    plan_view.sourcemap = nexxo_config::Sourcemap::Off;
    // Watching changes when builds run, not what they make.
    plan_view.watch = None;
    // Budgets judge the output, they do not shape it.
    plan_view.budgets.clear();
    // WASM plugins: their module files (which may live outside the root) and the files they
    // may read, by content.
    let wasm_plugins: Vec<String> = config
        .wasm_plugins
        .iter()
        .map(nexxo_wasm_plugins::inputs_fingerprint)
        .collect();
    let build_plan = hash_hex(&[
        format!("{plan_view:?}").as_bytes(),
        wasm_plugins.join("|").as_bytes(),
    ]);
    let output_target = hash_hex(&[
        format!(
            "{:?}|{}|{:?}",
            config.targets, config.minify, config.sourcemap
        )
        .as_bytes(),
        tool_fingerprint().as_bytes(),
    ]);
    Fingerprint {
        input,
        build_plan,
        output_target,
        files,
        stamps,
        taken_at: Some(taken_at),
        skipped: skipped_warning(config, &special),
    }
}

/// One warning naming the special files the fingerprint skipped (none when there are none).
fn skipped_warning(config: &ResolvedConfig, special: &[PathBuf]) -> Option<String> {
    if special.is_empty() {
        return None;
    }
    let names: Vec<String> = special.iter().map(|p| config.display_path(p)).collect();
    Some(format!(
        "skipped {} file(s) that are not regular files (FIFO, socket or device): {}",
        names.len(),
        shorten(&names)
    ))
}

/// The project files that are not what `fingerprint` hashed any more: added, removed, or saved
/// since (only files whose size or time moved, or whose time is too close to the fingerprint's
/// to tell, are hashed again).
pub fn inputs_changed_since(config: &ResolvedConfig, fingerprint: &Fingerprint) -> Vec<String> {
    let Some(taken_at) = fingerprint.taken_at else {
        return vec!["the input fingerprint was not taken by this build".to_string()];
    };
    let stamped: BTreeMap<&Path, (&String, &FileStamp)> = fingerprint
        .stamps
        .iter()
        .map(|(path, shown, stamp)| (path.as_path(), (shown, stamp)))
        .collect();
    let (current, _) = project_files(config);
    let mut changed: Vec<String> = current
        .par_iter()
        .filter_map(|path| match stamped.get(path.as_path()) {
            None => file_hash(path).map(|_| format!("{} added", config.display_path(path))),
            Some((shown, stamp)) => {
                let unchanged = FileStamp::of(path).as_ref() == Some(*stamp)
                    && !may_have_changed_since(path, taken_at);
                let same_content =
                    unchanged || file_hash(path) == fingerprint.files.get(*shown).cloned();
                (!same_content).then(|| format!("{shown} changed"))
            }
        })
        .collect();
    let listed: std::collections::HashSet<&Path> = current.iter().map(PathBuf::as_path).collect();
    changed.extend(
        stamped
            .iter()
            .filter(|(path, _)| !listed.contains(*path))
            .map(|(_, (shown, _))| format!("{shown} removed")),
    );
    changed.sort();
    changed
}

/// The lockfiles of the root and every folder above it (workspaces keep theirs at the top),
/// and the package managers' records of what is installed, hashed before the build reads any
/// package.
pub fn lockfiles(config: &ResolvedConfig) -> BTreeMap<PathBuf, String> {
    const NAMES: [&str; 7] = [
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lock",
        "bun.lockb",
        "node_modules/.package-lock.json",
        "node_modules/.pnpm/lock.yaml",
    ];
    config
        .root
        .ancestors()
        .flat_map(|folder| NAMES.into_iter().map(move |name| folder.join(name)))
        .filter_map(|path| {
            let hash = file_hash(&path)?;
            Some((path, hash))
        })
        .collect()
}

/// A rolldown plugin that records the content hash of the source text of every module as
/// loaded (it runs first, so it sees the loaded text before any transform), so the module-graph
/// layer records the hash of what was bundled, not of whatever the file holds after the build.
#[derive(Debug, Default)]
pub struct LoadedSources {
    hashes: Mutex<HashMap<String, String>>,
}

impl LoadedSources {
    /// Every module id loaded, tree-shaken ones included.
    fn ids(&self) -> Vec<String> {
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    fn hash_of(&self, id: &str) -> Option<String> {
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

impl Plugin for LoadedSources {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:loaded-sources")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Transform
    }

    async fn transform(
        &self,
        _ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let hash = hash_hex(&[args.code.as_bytes()]);
        let mut hashes = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        let recorded = hashes
            .entry(args.id.to_string())
            .or_insert_with(|| hash.clone());
        if *recorded != hash {
            // Loaded twice with different text (one library format before an edit, one
            // after): no single hash describes the output.
            recorded.clear();
        }
        Ok(None)
    }
}

/// What a build read besides its project files, gathered while it runs.
#[derive(Debug)]
pub struct BuildReads {
    /// Lockfiles, hashed before bundling.
    pub lockfiles: BTreeMap<PathBuf, String>,
    /// The CSS stage's files with the hashes of what it compiled.
    pub css: Arc<CssInputs>,
    /// The source text rolldown loaded per module.
    pub loaded: Arc<LoadedSources>,
    /// When bundling started.
    pub started: SystemTime,
}

impl BuildReads {
    pub fn start(config: &ResolvedConfig) -> Self {
        Self {
            lockfiles: lockfiles(config),
            css: Arc::default(),
            loaded: Arc::default(),
            started: SystemTime::now(),
        }
    }
}

/// The module-graph layer: every file the build read that the input fingerprint does not cover
/// (module ids in `node_modules`, hidden folders or outside the root; the CSS stage's files),
/// plus the lockfiles. `Err` names a file saved during the build: the output may mix its
/// versions, so the build must not be stored.
pub fn graph_files(
    config: &ResolvedConfig,
    fingerprint: &Fingerprint,
    module_ids: impl IntoIterator<Item = String>,
    reads: &BuildReads,
) -> Result<BTreeMap<PathBuf, String>, String> {
    let css_files = reads.css.files();
    let covered = |path: &Path| fingerprint.files.contains_key(&config.display_path(path));
    // Modules tree-shaken away are loaded too, and a change to them can bring them back.
    let mut ids: Vec<String> = module_ids.into_iter().chain(reads.loaded.ids()).collect();
    ids.sort();
    ids.dedup();
    let modules: Vec<(String, PathBuf)> = ids
        .into_iter()
        .filter_map(|id| {
            // `?url`, `?inline`… name the file before the query.
            let path = [id.as_str(), id.split('?').next().unwrap_or_default()]
                .into_iter()
                .map(PathBuf::from)
                .find(|path| path.is_absolute() && path.is_file())?;
            let needed = !covered(&path) && !css_files.contains_key(&path);
            needed.then_some((id, path))
        })
        .collect();
    let mut graph: BTreeMap<PathBuf, String> = modules
        .par_iter()
        .map(|(id, path)| {
            let saved_during_build =
                || format!("{} changed during the build", config.display_path(path));
            let hash = file_hash(path).ok_or_else(saved_during_build)?;
            // Exact when the loaded text is the file's; otherwise (assets, JSON and other
            // files a plugin turned into code) the file must be older than the build.
            if reads.loaded.hash_of(id).as_ref() == Some(&hash)
                || !may_have_changed_since(path, reads.started)
            {
                Ok((path.clone(), hash))
            } else {
                Err(saved_during_build())
            }
        })
        .collect::<Result<_, String>>()?;
    graph.extend(css_files.into_iter().filter(|(path, _)| !covered(path)));
    graph.extend(reads.lockfiles.clone());
    Ok(graph)
}

/// Looks the build up; on a hit returns its output files, verified.
pub fn lookup(
    store: &CacheStore,
    config: &ResolvedConfig,
    fingerprint: &Fingerprint,
) -> Result<BuildOutput, MissReason> {
    if !store.is_enabled() {
        return Err(MissReason::NoCache);
    }
    let Some(bytes) = store.get(&fingerprint.key()) else {
        return Err(explain(store, fingerprint));
    };
    let entry: Entry = serde_json::from_slice(&bytes)
        .map_err(|_| MissReason::Unverified("the cache entry is unreadable".into()))?;
    let mut changed: Vec<String> = entry
        .graph_files
        .par_iter()
        .filter(|(path, hash)| file_hash(path).as_ref() != Some(*hash))
        .map(|(path, _)| config.display_path(path))
        .collect();
    if !changed.is_empty() {
        changed.sort();
        return Err(MissReason::Changed(vec![format!(
            "module-graph hash: files read outside the input fingerprint changed: {}",
            shorten(&changed)
        )]));
    }
    let mut files = Vec::with_capacity(entry.outputs.len());
    for (name, hash) in entry.outputs {
        let bytes = store
            .get(format!("blob:{hash}").as_bytes())
            .filter(|bytes| hash_hex(&[bytes]) == hash)
            .ok_or_else(|| {
                MissReason::Unverified(format!("cached output {name} is missing or damaged"))
            })?;
        files.push(EmittedFile { name, bytes });
    }
    Ok(BuildOutput {
        files,
        warnings: entry.warnings,
    })
}

/// Stores a finished build (its entry, files and fingerprint for `--explain`) atomically.
/// Returns whether it was stored.
pub fn store_build(
    store: &CacheStore,
    fingerprint: &Fingerprint,
    graph_files: BTreeMap<PathBuf, String>,
    output: &BuildOutput,
) -> bool {
    if !store.is_enabled() {
        return false;
    }
    let files = &output.files;
    let hashes: Vec<String> = files.iter().map(|f| hash_hex(&[&f.bytes])).collect();
    let entry = Entry {
        graph_files,
        outputs: files
            .iter()
            .zip(&hashes)
            .map(|(f, h)| (f.name.clone(), h.clone()))
            .collect(),
        warnings: output.warnings.clone(),
    };
    let (Ok(entry_bytes), Ok(last_bytes)) =
        (serde_json::to_vec(&entry), serde_json::to_vec(fingerprint))
    else {
        return false;
    };
    let blob_keys: Vec<Vec<u8>> = hashes
        .iter()
        .map(|h| format!("blob:{h}").into_bytes())
        .collect();
    let key = fingerprint.key();
    let mut entries: Vec<(&[u8], &[u8])> = blob_keys
        .iter()
        .zip(files)
        .map(|(k, f)| (k.as_slice(), f.bytes.as_slice()))
        .collect();
    entries.push((&key, &entry_bytes));
    entries.push((LAST_KEY, &last_bytes));
    store.put_all(&entries)
}

/// Compares with the last stored build's fingerprint: which layer, which files.
pub fn explain(store: &CacheStore, current: &Fingerprint) -> MissReason {
    let Some(last) = store
        .peek(LAST_KEY)
        .and_then(|bytes| serde_json::from_slice::<Fingerprint>(&bytes).ok())
    else {
        return MissReason::FirstBuild;
    };
    let mut changes = Vec::new();
    if last.build_plan != current.build_plan {
        changes.push("the config, mode or env variables changed (build-plan hash)".to_string());
    }
    if last.output_target != current.output_target {
        changes.push(
            "targets, minify, source maps or the nexxo executable changed (output-target hash)"
                .to_string(),
        );
    }
    let mut files = Vec::new();
    for (path, hash) in &current.files {
        match last.files.get(path) {
            None => files.push(format!("{path} added")),
            Some(old) if old != hash => files.push(format!("{path} changed")),
            _ => {}
        }
    }
    for path in last
        .files
        .keys()
        .filter(|p| !current.files.contains_key(*p))
    {
        files.push(format!("{path} removed"));
    }
    if !files.is_empty() {
        changes.push(format!("input fingerprint: {}", shorten(&files)));
    }
    if changes.is_empty() {
        // Same fingerprint as the last build, whose entry has since been evicted.
        return MissReason::Unverified(
            "the earlier build's entry was evicted from the cache".into(),
        );
    }
    MissReason::Changed(changes)
}

fn shorten(items: &[String]) -> String {
    if items.len() <= 8 {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..8].join(", "), items.len() - 8)
    }
}
