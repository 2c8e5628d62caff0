//! An esbuild-compatible metafile (`metafile.json`), for the tools that read esbuild's:
//! bundle-buddy, esbuild's own analyzer, statoscope's importer. Paths are relative to the
//! project root, as esbuild's are to its working directory.

use serde_json::{json, Map, Value};

use crate::stats::{OutputKind, Stats};

pub fn metafile(stats: &Stats) -> Value {
    let mut inputs = Map::new();
    for module in stats.modules.iter().filter(|m| !m.map_only) {
        let imports: Vec<Value> = module
            .imports
            .iter()
            .map(|&at| (at, "import-statement"))
            .chain(
                module
                    .dynamic_imports
                    .iter()
                    .map(|&at| (at, "dynamic-import")),
            )
            .filter_map(|(at, kind)| {
                stats
                    .modules
                    .get(at)
                    .map(|m| json!({"path": m.id, "kind": kind}))
            })
            .collect();
        inputs.insert(
            module.id.clone(),
            json!({"bytes": module.source_bytes, "imports": imports, "format": "esm"}),
        );
    }
    let out_dir = stats.out_dir.trim_end_matches('/');
    let output_path = |file: &str| {
        if out_dir.is_empty() {
            file.to_string()
        } else {
            format!("{out_dir}/{file}")
        }
    };
    let mut outputs = Map::new();
    for output in &stats.outputs {
        let mut output_inputs = Map::new();
        for share in &output.modules {
            if let Some(module) = stats.modules.get(share.module) {
                output_inputs.insert(module.id.clone(), json!({"bytesInOutput": share.bytes}));
            }
        }
        let imports: Vec<Value> = output
            .imports
            .iter()
            .map(|file| json!({"path": output_path(file), "kind": "import-statement"}))
            .chain(
                output
                    .dynamic_imports
                    .iter()
                    .map(|file| json!({"path": output_path(file), "kind": "dynamic-import"})),
            )
            .collect();
        let mut entry = json!({
            "bytes": output.bytes,
            "inputs": output_inputs,
            "imports": imports,
            "exports": [],
        });
        if output.kind == OutputKind::Chunk {
            if let Some(module) = output.entry_module.and_then(|at| stats.modules.get(at)) {
                entry["entryPoint"] = json!(module.id);
            }
        }
        outputs.insert(output_path(&output.file), entry);
    }
    json!({"inputs": inputs, "outputs": outputs})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{build_stats, StatsOptions};

    #[test]
    fn has_esbuilds_shape() {
        let stats = build_stats(
            &crate::stats::tests::sample_graph(),
            &StatsOptions {
                tool: String::new(),
                version_of: &|_| None,
            },
        );
        let meta = metafile(&stats);
        assert_eq!(meta["inputs"]["src/main.ts"]["bytes"], 10);
        assert_eq!(
            meta["inputs"]["src/main.ts"]["imports"][0],
            json!({"path": "src/a.ts", "kind": "import-statement"})
        );
        let chunk = &meta["outputs"]["dist/assets/index-abcdefgh.js"];
        assert_eq!(chunk["bytes"], 21);
        assert_eq!(chunk["entryPoint"], "src/main.ts");
        assert_eq!(chunk["inputs"]["src/main.ts"]["bytesInOutput"], 4);
        assert!(meta["outputs"]["dist/assets/logo-12345678.png"]["entryPoint"].is_null());
    }
}
