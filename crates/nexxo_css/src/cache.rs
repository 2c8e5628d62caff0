//! The CSS stage's results in the persistent cache: a stylesheet whose files (the sheet, its
//! `@import`s and Sass partials) all still have the content they had is not compiled again.
//! The key is the file and the options (targets, minify, maps, CSS Modules pattern) plus
//! Nexxo's build ([`nexxo_cache::tool_fingerprint`]); the entry is checked against the files'
//! content hashes on every read. Those hashes are of the bytes the compile read, so a file saved
//! mid-compile makes the entry miss instead of pairing its new hash with the old output.
//!
//! The cache also records every file the stage's results were made from ([`CssInputs`]), so the
//! whole-build cache can bind its entry to stylesheets read from `node_modules` or from outside
//! the project, and to the files their `url()`s point at.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use nexxo_cache::{file_hash, hash_hex, tool_fingerprint, CacheStore};
use nexxo_diagnostics::events::event;
use nexxo_diagnostics::Diagnostic;
use serde_json::json;

use crate::{compile_stylesheet_hashing_reads, relative_name, CompiledCss, CssOptions};

/// The files the CSS stage's results were made from, each with the content hash of the
/// version used.
#[derive(Debug, Default)]
pub struct CssInputs {
    files: Mutex<BTreeMap<PathBuf, String>>,
}

impl CssInputs {
    /// Every file recorded so far, with its hash.
    pub fn files(&self) -> BTreeMap<PathBuf, String> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, files: impl IntoIterator<Item = (PathBuf, String)>) {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(files);
    }
}

#[derive(Debug)]
pub struct StylesheetCache {
    store: Arc<CacheStore>,
    options_key: String,
    inputs: Arc<CssInputs>,
}

impl StylesheetCache {
    pub fn new(store: Arc<CacheStore>, options: &CssOptions) -> Self {
        let options_text = format!("{}|{options:?}", tool_fingerprint());
        Self {
            store,
            options_key: hash_hex(&[options_text.as_bytes()]),
            inputs: Arc::default(),
        }
    }

    /// Records the files of every sheet compiled or restored into `inputs` (shared with the
    /// whole-build cache).
    pub fn recording_inputs(mut self, inputs: Arc<CssInputs>) -> Self {
        self.inputs = inputs;
        self
    }

    /// [`crate::compile_stylesheet`], or its earlier result when no file it read has changed.
    /// Errors are never cached: a broken file is compiled (and reported) every time.
    pub fn compile(&self, path: &Path, options: &CssOptions) -> Result<CompiledCss, Diagnostic> {
        if !self.store.is_enabled() {
            let (compiled, read) = compile_stylesheet_hashing_reads(path, options)?;
            self.record(&compiled, read, &options.root);
            return Ok(compiled);
        }
        let id = relative_name(&options.root, path);
        let key = format!(
            "css:{}",
            hash_hex(&[
                self.options_key.as_bytes(),
                path.to_string_lossy().as_bytes()
            ])
        );
        match self
            .store
            .get_file_bound_with_hashes::<CompiledCss>(key.as_bytes())
        {
            Ok((compiled, verified)) => {
                event("module", json!({"id": id, "stage": "css", "cache": "hit"}));
                self.record(&compiled, verified, &options.root);
                Ok(compiled)
            }
            Err(reason) => {
                event(
                    "module",
                    json!({"id": id, "stage": "css", "cache": "miss", "reason": reason}),
                );
                let (compiled, read) = compile_stylesheet_hashing_reads(path, options)?;
                self.store.put_file_bound(key.as_bytes(), &compiled, &read);
                self.record(&compiled, read, &options.root);
                Ok(compiled)
            }
        }
    }

    /// Records the files a result was made from, and the local files its `url()`s name: those
    /// are read by the caller after this returns, so hashing them now can only make a later
    /// lookup miss, never pair a new hash with old output.
    fn record(&self, compiled: &CompiledCss, read: Vec<(PathBuf, String)>, root: &Path) {
        let assets: Vec<(PathBuf, String)> = compiled
            .urls
            .iter()
            .filter_map(|url| {
                let file = local_url_file(&url.url, &url.from_file, root)?;
                Some((file.clone(), file_hash(&file)?))
            })
            .collect();
        self.inputs.record(read.into_iter().chain(assets));
    }
}

/// The file a `url()` written in `from_file` names, when it is a local file (not a data,
/// remote or fragment URL).
fn local_url_file(url: &str, from_file: &Path, root: &Path) -> Option<PathBuf> {
    if url.is_empty()
        || url.starts_with("data:")
        || url.starts_with('#')
        || url.starts_with("//")
        || url.contains("://")
    {
        return None;
    }
    let path_part = url.split(['?', '#']).next()?;
    let joined = match path_part.strip_prefix('/') {
        Some(rest) => root.join(rest),
        None => from_file.parent()?.join(path_part),
    };
    // `./a.svg` and `../img/a.svg` name the same file as its plain path: one record each.
    let mut file = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                file.pop();
            }
            other => file.push(other),
        }
    }
    file.is_file().then_some(file)
}
