//! Sass through grass, with bounded time and memory.
//!
//! grass is synchronous and cannot be interrupted: `@while true {}` spins forever, a loop that
//! grows a list eats all memory, and `@mixin m { @include m; }` recurses until the stack
//! overflows and aborts the process. So when the CLI has said so ([`use_worker_processes`]),
//! every Sass compile runs in a child process (the `nexxo` binary re-run as
//! `nexxo __sass-worker`) whose address space is capped with `RLIMIT_AS` and which is killed
//! when it runs longer than the time limit. A runaway stylesheet then costs one short-lived
//! process, never a spinning thread in the dev server, and a crash of the compiler is this
//! stylesheet's error. Without workers (unit tests, other embedders) grass runs in-process.
//!
//! Protocol: the request (JSON: the file, its text when given rather than read, and the project
//! root) on the worker's stdin, the result (JSON: CSS and the files read, or an error with its
//! location) on its stdout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use nexxo_diagnostics::input::{
    check_nesting, ensure_regular_file, is_regular_file, special_file_error, Syntax,
};
use nexxo_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::relative_name;

/// The hidden subcommand that runs one Sass compile (see the module docs).
pub const WORKER_COMMAND: &str = "__sass-worker";

/// A compile running longer than this is stopped: no real stylesheet takes seconds (Bootstrap
/// compiles in a fraction of one).
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// The worker's address space, code and the compile thread's stack included.
const MEMORY_LIMIT_MIB: u64 = 2048;
/// The worker's compile thread: deep Sass nesting recurses in grass.
const WORKER_STACK_BYTES: usize = 256 << 20;

/// Environment variables that lower the limits, for tests of the limits themselves.
const TIME_LIMIT_ENV: &str = "NEXXO_SASS_TIME_LIMIT_MS";
const MEMORY_LIMIT_ENV: &str = "NEXXO_SASS_MEMORY_LIMIT_MIB";

static WORKER_EXECUTABLE: OnceLock<PathBuf> = OnceLock::new();

/// Runs every later Sass compile of this process in a worker process started as
/// `executable __sass-worker`; the executable must dispatch that command to [`worker_main`].
pub fn use_worker_processes(executable: PathBuf) {
    let _ = WORKER_EXECUTABLE.set(executable);
}

/// Compiled Sass: the CSS and every file read, with the content hash of the bytes read.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SassOutput {
    pub css: String,
    pub files: Vec<(PathBuf, String)>,
}

/// A Sass entry whose text is given instead of read from its path (a `<style lang="scss">`
/// block of a `.vue` file): `@use` and `@import` still resolve from the path's folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GivenSass {
    pub text: String,
    /// The indented syntax (`.sass`, `lang="sass"`) rather than SCSS.
    pub indented: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Request {
    path: PathBuf,
    #[serde(default)]
    given: Option<GivenSass>,
    root: PathBuf,
    /// The project's aliases, for `@use '@/styles/vars'` as in scripts.
    alias: Vec<(String, String)>,
}

/// A Sass error as it crosses the process boundary; the parent adds the code frame.
#[derive(Debug, Serialize, Deserialize)]
struct SassError {
    message: String,
    /// Absolute file, 1-based line and column.
    location: Option<(PathBuf, usize, usize)>,
}

impl SassError {
    /// The diagnostic, with the text of the file the error is in (the given text for the entry
    /// whose text was given).
    fn into_diagnostic(self, root: &Path, entry: &Path, given: Option<&GivenSass>) -> Diagnostic {
        match self.location {
            Some((file, line, column)) => Diagnostic::at(
                self.message,
                relative_name(root, &file),
                match given.filter(|_| file == entry) {
                    Some(given) => Some(given.text.clone()),
                    None => std::fs::read_to_string(&file).ok(),
                },
                line,
                column,
            ),
            None => Diagnostic::error(self.message),
        }
    }
}

/// Compiles the Sass file at `path`, or `given` text as that file (in a worker process when
/// the CLI enabled them).
pub(crate) fn compile(
    path: &Path,
    given: Option<&GivenSass>,
    root: &Path,
    alias: &[(String, String)],
) -> Result<SassOutput, Diagnostic> {
    let request = Request {
        path: path.to_path_buf(),
        given: given.cloned(),
        root: root.to_path_buf(),
        alias: alias.to_vec(),
    };
    let compiled = match WORKER_EXECUTABLE.get() {
        Some(executable) => compile_in_worker(executable, &request)?,
        None => compile_request(&request),
    };
    compiled.map_err(|error| error.into_diagnostic(root, path, given))
}

fn compile_request(request: &Request) -> Result<SassOutput, SassError> {
    compile_in_process(
        &request.path,
        request.given.as_ref(),
        &request.root,
        &request.alias,
    )
}

fn limit_from_env(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

/// The worker's answer, or why there is none (it ran too long, ran out of memory, crashed).
fn compile_in_worker(
    executable: &Path,
    request: &Request,
) -> Result<Result<SassOutput, SassError>, Diagnostic> {
    let shown = relative_name(&request.root, &request.path);
    let time_limit = limit_from_env(TIME_LIMIT_ENV).map_or(TIME_LIMIT, Duration::from_millis);
    let memory_limit_mib = limit_from_env(MEMORY_LIMIT_ENV).unwrap_or(MEMORY_LIMIT_MIB);
    let failed = |why: String| Diagnostic::error(format!("Sass compile of {shown} failed: {why}"));
    let mut child = Command::new(executable)
        .arg(WORKER_COMMAND)
        .env(MEMORY_LIMIT_ENV, memory_limit_mib.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| failed(format!("cannot start the Sass worker process: {err}")))?;
    let request = serde_json::to_vec(request).map_err(|err| failed(err.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that died at once shows in its exit status below.
        let _ = stdin.write_all(&request);
    }
    // Both pipes are drained on their own threads (a full pipe would stall the worker); the
    // end of stdout means the worker exited, or closed it to exit.
    let (done, finished) = std::sync::mpsc::channel();
    let mut stdout = child.stdout.take();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(stdout) = stdout.as_mut() {
            let _ = stdout.read_to_end(&mut bytes);
        }
        let _ = done.send(bytes);
    });
    let mut stderr = child.stderr.take();
    let stderr_text = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let Ok(response) = finished.recv_timeout(time_limit) else {
        // Killing the worker frees everything it held; the reader threads then end.
        let _ = child.kill();
        let _ = child.wait();
        return Err(Diagnostic::error(format!(
            "Sass compile of {shown} took longer than {} s; an endless @while or recursion?",
            time_limit.as_secs_f64()
        )));
    };
    let status = child.wait().map_err(|err| failed(err.to_string()))?;
    let stderr_text = stderr_text.join().unwrap_or_default();
    if let Ok(result) = serde_json::from_slice::<Result<SassOutput, SassError>>(&response) {
        return Ok(result);
    }
    Err(if stderr_text.contains("memory allocation of") {
        Diagnostic::error(format!(
            "Sass compile of {shown} used more than {memory_limit_mib} MiB; an endless @while or recursion?"
        ))
    } else if stderr_text.contains("overflowed its stack") {
        Diagnostic::error(format!(
            "Sass compile of {shown} ran out of stack: nesting too deep, or a mixin or function that calls itself without end"
        ))
    } else {
        failed(format!(
            "the Sass compiler stopped ({status}): {}",
            stderr_text.trim()
        ))
    })
}

/// The `nexxo __sass-worker` command: one compile from stdin to stdout, with the address space
/// capped first so a runaway compile fails its allocations instead of taking the machine's
/// memory. Returns the process exit code.
pub fn worker_main() -> i32 {
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        return 2;
    }
    let memory_limit_mib = limit_from_env(MEMORY_LIMIT_ENV).unwrap_or(MEMORY_LIMIT_MIB);
    limit_address_space(memory_limit_mib << 20);
    let Some(bytes) = answer_request(&input) else {
        return 2;
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&bytes)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return 2;
    }
    0
}

/// The worker's answer to one request (both JSON), compiled on a thread with a deep stack;
/// `None` when the request cannot be read.
fn answer_request(input: &[u8]) -> Option<Vec<u8>> {
    let request = serde_json::from_slice::<Request>(input).ok()?;
    let compiled = std::thread::Builder::new()
        .name("sass".into())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || compile_request(&request))
        .map_err(|err| SassError {
            message: format!("cannot start the compile thread: {err}"),
            location: None,
        })
        .and_then(|thread| {
            thread.join().unwrap_or_else(|panic| {
                Err(SassError {
                    message: format!(
                        "internal error in the Sass compiler: {}",
                        panic_text(panic.as_ref())
                    ),
                    location: None,
                })
            })
        });
    serde_json::to_vec(&compiled).ok()
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(unix)]
fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct passed by reference and changes only this process.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &limit);
    }
}

#[cfg(not(unix))]
fn limit_address_space(_bytes: u64) {}

/// grass's file access: refuses special files (a FIFO would block the read forever) and files
/// nested too deep for the compiler, and records every file it reads (partials, `@use`d
/// modules) with the content hash of the bytes read, so that watchers and cache entries know
/// what the compiled CSS depends on.
#[derive(Debug, Default)]
struct RecordingFs {
    /// Files are named relative to the project root in errors.
    root: PathBuf,
    read: Mutex<Vec<(PathBuf, String)>>,
    /// The first file refused, with its location: grass would only say that a read failed.
    refused: Mutex<Option<SassError>>,
    alias: Vec<(String, String)>,
    /// The entry whose text is given, with that text: returned instead of reading the disk,
    /// and not recorded (it is not a file's content).
    given: Option<(PathBuf, String)>,
}

impl RecordingFs {
    fn given_text(&self, path: &Path) -> Option<&str> {
        self.given
            .as_ref()
            .filter(|(given, _)| given == path)
            .map(|(_, text)| text.as_str())
    }

    /// Refuses a file nested deeper than grass can parse without overflowing its stack.
    fn check_nesting(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let Err(deep) = check_nesting(path, &String::from_utf8_lossy(bytes), Syntax::Stylesheet)
        else {
            return Ok(());
        };
        let location = deep
            .location
            .as_ref()
            .map(|l| (path.to_path_buf(), l.line, l.column));
        Err(self.refuse(SassError {
            message: format!("Sass error: {}", deep.message),
            location,
        }))
    }

    fn refuse(&self, error: SassError) -> std::io::Error {
        let message = error.message.clone();
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(error);
        std::io::Error::new(std::io::ErrorKind::InvalidData, message)
    }
}

impl grass::Fs for RecordingFs {
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        if self.given_text(path).is_some() || is_regular_file(path) {
            return true;
        }
        // A special file (a FIFO…) is refused here, by name: grass would report its read error
        // as a panic ("unable to get raw of IoError"), and "not found" would be wrong.
        if let Some(err) = special_file_error(path) {
            self.refuse(SassError {
                message: format!(
                    "Sass error: cannot read {}: {err}",
                    relative_name(&self.root, path)
                ),
                location: None,
            });
        }
        false
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        if let Some(text) = self.given_text(path) {
            let bytes = text.as_bytes().to_vec();
            self.check_nesting(path, &bytes)?;
            return Ok(with_aliases_applied(bytes, &self.alias));
        }
        if let Err(err) = ensure_regular_file(path) {
            return Err(self.refuse(SassError {
                message: format!(
                    "Sass error: cannot read {}: {err}",
                    relative_name(&self.root, path)
                ),
                location: None,
            }));
        }
        let bytes = std::fs::read(path)?;
        self.check_nesting(path, &bytes)?;
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_path_buf(), nexxo_cache::hash_hex(&[&bytes])));
        Ok(with_aliases_applied(bytes, &self.alias))
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// `@use`, `@forward` and `@import` URLs that an alias maps to a file path, rewritten to that
/// path (grass knows only relative and load-path URLs). Other bytes are left as read.
fn with_aliases_applied(bytes: Vec<u8>, alias: &[(String, String)]) -> Vec<u8> {
    static RULE_URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(@(?:use|forward|import)\s+)(['"])([^'"\n]+)(['"])"#)
            .expect("a valid pattern")
    });
    if alias.is_empty() {
        return bytes;
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bytes;
    };
    let rewritten = RULE_URL.replace_all(text, |found: &regex::Captures| {
        match nexxo_config::resolver::apply_alias(alias, &found[3])
            .filter(|target| Path::new(target).is_absolute())
        {
            Some(target) => format!("{}{}{target}{}", &found[1], &found[2], &found[4]),
            None => found[0].to_string(),
        }
    });
    match rewritten {
        std::borrow::Cow::Borrowed(_) => bytes,
        std::borrow::Cow::Owned(text) => text.into_bytes(),
    }
}

/// Compiles a Sass file (or `given` text as that file) to CSS with grass in this thread.
fn compile_in_process(
    path: &Path,
    given: Option<&GivenSass>,
    root: &Path,
    alias: &[(String, String)],
) -> Result<SassOutput, SassError> {
    // `@use 'bootstrap/scss/bootstrap'` resolves in every node_modules from the root upwards
    // (workspaces hoist packages).
    let load_paths: Vec<PathBuf> = root
        .ancestors()
        .map(|dir| dir.join("node_modules"))
        .filter(|dir| dir.is_dir())
        .collect();
    let fs = RecordingFs {
        root: root.to_path_buf(),
        alias: alias.to_vec(),
        given: given.map(|given| (path.to_path_buf(), given.text.clone())),
        ..RecordingFs::default()
    };
    let mut sass_options = grass::Options::default()
        .fs(&fs)
        .load_paths(&load_paths)
        .style(grass::OutputStyle::Expanded);
    if let Some(given) = given {
        // The path names the file the text came from (`App.vue`), not its syntax.
        sass_options = sass_options.input_syntax(if given.indented {
            grass::InputSyntax::Sass
        } else {
            grass::InputSyntax::Scss
        });
    }
    // Given text is compiled through the same path as a file (the `Fs` returns the text for
    // it), so relative `@use`s resolve from its folder and errors name it.
    // grass panics on a read error of an imported file; the refusal recorded says why.
    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        grass::from_path(path, &sass_options)
    }));
    let refused = fs.refused.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(refused) = refused {
        return Err(refused);
    }
    let compiled = compiled.map_err(|panic| SassError {
        message: format!(
            "internal error in the Sass compiler: {}",
            panic_text(panic.as_ref())
        ),
        location: None,
    })?;
    let css = compiled.map_err(|err| {
        let rendered = err.to_string();
        match (*err).clone().kind() {
            grass::ErrorKind::ParseError { message, loc, .. } => SassError {
                message: format!("Sass error: {message}"),
                location: Some((
                    PathBuf::from(loc.file.name()),
                    loc.begin.line + 1,
                    loc.begin.column + 1,
                )),
            },
            _ => SassError {
                message: format!("Sass error: {rendered}"),
                location: None,
            },
        }
    })?;
    let files = fs.read.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(SassOutput { css, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_apply_to_use_forward_and_import() {
        let dir = tempfile::tempdir().unwrap();
        let styles = dir.path().join("src/styles");
        std::fs::create_dir_all(&styles).unwrap();
        std::fs::write(styles.join("_vars.scss"), "$brand: rgb(7, 8, 9);\n").unwrap();
        let file = dir.path().join("src/app.scss");
        std::fs::write(&file, "@use '@/styles/vars';\n.a { color: vars.$brand; }\n").unwrap();
        let alias = [(
            "@".to_string(),
            dir.path().join("src").display().to_string(),
        )];
        let compiled = compile_in_process(&file, None, dir.path(), &alias).unwrap();
        assert!(compiled.css.contains("rgb(7, 8, 9)"), "{}", compiled.css);
        // Not an alias: left as written (`@scope/pkg` is a package).
        let kept = with_aliases_applied(b"@import '@scope/pkg/x';".to_vec(), &alias);
        assert_eq!(kept, b"@import '@scope/pkg/x';");
    }

    #[test]
    fn the_worker_compiles_given_text_as_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        let vars = src.join("_vars.scss");
        std::fs::write(&vars, "$brand: rgb(7, 8, 9);\n").unwrap();
        // What `compile_in_worker` writes and `worker_main` answers, minus the process.
        let request = serde_json::to_vec(&Request {
            path: src.join("App.vue"),
            given: Some(GivenSass {
                text: "@use 'vars'\n.a\n  color: vars.$brand\n".into(),
                indented: true,
            }),
            root: dir.path().to_path_buf(),
            alias: Vec::new(),
        })
        .unwrap();
        let answer = answer_request(&request).unwrap();
        let compiled = serde_json::from_slice::<Result<SassOutput, SassError>>(&answer)
            .unwrap()
            .unwrap();
        assert!(compiled.css.contains("rgb(7, 8, 9)"), "{}", compiled.css);
        assert_eq!(compiled.files.len(), 1);
        assert_eq!(compiled.files[0].0, vars);
    }

    #[test]
    fn errors_in_given_text_carry_that_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("App.vue");
        let given = GivenSass {
            text: ".a {\n  color: $missing;\n}\n".into(),
            indented: false,
        };
        let error = compile(&path, Some(&given), dir.path(), &[]).unwrap_err();
        let location = error.location.as_deref().unwrap();
        assert_eq!(location.file, Path::new("App.vue"));
        assert_eq!((location.line, location.column), (2, 10));
        assert_eq!(location.source.as_deref(), Some(given.text.as_str()));
    }

    #[test]
    fn deeply_nested_sass_is_refused_at_the_place_the_limit_is_crossed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deep.scss");
        let source = format!(".top {{}}\n{}", ".a {".repeat(150));
        std::fs::write(&file, source).unwrap();
        let error = compile_in_process(&file, None, dir.path(), &[]).unwrap_err();
        assert!(
            error.message.contains("nesting deeper than 100 levels"),
            "{error:?}"
        );
        assert_eq!(error.location, Some((file, 2, 100 * 4 + 4)));
    }

    #[test]
    fn a_deeply_nested_partial_is_refused_with_its_location() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("_deep.scss"), ".a {".repeat(150)).unwrap();
        let file = dir.path().join("main.scss");
        std::fs::write(&file, "@use 'deep';\n").unwrap();
        let error = compile_in_process(&file, None, dir.path(), &[]).unwrap_err();
        assert!(
            error.message.contains("nesting deeper than 100 levels"),
            "{error:?}"
        );
        assert_eq!(
            error.location,
            Some((dir.path().join("_deep.scss"), 1, 100 * 4 + 4))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_partial_that_is_a_device_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("_zero.scss")).unwrap();
        let file = dir.path().join("main.scss");
        std::fs::write(&file, "@use 'zero';\n.a { color: red }\n").unwrap();
        let error = compile_in_process(&file, None, dir.path(), &[]).unwrap_err();
        assert!(error.message.contains("character device"), "{error:?}");
    }
}
