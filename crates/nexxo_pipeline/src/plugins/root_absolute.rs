//! Root-absolute imports as in Vite: `import '/src/x.ts'`, `import '/data.json'` name a file
//! under the project root first, then one under `public/`, not a path from the file system's
//! root. A query (`/src/x.ts?raw`) is kept for the plugins that read it.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

use crate::host::ModuleHost;
use crate::ids::split_query;
use crate::plugin::{HookFilter, Hooks, Plugin, ResolveArgs, ResolvedId};

#[derive(Debug)]
pub struct RootAbsoluteImports {
    /// Where a root-absolute import is looked up, in order: the root, then `public/`.
    folders: Vec<PathBuf>,
}

impl RootAbsoluteImports {
    pub fn new(root: &Path, public_dir: Option<&Path>) -> Self {
        Self {
            folders: std::iter::once(root)
                .chain(public_dir)
                .map(Path::to_path_buf)
                .collect(),
        }
    }
}

impl Plugin for RootAbsoluteImports {
    fn name(&self) -> &str {
        "nexxo:root-absolute-imports"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            resolve_id: Some(HookFilter {
                id: Some(regex::Regex::new("^/[^/]").expect("a valid pattern")),
                ..HookFilter::default()
            }),
            ..Hooks::default()
        }
    }

    fn resolve_id(
        &self,
        args: &ResolveArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        let (path, query) = split_query(args.specifier);
        // Already a path inside the project (an entry, a resolved id): leave it.
        if self.folders.iter().any(|f| Path::new(path).starts_with(f)) {
            return Ok(None);
        }
        let below = path.trim_start_matches('/');
        let importer = args.importer.unwrap_or(&self.folders[0]);
        for folder in &self.folders {
            let candidate = folder.join(below);
            if let Some(found) = host.resolve(&candidate.to_string_lossy(), importer) {
                let mut id = found.to_string_lossy().into_owned();
                if let Some(query) = query {
                    id.push('?');
                    id.push_str(query);
                }
                return Ok(Some(ResolvedId { id }));
            }
        }
        Ok(None)
    }
}
