//! `new URL('./logo.svg', import.meta.url)` as in Vite: the file becomes an emitted asset and
//! the expression its URL. Left as written, the path would be resolved against the chunk's own
//! URL in `assets/`, where the file is not. The dev server needs nothing: there
//! `import.meta.url` is the module's own URL, next to the file.
//!
//! The call is rewritten to `new URL(<the file's ?url import>, import.meta.url)`, with that
//! import appended (imports are hoisted), so the asset plugin decides the URL (hashed name,
//! `base`, or a data URL under `assetsInlineLimit`) exactly as for `import url from './x?url'`.
//! Only static strings naming an existing file are rewritten; template strings are left alone.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookTransformArgs, HookTransformOutput, HookTransformOutputMap, HookTransformReturn, HookUsage,
    Plugin, SharedTransformPluginContext,
};

/// `new URL('./x', import.meta.url)` or with double quotes; the path is group 1 or 2.
static NEW_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bnew\s+URL\s*\(\s*(?:'(\.{1,2}/[^'\n]+)'|"(\.{1,2}/[^"\n]+)")\s*,\s*import\.meta\.url\s*\)"#,
    )
    .expect("a valid pattern")
});

#[derive(Debug)]
pub struct AssetImportMetaUrl;

impl Plugin for AssetImportMetaUrl {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:asset-import-meta-url")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Transform
    }

    async fn transform(
        &self,
        _ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let is_script = matches!(
            args.module_type,
            ModuleType::Js | ModuleType::Jsx | ModuleType::Ts | ModuleType::Tsx
        );
        let folder = Path::new(args.id).parent().filter(|f| f.is_absolute());
        let (true, Some(folder)) = (is_script && args.code.contains("import.meta.url"), folder)
        else {
            return Ok(None);
        };
        let mut code = string_wizard::MagicString::new(args.code.as_str());
        let mut imports = String::new();
        for (index, found) in NEW_URL.captures_iter(args.code).enumerate() {
            let Some(path) = found.get(1).or_else(|| found.get(2)) else {
                continue;
            };
            let file = path.as_str().split(['?', '#']).next().unwrap_or_default();
            if !nexxo_diagnostics::input::is_regular_file(&folder.join(file)) {
                continue;
            }
            let name = format!("__nexxo_asset_url_{index}");
            let whole = found.get(0).expect("the whole match");
            code.update(
                whole.start() as u32,
                whole.end() as u32,
                format!("new URL({name}, import.meta.url)"),
            )
            .map_err(anyhow::Error::msg)?;
            let specifier = serde_json::Value::from(format!("{}?url", path.as_str()));
            imports.push_str(&format!("\nimport {name} from {specifier};"));
        }
        if imports.is_empty() {
            return Ok(None);
        }
        code.append(imports);
        Ok(Some(HookTransformOutput {
            code: Some(code.to_string()),
            map: HookTransformOutputMap::from(code.source_map(string_wizard::SourceMapOptions {
                hires: string_wizard::Hires::Boundary,
                include_content: true,
                source: Arc::from(args.id),
            })),
            ..HookTransformOutput::default()
        }))
    }
}
