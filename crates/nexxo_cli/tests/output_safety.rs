//! What a build may delete or overwrite: only its own earlier output. outDir is judged by its
//! real path (symlinks resolved); a folder holding sources, a `.git` or a config is never
//! replaced; a failed build leaves the previous output whole; `public/` is copied without
//! secrets, special files or link loops.

mod common;

use std::path::Path;

use common::{build_err, build_ok, files_in, project, text, write};

const INDEX: &str = r#"<!doctype html><html><head><title>t</title></head><body><script type="module" src="/src/main.ts"></script></body></html>"#;

fn app() -> tempfile::TempDir {
    project(&[
        ("index.html", INDEX),
        ("src/main.ts", "import './util'; console.log('main')"),
        ("src/util.ts", "console.log('util')"),
        ("package.json", "{}"),
    ])
}

fn assert_sources_intact(root: &Path) {
    assert!(
        root.join("src/main.ts").is_file(),
        "src/main.ts was deleted"
    );
    assert!(
        root.join("src/util.ts").is_file(),
        "src/util.ts was deleted"
    );
    assert!(root.join("index.html").is_file(), "index.html was deleted");
}

#[test]
fn a_source_folder_is_never_an_out_dir() {
    let dir = app();
    let stderr = build_err(dir.path(), &["--out-dir", "src"]);
    assert!(stderr.contains("did not write"), "{stderr}");
    // Even when asked to empty it: it holds sources.
    let stderr = build_err(dir.path(), &["--out-dir", "src", "--empty-out-dir"]);
    assert!(stderr.contains("belongs to a project"), "{stderr}");
    assert_sources_intact(dir.path());
}

#[test]
fn git_and_node_modules_are_never_out_dirs() {
    let dir = app();
    write(dir.path(), ".git/HEAD", "ref: refs/heads/main\n");
    write(dir.path(), "node_modules/x/index.js", "");
    for out in [".git", ".git/objects", "node_modules", "node_modules/.x"] {
        let stderr = build_err(dir.path(), &["--out-dir", out, "--empty-out-dir"]);
        assert!(stderr.contains("must never write"), "{out}: {stderr}");
    }
    assert!(dir.path().join(".git/HEAD").is_file());
    assert!(dir.path().join("node_modules/x/index.js").is_file());
}

#[cfg(unix)]
#[test]
fn a_dist_link_is_judged_by_where_it_leads() {
    use std::os::unix::fs::symlink;
    let dir = app();
    let root = dir.path();
    symlink(".", root.join("dist")).unwrap();
    let stderr = build_err(root, &["--empty-out-dir"]);
    assert!(stderr.contains("is the project root"), "{stderr}");
    std::fs::remove_file(root.join("dist")).unwrap();
    symlink("src", root.join("dist")).unwrap();
    build_err(root, &[]);
    build_err(root, &["--empty-out-dir"]);
    assert_sources_intact(root);

    // A link to a folder outside the root: filled, but emptied only on request.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "keep.txt", "user data");
    std::fs::remove_file(root.join("dist")).unwrap();
    symlink(outside.path(), root.join("dist")).unwrap();
    let output = build_ok(root, &[]);
    assert!(text(&output.stderr).contains("will not be emptied"));
    assert!(outside.path().join("keep.txt").is_file());
    assert!(outside.path().join("index.html").is_file());
    assert!(
        root.join("dist").is_symlink(),
        "the link itself was replaced"
    );
}

#[test]
fn an_existing_folder_nexxo_did_not_write_is_replaced_only_on_request() {
    let dir = app();
    write(dir.path(), "dist/notes.txt", "mine");
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("no .nexxo-output marker"), "{stderr}");
    assert!(dir.path().join("dist/notes.txt").is_file());

    build_ok(dir.path(), &["--empty-out-dir"]);
    assert!(!dir.path().join("dist/notes.txt").exists());
    assert!(dir.path().join("dist/.nexxo-output").is_file());
    // From now on the folder is the build's own: replaced without asking.
    write(dir.path(), "dist/stale.js", "old");
    build_ok(dir.path(), &[]);
    assert!(!dir.path().join("dist/stale.js").exists());
}

#[test]
fn a_deploy_checkout_at_the_top_of_dist_is_kept() {
    let dir = app();
    build_ok(dir.path(), &[]);
    write(dir.path(), "dist/.git/HEAD", "ref: refs/heads/gh-pages\n");
    build_ok(dir.path(), &[]);
    assert!(dir.path().join("dist/.git/HEAD").is_file());
    assert!(dir.path().join("dist/index.html").is_file());
    // A .git deeper down means a project lives there: never replaced.
    write(dir.path(), "dist/sub/.git/HEAD", "x");
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("sub/.git"), "{stderr}");
}

#[test]
fn a_build_failing_at_emit_leaves_the_previous_output_whole() {
    let dir = app();
    build_ok(dir.path(), &[]);
    let before = files_in(&dir.path().join("dist"));
    let failing_configs = [
        // Both fail only when files are written, after bundling succeeded.
        r#"{ "build": { "manualChunks": { "../../escape": ["src/util.ts"] } } }"#,
        "{ \"build\": { \"assetsDir\": \"a\\u0000b\" } }",
    ];
    for config in failing_configs {
        write(dir.path(), "nexxo.config.json", config);
        build_err(dir.path(), &[]);
        assert_eq!(
            files_in(&dir.path().join("dist")),
            before,
            "output changed after a failed build with {config}"
        );
    }
    // No staging folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".nexxo-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn staging_left_by_a_killed_build_is_cleaned_up() {
    let dir = app();
    // A pid above Linux's pid_max: no such process can be alive.
    let stale = dir.path().join(".dist.nexxo-staging-4999999");
    write(&stale, ".nexxo-output", "");
    write(&stale, "index.html", "half written");
    let unrelated = dir.path().join(".dist.nexxo-staging-4999998");
    write(&unrelated, "mine.txt", "not a build's: no marker");
    build_ok(dir.path(), &[]);
    assert!(!stale.exists());
    assert!(unrelated.join("mine.txt").is_file());
}

#[cfg(unix)]
#[test]
fn public_copy_skips_secrets_special_files_and_link_loops() {
    use std::os::unix::fs::symlink;
    let dir = app();
    let root = dir.path();
    write(root, "public/robots.txt", "User-agent: *");
    write(root, "public/.env", "SECRET=1");
    write(root, "public/.git/config", "[core]");
    write(root, "public/tls/site.key", "-----BEGIN");
    write(root, "public/nested/ok.txt", "ok");
    write(root, ".env.production", "SECRET=2");
    symlink("..", root.join("public/up")).unwrap();
    symlink(".", root.join("public/nested/self")).unwrap();
    symlink("../.env.production", root.join("public/config.txt")).unwrap();
    let fifo = root.join("public/pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());

    let output = build_ok(root, &[]);
    let stderr = text(&output.stderr);
    let dist = files_in(&root.join("dist"));
    let names: Vec<&String> = dist.keys().collect();
    assert!(dist.contains_key("robots.txt"), "{names:?}");
    assert!(dist.contains_key("nested/ok.txt"), "{names:?}");
    for leaked in [".env", ".git/config", "tls/site.key", "config.txt", "pipe"] {
        assert!(!dist.contains_key(leaked), "{leaked} was copied: {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("up/") || n.starts_with("nested/self/")),
        "a link loop was followed: {names:?}"
    );
    for warning in [
        "public/.env",
        "public/pipe",
        "public/up",
        "public/config.txt",
    ] {
        assert!(
            stderr.contains(&format!("skipping {warning}")),
            "{warning}: {stderr}"
        );
    }
}
