//! Pre-bundling of npm dependencies: the bare specifiers the app imports are bundled once with
//! rolldown into ES modules (CommonJS converted, shared code in common chunks), then turned into
//! registry modules with ids `/@deps/<specifier>`. The browser gets them as one cacheable script.

use std::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use nexxo_config::{ResolvedConfig, ResolverConfig};
use nexxo_diagnostics::Diagnostic;
use rolldown::{BundlerOptions, InputItem, OutputFormat, Platform};
use rolldown_common::Output;

use crate::page::{wrap_module, ModuleFlags};
use crate::resolve::DEPS_PREFIX;
use crate::transform::compile_bundled_chunk;

/// The pre-bundled dependencies served to the page.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DepBundle {
    /// The specifiers it holds.
    pub specifiers: BTreeSet<String>,
    /// Registry definitions of every chunk.
    pub script: String,
    /// Changes whenever `script` does: the URL's cache buster.
    pub version: String,
    /// The npm packages bundled, by name: for the dev graph page (`/__nexxo/graph`).
    #[serde(default)]
    pub packages: BTreeMap<String, DepPackage>,
}

/// One package in the dependency bundle.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DepPackage {
    /// Its package.json's `version` (of the first folder found, when several copies are
    /// bundled).
    pub version: Option<String>,
    /// Bytes of its modules' code in the bundle (every copy, every chunk), before the
    /// registry's wrapping.
    pub bytes: usize,
}

impl DepBundle {
    pub fn holds(&self, specifiers: &BTreeSet<String>) -> bool {
        specifiers.is_subset(&self.specifiers)
    }
}

/// The cache key of a dependency bundle: the packages, the installed versions (lockfiles and
/// npm's `node_modules/.package-lock.json`), the config and Nexxo's version.
pub fn cache_key(config: &ResolvedConfig, specifiers: &BTreeSet<String>) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = vec![
        nexxo_cache::tool_fingerprint().as_bytes().to_vec(),
        format!("{specifiers:?}|{:?}|{:?}", config.alias, config.root).into_bytes(),
    ];
    for ancestor in config.root.ancestors() {
        for name in [
            "package-lock.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "bun.lock",
            "node_modules/.package-lock.json",
        ] {
            if let Ok(bytes) = nexxo_diagnostics::input::read_regular(&ancestor.join(name)) {
                parts.push(bytes);
            }
        }
    }
    let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    format!("deps:{}", nexxo_cache::hash_hex(&slices)).into_bytes()
}

/// An input name rolldown accepts for a specifier (`react-dom/client` → `react-dom_client`).
fn entry_name(specifier: &str) -> String {
    specifier
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Bundles `specifiers` (bare imports found in the app).
pub async fn prebundle(
    config: &ResolvedConfig,
    specifiers: &BTreeSet<String>,
    node: Option<&Arc<nexxo_frameworks::NodeCompilers>>,
) -> Result<DepBundle, Diagnostic> {
    if specifiers.is_empty() {
        return Ok(DepBundle::default());
    }
    let inputs: Vec<InputItem> = specifiers
        .iter()
        .map(|s| InputItem {
            name: Some(entry_name(s)),
            import: s.clone(),
        })
        .collect();
    let options = BundlerOptions {
        input: Some(inputs),
        cwd: Some(config.root.clone()),
        platform: Some(Platform::Browser),
        format: Some(OutputFormat::Esm),
        entry_filenames: Some("[name].js".to_string().into()),
        chunk_filenames: Some("chunk-[name]-[hash].js".to_string().into()),
        // The app's own table (mode, user constants, `process.env` as `{}`), as Vite's optimizer.
        define: Some(config.define.iter().cloned().collect()),
        // The app's resolution rules (aliases, conditions with `development`), as the modules'.
        resolve: Some(nexxo_plugins::resolve_options(&ResolverConfig::new(config))),
        ..Default::default()
    };
    // Svelte libraries ship components as `.svelte` files.
    let mut plugins: Vec<rolldown_plugin::__inner::SharedPluginable> = Vec::new();
    if let (true, Some(node)) = (config.frameworks.svelte, node) {
        plugins.push(Arc::new(crate::deps_components::SvelteInDependencies {
            compilers: node.clone(),
        }));
    }
    // Angular libraries ship partially compiled code for the linker.
    if let (true, Some(node)) = (config.frameworks.angular, node) {
        plugins.push(Arc::new(crate::deps_components::AngularInDependencies {
            linker: nexxo_frameworks::angular::AngularLinker::new(node.clone(), false),
        }));
    }
    let mut bundler = rolldown::Bundler::with_plugins(options, plugins)
        .map_err(|errors| bundle_error(&errors.into_vec()))?;
    let output = bundler.generate().await;
    let _ = bundler.close().await;
    let output = output.map_err(|errors| bundle_error(&errors.into_vec()))?;

    // Chunk file name → registry id: entries keep their specifier, shared chunks their file.
    let mut ids: HashMap<String, String> = HashMap::new();
    let by_name: HashMap<String, &String> = specifiers.iter().map(|s| (entry_name(s), s)).collect();
    for item in &output.assets {
        if let Output::Chunk(chunk) = item {
            let id = match (chunk.is_entry, by_name.get(chunk.name.as_str())) {
                (true, Some(specifier)) => format!("{DEPS_PREFIX}{specifier}"),
                _ => format!("{DEPS_PREFIX}.chunks/{}", chunk.filename),
            };
            ids.insert(chunk.filename.to_string(), id);
        }
    }
    let packages = bundled_packages(&output.assets);
    let mut script = String::new();
    for item in &output.assets {
        let Output::Chunk(chunk) = item else { continue };
        let id = &ids[chunk.filename.as_str()];
        let (code, imports) = compile_bundled_chunk(id, &chunk.code)?;
        let specifier_map: Vec<(String, String)> = imports
            .into_iter()
            .filter_map(|spec| {
                let target = ids.get(spec.trim_start_matches("./"))?;
                Some((spec, target.clone()))
            })
            .collect();
        // A CommonJS package comes out with only a default export (its `module.exports`); the
        // registry then offers its properties as named exports, as Vite's interop does.
        let flags = ModuleFlags {
            interop: chunk.is_entry && chunk.exports.iter().all(|e| e == "default"),
            refresh: false,
        };
        script.push_str(&wrap_module(id, &specifier_map, flags, &code).text);
    }
    let version = nexxo_plugins::asset_url::content_hash(script.as_bytes());
    Ok(DepBundle {
        specifiers: specifiers.clone(),
        script,
        version,
        packages,
    })
}

/// Each package's share of the bundle's chunks (its modules' rendered code) and version.
fn bundled_packages(outputs: &[Output]) -> BTreeMap<String, DepPackage> {
    let mut packages: BTreeMap<String, DepPackage> = BTreeMap::new();
    let mut folders: BTreeMap<String, String> = BTreeMap::new();
    for item in outputs {
        let Output::Chunk(chunk) = item else { continue };
        for (id, module) in chunk.modules.keys.iter().zip(&chunk.modules.values) {
            let Some((name, dir)) = nexxo_analyze::packages::package_of(id) else {
                continue;
            };
            let bytes = module.code().map_or(0, |code| code.len());
            packages.entry(name.clone()).or_default().bytes += bytes;
            // The shortest folder: the top-level copy when a package is installed twice.
            let folder = folders.entry(name).or_insert_with(|| dir.clone());
            if dir.len() < folder.len() {
                *folder = dir;
            }
        }
    }
    for (name, dir) in folders {
        if let Some(package) = packages.get_mut(&name) {
            package.version = nexxo_analyze::packages::read_package_version(Path::new(&dir));
        }
    }
    packages
}

fn bundle_error(errors: &[rolldown_error::BuildDiagnostic]) -> Diagnostic {
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    Diagnostic::error(format!(
        "pre-bundling dependencies failed: {}",
        text.join("\n")
    ))
}
