//! The oxc transform plugins a project's dependencies turn on, given to rolldown by the build and
//! merged into each tsconfig's options by the dev server, so both compile the same code.

use nexxo_config::ResolvedConfig;
use rolldown_common::{PluginsOptions, StyledComponentsOptions};

/// oxc's plugins for `config`'s project: the styled-components transform when the root
/// package.json lists `styled-components`, with babel-plugin-styled-components' defaults — a
/// display name prefixed with the file name (`Title-sc-…` classes) and SSR-safe component ids.
/// `None` when no plugin applies.
pub fn transform_plugins(config: &ResolvedConfig) -> Option<PluginsOptions> {
    config
        .package
        .uses_styled_components()
        .then(|| PluginsOptions {
            styled_components: Some(StyledComponentsOptions {
                display_name: Some(true),
                file_name: Some(true),
                ssr: Some(true),
                ..StyledComponentsOptions::default()
            }),
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use nexxo_config::{resolve_config, Command, ConfigOverrides};

    use super::*;

    fn config_with_package(package_json: &str) -> ResolvedConfig {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), package_json).unwrap();
        resolve_config(
            dir.path(),
            Command::Build,
            &ConfigOverrides::default(),
            &BTreeMap::new(),
        )
        .unwrap()
    }

    #[test]
    fn styled_components_as_a_dependency_turns_the_transform_on() {
        let config = config_with_package(r#"{ "dependencies": { "styled-components": "^6" } }"#);
        let plugins = transform_plugins(&config).expect("plugins");
        let styled = plugins
            .styled_components
            .expect("styled-components options");
        assert_eq!(
            (styled.display_name, styled.file_name, styled.ssr),
            (Some(true), Some(true), Some(true))
        );
    }

    #[test]
    fn without_styled_components_no_plugin_runs() {
        let config = config_with_package(r#"{ "dependencies": { "@emotion/react": "11" } }"#);
        assert!(transform_plugins(&config).is_none());
    }
}
