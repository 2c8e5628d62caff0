//! WASM plugins (`wasmPlugins`) through the `nexxo` binary: a plugin that never returns fails
//! the build with the time-limit message instead of hanging it; a plugin that cannot be used
//! is a config-level error naming its file; the build cache follows a plugin's module even
//! when it lives outside the root.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{build_err, build_ok, project, text, write};

const PAGE: &str = r#"<!doctype html><html><body><script type="module" src="/src/main.js"></script></body></html>"#;

/// A transform that loops forever.
const LOOP_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "nexxo_alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $len)))
    (local.get $ptr))
  (func (export "transform") (param i32 i32 i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0)))"#;

/// A `load` answering every `.txt` module with `export default "<word>";`.
fn word_loader(word: &str) -> String {
    let code = format!("export default \"{word}\";");
    format!(
        r#"(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{}")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "nexxo_alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $len)))
    (local.get $ptr))
  (func (export "load") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {}))))"#,
        code.replace('"', "\\\""),
        code.len()
    )
}

#[test]
fn a_looping_plugin_fails_the_build_with_the_time_limit_instead_of_hanging() {
    let dir = project(&[
        ("index.html", PAGE),
        (
            "src/main.js",
            "import { n } from './util.js';\nconsole.log(n);\n",
        ),
        ("src/util.js", "export const n = 1;\n"),
        ("plugins/loop.wat", LOOP_WAT),
        (
            "nexxo.config.json",
            r#"{ "wasmPlugins": [{ "path": "plugins/loop.wat", "timeoutMs": 300 }] }"#,
        ),
    ]);
    let started = Instant::now();
    let stderr = build_err(dir.path(), &[]);
    let elapsed = started.elapsed();
    assert!(
        stderr.contains(
            "WASM plugin 'loop' exceeded its time limit of 300 ms while transforming src/main.js"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("timeoutMs"), "{stderr}");
    // Two modules at 300 ms each, not a hang (the test would never end).
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    assert!(
        !dir.path().join("dist").exists(),
        "no output from a failed build"
    );
}

#[test]
fn plugins_that_cannot_be_used_are_named_errors() {
    let dir = project(&[("index.html", PAGE), ("src/main.js", "console.log(1);\n")]);
    let root = dir.path();
    let config = |path: &str| {
        write(
            root,
            "nexxo.config.json",
            &format!(r#"{{ "wasmPlugins": [{{ "path": "{path}" }}] }}"#),
        );
    };

    config("plugins/missing.wasm");
    let stderr = build_err(root, &[]);
    assert!(
        stderr.contains("wasmPlugins[0].path: WASM plugin `plugins/missing.wasm` does not exist"),
        "{stderr}"
    );

    write(
        root,
        "plugins/broken.wat",
        "(module (func (export \"load\")",
    );
    config("plugins/broken.wat");
    let stderr = build_err(root, &[]);
    assert!(
        stderr.contains(
            "WASM plugin `plugins/broken.wat` (wasmPlugins[0]) is not a valid WebAssembly module"
        ),
        "{stderr}"
    );

    write(
        root,
        "plugins/env.wat",
        r#"(module (import "env" "fetch" (func)) (memory (export "memory") 1)
             (func (export "nexxo_alloc") (param i32) (result i32) (i32.const 0)))"#,
    );
    config("plugins/env.wat");
    let stderr = build_err(root, &[]);
    assert!(
        stderr.contains("imports `env.fetch`: WASM plugins may import only WASI preview1"),
        "{stderr}"
    );

    // Dev refuses to start the same way (killed after a while if it starts instead, so a
    // regression fails rather than hangs).
    let mut dev = std::process::Command::new(env!("CARGO_BIN_EXE_nexxo"))
        .args(["dev", root.to_str().unwrap(), "--port", "0"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = dev.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            dev.kill().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(dev.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert!(stderr.contains("imports `env.fetch`"), "{stderr}");
}

#[test]
fn the_build_cache_follows_a_plugin_outside_the_root() {
    let dir = project(&[
        ("app/index.html", PAGE),
        (
            "app/src/main.js",
            "import word from './word.txt';\ndocument.body.textContent = word;\n",
        ),
        ("app/src/word.txt", "unused: the plugin answers\n"),
        (
            "app/nexxo.config.json",
            r#"{ "wasmPlugins": [{ "path": "../shared/words.wat", "filter": { "extensions": [".txt"] } }] }"#,
        ),
        ("shared/words.wat", &word_loader("first")),
    ]);
    let root = dir.path().join("app");
    let bundle_text = |root: &Path| {
        common::files_in(&root.join("dist"))
            .into_iter()
            .filter(|(name, _)| name.ends_with(".js"))
            .map(|(_, bytes)| text(&bytes))
            .collect::<String>()
    };
    build_ok(&root, &[]);
    assert!(bundle_text(&root).contains("first"));
    let second = build_ok(&root, &["--log-format", "json"]);
    assert!(
        text(&second.stdout).contains(r#""restored":true"#),
        "an unchanged project is restored"
    );

    write(dir.path(), "shared/words.wat", &word_loader("second"));
    let third = build_ok(&root, &["--log-format", "json"]);
    assert!(
        text(&third.stdout).contains(r#""restored":false"#),
        "a changed plugin rebuilds"
    );
    let bundle = bundle_text(&root);
    assert!(
        bundle.contains("second") && !bundle.contains("first"),
        "{bundle}"
    );
}
