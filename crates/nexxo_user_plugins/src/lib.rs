//! Users' Rollup and Vite plugins, and the script config files that list them.
//!
//! - [`config_loader`]: `nexxo.config.{ts,mts,js,mjs}` evaluated in a helper that may only read
//!   the project and its packages (TypeScript stripped by oxc first); the result is plain data
//!   for `nexxo_config`: the user's keys, the keys the plugins' `config` hooks set, and one
//!   [`UserPluginSpec`](nexxo_config::plugins::UserPluginSpec) per plugin.
//! - [`js_plugin`]: each plugin as a pipeline [`Plugin`](nexxo_pipeline::Plugin), in its own
//!   helper (one per plugin, so one plugin's rights are not another's), started on first use.
//! - [`filter`]: hook filters checked in Rust, so modules no plugin wants never reach Node.
//! - [`rights`] and [`sandbox`]: what each helper may reach and how it is confined.
//! - [`vite_api`]: the parts of Vite's JavaScript API (`transformWithOxc`, …) that plugins call
//!   and that need a compiler, answered by Rust during the hook.
//!
//! A project without a script config never starts Node for plugins.

pub mod config_loader;
pub mod filter;
pub mod js_plugin;
pub mod rights;
pub mod sandbox;
pub mod vite_api;

use std::sync::Arc;

use nexxo_config::plugins::Enforce;
use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;
use nexxo_node::{NodeOptions, NodePool, NodeTask};
use nexxo_pipeline::{Plugin, UserPlugins};
use serde_json::json;

pub use config_loader::NodeScriptConfigLoader;
pub use js_plugin::JsPlugin;
pub use rights::PluginRights;
pub use sandbox::Confinement;

/// How many hook calls one plugin's helper has in flight at once.
const PLUGIN_REQUESTS_IN_FLIGHT: usize = 16;

/// A dev-server request offered to plugins' `configureServer` middlewares.
#[derive(Debug, Clone)]
pub struct MiddlewareRequest {
    pub method: String,
    /// Path and query, as the browser sent them.
    pub url: String,
    pub headers: Vec<(String, serde_json::Value)>,
    pub body: Vec<u8>,
}

/// A middleware's answer.
#[derive(Debug, Clone)]
pub struct MiddlewareResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The user plugins of one run (a build, a dev session).
#[derive(Default, Clone)]
pub struct UserPluginSet {
    plugins: Vec<Arc<JsPlugin>>,
    /// Plugins whose `configureServer` added middlewares, in order.
    middlewares: Vec<Arc<JsPlugin>>,
}

impl UserPluginSet {
    /// The config's plugins, each with its own helper (started when first needed).
    /// `output_folders`: folders besides outDir the build writes its output into (the staging
    /// folder that becomes outDir), which plugins may write too.
    pub fn new(
        config: &ResolvedConfig,
        confinement: &Confinement,
        output_folders: &[std::path::PathBuf],
    ) -> Self {
        let Some(script) = &config.script_config else {
            return Self::default();
        };
        let command = config_loader::command_name(config.command);
        let resolved = json!({
            "root": config.root,
            "base": config.base,
            "mode": config.mode,
            "command": command,
            "isProduction": config.command == nexxo_config::Command::Build,
            "env": config.import_meta_env(),
            "build": { "outDir": config.out_dir, "assetsDir": config.assets_dir, "sourcemap": config.sourcemap != nexxo_config::Sourcemap::Off, "minify": config.minify },
            "cacheDir": config.cache_dir,
            "publicDir": config.public_dir,
            "define": config.define.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "resolve": { "alias": config.alias.iter().map(|(find, replacement)| json!({ "find": find, "replacement": replacement })).collect::<Vec<_>>() },
            "server": {},
        });
        let plugins = config
            .plugins
            .iter()
            .map(|spec| {
                let mut rights =
                    PluginRights::for_project(config, config.plugin_permissions.get(&spec.name));
                rights.write.extend(output_folders.iter().cloned());
                let mut options = NodeOptions::new(format!("the plugin '{}'", spec.name));
                // One helper per plugin: a plugin's state (what `buildStart` saw, what
                // `moduleParsed` collected) lives in one process, as under Vite. Its hooks
                // are mostly round trips, so that process takes several at once (Node runs
                // them concurrently, as Vite does): rolldown's threads do not queue for it.
                options.max_helpers = 1;
                options.requests_per_helper = PLUGIN_REQUESTS_IN_FLIGHT;
                options.cwd = Some(config.root.clone());
                options.init = Some(NodeTask::compile(
                    &config.root,
                    "plugin.init",
                    json!({
                        "file": script.file,
                        "code": script.code,
                        "command": command,
                        "mode": config.mode,
                        "index": spec.index,
                        "name": spec.name,
                        "resolvedConfig": resolved,
                    }),
                ));
                confinement.apply(&mut options, &rights);
                Arc::new(JsPlugin::new(
                    spec.clone(),
                    &config.root,
                    NodePool::new(options),
                ))
            })
            .collect();
        Self {
            plugins,
            middlewares: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The plugins in the pipeline's three places (see [`UserPlugins`]).
    pub fn pipeline(&self) -> UserPlugins {
        let mut user = UserPlugins::default();
        for plugin in &self.plugins {
            let shared: Arc<dyn Plugin> = plugin.clone();
            match plugin.spec().enforce {
                Some(Enforce::Pre) => user.pre.push(shared),
                Some(Enforce::Post) => user.post.push(shared),
                None => user.normal.push(shared),
            }
        }
        user
    }

    /// Runs every plugin's `configureServer` (dev server start).
    pub fn configure_server(&mut self) -> Result<(), Diagnostic> {
        self.middlewares.clear();
        for plugin in &self.plugins {
            if plugin.configure_server()? {
                self.middlewares.push(plugin.clone());
            }
        }
        Ok(())
    }

    pub fn has_middlewares(&self) -> bool {
        !self.middlewares.is_empty()
    }

    /// The first middleware answer to `request`, in plugin order; `None`: Nexxo serves it.
    pub fn handle_request(
        &self,
        request: &MiddlewareRequest,
    ) -> Result<Option<MiddlewareResponse>, Diagnostic> {
        for plugin in &self.middlewares {
            if let Some(response) = plugin.middleware(request)? {
                return Ok(Some(response));
            }
        }
        Ok(None)
    }
}
