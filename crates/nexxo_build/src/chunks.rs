//! `build.manualChunks` patterns. A pattern is either a package name (`react`, `@scope/pkg`),
//! matching every module inside that package in `node_modules`, or a glob relative to the
//! project root (`src/utils/**`).

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

#[derive(Debug)]
pub struct ModulePatterns {
    /// `/node_modules/<name>/` fragments.
    packages: Vec<String>,
    /// Globs over the module's path relative to the root.
    globs: GlobSet,
    root: String,
}

impl ModulePatterns {
    pub fn new(root: &Path, patterns: &[String]) -> Self {
        let mut packages = Vec::new();
        let mut globs = GlobSetBuilder::new();
        for pattern in patterns {
            if is_package_name(pattern) {
                packages.push(format!("/node_modules/{pattern}/"));
            } else if let Ok(glob) = Glob::new(pattern.trim_start_matches("./")) {
                globs.add(glob);
            }
        }
        Self {
            packages,
            globs: globs.build().unwrap_or_else(|_| GlobSet::empty()),
            root: format!("{}/", root.to_string_lossy().replace('\\', "/")),
        }
    }

    /// Whether a module id (an absolute path, perhaps with a query) belongs to the chunk.
    pub fn matches(&self, id: &str) -> bool {
        let path = id.split('?').next().unwrap_or(id).replace('\\', "/");
        if self.packages.iter().any(|p| path.contains(p.as_str())) {
            return true;
        }
        path.strip_prefix(&self.root)
            .is_some_and(|relative| self.globs.is_match(relative))
    }
}

fn is_package_name(pattern: &str) -> bool {
    let valid = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    match pattern.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, name)| valid(scope) && valid(name)),
        None => valid(pattern) && !pattern.starts_with('.'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_globs_match() {
        let patterns = ModulePatterns::new(
            Path::new("/app"),
            &["react".into(), "@scope/ui".into(), "src/utils/**".into()],
        );
        assert!(patterns.matches("/app/node_modules/react/index.js"));
        assert!(
            patterns.matches("/app/node_modules/.pnpm/react@19/node_modules/react/cjs/react.js")
        );
        assert!(!patterns.matches("/app/node_modules/react-dom/index.js"));
        assert!(patterns.matches("/app/node_modules/@scope/ui/dist/x.js"));
        assert!(patterns.matches("/app/src/utils/math.ts"));
        assert!(!patterns.matches("/app/src/main.ts"));
    }
}
