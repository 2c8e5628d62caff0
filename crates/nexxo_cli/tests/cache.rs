//! The persistent build cache through the `nexxo` binary: a second build restores outDir byte
//! for byte; a changed file, env variable, config or dependency version each rebuilds (and the
//! output shows the change); builds killed while writing the cache never leave it wrong; a
//! corrupt store is moved aside; `--explain`, `--log-format json`, `nexxo cache stats|clear`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{files_in as tree, nexxo, project, text, write};

/// A page whose only script is `src/main.ts`.
const MAIN_TS_PAGE: &str = r#"<!doctype html><html><body><script type="module" src="/src/main.ts"></script></body></html>"#;

/// Builds with JSON events; returns the events.
fn build_json(root: &Path) -> Vec<serde_json::Value> {
    let output = nexxo(
        &["build", root.to_str().unwrap(), "--log-format", "json"],
        root,
    );
    assert!(
        output.status.success(),
        "build failed:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON event: {line}"))
        })
        .collect()
}

fn cache_event(events: &[serde_json::Value]) -> &serde_json::Value {
    events
        .iter()
        .find(|e| e["event"] == "cache")
        .expect("a cache event")
}

fn restored(root: &Path) -> bool {
    cache_event(&build_json(root))["restored"]
        .as_bool()
        .unwrap()
}

fn app() -> tempfile::TempDir {
    project(&[
        ("index.html", r#"<!doctype html><html><head><link rel="stylesheet" href="/src/style.css"></head><body><script type="module" src="/src/main.ts"></script></body></html>"#),
        ("src/main.ts", "import { answer } from './answer';\ndocument.body.textContent = `${answer} ${import.meta.env.NEXXO_WORD}`;\n"),
        ("src/answer.ts", "export const answer: number = 42;\n"),
        ("src/style.css", "body { color: red; }\n"),
        (".env", "NEXXO_WORD=first\n"),
        ("public/robots.txt", "hi\n"),
        ("node_modules/tiny-dep/package.json", r#"{"name":"tiny-dep","version":"1.0.0","main":"index.js"}"#),
        ("node_modules/tiny-dep/index.js", "export const version = '1.0.0';\n"),
    ])
}

/// The text of every output file with this extension.
fn dist_files(root: &Path, extension: &str) -> String {
    tree(&root.join("dist"))
        .into_iter()
        .filter(|(name, _)| name.rsplit('.').next() == Some(extension))
        .map(|(_, bytes)| text(&bytes))
        .collect()
}

fn dist_text(root: &Path) -> String {
    dist_files(root, "js")
}

#[test]
fn a_second_build_restores_dist_byte_for_byte() {
    let dir = app();
    assert!(
        !restored(dir.path()),
        "the first build cannot come from the cache"
    );
    let first = tree(&dir.path().join("dist"));
    std::fs::remove_dir_all(dir.path().join("dist")).unwrap();
    assert!(restored(dir.path()));
    assert_eq!(tree(&dir.path().join("dist")), first);

    let human = nexxo(
        &["build", dir.path().to_str().unwrap(), "--explain"],
        dir.path(),
    );
    let stdout = text(&human.stdout);
    assert!(stdout.contains("restored from the cache in"), "{stdout}");
    assert!(
        stdout.contains("explain: restored from the cache"),
        "{stdout}"
    );
}

#[test]
fn each_kind_of_change_rebuilds_exactly_when_it_should() {
    let dir = app();
    let root = dir.path();
    assert!(!restored(root));
    assert!(restored(root));

    // A source file.
    write(root, "src/answer.ts", "export const answer: number = 43;\n");
    let explain = nexxo(&["build", root.to_str().unwrap(), "--explain"], root);
    let stdout = text(&explain.stdout);
    assert!(
        stdout.contains("explain: built because input fingerprint: src/answer.ts changed"),
        "{stdout}"
    );
    assert!(dist_text(root).contains("43"));
    assert!(restored(root));

    // An env variable the app reads.
    write(root, ".env", "NEXXO_WORD=second\n");
    assert!(!restored(root));
    assert!(dist_text(root).contains("second"));
    assert!(restored(root));

    // An env variable from the process environment.
    let output = Command::new(env!("CARGO_BIN_EXE_nexxo"))
        .args(["build", root.to_str().unwrap(), "--explain"])
        .env("NEXXO_WORD", "third")
        .output()
        .unwrap();
    assert!(
        text(&output.stdout).contains("build-plan hash"),
        "{}",
        text(&output.stdout)
    );
    assert!(dist_text(root).contains("third"));

    // The config: the output is not minified any more.
    assert!(!dist_text(root).contains("textContent = "));
    write(
        root,
        "nexxo.config.json",
        r#"{ "build": { "minify": false } }"#,
    );
    assert!(!restored(root));
    assert!(
        dist_text(root).contains("document.body.textContent = "),
        "{}",
        dist_text(root)
    );
    assert!(restored(root));

    // A dependency's version (its code changes with it).
    write(
        root,
        "src/main.ts",
        "import { version } from 'tiny-dep';\ndocument.body.textContent = version;\n",
    );
    assert!(!restored(root));
    assert!(restored(root));
    write(
        root,
        "node_modules/tiny-dep/index.js",
        "export const version = '2.0.0';\n",
    );
    let explain = nexxo(&["build", root.to_str().unwrap(), "--explain"], root);
    let stdout = text(&explain.stdout);
    assert!(
        stdout.contains(
            "module-graph hash: files read outside the input fingerprint changed: node_modules/tiny-dep/index.js"
        ),
        "{stdout}"
    );
    assert!(dist_text(root).contains("2.0.0"));
}

/// The explanation of a build that was not restored.
fn explain(root: &Path) -> String {
    let output = nexxo(&["build", root.to_str().unwrap(), "--explain"], root);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn a_lockfile_version_change_alone_rebuilds() {
    // A workspace: the app in `app/`, pnpm's lockfile at the top.
    let dir = project(&[("pnpm-lock.yaml", "lockfileVersion: '9.0'\n")]);
    let root = dir.path().join("app");
    for (path, content) in [
        ("index.html", MAIN_TS_PAGE),
        (
            "src/main.ts",
            "import { version } from 'tiny-dep';\ndocument.body.textContent = version;\n",
        ),
        (
            "node_modules/tiny-dep/package.json",
            r#"{"name":"tiny-dep","version":"1.0.0","main":"index.js"}"#,
        ),
        (
            "node_modules/tiny-dep/index.js",
            "export const version = 'one';\n",
        ),
        (
            "node_modules/.package-lock.json",
            r#"{"packages":{"node_modules/tiny-dep":{"version":"1.0.0"}}}"#,
        ),
    ] {
        write(&root, path, content);
    }
    assert!(!restored(&root));
    assert!(restored(&root));

    // npm's record of installed versions, nothing else.
    write(
        &root,
        "node_modules/.package-lock.json",
        r#"{"packages":{"node_modules/tiny-dep":{"version":"1.0.1"}}}"#,
    );
    let stdout = explain(&root);
    assert!(
        stdout.contains("module-graph hash") && stdout.contains("node_modules/.package-lock.json"),
        "{stdout}"
    );
    assert!(restored(&root));

    // The workspace's pnpm lockfile, above the project root.
    write(
        dir.path(),
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\npackages:\n  tiny-dep@1.0.2: {}\n",
    );
    let stdout = explain(&root);
    assert!(
        stdout.contains("module-graph hash") && stdout.contains("pnpm-lock.yaml"),
        "{stdout}"
    );
    assert!(restored(&root));
}

#[test]
fn a_source_file_in_a_hidden_folder_rebuilds_when_it_changes() {
    let dir = project(&[
        ("index.html", MAIN_TS_PAGE),
        (
            "src/main.ts",
            "import { label } from '../.storybook/label';\ndocument.body.textContent = label;\n",
        ),
        (
            ".storybook/label.ts",
            "export const label: string = 'first label';\n",
        ),
    ]);
    let root = dir.path();
    assert!(!restored(root));
    assert!(restored(root));
    assert!(dist_text(root).contains("first label"));

    write(
        root,
        ".storybook/label.ts",
        "export const label: string = 'second label';\n",
    );
    let stdout = explain(root);
    assert!(stdout.contains(".storybook/label.ts"), "{stdout}");
    assert!(dist_text(root).contains("second label"));
    assert!(restored(root));
}

#[test]
fn stylesheet_files_read_from_node_modules_rebuild_when_they_change() {
    let dir = project(&[
        ("index.html", MAIN_TS_PAGE),
        (
            "src/main.ts",
            "import './theme.scss';\nimport './plain.css';\n",
        ),
        (
            "src/theme.scss",
            "@use 'tiny-theme/colors';\nbody { color: colors.$text; }\n",
        ),
        ("src/plain.css", "@import 'tiny-theme/base.css';\n"),
        (
            "node_modules/tiny-theme/package.json",
            r#"{"name":"tiny-theme","version":"1.0.0"}"#,
        ),
        (
            "node_modules/tiny-theme/_colors.scss",
            "$text: rgb(10, 20, 30);\n",
        ),
        (
            "node_modules/tiny-theme/base.css",
            "main { background: url('./dot.svg'); }\n",
        ),
        (
            "node_modules/tiny-theme/dot.svg",
            "<svg xmlns='http://www.w3.org/2000/svg'><circle r='1'/></svg>",
        ),
    ]);
    let root = dir.path();
    assert!(!restored(root));
    assert!(restored(root));
    assert!(dist_files(root, "css").contains("#0a141e"));

    // A Sass partial in a package.
    write(
        root,
        "node_modules/tiny-theme/_colors.scss",
        "$text: rgb(200, 20, 30);\n",
    );
    let stdout = explain(root);
    assert!(
        stdout.contains("node_modules/tiny-theme/_colors.scss"),
        "{stdout}"
    );
    assert!(
        dist_files(root, "css").contains("#c8141e"),
        "{}",
        dist_files(root, "css")
    );
    assert!(restored(root));

    // A file a package's stylesheet points at with url() (inlined as a data URL: it is small).
    let css_before = dist_files(root, "css");
    assert!(css_before.contains("data:image/svg+xml"), "{css_before}");
    write(
        root,
        "node_modules/tiny-theme/dot.svg",
        "<svg xmlns='http://www.w3.org/2000/svg'><rect width='7'/></svg>",
    );
    let stdout = explain(root);
    assert!(
        stdout.contains("node_modules/tiny-theme/dot.svg"),
        "{stdout}"
    );
    assert_ne!(dist_files(root, "css"), css_before);
}

#[test]
fn a_cache_dir_inside_out_dir_turns_the_cache_off_with_a_warning() {
    let dir = app();
    let root = dir.path();
    write(
        root,
        "nexxo.config.json",
        r#"{ "cacheDir": "dist/.cache" }"#,
    );
    for _ in 0..2 {
        let output = nexxo(&["build", root.to_str().unwrap()], root);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert_eq!(
            stderr
                .matches("warning: cache: cacheDir dist/.cache is inside outDir dist")
                .count(),
            1,
            "{stderr}"
        );
        assert!(
            text(&output.stdout).contains("built in"),
            "{}",
            text(&output.stdout)
        );
    }
    assert!(!root.join("dist/.cache").exists());
}

#[test]
fn a_failed_build_records_its_cache_stats_and_ends_its_phases_as_failed() {
    let dir = app();
    let root = dir.path();
    build_json(root);
    let events = build_json(root);
    let phase_ended = |events: &[serde_json::Value], name: &str| {
        events
            .iter()
            .find(|e| e["event"] == "phase" && e["phase"] == name && e["status"] == "ended")
            .cloned()
    };
    let restore = phase_ended(&events, "cache-restore").expect("a cache-restore phase");
    assert_eq!(restore["restored"], true);
    assert!(restore["duration_ms"].is_u64());
    assert!(phase_ended(&events, "emit").is_some());
    assert_eq!(phase_ended(&events, "build").unwrap()["success"], true);

    write(root, "src/answer.ts", "export const answer: number = ;\n");
    let output = nexxo(
        &["build", root.to_str().unwrap(), "--log-format", "json"],
        root,
    );
    assert!(!output.status.success());
    let events: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    for name in ["cache-restore", "plan"] {
        assert_eq!(
            phase_ended(&events, name).unwrap()["success"],
            true,
            "{name}: {events:?}"
        );
    }
    for name in ["bundle", "build"] {
        assert_eq!(
            phase_ended(&events, name).unwrap()["success"],
            false,
            "{name}: {events:?}"
        );
    }

    let stats = nexxo(
        &[
            "cache",
            "stats",
            root.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        root,
    );
    let build = text(&stats.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|e| e["event"] == "cache-stats" && e["store"] == "build")
        .expect("build store stats");
    // The restored build before it had no miss; the failed one missed its whole-build entry.
    assert!(build["last_run"]["misses"].as_u64().unwrap() > 0, "{build}");
}

#[test]
fn cache_stats_into_a_closed_pipe_is_not_an_error() {
    let dir = app();
    let root = dir.path();
    build_json(root);
    // `nexxo cache stats | head -0`: the reader is gone before anything is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_nexxo"))
        .args(["cache", "stats", root.to_str().unwrap()])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(!text(&status.stderr).contains("internal error"));
}

#[test]
fn builds_killed_while_writing_the_cache_never_leave_it_wrong() {
    let dir = app();
    let root = dir.path();
    for attempt in 0..6u64 {
        write(
            root,
            "src/answer.ts",
            &format!("export const answer: number = {attempt};\n"),
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_nexxo"))
            .args(["build", root.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere from start-up to the cache write at the end of the build.
        std::thread::sleep(Duration::from_millis(20 + attempt * 25));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    // The same sources built with a cache that never saw a killed build are the reference.
    let reference = app();
    for answer in [0, 3, 5, 42] {
        for side in [root, reference.path()] {
            write(
                side,
                "src/answer.ts",
                &format!("export const answer: number = {answer};\n"),
            );
            build_json(side);
        }
        assert_eq!(
            tree(&root.join("dist")),
            tree(&reference.path().join("dist")),
            "answer {answer}"
        );
        assert!(dist_text(root).contains(&answer.to_string()));
    }
}

#[test]
fn a_corrupt_store_is_moved_aside_and_the_build_succeeds() {
    let dir = app();
    let root = dir.path();
    build_json(root);
    let store = root.join("node_modules/.nexxo/build");
    for entry in std::fs::read_dir(&store).unwrap().flatten() {
        std::fs::write(entry.path(), b"\x00garbage\xff not rocksdb").unwrap();
    }
    let output = nexxo(&["build", root.to_str().unwrap()], root);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: cache: the build cache could not be read"),
        "{stderr}"
    );
    assert!(dist_text(root).contains("42"));
    assert!(restored(root), "the new store works");
}

#[test]
fn cache_stats_and_clear() {
    let dir = app();
    let root = dir.path();
    build_json(root);
    build_json(root);
    let stats = text(&nexxo(&["cache", "stats", root.to_str().unwrap()], root).stdout);
    assert!(stats.contains("build"), "{stats}");
    assert!(stats.contains("hit rate 100%"), "{stats}");
    let cleared = nexxo(&["cache", "clear", root.to_str().unwrap()], root);
    assert!(
        text(&cleared.stdout).contains("cleared 1 cache store"),
        "{}",
        text(&cleared.stdout)
    );
    assert!(!root.join("node_modules/.nexxo/build").exists());
    assert!(!restored(root));
}

fn css_events(events: &[serde_json::Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter(|e| e["event"] == "module" && e["stage"] == "css")
        .map(|e| {
            let field = |name: &str| e[name].as_str().unwrap_or_default().to_string();
            (field("id"), field("cache"), field("reason"))
        })
        .collect()
}

#[test]
fn stylesheets_are_compiled_again_only_when_a_file_they_read_changed() {
    let dir = project(&[
        ("index.html", MAIN_TS_PAGE),
        (
            "src/main.ts",
            "import './theme.scss';\nimport './plain.css';\nexport const n = 1;\n",
        ),
        (
            "src/theme.scss",
            "@use 'colors';\nbody { color: colors.$text; }\n",
        ),
        ("src/_colors.scss", "$text: rgb(10, 20, 30);\n"),
        (
            "src/plain.css",
            "@import './base.css';\nmain { margin: 0; }\n",
        ),
        ("src/base.css", "html { padding: 1px; }\n"),
    ]);
    let root = dir.path();
    let first = css_events(&build_json(root));
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        first.iter().all(|(_, cache, _)| cache == "miss"),
        "{first:?}"
    );

    // A script changed: the whole-build entry misses, but neither stylesheet is compiled again.
    write(
        root,
        "src/main.ts",
        "import './theme.scss';\nimport './plain.css';\nexport const n = 2;\n",
    );
    let second = css_events(&build_json(root));
    assert!(
        second.iter().all(|(_, cache, _)| cache == "hit"),
        "{second:?}"
    );
    assert!(
        dist_files(root, "css").contains("#0a141e"),
        "{}",
        dist_files(root, "css")
    );

    // A Sass partial changed: only the sheet that uses it is compiled again.
    write(root, "src/_colors.scss", "$text: rgb(200, 20, 30);\n");
    let third = css_events(&build_json(root));
    let theme = third
        .iter()
        .find(|(id, _, _)| id == "src/theme.scss")
        .unwrap();
    assert_eq!(theme.1, "miss");
    assert!(theme.2.ends_with("_colors.scss changed"), "{theme:?}");
    let plain = third
        .iter()
        .find(|(id, _, _)| id == "src/plain.css")
        .unwrap();
    assert_eq!(plain.1, "hit");
    assert!(
        dist_files(root, "css").contains("#c8141e"),
        "{}",
        dist_files(root, "css")
    );

    // A file pulled in by @import changed.
    write(root, "src/base.css", "html { padding: 7px; }\n");
    let fourth = css_events(&build_json(root));
    let plain = fourth
        .iter()
        .find(|(id, _, _)| id == "src/plain.css")
        .unwrap();
    assert_eq!(plain.1, "miss", "{fourth:?}");
    assert!(
        dist_files(root, "css").contains("padding:7px"),
        "{}",
        dist_files(root, "css")
    );
}

#[test]
fn the_size_cap_holds_over_many_builds_with_changing_content() {
    let dir = app();
    let root = dir.path();
    write(
        root,
        "nexxo.config.json",
        r#"{ "cacheMaxSize": 1, "build": { "minify": false } }"#,
    );
    for round in 0..16u64 {
        // About 200 kB of output that no compression shrinks much, different every round.
        let mut state = round.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let noise: String = (0..100_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                format!("{:02x}", state as u8)
            })
            .collect::<Vec<_>>()
            .concat();
        write(
            root,
            "src/answer.ts",
            &format!("export const answer: string = '{round}{noise}';\n"),
        );
        build_json(root);
    }
    let stats = nexxo(
        &[
            "cache",
            "stats",
            root.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        root,
    );
    let events: Vec<serde_json::Value> = text(&stats.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let build = events
        .iter()
        .find(|e| e["event"] == "cache-stats" && e["store"] == "build")
        .expect("build store stats");
    let bytes = build["bytes"].as_u64().unwrap();
    // 16 builds wrote over 3 MB; the store keeps at most its 1 MB cap (plus an eighth written
    // between two checks).
    assert!(
        bytes <= 1024 * 1024 * 9 / 8,
        "{bytes} bytes on disk under a 1 MB cap"
    );
    assert!(build["entries"].as_u64().unwrap() > 0);
    // The newest build is still there.
    assert!(restored(root));
}
