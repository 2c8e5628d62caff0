//! `nexxo build --analyze`: what the analyzer needs from a build, taken from rolldown and
//! handed to `nexxo_analyze` as plain data (modules with their import edges, output files with
//! chunk facts and source maps).
//!
//! The source maps are needed to attribute each chunk's bytes to its modules. When the build
//! makes none (`sourcemap: false`), rolldown is asked for hidden ones (the code is the same:
//! only a map file is added, without a reference in the code) and they are not written.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use nexxo_analyze::{ChunkInput, ModuleInput, OutputInput};
use rolldown_common::Output;
use rolldown_plugin::{HookGenerateBundleArgs, HookNoopReturn, HookUsage, Plugin, PluginContext};

/// Records the module graph (every module rolldown loaded, its imports, whether it is an
/// entry) once the bundle is generated. Several runs may record into one (a library build's
/// formats): their modules are merged by id.
#[derive(Debug, Default)]
pub struct GraphRecorder {
    modules: Mutex<Vec<ModuleInput>>,
}

impl GraphRecorder {
    pub fn take_modules(&self) -> Vec<ModuleInput> {
        std::mem::take(&mut *self.modules.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Plugin for GraphRecorder {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:graph-recorder")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::GenerateBundle
    }

    async fn generate_bundle(
        &self,
        ctx: &PluginContext,
        _args: &mut HookGenerateBundleArgs<'_>,
    ) -> HookNoopReturn {
        let mut modules: Vec<ModuleInput> = ctx
            .get_module_ids()
            .iter()
            .filter_map(|id| ctx.get_module_info(id))
            .map(|info| ModuleInput {
                id: info.id.to_string(),
                source_bytes: info.code.as_ref().map_or(0, |code| code.len()),
                imports: info.imported_ids.iter().map(|id| id.to_string()).collect(),
                dynamic_imports: info
                    .dynamically_imported_ids
                    .iter()
                    .map(|id| id.to_string())
                    .collect(),
                is_entry: info.is_entry,
            })
            .collect();
        let mut recorded = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        recorded.append(&mut modules);
        // rolldown's module table is a concurrent map: sorted, the stats are the same each run.
        recorded.sort_by(|a, b| a.id.cmp(&b.id));
        recorded.dedup_by(|a, b| a.id == b.id);
        Ok(())
    }
}

/// What one analyzed build collects beside its output.
#[derive(Debug, Default)]
pub struct Analysis {
    pub recorder: std::sync::Arc<GraphRecorder>,
    /// Set when the maps were only made for the analysis: they are dropped from the output.
    pub maps_for_analysis_only: bool,
    /// A library build: its formats' chunks share one name (`build.lib.fileName`), so each is
    /// named by its file (`tiny-lib.cjs`), which has no hash and is as stable.
    pub library: bool,
    pub outputs: Mutex<Vec<OutputInput>>,
}

impl Analysis {
    /// Takes the chunk facts and source maps out of rolldown's output, and removes the map
    /// files made only for the analysis, so the written output is that of a normal build.
    pub fn take_outputs(&self, outputs: &mut Vec<Output>) {
        let dropped: HashSet<String> = if self.maps_for_analysis_only {
            outputs
                .iter()
                .filter_map(|output| match output {
                    Output::Chunk(chunk) => chunk.sourcemap_filename.clone(),
                    Output::Asset(_) => None,
                })
                .collect()
        } else {
            HashSet::new()
        };
        outputs.retain(|output| !dropped.contains(output.filename()));
        let inputs = outputs
            .iter()
            .map(|output| OutputInput {
                file: output.filename().to_string(),
                bytes: output.content_as_bytes().to_vec(),
                chunk: match output {
                    Output::Chunk(chunk) => Some(ChunkInput {
                        name: if self.library {
                            chunk.filename.to_string()
                        } else {
                            chunk.name.to_string()
                        },
                        is_entry: chunk.is_entry,
                        is_dynamic_entry: chunk.is_dynamic_entry,
                        entry_module: chunk.facade_module_id.as_ref().map(|id| id.to_string()),
                        module_ids: chunk.module_ids.iter().map(|id| id.to_string()).collect(),
                        imports: chunk.imports.iter().map(|f| f.to_string()).collect(),
                        dynamic_imports: chunk
                            .dynamic_imports
                            .iter()
                            .map(|f| f.to_string())
                            .collect(),
                        map_json: chunk.map.as_ref().map(|map| map.to_json_string()),
                    }),
                    Output::Asset(_) => None,
                },
            })
            .collect();
        *self.outputs.lock().unwrap_or_else(|e| e.into_inner()) = inputs;
    }
}

/// What `nexxo build --analyze` wrote and found.
#[derive(Debug)]
pub struct AnalysisOutcome {
    pub files: nexxo_analyze::AnalysisFiles,
    pub stats: nexxo_analyze::Stats,
    pub comparison: Option<nexxo_analyze::Comparison>,
}

/// The folder the analysis is written to: `<root>/.nexxo/analyze`, outside outDir.
pub fn analysis_dir(config: &nexxo_config::ResolvedConfig) -> std::path::PathBuf {
    config.root.join(nexxo_analyze::ANALYZE_DIR)
}

/// Turns an analyzed build's graph into stats and writes the report, `stats.json` and
/// `metafile.json`; with `compare`, the stats of an earlier build (read before anything is
/// written, since it may be the file about to be replaced) are compared with these.
pub fn write_analysis(
    config: &nexxo_config::ResolvedConfig,
    graph: &nexxo_analyze::BuildGraph,
    compare: Option<&std::path::Path>,
) -> Result<AnalysisOutcome, nexxo_diagnostics::Diagnostic> {
    let old = compare
        .map(nexxo_analyze::read_stats)
        .transpose()
        .map_err(|why| nexxo_diagnostics::Diagnostic::error(format!("--compare: {why}")))?;
    let phase = nexxo_diagnostics::events::Phase::start("analyze");
    let stats = nexxo_analyze::build_stats(
        graph,
        &nexxo_analyze::StatsOptions {
            tool: format!("nexxo {}", env!("CARGO_PKG_VERSION")),
            version_of: &nexxo_analyze::packages::read_package_version,
        },
    );
    let comparison = old.map(|old| nexxo_analyze::compare(&old, &stats));
    let dir = analysis_dir(config);
    let files = nexxo_analyze::write_analysis(&dir, &stats, comparison.as_ref()).map_err(|err| {
        nexxo_diagnostics::Diagnostic::error(format!(
            "cannot write the analysis to {}: {err}",
            config.display_path(&dir)
        ))
    });
    phase.end_with(&files);
    let files = files?;
    Ok(AnalysisOutcome {
        files,
        stats,
        comparison,
    })
}
