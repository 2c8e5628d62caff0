//! The CSS stage's results in the persistent cache: a stylesheet whose files (the sheet, its
//! `@import`s and Sass partials) all still have the content they had is not compiled again.
//! The key is the file and the options (targets, minify, maps, CSS Modules pattern) plus
//! Nexxo's version; the entry is checked against the files' content hashes on every read.

use std::path::Path;
use std::sync::Arc;

use nexxo_cache::{file_hash, hash_hex, CacheStore};
use nexxo_diagnostics::events::event;
use nexxo_diagnostics::Diagnostic;
use serde_json::json;

use crate::{compile_stylesheet, relative_name, CompiledCss, CssOptions};

#[derive(Debug)]
pub struct StylesheetCache {
    store: Arc<CacheStore>,
    options_key: String,
}

impl StylesheetCache {
    pub fn new(store: Arc<CacheStore>, options: &CssOptions) -> Self {
        let options_text = format!("{}|{options:?}", env!("CARGO_PKG_VERSION"));
        Self {
            store,
            options_key: hash_hex(&[options_text.as_bytes()]),
        }
    }

    /// [`compile_stylesheet`], or its earlier result when no file it read has changed.
    /// Errors are never cached: a broken file is compiled (and reported) every time.
    pub fn compile(&self, path: &Path, options: &CssOptions) -> Result<CompiledCss, Diagnostic> {
        if !self.store.is_enabled() {
            return compile_stylesheet(path, options);
        }
        let id = relative_name(&options.root, path);
        let key = format!(
            "css:{}",
            hash_hex(&[
                self.options_key.as_bytes(),
                path.to_string_lossy().as_bytes()
            ])
        );
        match self.store.get_file_bound::<CompiledCss>(key.as_bytes()) {
            Ok(compiled) => {
                event("module", json!({"id": id, "stage": "css", "cache": "hit"}));
                Ok(compiled)
            }
            Err(reason) => {
                event(
                    "module",
                    json!({"id": id, "stage": "css", "cache": "miss", "reason": reason}),
                );
                let hash_before = file_hash(path);
                let compiled = compile_stylesheet(path, options)?;
                self.store.put_file_bound(
                    key.as_bytes(),
                    &compiled,
                    &compiled.files,
                    path,
                    hash_before.as_deref(),
                );
                Ok(compiled)
            }
        }
    }
}
