//! These tests run the real `node` on this machine.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;

/// A project with one fake compiler package in `node_modules`.
fn project_with_package(name: &str, index_js: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("package.json"), r#"{ "name": "app" }"#).unwrap();
    let package = root.path().join("node_modules").join(name);
    fs::create_dir_all(&package).unwrap();
    fs::write(
        package.join("package.json"),
        format!(r#"{{ "name": "{name}", "version": "1.2.3", "main": "index.js" }}"#),
    )
    .unwrap();
    fs::write(package.join("index.js"), index_js).unwrap();
    root
}

fn pool(timeout: Duration) -> NodePool {
    let mut options = NodeOptions::new("Vue single-file components");
    options.request_timeout = timeout;
    NodePool::new(options)
}

fn call(root: &Path, package: &str, export: &str, args: Vec<Value>) -> NodeTask {
    NodeTask::Call {
        root: root.to_path_buf(),
        package: package.to_string(),
        export: export.to_string(),
        args,
    }
}

const UPPERCASE_COMPILER: &str = "exports.compile = (src) => src.toUpperCase();\n";

#[test]
fn constructing_a_pool_starts_no_node() {
    let pool = pool(Duration::from_secs(60));
    assert_eq!(pool.started(), 0);
    drop(pool);
}

#[test]
fn version_reports_node_and_installed_packages() {
    let project = project_with_package("fake-compiler", UPPERCASE_COMPILER);
    let pool = pool(Duration::from_secs(60));
    let result = pool
        .request(&NodeTask::Version {
            root: project.path().to_path_buf(),
            packages: vec!["fake-compiler".into(), "not-installed".into()],
        })
        .unwrap();
    assert_eq!(pool.started(), 1);
    let node = result["node"].as_str().unwrap();
    assert!(node.split('.').count() == 3, "node version {node}");
    assert_eq!(result["packages"]["fake-compiler"], json!("1.2.3"));
    assert_eq!(result["packages"]["not-installed"], Value::Null);
    pool.ensure_node_at_least(18).unwrap();
    let too_old = pool.ensure_node_at_least(999).unwrap_err();
    assert!(
        too_old.to_string().contains("needs Node.js 999 or newer"),
        "{too_old}"
    );
}

#[test]
fn call_runs_a_function_of_a_project_package() {
    let project = project_with_package("fake-compiler", UPPERCASE_COMPILER);
    let pool = pool(Duration::from_secs(60));
    let result = pool
        .request(&call(
            project.path(),
            "fake-compiler",
            "compile",
            vec![json!("<template>hi</template>")],
        ))
        .unwrap();
    assert_eq!(result, json!("<TEMPLATE>HI</TEMPLATE>"));
}

#[test]
fn compiler_console_output_does_not_break_the_replies() {
    let project = project_with_package(
        "chatty-compiler",
        "exports.compile = (src) => { console.log('compiling', src); return src + '!'; };\n",
    );
    let pool = pool(Duration::from_secs(60));
    let result = pool
        .request(&call(
            project.path(),
            "chatty-compiler",
            "compile",
            vec![json!("a")],
        ))
        .unwrap();
    assert_eq!(result, json!("a!"));
}

#[test]
fn a_missing_package_says_what_to_install() {
    let project = project_with_package("fake-compiler", UPPERCASE_COMPILER);
    let pool = pool(Duration::from_secs(60));
    let error = pool
        .request(&call(project.path(), "@vue/compiler-sfc", "parse", vec![]))
        .unwrap_err();
    assert_eq!(
        error,
        NodeError::MissingPackage {
            package: "@vue/compiler-sfc".into(),
            root: project.path().to_path_buf(),
        }
    );
    assert!(
        error
            .to_string()
            .contains("npm install -D @vue/compiler-sfc"),
        "{error}"
    );
    let diagnostic = error.to_diagnostic();
    assert_eq!(
        diagnostic.help.as_deref(),
        Some("install it with `npm install -D @vue/compiler-sfc`")
    );
}

#[test]
fn a_compile_error_keeps_its_file_line_and_column() {
    let project = project_with_package(
        "failing-compiler",
        "exports.compile = (src, file) => {\n\
           const error = new Error('Unexpected token');\n\
           Object.assign(error, { file, line: 2, column: 5 });\n\
           throw error;\n\
         };\n",
    );
    let component = project.path().join("App.vue");
    fs::write(&component, "<template>\n  <div\n</template>\n").unwrap();
    let pool = pool(Duration::from_secs(60));
    let error = pool
        .request(&call(
            project.path(),
            "failing-compiler",
            "compile",
            vec![json!("<template>"), json!(component.to_string_lossy())],
        ))
        .unwrap_err();
    assert_eq!(
        error,
        NodeError::Task {
            message: "Unexpected token".into(),
            file: Some(component.to_string_lossy().into_owned()),
            line: Some(2),
            column: Some(5),
        }
    );
    let diagnostic = error.to_diagnostic();
    let location = diagnostic.location.as_deref().unwrap();
    assert_eq!(
        (location.file.as_path(), location.line, location.column),
        (component.as_path(), 2, 5)
    );
    assert!(
        diagnostic.render(false).contains("<div"),
        "{}",
        diagnostic.render(false)
    );
    // A task error leaves the helper running.
    assert_eq!(pool.started(), 1);
    pool.request(&NodeTask::Version {
        root: project.path().to_path_buf(),
        packages: vec![],
    })
    .unwrap();
    assert_eq!(pool.started(), 1);
}

#[test]
fn a_helper_that_exits_is_reported_with_its_stderr_and_restarted() {
    let project = project_with_package(
        "exiting-compiler",
        "exports.compile = () => { process.stderr.write('out of cheese\\n'); process.exit(1); };\n\
         exports.ok = () => 'fine';\n",
    );
    let pool = pool(Duration::from_secs(60));
    let error = pool
        .request(&call(project.path(), "exiting-compiler", "compile", vec![]))
        .unwrap_err();
    match &error {
        NodeError::Crashed { stderr_tail, .. } => {
            assert!(stderr_tail.contains("out of cheese"), "{error}")
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    let result = pool
        .request(&call(project.path(), "exiting-compiler", "ok", vec![]))
        .unwrap();
    assert_eq!(result, json!("fine"));
    assert_eq!(pool.started(), 2);
}

#[test]
fn a_helper_that_dies_between_requests_is_replaced_before_the_next() {
    let project = project_with_package(
        "late-exit-compiler",
        "exports.compile = () => { setTimeout(() => process.exit(1), 20); return 'done'; };\n\
         exports.ok = () => 'fine';\n",
    );
    let pool = pool(Duration::from_secs(60));
    let result = pool
        .request(&call(
            project.path(),
            "late-exit-compiler",
            "compile",
            vec![],
        ))
        .unwrap();
    assert_eq!(result, json!("done"));
    // Wait until the helper has really exited (no fixed sleep: poll its slot).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !pool.slots.lock().unwrap().running[0].helper.has_exited() {
        assert!(
            std::time::Instant::now() < deadline,
            "the helper never exited"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let result = pool
        .request(&call(project.path(), "late-exit-compiler", "ok", vec![]))
        .unwrap();
    assert_eq!(result, json!("fine"));
    assert_eq!(pool.started(), 2);
}

#[test]
fn an_endless_loop_times_out_and_the_helper_is_restarted() {
    let project = project_with_package(
        "looping-compiler",
        "exports.compile = () => { while (true) {} };\nexports.ok = () => 'fine';\n",
    );
    let pool = pool(Duration::from_millis(1500));
    let error = pool
        .request(&call(project.path(), "looping-compiler", "compile", vec![]))
        .unwrap_err();
    assert!(matches!(error, NodeError::Timeout { .. }), "{error:?}");
    assert!(
        error.to_string().contains("did not answer within 1.5s"),
        "{error}"
    );
    let result = pool
        .request(&call(project.path(), "looping-compiler", "ok", vec![]))
        .unwrap();
    assert_eq!(result, json!("fine"));
    assert_eq!(pool.started(), 2);
}

#[test]
fn concurrent_requests_from_many_threads_get_their_own_answers() {
    let project = project_with_package(
        "async-compiler",
        "exports.compile = async (src) => { await new Promise((r) => setTimeout(r, 1)); return src.toUpperCase(); };\n",
    );
    let mut options = NodeOptions::new("Svelte components");
    options.max_helpers = 3;
    let pool = Arc::new(NodePool::new(options));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let pool = Arc::clone(&pool);
            let root = project.path().to_path_buf();
            std::thread::spawn(move || {
                for request in 0..10 {
                    let source = format!("thread {thread} request {request}");
                    let result = pool
                        .request(&call(
                            &root,
                            "async-compiler",
                            "compile",
                            vec![json!(source)],
                        ))
                        .unwrap();
                    assert_eq!(result, json!(source.to_uppercase()));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        (1..=3).contains(&pool.started()),
        "started {}",
        pool.started()
    );
}

/// A compiler whose calls all wait until `n` of them are running at once in the one process.
const BARRIER_COMPILER: &str = "const waiting = [];\n\
exports.meet = (n, label) => new Promise((resolve) => {\n\
  waiting.push(() => resolve(`${label} met ${waiting.length}`));\n\
  if (waiting.length === n) waiting.forEach((release) => release());\n\
});\n";

#[test]
fn requests_share_one_helper_when_the_pool_allows_it() {
    let project = project_with_package("barrier", BARRIER_COMPILER);
    let mut options = NodeOptions::new("the plugin 'barrier'");
    options.max_helpers = 1;
    options.requests_per_helper = 4;
    // Requests queued one at a time would never all meet: they would time out instead.
    options.request_timeout = Duration::from_secs(30);
    let pool = Arc::new(NodePool::new(options));
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let pool = Arc::clone(&pool);
            let root = project.path().to_path_buf();
            std::thread::spawn(move || {
                pool.request(&call(
                    &root,
                    "barrier",
                    "meet",
                    vec![json!(4), json!(format!("thread {thread}"))],
                ))
            })
        })
        .collect();
    let mut answers: Vec<String> = threads
        .into_iter()
        .map(|thread| {
            thread
                .join()
                .unwrap()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    answers.sort();
    assert_eq!(
        answers,
        (0..4)
            .map(|thread| format!("thread {thread} met 4"))
            .collect::<Vec<_>>()
    );
    assert_eq!(pool.started(), 1);
}

#[test]
fn a_timeout_on_a_shared_helper_fails_its_requests_and_a_new_helper_serves_the_next() {
    let project = project_with_package(
        "stuck-compiler",
        "exports.wait = () => new Promise(() => {});\nexports.spin = () => { for (;;) {} };\n\
exports.compile = (src) => src.toUpperCase();\n",
    );
    let mut options = NodeOptions::new("the plugin 'stuck'");
    options.max_helpers = 1;
    options.requests_per_helper = 2;
    options.request_timeout = Duration::from_secs(2);
    let pool = Arc::new(NodePool::new(options));
    let waiting = {
        let pool = Arc::clone(&pool);
        let root = project.path().to_path_buf();
        std::thread::spawn(move || pool.request(&call(&root, "stuck-compiler", "wait", vec![])))
    };
    let spinning = pool.request(&call(project.path(), "stuck-compiler", "spin", vec![]));
    assert!(
        matches!(spinning, Err(NodeError::Timeout { .. })),
        "{spinning:?}"
    );
    // The other request in flight on the killed helper fails too, and does not hang.
    assert!(waiting.join().unwrap().is_err());
    let result = pool
        .request(&call(
            project.path(),
            "stuck-compiler",
            "compile",
            vec![json!("next")],
        ))
        .unwrap();
    assert_eq!(result, json!("NEXT"));
    // Two, or three when the waiting thread came only after the first helper was killed.
    assert!((2..=3).contains(&pool.started()), "{}", pool.started());
}

#[test]
fn missing_node_says_what_to_install() {
    let error = find_node(
        None,
        Some("/nonexistent-dir".into()),
        "Vue single-file components",
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("Node.js is needed to compile Vue single-file components"),
        "{message}"
    );
    assert!(message.contains("Install Node.js 20 or newer"), "{message}");
    let error = find_node(Some("/nonexistent/node".into()), None, "Svelte components").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("NEXXO_NODE names /nonexistent/node"),
        "{error}"
    );
}

#[test]
fn a_pool_without_node_fails_the_request_with_the_message() {
    let mut options = NodeOptions::new("PostCSS");
    options.node = Some("/nonexistent/node".into());
    let pool = NodePool::new(options);
    let error = pool
        .request(&NodeTask::Version {
            root: PathBuf::new(),
            packages: vec![],
        })
        .unwrap_err();
    assert!(matches!(error, NodeError::Spawn { .. }), "{error:?}");
    // The failed start gave its place back: the pool is not stuck at its limit.
    let error = pool
        .request(&NodeTask::Version {
            root: PathBuf::new(),
            packages: vec![],
        })
        .unwrap_err();
    assert!(matches!(error, NodeError::Spawn { .. }), "{error:?}");
    assert_eq!(pool.started(), 0);
}

#[cfg(unix)]
#[test]
fn a_node_too_old_for_the_helper_says_what_to_install() {
    use std::os::unix::fs::PermissionsExt;
    // Stands in for Node 16: prints the helper's refusal line and exits as the helper would.
    let dir = tempfile::tempdir().unwrap();
    let fake_node = dir.path().join("node");
    fs::write(
        &fake_node,
        "#!/bin/sh\necho 'NEXXO_NODE_TOO_OLD 16.20.0 18' >&2\nexit 3\n",
    )
    .unwrap();
    fs::set_permissions(&fake_node, fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = NodeOptions::new("Svelte components");
    options.node = Some(fake_node);
    let pool = NodePool::new(options);
    let error = pool
        .request(&NodeTask::Version {
            root: PathBuf::new(),
            packages: vec![],
        })
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Svelte components needs Node.js 18 or newer, but the installed Node.js is 16.20.0. Install Node.js 18+ (https://nodejs.org)."
    );
}

#[test]
fn the_helper_script_fits_in_one_command_line_argument() {
    // Linux refuses a single argument longer than 32 pages (MAX_ARG_STRLEN).
    const MAX_ARGUMENT_BYTES: usize = 128 * 1024;
    assert!(
        helper::HELPER_SCRIPT.len() < MAX_ARGUMENT_BYTES - 8 * 1024,
        "the helper script is {} bytes",
        helper::HELPER_SCRIPT.len()
    );
}

#[test]
fn every_task_file_is_part_of_the_helper_script_without_imports_of_its_own() {
    let tasks_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("helper/tasks");
    let mut task_files = 0;
    for entry in fs::read_dir(&tasks_dir).unwrap() {
        let path = entry.unwrap().path();
        let source = fs::read_to_string(&path).unwrap();
        task_files += 1;
        assert!(
            helper::HELPER_SCRIPT.contains(&source),
            "{} is not concatenated into HELPER_SCRIPT (src/helper.rs)",
            path.display()
        );
        assert!(
            !source.lines().any(|line| line.starts_with("import ")),
            "{} imports a module itself; built-ins are imported once, in helper.mjs",
            path.display()
        );
    }
    assert_eq!(task_files, 9);
    // The request loop starts only after every task is registered.
    let loop_start = helper::HELPER_SCRIPT
        .find("process.stdin.on('data'")
        .unwrap();
    let last_task = helper::HELPER_SCRIPT
        .rfind("tasks[")
        .unwrap()
        .max(helper::HELPER_SCRIPT.rfind("tasks.").unwrap());
    assert!(last_task < loop_start);
}

#[test]
fn a_compile_task_cannot_be_redirected_by_its_arguments() {
    let task = NodeTask::compile(
        "/project",
        "vue.compile",
        json!({ "task": "call", "root": "/elsewhere", "filename": "/project/App.vue" }),
    );
    let message = task.to_message();
    assert_eq!(message["task"], json!("vue.compile"));
    assert_eq!(message["root"], json!("/project"));
    assert_eq!(message["filename"], json!("/project/App.vue"));
    assert_eq!(task.root(), Path::new("/project"));
}

#[test]
fn an_unknown_task_is_a_task_error() {
    let pool = pool(Duration::from_secs(60));
    let error = pool
        .request(&NodeTask::compile("/", "no.such.task", json!({})))
        .unwrap_err();
    assert_eq!(
        error,
        NodeError::Task {
            message: "Unknown task 'no.such.task'".into(),
            file: None,
            line: None,
            column: None,
        }
    );
}
