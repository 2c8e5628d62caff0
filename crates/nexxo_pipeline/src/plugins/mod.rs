//! Nexxo's built-in plugins, one per feature (Vite's layout), in the order
//! [`builtin_plugins`] puts them.

pub mod asset_import_meta_url;
pub mod assets;
pub mod chunk_css;
pub mod dynamic_import_vars;
pub mod glob;
pub mod html_scripts;
pub mod json;
pub mod queried_files;
pub mod root_absolute;
pub mod stylesheets;
pub mod workers;

use std::path::Path;

use nexxo_diagnostics::Diagnostic;

pub use asset_import_meta_url::{AssetImportMetaUrl, AssetUrlTemplates};
pub use assets::AssetModules;
pub use chunk_css::{ChunkCss, ChunkStyles};
pub use dynamic_import_vars::DynamicImportVars;
pub use glob::GlobImports;
pub use html_scripts::HtmlInlineScripts;
pub use json::JsonModules;
pub use queried_files::QueriedFiles;
pub use root_absolute::RootAbsoluteImports;
pub use stylesheets::StylesheetModules;
pub use workers::Workers;

/// Reads an imported file, refusing FIFOs and devices by name.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    nexxo_diagnostics::input::read_regular(path).map_err(|err| {
        Diagnostic::error(format!(
            "cannot read imported file {}: {err}",
            path.display()
        ))
    })
}
