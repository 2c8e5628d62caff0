//! The CSS stage's results in the persistent cache: a stylesheet whose files (the sheet, its
//! `@import`s and Sass partials) all still have the content they had is not compiled again.
//! The key is the file (or the given text and the file it belongs to) and the options (targets,
//! minify, maps, CSS Modules pattern, the stylesheet transform's fingerprint) plus Nexxo's build
//! ([`nexxo_cache::tool_fingerprint`]); the entry is checked against the files'
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

use crate::{
    compile_stylesheet_hashing_reads, compile_stylesheet_source_hashing_reads, relative_name,
    CompiledCss, CssOptions, StylesheetLang, StylesheetSource,
};

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
        self.compile_cached(path, &[path.to_string_lossy().as_bytes()], options, || {
            compile_stylesheet_hashing_reads(path, options)
        })
    }

    /// [`crate::compile_stylesheet_source`], or its earlier result for the same text when no
    /// file it read (its `@import`s, Sass partials) has changed.
    pub fn compile_source(
        &self,
        source: &StylesheetSource,
        options: &CssOptions,
    ) -> Result<CompiledCss, Diagnostic> {
        let lang = match source.lang {
            StylesheetLang::Css => "css",
            StylesheetLang::Scss => "scss",
            StylesheetLang::Sass => "sass",
        };
        self.compile_cached(
            &source.path,
            &[
                b"source",
                source.path.to_string_lossy().as_bytes(),
                lang.as_bytes(),
                &[u8::from(source.css_module)],
                source.text.as_bytes(),
            ],
            options,
            || compile_stylesheet_source_hashing_reads(source, options),
        )
    }

    /// The result stored under the options and `key_parts` while its files keep their
    /// content, else `compile`'s (then stored).
    fn compile_cached(
        &self,
        path: &Path,
        key_parts: &[&[u8]],
        options: &CssOptions,
        compile: impl FnOnce() -> Result<(CompiledCss, Vec<(PathBuf, String)>), Diagnostic>,
    ) -> Result<CompiledCss, Diagnostic> {
        if !self.store.is_enabled() {
            let (compiled, read) = compile()?;
            self.record(&compiled, read, &options.root);
            return Ok(compiled);
        }
        let id = relative_name(&options.root, path);
        // Asked on every compile: the transform's configuration can change while a dev
        // server runs.
        let transform_fingerprint = options
            .transform
            .as_ref()
            .map(|transform| transform.fingerprint())
            .unwrap_or_default();
        let mut parts = vec![
            self.options_key.as_bytes(),
            transform_fingerprint.as_bytes(),
        ];
        parts.extend_from_slice(key_parts);
        let key = format!("css:{}", hash_hex(&parts));
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
                let (compiled, read) = compile()?;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use nexxo_cache::StoreKind;

    use super::*;
    use crate::{StylesheetTransform, TransformedStylesheet};

    /// Counts its runs (a cache hit runs no transform) and reports `scanned` as a dependency.
    struct CountingTransform {
        runs: AtomicUsize,
        fingerprint: String,
        scanned: PathBuf,
    }

    impl StylesheetTransform for CountingTransform {
        fn wants(&self, _path: &Path, _text: &str) -> bool {
            true
        }

        fn transform(&self, _path: &Path, text: &str) -> Result<TransformedStylesheet, Diagnostic> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            Ok(TransformedStylesheet {
                code: text.to_string(),
                files: vec![self.scanned.clone()],
            })
        }

        fn fingerprint(&self) -> String {
            self.fingerprint.clone()
        }
    }

    fn options_with(root: &Path, transform: &Arc<CountingTransform>) -> CssOptions {
        CssOptions {
            root: root.to_path_buf(),
            targets: Vec::new(),
            minify: false,
            sourcemap: false,
            modules_pattern: "[local]".into(),
            alias: Vec::new(),
            transform: Some(transform.clone()),
        }
    }

    fn counting(fingerprint: &str, scanned: &Path) -> Arc<CountingTransform> {
        Arc::new(CountingTransform {
            runs: AtomicUsize::new(0),
            fingerprint: fingerprint.into(),
            scanned: scanned.to_path_buf(),
        })
    }

    #[test]
    fn a_different_transform_fingerprint_or_a_changed_scanned_file_misses() {
        let project = tempfile::tempdir().unwrap();
        let root = project.path();
        let sheet = root.join("main.css");
        std::fs::write(&sheet, ".a { color: red }").unwrap();
        let scanned = root.join("App.tsx");
        std::fs::write(&scanned, "<p className='a' />").unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let store = Arc::new(CacheStore::open(
            cache_dir.path(),
            StoreKind::Build,
            64 << 20,
            &|_| {},
        ));
        assert!(store.is_enabled());

        let first = counting("postcss.config.js v1", &scanned);
        let options = options_with(root, &first);
        let cache = StylesheetCache::new(store.clone(), &options);
        let compiled = cache.compile(&sheet, &options).unwrap();
        assert_eq!(compiled.files, [scanned.clone(), sheet.clone()]);
        cache.compile(&sheet, &options).unwrap();
        assert_eq!(
            first.runs.load(Ordering::SeqCst),
            1,
            "the second compile hits"
        );

        let second = counting("postcss.config.js v2", &scanned);
        let options = options_with(root, &second);
        cache.compile(&sheet, &options).unwrap();
        assert_eq!(
            second.runs.load(Ordering::SeqCst),
            1,
            "another fingerprint misses"
        );

        std::fs::write(&scanned, "<p className='b' />").unwrap();
        cache.compile(&sheet, &options).unwrap();
        assert_eq!(
            second.runs.load(Ordering::SeqCst),
            2,
            "a scanned file changed"
        );
    }

    #[test]
    fn given_text_is_part_of_the_key() {
        let project = tempfile::tempdir().unwrap();
        let root = project.path();
        let scanned = root.join("App.tsx");
        std::fs::write(&scanned, "").unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let store = Arc::new(CacheStore::open(
            cache_dir.path(),
            StoreKind::Build,
            64 << 20,
            &|_| {},
        ));
        let transform = counting("v1", &scanned);
        let options = options_with(root, &transform);
        let cache = StylesheetCache::new(store, &options);
        let mut source = StylesheetSource {
            path: root.join("App.vue"),
            text: ".a { color: red }".into(),
            lang: StylesheetLang::Css,
            css_module: false,
            line_offset: 0,
        };
        cache.compile_source(&source, &options).unwrap();
        let again = cache.compile_source(&source, &options).unwrap();
        assert!(again.code.contains(".a"), "{}", again.code);
        assert_eq!(
            transform.runs.load(Ordering::SeqCst),
            1,
            "the same text hits"
        );
        source.text = ".b { color: red }".into();
        let compiled = cache.compile_source(&source, &options).unwrap();
        assert!(compiled.code.contains(".b"), "{}", compiled.code);
        assert!(!compiled.code.contains(".a"), "{}", compiled.code);
        assert_eq!(transform.runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_scanned_file_that_cannot_be_hashed_never_hits() {
        let project = tempfile::tempdir().unwrap();
        let root = project.path();
        let sheet = root.join("main.css");
        std::fs::write(&sheet, ".a { color: red }").unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let store = Arc::new(CacheStore::open(
            cache_dir.path(),
            StoreKind::Build,
            64 << 20,
            &|_| {},
        ));
        let transform = counting("v1", &root.join("missing.tsx"));
        let options = options_with(root, &transform);
        let cache = StylesheetCache::new(store, &options);
        cache.compile(&sheet, &options).unwrap();
        cache.compile(&sheet, &options).unwrap();
        assert_eq!(transform.runs.load(Ordering::SeqCst), 2);
    }
}
