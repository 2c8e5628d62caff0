//! Nexxo's persistent cache: one RocksDB store per kind of run (`dev`, `build`, `lib`) under
//! `cacheDir` (default `node_modules/.nexxo`), so `nexxo dev` and `nexxo build` can run at the
//! same time on one project.
//!
//! The cache is never the reason a run fails: a store that is locked by another process or
//! cannot be opened is skipped with one warning; a corrupt one is moved aside and replaced.
//! Values are addressed by content hashes computed by the callers, who also verify what they
//! read (see `nexxo_build::cache` and `nexxo_dev_modules`' module cache).
//!
//! Size is bounded: every entry records its last use and size; when the store grows past its
//! cap, the least recently used entries are deleted down to 80% of it and compacted away.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocksdb::{ColumnFamilyDescriptor, DBCompressionType, ErrorKind, Options, WriteBatch, DB};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Column family holding, per key, its last use and value size (for eviction).
const USAGE: &str = "usage";
/// Key (in the default column family) of the last run's statistics.
const LAST_RUN_KEY: &[u8] = b"\0nexxo:last-run";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Dev,
    Build,
    Lib,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Dev => "dev",
            StoreKind::Build => "build",
            StoreKind::Lib => "lib",
        }
    }

    pub const ALL: [StoreKind; 3] = [StoreKind::Dev, StoreKind::Build, StoreKind::Lib];
}

/// One open store (or none, when it could not be opened).
pub struct CacheStore {
    db: Option<DB>,
    kind: StoreKind,
    cap_bytes: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    /// Value bytes written since the size cap was last checked.
    written_since_check: AtomicU64,
    /// Keys read this run, to record their use in one batch at the end.
    used: Mutex<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for CacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheStore")
            .field("kind", &self.kind)
            .field("enabled", &self.db.is_some())
            .field("cap_bytes", &self.cap_bytes)
            .finish_non_exhaustive()
    }
}

/// A cached value with the content hash of every file it was made from.
#[derive(Serialize, Deserialize)]
struct FileBound<T> {
    files: Vec<(PathBuf, String)>,
    value: T,
}

/// The last run's counters, as `nexxo cache stats` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    pub hits: u64,
    pub misses: u64,
    pub writes: u64,
}

impl RunStats {
    pub fn hit_rate(&self) -> Option<f64> {
        let total = self.hits + self.misses;
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

fn options() -> Options {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.set_compression_type(DBCompressionType::Lz4);
    // Small memtables and few log files: a cache should not hold much beside its data.
    options.set_write_buffer_size(16 * 1024 * 1024);
    options.set_max_total_wal_size(64 * 1024 * 1024);
    options.set_keep_log_file_num(2);
    options.set_max_log_file_size(1024 * 1024);
    options.set_level_compaction_dynamic_level_bytes(true);
    options
}

fn open_db(path: &Path) -> Result<DB, rocksdb::Error> {
    let families = vec![
        ColumnFamilyDescriptor::new(rocksdb::DEFAULT_COLUMN_FAMILY_NAME, options()),
        ColumnFamilyDescriptor::new(USAGE, options()),
    ];
    DB::open_cf_descriptors(&options(), path, families)
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The time recorded as an entry's last use: milliseconds, because builds a few milliseconds
/// apart must still be told apart, or eviction could drop the newest build's entries before
/// older ones. (Records from stores written with seconds look older, and go first.)
fn now_for_usage() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The folder of one store.
pub fn store_path(cache_dir: &Path, kind: StoreKind) -> PathBuf {
    cache_dir.join(kind.name())
}

impl CacheStore {
    /// Opens the `kind` store under `cache_dir`. Problems become one warning each (passed to
    /// `warn`), never an error.
    pub fn open(cache_dir: &Path, kind: StoreKind, cap_bytes: u64, warn: &dyn Fn(String)) -> Self {
        let path = store_path(cache_dir, kind);
        if !may_hold_store(&path) {
            // A folder of the user's that happens to have a store's name (cacheDir pointed at
            // the project, say): RocksDB would write its files among theirs, and `cache clear`
            // would then delete it.
            warn(format!(
                "cache: {} is not a Nexxo cache store; continuing without the {} cache",
                path.display(),
                kind.name()
            ));
            return Self::disabled(kind);
        }
        let db = match std::fs::create_dir_all(&path).map_err(|e| e.to_string()) {
            Err(err) => {
                warn(format!(
                    "cache: cannot create {} ({err}); continuing without the {} cache",
                    path.display(),
                    kind.name()
                ));
                None
            }
            Ok(()) => match open_db(&path) {
                Ok(db) => Some(db),
                Err(err) if is_locked(&err) => {
                    warn(format!(
                        "cache: the {} cache is in use by another nexxo process; continuing without it",
                        kind.name()
                    ));
                    None
                }
                Err(err) if !is_store_dir(&path) => {
                    // Not a store (only RocksDB's lock and log files): nothing to move aside.
                    warn(format!(
                        "cache: cannot open the {} cache ({}); continuing without it",
                        kind.name(),
                        first_line(err.as_ref())
                    ));
                    None
                }
                Err(err) => {
                    // Unreadable or corrupt: keep the files for a bug report, start afresh.
                    let aside =
                        path.with_file_name(format!("{}.corrupt-{}", kind.name(), now_seconds()));
                    let moved = std::fs::rename(&path, &aside).is_ok();
                    warn(format!(
                        "cache: the {} cache could not be read ({}){}; starting a new one",
                        kind.name(),
                        first_line(err.as_ref()),
                        if moved {
                            format!(", moved it to {}", aside.display())
                        } else {
                            String::new()
                        }
                    ));
                    match std::fs::create_dir_all(&path)
                        .ok()
                        .and_then(|_| open_db(&path).ok())
                    {
                        Some(db) => Some(db),
                        None => {
                            warn(format!(
                                "cache: cannot create a new {} cache; continuing without it",
                                kind.name()
                            ));
                            None
                        }
                    }
                }
            },
        };
        Self {
            db,
            kind,
            cap_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            written_since_check: AtomicU64::new(0),
            used: Mutex::new(Vec::new()),
        }
    }

    /// A store that caches nothing (for `--no-cache` style callers and tests).
    pub fn disabled(kind: StoreKind) -> Self {
        Self {
            db: None,
            kind,
            cap_bytes: 0,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            written_since_check: AtomicU64::new(0),
            used: Mutex::new(Vec::new()),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.db.is_some()
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Reads `key`; counts a hit or a miss.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let value = self.peek(key);
        self.count(key, value.is_some());
        value
    }

    fn count(&self, key: &[u8], hit: bool) {
        if hit {
            self.hits.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut used) = self.used.lock() {
                used.push(key.to_vec());
            }
        } else {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Reads a value stored with [`CacheStore::put_file_bound`]: a hit only while every file it
    /// was made from still has the content it had then. `Err` says why it missed.
    pub fn get_file_bound<T: DeserializeOwned>(&self, key: &[u8]) -> Result<T, String> {
        self.get_file_bound_with_hashes(key).map(|(value, _)| value)
    }

    /// [`CacheStore::get_file_bound`], also returning the files the value was made from with
    /// their (just verified) content hashes.
    pub fn get_file_bound_with_hashes<T: DeserializeOwned>(
        &self,
        key: &[u8],
    ) -> Result<(T, Vec<(PathBuf, String)>), String> {
        let outcome = match self.peek(key) {
            None => Err("not in the cache".to_string()),
            Some(bytes) => match serde_json::from_slice::<FileBound<T>>(&bytes) {
                Err(_) => Err("unreadable cache entry".to_string()),
                Ok(entry) => match entry
                    .files
                    .iter()
                    .find(|(path, hash)| file_hash(path).as_ref() != Some(hash))
                {
                    Some((path, _)) => Err(format!("{} changed", path.display())),
                    None => Ok((entry.value, entry.files)),
                },
            },
        };
        self.count(key, outcome.is_ok());
        outcome
    }

    /// Stores `value` with the content hash of every file it was made from, each hashed from
    /// the very bytes the compile read: an edit made while compiling cannot end up recorded
    /// next to output made from the old content, since the entry then simply misses. Returns
    /// whether it was stored.
    pub fn put_file_bound<T: Serialize>(
        &self,
        key: &[u8],
        value: &T,
        files: &[(PathBuf, String)],
    ) -> bool {
        if !self.is_enabled() {
            return false;
        }
        let entry = FileBound {
            files: files.to_vec(),
            value,
        };
        match serde_json::to_vec(&entry) {
            Ok(bytes) => self.put(key, &bytes),
            Err(_) => false,
        }
    }

    /// Stores `value` made from `files` by a compile that started at `compile_started`, for
    /// callers that cannot hash what they read: the files are hashed now, so when any of them
    /// may have been written since the compile started (see [`may_have_changed_since`]),
    /// nothing is stored, as the output may be of the old content. Returns whether it was
    /// stored.
    pub fn put_file_bound_since<T: Serialize>(
        &self,
        key: &[u8],
        value: &T,
        files: &[PathBuf],
        compile_started: SystemTime,
    ) -> bool {
        if !self.is_enabled()
            || files
                .iter()
                .any(|path| may_have_changed_since(path, compile_started))
        {
            return false;
        }
        let hashed: Option<Vec<(PathBuf, String)>> = files
            .iter()
            .map(|path| Some((path.clone(), file_hash(path)?)))
            .collect();
        match hashed {
            Some(hashed) => self.put_file_bound(key, value, &hashed),
            None => false,
        }
    }

    /// Reads `key` without counting it (bookkeeping such as the last build's fingerprint).
    pub fn peek(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.db.as_ref().and_then(|db| db.get(key).ok().flatten())
    }

    /// Writes several entries atomically: after a crash either all are there or none. Returns
    /// whether they were written.
    pub fn put_all(&self, entries: &[(&[u8], &[u8])]) -> bool {
        let Some(db) = &self.db else { return false };
        let Some(usage) = db.cf_handle(USAGE) else {
            return false;
        };
        let now = now_for_usage();
        let mut batch = WriteBatch::default();
        for (key, value) in entries {
            batch.put(key, value);
            batch.put_cf(&usage, key, usage_record(now, value.len() as u64));
        }
        let written = db.write(batch).is_ok();
        if written {
            self.writes
                .fetch_add(entries.len() as u64, Ordering::Relaxed);
            // A long dev session never ends a run: check the cap every eighth of it written.
            let bytes: u64 = entries.iter().map(|(_, value)| value.len() as u64).sum();
            let since_check = self.written_since_check.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if since_check > self.cap_bytes / 8 {
                self.written_since_check.store(0, Ordering::Relaxed);
                self.record_use(db);
                self.evict_over_cap(db);
            }
        }
        written
    }

    pub fn put(&self, key: &[u8], value: &[u8]) -> bool {
        self.put_all(&[(key, value)])
    }

    /// Ends a run: records which entries were used, the run's counters, and evicts the least
    /// recently used entries when the store is over its cap.
    pub fn finish(&self) -> RunStats {
        let stats = RunStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        };
        let Some(db) = &self.db else { return stats };
        if let Ok(text) = serde_json::to_vec(&stats) {
            let _ = db.put(LAST_RUN_KEY, text);
        }
        self.record_use(db);
        self.evict_over_cap(db);
        stats
    }

    /// Stamps the entries read since the last call with the current time, so eviction keeps
    /// them.
    fn record_use(&self, db: &DB) {
        let Some(usage) = db.cf_handle(USAGE) else {
            return;
        };
        let now = now_for_usage();
        let mut batch = WriteBatch::default();
        for key in self
            .used
            .lock()
            .map(|mut u| std::mem::take(&mut *u))
            .unwrap_or_default()
        {
            let size = db
                .get_cf(&usage, &key)
                .ok()
                .flatten()
                .map(|record| parse_usage(&record).1)
                .unwrap_or(0);
            batch.put_cf(&usage, &key, usage_record(now, size));
        }
        let _ = db.write(batch);
    }

    /// Bytes the store's data takes (SST files and memtables).
    pub fn size_on_disk(&self) -> u64 {
        let Some(db) = &self.db else { return 0 };
        let property = |name: &str| db.property_int_value(name).ok().flatten().unwrap_or(0);
        let mut total =
            property("rocksdb.total-sst-files-size") + property("rocksdb.cur-size-all-mem-tables");
        if let Some(usage) = db.cf_handle(USAGE) {
            total += db
                .property_int_value_cf(&usage, "rocksdb.total-sst-files-size")
                .ok()
                .flatten()
                .unwrap_or(0);
        }
        total
    }

    fn evict_over_cap(&self, db: &DB) {
        // The values' own sizes decide (compression makes the files smaller, so this errs on
        // the side of keeping the store small).
        let Some(usage) = db.cf_handle(USAGE) else {
            return;
        };
        let mut entries: Vec<(u64, u64, Vec<u8>)> = db
            .iterator_cf(&usage, rocksdb::IteratorMode::Start)
            .filter_map(Result::ok)
            .map(|(key, record)| {
                let (used_at, size) = parse_usage(&record);
                (used_at, size, key.to_vec())
            })
            .collect();
        let total: u64 = entries.iter().map(|(_, size, _)| size + 64).sum();
        if total <= self.cap_bytes {
            return;
        }
        entries.sort();
        let target = self.cap_bytes / 10 * 8;
        let mut remaining = total;
        let mut batch = WriteBatch::default();
        for (_, size, key) in entries {
            if remaining <= target {
                break;
            }
            batch.delete(&key);
            batch.delete_cf(&usage, &key);
            remaining -= size + 64;
        }
        if db.write(batch).is_ok() {
            db.compact_range::<&[u8], &[u8]>(None, None);
            db.compact_range_cf::<&[u8], &[u8]>(&usage, None, None);
        }
    }

    /// Number of entries (exact count from the usage records).
    pub fn entry_count(&self) -> u64 {
        let Some(db) = &self.db else { return 0 };
        let Some(usage) = db.cf_handle(USAGE) else {
            return 0;
        };
        db.iterator_cf(&usage, rocksdb::IteratorMode::Start).count() as u64
    }

    /// The counters of the last finished run.
    pub fn last_run(&self) -> Option<RunStats> {
        let db = self.db.as_ref()?;
        let bytes = db.get(LAST_RUN_KEY).ok().flatten()?;
        serde_json::from_slice(&bytes).ok()
    }
}

fn usage_record(used_at: u64, size: u64) -> Vec<u8> {
    let mut record = used_at.to_be_bytes().to_vec();
    record.extend_from_slice(&size.to_be_bytes());
    record
}

fn parse_usage(record: &[u8]) -> (u64, u64) {
    let number = |range: std::ops::Range<usize>| {
        record
            .get(range)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0)
    };
    (number(0..8), number(8..16))
}

/// Whether opening failed because another process (or this one) holds the store's `LOCK`
/// file. Only RocksDB's own wording of a failed lock counts: the rest of the text holds the
/// store's path, which may contain anything (`~/clockwork/app`).
fn is_locked(error: &rocksdb::Error) -> bool {
    error.kind() == ErrorKind::IOError && is_lock_message(error.as_ref())
}

fn is_lock_message(text: &str) -> bool {
    // RocksDB's messages (env/fs_posix.cc, port/win/env_win.cc): `IO error: While lock file:
    // <path>/LOCK: Resource temporarily unavailable` (another process), `IO error: lock hold by
    // current process, acquire time …: <path>/LOCK: No locks available` (this process) and
    // `IO error: Failed to create lock file: <path>/LOCK: …` (Windows, file in use).
    let Some(detail) = text.strip_prefix("IO error: ") else {
        return false;
    };
    [
        "While lock file: ",
        "lock hold by current process",
        "Failed to create lock file: ",
    ]
    .iter()
    .any(|context| detail.starts_with(context))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// Whether `dir` is a RocksDB store: RocksDB writes `CURRENT` and `IDENTITY` when it creates
/// one. Only such folders are ever deleted or moved aside.
fn is_store_dir(dir: &Path) -> bool {
    dir.join("CURRENT").is_file() || dir.join("IDENTITY").is_file()
}

/// Whether a store may be opened (and created) at `dir`: a missing or empty folder, a store,
/// or what a store's creation leaves when it is interrupted (RocksDB's own file names only).
fn may_hold_store(dir: &Path) -> bool {
    if is_store_dir(dir) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Missing (created on open) or unreadable (open reports it).
        return true;
    };
    entries.flatten().all(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        name == "LOCK"
            || name.starts_with("LOG")
            || name.starts_with("MANIFEST-")
            || name.starts_with("OPTIONS-")
            || [".log", ".sst", ".blob", ".dbtmp"]
                .iter()
                .any(|extension| name.ends_with(extension))
    })
}

/// Deletes every store under `cache_dir` (and stores moved aside as corrupt). Folders with a
/// store's name that are not RocksDB stores are left alone.
pub fn clear(cache_dir: &Path) -> std::io::Result<u64> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(cache_dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let has_store_name = StoreKind::ALL
            .iter()
            .any(|k| name == k.name() || name.starts_with(&format!("{}.corrupt-", k.name())));
        let path = entry.path();
        let is_folder = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if has_store_name && is_folder && is_store_dir(&path) {
            std::fs::remove_dir_all(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Nexxo's version plus the size and modification time of the running executable, for cache
/// keys: a rebuilt `nexxo` (a local build, a patched release) keeps its version number but can
/// compile differently, so its entries must not be reused. Computed once per process.
pub fn tool_fingerprint() -> &'static str {
    static FINGERPRINT: OnceLock<String> = OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        let executable = std::env::current_exe().and_then(std::fs::metadata);
        let (size, modified_nanos) = match executable {
            Ok(metadata) => (
                metadata.len(),
                metadata
                    .modified()
                    .ok()
                    .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |since| since.as_nanos()),
            ),
            Err(_) => (0, 0),
        };
        format!("{}+{size}-{modified_nanos}", env!("CARGO_PKG_VERSION"))
    })
}

/// Whether the file at `path` may have been written at or after `instant`, judged by its
/// modification time. File systems stamp writes with a coarse clock, so a write made just
/// after `instant` can carry a stamp slightly before it: a few milliseconds on Linux and
/// Windows, whole seconds on FAT, HFS+ and some network mounts (whose stamps have no sub-second
/// part). A stamp within that margin before `instant` therefore counts as "maybe changed", as
/// does a file whose time cannot be read.
pub fn may_have_changed_since(path: &Path, instant: SystemTime) -> bool {
    let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return true;
    };
    let whole_seconds = modified
        .duration_since(UNIX_EPOCH)
        .map_or(true, |since| since.subsec_nanos() == 0);
    let margin = if whole_seconds {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(50)
    };
    modified + margin > instant
}

/// Content hash of a file's bytes, as cache entries record it.
pub fn file_hash(path: &Path) -> Option<String> {
    // A FIFO or device in the project would block the read forever: it has no hash.
    nexxo_diagnostics::input::read_regular(path)
        .ok()
        .map(|bytes| hash_hex(&[&bytes]))
}

/// A 128-bit content hash as 32 hex characters (keys and fingerprints).
pub fn hash_hex(parts: &[&[u8]]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    format!("{:032x}", hasher.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_CAP_BYTES: u64 = 512 * 1024 * 1024;

    fn quiet(_: String) {}

    #[test]
    fn values_survive_a_reopen_and_count_hits() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &quiet);
            assert!(store.is_enabled());
            store.put(b"k", b"v");
            assert_eq!(store.get(b"missing"), None);
            store.finish();
        }
        let store = CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &quiet);
        assert_eq!(store.get(b"k").as_deref(), Some(&b"v"[..]));
        let stats = store.finish();
        assert_eq!((stats.hits, stats.misses), (1, 0));
        assert_eq!(store.last_run(), Some(stats));
    }

    #[test]
    fn a_locked_store_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let first = CacheStore::open(dir.path(), StoreKind::Dev, DEFAULT_CAP_BYTES, &quiet);
        let warnings = Mutex::new(Vec::new());
        let second = CacheStore::open(dir.path(), StoreKind::Dev, DEFAULT_CAP_BYTES, &|w| {
            warnings.lock().unwrap().push(w)
        });
        assert!(first.is_enabled() && !second.is_enabled());
        assert!(
            warnings.lock().unwrap()[0].contains("in use"),
            "{:?}",
            warnings.lock().unwrap()
        );
        // Another kind opens fine beside it.
        assert!(
            CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &quiet).is_enabled()
        );
    }

    #[test]
    fn a_corrupt_store_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &quiet);
            store.put(b"k", b"v");
            store.finish();
        }
        let path = store_path(dir.path(), StoreKind::Build);
        for entry in std::fs::read_dir(&path).unwrap().flatten() {
            std::fs::write(entry.path(), b"garbage bytes, not a rocksdb file").unwrap();
        }
        let warnings = Mutex::new(Vec::new());
        let store = CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &|w| {
            warnings.lock().unwrap().push(w)
        });
        assert!(store.is_enabled());
        assert_eq!(store.get(b"k"), None);
        assert!(
            warnings.lock().unwrap()[0].contains("moved it to"),
            "{:?}",
            warnings.lock().unwrap()
        );
    }

    /// Sets a file's modification time to a minute ago, as if it was saved well before a
    /// compile started.
    fn backdate(path: &Path) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
    }

    #[test]
    fn file_bound_values_miss_once_a_file_they_were_made_from_changes() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.scss");
        let partial = dir.path().join("_b.scss");
        std::fs::write(&source, "@use 'b';").unwrap();
        std::fs::write(&partial, "$x: 1;").unwrap();
        let store = CacheStore::open(
            &dir.path().join("cache"),
            StoreKind::Build,
            DEFAULT_CAP_BYTES,
            &quiet,
        );
        let read = |path: &PathBuf| (path.clone(), file_hash(path).unwrap());
        assert!(store.put_file_bound(
            b"k",
            &"compiled".to_string(),
            &[read(&source), read(&partial)],
        ));
        assert_eq!(
            store.get_file_bound::<String>(b"k"),
            Ok("compiled".to_string())
        );
        std::fs::write(&partial, "$x: 2;").unwrap();
        let miss = store.get_file_bound::<String>(b"k").unwrap_err();
        assert!(miss.contains("_b.scss changed"), "{miss}");
        let stats = store.finish();
        assert_eq!((stats.hits, stats.misses), (1, 1));
    }

    #[test]
    fn a_partial_edited_while_compiling_never_gets_its_new_hash_next_to_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.scss");
        let partial = dir.path().join("_b.scss");
        std::fs::write(&source, "@use 'b';").unwrap();
        std::fs::write(&partial, "$x: 1;").unwrap();
        let store = CacheStore::open(
            &dir.path().join("cache"),
            StoreKind::Dev,
            DEFAULT_CAP_BYTES,
            &quiet,
        );
        // Hashed as read: the compile saw `$x: 1`, the partial is then saved with `$x: 2`.
        let as_read = vec![
            (source.clone(), file_hash(&source).unwrap()),
            (partial.clone(), file_hash(&partial).unwrap()),
        ];
        std::fs::write(&partial, "$x: 2;").unwrap();
        assert!(store.put_file_bound(b"read", &"x is 1".to_string(), &as_read));
        let miss = store.get_file_bound::<String>(b"read").unwrap_err();
        assert!(miss.contains("_b.scss changed"), "{miss}");

        // Hashed after the compile: a file saved after the compile started is not stored.
        backdate(&source);
        let started = SystemTime::now();
        std::fs::write(&partial, "$x: 3;").unwrap();
        let files = [source.clone(), partial.clone()];
        assert!(!store.put_file_bound_since(b"since", &"x is 2".to_string(), &files, started));
        assert_eq!(
            store.get_file_bound::<String>(b"since"),
            Err("not in the cache".to_string())
        );
        // Files last saved well before the compile started are.
        backdate(&partial);
        let started = SystemTime::now();
        assert!(store.put_file_bound_since(b"since", &"x is 3".to_string(), &files, started));
        assert_eq!(
            store.get_file_bound::<String>(b"since"),
            Ok("x is 3".to_string())
        );
    }

    #[test]
    fn only_rocksdb_lock_errors_count_as_a_locked_store() {
        assert!(is_lock_message(
            "IO error: While lock file: /home/me/app/node_modules/.nexxo/dev/LOCK: Resource temporarily unavailable"
        ));
        assert!(is_lock_message(
            "IO error: lock hold by current process, acquire time 1700000000 acquiring thread 42: /app/node_modules/.nexxo/dev/LOCK: No locks available"
        ));
        assert!(!is_lock_message(
            "IO error: No such file or directory: While opening a file for sequentially reading: /home/me/clockwork/node_modules/.nexxo/build/MANIFEST-000009: No such file or directory"
        ));
        assert!(!is_lock_message(
            "Corruption: bad record in /srv/blocklist/node_modules/.nexxo/build/000004.log"
        ));
    }

    #[test]
    fn a_broken_store_under_a_path_containing_lock_is_moved_aside_not_called_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("clockwork").join("cache");
        {
            let store = CacheStore::open(&cache_dir, StoreKind::Build, DEFAULT_CAP_BYTES, &quiet);
            store.put(b"k", b"v");
            store.finish();
        }
        // CURRENT names a manifest that is gone: RocksDB's IO error quotes the full path.
        let path = store_path(&cache_dir, StoreKind::Build);
        std::fs::write(path.join("CURRENT"), "MANIFEST-999999\n").unwrap();
        let warnings = Mutex::new(Vec::new());
        let store = CacheStore::open(&cache_dir, StoreKind::Build, DEFAULT_CAP_BYTES, &|w| {
            warnings.lock().unwrap().push(w)
        });
        let warnings = warnings.into_inner().unwrap();
        assert!(store.is_enabled(), "{warnings:?}");
        assert!(warnings[0].contains("moved it to"), "{warnings:?}");
        assert!(!warnings[0].contains("in use"), "{warnings:?}");
        // The case that matters: an IO error whose text quotes the path (with "lock" in it).
        assert!(
            warnings[0].contains("IO error") && warnings[0].contains("clockwork"),
            "{warnings:?}"
        );

        // A store really held by another open is still recognised under that path.
        let warnings = Mutex::new(Vec::new());
        let second = CacheStore::open(&cache_dir, StoreKind::Build, DEFAULT_CAP_BYTES, &|w| {
            warnings.lock().unwrap().push(w)
        });
        assert!(!second.is_enabled());
        assert!(warnings.lock().unwrap()[0].contains("in use"));
    }

    #[test]
    fn folders_that_are_not_stores_are_never_opened_moved_or_cleared() {
        let dir = tempfile::tempdir().unwrap();
        // cacheDir pointed at the project: its `lib` folder holds sources.
        let sources = store_path(dir.path(), StoreKind::Lib);
        std::fs::create_dir_all(&sources).unwrap();
        std::fs::write(sources.join("index.ts"), "export {};").unwrap();
        std::fs::create_dir_all(dir.path().join("dev.corrupt-1")).unwrap();
        let warnings = Mutex::new(Vec::new());
        let store = CacheStore::open(dir.path(), StoreKind::Lib, DEFAULT_CAP_BYTES, &|w| {
            warnings.lock().unwrap().push(w)
        });
        assert!(!store.is_enabled());
        assert!(
            warnings.lock().unwrap()[0].contains("is not a Nexxo cache store"),
            "{:?}",
            warnings.lock().unwrap()
        );
        drop(store);
        {
            let build = CacheStore::open(dir.path(), StoreKind::Build, DEFAULT_CAP_BYTES, &quiet);
            build.put(b"k", b"v");
            build.finish();
        }
        assert_eq!(clear(dir.path()).unwrap(), 1);
        assert!(!store_path(dir.path(), StoreKind::Build).exists());
        assert_eq!(
            std::fs::read_dir(&sources).unwrap().count(),
            1,
            "only the user's file"
        );
        assert!(dir.path().join("dev.corrupt-1").is_dir());
    }

    #[test]
    fn the_tool_fingerprint_is_the_version_and_the_executable() {
        let fingerprint = tool_fingerprint();
        assert!(fingerprint.starts_with(concat!(env!("CARGO_PKG_VERSION"), "+")));
        let size = std::fs::metadata(std::env::current_exe().unwrap())
            .unwrap()
            .len();
        assert!(fingerprint.contains(&format!("+{size}-")), "{fingerprint}");
        assert_eq!(tool_fingerprint(), fingerprint);
    }

    #[test]
    fn the_size_cap_evicts_least_recently_used_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cap = 200_000;
        let store = CacheStore::open(dir.path(), StoreKind::Build, cap, &quiet);
        let value = vec![7u8; 10_000];
        for round in 0..100u32 {
            store.put(&round.to_be_bytes(), &value);
            store.finish();
        }
        let kept = store.entry_count();
        assert!(
            kept * 10_064 <= cap,
            "{kept} entries of 10 kB kept under a 200 kB cap"
        );
        assert!(kept > 0);
        // The newest entry survives eviction.
        assert!(store.peek(&99u32.to_be_bytes()).is_some());
    }

    #[test]
    fn the_size_cap_holds_in_a_run_that_never_ends() {
        // A dev server writes for hours without finishing its run.
        let dir = tempfile::tempdir().unwrap();
        let cap = 400_000;
        let store = CacheStore::open(dir.path(), StoreKind::Dev, cap, &quiet);
        for round in 0..200u32 {
            store.put(&round.to_be_bytes(), &vec![round as u8; 10_000]);
        }
        let kept = store.entry_count();
        // At most the cap plus what is written between two checks (an eighth of the cap).
        assert!(
            kept * 10_064 <= cap + cap / 8 + 10_064,
            "{kept} entries of 10 kB kept under a 400 kB cap"
        );
        assert!(store.peek(&199u32.to_be_bytes()).is_some());
    }
}
