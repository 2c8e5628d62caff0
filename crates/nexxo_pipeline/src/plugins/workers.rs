//! Web workers as in Vite: `new Worker(new URL('./w.ts', import.meta.url), { type: 'module' })`
//! (and `SharedWorker`, and classic workers without `type`), and the imports `./w?worker`,
//! `?sharedworker`, `?worker&inline`, `?worker&url`.
//!
//! The worker's script is the host's business ([`ModuleHost::worker_script`]): in the build a
//! bundle of its own (a nested rolldown build of the worker's entry with these same plugins),
//! in dev a route serving the worker's modules in one script. This plugin only finds the
//! workers and writes the code that starts them:
//!
//! - the transform puts the script's URL in place of the path inside `new URL(…)`, so the page
//!   starts the bundle instead of the source file;
//! - the load hook makes `?worker` modules: the default export is a constructor
//!   (`new MyWorker({ name })`), or the URL string with `&url`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use nexxo_diagnostics::Diagnostic;
use regex::Regex;

use crate::host::{ModuleHost, WorkerType};
use crate::ids::{has_query_flag, js_string, split_query};
use crate::plugin::{
    HookFilter, Hooks, LoadArgs, LoadedModule, Plugin, TransformArgs, Transformed,
};

/// `new Worker(new URL('./w.ts', import.meta.url)` or `new SharedWorker(…` with either quote;
/// `Shared` is group 1, the path group 2 or 3.
static WORKER_NEW_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bnew\s+(Shared)?Worker\s*\(\s*new\s+URL\s*\(\s*(?:'([^'\n]+)'|"([^"\n]+)")\s*,\s*import\.meta\.url\s*\)"#,
    )
    .expect("a valid pattern")
});

/// The options object right after the URL: `, { type: 'module', name: 'x' }` (group 1: its
/// inside). Vite, too, reads only static options.
static WORKER_OPTIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*,\s*\{([^{}]*)\}").expect("a valid pattern"));

static MODULE_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\btype\s*:\s*(?:'module'|"module"|`module`)"#).expect("a valid pattern")
});

#[derive(Debug, Default)]
pub struct Workers;

impl Plugin for Workers {
    fn name(&self) -> &str {
        "nexxo:workers"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            load: Some(HookFilter::query_flags(&["worker", "sharedworker"])),
            transform: Some(HookFilter::scripts().with_code("Worker")),
            ..Hooks::default()
        }
    }

    fn load(
        &self,
        args: &LoadArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let (path, query) = split_query(args.id);
        let path = Path::new(path);
        if !nexxo_diagnostics::input::is_regular_file(path) {
            return Err(Diagnostic::error(format!(
                "cannot find the worker script {}",
                path.display()
            )));
        }
        let shared = has_query_flag(query, "sharedworker");
        let inline = has_query_flag(query, "inline");
        let script = host.worker_script(path, None, inline)?;
        let code = if has_query_flag(query, "url") {
            format!("export default {};\n", script.url)
        } else {
            let constructor = if shared { "SharedWorker" } else { "Worker" };
            let worker_type = match script.worker_type {
                WorkerType::Module => "type: \"module\", ",
                WorkerType::Classic => "",
            };
            format!(
                "export default function WorkerWrapper(options) {{\n  return new {constructor}({}, {{ {worker_type}name: options?.name }});\n}}\n",
                script.url
            )
        };
        Ok(Some(LoadedModule::js(code, vec![path.to_path_buf()])))
    }

    fn transform(
        &self,
        args: &TransformArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let importer = Path::new(split_query(args.id).0);
        let Some(folder) = importer.parent().filter(|f| f.is_absolute()) else {
            return Ok(None);
        };
        let mut code = string_wizard::MagicString::new(args.code);
        let mut files = Vec::new();
        for found in WORKER_NEW_URL.captures_iter(args.code) {
            let Some(literal) = found.get(2).or_else(|| found.get(3)) else {
                continue;
            };
            let Some(entry) = worker_entry(folder, importer, literal.as_str(), host) else {
                // Not a file of the project (a URL, a missing file): left as written, as Vite
                // leaves what it cannot resolve; the browser reports it.
                continue;
            };
            let whole = found.get(0).expect("the whole match");
            let options = WORKER_OPTIONS
                .captures(&args.code[whole.end()..])
                .and_then(|options| options.get(1))
                .map_or("", |inside| inside.as_str());
            let requested = if MODULE_TYPE.is_match(options) {
                WorkerType::Module
            } else {
                WorkerType::Classic
            };
            let script = host
                .worker_script(&entry, Some(requested), false)
                .map_err(|error| located(error, args, literal.start()))?;
            // The literal with its quotes.
            code.update(
                literal.start() as u32 - 1,
                literal.end() as u32 + 1,
                script.url,
            )
            .map_err(|err| Diagnostic::error(format!("{}: {err}", importer.display())))?;
            files.push(entry);
        }
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(Transformed::edited(&code, args.id, files)))
    }
}

/// The worker's entry file for the path written in `new URL(…)`: relative to the importer, or
/// whatever the project's resolution rules make of it (an alias, `/src/…`).
fn worker_entry(
    folder: &Path,
    importer: &Path,
    written: &str,
    host: &dyn ModuleHost,
) -> Option<PathBuf> {
    let file = written.split(['?', '#']).next().unwrap_or_default();
    if file.is_empty() || file.contains("://") || file.starts_with("data:") {
        return None;
    }
    if file.starts_with("./") || file.starts_with("../") {
        // `components` drops the `./` the join leaves in the middle.
        let path: PathBuf = folder.join(file).components().collect();
        return nexxo_diagnostics::input::is_regular_file(&path).then_some(path);
    }
    host.resolve(file, importer)
}

/// A host error with the place in the importer it came from (an error already rendered, the
/// worker's own build errors, says where it is itself).
fn located(error: Diagnostic, args: &TransformArgs, offset: usize) -> Diagnostic {
    if error.location.is_some() || error.rendered.is_some() {
        return error;
    }
    let file = split_query(args.id).0;
    Diagnostic::at_offset(error.message, file, args.code, offset)
}

/// Whether a module id is a worker import (`?worker`, `?sharedworker`).
pub fn is_worker_import(id: &str) -> bool {
    let (_, query) = split_query(id);
    has_query_flag(query, "worker") || has_query_flag(query, "sharedworker")
}

/// The JS code that turns `code` (a worker bundle) into a `blob:` URL when it runs.
pub fn inline_worker_url(code: &str) -> String {
    format!(
        "URL.createObjectURL(new Blob([{}], {{ type: \"text/javascript\" }}))",
        js_string(code)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::host::WorkerScript;
    use crate::plugin::{Environment, Lang};

    /// Answers `"/w/<file name>"` and records what was asked.
    #[derive(Default)]
    struct RecordingHost {
        asked: Mutex<Vec<(PathBuf, Option<WorkerType>, bool)>>,
    }

    impl ModuleHost for RecordingHost {
        fn asset_url_expression(&self, _: &Path, _: Vec<u8>) -> Result<String, Diagnostic> {
            unreachable!()
        }
        fn css_asset_url(&self, _: &Path, _: Vec<u8>) -> Option<String> {
            None
        }
        fn public_url(&self, name: &str) -> String {
            name.into()
        }
        fn stylesheet_url_expression(&self, _: &Path, _: String) -> Result<String, Diagnostic> {
            unreachable!()
        }
        fn take_stylesheet(&self, _: &str, _: String, _: Option<String>, _: bool) -> String {
            String::new()
        }
        fn resolve(&self, specifier: &str, _: &Path) -> Option<PathBuf> {
            specifier
                .strip_prefix("@/")
                .map(|rest| PathBuf::from(format!("/aliased/{rest}")))
        }
        fn worker_script(
            &self,
            entry: &Path,
            requested: Option<WorkerType>,
            inline: bool,
        ) -> Result<WorkerScript, Diagnostic> {
            self.asked
                .lock()
                .unwrap()
                .push((entry.to_path_buf(), requested, inline));
            let name = entry.file_name().unwrap().to_string_lossy();
            Ok(WorkerScript {
                url: js_string(&format!("/w/{name}")),
                worker_type: requested.unwrap_or(WorkerType::Module),
            })
        }
    }

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("w.ts"), "self.onmessage = () => {};").unwrap();
        std::fs::write(dir.path().join("classic.js"), "onmessage = () => {};").unwrap();
        dir
    }

    fn transform(dir: &Path, code: &str, host: &RecordingHost) -> Option<Transformed> {
        let id = dir.join("main.ts").display().to_string();
        Workers
            .transform(
                &TransformArgs {
                    id: &id,
                    code,
                    lang: Lang::Ts,
                    environment: Environment::Page,
                },
                host,
            )
            .unwrap()
    }

    #[test]
    fn worker_constructors_get_the_script_url_and_their_type() {
        let dir = project();
        let host = RecordingHost::default();
        let code =
            "const a = new Worker(new URL('./w.ts', import.meta.url), { type: 'module' });\n\
                    const b = new SharedWorker(new URL(\"./classic.js\", import.meta.url));\n\
                    const c = new Worker(new URL('./missing.js', import.meta.url));\n\
                    const d = new URL('./w.ts', import.meta.url);\n";
        let out = transform(dir.path(), code, &host).unwrap();
        assert!(
            out.code
                .contains("new Worker(new URL(\"/w/w.ts\", import.meta.url), { type: 'module' })"),
            "{}",
            out.code
        );
        assert!(
            out.code
                .contains("new SharedWorker(new URL(\"/w/classic.js\", import.meta.url))"),
            "{}",
            out.code
        );
        // A missing file and a plain `new URL` are not this plugin's.
        assert!(out
            .code
            .contains("new URL('./missing.js', import.meta.url)"));
        assert!(out
            .code
            .contains("const d = new URL('./w.ts', import.meta.url)"));
        assert_eq!(
            *host.asked.lock().unwrap(),
            vec![
                (dir.path().join("w.ts"), Some(WorkerType::Module), false),
                (
                    dir.path().join("classic.js"),
                    Some(WorkerType::Classic),
                    false
                ),
            ]
        );
        assert_eq!(
            out.files,
            vec![dir.path().join("w.ts"), dir.path().join("classic.js")]
        );
        assert!(out.map.is_some());
    }

    #[test]
    fn aliased_entries_resolve_with_the_project_rules() {
        let dir = project();
        let host = RecordingHost::default();
        let out = transform(
            dir.path(),
            "new Worker(new URL('@/x.ts', import.meta.url), {type:\"module\", name: 'x'})",
            &host,
        )
        .unwrap();
        assert_eq!(
            out.code,
            "new Worker(new URL(\"/w/x.ts\", import.meta.url), {type:\"module\", name: 'x'})"
        );
        assert!(transform(dir.path(), "new Worker('./w.ts')", &host).is_none());
    }

    fn load(id: &str, host: &RecordingHost) -> Result<String, Diagnostic> {
        Workers
            .load(
                &LoadArgs {
                    id,
                    environment: Environment::Page,
                },
                host,
            )
            .map(|loaded| loaded.unwrap().code)
    }

    #[test]
    fn worker_imports_export_a_constructor_or_the_url() {
        let dir = project();
        let host = RecordingHost::default();
        let entry = dir.path().join("w.ts").display().to_string();
        let worker = load(&format!("{entry}?worker"), &host).unwrap();
        assert!(
            worker.contains(
                "return new Worker(\"/w/w.ts\", { type: \"module\", name: options?.name });"
            ),
            "{worker}"
        );
        let shared = load(&format!("{entry}?sharedworker&inline"), &host).unwrap();
        assert!(shared.contains("new SharedWorker(\"/w/w.ts\""), "{shared}");
        assert_eq!(
            load(&format!("{entry}?worker&url"), &host).unwrap(),
            "export default \"/w/w.ts\";\n"
        );
        assert_eq!(
            host.asked
                .lock()
                .unwrap()
                .iter()
                .map(|a| a.2)
                .collect::<Vec<_>>(),
            vec![false, true, false]
        );
        let missing = load(
            &format!("{}?worker", dir.path().join("no.ts").display()),
            &host,
        );
        assert!(missing
            .unwrap_err()
            .message
            .contains("cannot find the worker script"));
    }

    #[test]
    fn worker_queries_are_recognised_by_flag() {
        assert!(is_worker_import("/a/w.ts?worker&inline"));
        assert!(is_worker_import("/a/w.ts?sharedworker"));
        assert!(!is_worker_import("/a/w.ts?workers"));
        assert!(inline_worker_url("a\"b").starts_with("URL.createObjectURL(new Blob([\"a\\\"b\"]"));
    }
}
