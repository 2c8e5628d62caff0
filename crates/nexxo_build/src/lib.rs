//! `nexxo build`: the production pipeline, in three stages with plain data between them
//! (as esbuild's scan → link → emit):
//!
//! 1. [`plan`]: find the HTML pages and resolve their scripts and assets → `Vec<HtmlPage>`.
//! 2. [`bundle`]: rolldown with Nexxo's plugins → output files in memory.
//! 3. [`emit`]: check and empty outDir, copy `public/`, write the files → [`report`].
//!
//! Library builds (`build.lib`) skip the HTML plan and run one rolldown build per format,
//! concurrently.

pub mod bundle;
pub mod chunks;
pub mod emit;
pub mod plan;
pub mod report;

use std::sync::Arc;
use std::time::Instant;

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::{Diagnostic, Diagnostics};
use nexxo_plugins::{AssetUrls, CssGatePlugin};
use rolldown_common::Output;

use crate::bundle::{run_rolldown, BundleResult};
use crate::emit::EmittedFile;
pub use crate::report::BuildReport;

/// Builds the app (or library) described by `config` into its outDir.
pub async fn build(config: &ResolvedConfig) -> Result<BuildReport, Diagnostics> {
    let started = Instant::now();
    // Check outDir before doing any work, but empty it only once the bundle succeeded, so a
    // failed build leaves the previous output in place.
    emit::check_out_dir(config)?;
    let bundle = match &config.lib {
        Some(_) => bundle_lib(config).await?,
        None => bundle_app(config).await?,
    };
    let files = into_files(bundle.outputs);

    let mut warnings: Vec<String> = bundle.warnings.iter().map(|w| w.render(false)).collect();
    warnings.extend(emit::prepare_out_dir(config)?);
    let public_files = emit::copy_public_dir(config)?;
    // Bundle output wins over a public file of the same name.
    emit::write_files(&config.out_dir, &files)?;

    Ok(BuildReport {
        out_dir: config.display_path(&config.out_dir),
        files: report::measure(&files),
        public_files: public_files.len(),
        duration: started.elapsed(),
        warnings,
    })
}

fn asset_urls(config: &ResolvedConfig) -> Arc<AssetUrls> {
    Arc::new(AssetUrls {
        base: config.base.clone(),
        assets_dir: config.assets_dir.clone(),
        inline_limit: config.assets_inline_limit,
        always_inline: config.lib.is_some(),
    })
}

async fn bundle_app(config: &ResolvedConfig) -> Result<BundleResult, Diagnostics> {
    let page_paths = plan::find_pages(config)?;
    let pages = plan::plan_pages(config, &page_paths)?;
    let options = bundle::app_options(config, &pages);
    let css_gate = Arc::new(CssGatePlugin::default());
    let plugins = nexxo_plugins::app_plugins(css_gate.clone(), asset_urls(config), pages);
    let result = run_rolldown(&config.root, options, plugins).await?;
    refuse_stylesheets(config, &css_gate)?;
    Ok(result)
}

/// Stylesheet imports are errors until the CSS stage exists; each points at its import.
fn refuse_stylesheets(
    config: &ResolvedConfig,
    css_gate: &CssGatePlugin,
) -> Result<(), Diagnostics> {
    let errors: Vec<Diagnostic> = css_gate
        .found()
        .into_iter()
        .map(|import| {
            let importer = std::path::Path::new(&import.importer);
            let shown = config.display_path(importer);
            let message = nexxo_plugins::css_gate::unsupported_message(&import.specifier);
            match std::fs::read_to_string(importer) {
                Ok(source) => {
                    let offset = source.find(&import.specifier).unwrap_or(0);
                    Diagnostic::at_offset(message, shown, &source, offset)
                }
                Err(_) => Diagnostic::error(format!("{shown}: {message}")),
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}

/// One rolldown build per format, run concurrently; their outputs are merged.
async fn bundle_lib(config: &ResolvedConfig) -> Result<BundleResult, Diagnostics> {
    let lib = config
        .lib
        .as_ref()
        .ok_or_else(|| Diagnostic::error("no build.lib config"))?;
    let css_gate = Arc::new(CssGatePlugin::default());
    let builds = lib.formats.iter().map(|format| {
        let options = bundle::lib_options(config, *format);
        let plugins = nexxo_plugins::lib_plugins(css_gate.clone(), asset_urls(config));
        run_rolldown(&config.root, options, plugins)
    });
    let mut merged = BundleResult {
        outputs: Vec::new(),
        warnings: Vec::new(),
    };
    let mut errors = Vec::new();
    for result in futures::future::join_all(builds).await {
        match result {
            Ok(mut result) => {
                merged.outputs.append(&mut result.outputs);
                merged.warnings.append(&mut result.warnings);
            }
            Err(mut diagnostics) => errors.append(&mut diagnostics.0),
        }
    }
    refuse_stylesheets(config, &css_gate)?;
    if errors.is_empty() {
        // The same asset can come out of several formats; keep one copy.
        let mut seen = std::collections::HashSet::new();
        merged
            .outputs
            .retain(|o| seen.insert(o.filename().to_string()));
        Ok(merged)
    } else {
        Err(Diagnostics(errors))
    }
}

fn into_files(outputs: Vec<Output>) -> Vec<EmittedFile> {
    outputs
        .into_iter()
        .map(|output| EmittedFile {
            name: output.filename().to_string(),
            bytes: output.content_as_bytes().to_vec(),
        })
        .collect()
}
