//! Components of the frameworks whose compilers exist only in JavaScript (Vue, Svelte,
//! Solid, Angular), and stylesheets that go through PostCSS or Tailwind, as plugins of the module
//! pipeline both drivers run. The compilers are the project's own (loaded from its
//! `node_modules` by the Node helper of `nexxo_node`, as Vite's framework plugins use them);
//! their results are cached persistently ([`compilers`]), and TypeScript inside components is
//! stripped by oxc here ([`strip_types`]).
//!
//! Nothing here runs for a project that names none of these frameworks in its package.json
//! and has no PostCSS config: React, Preact, Lit and vanilla apps never start Node.
//!
//! - [`vue`]: `.vue` single-file components and their `<style>` blocks.
//! - [`svelte`]: `.svelte` components (5, 4, 3) and their CSS.
//! - [`solid`]: Solid's JSX through `babel-preset-solid` and `solid-refresh`.
//! - [`angular`]: Angular's ahead-of-time compile of the whole TypeScript program, the
//!   linker for partially compiled packages, and the index page `angular.json` describes.
//! - [`stylesheet_transform`]: PostCSS configs and Tailwind v4, as the CSS stage's hook.
//! - [`compilers`]: the Node helper pool and the persistent cache of its results.
//! - [`undetected`]: a clear error for a component of a framework package.json does not name.
//! - [`sfc_cache`]: each component's last compile, shared by the modules it splits into.

pub mod angular;
pub mod compilers;
pub mod sfc_cache;
pub mod solid;
pub mod strip_types;
pub mod stylesheet_transform;
pub mod svelte;
pub mod undetected;
pub mod vue;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use nexxo_cache::CacheStore;
use nexxo_config::Frameworks;
use nexxo_css::StylesheetTransform;
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::Plugin;

pub use compilers::NodeCompilers;
pub use stylesheet_transform::{NodeStylesheetTransform, StylesheetTool};

/// How components are compiled: for a production build or for the dev server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameworkMode {
    /// Production output (no dev checks, Vue's template inlined into `setup`).
    pub production: bool,
    /// Hot-update code in the output (the dev server).
    pub hmr: bool,
}

/// What a project compiles in the Node helper: its framework components and, with a PostCSS
/// config or Tailwind v4, its stylesheets. One pool of helpers serves them all.
pub struct ProjectCompilers {
    frameworks: Frameworks,
    stylesheet_tool: Option<StylesheetTool>,
    mode: FrameworkMode,
    /// `None`: the project needs no JS compiler (Node is never started).
    node: Option<Arc<NodeCompilers>>,
    /// An Angular app's build target, and its compile once the plugins are made.
    angular: Option<nexxo_config::AngularProject>,
    angular_compiler: OnceLock<Arc<angular::AngularCompiler>>,
}

impl ProjectCompilers {
    /// `cache`: the persistent store that keeps the compilers' results.
    pub fn new(
        root: &Path,
        frameworks: Frameworks,
        mode: FrameworkMode,
        cache: Option<Arc<CacheStore>>,
    ) -> Self {
        let stylesheet_tool = StylesheetTool::detect(root);
        let purpose = [
            (frameworks.vue, "Vue single-file components"),
            (frameworks.svelte, "Svelte components"),
            (frameworks.solid, "Solid JSX"),
            (frameworks.angular, "Angular libraries"),
            (
                matches!(stylesheet_tool, Some(StylesheetTool::PostCss(_))),
                "the PostCSS config",
            ),
            (
                stylesheet_tool == Some(StylesheetTool::Tailwind),
                "Tailwind CSS",
            ),
        ]
        .iter()
        .filter(|(used, _)| *used)
        .map(|(_, what)| *what)
        .collect::<Vec<_>>();
        let node = (!purpose.is_empty())
            .then(|| Arc::new(NodeCompilers::new(root, &purpose.join(" and "), cache)));
        Self {
            frameworks,
            stylesheet_tool,
            mode,
            node,
            angular: None,
            angular_compiler: OnceLock::new(),
        }
    }

    /// An Angular app (`ResolvedConfig::angular`): its TypeScript goes through the Angular
    /// compiler, its index page gets the entry and styles.
    pub fn with_angular(mut self, project: Option<nexxo_config::AngularProject>) -> Self {
        for key in project.iter().flat_map(|project| &project.ignored) {
            eprintln!(
                "warning: angular.json: the build target's `{key}` is not read by Nexxo (see docs/angular.md)"
            );
        }
        self.angular = project;
        self
    }

    /// The Angular app's compile, once [`Self::plugins`] made it (the dev server answers
    /// component updates from it).
    pub fn angular_compiler(&self) -> Option<&Arc<angular::AngularCompiler>> {
        self.angular_compiler.get()
    }

    /// The Node helper pool, when the project needs one.
    pub fn node(&self) -> Option<&Arc<NodeCompilers>> {
        self.node.as_ref()
    }

    /// The CSS stage's hook (`CssOptions::transform`): PostCSS or Tailwind, if the project
    /// uses one.
    pub fn stylesheet_transform(&self) -> Option<Arc<dyn StylesheetTransform>> {
        let (node, tool) = (self.node.as_ref()?, self.stylesheet_tool.clone()?);
        Some(Arc::new(NodeStylesheetTransform::new(
            node.clone(),
            tool,
            self.mode.production,
        )))
    }

    /// The framework plugins, in pipeline order (they go before the built-in stylesheet
    /// plugin: their components' style blocks are ids of their own).
    pub fn plugins(&self, stylesheets: &Arc<StylesheetModules>) -> Vec<Arc<dyn Plugin>> {
        let mut plugins: Vec<Arc<dyn Plugin>> = Vec::new();
        for (detected, extension, package) in [
            (self.frameworks.vue, "vue", "vue"),
            (self.frameworks.svelte, "svelte", "svelte"),
        ] {
            if !detected {
                plugins.push(Arc::new(undetected::UndetectedFramework {
                    extension,
                    package,
                }));
            }
        }
        let Some(node) = &self.node else {
            return plugins;
        };
        if self.frameworks.vue {
            plugins.push(Arc::new(vue::VueComponents::new(
                node.clone(),
                stylesheets.clone(),
                self.mode,
            )));
        }
        if self.frameworks.svelte {
            plugins.push(Arc::new(svelte::SvelteComponents::new(
                node.clone(),
                stylesheets.clone(),
                self.mode,
            )));
            plugins.push(Arc::new(svelte::SvelteRuneModules::new(
                node.clone(),
                self.mode,
            )));
        }
        if self.frameworks.solid {
            plugins.push(Arc::new(solid::SolidTypeStrip {
                root: node.root().to_path_buf(),
            }));
            plugins.push(Arc::new(solid::SolidJsx::new(node.clone(), self.mode)));
        }
        if self.frameworks.angular {
            plugins.push(Arc::new(angular::AngularLinker::new(
                node.clone(),
                self.mode.production,
            )));
        }
        if let Some(project) = &self.angular {
            let compiler = self.angular_compiler.get_or_init(|| {
                Arc::new(angular::AngularCompiler::new(
                    node.root(),
                    project.clone(),
                    stylesheets.clone(),
                    self.mode,
                ))
            });
            plugins.push(Arc::new(angular::AngularComponents::new(compiler.clone())));
        }
        plugins
    }
}

#[cfg(test)]
mod tests;
