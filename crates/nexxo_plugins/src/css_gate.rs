//! Stylesheets are the CSS stage's job (lightningcss, its own module graph). Until it exists, a
//! stylesheet import stops the build with a clear message pointing at the import, instead of a
//! crash or a silent drop.
//!
//! rolldown reports a plugin's load error without the plugin's own message, so the gate lets the
//! build finish with stylesheets as empty modules, remembers where they were imported, and the
//! build turns that list into errors afterwards.

use std::borrow::Cow;
use std::sync::Mutex;

use rolldown_common::side_effects::HookSideEffects;
use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookResolveIdArgs, HookResolveIdReturn,
    HookUsage, Plugin, PluginContext, SharedLoadPluginContext,
};

use crate::assets::split_query;

pub const STYLESHEET_EXTENSIONS: &[&str] = &[
    ".css", ".scss", ".sass", ".less", ".styl", ".stylus", ".pcss", ".postcss",
];

pub fn is_stylesheet(id: &str) -> bool {
    let (path, query) = split_query(id);
    let lower = path.to_ascii_lowercase();
    // `?raw` and `?url` of a stylesheet are plain asset imports and work already.
    let asset_query = query.is_some_and(|q| q.split('&').any(|p| p == "raw" || p == "url"));
    STYLESHEET_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) && !asset_query
}

/// The message for a stylesheet the build cannot process yet.
pub fn unsupported_message(file: &str) -> String {
    format!(
        "CSS is not supported yet: cannot bundle {file}. Nexxo's CSS pipeline (plain CSS, CSS Modules, Sass) is coming next; until then import stylesheets with `?url` or reference them from public/."
    )
}

/// A stylesheet import found during the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StylesheetImport {
    /// Absolute path of the importing module.
    pub importer: String,
    /// The specifier as written.
    pub specifier: String,
}

#[derive(Debug, Default)]
pub struct CssGatePlugin {
    found: Mutex<Vec<StylesheetImport>>,
}

impl CssGatePlugin {
    /// The stylesheet imports seen, in a stable order.
    pub fn found(&self) -> Vec<StylesheetImport> {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner()).clone();
        found.sort_by(|a, b| (&a.importer, &a.specifier).cmp(&(&b.importer, &b.specifier)));
        found.dedup();
        found
    }
}

impl Plugin for CssGatePlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:css")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::ResolveId | HookUsage::Load
    }

    async fn resolve_id(
        &self,
        _ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        if is_stylesheet(args.specifier) {
            if let Some(importer) = args.importer {
                self.found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(StylesheetImport {
                        importer: split_query(importer).0.to_string(),
                        specifier: args.specifier.to_string(),
                    });
            }
        }
        Ok(None)
    }

    async fn load(&self, _ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        if !is_stylesheet(args.id) {
            return Ok(None);
        }
        Ok(Some(HookLoadOutput {
            code: "export {};\n".into(),
            module_type: Some(ModuleType::Js),
            side_effects: Some(HookSideEffects::False),
            ..Default::default()
        }))
    }
}
