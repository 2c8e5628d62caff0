//! Svelte components inside packages, for the dependency pre-bundle: libraries such as
//! `@lucide/svelte` or `bits-ui` ship `.svelte` files (and Svelte 5 rune modules), which
//! rolldown alone cannot read. This rolldown plugin compiles them in the Node helper with
//! their CSS injected by the component (the pre-bundle has no CSS stage), as
//! vite-plugin-svelte's optimizer plugin does. The build compiles them with the app's own
//! modules instead, through the pipeline. Angular packages' partially compiled code is
//! linked here too ([`AngularInDependencies`]).

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use nexxo_frameworks::svelte::{compile_dependency_component, compile_rune_module};
use nexxo_frameworks::NodeCompilers;
use regex::Regex;
use rolldown_common::ModuleType;
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookTransformArgs, HookTransformOutput,
    HookTransformReturn, HookUsage, Plugin, SharedLoadPluginContext, SharedTransformPluginContext,
};

#[derive(Clone)]
pub struct SvelteInDependencies {
    pub compilers: Arc<NodeCompilers>,
}

impl std::fmt::Debug for SvelteInDependencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SvelteInDependencies")
    }
}

fn rune_module(id: &str) -> bool {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r"\.svelte\.[mc]?[jt]s$").expect("valid pattern"))
        .is_match(id)
}

/// The diagnostic as rolldown's error, whose text the pre-bundle's error shows.
fn hook_error(diagnostic: nexxo_diagnostics::Diagnostic) -> anyhow::Error {
    anyhow::anyhow!(diagnostic.render(false))
}

impl Plugin for SvelteInDependencies {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:svelte-in-dependencies")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Load | HookUsage::Transform
    }

    async fn load(&self, _ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        if !args.id.ends_with(".svelte") {
            return Ok(None);
        }
        let path = Path::new(args.id);
        let source = nexxo_diagnostics::input::read_regular_to_string(path)
            .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", path.display()))?;
        let code =
            compile_dependency_component(&self.compilers, path, &source).map_err(hook_error)?;
        Ok(Some(HookLoadOutput {
            code: code.into(),
            module_type: Some(ModuleType::Js),
            ..HookLoadOutput::default()
        }))
    }

    async fn transform(
        &self,
        _ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        if !rune_module(args.id) {
            return Ok(None);
        }
        let typescript = matches!(args.module_type, ModuleType::Ts | ModuleType::Tsx);
        let code = compile_rune_module(
            &self.compilers,
            Path::new(args.id),
            args.code,
            typescript,
            false,
        )
        .map_err(hook_error)?;
        Ok(Some(HookTransformOutput {
            code: Some(code),
            module_type: Some(ModuleType::Js),
            ..HookTransformOutput::default()
        }))
    }
}

/// Angular packages shipped partially compiled (`ɵɵngDeclare*`), linked for the dependency
/// pre-bundle as the build links them through the pipeline.
pub struct AngularInDependencies {
    pub linker: nexxo_frameworks::angular::AngularLinker,
}

impl std::fmt::Debug for AngularInDependencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AngularInDependencies")
    }
}

impl Plugin for AngularInDependencies {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:angular-in-dependencies")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::Transform
    }

    async fn transform(
        &self,
        _ctx: SharedTransformPluginContext,
        args: &HookTransformArgs<'_>,
    ) -> HookTransformReturn {
        let linked = self.linker.link(args.id, args.code).map_err(hook_error)?;
        Ok(linked.map(|code| HookTransformOutput {
            code: Some(code),
            ..HookTransformOutput::default()
        }))
    }
}
