//! The hook through which another crate rewrites stylesheet text before lightningcss sees it
//! (PostCSS, Tailwind), as Vite runs PostCSS on each CSS file before bundling and after Sass.
//! This crate knows nothing of how a transform runs (Node, processes): only this trait.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

/// A rewrite of stylesheet text, applied to each project stylesheet the CSS stage reads (the
/// entry and the files it `@import`s, not files inside `node_modules`) and to the compiled CSS
/// of a Sass entry.
pub trait StylesheetTransform: Send + Sync {
    /// Whether this sheet needs the transform (cheap; e.g. a PostCSS config exists, or the
    /// text has `@import "tailwindcss"`).
    fn wants(&self, path: &Path, text: &str) -> bool;
    /// The new CSS text, with the extra files the result depends on (Tailwind's scanned
    /// sources, PostCSS `dependency` messages). A source map of the rewrite can be inlined in
    /// `code` as a `/*# sourceMappingURL=data:… */` comment, which lightningcss follows.
    fn transform(&self, path: &Path, text: &str) -> Result<TransformedStylesheet, Diagnostic>;
    /// Part of cache keys (e.g. config file contents + package versions).
    fn fingerprint(&self) -> String;
}

/// What a [`StylesheetTransform`] made of one sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransformedStylesheet {
    pub code: String,
    /// Files the result depends on besides the sheet itself: they are watched and bound into
    /// cache entries like the sheet's own `@import`s.
    pub files: Vec<PathBuf>,
}

/// Packages ship compiled CSS, and Vite's PostCSS leaves them alone too.
pub(crate) fn is_in_node_modules(path: &Path) -> bool {
    path.components()
        .any(|component| component.as_os_str() == "node_modules")
}

/// `text` rewritten by `transform` when it wants this sheet; `None` when the text stays as is.
pub(crate) fn apply(
    transform: Option<&dyn StylesheetTransform>,
    path: &Path,
    text: &str,
) -> Option<Result<TransformedStylesheet, Diagnostic>> {
    let transform = transform?;
    if is_in_node_modules(path) || !transform.wants(path, text) {
        return None;
    }
    Some(transform.transform(path, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_node_modules_are_recognised_by_folder_name() {
        assert!(is_in_node_modules(Path::new("/p/node_modules/pkg/a.css")));
        assert!(!is_in_node_modules(Path::new("/p/src/node_modules.css")));
        assert!(!is_in_node_modules(Path::new("/p/src/a.css")));
    }
}
