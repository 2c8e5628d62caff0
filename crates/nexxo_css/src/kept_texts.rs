//! Stylesheet texts made during a compile (a transform's output) that must live as long as the
//! `@import` provider: lightningcss's `SourceProvider::read` hands out `&str`s borrowed from
//! the provider, and its bundler reads files from several threads.
//!
//! An append-only list of `OnceLock` links: a node, once set, is never moved or dropped before
//! the list, so references to its text stay valid without `unsafe`. Appending walks the list,
//! which is fine for the handful of files one stylesheet reads.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug, Default)]
pub(crate) struct KeptTexts {
    first: OnceLock<Box<KeptText>>,
}

#[derive(Debug)]
struct KeptText {
    file: PathBuf,
    text: String,
    next: OnceLock<Box<KeptText>>,
}

impl KeptTexts {
    /// Keeps `text` as the text of `file`, returning it with the lifetime of the list.
    pub(crate) fn keep(&self, file: &Path, text: String) -> &str {
        let mut pending = Some(KeptText {
            file: file.to_path_buf(),
            text,
            next: OnceLock::new(),
        });
        let mut slot = &self.first;
        loop {
            // `get_or_init` runs the closure (taking `pending`) only when the slot is empty;
            // when another thread filled it first, the walk goes on to its successor.
            let node = slot.get_or_init(|| Box::new(pending.take().unwrap_or_else(empty_node)));
            if pending.is_none() {
                return &node.text;
            }
            slot = &node.next;
        }
    }

    /// The first text kept for `file`.
    pub(crate) fn get(&self, file: &Path) -> Option<&str> {
        let mut node = self.first.get();
        while let Some(kept) = node {
            if kept.file == file {
                return Some(&kept.text);
            }
            node = kept.next.get();
        }
        None
    }
}

/// Never built: the closure that calls it only runs while the pending node is still there.
fn empty_node() -> KeptText {
    KeptText {
        file: PathBuf::new(),
        text: String::new(),
        next: OnceLock::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_kept_from_several_threads_are_all_found() {
        let kept = KeptTexts::default();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let kept = &kept;
                scope.spawn(move || {
                    for index in 0..25 {
                        let name = format!("/p/{thread}-{index}.css");
                        let text = kept.keep(Path::new(&name), format!(".a{index} {{}}"));
                        assert_eq!(text, format!(".a{index} {{}}"));
                    }
                });
            }
        });
        for thread in 0..4 {
            for index in 0..25 {
                let name = format!("/p/{thread}-{index}.css");
                assert_eq!(
                    kept.get(Path::new(&name)),
                    Some(format!(".a{index} {{}}").as_str())
                );
            }
        }
        assert_eq!(kept.get(Path::new("/p/missing.css")), None);
    }
}
