//! `nexxo build`: the production pipeline, in three stages with plain data between them
//! (as esbuild's scan → link → emit):
//!
//! 1. [`plan`]: find the HTML pages and resolve their scripts and assets → `Vec<HtmlPage>`.
//! 2. [`bundle`]: rolldown with Nexxo's plugins → output files in memory.
//! 3. [`emit`]: write `public/` and the files beside outDir, swap them in → [`report`].
//!
//! Library builds (`build.lib`) skip the HTML plan and run one rolldown build per format,
//! concurrently. [`watch`] holds what `nexxo build --watch` waits on between builds.

pub mod analyze;
pub mod bundle;
pub mod cache;
pub mod chunks;
pub mod emit;
pub mod plan;
pub mod report;
pub mod watch;

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Instant;

use nexxo_config::ResolvedConfig;
use nexxo_css::{CssInputs, CssOptions, StylesheetCache};
use nexxo_diagnostics::events::Phase;
use nexxo_diagnostics::{Diagnostic, Diagnostics};
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::PluginContainer;
use nexxo_plugins::{
    AssetUrls, BuildPlugins, ChunkCss, ChunkStyles, ModuleErrors, WorkerBuilds, WorkerBundle,
    WorkerBundler, WorkerFile, WorkerOutput,
};
use nexxo_user_plugins::{Confinement, UserPluginSet};
use rolldown_common::Output;
use rolldown_plugin::__inner::SharedPluginable;
use serde_json::json;

use crate::bundle::{run_rolldown, BundleResult};
use crate::emit::EmittedFile;
pub use crate::report::{BuildReport, CacheOutcome};
pub use nexxo_cache::{CacheStore, StoreKind};

/// The cache store a build of `config` uses. A store inside outDir (`cacheDir` inside
/// `outDir`) would be deleted by every build when outDir is emptied, so the cache is then off,
/// with one warning saying why.
pub fn open_cache(config: &ResolvedConfig, warn: &dyn Fn(String)) -> CacheStore {
    let kind = if config.lib.is_some() {
        StoreKind::Lib
    } else {
        StoreKind::Build
    };
    if let Some(problem) = emit::cache_dir_conflict(config, kind) {
        warn(problem);
        return CacheStore::disabled(kind);
    }
    CacheStore::open(&config.cache_dir, kind, config.cache_max_bytes, warn)
}

/// Builds the app (or library) described by `config` into its outDir, or restores the same
/// files from the cache when nothing that affects them changed.
pub async fn build(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
) -> Result<BuildReport, Diagnostics> {
    build_maybe_analyzed(config, store, None).await
}

/// [`build`], also collecting what `nexxo_analyze` needs: the module graph and each output's
/// chunk facts and source map. An analyzed build is never restored from the cache (a restore
/// has no module graph); its output is the same as a normal build's. A library build's
/// formats are one graph (the union of their modules) with each format's files as outputs.
pub async fn build_analyzed(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
) -> Result<(BuildReport, nexxo_analyze::BuildGraph), Diagnostics> {
    let analysis = analyze::Analysis {
        maps_for_analysis_only: config.sourcemap == nexxo_config::Sourcemap::Off,
        library: config.lib.is_some(),
        ..analyze::Analysis::default()
    };
    let report = build_maybe_analyzed(config, store, Some(&analysis)).await?;
    let outputs = std::mem::take(&mut *analysis.outputs.lock().unwrap_or_else(|e| e.into_inner()));
    let graph = nexxo_analyze::BuildGraph {
        root: config.root.clone(),
        out_dir: config.out_dir.clone(),
        modules: analysis.recorder.take_modules(),
        outputs,
    };
    Ok((report, graph))
}

/// `build.budgets` checked against the build's files: one error per file over a budget,
/// naming the file, its size and the limit. The files stay written: the report shows them.
pub fn check_budgets(config: &ResolvedConfig, report: &BuildReport) -> Result<(), Diagnostics> {
    if config.budgets.is_empty() {
        return Ok(());
    }
    let budgets: Vec<nexxo_analyze::budgets::SizeBudget> = config
        .budgets
        .iter()
        .map(|budget| nexxo_analyze::budgets::SizeBudget {
            path: budget.path.clone(),
            max_bytes: budget.max_bytes,
            gzip: budget.gzip,
        })
        .collect();
    let files: Vec<nexxo_analyze::budgets::MeasuredFile> = report
        .files
        .iter()
        .map(|file| nexxo_analyze::budgets::MeasuredFile {
            name: &file.name,
            bytes: file.bytes,
            gzip_bytes: file.gzip_bytes,
        })
        .collect();
    let violations = nexxo_analyze::budgets::check(&budgets, &files)
        .map_err(|message| Diagnostics(vec![Diagnostic::error(message)]))?;
    if violations.is_empty() {
        return Ok(());
    }
    Err(Diagnostics(
        violations
            .iter()
            .map(|violation| Diagnostic::error(violation.message()))
            .collect(),
    ))
}

async fn build_maybe_analyzed(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
    analysis: Option<&analyze::Analysis>,
) -> Result<BuildReport, Diagnostics> {
    let result = build_with_cache(config, store, analysis).await;
    // Finished on failure too, so `nexxo cache stats` shows the last run as it went.
    let cache_stats = store.finish();
    result.map(|report| BuildReport {
        cache_stats,
        ..report
    })
}

async fn build_with_cache(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
    analysis: Option<&analyze::Analysis>,
) -> Result<BuildReport, Diagnostics> {
    let started = Instant::now();
    // Check outDir before doing any work; the output replaces it only once it is written whole,
    // so a failed build leaves the previous output in place.
    emit::check_out_dir(config)?;
    // JS plugins may write into outDir once it is in place (`writeBundle`): the folder that will
    // become outDir exists before their helpers start, so their sandbox can grant it.
    let staging = match &config.script_config {
        Some(_) => Some(emit::PreparedStaging::create(config)?),
        None => None,
    };
    let output_folders: Vec<_> = staging.iter().map(|s| s.path().to_path_buf()).collect();
    let user_plugins = UserPluginSet::new(config, &Confinement::current_exe(), &output_folders);
    let lifecycle = PluginContainer::new(user_plugins.pipeline().all());
    let restore = Phase::start("cache-restore");
    let fingerprint = cache::fingerprint(config);
    // A build with JS plugins is never restored: their hooks may read or write what the
    // fingerprint cannot see (a report file, a remote schema), and they expect to run.
    let restored = if analysis.is_some() {
        Err(cache::MissReason::Analyze)
    } else if user_plugins.is_empty() {
        cache::lookup(store, config, &fingerprint)
    } else {
        Err(cache::MissReason::JsPlugins)
    };
    restore.end(true, json!({"restored": restored.is_ok()}));
    let (output, cache_outcome) = match restored {
        Ok(output) => (output, CacheOutcome::Restored),
        Err(reason) => {
            // Boxed: rolldown's futures nested this deep exceed the compiler's layout depth.
            let bundled = Box::pin(bundle_with_plugins(
                config,
                store,
                &fingerprint,
                &user_plugins,
                &lifecycle,
                analysis,
            ))
            .await;
            let bundled = bundled.inspect_err(|_| {
                let _ = lifecycle.close_bundle();
            })?;
            (bundled, CacheOutcome::Built(reason))
        }
    };
    let emit_phase = Phase::start("emit");
    let emitted = emit::emit(config, &output.files);
    emit_phase.end_with(&emitted);
    let emitted = emitted.and_then(|emitted| {
        if lifecycle.has_build_lifecycle() {
            let written = lifecycle.write_bundle(&output_files(&output.files));
            // `closeBundle` runs even when `writeBundle` failed: plugins release resources there.
            let closed = lifecycle.close_bundle();
            written.and(closed)?;
        }
        Ok(emitted)
    });
    let (out_dir_warnings, public_files) = emitted?;
    let mut warnings = output.warnings;
    warnings.extend(fingerprint.skipped);
    warnings.extend(out_dir_warnings);

    Ok(BuildReport {
        out_dir: config.display_path(&config.out_dir),
        files: report::measure(&output.files),
        public_files,
        duration: started.elapsed(),
        warnings,
        cache: cache_outcome,
        cache_stats: nexxo_cache::RunStats::default(),
    })
}

/// The user plugins' `buildStart`, the bundle, then their `buildEnd` (told of a failure).
async fn bundle_with_plugins(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
    fingerprint: &cache::Fingerprint,
    user_plugins: &UserPluginSet,
    lifecycle: &PluginContainer,
    analysis: Option<&analyze::Analysis>,
) -> Result<cache::BuildOutput, Diagnostics> {
    if lifecycle.has_build_lifecycle() {
        lifecycle.build_start().map_err(Diagnostics::from)?;
    }
    let bundled = bundle_and_cache(config, store, fingerprint, user_plugins, analysis).await;
    if lifecycle.has_build_lifecycle() {
        let failure = bundled.as_ref().err().map(|errors| errors.render(false));
        lifecycle
            .build_end(failure.as_deref())
            .map_err(Diagnostics::from)?;
    }
    bundled
}

/// The written files as plugins' `writeBundle` sees them.
fn output_files(files: &[EmittedFile]) -> Vec<nexxo_pipeline::OutputFile> {
    files
        .iter()
        .map(|file| nexxo_pipeline::OutputFile {
            file_name: file.name.clone(),
            kind: nexxo_pipeline::OutputKind::Asset {
                source: file.bytes.clone(),
            },
        })
        .collect()
}

/// Bundles with rolldown and stores the result under `fingerprint`, unless a file it read was
/// saved during the build.
async fn bundle_and_cache(
    config: &ResolvedConfig,
    store: &Arc<CacheStore>,
    fingerprint: &cache::Fingerprint,
    user_plugins: &UserPluginSet,
    analysis: Option<&analyze::Analysis>,
) -> Result<cache::BuildOutput, Diagnostics> {
    let reads = cache::BuildReads::start(config);
    let compilers = Arc::new(ModuleCompilers::new(
        config,
        store,
        &reads.css,
        user_plugins,
    )?);
    let mut bundle = match &config.lib {
        Some(_) => bundle_lib(config, &compilers, &reads, analysis).await?,
        None => bundle_app(config, &compilers, &reads, analysis).await?,
    };
    if let Some(analysis) = analysis {
        analysis.take_outputs(&mut bundle.outputs);
    }
    let module_ids: Vec<String> = bundle
        .outputs
        .iter()
        .filter_map(|output| match output {
            Output::Chunk(chunk) => Some(chunk.module_ids.iter().map(|id| id.to_string())),
            Output::Asset(_) => None,
        })
        .flatten()
        .collect();
    let output = cache::BuildOutput {
        warnings: bundle.warnings.iter().map(|w| w.render(false)).collect(),
        files: into_files(bundle.outputs),
    };
    if store.is_enabled() {
        let phase = Phase::start("cache-store");
        let changed = cache::inputs_changed_since(config, fingerprint);
        let graph = if changed.is_empty() {
            cache::graph_files(config, fingerprint, module_ids, &reads)
        } else {
            Err(format!("changed during the build: {}", changed.join(", ")))
        };
        match graph {
            Ok(graph) => {
                let stored = cache::store_build(store, fingerprint, graph, &output);
                phase.end(stored, json!({"stored": stored}));
            }
            // The output may mix old and new content: storing it under either version's key
            // could restore it later for content it was not made from.
            Err(reason) => phase.end(true, json!({"stored": false, "reason": reason})),
        }
    }
    Ok(output)
}

/// `plugins` behind the recorder of loaded sources (first, so it sees each module's text as
/// loaded, before any plugin transforms it).
fn recording_loads(
    loaded: &Arc<cache::LoadedSources>,
    plugins: Vec<SharedPluginable>,
) -> Vec<SharedPluginable> {
    let recorder: SharedPluginable = loaded.clone();
    std::iter::once(recorder).chain(plugins).collect()
}

fn asset_urls(config: &ResolvedConfig) -> Arc<AssetUrls> {
    Arc::new(AssetUrls {
        base: config.base.clone(),
        assets_dir: config.assets_dir.clone(),
        inline_limit: config.assets_inline_limit,
        always_inline: config.lib.is_some(),
    })
}

async fn bundle_app(
    config: &ResolvedConfig,
    compilers: &Arc<ModuleCompilers>,
    reads: &cache::BuildReads,
    analysis: Option<&analyze::Analysis>,
) -> Result<BundleResult, Diagnostics> {
    let plan_phase = Phase::start("plan");
    let planned = plan::find_pages(config)
        .map_err(Diagnostics::from)
        .and_then(|page_paths| {
            // The framework plugins first: an Angular app's index page gets its entry there.
            let html_hooks = PluginContainer::new(
                compilers
                    .frameworks
                    .iter()
                    .cloned()
                    .chain(compilers.user.all())
                    .collect(),
            );
            plan::plan_pages(config, &page_paths, &|html, path| {
                html_hooks.transform_html(html, path)
            })
        });
    plan_phase.end_with(&planned);
    let pages = planned?;
    let bundle_phase = Phase::start("bundle");
    let mut options = bundle::app_options(config, &pages);
    let chunk_styles = Arc::new(ChunkStyles::default());
    let mut shared = build_plugins(config, compilers, chunk_styles.clone());
    shared.workers = Some(worker_builds(config, compilers, reads));
    let errors = shared.errors.clone();
    let plugins = nexxo_plugins::app_plugins(config, shared, chunk_styles, pages);
    let mut plugins = recording_loads(&reads.loaded, plugins);
    if let Some(analysis) = analysis {
        plugins.push(analysis.recorder.clone());
        if options.sourcemap.is_none() {
            options.sourcemap = Some(rolldown::SourceMapType::Hidden);
        }
    }
    let result = run_rolldown(&config.root, options, plugins).await;
    let result = pipeline_errors(&errors).and(result).map(|mut bundle| {
        bundle.warnings.extend(errors.warnings());
        bundle
    });
    bundle_phase.end_with(&result);
    result
}

/// What every rolldown run of one build (the app, its web workers, each library format)
/// compiles modules with: the stylesheet plugin on the persistent CSS cache, the framework
/// plugins with their one Node helper pool and the user's plugins, so a component compiles
/// once per build, a WASM plugin is compiled once, and the runs share the helpers rather than
/// starting their own.
struct ModuleCompilers {
    css_options: CssOptions,
    stylesheets: Arc<StylesheetModules>,
    frameworks: Vec<Arc<dyn nexxo_pipeline::Plugin>>,
    /// The user's JS plugins, one helper each, shared by every run of the build.
    user: nexxo_pipeline::UserPlugins,
}

impl ModuleCompilers {
    fn new(
        config: &ResolvedConfig,
        store: &Arc<CacheStore>,
        css_inputs: &Arc<CssInputs>,
        user_plugins: &UserPluginSet,
    ) -> Result<Self, Diagnostic> {
        // First: a WASM plugin that does not compile stops the build before anything starts.
        // They have no `enforce`, so they go with the JS plugins of the normal place.
        let mut user = user_plugins.pipeline();
        user.normal
            .extend(nexxo_wasm_plugins::wasm_plugins(config)?);
        // Vue, Svelte and Solid components and PostCSS/Tailwind stylesheets, compiled in the
        // Node helper (started on the first compile not in the cache).
        let project = nexxo_frameworks::ProjectCompilers::new(
            &config.root,
            config.frameworks,
            nexxo_frameworks::FrameworkMode {
                production: config.mode != "development",
                hmr: false,
            },
            Some(store.clone()),
        )
        .with_angular(config.angular.clone());
        let css_options = CssOptions {
            root: config.root.clone(),
            targets: config.targets.clone(),
            minify: config.minify,
            sourcemap: config.sourcemap != nexxo_config::Sourcemap::Off,
            modules_pattern: config.css_modules_pattern.clone(),
            alias: config.alias.clone(),
            transform: project.stylesheet_transform(),
        };
        let stylesheets = Arc::new(StylesheetModules::new(
            css_options.clone(),
            Some(
                StylesheetCache::new(store.clone(), &css_options)
                    .recording_inputs(css_inputs.clone()),
            ),
            config.public_dir.clone(),
        ));
        let frameworks = project.plugins(&stylesheets);
        Ok(Self {
            css_options,
            stylesheets,
            frameworks,
            user,
        })
    }
}

/// The plugins of one rolldown run: the build's module compilers, and this run's CSS chunk
/// hooks, errors and asset URL rules.
fn build_plugins(
    config: &ResolvedConfig,
    compilers: &ModuleCompilers,
    chunk_styles: Arc<ChunkStyles>,
) -> BuildPlugins {
    let library_css_name = config.lib.as_ref().map(|lib| lib.css_file_name.clone());
    // CSS maps sit in outDir/assets; their sources are relative to the root.
    let depth = config
        .assets_dir
        .split('/')
        .filter(|p| !p.is_empty())
        .count();
    let out_to_root = relative_path(&config.out_dir, &config.root);
    let map_source_root = format!("{}{out_to_root}", "../".repeat(depth));
    BuildPlugins {
        css: Arc::new(ChunkCss::new(
            compilers.css_options.clone(),
            asset_urls(config),
            chunk_styles,
            library_css_name,
            map_source_root,
        )),
        stylesheets: compilers.stylesheets.clone(),
        errors: Arc::default(),
        asset_urls: asset_urls(config),
        workers: None,
        frameworks: compilers.frameworks.clone(),
        user: compilers.user.clone(),
    }
}

/// The web workers of an app build: each entry bundled by a nested rolldown build
/// ([`NestedWorkerBuild`]) that shares this build's caches and read records, so the
/// whole-build cache sees the workers' files as inputs.
fn worker_builds(
    config: &ResolvedConfig,
    compilers: &Arc<ModuleCompilers>,
    reads: &cache::BuildReads,
) -> Arc<WorkerBuilds> {
    Arc::new_cyclic(|workers| {
        let bundler = NestedWorkerBuild {
            config: Arc::new(config.clone()),
            compilers: compilers.clone(),
            loaded: reads.loaded.clone(),
            workers: workers.clone(),
        };
        WorkerBuilds::new(Arc::new(bundler), config.worker_format)
    })
}

/// One web worker's bundle: the worker's entry through rolldown with the module pipeline in
/// the worker environment (its assets, JSON and own workers included).
struct NestedWorkerBuild {
    config: Arc<ResolvedConfig>,
    compilers: Arc<ModuleCompilers>,
    loaded: Arc<cache::LoadedSources>,
    /// The build's workers, for workers a worker starts.
    workers: Weak<WorkerBuilds>,
}

impl WorkerBundler for NestedWorkerBuild {
    fn bundle(&self, entry: PathBuf, output: WorkerOutput) -> nexxo_plugins::workers::BundleFuture {
        let config = self.config.clone();
        let mut shared = build_plugins(&config, &self.compilers, Arc::default());
        shared.workers = self.workers.upgrade();
        let errors = shared.errors.clone();
        let plugins = recording_loads(&self.loaded, nexxo_plugins::worker_plugins(&config, shared));
        let options = bundle::worker_options(&config, &entry, output);
        Box::pin(async move {
            let result = run_rolldown(&config.root, options, plugins).await;
            let bundle = pipeline_errors(&errors).and(result).map_err(|errors| {
                let message = format!(
                    "the web worker {} does not build",
                    config.display_path(&entry)
                );
                let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
                    && std::env::var_os("NO_COLOR").is_none();
                let rendered = format!("error: {message}:\n{}", errors.render(color));
                Diagnostic::pre_rendered(message, rendered)
            })?;
            worker_bundle(bundle.outputs).ok_or_else(|| {
                Diagnostic::error(format!(
                    "the web worker {} built no entry chunk",
                    config.display_path(&entry)
                ))
            })
        })
    }
}

/// The entry chunk and the other files of a worker's rolldown output.
fn worker_bundle(outputs: Vec<Output>) -> Option<WorkerBundle> {
    let mut entry = None;
    let mut others = Vec::new();
    for output in outputs {
        let file = WorkerFile {
            name: output.filename().to_string(),
            bytes: output.content_as_bytes().to_vec(),
        };
        match &output {
            Output::Chunk(chunk) if chunk.is_entry && entry.is_none() => entry = Some(file),
            _ => others.push(file),
        }
    }
    Some(WorkerBundle {
        entry: entry?,
        others,
    })
}

/// The relative URL path from folder `from` to folder `to`, ending in `/` (empty when equal).
fn relative_path(from: &std::path::Path, to: &std::path::Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = "../".repeat(from.len() - common);
    for part in &to[common..] {
        path.push_str(&part.as_os_str().to_string_lossy());
        path.push('/');
    }
    path
}

/// The module pipeline's errors are collected beside rolldown (which would drop their text).
fn pipeline_errors(errors: &ModuleErrors) -> Result<(), Diagnostics> {
    let errors = errors.all();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}

/// One rolldown build per format, run concurrently; their outputs are merged.
async fn bundle_lib(
    config: &ResolvedConfig,
    compilers: &Arc<ModuleCompilers>,
    reads: &cache::BuildReads,
    analysis: Option<&analyze::Analysis>,
) -> Result<BundleResult, Diagnostics> {
    let bundle_phase = Phase::start("bundle");
    let result = bundle_lib_formats(config, compilers, reads, analysis).await;
    bundle_phase.end_with(&result);
    result
}

async fn bundle_lib_formats(
    config: &ResolvedConfig,
    compilers: &Arc<ModuleCompilers>,
    reads: &cache::BuildReads,
    analysis: Option<&analyze::Analysis>,
) -> Result<BundleResult, Diagnostics> {
    let lib = config
        .lib
        .as_ref()
        .ok_or_else(|| Diagnostic::error("no build.lib config"))?;
    // One CSS chunk plugin per format: each build collects its own library stylesheet.
    let mut errors_per_format: Vec<Arc<ModuleErrors>> = Vec::new();
    let builds: Vec<_> = lib
        .formats
        .iter()
        .map(|format| {
            let shared = build_plugins(config, compilers, Arc::default());
            errors_per_format.push(shared.errors.clone());
            let mut options = bundle::lib_options(config, *format);
            let mut plugins =
                recording_loads(&reads.loaded, nexxo_plugins::lib_plugins(config, shared));
            // Every format records into the one graph (each adds the modules it loaded).
            if let Some(analysis) = analysis {
                plugins.push(analysis.recorder.clone());
                if options.sourcemap.is_none() {
                    options.sourcemap = Some(rolldown::SourceMapType::Hidden);
                }
            }
            run_rolldown(&config.root, options, plugins)
        })
        .collect();
    let mut merged = BundleResult {
        outputs: Vec::new(),
        warnings: Vec::new(),
    };
    let mut errors = Vec::new();
    for result in futures::future::join_all(builds).await {
        match result {
            Ok(mut result) => {
                merged.outputs.append(&mut result.outputs);
                merged.warnings.append(&mut result.warnings);
            }
            Err(mut diagnostics) => errors.append(&mut diagnostics.0),
        }
    }
    // Every format compiles the same stylesheets, so the first holds every CSS error (and
    // every compiler warning).
    if let Some(format_errors) = errors_per_format.first() {
        pipeline_errors(format_errors)?;
        merged.warnings.extend(format_errors.warnings());
    }
    if errors.is_empty() {
        // The same asset can come out of several formats; keep one copy.
        let mut seen = std::collections::HashSet::new();
        merged
            .outputs
            .retain(|o| seen.insert(o.filename().to_string()));
        Ok(merged)
    } else {
        Err(Diagnostics(errors))
    }
}

fn into_files(outputs: Vec<Output>) -> Vec<EmittedFile> {
    outputs
        .into_iter()
        .map(|output| EmittedFile {
            name: output.filename().to_string(),
            bytes: output.content_as_bytes().to_vec(),
        })
        .collect()
}
