//! The plugin container: an ordered list of plugins and the rules for running their hooks, as
//! Rollup's and Vite's: the first `resolve_id` or `load` answer wins; `transform` hooks run one
//! after the other on the code the previous one returned; `hot_update` answers are merged. A
//! hook runs only for modules its filter accepts.
//!
//! The build calls the container from one rolldown plugin (`nexxo_plugins::build_driver`); the
//! dev server calls it directly (`nexxo_dev::load`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;

use crate::host::ModuleHost;
use crate::plugin::{
    ChunkHost, FileChange, Hooks, Lang, LoadArgs, LoadedModule, Plugin, RenderChunkArgs,
    ResolveArgs, ResolvedId, TransformArgs,
};

/// The result of the transform hooks of one module.
#[derive(Debug, Clone)]
pub struct TransformChain {
    pub code: String,
    /// One source map per hook that changed the code, in the order they ran (each maps its
    /// output to its input): the driver collapses them into the final map.
    pub maps: Vec<String>,
    /// More files the module depends on.
    pub files: Vec<PathBuf>,
    /// The code's language when a hook changed it (see [`Transformed::lang`]).
    pub lang: Option<Lang>,
}

#[derive(Clone, Default)]
pub struct PluginContainer {
    plugins: Vec<(Arc<dyn Plugin>, Hooks)>,
}

impl std::fmt::Debug for PluginContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.plugins.iter().map(|(plugin, _)| plugin.name()))
            .finish()
    }
}

impl PluginContainer {
    pub fn new(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        Self {
            plugins: plugins
                .into_iter()
                .map(|plugin| {
                    let hooks = plugin.hooks();
                    (plugin, hooks)
                })
                .collect(),
        }
    }

    /// The plugins' names, in hook order.
    pub fn names(&self) -> Vec<&str> {
        self.plugins
            .iter()
            .map(|(plugin, _)| plugin.name())
            .collect()
    }

    /// The plugins' own fingerprints ([`Plugin::fingerprint`]), in order, each with its
    /// plugin's name; empty when only built-in plugins have none.
    pub fn fingerprint(&self) -> String {
        self.plugins
            .iter()
            .filter_map(|(plugin, _)| {
                let fingerprint = plugin.fingerprint();
                (!fingerprint.is_empty()).then(|| format!("{}={fingerprint}", plugin.name()))
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    /// The first plugin's answer; `Ok(None)`: the driver's own resolver decides.
    pub fn resolve_id(
        &self,
        args: &ResolveArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        for (plugin, hooks) in &self.plugins {
            let Some(filter) = &hooks.resolve_id else {
                continue;
            };
            if !filter.matches(args.specifier, None) {
                continue;
            }
            if let Some(resolved) = plugin.resolve_id(args, host)? {
                return Ok(Some(resolved));
            }
        }
        Ok(None)
    }

    /// The first plugin's module; `Ok(None)`: the driver reads the file itself.
    pub fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        for (plugin, hooks) in &self.plugins {
            let Some(filter) = &hooks.load else {
                continue;
            };
            if !filter.matches(args.id, None) {
                continue;
            }
            if let Some(loaded) = plugin.load(args, host)? {
                return Ok(Some(loaded));
            }
        }
        Ok(None)
    }

    /// Runs every transform hook that wants the module, in order; `Ok(None)`: none changed it.
    pub fn transform(
        &self,
        args: &TransformArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<TransformChain>, Diagnostic> {
        let mut chain: Option<TransformChain> = None;
        for (plugin, hooks) in &self.plugins {
            let Some(filter) = &hooks.transform else {
                continue;
            };
            let code = chain.as_ref().map_or(args.code, |c| c.code.as_str());
            if !filter.matches(args.id, Some(code)) {
                continue;
            }
            let lang = chain.as_ref().and_then(|c| c.lang).unwrap_or(args.lang);
            let step_args = TransformArgs {
                code,
                lang,
                ..*args
            };
            let Some(step) = plugin.transform(&step_args, host)? else {
                continue;
            };
            let chain = chain.get_or_insert_with(|| TransformChain {
                code: String::new(),
                maps: Vec::new(),
                files: Vec::new(),
                lang: None,
            });
            chain.code = step.code;
            chain.maps.extend(step.map);
            chain.files.extend(step.files);
            if step.lang.is_some() {
                chain.lang = step.lang;
            }
        }
        Ok(chain)
    }

    /// Whether any plugin has a transform hook that may want `id` (drivers skip work when not).
    pub fn may_transform(&self, id: &str) -> bool {
        self.plugins.iter().any(|(_, hooks)| {
            hooks
                .transform
                .as_ref()
                .is_some_and(|filter| filter.matches(id, None))
        })
    }

    /// Runs every `render_chunk` hook, in order, each on the code the previous one returned;
    /// `Ok(None)`: none changed the chunk.
    pub fn render_chunk(
        &self,
        args: &RenderChunkArgs,
        host: &dyn ChunkHost,
    ) -> Result<Option<TransformChain>, Diagnostic> {
        let mut chain: Option<TransformChain> = None;
        for (plugin, hooks) in &self.plugins {
            if !hooks.render_chunk {
                continue;
            }
            let code = chain.as_ref().map_or(args.code, |c| c.code.as_str());
            let step_args = RenderChunkArgs { code, ..*args };
            let Some(step) = plugin.render_chunk(&step_args, host)? else {
                continue;
            };
            let chain = chain.get_or_insert_with(|| TransformChain {
                code: String::new(),
                maps: Vec::new(),
                files: Vec::new(),
                lang: None,
            });
            chain.code = step.code;
            chain.maps.extend(step.map);
        }
        Ok(chain)
    }

    /// Whether any plugin has chunk hooks (the build skips the calls when none has).
    pub fn has_chunk_hooks(&self) -> bool {
        self.plugins
            .iter()
            .any(|(_, hooks)| hooks.render_chunk || hooks.generate_bundle)
    }

    /// Whether any plugin reads modules once parsed.
    pub fn has_module_parsed(&self) -> bool {
        self.plugins.iter().any(|(_, hooks)| hooks.module_parsed)
    }

    /// Runs every `module_parsed` hook, in order; the first error stops.
    pub fn module_parsed(&self, info: &crate::plugin::ModuleInfo) -> Result<(), Diagnostic> {
        for (plugin, hooks) in &self.plugins {
            if hooks.module_parsed {
                plugin.module_parsed(info)?;
            }
        }
        Ok(())
    }

    /// Whether any plugin has build start/end hooks or changes pages' HTML.
    pub fn has_build_lifecycle(&self) -> bool {
        self.plugins.iter().any(|(_, hooks)| hooks.build_lifecycle)
    }

    /// Runs `build_start` of every plugin that has it, in order; the first error stops.
    pub fn build_start(&self) -> Result<(), Diagnostic> {
        self.each_lifecycle(|plugin| plugin.build_start())
    }

    /// Runs every `build_end`; all run, the first error is returned.
    pub fn build_end(&self, error: Option<&str>) -> Result<(), Diagnostic> {
        self.each_lifecycle(|plugin| plugin.build_end(error))
    }

    /// Runs every `write_bundle` once the output is in outDir.
    pub fn write_bundle(&self, outputs: &[crate::plugin::OutputFile]) -> Result<(), Diagnostic> {
        self.each_lifecycle(|plugin| plugin.write_bundle(outputs))
    }

    /// Runs every `close_bundle`; all run, the first error is returned.
    pub fn close_bundle(&self) -> Result<(), Diagnostic> {
        self.each_lifecycle(|plugin| plugin.close_bundle())
    }

    /// Every plugin's lifecycle hook runs even after one failed (each may hold resources to
    /// release); the first error is the result.
    fn each_lifecycle(
        &self,
        hook: impl Fn(&dyn Plugin) -> Result<(), Diagnostic>,
    ) -> Result<(), Diagnostic> {
        let mut first_error = None;
        for (plugin, hooks) in &self.plugins {
            if hooks.build_lifecycle {
                if let Err(error) = hook(plugin.as_ref()) {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The page `path`'s HTML after every `transform_html` hook, in order.
    pub fn transform_html(&self, html: String, path: &Path) -> Result<String, Diagnostic> {
        let mut html = html;
        for (plugin, hooks) in &self.plugins {
            if hooks.transform_html {
                if let Some(changed) = plugin.transform_html(&html, path)? {
                    html = changed;
                }
            }
        }
        Ok(html)
    }

    /// Runs every `generate_bundle` hook, in order; the first error stops.
    pub fn generate_bundle(&self, host: &dyn ChunkHost) -> Result<(), Diagnostic> {
        for (plugin, hooks) in &self.plugins {
            if hooks.generate_bundle {
                plugin.generate_bundle(host)?;
            }
        }
        Ok(())
    }

    /// The module ids the plugins want compiled again after `file` changed.
    pub fn hot_update(&self, file: &Path, change: FileChange) -> Vec<String> {
        let mut ids = Vec::new();
        for (plugin, hooks) in &self.plugins {
            if hooks.hot_update {
                for id in plugin.hot_update(file, change) {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Environment, HookFilter, Lang, Transformed};

    struct Upper;
    impl Plugin for Upper {
        fn name(&self) -> &str {
            "upper"
        }
        fn hooks(&self) -> Hooks {
            Hooks {
                transform: Some(HookFilter::extensions(&["js"]).with_code("x")),
                load: Some(HookFilter::extensions(&["txt"])),
                ..Hooks::default()
            }
        }
        fn load(
            &self,
            args: &LoadArgs,
            _: &dyn ModuleHost,
        ) -> Result<Option<LoadedModule>, Diagnostic> {
            Ok(Some(LoadedModule::js(format!("/* {} */", args.id), vec![])))
        }
        fn transform(
            &self,
            args: &TransformArgs,
            _: &dyn ModuleHost,
        ) -> Result<Option<Transformed>, Diagnostic> {
            Ok(Some(Transformed {
                code: args.code.to_uppercase(),
                map: None,
                files: vec![],
                lang: None,
            }))
        }
    }

    struct Suffix;
    impl Plugin for Suffix {
        fn name(&self) -> &str {
            "suffix"
        }
        fn hooks(&self) -> Hooks {
            Hooks {
                // Sees the code the first hook returned: "X", not "x".
                transform: Some(HookFilter::any().with_code("X")),
                load: Some(HookFilter::any()),
                ..Hooks::default()
            }
        }
        fn load(
            &self,
            _: &LoadArgs,
            _: &dyn ModuleHost,
        ) -> Result<Option<LoadedModule>, Diagnostic> {
            Ok(Some(LoadedModule::js("second".into(), vec![])))
        }
        fn transform(
            &self,
            args: &TransformArgs,
            _: &dyn ModuleHost,
        ) -> Result<Option<Transformed>, Diagnostic> {
            Ok(Some(Transformed {
                code: format!("{};", args.code),
                map: Some("{}".into()),
                files: vec![PathBuf::from("/dep")],
                lang: None,
            }))
        }
    }

    use crate::host::NoHost;

    #[test]
    fn hooks_run_in_order_with_filters() {
        let container = PluginContainer::new(vec![Arc::new(Upper), Arc::new(Suffix)]);
        let transform = |id: &str, code: &str| {
            container
                .transform(
                    &TransformArgs {
                        id,
                        code,
                        lang: Lang::Js,
                        environment: Environment::Page,
                    },
                    &NoHost,
                )
                .unwrap()
        };
        let chain = transform("/a.js", "x").unwrap();
        assert_eq!(chain.code, "X;");
        assert_eq!(chain.maps.len(), 1);
        assert_eq!(chain.files, vec![PathBuf::from("/dep")]);
        // The first filter refuses a .ts file; the second's code filter refuses "y".
        assert!(transform("/a.ts", "y").is_none());
        let load = |id: &str| {
            container
                .load(
                    &LoadArgs {
                        id,
                        environment: Environment::Worker,
                    },
                    &NoHost,
                )
                .unwrap()
                .unwrap()
                .code
        };
        assert_eq!(load("/a.txt"), "/* /a.txt */");
        assert_eq!(load("/a.js"), "second");
    }

    struct Banner(&'static str);
    impl Plugin for Banner {
        fn name(&self) -> &str {
            "banner"
        }
        fn hooks(&self) -> Hooks {
            Hooks {
                render_chunk: true,
                generate_bundle: true,
                ..Hooks::default()
            }
        }
        fn render_chunk(
            &self,
            args: &RenderChunkArgs,
            host: &dyn ChunkHost,
        ) -> Result<Option<Transformed>, Diagnostic> {
            host.emit_file(&format!("{}.txt", args.name), self.0.into())?;
            Ok(Some(Transformed {
                code: format!("/*{}*/{}", self.0, args.code),
                map: None,
                files: vec![],
                lang: None,
            }))
        }
        fn generate_bundle(&self, host: &dyn ChunkHost) -> Result<(), Diagnostic> {
            host.emit_file("done.txt", self.0.into())
        }
    }

    #[derive(Default)]
    struct Files(std::sync::Mutex<Vec<String>>);
    impl ChunkHost for Files {
        fn emit_file(&self, name: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
            let text = String::from_utf8(bytes).unwrap();
            self.0.lock().unwrap().push(format!("{name}={text}"));
            Ok(())
        }
    }

    #[test]
    fn chunk_hooks_chain_and_emit() {
        let container = PluginContainer::new(vec![
            Arc::new(Upper),
            Arc::new(Banner("a")),
            Arc::new(Banner("b")),
        ]);
        assert!(container.has_chunk_hooks());
        let files = Files::default();
        let args = RenderChunkArgs {
            name: "index",
            file_name: "assets/index.js",
            rendered_modules: &[],
            module_ids: &[],
            is_entry: true,
            code: "x",
            sourcemap: None,
        };
        let chain = container.render_chunk(&args, &files).unwrap().unwrap();
        // In order, each on the previous one's code; a plugin without the hook is skipped.
        assert_eq!(chain.code, "/*b*//*a*/x");
        container.generate_bundle(&files).unwrap();
        assert_eq!(
            *files.0.lock().unwrap(),
            vec!["index.txt=a", "index.txt=b", "done.txt=a", "done.txt=b"]
        );
        assert!(!PluginContainer::new(vec![Arc::new(Upper)]).has_chunk_hooks());
    }
}
