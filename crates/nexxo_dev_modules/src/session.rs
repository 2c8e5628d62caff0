//! The dev server's compile state: the [`Session`] (what depends on the config), and
//! [`CompileState`] around it (the module graph and the dependency bundle built with it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use nexxo_cache::CacheStore;
use nexxo_config::{ConfigOverrides, ResolvedConfig};
use nexxo_diagnostics::Diagnostic;

use crate::deps::{prebundle, DepBundle};
use crate::graph::ModuleGraph;
use nexxo_pipeline::plugins::html_scripts::inline_script_query;

use crate::load::{dev_base, DevPlugins};
use crate::module_cache::ModuleCache;
use crate::resolve::{id_for_path, ModuleResolver, Resolved, DEPS_PREFIX};
use crate::transform::TransformSettings;
use crate::{lock, read, write};

/// Compiling state that depends on the config: rebuilt when the config or `.env` changes.
pub struct Session {
    pub config: Arc<ResolvedConfig>,
    pub settings: TransformSettings,
    /// The module plugins shared with the build (stylesheets, assets, JSON).
    pub plugins: DevPlugins,
    pub resolver: ModuleResolver,
    /// Registry id of `react-refresh/runtime` when the app has it.
    pub refresh_runtime: Option<String>,
    /// Roots files may be served from (canonical): the project root, its own `node_modules`
    /// (when it is a symlink it leads elsewhere) and the `node_modules` folders of its parents
    /// (workspaces).
    pub allowed_roots: Vec<PathBuf>,
    /// Compiled modules and dependency bundles from earlier runs.
    pub module_cache: ModuleCache,
}

impl Session {
    /// A page's HTML as the plugins' `transformIndexHtml` hooks make it (the text the page's
    /// scripts are read from and the browser gets). Blocks while plugins run in Node.
    pub fn page_html(&self, file: &Path, html: String) -> Result<String, Diagnostic> {
        self.plugins.container.transform_html(html, file)
    }

    pub fn new(config: ResolvedConfig, store: Arc<CacheStore>) -> Result<Self, Diagnostic> {
        let plugins = DevPlugins::new(&config, Some(store.clone()))?;
        let resolver = ModuleResolver::new(&config, plugins.container.clone());
        let refresh_runtime = match resolver.resolve(&config.index_page(), "react-refresh/runtime")
        {
            Ok(Resolved::Dependency(specifier)) => Some(specifier),
            _ => None,
        };
        let settings = TransformSettings::new(
            &config.define,
            refresh_runtime.is_some(),
            nexxo_plugins::transform_plugins(&config),
        )?
        // The audits panel's source locations (`audit.dev`, on unless turned off).
        .with_source_attributes(config.audit.dev.unwrap_or(true));
        let mut allowed_roots = vec![config.root.clone()];
        // The root itself first: a real `<root>/node_modules` is inside the root already, but a
        // symlinked one (linked from a shared store, as the test harness and pnpm setups do)
        // canonicalizes to a folder outside it.
        for ancestor in config.root.ancestors() {
            if let Ok(modules) = ancestor.join("node_modules").canonicalize() {
                allowed_roots.push(modules);
            }
        }
        let module_cache =
            ModuleCache::new(store, &config, &settings, &plugins.container.fingerprint());
        Ok(Self {
            plugins,
            config: Arc::new(config),
            settings,
            resolver,
            refresh_runtime,
            allowed_roots,
            module_cache,
        })
    }
}

/// Everything compiled for the project: the session, the module graph and the dependency
/// bundle. The HTTP layer reads it; a config change swaps the session and empties the graph.
pub struct CompileState {
    pub session: RwLock<Arc<Session>>,
    pub graph: Mutex<ModuleGraph>,
    pub deps: tokio::sync::Mutex<Arc<DepBundle>>,
    /// The command line's overrides, applied again when the config is re-read.
    pub overrides: ConfigOverrides,
    /// Module ids of the web workers pages started (see `page.rs`): a change to one of their
    /// modules reloads the page, which starts the worker again.
    pub worker_entries: Mutex<BTreeSet<String>>,
}

impl CompileState {
    pub fn new(session: Session, overrides: ConfigOverrides) -> Self {
        Self {
            session: RwLock::new(Arc::new(session)),
            graph: Mutex::new(Default::default()),
            deps: tokio::sync::Mutex::new(Default::default()),
            overrides,
            worker_entries: Mutex::default(),
        }
    }

    pub fn session(&self) -> Arc<Session> {
        read(&self.session).clone()
    }

    /// Compiles `ids` and their static imports (on rayon's threads, off the async runtime).
    pub async fn ensure_modules(self: &Arc<Self>, ids: Vec<String>) {
        let state = self.clone();
        let compiled = tokio::task::spawn_blocking(move || {
            let session = state.session();
            let mut graph = lock(&state.graph);
            graph.ensure(&session, &ids);
        })
        .await;
        // A panic in the compiler is Nexxo's bug, not the project's: say so once, plainly,
        // instead of serving a page that silently lacks modules. The graph lock it poisoned is
        // recovered by the next request.
        if let Err(error) = compiled {
            if error.is_panic() {
                let payload = error.into_panic();
                eprintln!(
                    "internal error while compiling modules: {}\nThis is a bug in Nexxo, not in your project. Please report it with the command you ran.",
                    crate::panic_message(payload.as_ref())
                );
            }
        }
    }

    /// Compiles a page's `entries` (see [`Self::ensure_modules`]), then finds the packages its
    /// lazy modules import ([`ModuleGraph::scan_lazy_imports`]) for the dependency bundle.
    pub async fn ensure_page_modules(self: &Arc<Self>, entries: Vec<String>) {
        self.ensure_modules(entries.clone()).await;
        let state = self.clone();
        // Compiler panics are each module's error (`compile_guarded`); a lazy module's shows
        // when the page loads it and it is compiled into the graph.
        let _ = tokio::task::spawn_blocking(move || {
            let session = state.session();
            lock(&state.graph).scan_lazy_imports(&session, &entries);
        })
        .await;
    }

    /// The dependency bundle, re-bundled when the graph imports packages it lacks. Returns
    /// whether it changed.
    pub async fn ensure_deps(&self) -> Result<(Arc<DepBundle>, bool), Diagnostic> {
        let session = self.session();
        let mut wanted: BTreeSet<String> = lock(&self.graph).dependencies();
        if let Some(refresh) = &session.refresh_runtime {
            wanted.insert(refresh.clone());
        }
        let mut current = self.deps.lock().await;
        if current.holds(&wanted) {
            return Ok((current.clone(), false));
        }
        // Keep what was bundled before so a package never disappears from the page.
        wanted.extend(current.specifiers.iter().cloned());
        let started = Instant::now();
        let cache_key = crate::deps::cache_key(&session.config, &wanted);
        let store = &session.module_cache.store;
        if let Some(bundle) = store
            .get(&cache_key)
            .and_then(|bytes| serde_json::from_slice::<DepBundle>(&bytes).ok())
        {
            *current = Arc::new(bundle);
            return Ok((current.clone(), true));
        }
        let bundle = prebundle(
            &session.config,
            &wanted,
            session.plugins.node_compilers.as_ref(),
        )
        .await?;
        if let Ok(bytes) = serde_json::to_vec(&bundle) {
            store.put(&cache_key, &bytes);
        }
        eprintln!(
            "  pre-bundled {} dependenc{} in {} ms",
            wanted.len(),
            if wanted.len() == 1 { "y" } else { "ies" },
            started.elapsed().as_millis()
        );
        *current = Arc::new(bundle);
        Ok((current.clone(), true))
    }

    /// The config or an env file changed: reads the config again and forgets compiled
    /// modules. On an error the current session stays.
    pub fn restart(&self) -> Result<(), Diagnostic> {
        let current = self.session();
        let config = nexxo_config::resolve_config(
            &current.config.root,
            nexxo_config::Command::Serve,
            &self.overrides,
            &std::env::vars().collect(),
        );
        let store = current.module_cache.store.clone();
        let session = config.and_then(|config| Session::new(config, store))?;
        eprintln!("  config or env changed: restarted");
        *write(&self.session) = Arc::new(session);
        *lock(&self.graph) = Default::default();
        Ok(())
    }
}

/// The module ids of a page's module scripts.
pub fn page_entries(
    session: &Session,
    html_path: &Path,
    html: &str,
) -> Result<Vec<String>, Diagnostic> {
    let config = &session.config;
    let scan = nexxo_html::scan_html(html).map_err(|err| {
        Diagnostic::error(format!(
            "{}: cannot read the HTML: {err}",
            config.display_path(html_path)
        ))
    })?;
    let mut entries = Vec::new();
    let mut inline_index = 0;
    for script in scan.scripts {
        match script {
            nexxo_html::ModuleScript::External { src, offset } => {
                if !nexxo_html::is_local_url(&src) {
                    continue;
                }
                let request = src
                    .strip_prefix(dev_base(config))
                    .map(|s| format!("/{s}"))
                    .unwrap_or(src.clone());
                match session.resolver.resolve(html_path, &request) {
                    Ok(Resolved::File { path, query }) => {
                        entries.push(id_for_path(&config.root, &path, query.as_deref()))
                    }
                    Ok(Resolved::Dependency(bare)) => entries.push(format!("{DEPS_PREFIX}{bare}")),
                    Err(reason) => {
                        return Err(Diagnostic::at_offset(
                            format!("cannot find the script \"{src}\" ({reason})"),
                            config.display_path(html_path),
                            html,
                            offset,
                        ))
                    }
                }
            }
            nexxo_html::ModuleScript::Inline { .. } => {
                entries.push(id_for_path(
                    &config.root,
                    html_path,
                    Some(&inline_script_query(inline_index)),
                ));
                inline_index += 1;
            }
        }
    }
    Ok(entries)
}
