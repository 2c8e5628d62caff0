//! End-to-end tests of the `nexxo` binary on small projects written to temp folders: exit codes,
//! error messages with locations and code frames, output files, safety rules, determinism.
//! (Tests that open the built apps in Chromium live in tests/e2e/.)

mod common;

use std::path::{Path, PathBuf};

use common::{build_err, build_ok, files_in, nexxo, project, text};

const INDEX: &str = r#"<!doctype html><html><head><title>t</title></head><body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>"#;

fn js_of(dist: &Path) -> String {
    files_in(dist)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".js"))
        .map(|(_, bytes)| text(&bytes))
        .collect()
}

#[test]
fn help_explains_every_flag_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    let top = text(&nexxo(&["--help"], dir.path()).stdout);
    assert!(top.contains("build") && top.contains("Examples:"), "{top}");
    let build = text(&nexxo(&["build", "--help"], dir.path()).stdout);
    for flag in [
        "--config",
        "--mode",
        "--base",
        "--out-dir",
        "--target",
        "--sourcemap",
        "--minify",
        "--empty-out-dir",
        "--watch",
    ] {
        assert!(build.contains(flag), "build --help lacks {flag}:\n{build}");
    }
    assert!(build.matches("Example").count() >= 8, "{build}");
}

#[test]
fn missing_index_html_is_a_clear_error() {
    let dir = project(&[("src/main.ts", "console.log(1)")]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("no index.html found"), "{stderr}");
}

#[test]
fn syntax_error_shows_file_line_column_and_frame() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "const ok = 1;\nconst broken = ;\nconsole.log(ok);\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("src/main.ts:2:"), "{stderr}");
    assert!(stderr.contains("const broken = ;"), "{stderr}");
}

#[test]
fn a_worker_that_does_not_build_names_the_worker_and_the_error_in_it() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "new Worker(new URL('./work.ts', import.meta.url), { type: 'module' });\n",
        ),
        (
            "src/work.ts",
            "self.onmessage = () => {};\nconst broken = ;\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("the web worker src/work.ts does not build"),
        "{stderr}"
    );
    assert!(stderr.contains("src/work.ts:2:"), "{stderr}");
    assert!(stderr.contains("const broken = ;"), "{stderr}");
}

#[test]
fn a_missing_worker_import_is_named() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import W from './gone.ts?worker';\nnew W();\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("gone.ts"), "{stderr}");
}

#[test]
fn missing_import_names_the_specifier_and_importer() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import { x } from './does-not-exist';\nconsole.log(x);\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("./does-not-exist"), "{stderr}");
    assert!(stderr.contains("src/main.ts:1:"), "{stderr}");
}

#[test]
fn invalid_config_names_key_file_and_position() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/main.ts", "console.log(1)"),
        (
            "nexxo.config.json",
            "{\n  \"build\": {\n    \"minfy\": true\n  }\n}\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("invalid config key `build.minfy`"),
        "{stderr}"
    );
    assert!(stderr.contains("nexxo.config.json:3:"), "{stderr}");

    std::fs::write(
        dir.path().join("nexxo.config.json"),
        r#"{ "build": { "assetsInlineLimit": "big" } }"#,
    )
    .unwrap();
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("build.assetsInlineLimit") && stderr.contains("expected u64"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("nexxo.config.json"), "{ \"base\": ").unwrap();
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("invalid JSON"), "{stderr}");
}

#[test]
fn missing_module_script_points_into_the_html() {
    let dir = project(&[(
        "index.html",
        "<!doctype html>\n<html>\n<body>\n  <script type=\"module\" src=\"/src/missing.ts\"></script>\n</body>\n</html>\n",
    )]);
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("cannot find the module script `/src/missing.ts`"),
        "{stderr}"
    );
    assert!(stderr.contains("index.html:4:3"), "{stderr}");
}

#[test]
fn css_errors_point_into_the_stylesheet() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/main.ts", "import './a.css';\n"),
        ("src/a.css", ".a {\n  color: red;\n  .b { color: blue;\n"),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("Unclosed block") && stderr.contains("src/a.css:3:6"),
        "{stderr}"
    );
    assert!(stderr.contains(".b { color: blue;"), "{stderr}");

    std::fs::write(
        dir.path().join("src/a.css"),
        "@import './missing.css';\n.a { color: red }\n",
    )
    .unwrap();
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("cannot find `./missing.css`") && stderr.contains("src/a.css:1:"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("src/main.ts"), "import './a.scss';\n").unwrap();
    std::fs::write(
        dir.path().join("src/a.scss"),
        ".a {\n  width: $undefined-width;\n}\n",
    )
    .unwrap();
    let stderr = build_err(dir.path(), &[]);
    assert!(
        stderr.contains("Undefined variable") && stderr.contains("src/a.scss:2:10"),
        "{stderr}"
    );
    assert!(stderr.contains("width: $undefined-width;"), "{stderr}");
}

fn css_of(dist: &Path) -> String {
    files_in(dist)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".css"))
        .map(|(_, bytes)| text(&bytes))
        .collect()
}

#[test]
fn css_prefixes_and_lowering_follow_the_target() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/main.ts", "import './a.css';\n"),
        (
            "src/a.css",
            ".card { & .title { color: red } }\n.x { user-select: none }\n",
        ),
    ]);
    build_ok(dir.path(), &["--target", "chrome50"]);
    let old = css_of(&dir.path().join("dist"));
    assert!(
        old.contains("-webkit-user-select") && !old.contains('&'),
        "{old}"
    );
    build_ok(dir.path(), &["--target", "chrome120"]);
    let modern = css_of(&dir.path().join("dist"));
    assert!(
        !modern.contains("-webkit-user-select") && modern.contains('&'),
        "{modern}"
    );
}

#[test]
fn one_css_file_per_chunk_that_imports_css() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import './a.css';\nimport('./lazy');\nimport('./plain');\n",
        ),
        ("src/a.css", ".a { color: red }\n"),
        ("src/lazy.ts", "import './b.css';\nexport const lazy = 1;\n"),
        ("src/b.css", ".b { color: blue }\n"),
        ("src/plain.ts", "export const plain = 2;\n"),
    ]);
    build_ok(dir.path(), &[]);
    let files = files_in(&dir.path().join("dist"));
    let css: Vec<&String> = files.keys().filter(|n| n.ends_with(".css")).collect();
    assert_eq!(css.len(), 2, "{css:?}");
    assert!(
        css.iter().any(|n| n.starts_with("assets/index-"))
            && css.iter().any(|n| n.starts_with("assets/lazy-"))
    );
    let html = text(&files["index.html"]);
    assert!(
        html.contains(&format!(
            "href=\"/{}\"",
            css.iter().find(|n| n.starts_with("assets/index-")).unwrap()
        )),
        "{html}"
    );
}

#[test]
fn library_css_is_one_stylesheet() {
    let dir = project(&[
        (
            "src/index.ts",
            "import './a.css';\nimport './b.module.css';\nexport const x = 1;\n",
        ),
        ("src/a.css", ".a { color: red }\n"),
        ("src/b.module.css", ".b { color: blue }\n"),
        (
            "nexxo.config.json",
            r#"{ "build": { "lib": { "entry": "src/index.ts", "formats": ["es", "cjs"], "fileName": "lib" } } }"#,
        ),
    ]);
    build_ok(dir.path(), &[]);
    let css = text(&std::fs::read(dir.path().join("dist/style.css")).unwrap());
    assert!(
        css.contains(".a{color:red}") && css.contains("color:#00f"),
        "{css}"
    );
}

#[test]
fn failed_build_keeps_the_previous_output() {
    let dir = project(&[("index.html", INDEX), ("src/main.ts", "console.log('v1')")]);
    build_ok(dir.path(), &[]);
    std::fs::write(dir.path().join("src/main.ts"), "console.log(").unwrap();
    build_err(dir.path(), &[]);
    assert!(dir.path().join("dist/index.html").is_file());
}

#[test]
fn out_dir_outside_root_is_only_emptied_on_request() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("app");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("index.html"), INDEX).unwrap();
    std::fs::write(root.join("src/main.ts"), "console.log(1)").unwrap();
    let outside = parent.path().join("www");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "user data").unwrap();

    let output = build_ok(&root, &["--out-dir", "../www"]);
    assert!(
        text(&output.stderr).contains("will not be emptied"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        outside.join("keep.txt").is_file(),
        "a file outside the root was deleted"
    );
    assert!(outside.join("index.html").is_file());

    build_ok(&root, &["--out-dir", "../www", "--empty-out-dir"]);
    assert!(!outside.join("keep.txt").exists());
    assert!(outside.join("index.html").is_file());
}

#[test]
fn out_dir_that_is_the_root_is_refused() {
    let dir = project(&[("index.html", INDEX), ("src/main.ts", "console.log(1)")]);
    let stderr = build_err(dir.path(), &["--out-dir", "."]);
    assert!(
        stderr.contains("is the project root or contains it"),
        "{stderr}"
    );
    let stderr = build_err(dir.path(), &["--out-dir", ".."]);
    assert!(
        stderr.contains("is the project root or contains it"),
        "{stderr}"
    );
    assert!(dir.path().join("src/main.ts").is_file());
}

#[test]
fn output_is_byte_identical_across_runs_and_folders() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/vanilla-ts");
    let copies: Vec<(tempfile::TempDir, PathBuf)> = (0..2)
        .map(|i| {
            let parent = tempfile::tempdir().unwrap();
            let root = parent
                .path()
                .join(format!("copy-{i}-{}", "x".repeat(i * 7)));
            copy_tree(&example, &root);
            build_ok(&root, &["--sourcemap"]);
            (parent, root)
        })
        .collect();
    let first = files_in(&copies[0].1.join("dist"));
    let second = files_in(&copies[1].1.join("dist"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(
            bytes == &second[name],
            "{name} differs between the two builds"
        );
        let content = text(bytes);
        for (parent, _) in &copies {
            assert!(
                !content.contains(parent.path().to_str().unwrap()),
                "{name} contains the absolute build path"
            );
        }
    }
    // A rebuild in place gives the same bytes again.
    build_ok(&copies[0].1, &["--sourcemap"]);
    assert_eq!(files_in(&copies[0].1.join("dist")), first);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "dist" || name == "node_modules" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn sourcemap_modes() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/main.ts", "const n: number = 1;\nconsole.log(n);\n"),
    ]);
    let dist = dir.path().join("dist");
    let maps = |dist: &Path| {
        files_in(dist)
            .keys()
            .filter(|n| n.ends_with(".map"))
            .count()
    };

    build_ok(dir.path(), &["--sourcemap"]);
    assert!(maps(&dist) > 0);
    assert!(js_of(&dist).contains("//# sourceMappingURL=index-"));

    build_ok(dir.path(), &["--sourcemap", "hidden"]);
    assert!(maps(&dist) > 0);
    assert!(!js_of(&dist).contains("sourceMappingURL"));

    build_ok(dir.path(), &["--sourcemap", "inline"]);
    assert_eq!(maps(&dist), 0);
    assert!(js_of(&dist).contains("sourceMappingURL=data:application/json"));

    build_ok(dir.path(), &[]);
    assert_eq!(maps(&dist), 0);
    assert!(!js_of(&dist).contains("sourceMappingURL"));
}

#[test]
fn target_lowers_syntax_for_old_browsers_only() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "const value = (globalThis as any).maybe ?? 'fallback';\nconsole.log(value?.length);\n",
        ),
    ]);
    build_ok(dir.path(), &["--target", "es2019"]);
    let old = js_of(&dir.path().join("dist"));
    assert!(!old.contains("??") && !old.contains("?."), "{old}");
    build_ok(dir.path(), &["--target", "chrome120"]);
    let modern = js_of(&dir.path().join("dist"));
    assert!(modern.contains("??"), "{modern}");
}

#[test]
fn minify_flag_controls_minification() {
    let dir = project(&[(
        "index.html", INDEX),
        ("src/main.ts", "export function addNumbers(first: number, second: number) { return first + second; }\nconsole.log(addNumbers(1, 2));\n"),
    ]);
    build_ok(dir.path(), &["--minify", "false"]);
    assert!(js_of(&dir.path().join("dist")).contains("function addNumbers(first, second)"));
    build_ok(dir.path(), &[]);
    assert!(!js_of(&dir.path().join("dist")).contains("addNumbers"));
}

#[test]
fn tree_shaking_and_env_prefix_keep_the_bundle_clean() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/lib.ts", "export const used = () => 'USED_EXPORT';\nexport const unused = () => 'UNUSED_EXPORT_MARKER';\n"),
        (
            "src/main.ts",
            "import { used } from './lib';\nconsole.log(used(), import.meta.env.NEXXO_PUBLIC, (import.meta.env as any).PRIVATE_KEY);\nif (import.meta.env.DEV) { console.log('DEV_ONLY_MARKER'); }\n",
        ),
        (".env", "NEXXO_PUBLIC=public-value\nPRIVATE_KEY=private-value-marker\n"),
    ]);
    build_ok(dir.path(), &[]);
    let js = js_of(&dir.path().join("dist"));
    assert!(
        js.contains("USED_EXPORT") && js.contains("public-value"),
        "{js}"
    );
    for marker in [
        "UNUSED_EXPORT_MARKER",
        "private-value-marker",
        "DEV_ONLY_MARKER",
    ] {
        assert!(!js.contains(marker), "{marker} reached the bundle:\n{js}");
    }
}

#[test]
fn library_formats_are_written_with_vite_file_names() {
    let dir = project(&[
        (
            "package.json",
            r#"{ "name": "@me/cool-lib", "type": "module" }"#,
        ),
        (
            "src/index.ts",
            "export const hello = (n: string) => `hi ${n}`;\n",
        ),
        (
            "nexxo.config.json",
            r#"{ "build": { "lib": { "entry": "src/index.ts", "name": "Cool", "formats": ["es", "cjs", "umd", "iife"] } } }"#,
        ),
    ]);
    build_ok(dir.path(), &[]);
    let names: Vec<String> = files_in(&dir.path().join("dist")).into_keys().collect();
    assert_eq!(
        names,
        vec![
            // The marker that lets the next build replace the folder.
            ".nexxo-output",
            "cool-lib.cjs",
            "cool-lib.iife.js",
            "cool-lib.js",
            "cool-lib.umd.cjs"
        ]
    );
}

#[test]
fn css_source_maps_follow_the_sourcemap_option() {
    let dir = project(&[
        ("index.html", INDEX),
        ("src/main.ts", "import './a.css';\nimport './b.scss';\n"),
        ("src/a.css", ".a {\n  color: red;\n}\n"),
        ("src/b.scss", "$w: 3px;\n.b { width: $w; }\n"),
    ]);
    let dist = dir.path().join("dist");
    build_ok(dir.path(), &["--sourcemap"]);
    let files = files_in(&dist);
    let (map_name, map) = files
        .iter()
        .find(|(name, _)| name.ends_with(".css.map"))
        .expect("a CSS map");
    let map = text(map);
    assert!(
        map.contains("\"src/a.css\"") && map.contains("\"src/b.scss\""),
        "{map}"
    );
    assert!(map.contains("\"sourceRoot\":\"../../\""), "{map}");
    let css_name = map_name.trim_end_matches(".map");
    let file_name = css_name.rsplit('/').next().unwrap();
    assert!(text(&files[css_name]).ends_with(&format!("/*# sourceMappingURL={file_name}.map */")));

    build_ok(dir.path(), &["--sourcemap", "hidden"]);
    assert!(files_in(&dist).keys().any(|n| n.ends_with(".css.map")));
    assert!(!css_of(&dist).contains("sourceMappingURL"));

    build_ok(dir.path(), &["--sourcemap", "inline"]);
    assert!(!files_in(&dist).keys().any(|n| n.ends_with(".map")));
    assert!(css_of(&dist).contains("sourceMappingURL=data:application/json;base64,"));

    build_ok(dir.path(), &[]);
    assert!(!css_of(&dist).contains("sourceMappingURL"));
}

/// The app's JSON goes through Nexxo's JSON plugin (default and named exports); a package's
/// CommonJS `require('./data.json')` still gets the object itself. Checked by running the built
/// entry chunk in Node.
#[test]
fn json_imports_work_for_the_app_and_for_commonjs_packages() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import { value, keys } from 'cjs-json';\nimport config, { name } from './config.json';\n(globalThis as any).result = [value, keys, config['my-key'], name].join('|');\n",
        ),
        ("src/config.json", r#"{"my-key": "app", "name": "cfg", "private": true}"#),
        (
            "node_modules/cjs-json/package.json",
            r#"{"name":"cjs-json","main":"index.js"}"#,
        ),
        (
            "node_modules/cjs-json/index.js",
            "const data = require('./data.json');\nexports.value = data['the-key'];\nexports.keys = Object.keys(data).join(',');\n",
        ),
        (
            "node_modules/cjs-json/data.json",
            r#"{"the-key": "dep", "other": 1}"#,
        ),
    ]);
    let root = dir.path();
    build_ok(root, &[]);
    assert_eq!(run_entry_in_node(root, ""), "dep|the-key,other|app|cfg");
}

#[test]
fn packages_reading_process_env_run_in_a_browser_without_process() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import { mode, flag, fromGlobal } from 'env-reader';\n(globalThis as any).result = [mode, flag, fromGlobal, import.meta.env.FLAG, typeof import.meta.env.FLAG].join('|');\n",
        ),
        (
            "nexxo.config.json",
            r#"{ "define": { "import.meta.env.FLAG": true } }"#,
        ),
        (
            "node_modules/env-reader/package.json",
            r#"{"name":"env-reader","type":"module","main":"index.js"}"#,
        ),
        (
            "node_modules/env-reader/index.js",
            "export const mode = process.env.NODE_ENV;\nexport const flag = process.env.DEBUG_THING ?? 'unset';\nexport const fromGlobal = globalThis.process.env.OTHER ?? 'none';\n",
        ),
    ]);
    let root = dir.path();
    build_ok(root, &[]);
    let js = js_of(&root.join("dist"));
    assert!(!js.contains("process"), "{js}");
    // As in a browser: no `process` global.
    assert_eq!(
        run_entry_in_node(root, "delete globalThis.process;"),
        "production|unset|none|true|boolean"
    );
}

#[test]
fn an_unresolved_package_import_fails_the_build_with_its_location() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import { x } from 'not-installed-pkg';\nconsole.log(x);\n",
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("not-installed-pkg"), "{stderr}");
    assert!(stderr.contains("src/main.ts:1:"), "{stderr}");
    assert!(stderr.contains("Cannot resolve"), "{stderr}");
    assert!(!dir.path().join("dist").exists());
}

#[test]
fn root_absolute_imports_and_unknown_queries_load_files_as_in_vite() {
    let dir = project(&[
        ("index.html", INDEX),
        (
            "src/main.ts",
            "import { a } from './foo.js?v=1';\nimport { b } from '/src/bar';\nimport data from '/data.json';\n(globalThis as any).result = [a, b, data.from].join('|');\n",
        ),
        ("src/foo.js", "export const a = 'query-ok';"),
        ("src/bar.ts", "export const b: string = 'root-ok';"),
        // Not under the root's folders: found in public/, as in Vite.
        ("public/data.json", r#"{"from": "public-ok"}"#),
    ]);
    let root = dir.path();
    build_ok(root, &[]);
    assert_eq!(run_entry_in_node(root, ""), "query-ok|root-ok|public-ok");
}

/// Runs the built app's entry chunk in Node after `setup` (JavaScript run first) and returns
/// the `globalThis.result` it leaves, as printed.
fn run_entry_in_node(root: &Path, setup: &str) -> String {
    let entry = files_in(&root.join("dist"))
        .into_keys()
        .find(|name| name.starts_with("assets/index-") && name.ends_with(".js"))
        .expect("an entry chunk");
    let url = format!("file://{}", root.join("dist").join(entry).display());
    let script =
        format!("const log = console.log; {setup} await import({url:?}); log(globalThis.result);");
    let output = std::process::Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .output()
        .expect("node runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).trim().to_string()
}
