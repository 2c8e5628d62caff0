//! Hostile or broken input must end in a clear error with a location, never in a crash (a
//! signal such as SIGABRT from a stack overflow), a hang (a FIFO opened for reading) or memory
//! growing without end (Sass `@while true`). Each test runs `nexxo build` with a time limit, so
//! a regression fails instead of hanging the suite.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{project, write};

const INDEX: &str = r#"<!doctype html><html><head><title>t</title></head><body><script type="module" src="/src/main.ts"></script></body></html>"#;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `nexxo build <root>` with `env`, killed after `limit`: a hang fails the test.
fn build_within(root: &Path, env: &[(&str, &str)], limit: Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nexxo"))
        .args(["build", root.to_str().unwrap()])
        .current_dir(root)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the nexxo binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "nexxo build hung for {limit:?}; output so far:\n{}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            None,
            "nexxo was killed by a signal:\n{}",
            err.join().unwrap()
        );
    }
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

const LIMIT: Duration = Duration::from_secs(120);

/// The build fails cleanly (exit code 1, no panic) and its output contains every `expected`.
fn fails_with(root: &Path, env: &[(&str, &str)], expected: &[&str]) -> String {
    let run = build_within(root, env, LIMIT);
    assert_eq!(
        run.code,
        Some(1),
        "expected a clean failure:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("internal error"),
        "{}",
        run.stderr
    );
    for part in expected {
        assert!(
            run.stderr.contains(part),
            "missing {part:?} in:\n{}",
            run.stderr
        );
    }
    run.stderr
}

fn builds(root: &Path) -> Run {
    let run = build_within(root, &[], LIMIT);
    assert_eq!(
        run.code,
        Some(0),
        "build failed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

fn app(main: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = project(&[("index.html", INDEX), ("src/main.ts", main)]);
    for (path, content) in files {
        write(dir.path(), path, content);
    }
    dir
}

fn nested(open: &str, inner: &str, close: &str, levels: usize) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

#[test]
fn deeply_nested_scripts_are_refused_at_the_crossing_point() {
    let arrays = format!("export const a = {};\n", nested("[", "1", "]", 1500));
    let dir = app(
        "import { a } from './deep';\nconsole.log(a);\n",
        &[("src/deep.ts", &arrays)],
    );
    fails_with(
        dir.path(),
        &[],
        &["nesting deeper than 1000 levels", "src/deep.ts:1:1018"],
    );

    let parens = format!("console.log({});\n", nested("(", "1", ")", 3000));
    let dir = app(&parens, &[]);
    fails_with(
        dir.path(),
        &[],
        &["nesting deeper than 1000 levels", "src/main.ts:1:"],
    );
}

#[test]
fn scripts_nested_up_to_the_limit_and_long_chains_build() {
    // Just under the limit: the compile threads' stacks must carry every stage through it.
    let arrays = format!("export const a = {};\n", nested("[", "1", "]", 990));
    let objects = format!("export const o = {};\n", nested("{a:", "1", "}", 990));
    let chain = format!(
        "export const sum = (a: number) => {};\n",
        vec!["a"; 50_000].join("+")
    );
    let dir = app(
        "import { a } from './arrays';\nimport { o } from './objects';\nimport { sum } from './chain';\nconsole.log(a, o, sum(1));\n",
        &[("src/arrays.ts", &arrays), ("src/objects.ts", &objects), ("src/chain.ts", &chain)],
    );
    builds(dir.path());
}

#[test]
fn deeply_nested_stylesheets_are_refused_with_their_location() {
    let rules = nested(".a {", "color: red;", "}", 1500);
    let dir = app("import './deep.css';\n", &[("src/deep.css", &rules)]);
    fails_with(
        dir.path(),
        &[],
        &["nesting deeper than 100 levels", "src/deep.css:1:404"],
    );

    let selector = format!("{} {{ color: red }}\n", nested(":is(", ".b", ")", 2000));
    let dir = app("import './is.css';\n", &[("src/is.css", &selector)]);
    fails_with(
        dir.path(),
        &[],
        &["nesting deeper than 100 levels", "src/is.css:1:"],
    );

    let sass = nested(".a {", "color: red;", "}", 1500);
    let dir = app("import './deep.scss';\n", &[("src/deep.scss", &sass)]);
    fails_with(
        dir.path(),
        &[],
        &["nesting deeper than 100 levels", "src/deep.scss:1:404"],
    );
}

#[test]
fn css_nested_below_the_limit_builds() {
    // Just under the limit, through every stage (parse, lowering, printing, Sass).
    let selector = format!("{} {{ color: red }}\n", nested(":is(", ".b", ")", 99));
    let rules = nested(".a {", "color: red;", "}", 99);
    let blocks = nested("@media screen {", ".a { color: red }", "}", 98);
    let dir = app(
        "import './is.css';\nimport './rules.css';\nimport './blocks.css';\nimport './rules.scss';\n",
        &[
            ("src/is.css", &selector),
            ("src/rules.css", &rules),
            ("src/blocks.css", &blocks),
            ("src/rules.scss", &rules),
        ],
    );
    builds(dir.path());
}

#[test]
fn sass_recursion_without_end_is_stopped() {
    let dir = app(
        "import './loop.scss';\n",
        &[(
            "src/loop.scss",
            "@mixin m { @include m; }\n.a { @include m; }\n",
        )],
    );
    fails_with(
        dir.path(),
        &[("NEXXO_SASS_TIME_LIMIT_MS", "20000")],
        &["Sass compile of src/loop.scss"],
    );
}

#[test]
fn an_endless_sass_while_is_stopped_by_the_time_limit() {
    let dir = app(
        "import './spin.scss';\n",
        &[(
            "src/spin.scss",
            "$i: 0;\n@while true { $i: $i + 1; }\n.a { width: $i; }\n",
        )],
    );
    let started = Instant::now();
    fails_with(
        dir.path(),
        &[("NEXXO_SASS_TIME_LIMIT_MS", "2000")],
        &["Sass compile of src/spin.scss took longer than 2 s; an endless @while or recursion?"],
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_sass_loop_that_eats_memory_is_stopped_by_the_memory_limit() {
    let dir = app(
        "import './grow.scss';\n",
        &[(
            "src/grow.scss",
            "$s: 'x';\n@while true { $s: $s + $s; }\n.a { content: $s; }\n",
        )],
    );
    fails_with(
        dir.path(),
        &[("NEXXO_SASS_MEMORY_LIMIT_MIB", "512")],
        &["Sass compile of src/grow.scss used more than 512 MiB"],
    );
}

#[test]
fn css_modules_that_compose_in_a_cycle_are_refused() {
    let dir = app(
        "import s from './self.module.css';\nconsole.log(s);\n",
        &[(
            "src/self.module.css",
            ".a { composes: a from './self.module.css'; color: red; }\n",
        )],
    );
    fails_with(
        dir.path(),
        &[],
        &[
            "forms a cycle: src/self.module.css → src/self.module.css",
            "src/self.module.css:1:6",
        ],
    );

    let dir = app(
        "import s from './a.module.css';\nconsole.log(s);\n",
        &[
            (
                "src/a.module.css",
                ".a { composes: b from './b.module.css'; }\n",
            ),
            (
                "src/b.module.css",
                ".b { composes: a from './a.module.css'; }\n",
            ),
        ],
    );
    fails_with(
        dir.path(),
        &[],
        &["forms a cycle", "src/a.module.css → src/b.module.css"],
    );
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn special_files_as_imports_are_refused_by_name() {
    let dir = app("import './pipe.js';\n", &[]);
    mkfifo(&dir.path().join("src/pipe.js"));
    fails_with(
        dir.path(),
        &[],
        &["src/pipe.js: it is a FIFO (named pipe), not a regular file"],
    );

    let dir = app("import './zero.js';\n", &[]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("src/zero.js")).unwrap();
    fails_with(dir.path(), &[], &["src/zero.js: it is a character device"]);

    let dir = app("import './pipe.css';\n", &[]);
    mkfifo(&dir.path().join("src/pipe.css"));
    fails_with(dir.path(), &[], &["src/pipe.css: it is a FIFO"]);

    let dir = app(
        "import './a.css';\n",
        &[("src/a.css", "@import './pipe.css';\n")],
    );
    mkfifo(&dir.path().join("src/pipe.css"));
    fails_with(dir.path(), &[], &["src/pipe.css: it is a FIFO"]);

    let dir = app("import './a.scss';\n", &[("src/a.scss", "@use 'part';\n")]);
    mkfifo(&dir.path().join("src/_part.scss"));
    fails_with(dir.path(), &[], &["src/_part.scss: it is a FIFO"]);

    let dir = app("import data from './pipe.json';\nconsole.log(data);\n", &[]);
    mkfifo(&dir.path().join("src/pipe.json"));
    fails_with(dir.path(), &[], &["src/pipe.json: it is a FIFO"]);

    let dir = app(
        "import './a.css';\n",
        &[("src/a.css", ".a { background: url(./pipe.png) }\n")],
    );
    mkfifo(&dir.path().join("src/pipe.png"));
    build_within(dir.path(), &[], LIMIT);

    let dir = app("console.log(1);\n", &[]);
    mkfifo(&dir.path().join(".env"));
    fails_with(dir.path(), &[], &["cannot read env file .env", "FIFO"]);
}

#[cfg(unix)]
#[test]
fn special_files_elsewhere_in_the_project_are_skipped_with_a_warning() {
    let dir = app("console.log(1);\n", &[]);
    mkfifo(&dir.path().join("notes/pipe.txt"));
    mkfifo(&dir.path().join("about.html"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.bin")).unwrap();
    let run = builds(dir.path());
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(output.contains("not regular files"), "{output}");
    assert!(
        output.contains("notes/pipe.txt") && output.contains("zero.bin"),
        "{output}"
    );
    // `about.html` is not a page unless `build.input` names it (as Vite): never opened.
    // Twice: the second build restores from the cache, whose fingerprint walks the files again.
    builds(dir.path());
}
