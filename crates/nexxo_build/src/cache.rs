//! The whole-build cache: when nothing that affects the output changed, the build's files are
//! restored from the cache instead of bundled again, byte for byte.
//!
//! A build's key is made of four fingerprint layers, each a content hash:
//! - **input fingerprint**: every file of the project (outside `node_modules`, outDir and
//!   hidden folders; `.env` files included), by path and content;
//! - **build-plan hash**: the resolved config (mode, base, define and env values, aliases,
//!   chunks, CSS Modules pattern, library settings…);
//! - **output-target hash**: browser targets, minify and source map settings, Nexxo's version;
//! - **module-graph hash**: the files the build read from outside the project (npm packages)
//!   and `node_modules/.package-lock.json` (installed versions). It is stored with the entry and
//!   checked on lookup, since which packages a build reads is only known after it ran.
//!
//! Output files are stored by content hash and checked when read; an entry and its files are
//! written in one atomic batch, so a build killed mid-write leaves either a whole entry or none.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nexxo_cache::{file_hash, hash_hex, CacheStore};
use nexxo_config::ResolvedConfig;
use rayon::prelude::*;
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
}

impl std::fmt::Display for MissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissReason::NoCache => write!(f, "the cache is not available"),
            MissReason::FirstBuild => write!(f, "no earlier build in the cache"),
            MissReason::Changed(changes) => write!(f, "{}", changes.join("; ")),
            MissReason::Unverified(why) => write!(f, "{why}"),
        }
    }
}

/// Files of the project that can change a build.
fn project_files(config: &ResolvedConfig) -> Vec<PathBuf> {
    let mut files = Vec::new();
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
                files.push(path);
            }
        }
    }
    files
}

/// Computes the fingerprint of a build of `config` (hashing in parallel).
pub fn fingerprint(config: &ResolvedConfig) -> Fingerprint {
    let files: BTreeMap<String, String> = project_files(config)
        .par_iter()
        .filter_map(|path| Some((config.display_path(path), file_hash(path)?)))
        .collect();
    let input_parts: Vec<String> = files.iter().map(|(p, h)| format!("{p}\0{h}")).collect();
    let input = hash_hex(&[input_parts.join("\n").as_bytes()]);
    // The config's own text would do, but the resolved form also covers CLI flags and env.
    let mut plan_view = config.clone();
    plan_view.targets.clear();
    plan_view.minify = false;
    plan_view.sourcemap = nexxo_config::Sourcemap::Off;
    let build_plan = hash_hex(&[format!("{plan_view:?}").as_bytes()]);
    let output_target = hash_hex(&[
        format!(
            "{:?}|{}|{:?}",
            config.targets, config.minify, config.sourcemap
        )
        .as_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
    ]);
    Fingerprint {
        input,
        build_plan,
        output_target,
        files,
    }
}

/// The files a build read outside the project: module ids in `node_modules`, plus npm's record
/// of installed versions.
pub fn graph_files(
    config: &ResolvedConfig,
    module_ids: impl IntoIterator<Item = String>,
) -> BTreeMap<PathBuf, String> {
    let mut paths: Vec<PathBuf> = module_ids
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| {
            let outside_project = p.is_absolute() && !p.starts_with(&config.root);
            outside_project || p.components().any(|c| c.as_os_str() == "node_modules")
        })
        .filter(|p| p.is_file())
        .collect();
    for ancestor in config.root.ancestors() {
        let record = ancestor.join("node_modules/.package-lock.json");
        if record.is_file() {
            paths.push(record);
        }
    }
    paths.sort();
    paths.dedup();
    paths
        .par_iter()
        .filter_map(|p| Some((p.clone(), file_hash(p)?)))
        .collect()
}

/// Looks the build up; on a hit returns its output files, verified.
pub fn lookup(store: &CacheStore, fingerprint: &Fingerprint) -> Result<BuildOutput, MissReason> {
    if !store.is_enabled() {
        return Err(MissReason::NoCache);
    }
    let Some(bytes) = store.get(&fingerprint.key()) else {
        return Err(explain(store, fingerprint));
    };
    let entry: Entry = serde_json::from_slice(&bytes)
        .map_err(|_| MissReason::Unverified("the cache entry is unreadable".into()))?;
    let changed: Vec<String> = entry
        .graph_files
        .par_iter()
        .filter(|(path, hash)| file_hash(path).as_ref() != Some(*hash))
        .map(|(path, _)| path.display().to_string())
        .collect();
    if !changed.is_empty() {
        return Err(MissReason::Changed(vec![format!(
            "dependency files changed: {}",
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
pub fn store_build(
    store: &CacheStore,
    fingerprint: &Fingerprint,
    graph_files: BTreeMap<PathBuf, String>,
    output: &BuildOutput,
) {
    if !store.is_enabled() {
        return;
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
        return;
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
    store.put_all(&entries);
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
            "targets, minify, source maps or Nexxo's version changed (output-target hash)"
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
