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
use oxc_transformer::{JsxOptions, TransformOptions, Transformer, TypeScriptOptions};

/// JavaScript with the types of `source` removed.
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
    let options = TransformOptions {
        typescript: TypeScriptOptions {
            only_remove_type_imports: true,
            ..TypeScriptOptions::default()
        },
        jsx: JsxOptions::disable(),
        ..TransformOptions::default()
    };
    let transformed = Transformer::new(&allocator, Path::new(display_name), &options)
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
