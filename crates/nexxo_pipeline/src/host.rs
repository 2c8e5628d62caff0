//! What each driver decides for the plugins. The build emits hashed files and collects CSS per
//! chunk; the dev server serves files where they are and puts CSS in `<style>` elements. The
//! plugins ask the host and stay the same in both.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

/// How a page starts a worker script: `new Worker(url, { type: 'module' })` or a classic
/// worker (`importScripts`, no `import` statements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkerType {
    Module,
    Classic,
}

/// The script of a web worker, as the host made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerScript {
    /// A JS expression giving the script's URL (a string, or a `blob:` URL for inline workers).
    pub url: String,
    /// The type the worker must be started with.
    pub worker_type: WorkerType,
}

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
    /// A compiler's warning about a module (Svelte's accessibility hints, Vue's): the build
    /// lists it with its output, the dev server prints it. Ignored by default.
    fn warn(&self, warning: Diagnostic) {
        let _ = warning;
    }
    /// The script of a web worker whose entry module is `entry`: its own bundle in the build,
    /// a dev-server route in dev. `requested`: the type the code asked for (`{ type: 'module' }`
    /// or none); `None` for `?worker` imports, whose type follows `worker.format`. `inline`:
    /// the code itself rather than a file (`?worker&inline`).
    fn worker_script(
        &self,
        entry: &Path,
        requested: Option<WorkerType>,
        inline: bool,
    ) -> Result<WorkerScript, Diagnostic> {
        let _ = (requested, inline);
        Err(Diagnostic::error(format!(
            "{}: web workers are not supported in this build",
            entry.display()
        )))
    }
}

/// A host for unit tests of plugins that ask it nothing but trivial questions.
#[cfg(test)]
pub(crate) struct NoHost;

#[cfg(test)]
impl ModuleHost for NoHost {
    fn asset_url_expression(&self, _: &Path, _: Vec<u8>) -> Result<String, Diagnostic> {
        unreachable!("no asset URLs in this test")
    }
    fn css_asset_url(&self, _: &Path, _: Vec<u8>) -> Option<String> {
        None
    }
    fn public_url(&self, name: &str) -> String {
        name.into()
    }
    fn stylesheet_url_expression(&self, _: &Path, _: String) -> Result<String, Diagnostic> {
        unreachable!("no stylesheets in this test")
    }
    fn take_stylesheet(&self, _: &str, _: String, _: Option<String>, _: bool) -> String {
        String::new()
    }
    fn resolve(&self, _: &str, _: &Path) -> Option<PathBuf> {
        None
    }
}
