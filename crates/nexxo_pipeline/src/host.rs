//! What each driver decides for the plugins. The build emits hashed files and collects CSS per
//! chunk; the dev server serves files where they are and puts CSS in `<style>` elements. The
//! plugins ask the host and stay the same in both.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

pub trait ModuleHost: Sync {
    /// A JS expression giving the URL of `path`, imported as an asset (`bytes` already read).
    fn asset_url_expression(&self, path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic>;
    /// The URL a stylesheet's `url()` gets for the local file `path` (`bytes` already read).
    fn css_asset_url(&self, path: &Path, bytes: Vec<u8>) -> Option<String>;
    /// The URL a stylesheet's `url()` gets for `/name`, a file of `public/`.
    fn public_url(&self, name: &str) -> String;
    /// A JS expression giving the URL of a stylesheet imported with `?url` (its compiled CSS).
    fn stylesheet_url_expression(&self, path: &Path, css: String) -> Result<String, Diagnostic>;
    /// Takes the compiled CSS of an imported stylesheet; returns code the module starts with.
    fn take_stylesheet(
        &self,
        id: &str,
        css: String,
        map: Option<String>,
        is_module: bool,
    ) -> String;
    /// Resolves `specifier` from the file `importer` with the project's one set of resolution
    /// rules (`nexxo_config::ResolverConfig`): aliases, tsconfig `paths`, extensions,
    /// `exports` conditions. `None`: nothing found.
    fn resolve(&self, specifier: &str, importer: &Path) -> Option<PathBuf>;
}
