//! The build's web workers: each worker entry is bundled on its own (as Vite does), by a
//! nested rolldown build with the same module pipeline in [`Environment::Worker`]; its output
//! files become assets of the page build and the page gets the entry file's URL.
//!
//! The nested build's options and plugins are the build crate's (`nexxo_build`), which hands
//! them in as a [`WorkerBundler`]; this file keeps one bundle per entry and [`WorkerOutput`],
//! emits the files and writes the URL.
//!
//! [`Environment::Worker`]: nexxo_pipeline::Environment::Worker

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use nexxo_config::WorkerFormat;
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::plugins::workers::inline_worker_url;
use nexxo_pipeline::{WorkerScript, WorkerType};
use rolldown_common::StrOrBytes;
use rolldown_plugin::PluginContext;

use crate::asset_url::AssetUrls;
use crate::assets::emit_named_file;

/// One output file of a worker's bundle.
#[derive(Debug, Clone)]
pub struct WorkerFile {
    /// Relative to outDir (`assets/worker-<hash>.js`).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A worker's bundle: its entry file and whatever else it produced (chunks, assets, maps).
#[derive(Debug, Clone)]
pub struct WorkerBundle {
    pub entry: WorkerFile,
    pub others: Vec<WorkerFile>,
}

/// A future the bundler returns.
pub type BundleFuture = Pin<Box<dyn Future<Output = Result<WorkerBundle, Diagnostic>>>>;

/// One worker's bundle, made by the first module that asks for it.
type BundleCell = OnceLock<Result<WorkerBundle, Diagnostic>>;

/// Runs the nested build of one worker entry (implemented by `nexxo_build`).
pub trait WorkerBundler: Send + Sync {
    fn bundle(&self, entry: PathBuf, output: WorkerOutput) -> BundleFuture;
}

/// How a worker is bundled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkerOutput {
    pub format: WorkerFormat,
    /// One file, dynamic imports inlined: an inline worker runs from a `blob:` URL, against
    /// which no chunk could be found.
    pub single_file: bool,
}

/// The workers of one build: each entry and output bundled once, however many modules start
/// it (page and worker builds share this, so a worker started from a worker is bundled once
/// too).
pub struct WorkerBuilds {
    bundler: Arc<dyn WorkerBundler>,
    /// `worker.format`: the format of module workers.
    module_format: WorkerFormat,
    runtime: tokio::runtime::Handle,
    bundles: Mutex<HashMap<(PathBuf, WorkerOutput), Arc<BundleCell>>>,
}

impl std::fmt::Debug for WorkerBuilds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerBuilds")
            .field("module_format", &self.module_format)
            .finish()
    }
}

impl WorkerBuilds {
    /// Must be called on the build's tokio runtime (multi-threaded; see [`Self::bundle`]).
    pub fn new(bundler: Arc<dyn WorkerBundler>, module_format: WorkerFormat) -> Self {
        Self {
            bundler,
            module_format,
            runtime: tokio::runtime::Handle::current(),
            bundles: Mutex::default(),
        }
    }

    /// The worker script for `entry`: bundled (once), its files emitted into the page build
    /// through `ctx`, and the expression giving its URL.
    pub fn script(
        &self,
        ctx: &PluginContext,
        urls: &AssetUrls,
        entry: &Path,
        requested: Option<WorkerType>,
        inline: bool,
    ) -> Result<WorkerScript, Diagnostic> {
        // A classic worker cannot run an ES module: it always gets an IIFE bundle, as the
        // module workers do with `worker.format: "iife"` (an IIFE runs as a module too).
        let worker_type = requested.unwrap_or(match self.module_format {
            WorkerFormat::Es => WorkerType::Module,
            WorkerFormat::Iife => WorkerType::Classic,
        });
        let format = match worker_type {
            WorkerType::Module => self.module_format,
            WorkerType::Classic => WorkerFormat::Iife,
        };
        let output = WorkerOutput {
            format,
            single_file: inline,
        };
        let bundle = self.bundle(entry, output)?;
        for file in &bundle.others {
            emit(ctx, file)?;
        }
        let url = if inline {
            inline_worker_url(&String::from_utf8_lossy(&bundle.entry.bytes))
        } else {
            emit(ctx, &bundle.entry)?;
            urls.js_url_expression(&bundle.entry.name)
        };
        Ok(WorkerScript { url, worker_type })
    }

    /// The module pipeline's hooks are synchronous (`ModuleHost`) while rolldown is async:
    /// the nested build runs to completion on the build's runtime while this thread waits.
    /// `block_in_place` hands this worker thread's other tasks to the runtime's other threads
    /// first, so the page build's tasks and the nested build's keep running (the CLI's runtime
    /// is multi-threaded); a thread outside the runtime (rayon's) can wait on it directly.
    /// The same entry asked for by two modules at once is bundled once: the second waits, in
    /// place too (a runtime thread blocked outside `block_in_place` would starve the nested
    /// build of threads).
    fn bundle(&self, entry: &Path, output: WorkerOutput) -> Result<WorkerBundle, Diagnostic> {
        let cell = self
            .bundles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((entry.to_path_buf(), output))
            .or_default()
            .clone();
        // Waiting for another thread's bundle of the same entry blocks too: in place as well.
        let wait = || {
            cell.get_or_init(|| {
                self.runtime
                    .block_on(self.bundler.bundle(entry.to_path_buf(), output))
            })
            .clone()
        };
        match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::task::block_in_place(wait),
            Err(_) => wait(),
        }
    }
}

fn emit(ctx: &PluginContext, file: &WorkerFile) -> Result<(), Diagnostic> {
    emit_named_file(ctx, &file.name, None, StrOrBytes::Bytes(file.bytes.clone()))
        .map_err(|err| Diagnostic::error(format!("cannot emit {}: {err}", file.name)))
}
