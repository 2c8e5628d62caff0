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
