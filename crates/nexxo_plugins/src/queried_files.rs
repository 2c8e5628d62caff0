//! A script or JSON file imported with a query no plugin knows (`./foo.js?v=1`): loaded from
//! the file without the query, as in Vite, with the query kept in the module's id (so
//! `./foo.js?v=1` and `./foo.js?v=2` stay two modules). Known queries (`?raw`, `?url`,
//! `?inline`) belong to the asset and stylesheet plugins, which run first.

use std::borrow::Cow;
use std::path::Path;

use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookUsage, Plugin, SharedLoadPluginContext,
};

#[derive(Debug)]
pub struct QueriedFiles;

impl Plugin for QueriedFiles {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:queried-files")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Load
    }

    async fn load(&self, _ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        let Some((file, _query)) = args.id.split_once('?') else {
            return Ok(None);
        };
        let path = Path::new(file);
        let Some(module_type) = path
            .extension()
            .and_then(|ext| module_type_of(&ext.to_string_lossy()))
        else {
            return Ok(None);
        };
        if !path.is_absolute() {
            return Ok(None);
        }
        // A missing or special file is left to rolldown and the input guard to report.
        let Ok(bytes) = nexxo_diagnostics::input::read_regular(path) else {
            return Ok(None);
        };
        Ok(Some(HookLoadOutput {
            code: String::from_utf8_lossy(&bytes).into_owned().into(),
            module_type: Some(module_type),
            ..Default::default()
        }))
    }
}

fn module_type_of(extension: &str) -> Option<ModuleType> {
    Some(match extension {
        "js" | "mjs" | "cjs" => ModuleType::Js,
        "jsx" => ModuleType::Jsx,
        "ts" | "mts" | "cts" => ModuleType::Ts,
        "tsx" => ModuleType::Tsx,
        "json" => ModuleType::Json,
        _ => return None,
    })
}
