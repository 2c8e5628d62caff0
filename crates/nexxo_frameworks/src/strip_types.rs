//! TypeScript inside components, stripped by oxc in Rust (the JS compilers get JavaScript):
//! a Svelte `<script lang="ts">`, a Solid `.tsx` file before `babel-preset-solid`.

use std::path::Path;

use nexxo_diagnostics::Diagnostic;
use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{JsxOptions, JsxRuntime, TransformOptions, Transformer, TypeScriptOptions};

/// JavaScript with the types of `source` removed.
#[derive(Debug)]
pub struct Stripped {
    pub code: String,
    /// Source map JSON from `code` to `source`.
    pub map: Option<String>,
}

/// Removes TypeScript syntax from `source` (named `display_name` in errors and maps). JSX is
/// kept as written when `jsx` is set. Every import that is not type-only stays, even if the
/// script does not use it: a Svelte or Vue template may be its only user.
pub fn strip_types(display_name: &str, source: &str, jsx: bool) -> Result<Stripped, Diagnostic> {
    let source_type = if jsx {
        SourceType::tsx()
    } else {
        SourceType::ts()
    };
    let options = TransformOptions {
        typescript: TypeScriptOptions {
            only_remove_type_imports: true,
            ..TypeScriptOptions::default()
        },
        jsx: JsxOptions::disable(),
        ..TransformOptions::default()
    };
    transform(display_name, source, source_type, &options)
}

/// The language of a script given to [`compile_script`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptLang {
    Js,
    Jsx,
    Ts,
    Tsx,
}

impl ScriptLang {
    /// From a file name's extension (`.jsx`, `.ts`, `.mts`, `.cts`, `.tsx`); anything else is JS.
    pub fn from_path(path: &str) -> Self {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("jsx") => Self::Jsx,
            Some("ts" | "mts" | "cts") => Self::Ts,
            Some("tsx") => Self::Tsx,
            _ => Self::Js,
        }
    }
}

/// How [`compile_script`] compiles JSX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsxMode {
    /// `import { jsx } from '<import_source>/jsx-runtime'` (React 17+'s runtime).
    Automatic { import_source: String },
    /// `pragma(...)` calls, `React.createElement` by default.
    Classic {
        pragma: Option<String>,
        pragma_frag: Option<String>,
    },
}

/// JavaScript from a TS/JSX script: types removed and JSX compiled, nothing else lowered. This is
/// what Vite's `transformWithOxc`/`transformWithEsbuild` give plugins that compile code they
/// generate (vite-plugin-svgr's JSX).
pub fn compile_script(
    display_name: &str,
    source: &str,
    lang: ScriptLang,
    jsx: &JsxMode,
) -> Result<Stripped, Diagnostic> {
    let source_type = match lang {
        ScriptLang::Js => SourceType::mjs(),
        ScriptLang::Jsx => SourceType::jsx(),
        ScriptLang::Ts => SourceType::ts(),
        ScriptLang::Tsx => SourceType::tsx(),
    };
    let mut jsx_options = JsxOptions::enable();
    match jsx {
        JsxMode::Automatic { import_source } => {
            jsx_options.runtime = JsxRuntime::Automatic;
            jsx_options.import_source = Some(import_source.clone());
        }
        JsxMode::Classic {
            pragma,
            pragma_frag,
        } => {
            jsx_options.runtime = JsxRuntime::Classic;
            jsx_options.pragma = pragma.clone();
            jsx_options.pragma_frag = pragma_frag.clone();
        }
    }
    let options = TransformOptions {
        jsx: jsx_options,
        ..TransformOptions::default()
    };
    transform(display_name, source, source_type, &options)
}

fn transform(
    display_name: &str,
    source: &str,
    source_type: SourceType,
    options: &TransformOptions,
) -> Result<Stripped, Diagnostic> {
    nexxo_diagnostics::input::check_nesting(
        display_name,
        source,
        nexxo_diagnostics::input::Syntax::Script,
    )?;
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new().with_enum_eval(true).build(&program);
    if let Some(error) = semantic.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let transformed = Transformer::new(&allocator, Path::new(display_name), options)
        .build_with_scoping(semantic.semantic.into_scoping(), &mut program);
    if let Some(error) = transformed.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let printed = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(display_name.into()),
            ..CodegenOptions::default()
        })
        .with_source_text(source)
        .build(&program);
    Ok(Stripped {
        code: printed.code,
        map: printed.map.map(|mut map| {
            map.set_sources([display_name]);
            map.set_source_contents(vec![Some(source)]);
            map.to_json_string()
        }),
    })
}

fn oxc_error(error: &OxcDiagnostic, file: &str, source: &str) -> Diagnostic {
    let offset = error
        .labels
        .first()
        .map(|label| label.offset() as usize)
        .unwrap_or(0);
    Diagnostic::at_offset(error.message.to_string(), file, source, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_script_compiles_jsx_for_either_runtime() {
        let source = "const a: number = 1;\nexport default () => <svg width={a}><path /></svg>;\n";
        let automatic = compile_script(
            "icon.tsx",
            source,
            ScriptLang::Tsx,
            &JsxMode::Automatic {
                import_source: "preact".into(),
            },
        )
        .unwrap();
        assert!(
            automatic.code.contains("preact/jsx-runtime"),
            "{}",
            automatic.code
        );
        assert!(!automatic.code.contains(": number"), "{}", automatic.code);
        let classic = compile_script(
            "icon.jsx",
            "export default () => <svg />;",
            ScriptLang::Jsx,
            &JsxMode::Classic {
                pragma: None,
                pragma_frag: None,
            },
        )
        .unwrap();
        assert!(
            classic.code.contains("React.createElement(\"svg\""),
            "{}",
            classic.code
        );
    }

    #[test]
    fn compile_script_reports_syntax_errors_with_their_place() {
        let error = compile_script(
            "broken.jsx",
            "export default () => <svg>;\n",
            ScriptLang::Jsx,
            &JsxMode::Classic {
                pragma: None,
                pragma_frag: None,
            },
        )
        .unwrap_err();
        let location = error.location.as_deref().expect("a location");
        assert!(location.file.ends_with("broken.jsx"), "{error:?}");
        assert_eq!(location.line, 1, "{error:?}");
        assert_eq!(ScriptLang::from_path("/x/a.svg?react"), ScriptLang::Js);
        assert_eq!(ScriptLang::from_path("/x/a.mts"), ScriptLang::Ts);
    }
}
