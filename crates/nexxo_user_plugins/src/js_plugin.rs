//! One user plugin, running in its own confined Node helper, as a pipeline [`Plugin`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use nexxo_config::plugins::UserPluginSpec;
use nexxo_diagnostics::Diagnostic;
use nexxo_node::{NodeError, NodePool, NodeTask};
use nexxo_pipeline::{
    ChunkHost, Environment, FileChange, Hooks, Lang, LoadArgs, LoadedModule, ModuleHost,
    ModuleInfo, OutputFile, OutputKind, Plugin, RenderChunkArgs, ResolveArgs, ResolvedId,
    TransformArgs, Transformed,
};
use serde_json::{json, Map, Value};

use crate::filter::hook_filter;

/// A user plugin. Its helper starts on the first hook call that passes the plugin's filters, and
/// evaluates the config again to find the plugin (`plugin.init`); a helper replaced after a
/// crash or timeout is set up the same way.
pub struct JsPlugin {
    spec: UserPluginSpec,
    root: PathBuf,
    pool: NodePool,
    hooks: Hooks,
    /// Files the plugin emitted in chunk hooks; files emitted while modules load are emitted
    /// with the bundle (`generate_bundle`).
    pending_files: Mutex<Vec<(String, Vec<u8>)>>,
}

impl JsPlugin {
    pub(crate) fn new(spec: UserPluginSpec, root: &Path, pool: NodePool) -> Self {
        let filter = |hook: &str| {
            spec.hooks
                .get(hook)
                .map(|hook| hook_filter(hook.filter.as_ref(), root))
        };
        let hooks = Hooks {
            resolve_id: filter("resolveId"),
            load: filter("load"),
            transform: filter("transform"),
            hot_update: spec.has("handleHotUpdate") || spec.has("hotUpdate"),
            render_chunk: spec.has("renderChunk"),
            generate_bundle: true,
            build_lifecycle: [
                "buildStart",
                "buildEnd",
                "writeBundle",
                "closeBundle",
                "options",
            ]
            .iter()
            .any(|hook| spec.has(hook)),
            transform_html: spec.has("transformIndexHtml"),
            module_parsed: spec.has("moduleParsed"),
        };
        Self {
            spec,
            root: root.to_path_buf(),
            pool,
            hooks,
            pending_files: Mutex::new(Vec::new()),
        }
    }

    pub fn spec(&self) -> &UserPluginSpec {
        &self.spec
    }

    /// Runs one hook in the helper; `resolve` answers the plugin's `this.resolve` calls.
    fn call(
        &self,
        hook: &str,
        args: Value,
        resolve: Option<&ResolveCallback<'_>>,
        host: Option<&dyn ModuleHost>,
    ) -> Result<Value, Diagnostic> {
        let mut request = Map::new();
        request.insert("hook".into(), Value::from(hook));
        request.insert("args".into(), args);
        let task = NodeTask::Compile {
            root: self.root.clone(),
            task: "plugin.hook".into(),
            args: request,
        };
        let callbacks = |method: &str, args: &Value| -> Result<Value, String> {
            match method {
                "resolve" => {
                    let source = args["source"].as_str().unwrap_or_default();
                    let importer = args["importer"].as_str();
                    Ok(resolve
                        .and_then(|resolve| resolve(source, importer))
                        .map_or(Value::Null, |id| json!({ "id": id, "external": false })))
                }
                "transformScript" => crate::vite_api::transform_script(args),
                other => Err(format!("unknown callback `{other}`")),
            }
        };
        let mut reply = self
            .pool
            .request_with(&task, &callbacks)
            .map_err(|error| self.diagnostic(hook, &error))?;
        self.collect(&mut reply, host)?;
        Ok(reply["result"].take())
    }

    /// Files the hook emitted are kept for the bundle; its warnings go to the host.
    fn collect(&self, reply: &mut Value, host: Option<&dyn ModuleHost>) -> Result<(), Diagnostic> {
        for file in reply["emitted"].as_array().into_iter().flatten() {
            let name = file["fileName"].as_str().unwrap_or_default().to_string();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(file["source"].as_str().unwrap_or_default())
                .map_err(|error| {
                    Diagnostic::error(format!(
                        "plugin '{}' emitted {name} with unreadable contents: {error}",
                        self.spec.name
                    ))
                })?;
            self.pending_files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((name, bytes));
        }
        for warning in reply["warnings"].as_array().into_iter().flatten() {
            let message = format!(
                "[plugin {}] {}",
                self.spec.name,
                warning["message"].as_str().unwrap_or_default()
            );
            let diagnostic = match (warning["file"].as_str(), warning["line"].as_u64()) {
                (Some(file), Some(line)) => Diagnostic::at(
                    message,
                    PathBuf::from(file),
                    nexxo_diagnostics::input::read_regular_to_string(Path::new(file)).ok(),
                    line as usize,
                    warning["column"].as_u64().unwrap_or(1) as usize,
                ),
                _ => Diagnostic::error(message),
            };
            match host {
                Some(host) => host.warn(diagnostic.into_warning()),
                None => eprintln!("{}", diagnostic.into_warning().render(false)),
            }
        }
        Ok(())
    }

    /// A failed hook names the plugin and the hook (Rollup's `[plugin name] hook: message`).
    fn diagnostic(&self, hook: &str, error: &NodeError) -> Diagnostic {
        let mut diagnostic = error.to_diagnostic();
        if !diagnostic.message.starts_with("plugin '") {
            diagnostic.message =
                format!("[plugin {}] {hook}: {}", self.spec.name, diagnostic.message);
        }
        if let Some(location) = diagnostic.location.as_mut() {
            if let Ok(relative) = location.file.strip_prefix(&self.root) {
                location.file = relative.to_path_buf();
            }
        }
        diagnostic
    }

    fn code_result(result: &Value) -> Option<(String, Option<String>)> {
        let code = result.get("code")?.as_str()?.to_string();
        let map = result
            .get("map")
            .and_then(Value::as_str)
            .map(str::to_string);
        Some((code, map))
    }

    /// Runs `configureServer` in the helper; whether the plugin added middlewares.
    pub fn configure_server(&self) -> Result<bool, Diagnostic> {
        if !self.spec.has("configureServer") {
            return Ok(false);
        }
        let reply = self
            .pool
            .request(&NodeTask::compile(
                &self.root,
                "plugin.configureServer",
                json!({}),
            ))
            .map_err(|error| self.diagnostic("configureServer", &error))?;
        Ok(reply["middlewares"].as_u64().unwrap_or(0) > 0)
    }

    /// Offers a dev-server request to the plugin's middlewares; `None`: they passed it on.
    pub fn middleware(
        &self,
        request: &crate::MiddlewareRequest,
    ) -> Result<Option<crate::MiddlewareResponse>, Diagnostic> {
        let engine = base64::engine::general_purpose::STANDARD;
        let reply = self
            .pool
            .request(&NodeTask::compile(
                &self.root,
                "plugin.middleware",
                json!({
                    "method": request.method,
                    "url": request.url,
                    "headers": request.headers.iter().cloned().collect::<Map<String, Value>>(),
                    "body": engine.encode(&request.body),
                }),
            ))
            .map_err(|error| self.diagnostic("configureServer middleware", &error))?;
        if reply["handled"] != Value::Bool(true) {
            return Ok(None);
        }
        Ok(Some(crate::MiddlewareResponse {
            status: reply["status"].as_u64().unwrap_or(200) as u16,
            headers: reply["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_string()))
                .collect(),
            body: engine
                .decode(reply["body"].as_str().unwrap_or_default())
                .unwrap_or_default(),
        }))
    }
}

/// The `Environment` as Vite names it.
fn environment_name(environment: Environment) -> &'static str {
    match environment {
        Environment::Page => "client",
        Environment::Worker => "worker",
    }
}

/// The language of code a plugin returned for `id`: by the id's extension (`.jsx` from
/// unplugin-icons, `.ts`), else JavaScript (virtual modules, `.svg?react` compiled by the plugin).
fn lang_of(id: &str) -> Lang {
    Lang::of(id).unwrap_or(Lang::Js)
}

/// The build's module graph for `this.getModuleInfo` in `generateBundle`.
fn module_infos_json(modules: &[ModuleInfo]) -> Value {
    Value::Array(
        modules
            .iter()
            .map(|module| {
                json!({
                    "id": module.id,
                    "isEntry": module.is_entry,
                    "importedIds": module.imported_ids,
                    "dynamicallyImportedIds": module.dynamically_imported_ids,
                    "importers": module.importers,
                    "dynamicImporters": module.dynamic_importers,
                })
            })
            .collect(),
    )
}

fn output_json(outputs: &[OutputFile]) -> Value {
    let engine = base64::engine::general_purpose::STANDARD;
    Value::Array(
        outputs
            .iter()
            .map(|file| match &file.kind {
                OutputKind::Chunk {
                    name,
                    code,
                    is_entry,
                    is_dynamic_entry,
                    imports,
                    dynamic_imports,
                    modules,
                } => json!({
                    "type": "chunk",
                    "fileName": file.file_name,
                    "name": name,
                    "code": code,
                    "isEntry": is_entry,
                    "isDynamicEntry": is_dynamic_entry,
                    "imports": imports,
                    "dynamicImports": dynamic_imports,
                    "modules": modules.iter().map(|(id, length)| (id.clone(), json!({ "renderedLength": length, "originalLength": length }))).collect::<Map<String, Value>>(),
                }),
                OutputKind::Asset { source } => json!({
                    "type": "asset",
                    "fileName": file.file_name,
                    "name": file.file_name,
                    "source": String::from_utf8(source.clone()).unwrap_or_else(|_| engine.encode(source)),
                }),
            })
            .collect(),
    )
}

impl Plugin for JsPlugin {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn hooks(&self) -> Hooks {
        self.hooks.clone()
    }

    fn resolve_id(
        &self,
        args: &ResolveArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        let importer = args
            .importer
            .map(|path| path.to_string_lossy().into_owned());
        let resolve = self.resolver(host);
        let result = self.call(
            "resolveId",
            json!({
                "source": args.specifier,
                "importer": importer,
                "isEntry": args.importer.is_none(),
                "environment": environment_name(args.environment),
            }),
            Some(&resolve),
            Some(host),
        )?;
        if result.is_null() || result["external"] == Value::Bool(true) {
            // An external import stays as written in the output; Nexxo leaves bare packages to
            // the bundler's own rules, so nothing is resolved here.
            return Ok(None);
        }
        let Some(id) = result["id"].as_str() else {
            return Ok(None);
        };
        // Relative answers are from the importer, as Rollup resolves them.
        let id = if id.starts_with("./") || id.starts_with("../") {
            let base = args.importer.and_then(Path::parent).unwrap_or(&self.root);
            base.join(id).to_string_lossy().into_owned()
        } else {
            id.to_string()
        };
        Ok(Some(ResolvedId { id }))
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let result = self.call(
            "load",
            json!({ "id": args.id, "environment": environment_name(args.environment) }),
            Some(&self.resolver(host)),
            Some(host),
        )?;
        let Some((code, _map)) = Self::code_result(&result) else {
            return Ok(None);
        };
        let (path, _) = nexxo_pipeline::ids::split_query(args.id);
        let files = if Path::new(path).is_absolute() && Path::new(path).is_file() {
            vec![PathBuf::from(path)]
        } else {
            Vec::new()
        };
        Ok(Some(LoadedModule::script(code, lang_of(args.id), files)))
    }

    fn transform(
        &self,
        args: &TransformArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let result = self.call(
            "transform",
            json!({ "id": args.id, "code": args.code, "environment": environment_name(args.environment) }),
            Some(&self.resolver(host)),
            Some(host),
        )?;
        let Some((code, map)) = Self::code_result(&result) else {
            return Ok(None);
        };
        if code == args.code {
            return Ok(None);
        }
        Ok(Some(Transformed {
            code,
            map,
            files: Vec::new(),
            lang: None,
        }))
    }

    fn render_chunk(
        &self,
        args: &RenderChunkArgs,
        host: &dyn ChunkHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let result = self.call(
            "renderChunk",
            json!({
                "code": args.code,
                "chunk": {
                    "name": args.name,
                    "fileName": args.file_name,
                    "isEntry": args.is_entry,
                    "moduleIds": args.module_ids,
                    "modules": args.rendered_modules.iter().map(|id| (id.clone(), json!({}))).collect::<Map<String, Value>>(),
                },
                "outputOptions": { "format": "es", "sourcemap": args.sourcemap.is_some() },
            }),
            None,
            None,
        )?;
        self.flush_files(host)?;
        Ok(Self::code_result(&result).map(|(code, map)| Transformed {
            code,
            map,
            files: Vec::new(),
            lang: None,
        }))
    }

    fn generate_bundle(&self, host: &dyn ChunkHost) -> Result<(), Diagnostic> {
        if self.spec.has("generateBundle") {
            self.call(
                "generateBundle",
                json!({
                    "outputOptions": { "format": "es" },
                    "files": output_json(&host.outputs()),
                    "modules": module_infos_json(&host.module_infos()),
                }),
                None,
                None,
            )?;
        }
        self.flush_files(host)
    }

    fn module_parsed(&self, info: &ModuleInfo) -> Result<(), Diagnostic> {
        self.call(
            "moduleParsed",
            json!({
                "id": info.id,
                "code": info.code,
                "isEntry": info.is_entry,
                "importedIds": info.imported_ids,
                "dynamicallyImportedIds": info.dynamically_imported_ids,
                "importers": info.importers,
                "dynamicImporters": info.dynamic_importers,
            }),
            None,
            None,
        )?;
        Ok(())
    }

    fn build_start(&self) -> Result<(), Diagnostic> {
        if self.spec.has("options") {
            self.call("options", json!({ "options": {} }), None, None)?;
        }
        if self.spec.has("buildStart") {
            self.call("buildStart", json!({}), None, None)?;
        }
        Ok(())
    }

    fn build_end(&self, error: Option<&str>) -> Result<(), Diagnostic> {
        if self.spec.has("buildEnd") {
            self.call("buildEnd", json!({ "error": error }), None, None)?;
        }
        Ok(())
    }

    fn write_bundle(&self, outputs: &[OutputFile]) -> Result<(), Diagnostic> {
        if self.spec.has("writeBundle") {
            self.call(
                "writeBundle",
                json!({ "outputOptions": { "format": "es" }, "files": output_json(outputs) }),
                None,
                None,
            )?;
        }
        Ok(())
    }

    fn close_bundle(&self) -> Result<(), Diagnostic> {
        if self.spec.has("closeBundle") {
            self.call("closeBundle", json!({}), None, None)?;
        }
        Ok(())
    }

    fn transform_html(&self, html: &str, path: &Path) -> Result<Option<String>, Diagnostic> {
        let relative = path
            .strip_prefix(&self.root)
            .map(|relative| format!("/{}", nexxo_diagnostics::display_path(relative)))
            .unwrap_or_else(|_| path.to_string_lossy().into_owned());
        let result = self.call(
            "transformIndexHtml",
            json!({ "html": html, "path": relative, "filename": path.to_string_lossy() }),
            None,
            None,
        )?;
        Ok(result["html"]
            .as_str()
            .filter(|changed| *changed != html)
            .map(str::to_string))
    }

    fn hot_update(&self, file: &Path, change: FileChange) -> Vec<String> {
        // Vite's `hotUpdate` types.
        let change = match change {
            FileChange::Created => "create",
            FileChange::Modified => "update",
            FileChange::Removed => "delete",
        };
        match self.call(
            "hotUpdate",
            json!({ "file": file.to_string_lossy(), "type": change }),
            None,
            None,
        ) {
            Ok(result) => result["modules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect(),
            Err(error) => {
                eprintln!("{}", error.into_warning().render(false));
                Vec::new()
            }
        }
    }
}

impl JsPlugin {
    /// Answers the plugin's `this.resolve(source, importer)` with the project's resolver
    /// (from the root's `index.html` without an importer).
    fn resolver<'a>(
        &'a self,
        host: &'a dyn ModuleHost,
    ) -> impl Fn(&str, Option<&str>) -> Option<String> + Sync + 'a {
        move |source, importer| {
            let from = importer
                .map(PathBuf::from)
                .unwrap_or_else(|| self.root.join("index.html"));
            host.resolve(source, &from)
                .map(|path| path.to_string_lossy().into_owned())
        }
    }

    /// Files emitted with `this.emitFile` so far go into the output.
    fn flush_files(&self, host: &dyn ChunkHost) -> Result<(), Diagnostic> {
        let files =
            std::mem::take(&mut *self.pending_files.lock().unwrap_or_else(|e| e.into_inner()));
        for (name, bytes) in files {
            host.emit_file(&name, bytes)?;
        }
        Ok(())
    }
}

/// Answers a plugin's `this.resolve(source, importer)`: the resolved id, or `None`.
type ResolveCallback<'a> = dyn Fn(&str, Option<&str>) -> Option<String> + Sync + 'a;

/// Shared so the drivers and the dev server's middleware route hold the same helpers.
pub type SharedJsPlugin = Arc<JsPlugin>;
