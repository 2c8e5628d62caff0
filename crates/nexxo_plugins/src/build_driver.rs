//! The build's driver for the module pipeline (`nexxo_pipeline`): one rolldown plugin,
//! [`PipelinePlugin`], runs the plugin container's `resolve_id`, `load` and `transform` hooks,
//! and [`BuildHost`] gives the build's answers: imported files become hashed assets (data URLs
//! under `assetsInlineLimit`), a stylesheet's CSS waits for its chunk's CSS file, specifiers
//! resolve with the project's resolution rules.
//!
//! rolldown drops a plugin's own message from hook errors ("Could not load X"), so errors are
//! collected in [`ModuleErrors`] and reported by the build once rolldown returns.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::plugins::ChunkCss;
use nexxo_pipeline::{
    ChunkHost, Environment, Lang, LoadArgs, LoadedModule, ModuleHost, ModuleInfo, OutputFile,
    OutputKind, PluginContainer, ProjectResolver, RenderChunkArgs, ResolveArgs, SideEffects,
    SourcemapMode, TransformArgs, WorkerScript, WorkerType,
};
use rolldown_common::side_effects::HookSideEffects;
use rolldown_common::{ModuleType, Output, OutputAsset, SourceMapType, StrOrBytes};
use rolldown_plugin::{
    HookGenerateBundleArgs, HookLoadArgs, HookLoadOutput, HookLoadReturn, HookNoopReturn,
    HookRenderChunkArgs, HookRenderChunkOutput, HookRenderChunkReturn, HookResolveIdArgs,
    HookResolveIdOutput, HookResolveIdReturn, HookTransformArgs, HookTransformOutput,
    HookTransformOutputMap, HookTransformReturn, HookUsage, Plugin, PluginContext,
    SharedLoadPluginContext, SharedTransformPluginContext,
};

use crate::asset_url::{data_url, AssetUrls};
use crate::assets::{emit_asset_file, emit_named_file};
use crate::workers::WorkerBuilds;

/// Errors the module pipeline met during one build.
#[derive(Debug, Default)]
pub struct ModuleErrors {
    errors: Mutex<Vec<Diagnostic>>,
    /// Compilers' warnings (`ModuleHost::warn`), listed with the build's output.
    warnings: Mutex<Vec<Diagnostic>>,
}

impl ModuleErrors {
    pub fn push(&self, diagnostic: Diagnostic) {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(diagnostic);
    }

    pub fn all(&self) -> Vec<Diagnostic> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn warn(&self, warning: Diagnostic) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(warning.into_warning());
    }

    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The build's side of [`ModuleHost`].
pub struct BuildHost<'a> {
    pub ctx: &'a PluginContext,
    pub urls: &'a AssetUrls,
    /// Keeps each stylesheet's CSS for its chunk.
    pub css: &'a ChunkCss,
    pub resolver: &'a ProjectResolver,
    /// Web workers' bundles; `None` where workers are not supported (library builds).
    pub workers: Option<&'a WorkerBuilds>,
    /// Where compilers' warnings go.
    pub errors: &'a ModuleErrors,
}

impl ModuleHost for BuildHost<'_> {
    fn warn(&self, warning: Diagnostic) {
        self.errors.warn(warning);
    }

    fn asset_url_expression(&self, path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
        if self.urls.should_inline(bytes.len()) {
            return Ok(crate::asset_url::js_string(&data_url(path, &bytes)));
        }
        let file_name = emit_asset_file(self.ctx, self.urls, path, bytes)
            .map_err(|err| Diagnostic::error(err.to_string()))?;
        Ok(self.urls.js_url_expression(&file_name))
    }

    fn css_asset_url(&self, path: &Path, bytes: Vec<u8>) -> Option<String> {
        if self.urls.should_inline(bytes.len()) {
            return Some(data_url(path, &bytes));
        }
        let file_name = emit_asset_file(self.ctx, self.urls, path, bytes).ok()?;
        Some(self.urls.css_url(&file_name))
    }

    fn public_url(&self, name: &str) -> String {
        self.urls.css_url(name)
    }

    fn stylesheet_url_expression(&self, path: &Path, css: String) -> Result<String, Diagnostic> {
        self.css
            .emit_imported_stylesheet(&EmitInContext(self.ctx), path, css)
    }

    fn take_stylesheet(
        &self,
        id: &str,
        css: String,
        map: Option<String>,
        _is_module: bool,
    ) -> String {
        self.css.keep_for_chunk(id, css, map);
        String::new()
    }

    fn resolve(&self, specifier: &str, importer: &Path) -> Option<PathBuf> {
        self.resolver.resolve_from_file(importer, specifier).ok()
    }

    fn worker_script(
        &self,
        entry: &Path,
        requested: Option<WorkerType>,
        inline: bool,
    ) -> Result<WorkerScript, Diagnostic> {
        let Some(workers) = self.workers else {
            return Err(Diagnostic::error(format!(
                "{}: web workers are not supported in library builds",
                entry.display()
            )));
        };
        workers.script(self.ctx, self.urls, entry, requested, inline)
    }
}

/// What rolldown gets for a loaded module.
fn load_output(loaded: LoadedModule) -> HookLoadOutput {
    HookLoadOutput {
        code: loaded.code.into(),
        module_type: Some(module_type(loaded.lang)),
        side_effects: match loaded.side_effects {
            // A stylesheet must stay in its chunk even when nothing reads its exports.
            SideEffects::Keep => Some(HookSideEffects::NoTreeshake),
            SideEffects::FromCode => None,
            // An unused asset or JSON import must not keep the file in the bundle.
            SideEffects::None => Some(HookSideEffects::False),
        },
        ..Default::default()
    }
}

/// Runs `loaded` through the collector: a failed module becomes an empty one, its error kept.
pub fn into_hook_return(
    ctx: &PluginContext,
    errors: &ModuleErrors,
    loaded: Result<Option<LoadedModule>, Diagnostic>,
) -> HookLoadReturn {
    match loaded {
        Ok(Some(loaded)) => {
            for file in &loaded.files {
                ctx.add_watch_file(&file.to_string_lossy());
            }
            Ok(Some(load_output(loaded)))
        }
        Ok(None) => Ok(None),
        Err(diagnostic) => {
            errors.push(diagnostic);
            Ok(Some(load_output(LoadedModule::js(
                "export {};\n".into(),
                Vec::new(),
            ))))
        }
    }
}

/// The plugin container as one rolldown plugin.
pub struct PipelinePlugin {
    container: PluginContainer,
    environment: Environment,
    urls: Arc<AssetUrls>,
    css: Arc<ChunkCss>,
    resolver: ProjectResolver,
    errors: Arc<ModuleErrors>,
    workers: Option<Arc<WorkerBuilds>>,
}

/// Chunk hooks emit files through rolldown's context, under the exact names they chose.
struct EmitInContext<'a>(&'a PluginContext);

impl ChunkHost for EmitInContext<'_> {
    fn emit_file(&self, file_name: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        emit_named_file(self.0, file_name, None, StrOrBytes::Bytes(bytes))
            .map_err(|err| Diagnostic::error(format!("cannot emit {file_name}: {err}")))
    }
}

/// `generate_bundle` adds files straight to the bundle (rolldown emits no more files then).
struct AddToBundle<'a> {
    added: Mutex<Vec<(String, Vec<u8>)>>,
    /// The bundle so far, for hooks that read it (a user plugin's `generateBundle`).
    bundle: &'a [Output],
    ctx: &'a PluginContext,
}

impl ChunkHost for AddToBundle<'_> {
    fn emit_file(&self, file_name: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        self.added
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((file_name.to_string(), bytes));
        Ok(())
    }

    fn outputs(&self) -> Vec<OutputFile> {
        self.bundle.iter().map(output_file).collect()
    }

    fn module_infos(&self) -> Vec<ModuleInfo> {
        self.ctx
            .get_module_ids()
            .iter()
            .filter_map(|id| self.ctx.get_module_info(id))
            .map(|info| module_info(&info, false))
            .collect()
    }
}

/// Rolldown's module info as the pipeline's plain data (`with_code`: Rollup's `code`, for
/// `moduleParsed`).
fn module_info(info: &rolldown_common::ModuleInfo, with_code: bool) -> ModuleInfo {
    fn ids<'s>(set: impl IntoIterator<Item = &'s rolldown_common::ModuleId>) -> Vec<String> {
        set.into_iter().map(|id| id.to_string()).collect()
    }
    ModuleInfo {
        id: info.id.to_string(),
        code: with_code
            .then(|| info.code.as_ref().map(|code| code.to_string()))
            .flatten(),
        is_entry: info.is_entry,
        imported_ids: ids(&info.imported_ids),
        dynamically_imported_ids: ids(&info.dynamically_imported_ids),
        importers: ids(&info.importers),
        dynamic_importers: ids(&info.dynamic_importers),
    }
}

/// Rolldown's output as the pipeline's plain data.
fn output_file(output: &Output) -> OutputFile {
    match output {
        Output::Chunk(chunk) => OutputFile {
            file_name: chunk.filename.to_string(),
            kind: OutputKind::Chunk {
                name: chunk.name.to_string(),
                code: chunk.code.clone(),
                is_entry: chunk.is_entry,
                is_dynamic_entry: chunk.is_dynamic_entry,
                imports: chunk.imports.iter().map(|name| name.to_string()).collect(),
                dynamic_imports: chunk
                    .dynamic_imports
                    .iter()
                    .map(|name| name.to_string())
                    .collect(),
                modules: chunk
                    .modules
                    .keys
                    .iter()
                    .zip(&chunk.modules.values)
                    .map(|(id, module)| (id.to_string(), module.rendered_length()))
                    .collect(),
            },
        },
        Output::Asset(asset) => OutputFile {
            file_name: asset.filename.to_string(),
            kind: OutputKind::Asset {
                source: match &asset.source {
                    StrOrBytes::Str(text) => text.as_bytes().to_vec(),
                    StrOrBytes::Bytes(bytes) => bytes.clone(),
                },
            },
        },
    }
}

impl PipelinePlugin {
    pub fn new(
        container: PluginContainer,
        environment: Environment,
        urls: Arc<AssetUrls>,
        css: Arc<ChunkCss>,
        errors: Arc<ModuleErrors>,
        resolver: ProjectResolver,
        workers: Option<Arc<WorkerBuilds>>,
    ) -> Self {
        Self {
            container,
            environment,
            urls,
            css,
            resolver,
            errors,
            workers,
        }
    }

    fn host<'a>(&'a self, ctx: &'a PluginContext) -> BuildHost<'a> {
        BuildHost {
            ctx,
            urls: &self.urls,
            css: &self.css,
            resolver: &self.resolver,
            workers: self.workers.as_deref(),
            errors: &self.errors,
        }
    }
}

impl std::fmt::Debug for PipelinePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelinePlugin")
            .field("plugins", &self.container)
            .finish()
    }
}

impl Plugin for PipelinePlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:pipeline")
    }

    fn register_hook_usage(&self) -> HookUsage {
        let mut usage = HookUsage::ResolveId | HookUsage::Load | HookUsage::Transform;
        if self.container.has_chunk_hooks() {
            usage |= HookUsage::RenderChunk | HookUsage::GenerateBundle;
        }
        if self.container.has_module_parsed() {
            usage |= HookUsage::ModuleParsed;
        }
        usage
    }

    async fn module_parsed(
        &self,
        _ctx: &PluginContext,
        info: Arc<rolldown_common::ModuleInfo>,
        _module: &rolldown_common::NormalModule,
    ) -> HookNoopReturn {
        if let Err(diagnostic) = self.container.module_parsed(&module_info(&info, true)) {
            self.errors.push(diagnostic);
        }
        Ok(())
    }

    async fn render_chunk(
        &self,
        ctx: &PluginContext,
        args: &HookRenderChunkArgs<'_>,
    ) -> HookRenderChunkReturn {
        let chunk = &args.chunk;
        let rendered_modules: Vec<String> =
            chunk.modules.keys.iter().map(|id| id.to_string()).collect();
        let module_ids: Vec<String> = chunk.module_ids.iter().map(|id| id.to_string()).collect();
        let sourcemap = args.options.sourcemap.as_ref().map(|mode| match mode {
            SourceMapType::File => SourcemapMode::File,
            SourceMapType::Inline => SourcemapMode::Inline,
            SourceMapType::Hidden => SourcemapMode::Hidden,
        });
        let chunk_args = RenderChunkArgs {
            name: &chunk.name,
            file_name: &chunk.filename,
            rendered_modules: &rendered_modules,
            module_ids: &module_ids,
            is_entry: chunk.is_entry,
            code: args.code.as_str(),
            sourcemap,
        };
        let chain = match self
            .container
            .render_chunk(&chunk_args, &EmitInContext(ctx))
        {
            Ok(Some(chain)) => chain,
            Ok(None) => return Ok(None),
            Err(diagnostic) => {
                self.errors.push(diagnostic);
                return Ok(None);
            }
        };
        Ok(Some(HookRenderChunkOutput {
            code: chain.code,
            map: match sourcemap {
                Some(_) => {
                    collapse_maps(&chain.maps).map_or(HookTransformOutputMap::Null, Into::into)
                }
                None => HookTransformOutputMap::Null,
            },
        }))
    }

    async fn generate_bundle(
        &self,
        ctx: &PluginContext,
        args: &mut HookGenerateBundleArgs<'_>,
    ) -> HookNoopReturn {
        let files = AddToBundle {
            added: Mutex::default(),
            bundle: args.bundle,
            ctx,
        };
        if let Err(diagnostic) = self.container.generate_bundle(&files) {
            self.errors.push(diagnostic);
        }
        let added = files.added.into_inner().unwrap_or_else(|e| e.into_inner());
        for (name, bytes) in added {
            args.bundle.push(Output::Asset(Arc::new(OutputAsset {
                names: vec![name.clone()],
                original_file_names: vec![],
                filename: name.as_str().into(),
                source: StrOrBytes::Bytes(bytes),
            })));
        }
        Ok(())
    }

    async fn resolve_id(
        &self,
        ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        let importer = args.importer.map(Path::new);
        let resolve_args = ResolveArgs {
            specifier: args.specifier,
            importer,
            environment: self.environment,
        };
        match self.container.resolve_id(&resolve_args, &self.host(ctx)) {
            Ok(resolved) => Ok(resolved.map(|r| HookResolveIdOutput::from_id(r.id))),
            Err(diagnostic) => {
                self.errors.push(diagnostic);
                Ok(None)
            }
        }
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        if is_build_internal(args.id) {
            return Ok(None);
        }
        let load_args = LoadArgs {
            id: args.id,
            environment: self.environment,
        };
        let loaded = self.container.load(&load_args, &self.host(&ctx));
        into_hook_return(&ctx, &self.errors, loaded)
    }

    async fn transform(
        &self,
        ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let lang = match args.module_type {
            ModuleType::Js => Lang::Js,
            ModuleType::Jsx => Lang::Jsx,
            ModuleType::Ts => Lang::Ts,
            ModuleType::Tsx => Lang::Tsx,
            _ => return Ok(None),
        };
        if is_build_internal(args.id) || !self.container.may_transform(args.id) {
            return Ok(None);
        }
        let transform_args = TransformArgs {
            id: args.id,
            code: args.code.as_str(),
            lang,
            environment: self.environment,
        };
        let chain = match self.container.transform(&transform_args, &self.host(&ctx)) {
            Ok(Some(chain)) => chain,
            Ok(None) => return Ok(None),
            Err(diagnostic) => {
                self.errors.push(diagnostic);
                return Ok(Some(HookTransformOutput {
                    code: Some("export {};\n".into()),
                    module_type: Some(ModuleType::Js),
                    ..HookTransformOutput::default()
                }));
            }
        };
        for file in &chain.files {
            ctx.add_watch_file(&file.to_string_lossy());
        }
        Ok(Some(HookTransformOutput {
            code: Some(chain.code),
            map: collapse_maps(&chain.maps).map_or(HookTransformOutputMap::Omitted, Into::into),
            module_type: chain.lang.map(module_type),
            ..HookTransformOutput::default()
        }))
    }
}

/// Modules the build makes for itself: rolldown's runtime and the pages' entry proxies. No
/// plugin loads or transforms them (the built-ins have nothing to do there), so user plugins see the
/// same modules as under `nexxo dev`, which has neither.
fn is_build_internal(id: &str) -> bool {
    id.starts_with("\0rolldown/") || id.ends_with(crate::html_entry::ENTRY_QUERY)
}

/// How rolldown parses code of a language.
fn module_type(lang: Lang) -> ModuleType {
    match lang {
        Lang::Js => ModuleType::Js,
        Lang::Jsx => ModuleType::Jsx,
        Lang::Ts => ModuleType::Ts,
        Lang::Tsx => ModuleType::Tsx,
    }
}

/// One map from the maps of each transform step (each from its output to its input).
pub fn collapse_maps(maps: &[String]) -> Option<rolldown_sourcemap::SourceMap> {
    let parsed: Vec<rolldown_sourcemap::OwnedSourceMap> = maps
        .iter()
        .filter_map(|json| rolldown_sourcemap::OwnedSourceMap::from_json_string(json).ok())
        .collect();
    match parsed.len() {
        0 => None,
        1 => parsed.into_iter().next().map(|map| map.into_inner()),
        _ => {
            let chain: Vec<_> = parsed.iter().map(|map| map.as_source_map()).collect();
            Some(rolldown_sourcemap::collapse_sourcemaps(&chain))
        }
    }
}
