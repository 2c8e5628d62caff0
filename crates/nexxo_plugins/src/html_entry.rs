//! HTML pages as entries, the way Vite does it: each page becomes a small proxy module that
//! imports the page's module scripts in document order (inline scripts become virtual modules),
//! so one entry chunk per page comes out of rolldown. After chunking, the page is rewritten:
//! the entry chunk as its one module script, `modulepreload` links for the chunks it imports
//! statically, and local asset URLs replaced by hashed files.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rolldown_common::{ModuleType, Output, OutputAsset, OutputChunk, StrOrBytes};
use rolldown_plugin::{
    HookBuildStartArgs, HookGenerateBundleArgs, HookLoadArgs, HookLoadOutput, HookLoadReturn,
    HookNoopReturn, HookResolveIdArgs, HookResolveIdOutput, HookResolveIdReturn, HookUsage, Plugin,
    PluginContext, SharedLoadPluginContext,
};

use crate::asset_url::{js_string, AssetUrls};
use crate::assets::emit_asset_file;
use nexxo_pipeline::plugins::chunk_css::{is_stylesheet, ChunkStyles};

/// Query marking the proxy module of a page (the page's entry in the module graph).
pub const ENTRY_QUERY: &str = "?nexxo-html-entry";

/// A module script of a page, resolved to what the bundler loads.
#[derive(Debug, Clone)]
pub enum PageScript {
    /// `<script type="module" src>` or `<link rel="stylesheet" href>`: the absolute path of the
    /// file (stylesheets come first, in document order).
    File(PathBuf),
    /// An inline module script: the module `id` the pipeline's `html_scripts` plugin loads
    /// from the page.
    Inline { id: String },
}

/// One HTML page of the app, as planned before bundling.
#[derive(Debug, Clone)]
pub struct HtmlPage {
    /// Output path relative to outDir, e.g. `index.html` or `docs/index.html`.
    pub output_name: String,
    /// The page's source text.
    pub html: String,
    /// The rolldown input name (names the entry chunk).
    pub entry_name: String,
    /// Id of the proxy module that imports the page's scripts.
    pub entry_id: String,
    pub scripts: Vec<PageScript>,
    /// Local asset URLs as written in the page → absolute file.
    pub assets: Vec<(String, PathBuf)>,
    /// Root-relative URLs of files in `public/` (e.g. `/favicon.svg`): they get the base prefix.
    pub public_urls: Vec<String>,
    /// `<link rel="stylesheet">` URLs that are bundled (and so removed from the page).
    pub bundled_stylesheets: Vec<String>,
}

impl HtmlPage {
    /// Whether the page runs any JS (pages with only stylesheets need no entry script).
    pub fn has_code(&self) -> bool {
        self.scripts.iter().any(|script| match script {
            PageScript::File(path) => !is_stylesheet(&path.to_string_lossy()),
            PageScript::Inline { .. } => true,
        })
    }
}

#[derive(Debug)]
pub struct HtmlEntryPlugin {
    pages: Vec<HtmlPage>,
    urls: Arc<AssetUrls>,
    chunk_styles: Arc<ChunkStyles>,
    /// Per page: asset URL as written → output file name. Filled in `build_start`.
    emitted_assets: Mutex<Vec<HashMap<String, String>>>,
}

impl HtmlEntryPlugin {
    pub fn new(pages: Vec<HtmlPage>, urls: Arc<AssetUrls>, chunk_styles: Arc<ChunkStyles>) -> Self {
        Self {
            pages,
            urls,
            chunk_styles,
            emitted_assets: Mutex::new(Vec::new()),
        }
    }

    fn proxy_code(page: &HtmlPage) -> String {
        page.scripts
            .iter()
            .map(|script| match script {
                PageScript::File(path) => {
                    format!("import {};\n", js_string(&path.to_string_lossy()))
                }
                PageScript::Inline { id, .. } => format!("import {};\n", js_string(id)),
            })
            .collect()
    }

    fn page_output(
        &self,
        page: &HtmlPage,
        page_assets: &HashMap<String, String>,
        chunks: &HashMap<&str, &OutputChunk>,
        entry: Option<&OutputChunk>,
    ) -> nexxo_html::HtmlOutput {
        let url = |file_name: &str| self.urls.html_url(&page.output_name, file_name);
        let public = page
            .public_urls
            .iter()
            .map(|u| (u.clone(), url(u.trim_start_matches('/'))));
        let mut output = nexxo_html::HtmlOutput {
            asset_urls: page_assets
                .iter()
                .map(|(k, v)| (k.clone(), url(v)))
                .chain(public)
                .collect(),
            removed_stylesheets: page.bundled_stylesheets.iter().cloned().collect(),
            ..Default::default()
        };
        let Some(entry) = entry.filter(|_| !page.scripts.is_empty()) else {
            return output;
        };
        // A page with only stylesheets needs its CSS, not its (empty) entry chunk.
        let has_code = page.has_code();
        if has_code {
            output.entry_script = Some(url(&entry.filename));
        }
        // Every chunk the entry needs before it runs, dependencies first (their CSS comes before
        // the entry's, as their modules run first); preloads let the browser fetch in parallel.
        let mut order = Vec::new();
        collect_static_imports(entry, chunks, &mut HashSet::new(), &mut order);
        for chunk in order {
            let css = chunk
                .module_ids
                .first()
                .and_then(|id| self.chunk_styles.css_file_for(id.as_ref()));
            if let Some(css) = css.map(|css| url(&css)) {
                if !output.stylesheets.contains(&css) {
                    output.stylesheets.push(css);
                }
            }
            if has_code && chunk.filename != entry.filename {
                output.preloads.push(url(&chunk.filename));
            }
        }
        output
    }
}

/// Post-order walk of a chunk's static imports: each chunk after the chunks it imports.
fn collect_static_imports<'a>(
    chunk: &'a OutputChunk,
    chunks: &HashMap<&str, &'a OutputChunk>,
    seen: &mut HashSet<&'a str>,
    order: &mut Vec<&'a OutputChunk>,
) {
    if !seen.insert(chunk.filename.as_str()) {
        return;
    }
    for import in &chunk.imports {
        if let Some(imported) = chunks.get(import.as_str()) {
            collect_static_imports(imported, chunks, seen, order);
        }
    }
    order.push(chunk);
}

impl Plugin for HtmlEntryPlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("nexxo:html")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::BuildStart | HookUsage::ResolveId | HookUsage::Load | HookUsage::GenerateBundle
    }

    async fn build_start(
        &self,
        ctx: &PluginContext,
        _args: &HookBuildStartArgs<'_>,
    ) -> HookNoopReturn {
        let mut emitted = Vec::with_capacity(self.pages.len());
        for page in &self.pages {
            let mut page_assets = HashMap::new();
            for (url, path) in &page.assets {
                let bytes = tokio::fs::read(path).await.map_err(|err| {
                    anyhow::anyhow!("{}: cannot read {url}: {err}", page.output_name)
                })?;
                ctx.add_watch_file(&path.to_string_lossy());
                page_assets.insert(url.clone(), emit_asset_file(ctx, &self.urls, path, bytes)?);
            }
            emitted.push(page_assets);
        }
        *self
            .emitted_assets
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = emitted;
        Ok(())
    }

    async fn resolve_id(
        &self,
        _ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        // Inline scripts are the module pipeline's (`html_scripts`).
        let known = self
            .pages
            .iter()
            .any(|page| page.entry_id == args.specifier);
        Ok(known.then(|| HookResolveIdOutput::from_id(args.specifier)))
    }

    async fn load(&self, _ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        for page in &self.pages {
            if page.entry_id == args.id {
                return Ok(Some(HookLoadOutput {
                    code: Self::proxy_code(page).into(),
                    module_type: Some(ModuleType::Js),
                    ..Default::default()
                }));
            }
        }
        Ok(None)
    }

    async fn generate_bundle(
        &self,
        _ctx: &PluginContext,
        args: &mut HookGenerateBundleArgs<'_>,
    ) -> HookNoopReturn {
        let emitted = std::mem::take(
            &mut *self
                .emitted_assets
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let mut pages_html = Vec::with_capacity(self.pages.len());
        // Entry chunks of pages without JS: nothing loads them.
        let mut script_less_entries = HashSet::new();
        {
            let chunks: HashMap<&str, &OutputChunk> = args
                .bundle
                .iter()
                .filter_map(|o| match o {
                    Output::Chunk(c) => Some((c.filename.as_str(), c.as_ref())),
                    Output::Asset(_) => None,
                })
                .collect();
            for (index, page) in self.pages.iter().enumerate() {
                let entry = chunks.values().copied().find(|c| {
                    c.is_entry
                        && c.facade_module_id
                            .as_ref()
                            .is_some_and(|id| id.as_ref() == page.entry_id)
                });
                if !page.has_code() {
                    if let Some(entry) = entry {
                        script_less_entries.insert(entry.filename.to_string());
                    }
                }
                let output = self.page_output(
                    page,
                    emitted.get(index).unwrap_or(&HashMap::new()),
                    &chunks,
                    entry,
                );
                let html = nexxo_html::rewrite_html(&page.html, &output).map_err(|err| {
                    anyhow::anyhow!("{}: cannot rewrite HTML: {err}", page.output_name)
                })?;
                pages_html.push(html);
            }
        }
        args.bundle.retain(|o| {
            let name = o.filename();
            !script_less_entries.contains(name)
                && !name
                    .strip_suffix(".map")
                    .is_some_and(|chunk| script_less_entries.contains(chunk))
        });
        for (page, html) in self.pages.iter().zip(pages_html) {
            args.bundle.push(Output::Asset(Arc::new(OutputAsset {
                names: vec![page.output_name.clone()],
                original_file_names: vec![page.output_name.clone()],
                filename: page.output_name.as_str().into(),
                source: StrOrBytes::Str(html),
            })));
        }
        Ok(())
    }
}
