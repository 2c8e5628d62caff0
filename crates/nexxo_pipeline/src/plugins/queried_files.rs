//! A script or JSON file imported with a query no plugin knows (`./foo.js?v=1`): loaded from
//! the file without the query, as in Vite, with the query kept in the module's id (so
//! `./foo.js?v=1` and `./foo.js?v=2` stay two modules). Known queries (`?raw`, `?url`,
//! `?inline`, `?worker`) belong to the plugins before this one.

use std::path::Path;

use nexxo_diagnostics::Diagnostic;

use super::json::json_module;
use super::read;
use crate::host::ModuleHost;
use crate::ids::split_query;
use crate::plugin::{
    HookFilter, Hooks, Lang, LoadArgs, LoadedModule, Plugin, QueryFilter, SCRIPT_EXTENSIONS,
};

#[derive(Debug)]
pub struct QueriedFiles;

impl Plugin for QueriedFiles {
    fn name(&self) -> &str {
        "nexxo:queried-files"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter {
                extensions: SCRIPT_EXTENSIONS.iter().copied().chain(["json"]).collect(),
                query: QueryFilter::Present,
                ..HookFilter::default()
            }),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let (file, Some(_query)) = split_query(args.id) else {
            return Ok(None);
        };
        let path = Path::new(file);
        if !path.is_absolute() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&read(path)?).into_owned();
        let files = vec![path.to_path_buf()];
        let Some(lang) = Lang::of(file) else {
            // JSON, the only other extension the filter lets through.
            let code = json_module(&text)
                .map_err(|err| Diagnostic::error(format!("{file}: invalid JSON: {err}")))?;
            return Ok(Some(LoadedModule::js(code, files)));
        };
        Ok(Some(LoadedModule::script(text, lang, files)))
    }
}
