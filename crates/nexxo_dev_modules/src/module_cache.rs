//! Compiled modules in the persistent cache (the `dev` store), so a restarted `nexxo dev`
//! serves the app without compiling again.
//!
//! The key is the module id and everything of the session that changes compiled code (Nexxo's
//! build, `define` and env values, CSS settings, the transform settings: React Refresh and
//! oxc's plugins such as styled-components, and the user plugins' code and granted files).
//! The value keeps the content
//! hash of every file the compile read (a Sass partial too) and is only used when they all
//! still match. Those hashes are taken after the compile, so a compile during which any of its
//! files was saved is not stored (its output may be of the old content).

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use nexxo_cache::{hash_hex, CacheStore};
use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::events::event;
use serde_json::json;

use crate::load::LoadedModule;
use crate::transform::TransformSettings;

pub use nexxo_cache::file_hash;

pub struct ModuleCache {
    pub store: Arc<CacheStore>,
    session_key: String,
}

impl ModuleCache {
    /// `plugins`: the user plugins' fingerprints (`PluginContainer::fingerprint`).
    pub fn new(
        store: Arc<CacheStore>,
        config: &ResolvedConfig,
        settings: &TransformSettings,
        plugins: &str,
    ) -> Self {
        let session = format!(
            "{}|{:?}|{:?}|{}|{:?}|{}|{}|{plugins}",
            nexxo_cache::tool_fingerprint(),
            config.define,
            config.alias,
            config.css_modules_pattern,
            config.targets,
            config.base,
            settings.fingerprint()
        );
        Self {
            store,
            session_key: hash_hex(&[session.as_bytes(), config.root.to_string_lossy().as_bytes()]),
        }
    }

    fn key(&self, id: &str) -> Vec<u8> {
        format!(
            "module:{}",
            hash_hex(&[self.session_key.as_bytes(), id.as_bytes()])
        )
        .into_bytes()
    }

    /// The cached compile of `id`, if every file it read is unchanged. Logs the outcome.
    pub fn get(&self, id: &str) -> Option<LoadedModule> {
        if !self.store.is_enabled() {
            return None;
        }
        match self.store.get_file_bound::<LoadedModule>(&self.key(id)) {
            Ok(module) => {
                event("module", json!({"id": id, "cache": "hit"}));
                Some(module)
            }
            Err(reason) => {
                event(
                    "module",
                    json!({"id": id, "cache": "miss", "reason": reason}),
                );
                None
            }
        }
    }

    /// Stores a compile of `id` (file `path`, whose hash before it was read is `hash_before`)
    /// that started at `started`, unless `path` or any other file it read may have been saved
    /// since. (The graph compiles a module once at a time, under its lock.)
    pub fn put(
        &self,
        id: &str,
        path: &Path,
        hash_before: Option<String>,
        started: SystemTime,
        module: &LoadedModule,
    ) {
        if hash_before.is_none() || file_hash(path) != hash_before {
            return;
        }
        self.store
            .put_file_bound_since(&self.key(id), module, &module.files, started);
    }

    /// The import specifiers the lazy-import scan read from `path` (as written, type-only
    /// imports left out), while the file keeps its content. Resolution is done again by the
    /// caller, so a file that appears or moves is still found.
    pub fn get_scan(&self, path: &Path) -> Option<Vec<String>> {
        if !self.store.is_enabled() {
            return None;
        }
        self.store.get_file_bound(&self.scan_key(path)).ok()
    }

    /// Stores what the scan read from `path`, whose content hashed to `hash` when it was read.
    pub fn put_scan(&self, path: &Path, hash: String, specifiers: &[String]) {
        self.store.put_file_bound(
            &self.scan_key(path),
            &specifiers,
            &[(path.to_path_buf(), hash)],
        );
    }

    fn scan_key(&self, path: &Path) -> Vec<u8> {
        format!(
            "scan:{}",
            hash_hex(&[
                nexxo_cache::tool_fingerprint().as_bytes(),
                path.to_string_lossy().as_bytes()
            ])
        )
        .into_bytes()
    }
}
