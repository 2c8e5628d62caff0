//! Imported files that are not code (images, fonts, media, `.wasm`…), and the
//! `?url`/`?raw`/`?inline` queries on any file: the default export is the file's URL (which the
//! host decides: a hashed file or data URL in the build, the file where it is in dev), its
//! text, or a data URL.

use std::path::Path;

use nexxo_diagnostics::Diagnostic;

use super::read;
use crate::host::ModuleHost;
use crate::ids::{classify, data_url, js_string, split_query, AssetImport};
use crate::plugin::{HookFilter, Hooks, LoadArgs, LoadedModule, Plugin};

#[derive(Debug, Default)]
pub struct AssetModules;

impl Plugin for AssetModules {
    fn name(&self) -> &str {
        "nexxo:assets"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            // Any file with `?url`/`?raw`/`?inline`, or of an asset type: `classify` decides.
            load: Some(HookFilter::any()),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let Some(kind) = classify(args.id) else {
            return Ok(None);
        };
        let path = Path::new(split_query(args.id).0);
        let bytes = read(path)?;
        let expression = match kind {
            AssetImport::Raw => js_string(&String::from_utf8_lossy(&bytes)),
            AssetImport::Inline => js_string(&data_url(path, &bytes)),
            AssetImport::Url => host.asset_url_expression(path, bytes)?,
        };
        Ok(Some(LoadedModule::js(
            format!("export default {expression};\n"),
            vec![path.to_path_buf()],
        )))
    }
}
