//! Stage 2, bundle: turns the resolved config and planned pages into rolldown options, runs
//! rolldown (parse, transform with oxc, link, tree-shake, split, minify), and returns its
//! output files in memory. Nothing is written here.

use std::path::Path;
use std::sync::Arc;

use nexxo_config::{LibFormat, ResolvedConfig, ResolverConfig, Sourcemap, WorkerFormat};
use nexxo_diagnostics::{Diagnostic, Diagnostics, SourceLocation};
use rolldown::{
    BundlerOptions, BundlerTransformOptions, CodeSplittingMode, Either, InputItem,
    ManualCodeSplittingOptions, OutputExports, OutputFormat, Platform, RawMinifyOptions,
    SourceMapType, TsConfig,
};
use rolldown_common::{MatchGroup, MatchGroupName, MatchGroupTest, Output};
use rolldown_error::{
    BuildDiagnostic, DiagnosableResolveError, DiagnosticOptions, EventKind, Severity,
};
use rolldown_plugin::__inner::SharedPluginable;

use crate::chunks::ModulePatterns;

/// What rolldown produced: files in memory, and warnings to show.
pub struct BundleResult {
    pub outputs: Vec<Output>,
    pub warnings: Vec<Diagnostic>,
}

/// Options shared by app and library builds.
fn base_options(config: &ResolvedConfig) -> BundlerOptions {
    BundlerOptions {
        cwd: Some(config.root.clone()),
        platform: Some(Platform::Browser),
        sourcemap: match config.sourcemap {
            Sourcemap::Off => None,
            Sourcemap::File => Some(SourceMapType::File),
            Sourcemap::Inline => Some(SourceMapType::Inline),
            Sourcemap::Hidden => Some(SourceMapType::Hidden),
        },
        minify: Some(RawMinifyOptions::Bool(config.minify)),
        define: Some(config.define.iter().cloned().collect()),
        resolve: Some(nexxo_plugins::resolve_options(&ResolverConfig::new(config))),
        transform: Some(transform_options(config)),
        // tsconfig.json next to each file decides `paths`, `jsxImportSource` and legacy
        // decorators, as in tsc.
        tsconfig: Some(TsConfig::Auto(true)),
        ..Default::default()
    }
}

/// oxc's options for every script: the targets to lower to and the plugins the project's
/// dependencies turn on (the dev server merges the same plugins, see `nexxo_dev_modules`).
fn transform_options(config: &ResolvedConfig) -> BundlerTransformOptions {
    BundlerTransformOptions {
        target: Some(Either::Right(config.targets.clone())),
        plugins: nexxo_plugins::transform_plugins(config),
        ..Default::default()
    }
}

/// rolldown options for an app build whose entries are the planned pages.
pub fn app_options(config: &ResolvedConfig, pages: &[nexxo_plugins::HtmlPage]) -> BundlerOptions {
    let assets = &config.assets_dir;
    let code_splitting = (!config.manual_chunks.is_empty()).then(|| {
        CodeSplittingMode::Advanced(ManualCodeSplittingOptions {
            groups: Some(
                config
                    .manual_chunks
                    .iter()
                    .enumerate()
                    .map(|(index, (name, patterns))| {
                        manual_chunk_group(config, index, name, patterns)
                    })
                    .collect(),
            ),
            ..Default::default()
        })
    });
    // `build.input`'s script entries become entry chunks beside the pages' (Rollup's input).
    let script_entries = config
        .input
        .iter()
        .flatten()
        .filter(|entry| !entry.is_page())
        .map(|entry| InputItem {
            name: Some(entry.chunk_name()),
            import: entry.file.to_string_lossy().into_owned(),
        });
    BundlerOptions {
        input: Some(
            pages
                .iter()
                .map(|p| InputItem {
                    name: Some(p.entry_name.clone()),
                    import: p.entry_id.clone(),
                })
                .chain(script_entries)
                .collect(),
        ),
        format: Some(OutputFormat::Esm),
        entry_filenames: Some(format!("{assets}/[name]-[hash].js").into()),
        chunk_filenames: Some(format!("{assets}/[name]-[hash].js").into()),
        asset_filenames: Some(format!("{assets}/[name]-[hash][extname]").into()),
        code_splitting,
        ..base_options(config)
    }
}

fn manual_chunk_group(
    config: &ResolvedConfig,
    index: usize,
    name: &str,
    patterns: &[String],
) -> MatchGroup {
    let matcher = Arc::new(ModulePatterns::new(&config.root, patterns));
    let count = config.manual_chunks.len();
    MatchGroup {
        name: MatchGroupName::Static(name.to_string()),
        test: Some(MatchGroupTest::Function(Arc::new(move |id: &str| {
            let matched = matcher.matches(id);
            Box::pin(async move { Ok(Some(matched)) })
        }))),
        // Earlier keys win when patterns overlap.
        priority: Some(u32::try_from(count - index).unwrap_or(u32::MAX)),
        ..Default::default()
    }
}

/// rolldown options for a web worker's own bundle (`assets/<name>-<hash>.js`, as Vite names
/// it). An IIFE or inline worker is one file: its dynamic imports are inlined.
pub fn worker_options(
    config: &ResolvedConfig,
    entry: &Path,
    output: nexxo_plugins::WorkerOutput,
) -> BundlerOptions {
    let format = output.format;
    let assets = &config.assets_dir;
    let name = entry
        .file_stem()
        .map_or("worker".into(), |stem| stem.to_string_lossy().into_owned());
    let mut options = base_options(config);
    if format == WorkerFormat::Iife {
        // A classic script has no `import.meta`; the worker's own URL is its location (asset
        // URLs and nested workers' `new URL(…, import.meta.url)` resolve against it), as in
        // Vite.
        if let Some(define) = options.define.as_mut() {
            define.insert("import.meta.url".into(), "self.location.href".into());
        }
    }
    BundlerOptions {
        input: Some(vec![InputItem {
            name: Some(name),
            import: entry.to_string_lossy().into_owned(),
        }]),
        format: Some(match format {
            WorkerFormat::Es => OutputFormat::Esm,
            WorkerFormat::Iife => OutputFormat::Iife,
        }),
        entry_filenames: Some(format!("{assets}/[name]-[hash].js").into()),
        chunk_filenames: Some(format!("{assets}/[name]-[hash].js").into()),
        asset_filenames: Some(format!("{assets}/[name]-[hash][extname]").into()),
        code_splitting: (format == WorkerFormat::Iife || output.single_file)
            .then_some(CodeSplittingMode::Bool(false)),
        ..options
    }
}

/// rolldown options for one format of a library build.
pub fn lib_options(config: &ResolvedConfig, format: LibFormat) -> BundlerOptions {
    let lib = config
        .lib
        .as_ref()
        .expect("lib_options is only called for library builds");
    BundlerOptions {
        input: Some(vec![InputItem {
            name: Some(lib.file_name.clone()),
            import: lib.entry.to_string_lossy().into_owned(),
        }]),
        format: Some(match format {
            LibFormat::Es => OutputFormat::Esm,
            LibFormat::Cjs => OutputFormat::Cjs,
            LibFormat::Umd => OutputFormat::Umd,
            LibFormat::Iife => OutputFormat::Iife,
        }),
        name: lib.name.clone(),
        exports: Some(OutputExports::Auto),
        entry_filenames: Some(lib_file_name(&lib.file_name, format, lib.package_is_module).into()),
        chunk_filenames: Some(format!("{}/[name]-[hash].js", config.assets_dir).into()),
        asset_filenames: Some(format!("{}/[name]-[hash][extname]", config.assets_dir).into()),
        // One file per format: a library must not split into chunks its users cannot find.
        code_splitting: Some(CodeSplittingMode::Bool(false)),
        ..base_options(config)
    }
}

/// Vite's library file names: `.js`/`.cjs` in a `"type": "module"` package, else `.mjs`/`.js`.
pub fn lib_file_name(base: &str, format: LibFormat, package_is_module: bool) -> String {
    match (format, package_is_module) {
        (LibFormat::Es, true) => format!("{base}.js"),
        (LibFormat::Es, false) => format!("{base}.mjs"),
        (LibFormat::Cjs, true) => format!("{base}.cjs"),
        (LibFormat::Cjs, false) => format!("{base}.js"),
        (LibFormat::Umd, true) => format!("{base}.umd.cjs"),
        (LibFormat::Umd, false) => format!("{base}.umd.js"),
        (LibFormat::Iife, _) => format!("{base}.iife.js"),
    }
}

/// Runs rolldown and converts its diagnostics into Nexxo's.
pub async fn run_rolldown(
    root: &Path,
    options: BundlerOptions,
    plugins: Vec<SharedPluginable>,
) -> Result<BundleResult, Diagnostics> {
    let mut bundler = rolldown::Bundler::with_plugins(options, plugins)
        .map_err(|errors| convert_all(root, errors.into_vec()))?;
    let output = bundler
        .generate()
        .await
        .map_err(|errors| convert_all(root, errors.into_vec()));
    // Closing releases rolldown's caches; a failure to close cannot change the output.
    let _ = bundler.close().await;
    let output = output?;
    // As in Vite: an import nothing resolves fails the build, where rolldown would keep it as an
    // external import that breaks at run time in the browser.
    let (unresolved, warnings): (Vec<_>, Vec<_>) = output
        .warnings
        .into_iter()
        .partition(|warning| matches!(warning.kind(), EventKind::UnresolvedImport));
    if !unresolved.is_empty() {
        return Err(Diagnostics(
            unresolved
                .into_iter()
                .map(|warning| convert(root, &unresolved_import_error(warning)))
                .collect(),
        ));
    }
    Ok(BundleResult {
        outputs: output.assets,
        warnings: warnings.iter().map(|w| convert(root, w)).collect(),
    })
}

/// rolldown's "treating it as an external dependency" warning, as the error it is for an app.
fn unresolved_import_error(mut warning: BuildDiagnostic) -> BuildDiagnostic {
    if let Some(event) = warning.downcast_mut::<DiagnosableResolveError>() {
        event.reason = "Cannot resolve this import.".into();
        event.help = Some(
            "install the package, fix the path or add an alias in `resolve.alias`; left as is, \
             the import would fail in the browser"
                .into(),
        );
    }
    warning.with_severity(Severity::Error)
}

fn convert_all(root: &Path, diagnostics: Vec<BuildDiagnostic>) -> Diagnostics {
    Diagnostics(diagnostics.iter().map(|d| convert(root, d)).collect())
}

/// rolldown renders its own code frames; Nexxo keeps the text and the primary location (for
/// tools such as the dev server's overlay).
fn convert(root: &Path, diagnostic: &BuildDiagnostic) -> Diagnostic {
    let options = DiagnosticOptions {
        cwd: root.to_path_buf(),
    };
    let rendered = diagnostic.to_diagnostic_with(&options);
    let message = diagnostic.to_message_with(&options);
    let text = rendered.convert_to_string(std::env::var_os("NO_COLOR").is_none() && is_terminal());
    let mut result = Diagnostic::pre_rendered(message, text);
    if let Some((file, line, column, _)) = rendered.get_primary_location() {
        let path = Path::new(&file);
        let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        result = result.with_location(SourceLocation {
            file: shown,
            line,
            column: column + 1,
            source: None,
        });
    }
    result
}

fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use nexxo_config::{resolve_config, Command, ConfigOverrides};

    use super::*;

    /// A project whose `src/Title.jsx` defines a styled component, with a stand-in
    /// `styled-components` package; the root package.json is `package_json`.
    fn styled_project(package_json: &str) -> (tempfile::TempDir, ResolvedConfig) {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("package.json", package_json),
            (
                "node_modules/styled-components/package.json",
                r#"{ "name": "styled-components", "main": "index.js" }"#,
            ),
            (
                "node_modules/styled-components/index.js",
                "const styled = new Proxy({}, { get: () => (s) => s });\nexport default styled;\n",
            ),
            (
                "src/Title.jsx",
                "import styled from 'styled-components';\nexport const Title = styled.h1`color: red;`;\n",
            ),
        ];
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let overrides = ConfigOverrides {
            minify: Some(false),
            ..ConfigOverrides::default()
        };
        let config =
            resolve_config(dir.path(), Command::Build, &overrides, &BTreeMap::new()).unwrap();
        (dir, config)
    }

    async fn bundle_title(config: &ResolvedConfig) -> String {
        let options = BundlerOptions {
            input: Some(vec![InputItem {
                name: Some("title".into()),
                import: config.root.join("src/Title.jsx").to_string_lossy().into(),
            }]),
            ..base_options(config)
        };
        let result = run_rolldown(&config.root, options, Vec::new())
            .await
            .unwrap_or_else(|errors| panic!("{:?}", errors.0));
        result
            .outputs
            .iter()
            .find_map(|output| match output {
                Output::Chunk(chunk) => Some(chunk.code.clone()),
                Output::Asset(_) => None,
            })
            .expect("a chunk")
    }

    #[tokio::test]
    async fn styled_components_get_display_names_and_ids_when_the_project_depends_on_it() {
        let (_dir, config) = styled_project(r#"{ "dependencies": { "styled-components": "^6" } }"#);
        let code = bundle_title(&config).await;
        assert!(code.contains("displayName: \"Title\""), "{code}");
        assert!(code.contains("componentId: \"sc-"), "{code}");
    }

    #[tokio::test]
    async fn styled_components_are_left_alone_in_projects_without_it() {
        let (_dir, config) = styled_project(r#"{ "dependencies": {} }"#);
        let code = bundle_title(&config).await;
        assert!(!code.contains("withConfig"), "{code}");
    }
}
