//! Root-absolute imports as in Vite: `import '/src/x.ts'`, `import '/data.json'` name a file
//! under the project root first, then one under `public/`, not a path from the file system's
//! root. A query (`/src/x.ts?raw`) is kept for the plugins that read it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rolldown_plugin::{
    HookResolveIdArgs, HookResolveIdOutput, HookResolveIdReturn, HookUsage, Plugin, PluginContext,
    PluginContextResolveOptions,
};

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
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:root-absolute-imports")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::ResolveId
    }

    async fn resolve_id(
        &self,
        ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        let specifier = args.specifier;
        // `//cdn…` is a protocol-relative URL; a path already under the root (how pages and
        // plugins name files) is the resolver's own.
        let Some(below) = specifier
            .strip_prefix('/')
            .filter(|rest| !rest.starts_with('/'))
        else {
            return Ok(None);
        };
        if self
            .folders
            .iter()
            .any(|folder| Path::new(specifier).starts_with(folder))
        {
            return Ok(None);
        }
        for folder in &self.folders {
            let candidate = folder.join(below);
            let resolved = ctx
                .resolve(
                    &candidate.to_string_lossy(),
                    args.importer,
                    Some(PluginContextResolveOptions {
                        import_kind: args.kind,
                        skip_self: true,
                        ..Default::default()
                    }),
                )
                .await?;
            if let Ok(resolved) = resolved {
                return Ok(Some(HookResolveIdOutput::from_resolved_id(resolved)));
            }
        }
        Ok(None)
    }
}
