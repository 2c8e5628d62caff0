//! `build.input` and `build.watch` at the binary level: config errors with their keys, a build
//! of script entries only, and a library build in watch mode. (The app watch, edit → error →
//! fix → Ctrl-C, is checked in Chromium by tests/e2e/build-watch.test.mjs.)

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{build_err, build_ok, files_in, project, text};

#[test]
fn build_input_errors_name_the_key() {
    let missing = project(&[
        ("index.html", "<!doctype html>"),
        (
            "nexxo.config.json",
            r#"{ "build": { "input": ["index.html", "src/missing.ts"] } }"#,
        ),
    ]);
    let stderr = build_err(missing.path(), &[]);
    assert!(
        stderr.contains("build.input[1]: `src/missing.ts` does not exist"),
        "{stderr}"
    );

    let wrong_type = project(&[(
        "nexxo.config.json",
        "{\n  \"build\": {\n    \"input\": 3\n  }\n}",
    )]);
    let stderr = build_err(wrong_type.path(), &[]);
    assert!(stderr.contains("build.input"), "{stderr}");
    assert!(
        stderr.contains("a path, a list of paths, or an object of name: path"),
        "{stderr}"
    );
    assert!(stderr.contains("nexxo.config.json:3:"), "{stderr}");

    let with_lib = project(&[
        ("src/index.ts", "export const a = 1;\n"),
        (
            "nexxo.config.json",
            r#"{ "build": { "input": "src/index.ts", "lib": { "entry": "src/index.ts" } } }"#,
        ),
    ]);
    let stderr = build_err(with_lib.path(), &[]);
    assert!(
        stderr.contains("build.input and build.lib cannot both be set"),
        "{stderr}"
    );
}

#[test]
fn build_watch_options_are_checked() {
    let dir = project(&[
        ("index.html", "<!doctype html>"),
        (
            "nexxo.config.json",
            r#"{ "build": { "watch": { "buildDelai": 10 } } }"#,
        ),
    ]);
    let stderr = build_err(dir.path(), &[]);
    assert!(stderr.contains("buildDelai"), "{stderr}");
    assert!(stderr.contains("buildDelay"), "{stderr}");
}

#[test]
fn script_entries_alone_need_no_index_html() {
    let dir = project(&[
        (
            "src/a.ts",
            "import { shared } from './shared';\nconsole.log('entry a', shared);\n",
        ),
        (
            "src/b.ts",
            "import { shared } from './shared';\nconsole.log('entry b', shared);\n",
        ),
        ("src/shared.ts", "export const shared = 'shared value';\n"),
        (
            "nexxo.config.json",
            r#"{ "build": { "input": ["src/a.ts", "src/b.ts"], "minify": false } }"#,
        ),
    ]);
    build_ok(dir.path(), &[]);
    let files = files_in(&dir.path().join("dist"));
    let entry = |stem: &str| {
        files
            .iter()
            .find(|(name, _)| name.starts_with(&format!("assets/{stem}-")) && name.ends_with(".js"))
            .map(|(_, bytes)| text(bytes))
            .unwrap_or_else(|| panic!("no assets/{stem}-<hash>.js in {:?}", files.keys()))
    };
    assert!(entry("a").contains("entry a"));
    assert!(entry("b").contains("entry b"));
    assert!(!files.contains_key("index.html"));
}

/// A running `nexxo build --watch` whose output is collected by a thread per stream.
struct Watching {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Watching {
    fn start(root: &Path) -> Self {
        Self::start_with(root, &[])
    }

    fn start_with(root: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nexxo"))
            .args(["build", root.to_str().unwrap(), "--watch"])
            .args(extra)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the nexxo binary runs");
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut output = output.lock().unwrap();
                    output.push_str(&line);
                    output.push('\n');
                }
            });
        }
        Self { child, output }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until `needle` appears after the first `from` bytes of output.
    fn wait_for(&mut self, needle: &str, from: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let output = self.output();
            if output[from.min(output.len())..].contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nexxo exited ({status}) before `{needle}`:\n{output}");
            }
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in time:\n{output}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and returns the exit status.
    fn terminate(self) -> std::process::ExitStatus {
        self.stop_with("-TERM").0
    }

    /// Sends `signal` (a `kill` flag); returns the exit status and the whole output.
    fn stop_with(mut self, signal: &str) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader threads end with the streams.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.output());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("nexxo did not stop on SIGTERM:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn library_builds_watch_too() {
    let dir = project(&[
        ("package.json", r#"{ "name": "lib", "type": "module" }"#),
        (
            "src/index.ts",
            "export const hello = (n: string) => `hi ${n}`;\n",
        ),
        (
            "nexxo.config.json",
            r#"{ "build": { "lib": { "entry": "src/index.ts", "fileName": "lib" } } }"#,
        ),
    ]);
    let mut watching = Watching::start(dir.path());
    watching.wait_for("watching for changes", 0);
    let read_lib = || std::fs::read_to_string(dir.path().join("dist/lib.js")).unwrap();
    assert!(read_lib().contains("hi "), "{}", read_lib());

    let mark = watching.output().len();
    std::fs::write(
        dir.path().join("src/index.ts"),
        "export const hello = (n: string) => `hello again ${n}`;\n",
    )
    .unwrap();
    watching.wait_for("rebuilt in ", mark);
    assert!(read_lib().contains("hello again "), "{}", read_lib());

    let status = watching.terminate();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_broken_config_is_reported_and_the_watch_recovers_when_it_is_fixed() {
    let dir = project(&[
        (
            "index.html",
            r#"<!doctype html><script type="module" src="/src/main.ts"></script>"#,
        ),
        (
            "src/main.ts",
            "console.log('configured', import.meta.env.NEXXO_FLAVOUR);\n",
        ),
        (
            "nexxo.config.json",
            r#"{ "define": { "import.meta.env.NEXXO_FLAVOUR": "'plain'" } }"#,
        ),
    ]);
    let mut watching = Watching::start(dir.path());
    watching.wait_for("watching for changes", 0);

    let mark = watching.output().len();
    std::fs::write(
        dir.path().join("nexxo.config.json"),
        "{\n  \"build\": { \"minfy\": false }\n}\n",
    )
    .unwrap();
    watching.wait_for("config failed with 1 error", mark);
    let report = watching.output()[mark..].to_string();
    assert!(report.contains("build.minfy"), "{report}");
    assert!(report.contains("nexxo.config.json:2:"), "{report}");

    let mark = watching.output().len();
    std::fs::write(
        dir.path().join("nexxo.config.json"),
        r#"{ "define": { "import.meta.env.NEXXO_FLAVOUR": "'spicy'" } }"#,
    )
    .unwrap();
    watching.wait_for("rebuilt in ", mark);
    let js: String = files_in(&dir.path().join("dist"))
        .into_iter()
        .filter(|(name, _)| name.ends_with(".js"))
        .map(|(_, bytes)| text(&bytes))
        .collect();
    assert!(js.contains("spicy"), "{js}");

    assert_eq!(watching.terminate().code(), Some(0));
}

#[test]
fn ctrl_c_during_a_rebuild_lets_it_end_then_exits_with_status_0() {
    // Enough modules that the rebuild is still bundling when the signal comes.
    let count = 1500;
    let mut files: Vec<(String, String)> = (0..count)
        .map(|i| {
            (
                format!("src/m{i}.ts"),
                format!("export const v{i}: number = {i} * 2;\n"),
            )
        })
        .collect();
    let imports: String = (0..count)
        .map(|i| format!("import {{ v{i} }} from './m{i}';\n"))
        .collect();
    let sum: Vec<String> = (0..count).map(|i| format!("v{i}")).collect();
    files.push((
        "src/main.ts".into(),
        format!(
            "{imports}console.log('version one', {});\n",
            sum.join(" + ")
        ),
    ));
    files.push((
        "index.html".into(),
        r#"<!doctype html><script type="module" src="/src/main.ts"></script>"#.into(),
    ));
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let dir = project(&pairs);
    let mut watching = Watching::start_with(dir.path(), &["--log-format", "json"]);
    watching.wait_for(r#""event":"watching""#, 0);

    let mark = watching.output().len();
    std::fs::write(
        dir.path().join("src/m7.ts"),
        "export const v7: number = 14;\nconsole.log('rebuilt marker');\n",
    )
    .unwrap();
    watching.wait_for(r#"{"phase":"bundle","status":"started""#, mark);
    let (status, output) = watching.stop_with("-INT");
    assert_eq!(status.code(), Some(0), "{output}");
    // The rebuild in flight ended (rolldown cannot be dropped mid-build cleanly).
    assert!(output[mark..].contains(r#""event":"rebuild""#), "{output}");
    assert!(output.ends_with("{\"event\":\"stopped\"}\n"), "{output}");

    // outDir holds the new build, whole, and nothing is left beside it.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("nexxo-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let dist = files_in(&dir.path().join("dist"));
    let page = text(&dist["index.html"]);
    let script = page
        .split("src=\"/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no script in {page}"));
    assert!(
        dist.contains_key(script),
        "{script} missing from {:?}",
        dist.keys()
    );
    assert!(text(&dist[script]).contains("rebuilt marker"));
}
