//! Evaluating `nexxo.config.{ts,mts,js,mjs}` in a confined Node helper
//! ([`ScriptConfigLoader`] for `nexxo_config`).

use std::path::Path;

use nexxo_config::plugins::{ScriptConfig, ScriptConfigLoader, UserPluginSpec};
use nexxo_config::Command;
use nexxo_diagnostics::Diagnostic;
use nexxo_node::{NodeOptions, NodePool, NodeTask};
use serde_json::{json, Value};

use crate::rights::PluginRights;
use crate::sandbox::Confinement;

/// Evaluates script configs; each call starts one helper that may read the project and its
/// packages and nothing else (the config imports plugin packages, whose code runs at import).
#[derive(Debug, Clone, Default)]
pub struct NodeScriptConfigLoader {
    confinement: Confinement,
}

impl NodeScriptConfigLoader {
    pub fn new(confinement: Confinement) -> Self {
        Self { confinement }
    }
}

/// The config's JavaScript: TypeScript configs are stripped by oxc (Node 20 cannot run them);
/// `None` for JavaScript, which Node imports itself.
pub(crate) fn config_code(file: &Path) -> Result<Option<String>, Diagnostic> {
    if !matches!(
        file.extension().and_then(|ext| ext.to_str()),
        Some("ts" | "mts")
    ) {
        return Ok(None);
    }
    let source = nexxo_diagnostics::input::read_regular_to_string(file)
        .map_err(|error| Diagnostic::error(format!("cannot read {}: {error}", file.display())))?;
    let display = file.to_string_lossy();
    Ok(Some(
        nexxo_frameworks::strip_types::strip_types(&display, &source, false)?.code,
    ))
}

pub(crate) fn command_name(command: Command) -> &'static str {
    match command {
        Command::Build => "build",
        Command::Serve => "serve",
    }
}

impl ScriptConfigLoader for NodeScriptConfigLoader {
    fn load(&self, file: &Path, command: Command, mode: &str) -> Result<ScriptConfig, Diagnostic> {
        let code = config_code(file)?;
        let root = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        let display = file.file_name().map_or_else(
            || file.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let mut rights = PluginRights::read_only(&root);
        rights.read.push(file.to_path_buf());
        let mut options = NodeOptions::new(format!("the config file {display}"));
        options.max_helpers = 1;
        options.cwd = Some(root.clone());
        self.confinement.apply(&mut options, &rights);
        let pool = NodePool::new(options);
        let reply = pool
            .request(&NodeTask::compile(
                &root,
                "config.load",
                json!({ "file": file, "code": code, "command": command_name(command), "mode": mode }),
            ))
            .map_err(|error| {
                let mut diagnostic = error.to_diagnostic();
                if diagnostic.location.is_none() && !diagnostic.message.contains(&display) {
                    diagnostic.message = format!("{display}: {}", diagnostic.message);
                }
                diagnostic
            })?;
        parse_reply(reply, code, &display)
    }
}

fn parse_reply(
    mut reply: Value,
    code: Option<String>,
    display: &str,
) -> Result<ScriptConfig, Diagnostic> {
    let plugins: Vec<UserPluginSpec> =
        serde_json::from_value(reply["plugins"].take()).map_err(|error| {
            Diagnostic::error(format!("{display}: unreadable plugin list: {error}"))
        })?;
    let plugin_configs = reply["pluginConfigs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["name"].as_str().unwrap_or_default().to_string(),
                entry["config"].clone(),
            )
        })
        .collect();
    let mut user = reply["config"].take();
    if !user.is_object() {
        user = json!({});
    }
    Ok(ScriptConfig {
        user,
        plugin_configs,
        plugins,
        code,
    })
}
