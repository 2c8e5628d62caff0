//! The dev server's module graph as the analyzer's plain data (`nexxo_analyze`), for the live
//! graph page. Modules are named by file path, so paths and packages read as in the build's
//! report; pre-bundled packages (`/@deps/<name>`) are modules without imports of their own.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use nexxo_analyze::{BuildGraph, ModuleInput, Stats};

use crate::deps::DepBundle;
use crate::graph::ModuleGraph;
use crate::resolve::DEPS_PREFIX;

/// A snapshot of the graph for the analyzer.
pub struct GraphSnapshot {
    /// Changes whenever a module is added, removed or compiled to different code.
    pub revision: u64,
    pub graph: BuildGraph,
    /// Compiled (unminified) size of each module, by the snapshot's module id.
    pub compiled_bytes: HashMap<String, usize>,
    /// Versions of the pre-bundled packages, by their folder as the stats name it
    /// (`/@deps/react`).
    pub dep_versions: HashMap<String, String>,
}

/// The revision the graph page sees: the graph's, changed also when the dependency bundle is
/// (its packages' sizes and versions are shown), or while it is being made (`None`).
pub fn page_revision(graph_revision: u64, deps: Option<&DepBundle>) -> u64 {
    let deps = deps.map_or("(bundling)", |deps| deps.version.as_str());
    graph_revision.wrapping_add(xxhash_rust::xxh3::xxh3_64(deps.as_bytes()))
}

impl ModuleGraph {
    /// The revision alone: cheap, so a poller that has this revision is answered without
    /// building the stats again.
    pub fn revision(&self) -> u64 {
        self.nodes
            .iter()
            .fold(self.nodes.len() as u64, |sum, (id, node)| {
                let content = node.loaded.as_ref().map_or(1, |m| m.content_hash);
                sum.wrapping_add(xxhash_rust::xxh3::xxh3_64(id.as_bytes()) ^ content)
            })
    }

    /// Modules (by file path), their static and dynamic imports, entries (modules nothing
    /// imports: the pages' scripts) and compiled sizes. A pre-bundled package's size (its
    /// code in `deps`, all its entry points together) is given to its first `/@deps/` module
    /// (`/@deps/react` before `/@deps/react/jsx-runtime`); its other ones show none.
    pub fn snapshot(&self, root: &Path, deps: &DepBundle) -> GraphSnapshot {
        let name_of = |id: &str| -> String {
            match self.nodes.get(id) {
                Some(node) if !node.file.as_os_str().is_empty() => {
                    node.file.to_string_lossy().into_owned()
                }
                _ => id.to_string(),
            }
        };
        let mut modules: BTreeMap<String, ModuleInput> = BTreeMap::new();
        let mut compiled_bytes = HashMap::new();
        for (id, node) in &self.nodes {
            let name = name_of(id);
            let imports: Vec<String> = node.static_deps.iter().map(|d| name_of(d)).collect();
            let dynamic_imports: Vec<String> =
                node.dynamic_deps.iter().map(|d| name_of(d)).collect();
            for dep in imports.iter().chain(&dynamic_imports) {
                if dep.starts_with(DEPS_PREFIX) && !modules.contains_key(dep) {
                    modules.insert(
                        dep.clone(),
                        ModuleInput {
                            id: dep.clone(),
                            ..ModuleInput::default()
                        },
                    );
                }
            }
            if let Some(loaded) = &node.loaded {
                compiled_bytes.insert(name.clone(), loaded.compiled.code.len());
            }
            modules.insert(
                name.clone(),
                ModuleInput {
                    source_bytes: std::fs::metadata(&node.file).map_or(0, |m| m.len() as usize),
                    id: name,
                    imports,
                    dynamic_imports,
                    is_entry: node.importers.is_empty(),
                },
            );
        }
        let mut sized_packages = std::collections::HashSet::new();
        let mut dep_versions = HashMap::new();
        for id in modules.keys() {
            let Some((name, dir)) = nexxo_analyze::packages::package_of(id) else {
                continue;
            };
            let Some(package) = deps.packages.get(&name) else {
                continue;
            };
            if !id.starts_with(DEPS_PREFIX) || !sized_packages.insert(name) {
                continue;
            }
            compiled_bytes.insert(id.clone(), package.bytes);
            if let Some(version) = &package.version {
                dep_versions.insert(dir, version.clone());
            }
        }
        GraphSnapshot {
            dep_versions,
            revision: page_revision(self.revision(), Some(deps)),
            graph: BuildGraph {
                root: root.to_path_buf(),
                out_dir: root.to_path_buf(),
                modules: modules.into_values().collect(),
                outputs: Vec::new(),
            },
            compiled_bytes,
        }
    }
}

impl GraphSnapshot {
    pub fn stats(&self) -> Stats {
        let version_of = |dir: &Path| match self.dep_versions.get(&*dir.to_string_lossy()) {
            Some(version) => Some(version.clone()),
            None => nexxo_analyze::packages::read_package_version(dir),
        };
        nexxo_analyze::stats::dev_stats(
            &self.graph,
            &self.compiled_bytes,
            &format!("nexxo {} dev", env!("CARGO_PKG_VERSION")),
            &version_of,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ModuleNode;

    #[test]
    fn snapshot_names_modules_by_file_and_keeps_package_imports() {
        let mut graph = ModuleGraph::default();
        graph.nodes.insert(
            "/src/main.ts".into(),
            ModuleNode {
                file: "/p/src/main.ts".into(),
                static_deps: vec!["/src/a.ts".into(), "/@deps/react".into()],
                ..ModuleNode::default()
            },
        );
        graph.nodes.insert(
            "/src/a.ts".into(),
            ModuleNode {
                file: "/p/src/a.ts".into(),
                importers: ["/src/main.ts".to_string()].into(),
                ..ModuleNode::default()
            },
        );
        let before = graph.revision();
        let deps = DepBundle {
            packages: [(
                "react".to_string(),
                crate::deps::DepPackage {
                    version: Some("19.1.0".into()),
                    bytes: 1234,
                },
            )]
            .into(),
            ..DepBundle::default()
        };
        let snapshot = graph.snapshot(Path::new("/p"), &deps);
        let stats = snapshot.stats();
        let ids: Vec<&str> = stats.modules.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, vec!["/@deps/react", "src/a.ts", "src/main.ts"]);
        let main = &stats.modules[2];
        assert!(main.entry);
        assert_eq!(main.imports, vec![1, 0]);
        assert_eq!(
            stats.modules[0]
                .package
                .map(|p| stats.packages[p].name.as_str()),
            Some("react")
        );
        // The pre-bundled package's size and version come from the dependency bundle.
        assert_eq!(stats.modules[0].output_bytes, 1234);
        assert_eq!(stats.packages[0].version.as_deref(), Some("19.1.0"));
        assert_eq!(stats.packages[0].output_bytes, 1234);
        assert_eq!(
            nexxo_analyze::chains::why(&stats, "react").unwrap(),
            vec!["src/main.ts", "/@deps/react"]
        );
        graph.nodes.remove("/src/a.ts");
        assert_ne!(graph.revision(), before);
    }
}
