//! A component file of a framework the project's package.json does not name: one clear error
//! saying what to add, instead of a JavaScript parse error at the component's first `<`.

use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::ids::split_query;
use nexxo_pipeline::{HookFilter, Hooks, LoadArgs, LoadedModule, ModuleHost, Plugin};

pub struct UndetectedFramework {
    /// The component extension without the dot (`vue`).
    pub extension: &'static str,
    /// The package that turns the framework on (`vue`).
    pub package: &'static str,
}

impl Plugin for UndetectedFramework {
    fn name(&self) -> &str {
        "nexxo:undetected-framework"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter {
                extensions: vec![self.extension],
                query: nexxo_pipeline::QueryFilter::None,
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
        let file = split_query(args.id).0;
        Err(Diagnostic::error(format!(
            "{file}: `.{}` files are compiled when the project's package.json lists `{}`",
            self.extension, self.package
        ))
        .with_help(format!(
            "add it with `npm install {}` in the project root (Nexxo detects the framework from package.json; no config needed)",
            self.package
        )))
    }
}
