//! What the analyzer is given: plain data a driver collects from its bundler or module graph.
//! No rolldown or HTTP types cross into this crate.

use std::path::{Path, PathBuf};

/// One module of the graph, as the bundler saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInput {
    /// The bundler's id: an absolute path (maybe with a `?query`), or a virtual id.
    pub id: String,
    /// Size of the module's source as loaded (before transforms), in bytes.
    pub source_bytes: usize,
    /// Ids of the modules it imports statically, in source order.
    pub imports: Vec<String>,
    /// Ids of the modules it imports with `import()`.
    pub dynamic_imports: Vec<String>,
    /// An entry of the build (a page's entry or a `build.input` script).
    pub is_entry: bool,
}

/// One emitted file, with what the bundler knows about it when it is a JS chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputInput {
    /// Path relative to outDir, `/`-separated (`assets/index-abc123.js`).
    pub file: String,
    /// The file's bytes, exactly as written.
    pub bytes: Vec<u8>,
    /// `Some` for JS chunks.
    pub chunk: Option<ChunkInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkInput {
    /// The chunk's name without hash (`index`, `vendor`); stable across builds.
    pub name: String,
    pub is_entry: bool,
    pub is_dynamic_entry: bool,
    /// The module the chunk is the entry of.
    pub entry_module: Option<String>,
    /// Ids of the modules rendered into the chunk.
    pub module_ids: Vec<String>,
    /// Other chunks (file names) this one imports statically, and with `import()`.
    pub imports: Vec<String>,
    pub dynamic_imports: Vec<String>,
    /// The chunk's source map as JSON, mapping the code in `bytes`.
    pub map_json: Option<String>,
}

/// The whole build as the analyzer sees it.
#[derive(Debug, Clone, Default)]
pub struct BuildGraph {
    /// Project root: module paths are shown relative to it.
    pub root: PathBuf,
    /// Where the outputs are written: source map sources are relative to each file's folder.
    pub out_dir: PathBuf,
    pub modules: Vec<ModuleInput>,
    pub outputs: Vec<OutputInput>,
}

/// `path` with `.` and `..` components folded, without touching the file system (source map
/// sources and module ids name files that may not exist, such as virtual modules).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// How a module id is shown: relative to the root when inside it (`src/main.ts`), the `\0`
/// of virtual ids made visible, absolute paths elsewhere kept.
pub fn display_id(root: &Path, id: &str) -> String {
    if let Some(virtual_id) = id.strip_prefix('\0') {
        return format!("\\0{virtual_id}");
    }
    let (path, query) = match id.find('?') {
        Some(at) => (&id[..at], &id[at..]),
        None => (id, ""),
    };
    let path = Path::new(path);
    if path.is_absolute() {
        if let Ok(relative) = path.strip_prefix(root) {
            let shown = relative.to_string_lossy().replace('\\', "/");
            return format!("{shown}{query}");
        }
    }
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_parent_components() {
        assert_eq!(
            normalize(Path::new("/p/dist/assets/../../src/a.ts")),
            PathBuf::from("/p/src/a.ts")
        );
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn shows_ids_relative_to_the_root() {
        let root = Path::new("/p");
        assert_eq!(display_id(root, "/p/src/a.ts"), "src/a.ts");
        assert_eq!(
            display_id(root, "/p/index.html?html-proxy"),
            "index.html?html-proxy"
        );
        assert_eq!(display_id(root, "/elsewhere/b.js"), "/elsewhere/b.js");
        assert_eq!(display_id(root, "\0virtual:x"), "\\0virtual:x");
    }
}
