//! Which frameworks a project uses, from its root package.json: no config needed, as Vite's
//! framework templates declare them there. The build and the dev server add the matching
//! compilers (they run in the Node helper).

use crate::RootPackage;

/// The frameworks found in the root package.json's `dependencies` and `devDependencies`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Frameworks {
    /// `vue` (3): `.vue` single-file components.
    pub vue: bool,
    /// `svelte` (3, 4 or 5): `.svelte` components.
    pub svelte: bool,
    /// `solid-js`: JSX compiled by `babel-preset-solid` instead of React's transform.
    pub solid: bool,
    /// `@angular/core`: TypeScript compiled by the Angular compiler (templates, decorators),
    /// libraries linked; the app's shape comes from `angular.json`.
    pub angular: bool,
}

impl Frameworks {
    /// From the root package.json's dependencies.
    pub fn of(package: &RootPackage) -> Self {
        Self {
            vue: package.depends_on("vue"),
            svelte: package.depends_on("svelte"),
            solid: package.depends_on("solid-js"),
            angular: package.depends_on("@angular/core"),
        }
    }

    /// Whether any of them needs the Node helper.
    pub fn need_node(&self) -> bool {
        self.vue || self.svelte || self.solid || self.angular
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frameworks_of(manifest: &str) -> Frameworks {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), manifest).unwrap();
        Frameworks::of(&RootPackage::read(dir.path()))
    }

    #[test]
    fn detected_from_dependencies_and_dev_dependencies() {
        let found = frameworks_of(
            r#"{ "dependencies": { "vue": "^3.5.0" }, "devDependencies": { "svelte": "^5.0.0", "solid-js": "^1.9.0" } }"#,
        );
        assert!(found.vue && found.svelte && found.solid);
        assert!(found.need_node());
    }

    #[test]
    fn react_app_needs_no_node() {
        let found = frameworks_of(r#"{ "dependencies": { "react": "19", "react-dom": "19" } }"#);
        assert_eq!(found, Frameworks::default());
        assert!(!found.need_node());
    }
}
