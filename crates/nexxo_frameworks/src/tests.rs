//! Tests with the real compilers in the repository's `tests/node_modules` (installed by
//! `scripts/setup.sh`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nexxo_cache::{CacheStore, StoreKind};
use nexxo_config::Frameworks;
use serde_json::{json, Map};

use crate::{FrameworkMode, NodeCompilers, ProjectCompilers};

/// The folder whose `node_modules` has vue, svelte, solid and tailwind.
fn packages_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests")
        .canonicalize()
        .expect("the repository's tests folder")
}

const DEV: FrameworkMode = FrameworkMode {
    production: false,
    hmr: true,
};

#[test]
fn a_react_project_gets_no_node_and_no_plugins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"dependencies":{"react":"19","react-dom":"19"}}"#,
    )
    .unwrap();
    let frameworks = Frameworks::of(&nexxo_config::RootPackage::read(dir.path()));
    let compilers = ProjectCompilers::new(dir.path(), frameworks, DEV, None);
    assert!(compilers.node().is_none());
    assert!(compilers.stylesheet_transform().is_none());
}

#[test]
fn a_second_run_with_the_same_sources_starts_no_node() {
    let root = packages_root();
    let cache_dir = tempfile::tempdir().unwrap();
    let open = || {
        Arc::new(CacheStore::open(
            cache_dir.path(),
            StoreKind::Dev,
            64 << 20,
            &|warning| panic!("{warning}"),
        ))
    };
    let args = || {
        let mut args = Map::new();
        args.insert("filename".into(), json!(root.join("Cached.vue")));
        args.insert(
            "source".into(),
            json!("<template><p>{{ 1 + 1 }}</p></template>\n"),
        );
        args.insert("scopeId".into(), json!("abcd1234"));
        args.insert("production".into(), json!(false));
        args.insert("hmr".into(), json!(true));
        args
    };
    let first_store = open();
    let first = NodeCompilers::new(&root, "tests", Some(first_store.clone()));
    let compiled = first.run("vue.compile", "vue", args()).unwrap();
    assert!(compiled["code"].as_str().unwrap().contains("_sfc_render"));
    assert_eq!(first.node_processes_started(), 1);
    first_store.finish();
    drop(first);
    drop(first_store);

    let second = NodeCompilers::new(&root, "tests", Some(open()));
    assert_eq!(second.run("vue.compile", "vue", args()).unwrap(), compiled);
    assert_eq!(second.node_processes_started(), 0, "served from the cache");
    let mut edited = args();
    edited.insert(
        "source".into(),
        json!("<template><p>edited</p></template>\n"),
    );
    second.run("vue.compile", "vue", edited).unwrap();
    assert_eq!(second.node_processes_started(), 1, "an edit compiles again");
}

#[test]
fn compile_errors_name_the_file_relative_to_the_root_with_its_line() {
    let root = packages_root();
    let compilers = NodeCompilers::new(&root, "tests", None);
    let mut args = Map::new();
    args.insert("filename".into(), json!(root.join("Broken.svelte")));
    args.insert("source".into(), json!("<p>ok</p>\n<div>\n{#if}\n</div>\n"));
    args.insert("production".into(), json!(false));
    args.insert("hmr".into(), json!(false));
    let error = compilers.run("svelte.compile", "svelte", args).unwrap_err();
    let location = error.location.expect("a location");
    assert_eq!(location.file, PathBuf::from("Broken.svelte"));
    assert_eq!(location.line, 3, "{}", error.message);
}

/// A host that records warnings and answers nothing else (these modules ask nothing else).
#[derive(Default)]
struct WarningHost(std::sync::Mutex<Vec<nexxo_diagnostics::Diagnostic>>);

impl nexxo_pipeline::ModuleHost for WarningHost {
    fn asset_url_expression(
        &self,
        _: &Path,
        _: Vec<u8>,
    ) -> Result<String, nexxo_diagnostics::Diagnostic> {
        unreachable!("no assets in this test")
    }
    fn css_asset_url(&self, _: &Path, _: Vec<u8>) -> Option<String> {
        None
    }
    fn public_url(&self, name: &str) -> String {
        name.into()
    }
    fn stylesheet_url_expression(
        &self,
        _: &Path,
        _: String,
    ) -> Result<String, nexxo_diagnostics::Diagnostic> {
        unreachable!("no stylesheet URLs in this test")
    }
    fn take_stylesheet(&self, _: &str, _: String, _: Option<String>, _: bool) -> String {
        String::new()
    }
    fn resolve(&self, _: &str, _: &Path) -> Option<PathBuf> {
        None
    }
    fn warn(&self, warning: nexxo_diagnostics::Diagnostic) {
        self.0.lock().unwrap().push(warning);
    }
}

#[test]
fn compiler_warnings_reach_the_host_with_file_and_line() {
    let dir = tempfile::Builder::new()
        .prefix("warnings")
        .tempdir_in(packages_root())
        .unwrap();
    let root = dir.path().to_path_buf();
    std::fs::write(
        root.join("package.json"),
        r#"{"dependencies":{"svelte":"5"}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("App.svelte"),
        "<script>\n  let n = $state(0);\n</script>\n\n<img src=\"x.png\">\n<p>{n}</p>\n",
    )
    .unwrap();
    let frameworks = Frameworks::of(&nexxo_config::RootPackage::read(&root));
    let compilers = ProjectCompilers::new(&root, frameworks, DEV, None);
    let stylesheets = Arc::new(nexxo_pipeline::plugins::StylesheetModules::new(
        nexxo_css::CssOptions {
            root: root.clone(),
            targets: Vec::new(),
            minify: false,
            sourcemap: false,
            modules_pattern: "[local]".into(),
            alias: Vec::new(),
            transform: None,
        },
        None,
        None,
    ));
    let container = nexxo_pipeline::PluginContainer::new(compilers.plugins(&stylesheets));
    let host = WarningHost::default();
    let id = root.join("App.svelte").display().to_string();
    let loaded = container
        .load(
            &nexxo_pipeline::LoadArgs {
                id: &id,
                environment: nexxo_pipeline::Environment::Page,
            },
            &host,
        )
        .unwrap()
        .expect("the Svelte plugin loads the component");
    assert!(
        loaded.code.contains("svelte/internal/client"),
        "{}",
        loaded.code
    );
    let warnings = host.0.lock().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("alt"),
        "{}",
        warnings[0].message
    );
    let location = warnings[0].location.as_ref().expect("a location");
    assert_eq!(location.file, PathBuf::from("App.svelte"));
    assert_eq!(location.line, 5);
}
