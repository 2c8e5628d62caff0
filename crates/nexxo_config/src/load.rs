//! Reading `nexxo.config.json`. Errors name the key path, the file, the line and the column.

use std::path::Path;

use nexxo_diagnostics::Diagnostic;

use crate::UserConfig;

/// Parses config text; `display_name` is the file name shown in errors.
pub fn parse_config(text: &str, display_name: &Path) -> Result<UserConfig, Diagnostic> {
    let mut json = serde_json::Deserializer::from_str(text);
    let parsed: Result<UserConfig, _> = serde_path_to_error::deserialize(&mut json);
    let config = parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() || path == "." {
            format!(
                "invalid JSON in config: {}",
                strip_position(&inner.to_string())
            )
        } else {
            format!(
                "invalid config key `{path}`: {}",
                strip_position(&inner.to_string())
            )
        };
        Diagnostic::at(
            message,
            display_name,
            Some(text.to_string()),
            inner.line().max(1),
            inner.column().max(1),
        )
        .with_help("see schema/nexxo.config.schema.json for every key and its type")
    })?;
    json.end().map_err(|err| {
        Diagnostic::at(
            "invalid JSON in config: trailing characters after the object",
            display_name,
            Some(text.to_string()),
            err.line(),
            err.column(),
        )
    })?;
    Ok(config)
}

/// Checks the plain data a script config exported (no line or column: the object was built by
/// running the file), naming the key path.
pub fn parse_config_value(
    value: serde_json::Value,
    display_name: &Path,
) -> Result<UserConfig, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        Diagnostic::error(format!(
            "{}: invalid config key `{path}`: {}",
            display_name.display(),
            err.into_inner()
        ))
        .with_help("see schema/nexxo.config.schema.json for every key and its type")
    })
}

/// Reads and parses the config file at `path`.
pub fn load_config_file(path: &Path, display_name: &Path) -> Result<UserConfig, Diagnostic> {
    let text = nexxo_diagnostics::input::read_regular_to_string(path).map_err(|err| {
        Diagnostic::error(format!(
            "cannot read config file {}: {err}",
            display_name.display()
        ))
    })?;
    parse_config(&text, display_name)
}

/// serde_json appends " at line L column C"; the diagnostic shows the position itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> Diagnostic {
        parse_config(text, Path::new("nexxo.config.json")).unwrap_err()
    }

    #[test]
    fn unknown_key_names_key_and_position() {
        let error = error_of("{\n  \"build\": {\n    \"minfy\": true\n  }\n}");
        assert!(error.message.contains("build.minfy"), "{}", error.message);
        assert!(
            error.message.contains("unknown field `minfy`"),
            "{}",
            error.message
        );
        let location = error.location.unwrap();
        assert_eq!(location.line, 3);
    }

    #[test]
    fn wrong_type_says_what_was_expected() {
        let error = error_of(r#"{ "build": { "assetsInlineLimit": "big" } }"#);
        assert!(
            error.message.contains("build.assetsInlineLimit"),
            "{}",
            error.message
        );
        assert!(error.message.contains("expected u64"), "{}", error.message);
        let error = error_of(r#"{ "build": { "sourcemap": "yes" } }"#);
        assert!(
            error
                .message
                .contains(r#"true, false, "inline" or "hidden""#),
            "{}",
            error.message
        );
    }

    #[test]
    fn watch_options_are_checked() {
        let error = error_of(r#"{ "build": { "watch": { "buildDelai": 5 } } }"#);
        assert!(error.message.contains("buildDelai"), "{}", error.message);
        let error = error_of(r#"{ "build": { "input": { "main": 3 } } }"#);
        assert!(error.message.contains("build"), "{}", error.message);
    }

    #[test]
    fn syntax_error_is_reported() {
        let error = error_of("{ \"base\": \"/\", }");
        assert!(
            error.message.starts_with("invalid JSON"),
            "{}",
            error.message
        );
    }

    #[test]
    fn full_config_parses() {
        let config = parse_config(
            r#"{
              "$schema": "./node_modules/nexxo/schema.json",
              "root": ".", "base": "/app/", "outDir": "build", "publicDir": false,
              "mode": "staging", "define": { "__V__": "\"1\"", "__N__": 3 },
              "resolve": { "alias": { "@": "./src" } }, "envPrefix": ["APP_", "NEXXO_"],
              "build": { "target": "es2020", "sourcemap": "hidden", "minify": false,
                "assetsInlineLimit": 0, "manualChunks": { "vendor": ["react"] },
                "emptyOutDir": true,
                "lib": { "entry": "src/index.ts", "name": "Lib", "formats": ["es", "umd"], "fileName": "lib" } }
            }"#,
            Path::new("nexxo.config.json"),
        )
        .unwrap();
        let build = config.build.unwrap();
        assert_eq!(
            build.sourcemap,
            Some(crate::user_config::SourcemapOption::Hidden)
        );
        assert_eq!(
            build.manual_chunks.unwrap().entries().unwrap()[0].1,
            vec!["react"]
        );
        assert_eq!(
            config.public_dir,
            Some(crate::user_config::PublicDir::Disabled)
        );
    }
}

#[cfg(test)]
mod schema_tests {
    //! The JSON Schema shipped for editors must list exactly the keys the parser accepts.

    use std::collections::BTreeSet;
    use std::path::Path;

    use super::parse_config;

    /// The keys serde accepts at a path, read from its "unknown field" message.
    fn accepted_keys(probe: &str) -> BTreeSet<String> {
        let error = parse_config(probe, Path::new("probe.json")).unwrap_err();
        let list = error
            .message
            .split("expected one of ")
            .nth(1)
            .expect("serde lists the fields");
        list.split(", ")
            .map(|k| k.trim_matches('`').to_string())
            .collect()
    }

    fn schema_keys(schema: &serde_json::Value, pointer: &str) -> BTreeSet<String> {
        schema
            .pointer(pointer)
            .and_then(|p| p.as_object())
            .expect(pointer)
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn schema_matches_the_parser() {
        let text = include_str!("../../../schema/nexxo.config.schema.json");
        let schema: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            schema_keys(&schema, "/properties"),
            accepted_keys(r#"{ "__probe": 1 }"#)
        );
        assert_eq!(
            schema_keys(&schema, "/properties/build/properties"),
            accepted_keys(r#"{ "build": { "__probe": 1 } }"#)
        );
        assert_eq!(
            schema_keys(&schema, "/properties/css/properties/modules/properties"),
            BTreeSet::from(["generateScopedName".to_string()])
        );
        assert_eq!(
            schema_keys(&schema, "/properties/resolve/properties"),
            BTreeSet::from(["alias".to_string()])
        );
        assert_eq!(
            schema_keys(
                &schema,
                "/properties/build/properties/budgets/items/properties"
            ),
            accepted_keys(
                r#"{ "build": { "budgets": [{ "path": "x", "maxSize": 1, "__probe": 1 }] } }"#
            )
        );
        assert_eq!(
            schema_keys(&schema, "/properties/build/properties/lib/properties"),
            accepted_keys(r#"{ "build": { "lib": { "entry": "x", "__probe": 1 } } }"#)
        );
        // One key: serde's message says "expected `format`", not "one of".
        assert_eq!(
            schema_keys(&schema, "/properties/worker/properties"),
            BTreeSet::from(["format".to_string()])
        );
        assert!(parse_config(r#"{ "worker": { "format": "iife" } }"#, Path::new("p.json")).is_ok());
        assert_eq!(
            schema_keys(&schema, "/properties/wasmPlugins/items/properties"),
            accepted_keys(r#"{ "wasmPlugins": [{ "path": "p.wat", "__probe": 1 }] }"#)
        );
        assert_eq!(
            schema_keys(
                &schema,
                "/properties/wasmPlugins/items/properties/filter/properties"
            ),
            // Two keys: serde's message says "expected `id` or `extensions`", not "one of".
            BTreeSet::from(["extensions".to_string(), "id".to_string()])
        );
        assert_eq!(
            schema_keys(&schema, "/properties/audit/properties"),
            accepted_keys(r#"{ "audit": { "__probe": 1 } }"#)
        );
        assert!(parse_config(
            r#"{ "audit": { "rules": { "image-alt": "warn", "meta-description": "off" } } }"#,
            Path::new("p.json")
        )
        .is_ok());
        assert!(parse_config(
            r#"{ "audit": { "rules": { "image-alt": "loud" } } }"#,
            Path::new("p.json")
        )
        .is_err());
        let probe = parse_config(
            r#"{ "wasmPlugins": [{ "path": "p.wat", "filter": { "__probe": 1 } }] }"#,
            Path::new("p.json"),
        )
        .unwrap_err();
        assert!(
            probe.message.contains("expected `id` or `extensions`"),
            "{}",
            probe.message
        );
    }
}
