//! The build's guard on what rolldown reads and parses (the dev server's load path has the same
//! checks in `nexxo_dev_modules`): a module file that is not a regular file is refused by name before
//! rolldown opens it (a FIFO would block the build forever, `/dev/zero` would never end), and a script
//! nested deeper than `NESTING_LIMIT` is refused before oxc's recursive parser sees it.
//! Errors go to the build's [`ModuleErrors`], with the file and position.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_diagnostics::input::{
    ensure_regular_file, nesting_error, nesting_too_deep, special_file_error, without_dot_segments,
};
use nexxo_diagnostics::input::{Syntax, NESTING_LIMIT};
use nexxo_diagnostics::Diagnostic;
use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookLoadArgs, HookLoadReturn, HookResolveIdArgs, HookResolveIdOutput, HookResolveIdReturn,
    HookTransformArgs, HookTransformOutput, HookTransformReturn, HookUsage, Plugin, PluginContext,
    SharedLoadPluginContext, SharedTransformPluginContext,
};

use crate::build_driver::{into_hook_return, ModuleErrors};

#[derive(Debug)]
pub struct InputGuard {
    /// Files are named relative to the root in errors.
    root: PathBuf,
    errors: Arc<ModuleErrors>,
}

impl InputGuard {
    pub fn new(root: &Path, errors: Arc<ModuleErrors>) -> Self {
        Self {
            root: root.to_path_buf(),
            errors,
        }
    }

    fn shown(&self, id: &str) -> String {
        let path = Path::new(id);
        nexxo_diagnostics::display_path(path.strip_prefix(&self.root).unwrap_or(path))
    }
}

impl Plugin for InputGuard {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:input-guard")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::ResolveId | HookUsage::Load | HookUsage::Transform
    }

    /// rolldown's resolver treats a FIFO or device as missing ("could not resolve"), which
    /// hides what is wrong with a file the user can see: such an import resolves to the file
    /// here, and `load` refuses it by name.
    async fn resolve_id(
        &self,
        _ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        let (Some(importer), true) = (args.importer, args.specifier.starts_with('.')) else {
            return Ok(None);
        };
        let Some(folder) = Path::new(importer).parent().filter(|f| f.is_absolute()) else {
            return Ok(None);
        };
        let file = without_dot_segments(
            &folder.join(args.specifier.split('?').next().unwrap_or_default()),
        );
        Ok(special_file_error(&file)
            .map(|_| HookResolveIdOutput::from_id(file.to_string_lossy().into_owned())))
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        // Virtual modules (`\0…`) and ids with a query are other plugins' to load.
        let path = Path::new(args.id);
        if !path.is_absolute() || args.id.contains('?') {
            return Ok(None);
        }
        match ensure_regular_file(path) {
            // rolldown reports a missing file itself.
            Err(err) if err.kind() == std::io::ErrorKind::InvalidInput => {
                let error =
                    Diagnostic::error(format!("cannot load {}: {err}", self.shown(args.id)));
                into_hook_return(&ctx, &self.errors, Err(error))
            }
            _ => Ok(None),
        }
    }

    async fn transform(
        &self,
        _ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let is_script = matches!(
            args.module_type,
            ModuleType::Js | ModuleType::Jsx | ModuleType::Ts | ModuleType::Tsx | ModuleType::Json
        );
        if !is_script {
            return Ok(None);
        }
        let Some(offset) = nesting_too_deep(args.code, Syntax::Script, NESTING_LIMIT) else {
            return Ok(None);
        };
        self.errors.push(nesting_error(
            self.shown(args.id),
            args.code,
            Syntax::Script,
            offset,
        ));
        // An empty module in its place: rolldown must not parse the original.
        Ok(Some(HookTransformOutput {
            code: Some("export {};\n".to_string()),
            module_type: Some(ModuleType::Js),
            ..HookTransformOutput::default()
        }))
    }
}
