//! `nexxo build --watch`: the project's file events, gathered into one batch per save, and the
//! signals that stop the watch. The command line runs the loop (build, print, wait); each
//! rebuild is an ordinary [`crate::build`], so the persistent cache makes unchanged work cheap.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// A steady stream of events (a tool writing into the project without pause) still gets a
/// rebuild this often.
const LONGEST_BATCH: Duration = Duration::from_secs(2);

/// The files that changed since the last batch.
#[derive(Debug, Default)]
pub struct Changes {
    pub paths: BTreeSet<PathBuf>,
    /// A file the config is made from changed (`nexxo.config.json`, `.env*`, `package.json`,
    /// `tsconfig*.json`, browserslist): the config must be read again before the rebuild.
    pub config_changed: bool,
}

impl Changes {
    /// How many files changed: those that exist now (an editor's temporary file, renamed over
    /// the original, is not one), or the removed ones when nothing else is left.
    pub fn file_count(&self) -> usize {
        let existing = self.paths.iter().filter(|path| path.is_file()).count();
        if existing > 0 {
            existing
        } else {
            self.paths.len()
        }
    }
}

/// Watches a project's files for a build: the root itself and each of its folders, except
/// `node_modules`, outDir, cacheDir and hidden folders (so a large `node_modules` costs no
/// inotify watches, and the build's own writes, staging folders included, cause no rebuild).
pub struct ProjectWatcher {
    watcher: notify::RecommendedWatcher,
    events: UnboundedReceiver<PathBuf>,
    rules: IgnoreRules,
    watched: BTreeSet<PathBuf>,
    build_delay: Duration,
    config_file: Option<PathBuf>,
}

impl ProjectWatcher {
    pub fn new(config: &ResolvedConfig) -> Result<Self, Diagnostic> {
        let rules = IgnoreRules::new(config);
        let (sender, events) = unbounded_channel();
        let filter = rules.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            for path in event.paths {
                if !filter.ignores(&path) {
                    let _ = sender.send(path);
                }
            }
        });
        let mut watcher = watcher.map_err(|err| cannot_watch(&config.root, err))?;
        watcher
            .watch(&config.root, RecursiveMode::NonRecursive)
            .map_err(|err| cannot_watch(&config.root, err))?;
        let mut project = Self {
            watcher,
            events,
            rules,
            watched: BTreeSet::new(),
            build_delay: Duration::from_millis(
                config
                    .watch
                    .map_or(nexxo_config::resolve::DEFAULT_WATCH_BUILD_DELAY_MS, |w| {
                        w.build_delay_ms
                    }),
            ),
            config_file: config.config_file.clone(),
        };
        project.watch_top_folders();
        Ok(project)
    }

    /// Waits for a change, then gathers the events that follow it until `buildDelay` passes
    /// without one (an editor's save is several events: truncate, write, rename).
    pub async fn next_changes(&mut self) -> Changes {
        let mut changes = Changes::default();
        let Some(first) = self.events.recv().await else {
            // The watcher is gone: nothing will ever change again.
            return std::future::pending().await;
        };
        changes.paths.insert(first);
        let started = tokio::time::Instant::now();
        while started.elapsed() < LONGEST_BATCH {
            match tokio::time::timeout(self.build_delay, self.events.recv()).await {
                Ok(Some(path)) => {
                    changes.paths.insert(path);
                }
                Ok(None) | Err(_) => break,
            }
        }
        let root = self.rules.root.clone();
        if changes
            .paths
            .iter()
            .any(|path| path.parent() == Some(root.as_path()) && path.is_dir())
        {
            self.watch_top_folders();
        }
        changes.config_changed = changes.paths.iter().any(|path| self.is_config_input(path));
        changes
    }

    /// Files the resolved config is read from.
    fn is_config_input(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let at_root = path.parent() == Some(self.rules.root.as_path());
        self.config_file.as_deref() == Some(path)
            || name.starts_with(".env")
            || (name.starts_with("tsconfig") && name.ends_with(".json"))
            || (at_root
                && matches!(
                    name.as_ref(),
                    "nexxo.config.json" | "package.json" | ".browserslistrc" | "browserslist"
                ))
    }

    /// Adds a recursive watch for each folder at the top of the root not watched yet and not
    /// ignored (a folder created later is watched when it appears).
    fn watch_top_folders(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.rules.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() || self.rules.ignores(&path) || self.watched.contains(&path) {
                continue;
            }
            match self.watcher.watch(&path, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(path);
                }
                Err(err) => eprintln!(
                    "warning: cannot watch {}: {err}; edits there do not trigger a rebuild",
                    path.display()
                ),
            }
        }
    }
}

fn cannot_watch(root: &Path, err: notify::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot watch {}: {err}", root.display()))
}

/// Which paths never matter to a build.
#[derive(Debug, Clone)]
struct IgnoreRules {
    root: PathBuf,
    out_dir: PathBuf,
    cache_dir: PathBuf,
    /// `.<outDir name>.nexxo-`: the staging and old-output folders emit writes beside outDir.
    emit_sibling_prefix: String,
    /// Files this process's stdout and stderr go to (`nexxo build --watch > build.log` in the
    /// root): each rebuild's line would otherwise trigger the next rebuild.
    own_output: Vec<PathBuf>,
}

impl IgnoreRules {
    fn new(config: &ResolvedConfig) -> Self {
        let out_name = config
            .out_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        Self {
            root: config.root.clone(),
            out_dir: config.out_dir.clone(),
            cache_dir: config.cache_dir.clone(),
            emit_sibling_prefix: format!(".{out_name}.nexxo-"),
            own_output: own_output_files(),
        }
    }

    /// outDir, cacheDir, `node_modules`, hidden folders (`.git` among them) and emit's own
    /// folders. Hidden files are not ignored: `.env` and `.browserslistrc` are inputs.
    fn ignores(&self, path: &Path) -> bool {
        if path.starts_with(&self.out_dir)
            || path.starts_with(&self.cache_dir)
            || self.own_output.iter().any(|file| file == path)
        {
            return true;
        }
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<_> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect();
        let Some((last, folders)) = parts.split_last() else {
            return false;
        };
        folders
            .iter()
            .any(|name| name == "node_modules" || name.starts_with('.'))
            || last == "node_modules"
            || last.starts_with(&self.emit_sibling_prefix)
            || (last.starts_with('.') && path.is_dir())
    }
}

/// The regular files stdout and stderr are redirected to, by their real paths.
fn own_output_files() -> Vec<PathBuf> {
    ["/proc/self/fd/1", "/proc/self/fd/2"]
        .iter()
        .filter_map(|fd| std::fs::canonicalize(fd).ok())
        .filter(|target| target.is_file())
        .collect()
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the moment this is made, so a signal during the
/// first build stops the watch cleanly instead of killing the process mid-write.
pub struct StopSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignal {
    pub fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves when the user asks to stop.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(root: &Path) -> IgnoreRules {
        IgnoreRules {
            root: root.to_path_buf(),
            out_dir: root.join("dist"),
            cache_dir: root.join("cache"),
            emit_sibling_prefix: ".dist.nexxo-".into(),
            own_output: vec![root.join("build.log")],
        }
    }

    #[test]
    fn build_output_and_dependencies_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".idea")).unwrap();
        let rules = rules(root);
        for ignored in [
            "dist/index.html",
            "cache/build/000001.sst",
            "node_modules/react/index.js",
            "node_modules",
            ".git/index",
            ".idea",
            ".dist.nexxo-staging-42",
            ".dist.nexxo-staging-42/index.html",
            "build.log",
        ] {
            assert!(rules.ignores(&root.join(ignored)), "{ignored}");
        }
        for watched in [
            "src/main.ts",
            "index.html",
            ".env.local",
            ".browserslistrc",
            "distant/x.ts",
        ] {
            assert!(!rules.ignores(&root.join(watched)), "{watched}");
        }
    }

    #[test]
    fn temporary_files_renamed_away_are_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.ts"), "").unwrap();
        let changes = Changes {
            paths: BTreeSet::from([dir.path().join("main.ts"), dir.path().join("main.ts.tmp~")]),
            config_changed: false,
        };
        assert_eq!(changes.file_count(), 1);
    }
}
