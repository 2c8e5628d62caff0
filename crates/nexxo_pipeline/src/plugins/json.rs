//! JSON files as ES modules.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

use super::read;
use crate::host::ModuleHost;
use crate::ids::{is_in_package, js_string, split_query};
use crate::plugin::{HookFilter, Hooks, LoadArgs, LoadedModule, Plugin, QueryFilter};

/// JSON files: a default export plus one named export per top-level key that is a valid name
/// (so an app that imports one key gets only that key in its bundle).
#[derive(Debug)]
pub struct JsonModules {
    /// Errors name files relative to the project root.
    pub root: PathBuf,
    /// Leave JSON inside `node_modules` to the bundler: a package's CommonJS
    /// `require('./data.json')` must get the object itself, which rolldown's own JSON support
    /// gives and an ES module does not. (The dev server bundles packages with rolldown too.)
    pub leave_packages_to_bundler: bool,
}

impl Plugin for JsonModules {
    fn name(&self) -> &str {
        "nexxo:json"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter {
                extensions: vec!["json"],
                query: QueryFilter::None,
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
        let (path_text, _) = split_query(args.id);
        if is_in_package(args.id) && self.leave_packages_to_bundler {
            return Ok(None);
        }
        let path = Path::new(path_text);
        let source = String::from_utf8_lossy(&read(path)?).into_owned();
        let code = json_module(&source).map_err(|err| {
            Diagnostic::at(
                format!("invalid JSON: {err}"),
                nexxo_diagnostics::display_path(path.strip_prefix(&self.root).unwrap_or(path)),
                Some(source.clone()),
                err.line(),
                err.column(),
            )
        })?;
        Ok(Some(LoadedModule::js(code, vec![path.to_path_buf()])))
    }
}

/// `export const key = …` per valid key, and a default export object built from them.
pub fn json_module(source: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(source)?;
    let serde_json::Value::Object(map) = &value else {
        return Ok(format!("export default {value};\n"));
    };
    let mut code = String::new();
    let mut fields = Vec::new();
    for (index, (key, item)) in map.iter().enumerate() {
        if is_export_name(key) {
            code.push_str(&format!("export const {key} = {item};\n"));
            fields.push(format!("{}: {key}", js_string(key)));
        } else {
            // Not a valid binding name: still in the default export.
            code.push_str(&format!("const __json_{index} = {item};\n"));
            fields.push(format!("{}: __json_{index}", js_string(key)));
        }
    }
    code.push_str(&format!("export default {{ {} }};\n", fields.join(", ")));
    Ok(code)
}

/// Whether `name` can be a named export (`export const name`): an ASCII identifier that is
/// not a reserved word in module code.
pub fn is_export_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "arguments",
        "eval",
    ];
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_become_named_exports_unless_reserved() {
        let code = json_module(r#"{"name": "app", "private": true, "my-key": 1}"#).unwrap();
        assert!(code.contains("export const name = \"app\";"), "{code}");
        assert!(!code.contains("export const private"), "{code}");
        assert!(!code.contains("export const my-key"), "{code}");
        assert!(code.contains("\"private\": __json_1"), "{code}");
        assert!(code.contains("\"my-key\": __json_2"), "{code}");
        assert_eq!(json_module("[1, 2]").unwrap(), "export default [1,2];\n");
    }
}
