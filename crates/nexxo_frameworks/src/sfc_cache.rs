//! Component files: what their module ids ask for, and the last compile of each file, kept in memory so that the modules a component
//! splits into (its script and its `<style>` blocks, loaded as separate ids) compile the file
//! once, and so that hot updates can compare an edit with the version before it.

use std::collections::HashMap;

use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::ids::{has_query_flag, query_value, split_query};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Compiles of one kind of component (`T`), by file, valid while the file's text is the same.
pub struct LastCompiles<T> {
    entries: Mutex<HashMap<PathBuf, Entry<T>>>,
}

struct Entry<T> {
    text_hash: u64,
    current: Arc<T>,
    previous: Option<Arc<T>>,
}

impl<T> Default for LastCompiles<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

/// What [`LastCompiles::get_or_compile`] found.
pub struct Compiled<T> {
    pub current: Arc<T>,
    /// The compile of the file's text before the current one: kept with it, so every module
    /// of the component (script, styles), in whatever order they load, sees the same pair.
    pub previous: Option<Arc<T>>,
}

impl<T> LastCompiles<T> {
    /// The compile of `path` with text `source`: the kept one when the text is unchanged,
    /// else `compile`'s result, which replaces it.
    pub fn get_or_compile<E>(
        &self,
        path: &Path,
        source: &str,
        compile: impl FnOnce() -> Result<T, E>,
    ) -> Result<Compiled<T>, E> {
        let text_hash = xxhash_rust::xxh3::xxh3_64(source.as_bytes());
        let previous = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(path) {
                Some(entry) if entry.text_hash == text_hash => {
                    return Ok(Compiled {
                        current: entry.current.clone(),
                        previous: entry.previous.clone(),
                    })
                }
                other => other.map(|entry| entry.current.clone()),
            }
        };
        // Compiled outside the lock: other files compile in parallel.
        let current = Arc::new(compile()?);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                path.to_path_buf(),
                Entry {
                    text_hash,
                    current: current.clone(),
                    previous: previous.clone(),
                },
            );
        Ok(Compiled { current, previous })
    }
}

/// What a module id of a component file asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum ComponentPart<'a> {
    /// `App.vue`: the component's script module.
    Script(&'a Path),
    /// `App.vue?vue&type=style&index=1&lang.css`: one of its style blocks (Svelte's single
    /// stylesheet is index 0).
    Style { path: &'a Path, index: usize },
    /// Another query (`?raw`, `?url`): for the plugins that handle those.
    Other,
}

/// Reads the id of a component whose own ids carry the query flag `flag` (`vue`, `svelte`).
pub fn component_part<'a>(id: &'a str, flag: &str) -> ComponentPart<'a> {
    let (path, query) = split_query(id);
    let path = Path::new(path);
    match query {
        None => ComponentPart::Script(path),
        Some(query)
            if has_query_flag(Some(query), flag) && query_value(query, "type") == Some("style") =>
        {
            let index = query_value(query, "index").and_then(|index| index.parse().ok());
            ComponentPart::Style {
                path,
                index: index.unwrap_or(0),
            }
        }
        Some(_) => ComponentPart::Other,
    }
}

/// A component file's text.
pub fn read_component(path: &Path) -> Result<String, Diagnostic> {
    nexxo_diagnostics::input::read_regular_to_string(path)
        .map_err(|err| Diagnostic::error(format!("cannot read {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_ids() {
        assert_eq!(
            component_part("/p/App.vue", "vue"),
            ComponentPart::Script(Path::new("/p/App.vue"))
        );
        assert_eq!(
            component_part(
                "/p/App.vue?vue&type=style&index=2&scoped=ab12&lang.scss",
                "vue"
            ),
            ComponentPart::Style {
                path: Path::new("/p/App.vue"),
                index: 2
            }
        );
        assert_eq!(
            component_part("/p/A.svelte?svelte&type=style&lang.css", "svelte"),
            ComponentPart::Style {
                path: Path::new("/p/A.svelte"),
                index: 0
            }
        );
        assert_eq!(
            component_part("/p/App.vue?raw", "vue"),
            ComponentPart::Other
        );
    }

    #[test]
    fn same_text_compiles_once_and_an_edit_sees_the_previous_compile() {
        let compiles = LastCompiles::<String>::default();
        let path = Path::new("/p/App.vue");
        let first = compiles
            .get_or_compile(path, "a", || Ok::<_, ()>("A".to_string()))
            .unwrap();
        assert!(first.previous.is_none());
        let again = compiles
            .get_or_compile(path, "a", || -> Result<String, ()> {
                panic!("compiled twice")
            })
            .unwrap();
        assert_eq!(*again.current, "A");
        assert!(again.previous.is_none());
        let edited = compiles
            .get_or_compile(path, "b", || Ok::<_, ()>("B".to_string()))
            .unwrap();
        assert_eq!(*edited.current, "B");
        assert_eq!(edited.previous.as_deref().map(String::as_str), Some("A"));
        let style_module_later = compiles
            .get_or_compile(path, "b", || -> Result<String, ()> {
                panic!("compiled twice")
            })
            .unwrap();
        assert_eq!(
            style_module_later.previous.as_deref().map(String::as_str),
            Some("A")
        );
    }
}
