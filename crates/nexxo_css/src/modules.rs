//! CSS Modules: which files are modules, the class-name pattern, and the class map they export.

use std::path::Path;

use lightningcss::css_modules::{Config, CssModuleExports, CssModuleReference, Pattern};

/// `*.module.css`, `*.module.scss`, `*.module.sass`.
pub fn is_css_module(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".module.css", ".module.scss", ".module.sass"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The lightningcss config for a pattern. `[hash:N]` (Vite's spelling) is accepted and means
/// lightningcss's `[hash]`: 6 characters from the file's path relative to the root, so a class
/// gets the same name whichever stylesheet composes it, on every machine.
pub fn config(pattern: &str) -> Result<Config, String> {
    let mut expanded = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("[hash:") {
        expanded.push_str(&rest[..start]);
        let after = &rest[start + "[hash:".len()..];
        let end = after
            .find(']')
            .ok_or_else(|| format!("unclosed `[hash:` in `{pattern}`"))?;
        after[..end]
            .parse::<usize>()
            .map_err(|_| format!("`[hash:{}]` in `{pattern}` needs a number", &after[..end]))?;
        expanded.push_str("[hash]");
        rest = &after[end + 1..];
    }
    expanded.push_str(rest);
    let pattern = Pattern::parse(&expanded)
        .map_err(|err| format!("css.modules.generateScopedName `{pattern}`: {err}"))?;
    Ok(Config {
        pattern,
        ..Config::default()
    })
}

/// Exported name → the classes an element needs (its scoped name plus composed ones), sorted.
pub fn class_lists(exports: CssModuleExports) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = exports
        .into_iter()
        .map(|(name, export)| {
            let mut classes = vec![export.name];
            for composed in export.composes {
                match composed {
                    CssModuleReference::Local { name } | CssModuleReference::Global { name } => {
                        classes.push(name)
                    }
                    // Bundled files share one scope: the dependency's scoped name is its name
                    // passed through the same pattern, which lightningcss already resolved.
                    CssModuleReference::Dependency { name, .. } => classes.push(name),
                }
            }
            (name, classes.join(" "))
        })
        .collect();
    list.sort();
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vite_hash_length_placeholder_is_accepted() {
        assert!(config("[name]__[local]__[hash:5]").is_ok());
        assert!(config("[hash:x]_[local]").is_err());
        assert!(config("[nope]").is_err());
    }
}
