//! `new URL('./logo.svg', import.meta.url)` as in Vite: the file becomes an emitted asset and
//! the expression its URL. Left as written, the path would be resolved against the chunk's own
//! URL in `assets/`, where the file is not.
//!
//! The call is rewritten to `new URL(<the file's ?url import>, import.meta.url)`, with that
//! import appended (imports are hoisted), so the asset plugin decides the URL (hashed name,
//! `base`, or a data URL under `assetsInlineLimit` in the build; the file where it is in dev)
//! exactly as for `import url from './x?url'`. Only static strings naming an existing file are
//! rewritten here; template strings are the glob plugin's.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use nexxo_diagnostics::Diagnostic;
use regex::Regex;

use crate::host::ModuleHost;
use crate::ids::js_string;
use crate::plugin::{HookFilter, Hooks, Plugin, TransformArgs, Transformed};

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
    fn name(&self) -> &'static str {
        "nexxo:asset-import-meta-url"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(
                HookFilter::extensions(&["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"])
                    .with_code("import.meta.url"),
            ),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let file = crate::ids::split_query(args.id).0;
        let Some(folder) = Path::new(file).parent().filter(|f| f.is_absolute()) else {
            return Ok(None);
        };
        let mut code = string_wizard::MagicString::new(args.code);
        let mut imports = String::new();
        for (index, found) in NEW_URL.captures_iter(args.code).enumerate() {
            let Some(path) = found.get(1).or_else(|| found.get(2)) else {
                continue;
            };
            let file = path.as_str().split(['?', '#']).next().unwrap_or_default();
            if !nexxo_diagnostics::input::is_regular_file(&folder.join(file)) {
                continue;
            }
            // A worker script is the worker plugin's (`new Worker(new URL(…))`).
            let before = &args.code[..found.get(0).expect("the whole match").start()];
            if ends_with_worker_constructor(before) {
                continue;
            }
            let name = format!("__nexxo_asset_url_{index}");
            let whole = found.get(0).expect("the whole match");
            code.update(
                whole.start() as u32,
                whole.end() as u32,
                format!("new URL({name}, import.meta.url)"),
            )
            .map_err(|err| Diagnostic::error(format!("{file}: {err}")))?;
            let specifier = js_string(&format!("{}?url", path.as_str()));
            imports.push_str(&format!("\nimport {name} from {specifier};"));
        }
        if imports.is_empty() {
            return Ok(None);
        }
        code.append(imports);
        let map = code.source_map(string_wizard::SourceMapOptions {
            hires: string_wizard::Hires::Boundary,
            include_content: true,
            source: Arc::from(args.id),
        });
        Ok(Some(Transformed {
            code: code.to_string(),
            map: Some(map.to_json_string()),
            files: Vec::new(),
        }))
    }
}

/// Whether the code before a `new URL(…)` ends with `new Worker(` or `new SharedWorker(`.
pub fn ends_with_worker_constructor(before: &str) -> bool {
    static WORKER_CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bnew\s+(?:Shared)?Worker\s*\(\s*$").expect("a valid pattern")
    });
    WORKER_CALL.is_match(before)
}
