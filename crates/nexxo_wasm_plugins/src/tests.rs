//! The plugins in `fixtures/` (WAT text is their source) run through the pipeline's hooks.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nexxo_config::ResolvedWasmPlugin;
use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::{
    Environment, Lang, LoadArgs, ModuleHost, Plugin, PluginContainer, ResolveArgs, TransformArgs,
};

use super::WasmPlugin;

/// The hooks here never ask the host anything.
struct NoHost;

impl ModuleHost for NoHost {
    fn asset_url_expression(&self, _: &Path, _: Vec<u8>) -> Result<String, Diagnostic> {
        unreachable!("WASM plugins do not ask for asset URLs")
    }
    fn css_asset_url(&self, _: &Path, _: Vec<u8>) -> Option<String> {
        None
    }
    fn public_url(&self, name: &str) -> String {
        format!("/{name}")
    }
    fn stylesheet_url_expression(&self, _: &Path, _: String) -> Result<String, Diagnostic> {
        unreachable!("WASM plugins do not emit stylesheets")
    }
    fn take_stylesheet(&self, _: &str, css: String, _: Option<String>, _: bool) -> String {
        css
    }
    fn resolve(&self, _: &str, _: &Path) -> Option<PathBuf> {
        None
    }
}

/// A project folder with the fixture `fixture` copied into `plugins/`.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Project {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("plugins")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        Self { _dir: dir, root }
    }

    fn plugin_config(&self, fixture: &str) -> ResolvedWasmPlugin {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(fixture);
        let path = self.root.join("plugins").join(fixture);
        std::fs::copy(source, &path).unwrap();
        ResolvedWasmPlugin {
            key: "wasmPlugins[0]".into(),
            name: fixture.trim_end_matches(".wat").into(),
            path,
            id_pattern: None,
            extensions: Vec::new(),
            allow_read: Vec::new(),
            memory_limit_bytes: 16 * 1024 * 1024,
            timeout_ms: 5000,
        }
    }

    fn plugin(&self, config: &ResolvedWasmPlugin) -> WasmPlugin {
        WasmPlugin::new(config, &self.root).unwrap_or_else(|err| panic!("{}", err.message))
    }
}

fn transform(plugin: &dyn Plugin, id: &str, code: &str) -> Result<Option<String>, Diagnostic> {
    let args = TransformArgs {
        id,
        code,
        lang: Lang::Js,
        environment: Environment::Page,
    };
    Ok(plugin.transform(&args, &NoHost)?.map(|t| t.code))
}

#[test]
fn transform_replaces_the_marker_and_leaves_other_modules_alone() {
    let project = Project::new();
    let plugin = project.plugin(&project.plugin_config("replace.wat"));
    let id = project.root.join("src/a.js");
    let id = id.to_str().unwrap();
    let out = transform(
        &plugin,
        id,
        "const a = '__WASM_MARKER__'; // __WASM_MARKER__\n",
    )
    .unwrap();
    assert_eq!(
        out.as_deref(),
        Some("const a = 'transformed by wasm'; // transformed by wasm\n")
    );
    assert_eq!(transform(&plugin, id, "const b = 1;\n").unwrap(), None);
    // Multi-byte text goes through untouched.
    let out = transform(&plugin, id, "é __WASM_MARKER__ ✓").unwrap();
    assert_eq!(out.as_deref(), Some("é transformed by wasm ✓"));
}

#[test]
fn a_large_module_goes_through_memory_growth() {
    let project = Project::new();
    let plugin = project.plugin(&project.plugin_config("replace.wat"));
    // ~1 MiB of code: the plugin's allocator grows its memory past the first page.
    let code = "x = 1; /* __WASM_MARKER__ */\n".repeat(40_000);
    let out = transform(&plugin, "/p/big.js", &code).unwrap().unwrap();
    assert_eq!(out, code.replace("__WASM_MARKER__", "transformed by wasm"));
}

#[test]
fn calls_from_many_threads_at_once_each_get_their_own_answer() {
    let project = Project::new();
    let plugin = Arc::new(project.plugin(&project.plugin_config("replace.wat")));
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let plugin = plugin.clone();
            std::thread::spawn(move || {
                (0..20)
                    .map(|i| {
                        let code = format!("/* {n}-{i} */ __WASM_MARKER__");
                        transform(plugin.as_ref(), "/p/a.js", &code)
                            .unwrap()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (n, thread) in threads.into_iter().enumerate() {
        for (i, out) in thread.join().unwrap().into_iter().enumerate() {
            assert_eq!(out, format!("/* {n}-{i} */ transformed by wasm"));
        }
    }
}

#[test]
fn resolve_and_load_answer_a_virtual_module_through_the_container() {
    let project = Project::new();
    let plugin = project.plugin(&project.plugin_config("virtual.wat"));
    let hooks = plugin.hooks();
    assert!(hooks.resolve_id.is_some() && hooks.load.is_some() && hooks.transform.is_none());
    let container = PluginContainer::new(vec![Arc::new(plugin)]);
    let importer = project.root.join("src/main.js");
    let resolved = container
        .resolve_id(
            &ResolveArgs {
                specifier: "virtual:answer",
                importer: Some(&importer),
                environment: Environment::Page,
            },
            &NoHost,
        )
        .unwrap()
        .unwrap();
    assert_eq!(resolved.id, "\0virtual:answer");
    let other = container
        .resolve_id(
            &ResolveArgs {
                specifier: "./other.js",
                importer: None,
                environment: Environment::Page,
            },
            &NoHost,
        )
        .unwrap();
    assert_eq!(other, None);
    let loaded = container
        .load(
            &LoadArgs {
                id: &resolved.id,
                environment: Environment::Page,
            },
            &NoHost,
        )
        .unwrap()
        .unwrap();
    assert_eq!(loaded.code, "export default 42;");
    assert_eq!(loaded.lang, Lang::Js);
    assert!(loaded.files.is_empty());
    let not_mine = container
        .load(
            &LoadArgs {
                id: importer.to_str().unwrap(),
                environment: Environment::Page,
            },
            &NoHost,
        )
        .unwrap();
    assert!(not_mine.is_none());
}

#[test]
fn the_filter_keeps_hooks_from_other_modules() {
    let project = Project::new();
    let mut config = project.plugin_config("replace.wat");
    config.extensions = vec!["ts".into()];
    config.id_pattern = Some("/src/".into());
    let container = PluginContainer::new(vec![Arc::new(project.plugin(&config))]);
    let run = |id: &str| {
        container
            .transform(
                &TransformArgs {
                    id,
                    code: "__WASM_MARKER__",
                    lang: Lang::Ts,
                    environment: Environment::Page,
                },
                &NoHost,
            )
            .unwrap()
            .map(|chain| chain.code)
    };
    assert_eq!(run("/p/src/a.ts").as_deref(), Some("transformed by wasm"));
    assert_eq!(run("/p/src/a.js"), None, "extension filtered out");
    assert_eq!(run("/p/lib/a.ts"), None, "id pattern filtered out");
}

#[test]
fn an_endless_loop_is_stopped_by_the_time_limit() {
    let project = Project::new();
    let mut config = project.plugin_config("loop.wat");
    config.timeout_ms = 200;
    let plugin = project.plugin(&config);
    let started = Instant::now();
    let id = project.root.join("src/a.js");
    let error = transform(&plugin, id.to_str().unwrap(), "x").unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        error.message,
        "WASM plugin 'loop' exceeded its time limit of 200 ms while transforming src/a.js"
    );
    assert!(error.help.unwrap().contains("timeoutMs"));
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    // The plugin still works for the next module (a fresh instance per call).
    let again = Instant::now();
    assert!(transform(&plugin, "/p/b.js", "y").is_err());
    assert!(again.elapsed() < Duration::from_secs(2));
}

#[test]
fn growing_memory_past_the_limit_is_reported() {
    let project = Project::new();
    let mut config = project.plugin_config("grow.wat");
    config.memory_limit_bytes = 4 * 1024 * 1024;
    let plugin = project.plugin(&config);
    let error = transform(&plugin, "\0virtual:x", "x").unwrap_err();
    assert_eq!(
        error.message,
        "WASM plugin 'grow' exceeded its memory limit of 4 MiB while transforming \\0virtual:x"
    );
    assert!(error.help.unwrap().contains("memoryLimitMb"));
}

#[test]
fn an_initial_memory_over_the_limit_fails_at_instantiation() {
    let project = Project::new();
    let mut config = project.plugin_config("replace.wat");
    // Compiles (the limit is per call), but one 64 KiB page is already too much.
    config.memory_limit_bytes = 1024;
    let plugin = project.plugin(&config);
    let error = transform(&plugin, "/p/a.js", "__WASM_MARKER__").unwrap_err();
    assert!(
        error.message.contains("exceeded its memory limit"),
        "{}",
        error.message
    );
}

#[test]
fn files_outside_the_granted_folder_are_refused() {
    let project = Project::new();
    std::fs::create_dir_all(project.root.join("content")).unwrap();
    std::fs::write(project.root.join("content/inside.txt"), "granted text").unwrap();
    std::fs::write(project.root.join("secret.txt"), "top secret").unwrap();
    let mut config = project.plugin_config("read.wat");
    config.allow_read = vec![project.root.join("content")];
    let plugin = project.plugin(&config);

    // A link inside the folder is followed; one leading out of it is not.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("inside.txt", project.root.join("content/alias.txt")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", project.root.join("content/link.txt")).unwrap();
        let alias = transform(&plugin, "/p/a.js", "alias.txt").unwrap();
        assert_eq!(alias.as_deref(), Some("granted text"));
    }

    let inside = transform(&plugin, "/p/a.js", "inside.txt").unwrap();
    assert_eq!(inside.as_deref(), Some("granted text"));
    let escapes: &[&str] = if cfg!(unix) {
        &[
            "../secret.txt",
            "/etc/passwd",
            "../../../../etc/passwd",
            "link.txt",
        ]
    } else {
        &["../secret.txt", "/etc/passwd", "../../../../etc/passwd"]
    };
    for escape in escapes {
        let error = transform(&plugin, "/p/a.js", escape).unwrap_err();
        assert!(
            error
                .message
                .starts_with("WASM plugin 'read' failed while transforming /p/a.js: cannot open the file: errno "),
            "{escape}: {}",
            error.message
        );
        // EPERM (63), wasmtime-wasi's word for a path leaving the folder (ENOTCAPABLE, 76, in
        // other WASI hosts).
        assert!(
            error.message.ends_with("errno 63") || error.message.ends_with("errno 76"),
            "{escape}: {}",
            error.message
        );
        // What it wrote to stderr comes with the error.
        assert!(
            error
                .help
                .as_deref()
                .unwrap()
                .contains("read.wat: the host refused"),
            "{:?}",
            error.help
        );
    }

    // Without a grant there is no folder at all (fd 3 is not open: EBADF, errno 8).
    let mut ungranted = project.plugin_config("read.wat");
    ungranted.name = "read-nothing".into();
    let plugin = project.plugin(&ungranted);
    let error = transform(&plugin, "/p/a.js", "inside.txt").unwrap_err();
    assert!(error.message.ends_with("errno 08"), "{}", error.message);
}

#[test]
fn writing_into_a_granted_folder_is_refused() {
    // path_open with O_CREAT in a read-only grant: the read fixture only reads, so this uses a
    // plugin written for it.
    let project = Project::new();
    std::fs::create_dir_all(project.root.join("content")).unwrap();
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "path_open"
        (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "created.txt")
      (data (i32.const 32) "created")
      (func (export "nexxo_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "load") (param i32 i32) (result i64)
        ;; oflags CREAT (1), rights FD_WRITE (64)
        (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 11)
              (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 0)))
          (then (return (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 7)))))
        (i64.const 0)))"#;
    let path = project.root.join("plugins/write.wat");
    std::fs::write(&path, wat).unwrap();
    let config = ResolvedWasmPlugin {
        allow_read: vec![project.root.join("content")],
        path,
        ..project.plugin_config("replace.wat")
    };
    let plugin = project.plugin(&config);
    let loaded = plugin
        .load(
            &LoadArgs {
                id: "/p/a.js",
                environment: Environment::Page,
            },
            &NoHost,
        )
        .unwrap();
    assert!(loaded.is_none(), "the plugin reported a created file");
    assert!(!project.root.join("content/created.txt").exists());
}

#[test]
fn a_load_of_a_granted_file_lists_it_for_watching() {
    let project = Project::new();
    std::fs::create_dir_all(project.root.join("content")).unwrap();
    std::fs::write(project.root.join("content/a.txt"), "x").unwrap();
    let wat = r#"(module
      (memory (export "memory") 1)
      (data (i32.const 16) "export default 1")
      (func (export "nexxo_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "load") (param i32 i32) (result i64)
        (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 16))))"#;
    let path = project.root.join("plugins/txt.wat");
    std::fs::write(&path, wat).unwrap();
    let config = ResolvedWasmPlugin {
        allow_read: vec![project.root.join("content")],
        path,
        ..project.plugin_config("replace.wat")
    };
    let plugin = project.plugin(&config);
    let load = |id: &Path| {
        plugin
            .load(
                &LoadArgs {
                    id: id.to_str().unwrap(),
                    environment: Environment::Page,
                },
                &NoHost,
            )
            .unwrap()
            .unwrap()
    };
    let granted = project.root.join("content/a.txt");
    assert_eq!(load(&granted).files, vec![granted.clone()]);
    assert!(load(&project.root.join("src/b.txt")).files.is_empty());
}

#[test]
fn broken_answers_are_reported_not_trusted() {
    let project = Project::new();
    let plugin = project.plugin(&project.plugin_config("misbehave.wat"));
    let message = |code: &str| transform(&plugin, "/p/a.js", code).unwrap_err().message;
    assert_eq!(
        message("e"),
        "WASM plugin 'misbehave' failed while transforming /p/a.js: this plugin says no"
    );
    let outside = message("o");
    assert!(
        outside.contains("broke the plugin ABI") && outside.contains("outside its 65536 bytes"),
        "{outside}"
    );
    assert!(message("u").contains("not UTF-8"));
    let trap = message("t");
    assert!(
        trap.starts_with("WASM plugin 'misbehave' crashed while transforming /p/a.js:")
            && trap.contains("unreachable"),
        "{trap}"
    );
    assert_eq!(
        message("r"),
        "WASM plugin 'misbehave' overflowed its stack while transforming /p/a.js"
    );
    assert_eq!(transform(&plugin, "/p/a.js", "fine").unwrap(), None);
}

#[test]
fn modules_that_do_not_fit_the_abi_are_refused_when_loaded() {
    let project = Project::new();
    let base = project.plugin_config("replace.wat");
    let error_of = |file: &str, text: &str| {
        let path = project.root.join("plugins").join(file);
        std::fs::write(&path, text).unwrap();
        let config = ResolvedWasmPlugin {
            path,
            ..base.clone()
        };
        match WasmPlugin::new(&config, &project.root) {
            Ok(_) => panic!("{file} was accepted"),
            Err(error) => error.message,
        }
    };
    let alloc = r#"(func (export "nexxo_alloc") (param i32) (result i32) (i32.const 0))"#;
    let transform =
        r#"(func (export "transform") (param i32 i32 i32 i32) (result i64) (i64.const 0))"#;

    let syntax = error_of("syntax.wat", "(module (func (export \"load\")");
    assert!(
        syntax.starts_with(
            "WASM plugin `plugins/syntax.wat` (wasmPlugins[0]) is not a valid WebAssembly module"
        ),
        "{syntax}"
    );
    let env = error_of(
        "env.wat",
        &format!(
            r#"(module (import "env" "now" (func)) (memory (export "memory") 1) {alloc} {transform})"#
        ),
    );
    assert!(env.contains("imports `env.now`"), "{env}");
    let no_memory = error_of("no-memory.wat", &format!("(module {alloc} {transform})"));
    assert!(
        no_memory.contains("does not export `memory`"),
        "{no_memory}"
    );
    let no_alloc = error_of(
        "no-alloc.wat",
        &format!(r#"(module (memory (export "memory") 1) {transform})"#),
    );
    assert!(
        no_alloc.contains("does not export `nexxo_alloc`"),
        "{no_alloc}"
    );
    let no_hooks = error_of(
        "no-hooks.wat",
        &format!(r#"(module (memory (export "memory") 1) {alloc})"#),
    );
    assert!(no_hooks.contains("exports none of"), "{no_hooks}");
    let signature = error_of(
        "signature.wat",
        &format!(
            r#"(module (memory (export "memory") 1) {alloc}
                (func (export "load") (param i32 i32) (result i32) (i32.const 0)))"#
        ),
    );
    assert!(
        signature.contains(
            "exports `load` as (i32, i32) -> (i32), but the ABI says (i32, i32) -> (i64)"
        ),
        "{signature}"
    );
    let unknown_wasi = error_of(
        "unknown-wasi.wat",
        &format!(
            r#"(module (import "wasi_snapshot_preview1" "no_such_call" (func))
                (memory (export "memory") 1) {alloc} {transform})"#
        ),
    );
    assert!(unknown_wasi.contains("cannot be linked"), "{unknown_wasi}");
    let binary = error_of("garbage.wasm", "\0asm\x01\0\0\0garbage");
    assert!(
        binary.contains("not a valid WebAssembly module"),
        "{binary}"
    );
}

#[test]
fn the_fingerprint_follows_the_module_and_the_granted_files() {
    let project = Project::new();
    std::fs::create_dir_all(project.root.join("content/deep")).unwrap();
    std::fs::write(project.root.join("content/deep/a.txt"), "one").unwrap();
    let mut config = project.plugin_config("replace.wat");
    config.allow_read = vec![project.root.join("content")];
    let first = super::inputs_fingerprint(&config);
    assert_eq!(first, super::inputs_fingerprint(&config), "stable");
    std::fs::write(project.root.join("content/deep/a.txt"), "two").unwrap();
    let granted_changed = super::inputs_fingerprint(&config);
    assert_ne!(first, granted_changed);
    let mut text = std::fs::read_to_string(&config.path).unwrap();
    text.push_str("\n;; edited\n");
    std::fs::write(&config.path, text).unwrap();
    assert_ne!(granted_changed, super::inputs_fingerprint(&config));
}
