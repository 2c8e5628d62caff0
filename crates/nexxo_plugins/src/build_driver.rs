//! The build's driver for the module plugins (`modules.rs`): rolldown's `load` hook calls them,
//! and [`BuildHost`] gives the build's answers: imported files become hashed assets (data URLs
//! under `assetsInlineLimit`), a stylesheet's CSS waits for its chunk's CSS file.
//!
//! rolldown drops a plugin's own message from load errors ("Could not load X"), so errors are
//! collected in [`ModuleErrors`] and reported by the build once rolldown returns.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use nexxo_diagnostics::Diagnostic;
use rolldown_common::side_effects::HookSideEffects;
use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookUsage, Plugin, PluginContext,
    SharedLoadPluginContext,
};

use crate::asset_url::{data_url, AssetUrls};
use crate::assets::emit_asset_file;
use crate::css::CssPlugin;
use crate::modules::{LoadedJs, ModuleHost, ModulePlugin};

/// Errors the module plugins met during one build.
#[derive(Debug, Default)]
pub struct ModuleErrors(Mutex<Vec<Diagnostic>>);

impl ModuleErrors {
    pub fn push(&self, diagnostic: Diagnostic) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(diagnostic);
    }

    pub fn all(&self) -> Vec<Diagnostic> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The build's side of [`ModuleHost`].
pub struct BuildHost<'a> {
    pub ctx: &'a PluginContext,
    pub urls: &'a AssetUrls,
    /// The CSS plugin, which keeps each stylesheet's CSS for its chunk (absent for plugins
    /// that never load stylesheets).
    pub css: Option<&'a CssPlugin>,
}

impl ModuleHost for BuildHost<'_> {
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
        let plugin = self
            .css
            .ok_or_else(|| Diagnostic::error("stylesheet loaded outside the CSS plugin"))?;
        plugin.emit_imported_stylesheet(self.ctx, path, css)
    }

    fn take_stylesheet(
        &self,
        id: &str,
        css: String,
        map: Option<String>,
        _is_module: bool,
    ) -> String {
        if let Some(plugin) = self.css {
            plugin.keep_for_chunk(id, css, map);
        }
        String::new()
    }
}

/// What rolldown gets for a loaded module.
pub fn load_output(loaded: LoadedJs) -> HookLoadOutput {
    HookLoadOutput {
        code: loaded.code.into(),
        module_type: Some(ModuleType::Js),
        side_effects: Some(if loaded.keep_without_exports {
            // A stylesheet must stay in its chunk even when nothing reads its exports.
            HookSideEffects::NoTreeshake
        } else {
            // An unused asset or JSON import must not keep the file in the bundle.
            HookSideEffects::False
        }),
        ..Default::default()
    }
}

/// Runs `loaded` through the collector: a failed module becomes an empty one, its error kept.
pub fn into_hook_return(
    ctx: &PluginContext,
    errors: &ModuleErrors,
    loaded: Result<Option<LoadedJs>, Diagnostic>,
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
            Ok(Some(load_output(LoadedJs {
                code: "export {};\n".into(),
                files: Vec::new(),
                keep_without_exports: false,
            })))
        }
    }
}

/// A module plugin as a rolldown plugin (assets, JSON).
pub struct RolldownModulePlugin<P> {
    plugin: P,
    urls: Arc<AssetUrls>,
    errors: Arc<ModuleErrors>,
}

impl<P: ModulePlugin> RolldownModulePlugin<P> {
    pub fn new(plugin: P, urls: Arc<AssetUrls>, errors: Arc<ModuleErrors>) -> Self {
        Self {
            plugin,
            urls,
            errors,
        }
    }
}

impl<P: ModulePlugin> std::fmt::Debug for RolldownModulePlugin<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolldownModulePlugin")
            .field("plugin", &self.plugin.name())
            .finish()
    }
}

impl<P: ModulePlugin + 'static> Plugin for RolldownModulePlugin<P> {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.plugin.name())
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Load
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        let host = BuildHost {
            ctx: &ctx,
            urls: &self.urls,
            css: None,
        };
        into_hook_return(&ctx, &self.errors, self.plugin.load(args.id, &host))
    }
}
