//! Module ids and import resolution for the dev server.
//!
//! A module id is the URL path the browser would use for the file: `/src/App.tsx` under the
//! root, `/@fs/abs/path` outside it (only the workspace's `node_modules` are served from there),
//! `/@deps/<specifier>` for a pre-bundled npm package, `/@id/<id>` for a module a plugin made
//! up (Vite's form: `\0virtual:x` is `/@id/__x00__virtual:x`). A `?query` (`?raw`, `?url`,
//! `?inline`) stays part of the id.

use std::path::{Path, PathBuf};

use nexxo_config::{ResolvedConfig, ResolverConfig};
use nexxo_pipeline::ids::split_query;
use nexxo_pipeline::{Environment, PluginContainer, ProjectResolver, ResolveArgs};

use crate::load::DevHost;

/// Prefix of pre-bundled dependency ids.
pub const DEPS_PREFIX: &str = "/@deps/";
/// Where oxc's transforms import their helpers from.
const OXC_RUNTIME_HELPERS: &str = "@oxc-project/runtime/helpers/";
/// Prefix of ids for files outside the root.
pub const FS_PREFIX: &str = "/@fs";

/// Prefix of ids of modules that are not files: a plugin's virtual modules.
pub const VIRTUAL_PREFIX: &str = "/@id/";
/// How a virtual id's leading `\0` is written in its dev id (as Vite writes it).
const NULL_BYTE: &str = "__x00__";

/// The id of the file at `path` (absolute) with an optional query; a path that is not
/// absolute is a plugin's virtual id (`\0virtual:x`).
pub fn id_for_path(root: &Path, path: &Path, query: Option<&str>) -> String {
    let mut id = if !path.is_absolute() {
        let text = path.to_string_lossy();
        match text.strip_prefix('\0') {
            Some(rest) => format!("{VIRTUAL_PREFIX}{NULL_BYTE}{rest}"),
            None => format!("{VIRTUAL_PREFIX}{text}"),
        }
    } else {
        match path.strip_prefix(root) {
            Ok(relative) => format!("/{}", nexxo_diagnostics::display_path(relative)),
            Err(_) => format!("{FS_PREFIX}{}", nexxo_diagnostics::display_path(path)),
        }
    };
    if let Some(query) = query {
        id.push('?');
        id.push_str(query);
    }
    id
}

/// The file behind a source module id (query removed); for a virtual module, the plugin's id.
pub fn path_for_id(root: &Path, id: &str) -> PathBuf {
    let (path, _) = split_query(id);
    if let Some(virtual_id) = path.strip_prefix(VIRTUAL_PREFIX) {
        return PathBuf::from(match virtual_id.strip_prefix(NULL_BYTE) {
            Some(rest) => format!("\0{rest}"),
            None => virtual_id.to_string(),
        });
    }
    match path.strip_prefix(FS_PREFIX) {
        Some(absolute) => PathBuf::from(absolute),
        None => root.join(path.trim_start_matches('/')),
    }
}

/// What an import specifier points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file the dev server compiles itself (source, CSS, asset, JSON), with its query.
    File {
        path: PathBuf,
        query: Option<String>,
    },
    /// An npm package's JavaScript, served pre-bundled: the bare specifier.
    Dependency(String),
}

/// The dev server's resolver: the module pipeline's `resolve_id` hooks (root-absolute imports),
/// then the project's resolver, built from the same rules as the build's
/// (`nexxo_config::ResolverConfig`), so both name the same file for a specifier.
pub struct ModuleResolver {
    resolver: ProjectResolver,
    container: PluginContainer,
    /// For the hooks' host (only `resolve` is asked of it while resolving).
    config: ResolvedConfig,
}

impl ModuleResolver {
    pub fn new(config: &ResolvedConfig, container: PluginContainer) -> Self {
        Self {
            resolver: ProjectResolver::new(&ResolverConfig::new(config)),
            container,
            config: config.clone(),
        }
    }

    /// The tsconfig.json that governs `file` (`extends` applied), as the build finds it.
    pub fn tsconfig_for(
        &self,
        file: &Path,
    ) -> Result<Option<std::sync::Arc<oxc_resolver::TsConfig>>, nexxo_diagnostics::Diagnostic> {
        self.resolver.oxc().find_tsconfig(file).map_err(|err| {
            nexxo_diagnostics::Diagnostic::error(format!(
                "cannot read the tsconfig.json for {}: {err}",
                file.display()
            ))
        })
    }

    /// The file `specifier` names from `importer`, with the project's rules (no hooks).
    pub fn resolve_file(&self, importer: &Path, specifier: &str) -> Option<PathBuf> {
        self.resolver
            .resolve_from_file(&self.file_importer(importer), specifier)
            .ok()
    }

    /// `importer`, or for a plugin's virtual module (an id that is no absolute path, such as
    /// unplugin-icons' `~icons/mdi/account.jsx`) a file at the root: its imports resolve from
    /// the root, as in Vite and the build.
    fn file_importer(&self, importer: &Path) -> PathBuf {
        if importer.is_absolute() {
            importer.to_path_buf()
        } else {
            self.config.root.join("index.html")
        }
    }

    /// Resolves `specifier` imported from the file `importer`.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Result<Resolved, String> {
        let (request, query) = split_query(specifier);
        // oxc's transforms (legacy decorators, …) import helpers from `@oxc-project/runtime`,
        // which the app need not have installed: rolldown's built-in plugin serves them, so they
        // go to the dependency bundle like a package.
        if request.starts_with(OXC_RUNTIME_HELPERS) && query.is_none() {
            return Ok(Resolved::Dependency(request.to_string()));
        }
        let host = DevHost {
            config: &self.config,
            module_id: specifier,
            resolver: self,
        };
        let args = ResolveArgs {
            specifier,
            importer: Some(importer),
            environment: Environment::Page,
        };
        if let Some(resolved) = self
            .container
            .resolve_id(&args, &host)
            .map_err(|diagnostic| diagnostic.message)?
        {
            let (path, query) = split_query(&resolved.id);
            return Ok(Resolved::File {
                path: PathBuf::from(path),
                query: query.map(String::from),
            });
        }
        let path = self
            .resolver
            .resolve_from_file(&self.file_importer(importer), request)?;
        let bare = !(request.starts_with('.') || request.starts_with('/'));
        let in_node_modules = path.components().any(|c| c.as_os_str() == "node_modules");
        if bare && in_node_modules && query.is_none() && crate::transform::is_script(&path) {
            return Ok(Resolved::Dependency(request.to_string()));
        }
        Ok(Resolved::File {
            path,
            query: query.map(String::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let root = Path::new("/p");
        let id = id_for_path(root, Path::new("/p/src/a.svg"), Some("raw"));
        assert_eq!(id, "/src/a.svg?raw");
        assert_eq!(path_for_id(root, &id), Path::new("/p/src/a.svg"));
        let outside = id_for_path(root, Path::new("/q/node_modules/x/a.css"), None);
        assert_eq!(outside, "/@fs/q/node_modules/x/a.css");
        assert_eq!(
            path_for_id(root, &outside),
            Path::new("/q/node_modules/x/a.css")
        );
        // A plugin's virtual module, with and without the `\0` convention.
        let virtual_id = id_for_path(root, Path::new("\0virtual:x"), Some("v=1"));
        assert_eq!(virtual_id, "/@id/__x00__virtual:x?v=1");
        assert_eq!(path_for_id(root, &virtual_id), Path::new("\0virtual:x"));
        let plain = id_for_path(root, Path::new("virtual:y"), None);
        assert_eq!(plain, "/@id/virtual:y");
        assert_eq!(path_for_id(root, &plain), Path::new("virtual:y"));
    }
}
