//! The file watcher: the project's file events, in bursts.
//!
//! It lives in the module model rather than the HTTP layer because which files can matter
//! (not `node_modules`, outDir or hidden folders) is a question about the project, and so that
//! the server only has to pass each burst to `hmr.rs` and send what comes back.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Folders whose changes never matter to the dev server.
fn ignored(root: &Path, out_dir: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    path.starts_with(out_dir)
        || relative.components().any(|c| {
            let name = c.as_os_str().to_string_lossy();
            name == "node_modules"
                || name == ".git"
                || (name.starts_with('.') && !name.starts_with(".env"))
        })
}

/// Watches the project: the root itself and each of its folders except `node_modules`, outDir and
/// hidden folders, so a large `node_modules` costs no watches (inotify's limit is per user) and
/// no start-up time. A folder created at the top later is watched when it appears. Events stop
/// when the watcher is dropped.
pub struct FileWatcher {
    watcher: notify::RecommendedWatcher,
    events: UnboundedReceiver<(PathBuf, Instant)>,
    root: PathBuf,
    out_dir: PathBuf,
    watched: BTreeSet<PathBuf>,
}

impl FileWatcher {
    pub fn new(root: PathBuf, out_dir: PathBuf) -> notify::Result<Self> {
        let (sender, events) = unbounded_channel::<(PathBuf, Instant)>();
        let filter_root = root.clone();
        let filter_out_dir = out_dir.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if event.kind.is_access() {
                    return;
                }
                for path in event.paths {
                    if !ignored(&filter_root, &filter_out_dir, &path) {
                        let _ = sender.send((path, Instant::now()));
                    }
                }
            })?;
        watcher.watch(&root, RecursiveMode::NonRecursive)?;
        let mut file_watcher = Self {
            watcher,
            events,
            root,
            out_dir,
            watched: BTreeSet::new(),
        };
        file_watcher.watch_top_folders();
        Ok(file_watcher)
    }

    /// The paths of the next burst of events and when its first event came; `None` once the
    /// watcher has stopped.
    pub async fn next_burst(&mut self) -> Option<(Vec<PathBuf>, Instant)> {
        let (first, started) = self.events.recv().await?;
        // Editors write a file in several steps (truncate, write, rename): take the burst.
        let mut paths = BTreeSet::from([first]);
        tokio::time::sleep(Duration::from_millis(5)).await;
        while let Ok((path, _)) = self.events.try_recv() {
            paths.insert(path);
        }
        if paths
            .iter()
            .any(|p| p.parent() == Some(self.root.as_path()) && p.is_dir())
        {
            self.watch_top_folders();
        }
        Some((paths.into_iter().collect(), started))
    }

    /// Adds a recursive watch for each folder at the top of the root not watched yet and not
    /// ignored.
    fn watch_top_folders(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir()
                || ignored(&self.root, &self.out_dir, &path)
                || self.watched.contains(&path)
            {
                continue;
            }
            match self.watcher.watch(&path, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(path);
                }
                Err(err) => eprintln!(
                    "  warning: cannot watch {}: {err}; edits there are not seen",
                    path.display()
                ),
            }
        }
    }
}
