//! One JavaScript/TypeScript module in, registry code out.
//!
//! Each source module is compiled on its own with oxc: `define` replacement (env variables),
//! TypeScript and JSX (with React Refresh registrations when the app has `react-refresh`), the
//! plugins the project's dependencies turn on (styled-components), then oxc's module-runner
//! transform, which turns `import`/`export` into calls on the registry that
//! runs in the page (`client/runtime.js`). The result is a function body; `page.rs` wraps it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nexxo_diagnostics::input::{check_nesting, Syntax};
use nexxo_diagnostics::Diagnostic;
use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{ReactRefreshOptions, TransformOptions, Transformer};
use oxc_transformer_plugins::{
    ModuleRunnerTransform, ReplaceGlobalDefines, ReplaceGlobalDefinesConfig,
};
use rolldown_common::bundler_options::{
    merge_transform_options_with_tsconfig, BundlerTransformOptions, Either, JsxOptions,
    PluginsOptions,
};

/// JSX runtimes that are React underneath (Emotion's wraps React's `jsx` to read the `css`
/// prop), so their components get React Refresh registrations like React's own.
const REACT_JSX_RUNTIMES: [&str; 3] = ["react", "@emotion/react", "theme-ui"];

/// How every module of one dev session is compiled.
pub struct TransformSettings {
    pub defines: ReplaceGlobalDefinesConfig,
    /// Emit React Refresh registrations for JSX/TSX files.
    pub react_refresh: bool,
    /// oxc's plugins (styled-components), as the build gives them to rolldown.
    plugins: Option<PluginsOptions>,
    /// oxc options per tsconfig.json (the empty path: files without one).
    options_by_tsconfig: Mutex<HashMap<PathBuf, Arc<TransformOptions>>>,
    /// Mark the project's HTML elements in JSX with `data-nexxo-source="file:line:column"`
    /// (`source_attributes.rs`), for the audits panel to name the line of an element.
    pub source_attributes: bool,
}

impl TransformSettings {
    pub fn new(
        define: &[(String, String)],
        react_refresh: bool,
        plugins: Option<PluginsOptions>,
    ) -> Result<Self, Diagnostic> {
        let defines = ReplaceGlobalDefinesConfig::new(define).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Diagnostic::error(format!("invalid `define` value: {}", text.join("; ")))
        })?;
        Ok(Self {
            defines,
            react_refresh,
            plugins,
            options_by_tsconfig: Mutex::default(),
            source_attributes: false,
        })
    }

    /// With `data-nexxo-source` attributes on JSX elements (the dev audits panel).
    pub fn with_source_attributes(mut self, on: bool) -> Self {
        self.source_attributes = on;
        self
    }

    /// Everything here that changes compiled code but is not in the config itself (which the
    /// module cache hashes on its own): part of each cached module's key.
    pub fn fingerprint(&self) -> String {
        format!(
            "refresh={}|plugins={:?}|source-attributes={}",
            self.react_refresh, self.plugins, self.source_attributes
        )
    }

    /// oxc's options for files governed by `tsconfig`: merged by rolldown's own
    /// `merge_transform_options_with_tsconfig`, as the build merges them, so dev and build agree
    /// on `jsxImportSource`, `jsxFactory`, legacy decorators and `verbatimModuleSyntax`. Dev
    /// lowers nothing (the browser runs the code) and uses the development JSX runtime.
    pub fn options_for(
        &self,
        tsconfig: Option<&oxc_resolver::TsConfig>,
    ) -> Result<Arc<TransformOptions>, Diagnostic> {
        let key = tsconfig.map(|t| t.path.clone()).unwrap_or_default();
        let mut cached = self
            .options_by_tsconfig
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(options) = cached.get(&key) {
            return Ok(options.clone());
        }
        let base = BundlerTransformOptions {
            jsx: Some(Either::Right(JsxOptions {
                runtime: Some("automatic".into()),
                development: Some(true),
                ..JsxOptions::default()
            })),
            plugins: self.plugins.clone(),
            ..BundlerTransformOptions::default()
        };
        let mut warnings = Vec::new();
        let mut options = merge_transform_options_with_tsconfig(base, tsconfig, &mut warnings)
            .map_err(|err| {
                let source = tsconfig.map_or(String::new(), |t| format!("{}: ", t.path.display()));
                Diagnostic::error(format!("{source}invalid TypeScript/JSX settings: {err:?}"))
            })?;
        options.jsx.development = true;
        options.jsx.conform();
        // Fast Refresh is React's: an app on another JSX runtime (Preact, Solid…) gets none.
        let react_jsx = options
            .jsx
            .import_source
            .as_deref()
            .is_none_or(|source| REACT_JSX_RUNTIMES.contains(&source));
        if self.react_refresh && react_jsx && options.jsx.jsx_plugin {
            options.jsx.refresh = Some(ReactRefreshOptions::default());
        }
        let options = Arc::new(options);
        cached.insert(key, options.clone());
        Ok(options)
    }
}

/// A compiled module: the body of its registry function.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CompiledModule {
    pub code: String,
    /// Source map of `code` (JSON), sources relative to the project root.
    pub map: Option<String>,
    /// Static import specifiers, as written.
    pub imports: Vec<String>,
    /// `import()` specifiers, as written.
    pub dynamic_imports: Vec<String>,
    /// Hot-update facts read from the code (see [`HotFacts`]).
    pub hot: HotFacts,
}

/// What a module says about hot updates, read from its compiled code like Vite does.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HotFacts {
    /// `import.meta.hot.accept()` / `accept(cb)`, or a React Refresh component module.
    pub self_accepting: bool,
    /// Specifiers passed to `import.meta.hot.accept(deps, cb)`.
    pub accepted_deps: Vec<String>,
    /// The module registers React components for Fast Refresh.
    pub refresh: bool,
}

/// Whether oxc can compile a file with this extension.
pub fn is_script(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx")
    )
}

/// Compiles `source` (the file at `path`, shown as `display_name`) to registry code.
pub fn compile_module(
    path: &Path,
    display_name: &str,
    source: &str,
    settings: &TransformSettings,
    options: &TransformOptions,
) -> Result<CompiledModule, Diagnostic> {
    let source_type = SourceType::from_path(path)
        .unwrap_or_default()
        .with_module(true);
    // oxc recurses per nesting level: refuse what would overflow the compile thread's stack.
    check_nesting(display_name, source, Syntax::Script)?;
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let mut program = parsed.program;
    if settings.source_attributes && source_type.is_jsx() && !display_name.contains("node_modules")
    {
        crate::source_attributes::add_source_attributes(
            &allocator,
            &mut program,
            source,
            display_name.trim_start_matches('/'),
        );
    }
    // The TypeScript transform inlines `enum` members and needs their values evaluated here.
    let semantic = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_enum_eval(true)
        .build(&program);
    if let Some(error) = semantic.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let scoping = semantic.semantic.into_scoping();
    let scoping = ReplaceGlobalDefines::new(&allocator, settings.defines.clone())
        .build(scoping, &mut program)
        .scoping;

    let without_refresh;
    let options = if options.jsx.refresh.is_some() && !source_type.is_jsx() {
        // Refresh registrations only belong in files that can hold components.
        without_refresh = TransformOptions {
            jsx: oxc_transformer::JsxOptions {
                refresh: None,
                ..options.jsx.clone()
            },
            ..options.clone()
        };
        &without_refresh
    } else {
        options
    };
    let transformed = Transformer::new(&allocator, Path::new(display_name), options)
        .build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.diagnostics.first() {
        return Err(oxc_error(error, display_name, source));
    }
    let (deps, dynamic_deps) =
        ModuleRunnerTransform::new().transform(&allocator, &mut program, transformed.scoping);

    let printed = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(display_name.into()),
            ..CodegenOptions::default()
        })
        .with_source_text(source)
        .build(&program);
    let map = printed.map.map(|mut map| {
        map.set_sources([display_name]);
        map.set_source_contents(vec![Some(source)]);
        map.to_json_string()
    });
    let hot = hot_facts(&printed.code);
    let mut imports: Vec<String> = deps.into_iter().collect();
    imports.sort();
    let mut dynamic_imports: Vec<String> = dynamic_deps.into_iter().collect();
    dynamic_imports.sort();
    Ok(CompiledModule {
        code: printed.code,
        map,
        imports,
        dynamic_imports,
        hot,
    })
}

/// Turns an already bundled ES module (a pre-bundled dependency chunk) into registry code:
/// only the module-runner step, no TypeScript, JSX or source map.
pub fn compile_bundled_chunk(
    name: &str,
    source: &str,
) -> Result<(String, Vec<String>), Diagnostic> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(oxc_error(error, name, source));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .build(&program)
        .semantic
        .into_scoping();
    let (deps, _) = ModuleRunnerTransform::new().transform(&allocator, &mut program, scoping);
    let code = Codegen::new().build(&program).code;
    let mut imports: Vec<String> = deps.into_iter().collect();
    imports.sort();
    Ok((code, imports))
}

fn oxc_error(error: &OxcDiagnostic, file: &str, source: &str) -> Diagnostic {
    let offset = error
        .labels
        .first()
        .map(|label| label.offset() as usize)
        .unwrap_or(0);
    let mut diagnostic = Diagnostic::at_offset(error.message.to_string(), file, source, offset);
    if let Some(help) = &error.help {
        diagnostic = diagnostic.with_help(help.to_string());
    }
    diagnostic
}

/// How `import.meta.hot.accept(` reads after the module-runner transform, with and without
/// optional chaining (`import.meta.hot?.accept()`).
const HOT_ACCEPT: [&str; 2] = [
    "__vite_ssr_import_meta__.hot.accept(",
    "__vite_ssr_import_meta__.hot?.accept(",
];

/// Reads `import.meta.hot.accept(...)` calls and React Refresh registrations from compiled code.
///
/// Like Vite's lexer this is textual: a self-accept is a call without arguments or whose first
/// argument is a callback; a dependency accept starts with a string or an array of strings.
pub fn hot_facts(code: &str) -> HotFacts {
    let mut facts = HotFacts {
        refresh: code.contains("$RefreshReg$("),
        ..HotFacts::default()
    };
    facts.self_accepting = facts.refresh;
    let calls = HOT_ACCEPT.iter().flat_map(|call| {
        code.match_indices(call)
            .map(move |(start, _)| start + call.len())
    });
    for after_call in calls {
        let rest = code[after_call..].trim_start();
        match rest.chars().next() {
            Some('\'' | '"' | '`') => facts.accepted_deps.extend(leading_strings(rest, false)),
            Some('[') => facts
                .accepted_deps
                .extend(leading_strings(&rest[1..], true)),
            _ => facts.self_accepting = true,
        }
    }
    facts
}

/// String literals at the start of `text`: one, or (`in_array`) all up to the closing `]`.
fn leading_strings(text: &str, in_array: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text.trim_start();
    while let Some(quote) = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
    {
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        found.push(rest[1..=end].to_string());
        rest = rest[end + 2..].trim_start();
        if !in_array {
            break;
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TransformSettings {
        TransformSettings::new(
            &[("import.meta.env.MODE".into(), "\"development\"".into())],
            true,
            None,
        )
        .unwrap()
    }

    fn compile(path: &str, display: &str, source: &str) -> Result<CompiledModule, Diagnostic> {
        let settings = settings();
        let options = settings.options_for(None).unwrap();
        compile_module(Path::new(path), display, source, &settings, &options)
    }

    #[test]
    fn imports_exports_and_env_become_registry_calls() {
        let source = "import { useState } from 'react';\nimport './a.css';\nexport const mode = import.meta.env.MODE;\nexport default function App() { const [n] = useState(0); return <p>{n}</p>; }\nconst Lazy = () => import('./lazy');\n";
        let compiled = compile("/p/src/App.tsx", "src/App.tsx", source).unwrap();
        assert!(
            compiled.code.contains("__vite_ssr_import__"),
            "{}",
            compiled.code
        );
        assert!(
            compiled.code.contains("\"development\""),
            "{}",
            compiled.code
        );
        assert!(compiled.code.contains("__vite_ssr_dynamic_import__"));
        assert_eq!(
            compiled.imports,
            ["./a.css", "react", "react/jsx-dev-runtime"]
        );
        assert_eq!(compiled.dynamic_imports, ["./lazy"]);
        assert!(compiled.hot.refresh && compiled.hot.self_accepting);
        let map = compiled.map.unwrap();
        assert!(map.contains("src/App.tsx"), "{map}");
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let error = compile("/p/a.ts", "a.ts", "const a = 1;\nlet = ;\n").unwrap_err();
        let location = error.location.as_ref().unwrap();
        assert_eq!(
            (location.line, location.file.to_str().unwrap()),
            (2, "a.ts")
        );
    }

    #[test]
    fn hot_accept_forms() {
        let code = "__vite_ssr_import_meta__.hot.accept(['./a', \"./b\"], cb);";
        assert_eq!(hot_facts(code).accepted_deps, ["./a", "./b"]);
        assert!(hot_facts("__vite_ssr_import_meta__.hot.accept((m) => {})").self_accepting);
        assert!(hot_facts("__vite_ssr_import_meta__.hot.accept()").self_accepting);
        assert!(!hot_facts("__vite_ssr_import_meta__.hot.accept('./x', f)").self_accepting);
        assert!(hot_facts("__vite_ssr_import_meta__.hot?.accept()").self_accepting);
    }

    #[test]
    fn optional_chained_accept_survives_compilation() {
        let compiled = compile(
            "/p/src/a.ts",
            "src/a.ts",
            "export const a = 1;\nimport.meta.hot?.accept();\n",
        )
        .unwrap();
        assert!(compiled.hot.self_accepting, "{}", compiled.code);
    }

    /// Compiles `source` as `src/App.tsx` of a project whose tsconfig.json has
    /// `compiler_options`.
    fn compile_under_tsconfig(compiler_options: &str, source: &str) -> CompiledModule {
        let dir = tempfile::tempdir().unwrap();
        let tsconfig = dir.path().join("tsconfig.json");
        std::fs::write(
            &tsconfig,
            format!(r#"{{ "compilerOptions": {compiler_options} }}"#),
        )
        .unwrap();
        let resolver = oxc_resolver::Resolver::new(oxc_resolver::ResolveOptions::default());
        let found = resolver.resolve_tsconfig(&tsconfig).unwrap();
        let settings = settings();
        let options = settings.options_for(Some(&found)).unwrap();
        compile_module(
            &dir.path().join("src/App.tsx"),
            "src/App.tsx",
            source,
            &settings,
            &options,
        )
        .unwrap()
    }

    #[test]
    fn jsx_import_source_comes_from_tsconfig_as_in_the_build() {
        let compiled = compile_under_tsconfig(
            r#"{ "jsx": "react-jsx", "jsxImportSource": "preact" }"#,
            "export const App = () => <p>hi</p>;\n",
        );
        assert_eq!(compiled.imports, ["preact/jsx-dev-runtime"]);
        // Preact components get no React Refresh registrations.
        assert!(!compiled.hot.refresh, "{}", compiled.code);
    }

    #[test]
    fn emotion_from_tsconfig_keeps_react_refresh() {
        let compiled = compile_under_tsconfig(
            r#"{ "jsx": "react-jsx", "jsxImportSource": "@emotion/react" }"#,
            "export const App = () => <p css={{ color: 'red' }}>hi</p>;\n",
        );
        assert_eq!(compiled.imports, ["@emotion/react/jsx-dev-runtime"]);
        assert!(compiled.hot.refresh, "{}", compiled.code);
    }

    #[test]
    fn emotion_from_the_pragma_keeps_react_refresh() {
        let compiled = compile_under_tsconfig(
            r#"{ "jsx": "react-jsx" }"#,
            "/** @jsxImportSource @emotion/react */\nexport const App = () => <p css={{ color: 'red' }}>hi</p>;\n",
        );
        assert_eq!(compiled.imports, ["@emotion/react/jsx-dev-runtime"]);
        assert!(compiled.hot.refresh, "{}", compiled.code);
    }

    fn styled_settings() -> TransformSettings {
        let plugins = PluginsOptions {
            styled_components: Some(rolldown_common::bundler_options::StyledComponentsOptions {
                display_name: Some(true),
                file_name: Some(true),
                ssr: Some(true),
                ..Default::default()
            }),
        };
        TransformSettings::new(&[], true, Some(plugins)).unwrap()
    }

    const STYLED_APP: &str = "import styled from 'styled-components';\nconst Title = styled.h1`color: red;`;\nexport const App = () => <Title>hi</Title>;\n";

    #[test]
    fn styled_components_get_display_names_and_ids_when_the_plugin_is_on() {
        let settings = styled_settings();
        let options = settings.options_for(None).unwrap();
        let compile = |source: &str| {
            compile_module(
                Path::new("/p/src/App.tsx"),
                "src/App.tsx",
                source,
                &settings,
                &options,
            )
            .unwrap()
            .code
        };
        let code = compile(STYLED_APP);
        // The file name prefixes the component's name, as babel-plugin-styled-components does.
        assert!(code.contains("displayName: \"App__Title\""), "{code}");
        let component_id = |code: &str| {
            let start = code.find("componentId: \"sc-").expect("a component id") + 14;
            code[start..start + code[start..].find('"').unwrap()].to_string()
        };
        // The same file compiles to the same id (the server's and the browser's must agree).
        assert_eq!(component_id(&code), component_id(&compile(STYLED_APP)));
        // React Refresh still registers the component beside the transform.
        assert!(code.contains("$RefreshReg$("), "{code}");
    }

    #[test]
    fn styled_components_are_left_alone_without_the_plugin() {
        let compiled = compile("/p/src/App.tsx", "src/App.tsx", STYLED_APP).unwrap();
        assert!(!compiled.code.contains("withConfig"), "{}", compiled.code);
    }

    #[test]
    fn the_plugins_are_part_of_the_settings_fingerprint() {
        assert_ne!(settings().fingerprint(), styled_settings().fingerprint());
    }
}
