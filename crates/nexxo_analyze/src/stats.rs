//! `stats.json`: the build's modules, outputs, packages and duplicates, versioned. The HTML
//! report, `--compare`, `nexxo why` and the esbuild metafile are all made from it.
//!
//! Modules are referred to by their index in `modules` (imports, chunk contents, chains), which
//! keeps the file small for apps of tens of thousands of modules.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::attribute::attribute;
use crate::chains::shortest_paths;
use crate::compress::{brotli_size, gzip_size, is_text_file};
use crate::graph::{display_id, normalize, BuildGraph};
use crate::packages::package_of;

/// Bumped when a field changes meaning or goes away (new fields keep the version).
pub const STATS_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// [`STATS_VERSION`] of the writer.
    pub version: u32,
    /// `nexxo <version>`.
    pub tool: String,
    /// outDir relative to the root (`dist`).
    pub out_dir: String,
    pub modules: Vec<ModuleStats>,
    pub outputs: Vec<OutputStats>,
    pub packages: Vec<PackageStats>,
    pub duplicates: Vec<Duplicate>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleStats {
    /// Relative to the root (`src/main.ts`), or as the bundler named it.
    pub id: String,
    /// Index into `packages`; `None` for the app's own files.
    pub package: Option<usize>,
    /// Source size as loaded, before transforms.
    pub source_bytes: usize,
    /// Bytes it accounts for in all outputs (through their source maps).
    pub output_bytes: usize,
    pub imports: Vec<usize>,
    pub dynamic_imports: Vec<usize>,
    pub entry: bool,
    /// The importer on a shortest chain from an entry (`None` for entries and unreachable
    /// modules): following it gives "why is this here".
    pub parent: Option<usize>,
    /// Imports from the nearest entry; `None` when no entry reaches it.
    pub depth: Option<u32>,
    /// Not in the module graph: a source map source no module id matched.
    #[serde(default, skip_serializing_if = "is_false")]
    pub map_only: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutputKind {
    #[default]
    Chunk,
    Asset,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputStats {
    /// Relative to outDir.
    pub file: String,
    /// Stable across builds: the chunk's name, or the asset's file name without its hash.
    pub name: String,
    pub kind: OutputKind,
    pub entry: bool,
    pub dynamic_entry: bool,
    pub entry_module: Option<usize>,
    pub bytes: usize,
    /// `None` for binary files.
    pub gzip: Option<usize>,
    pub brotli: Option<usize>,
    /// Output bytes per module (source-map attribution), largest first.
    pub modules: Vec<ModuleShare>,
    /// Bytes no source map segment names a source for (runtime helpers, glue, comments).
    pub unattributed: usize,
    pub imports: Vec<String>,
    pub dynamic_imports: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleShare {
    pub module: usize,
    pub bytes: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageStats {
    pub name: String,
    /// Folder, relative to the root (`node_modules/react`).
    pub dir: String,
    pub version: Option<String>,
    /// Bytes its modules account for in all outputs.
    pub output_bytes: usize,
    pub modules: usize,
}

/// A package name installed in several folders, each bundled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub name: String,
    pub instances: Vec<DuplicateInstance>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicateInstance {
    /// Index into `packages`.
    pub package: usize,
    /// The shortest import chain from an entry to the instance's nearest module.
    pub chain: Vec<usize>,
}

/// Settings of one analysis.
pub struct StatsOptions<'a> {
    pub tool: String,
    /// A package folder's version (usually its package.json's `version`).
    pub version_of: &'a (dyn Fn(&Path) -> Option<String> + Sync),
}

/// Builds the stats of `graph`: attributes every chunk's bytes through its source map, measures
/// compressed sizes (in parallel), groups modules into packages, finds chains and duplicates.
pub fn build_stats(graph: &BuildGraph, options: &StatsOptions) -> Stats {
    let root = graph.root.as_path();
    // Source maps are written but never loaded by the app's users: they would only crowd the
    // treemap (as the build's size table, which leaves them out too).
    let graph_outputs: Vec<&crate::graph::OutputInput> = graph
        .outputs
        .iter()
        .filter(|output| !output.file.ends_with(".map"))
        .collect();
    let mut modules: Vec<ModuleStats> = graph
        .modules
        .iter()
        .map(|module| ModuleStats {
            id: display_id(root, &module.id),
            source_bytes: module.source_bytes,
            entry: module.is_entry,
            ..ModuleStats::default()
        })
        .collect();
    let index: HashMap<&str, usize> = graph
        .modules
        .iter()
        .enumerate()
        .map(|(at, module)| (module.id.as_str(), at))
        .collect();
    for (at, module) in graph.modules.iter().enumerate() {
        let resolve = |ids: &[String]| -> Vec<usize> {
            ids.iter()
                .filter_map(|id| index.get(id.as_str()).copied())
                .collect()
        };
        modules[at].imports = resolve(&module.imports);
        modules[at].dynamic_imports = resolve(&module.dynamic_imports);
    }
    // Source map sources name files by path; ids may add a `?query`. The plain path wins.
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (at, module) in graph.modules.iter().enumerate() {
        by_path.entry(module.id.clone()).or_insert(at);
    }
    for (at, module) in graph.modules.iter().enumerate() {
        if let Some((path, _)) = module.id.split_once('?') {
            by_path.entry(path.to_string()).or_insert(at);
        }
    }

    // The expensive part, per output and in parallel: attribution and compression.
    struct Measured {
        shares: Vec<(String, usize)>,
        unattributed: usize,
        gzip: Option<usize>,
        brotli: Option<usize>,
    }
    // Written maps of other files (a stylesheet's `x.css.map` when the build makes maps).
    let map_files: HashMap<&str, &crate::graph::OutputInput> = graph
        .outputs
        .iter()
        .filter_map(|output| Some((output.file.strip_suffix(".map")?, output)))
        .collect();
    let measured: Vec<Measured> = graph_outputs
        .par_iter()
        .map(|output| {
            let text = is_text_file(&output.file);
            let map = match output.chunk.as_ref() {
                Some(chunk) => chunk.map_json.as_deref(),
                None => map_files
                    .get(output.file.as_str())
                    .and_then(|map| std::str::from_utf8(&map.bytes).ok()),
            };
            let (shares, unattributed) = match map {
                Some(map) => {
                    let attribution = attribute(&output.bytes, map);
                    let folder = Path::new(&output.file).parent().unwrap_or(Path::new(""));
                    let base = graph.out_dir.join(folder);
                    let shares = attribution
                        .sources
                        .iter()
                        .zip(attribution.bytes)
                        .map(|(source, bytes)| (source_to_id(&base, source), bytes))
                        .collect();
                    (shares, attribution.unattributed)
                }
                None => (Vec::new(), output.bytes.len()),
            };
            Measured {
                shares,
                unattributed,
                gzip: text.then(|| gzip_size(&output.bytes)),
                brotli: text.then(|| brotli_size(&output.bytes)),
            }
        })
        .collect();

    let mut outputs = Vec::with_capacity(graph_outputs.len());
    for (output, measured) in graph_outputs.iter().zip(measured) {
        let mut per_module: BTreeMap<usize, usize> = BTreeMap::new();
        for (source_id, bytes) in measured.shares {
            if bytes == 0 {
                continue;
            }
            let at = match by_path.get(&source_id) {
                Some(&at) => at,
                None => {
                    // A source no module matches (a plugin's virtual file, rolldown's runtime):
                    // still shown, as a module of its own outside the graph.
                    modules.push(ModuleStats {
                        id: display_id(root, &source_id),
                        map_only: true,
                        ..ModuleStats::default()
                    });
                    by_path.insert(source_id, modules.len() - 1);
                    modules.len() - 1
                }
            };
            *per_module.entry(at).or_default() += bytes;
        }
        let mut shares: Vec<ModuleShare> = per_module
            .into_iter()
            .map(|(module, bytes)| ModuleShare { module, bytes })
            .collect();
        shares.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.module.cmp(&b.module)));
        for share in &shares {
            modules[share.module].output_bytes += share.bytes;
        }
        let chunk = output.chunk.as_ref();
        outputs.push(OutputStats {
            file: output.file.clone(),
            name: chunk.map_or_else(|| asset_name(&output.file), |c| c.name.clone()),
            kind: if chunk.is_some() {
                OutputKind::Chunk
            } else {
                OutputKind::Asset
            },
            entry: chunk.is_some_and(|c| c.is_entry),
            dynamic_entry: chunk.is_some_and(|c| c.is_dynamic_entry),
            entry_module: chunk
                .and_then(|c| c.entry_module.as_deref())
                .and_then(|id| index.get(id).copied()),
            bytes: output.bytes.len(),
            gzip: measured.gzip,
            brotli: measured.brotli,
            modules: shares,
            unattributed: measured.unattributed,
            imports: chunk.map(|c| c.imports.clone()).unwrap_or_default(),
            dynamic_imports: chunk.map(|c| c.dynamic_imports.clone()).unwrap_or_default(),
        });
    }

    let (parents, depths) = shortest_paths(&modules);
    for (module, (parent, depth)) in modules.iter_mut().zip(parents.into_iter().zip(depths)) {
        module.parent = parent;
        module.depth = depth;
    }

    // Packages, by folder, in order of first appearance.
    let mut packages: Vec<PackageStats> = Vec::new();
    let mut package_index: HashMap<String, usize> = HashMap::new();
    let mut package_dirs: Vec<std::path::PathBuf> = Vec::new();
    for module in &mut modules {
        let absolute = if Path::new(&module.id).is_absolute() {
            module.id.clone()
        } else {
            root.join(&module.id).to_string_lossy().into_owned()
        };
        let Some((name, dir)) = package_of(&absolute) else {
            continue;
        };
        let at = *package_index.entry(dir.clone()).or_insert_with(|| {
            packages.push(PackageStats {
                name,
                dir: display_id(root, &dir),
                ..PackageStats::default()
            });
            package_dirs.push(dir.into());
            packages.len() - 1
        });
        module.package = Some(at);
        packages[at].output_bytes += module.output_bytes;
        packages[at].modules += 1;
    }
    let versions: Vec<Option<String>> = package_dirs
        .par_iter()
        .map(|dir| (options.version_of)(dir.as_path()))
        .collect();
    for (package, version) in packages.iter_mut().zip(versions) {
        package.version = version;
    }

    let duplicates = find_duplicates(&modules, &packages);
    Stats {
        version: STATS_VERSION,
        tool: options.tool.clone(),
        out_dir: display_id(root, &graph.out_dir.to_string_lossy()),
        modules,
        outputs,
        packages,
        duplicates,
    }
}

/// The dev server's graph as stats. Nothing is written in dev, so one pseudo-output holds
/// every module at its compiled (unminified) size: the treemap shows what the app's modules
/// weigh before minification, and chains and search work as in the build's report.
pub fn dev_stats(
    graph: &BuildGraph,
    compiled_bytes: &HashMap<String, usize>,
    tool: &str,
    version_of: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Stats {
    let mut stats = build_stats(
        graph,
        &StatsOptions {
            tool: tool.to_string(),
            version_of,
        },
    );
    let mut shares: Vec<ModuleShare> = graph
        .modules
        .iter()
        .enumerate()
        .filter_map(|(module, input)| {
            let bytes = *compiled_bytes.get(&input.id)?;
            Some(ModuleShare { module, bytes })
        })
        .filter(|share| share.bytes > 0)
        .collect();
    shares.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.module.cmp(&b.module)));
    for share in &shares {
        stats.modules[share.module].output_bytes = share.bytes;
    }
    for package in &mut stats.packages {
        package.output_bytes = 0;
    }
    for module in &stats.modules {
        if let Some(package) = module.package.and_then(|p| stats.packages.get_mut(p)) {
            package.output_bytes += module.output_bytes;
        }
    }
    let total = shares.iter().map(|s| s.bytes).sum();
    stats.outputs = vec![OutputStats {
        file: "compiled modules (dev, unminified)".to_string(),
        name: "dev".to_string(),
        kind: OutputKind::Chunk,
        entry: true,
        bytes: total,
        modules: shares,
        ..OutputStats::default()
    }];
    stats
}

/// The module id a source map source names: sources are relative to the output file's
/// folder (`../../src/a.ts`); virtual ids (`\0x`, `rolldown:runtime`) are taken as written.
pub fn source_to_id(base: &Path, source: &str) -> String {
    let scheme = source
        .find(':')
        .is_some_and(|colon| !source[..colon].contains('/') && colon > 1);
    if source.starts_with('\0') || scheme {
        return source.to_string();
    }
    normalize(&base.join(source)).to_string_lossy().into_owned()
}

/// `logo-AbC123xy.svg` → `logo.svg`: asset names carry a content hash after the last `-`.
fn asset_name(file: &str) -> String {
    let (folder, name) = match file.rfind('/') {
        Some(at) => (&file[..=at], &file[at + 1..]),
        None => ("", file),
    };
    let (stem, extension) = match name.find('.') {
        Some(at) => (&name[..at], &name[at..]),
        None => (name, ""),
    };
    let stem = match stem.rfind('-') {
        // At least 8 characters after the `-`: a hash, not part of the name.
        Some(at) if stem.len() - at > 8 => &stem[..at],
        _ => stem,
    };
    format!("{folder}{stem}{extension}")
}

/// Package names bundled from more than one folder, with the shortest chain to each.
fn find_duplicates(modules: &[ModuleStats], packages: &[PackageStats]) -> Vec<Duplicate> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (at, package) in packages.iter().enumerate() {
        by_name.entry(package.name.as_str()).or_default().push(at);
    }
    // The nearest reachable module of each package.
    let mut nearest: HashMap<usize, (u32, usize)> = HashMap::new();
    for (at, module) in modules.iter().enumerate() {
        if let (Some(package), Some(depth)) = (module.package, module.depth) {
            let best = nearest.entry(package).or_insert((depth, at));
            if depth < best.0 {
                *best = (depth, at);
            }
        }
    }
    by_name
        .into_iter()
        .filter(|(_, folders)| folders.len() > 1)
        .map(|(name, folders)| Duplicate {
            name: name.to_string(),
            instances: folders
                .into_iter()
                .map(|package| DuplicateInstance {
                    package,
                    chain: nearest
                        .get(&package)
                        .map(|&(_, module)| crate::chains::chain_to(modules, module))
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::graph::{ChunkInput, ModuleInput, OutputInput};

    pub(crate) fn module(id: &str, imports: &[&str], entry: bool) -> ModuleInput {
        ModuleInput {
            id: id.to_string(),
            source_bytes: 10,
            imports: imports.iter().map(|s| s.to_string()).collect(),
            dynamic_imports: vec![],
            is_entry: entry,
        }
    }

    /// A map whose line 0 maps columns to sources: `segments` are (column, source index).
    fn map(sources: &[&str], segments: &[(u32, u32)]) -> String {
        let mappings: Vec<_> = segments
            .iter()
            .map(|&(col, src)| (0, col, Some(src)))
            .collect();
        crate::attribute::tests::map_of(sources, &mappings)
    }

    pub(crate) fn sample_graph() -> BuildGraph {
        let code = b"AAAABBBBBBCCC\n//# end".to_vec();
        BuildGraph {
            root: "/p".into(),
            out_dir: "/p/dist".into(),
            modules: vec![
                module(
                    "/p/src/main.ts",
                    &["/p/src/a.ts", "/p/node_modules/dup/index.js"],
                    true,
                ),
                module(
                    "/p/src/a.ts",
                    &["/p/node_modules/lib/node_modules/dup/index.js"],
                    false,
                ),
                module("/p/node_modules/dup/index.js", &[], false),
                module("/p/node_modules/lib/node_modules/dup/index.js", &[], false),
            ],
            outputs: vec![
                OutputInput {
                    file: "assets/index-abcdefgh.js".into(),
                    bytes: code,
                    chunk: Some(ChunkInput {
                        name: "index".into(),
                        is_entry: true,
                        entry_module: Some("/p/src/main.ts".into()),
                        map_json: Some(map(
                            &[
                                "../../src/main.ts",
                                "../../node_modules/dup/index.js",
                                "../../src/a.ts",
                            ],
                            &[(0, 0), (4, 1), (10, 2)],
                        )),
                        ..ChunkInput::default()
                    }),
                },
                OutputInput {
                    file: "assets/logo-12345678.png".into(),
                    bytes: vec![0; 50],
                    chunk: None,
                },
                OutputInput {
                    file: "assets/index-abcdefgh.js.map".into(),
                    bytes: vec![b' '; 500],
                    chunk: None,
                },
                // A stylesheet with its written map: attributed as chunks are.
                OutputInput {
                    file: "assets/index-abcdefgh.css".into(),
                    bytes: b".a{color:red}".to_vec(),
                    chunk: None,
                },
                OutputInput {
                    file: "assets/index-abcdefgh.css.map".into(),
                    bytes: map(&["../../src/a.css"], &[(0, 0)]).into_bytes(),
                    chunk: None,
                },
            ],
        }
    }

    /// The nested copy is 2.0.0, the top one 1.0.0.
    fn version_of(dir: &Path) -> Option<String> {
        Some(if dir.to_string_lossy().contains("lib/node_modules") {
            "2.0.0".into()
        } else {
            "1.0.0".into()
        })
    }

    fn options() -> StatsOptions<'static> {
        StatsOptions {
            tool: "nexxo test".into(),
            version_of: &version_of,
        }
    }

    #[test]
    fn module_shares_add_up_to_the_file() {
        let stats = build_stats(&sample_graph(), &options());
        let chunk = &stats.outputs[0];
        let attributed: usize = chunk.modules.iter().map(|m| m.bytes).sum();
        assert_eq!(attributed + chunk.unattributed, chunk.bytes);
        let main = stats
            .modules
            .iter()
            .position(|m| m.id == "src/main.ts")
            .unwrap();
        let dup = stats
            .modules
            .iter()
            .position(|m| m.id == "node_modules/dup/index.js")
            .unwrap();
        assert_eq!(stats.modules[main].output_bytes, 4);
        assert_eq!(stats.modules[dup].output_bytes, 6);
        // "CCC\n" belongs to a.ts; "//# end" has no mapping.
        assert_eq!(chunk.unattributed, 7);
        assert_eq!(chunk.entry_module, Some(main));
        assert!(chunk.gzip.is_some() && chunk.brotli.is_some());
        assert_eq!(stats.outputs[1].name, "assets/logo.png");
        assert_eq!(stats.outputs[1].gzip, None);
        assert_eq!(stats.outputs[1].unattributed, 50);
        assert_eq!(
            stats.outputs.len(),
            3,
            "source maps are not outputs of the report"
        );
        let css = &stats.outputs[2];
        assert_eq!(css.unattributed, 0);
        assert_eq!(stats.modules[css.modules[0].module].id, "src/a.css");
        assert_eq!(css.modules[0].bytes, 13);
    }

    #[test]
    fn finds_duplicates_with_their_chains() {
        let stats = build_stats(&sample_graph(), &options());
        assert_eq!(stats.duplicates.len(), 1);
        let duplicate = &stats.duplicates[0];
        assert_eq!(duplicate.name, "dup");
        let chains: Vec<Vec<&str>> = duplicate
            .instances
            .iter()
            .map(|i| {
                i.chain
                    .iter()
                    .map(|&m| stats.modules[m].id.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            chains,
            vec![
                vec!["src/main.ts", "node_modules/dup/index.js"],
                vec![
                    "src/main.ts",
                    "src/a.ts",
                    "node_modules/lib/node_modules/dup/index.js"
                ],
            ]
        );
        let versions: Vec<_> = duplicate
            .instances
            .iter()
            .map(|i| stats.packages[i.package].version.clone().unwrap())
            .collect();
        assert_eq!(versions, vec!["1.0.0", "2.0.0"]);
    }

    #[test]
    fn unknown_sources_become_map_only_modules() {
        let mut graph = sample_graph();
        graph.modules.truncate(1);
        graph.modules[0].imports.clear();
        let stats = build_stats(&graph, &options());
        assert!(stats
            .modules
            .iter()
            .any(|m| m.map_only && m.id == "src/a.ts"));
        let json = serde_json::to_string(&stats).unwrap();
        let back: Stats = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stats);
    }

    #[test]
    fn asset_names_lose_their_hash() {
        assert_eq!(asset_name("assets/logo-AbC123xy.svg"), "assets/logo.svg");
        assert_eq!(asset_name("index.html"), "index.html");
        assert_eq!(asset_name("assets/my-icon.svg"), "assets/my-icon.svg");
    }
}
