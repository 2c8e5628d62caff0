//! The Rust half of the `vite` module plugins import in Nexxo (`helper/tasks/plugin_modules.mjs`
//! has the JS half): functions of Vite's JavaScript API that need a compiler, answered as
//! callbacks while a hook runs.

use nexxo_frameworks::strip_types::{compile_script, JsxMode, ScriptLang};
use serde_json::{json, Value};

/// `transformWithOxc` / `transformWithEsbuild`: `{ code, filename, lang?, jsx? }` → `{ code,
/// map }`. `lang` is `js`/`jsx`/`ts`/`tsx` (from the file name when absent); `jsx` is `{ runtime:
/// 'automatic' | 'classic', importSource?, pragma?, pragmaFrag? }`, automatic with React by default
/// as in Vite 8.
pub fn transform_script(args: &Value) -> Result<Value, String> {
    let code = args["code"].as_str().unwrap_or_default();
    let filename = args["filename"].as_str().unwrap_or("script.js");
    let lang = match args["lang"].as_str() {
        Some("jsx") => ScriptLang::Jsx,
        Some("ts") => ScriptLang::Ts,
        Some("tsx") => ScriptLang::Tsx,
        Some("js") => ScriptLang::Js,
        Some(other) => {
            return Err(format!(
                "unknown script language `{other}` (js, jsx, ts or tsx)"
            ))
        }
        None => ScriptLang::from_path(filename),
    };
    let jsx = &args["jsx"];
    let text = |key: &str| jsx[key].as_str().map(str::to_string);
    let mode = match jsx["runtime"].as_str() {
        Some("classic") => JsxMode::Classic {
            pragma: text("pragma"),
            pragma_frag: text("pragmaFrag"),
        },
        _ => JsxMode::Automatic {
            import_source: text("importSource").unwrap_or_else(|| "react".into()),
        },
    };
    let compiled = compile_script(filename, code, lang, &mode).map_err(|error| {
        match error.location.as_deref() {
            Some(at) => format!(
                "{}:{}:{}: {}",
                at.file.display(),
                at.line,
                at.column,
                error.message
            ),
            None => error.message,
        }
    })?;
    Ok(json!({ "code": compiled.code, "map": compiled.map }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_jsx_with_the_runtime_asked_for() {
        let classic = transform_script(&json!({
            "code": "export default () => <svg />;",
            "filename": "/p/icon.svg?react",
            "lang": "jsx",
            "jsx": { "runtime": "classic" },
        }))
        .unwrap();
        assert!(classic["code"]
            .as_str()
            .unwrap()
            .contains("React.createElement"));
        let automatic =
            transform_script(&json!({ "code": "let a = <b />;", "filename": "a.tsx" })).unwrap();
        assert!(automatic["code"]
            .as_str()
            .unwrap()
            .contains("react/jsx-runtime"));
        let error = transform_script(&json!({ "code": "let a = <b>;", "filename": "/p/a.jsx" }))
            .unwrap_err();
        assert!(error.starts_with("/p/a.jsx:1:"), "{error}");
        assert!(
            transform_script(&json!({ "code": "", "filename": "a.js", "lang": "coffee" })).is_err()
        );
    }
}
