//! Angular apps: the project's TypeScript compiled ahead of time by the project's own
//! `@angular/compiler-cli` in the Node helper (templates, `templateUrl`, styles, decorators),
//! packages shipped partially compiled linked by its Babel linker, and the index page given
//! the entry and global styles `angular.json` names.
//!
//! The Angular compile is whole-program (one TypeScript program over the tsconfig's files,
//! type-checked templates included), unlike the per-file compilers of the other frameworks:
//! the first module transformed compiles the program in a helper of its own, later modules
//! read the emitted files, and a module whose source or template changed since (dev) has the
//! helper compile again from its previous program, which only redoes what the edit touches.
//! Results are not kept in the persistent cache: one file's output depends on the others'.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexxo_config::AngularProject;
use nexxo_css::{StylesheetLang, StylesheetSource};
use nexxo_diagnostics::Diagnostic;
use nexxo_node::NodeOptions;
use nexxo_pipeline::plugins::StylesheetModules;
use nexxo_pipeline::{HookFilter, Hooks, Lang, ModuleHost, Plugin, TransformArgs, Transformed};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::compilers::NodeCompilers;
use crate::FrameworkMode;

/// How long one whole-program compile may take before its helper is replaced (a large app's
/// first type-check takes tens of seconds).
const COMPILE_TIMEOUT: Duration = Duration::from_secs(600);

/// One emitted file of the program, as the helper sends it.
#[derive(Debug, Clone, Deserialize)]
struct EmittedFile {
    code: String,
    map: Option<String>,
    /// SHA-256 of the TypeScript text compiled (the replacement's, for a replaced file).
    hash: String,
    /// Templates and stylesheets the file's components read, with the hash of what was read.
    resources: Vec<Resource>,
    /// The code is still TypeScript (only Angular's transforms ran; no source map wanted), for
    /// oxc to strip.
    #[serde(default)]
    typescript: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct Resource {
    file: PathBuf,
    hash: Option<String>,
}

/// A TypeScript or Angular template diagnostic (1-based positions).
#[derive(Debug, Clone, Deserialize)]
struct CompileDiagnostic {
    message: String,
    error: bool,
    file: Option<PathBuf>,
    line: Option<usize>,
    column: Option<usize>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CompileReply {
    files: HashMap<PathBuf, EmittedFile>,
    diagnostics: Vec<CompileDiagnostic>,
    #[serde(default, rename = "componentUpdates")]
    component_updates: HashMap<String, String>,
}

/// What the stylesheet callbacks of one compile found: the files each component's styles
/// read (for watching) with the hash of the bytes read, and the first error.
#[derive(Default)]
struct StyleReads {
    files: HashMap<PathBuf, Vec<(PathBuf, String)>>,
    error: Option<Diagnostic>,
}

/// The program's state on the Rust side: every emitted file so far and the last compile's
/// diagnostics.
#[derive(Default)]
struct Program {
    compiled: bool,
    files: HashMap<PathBuf, EmittedFile>,
    style_files: HashMap<PathBuf, Vec<(PathBuf, String)>>,
    diagnostics: Vec<CompileDiagnostic>,
    /// Files asked for that the program does not hold, after a compile that looked again.
    outside: HashSet<PathBuf>,
    /// Template replacement modules, by Angular's component id (the latest of each).
    component_updates: HashMap<String, String>,
    /// The components the last compile made replacements for, until the dev server takes them.
    fresh_updates: Vec<String>,
}

/// The whole-program Angular compile of one build or dev session.
pub struct AngularCompiler {
    project: AngularProject,
    /// A pool of one helper: the program lives in it between compiles.
    node: NodeCompilers,
    stylesheets: Arc<StylesheetModules>,
    mode: FrameworkMode,
    /// Whether modules need source maps (dev, or `build.sourcemap`).
    sourcemap: bool,
    program: Mutex<Program>,
}

impl AngularCompiler {
    pub fn new(
        root: &Path,
        project: AngularProject,
        stylesheets: Arc<StylesheetModules>,
        mode: FrameworkMode,
    ) -> Self {
        let sourcemap = !mode.production || stylesheets.options.sourcemap;
        let options = NodeOptions {
            max_helpers: 1,
            request_timeout: COMPILE_TIMEOUT,
            cwd: Some(root.to_path_buf()),
            ..NodeOptions::new("the Angular compiler")
        };
        Self {
            project,
            node: NodeCompilers::with_options(root, options, None),
            stylesheets,
            mode,
            sourcemap,
            program: Mutex::new(Program::default()),
        }
    }

    /// The emitted JavaScript of `path` (a project TypeScript file), compiling the program
    /// first when it was not, or when `source` (the file's text) or one of its templates or
    /// stylesheets changed since. `None`: the file is not part of the program.
    fn emitted(
        &self,
        path: &Path,
        source: &str,
        host: &dyn ModuleHost,
    ) -> Result<Option<(EmittedFile, Vec<PathBuf>)>, Diagnostic> {
        let mut program = self.program.lock().unwrap_or_else(|e| e.into_inner());
        let modified = match program.files.get(path) {
            _ if !program.compiled => Some(Vec::new()),
            Some(file) => {
                let changed = changed_inputs(path, source, file, program.style_files.get(path));
                (!changed.is_empty()).then_some(changed)
            }
            // A file created after the compile (the tsconfig's globs may now include it).
            None if !program.outside.contains(path) => Some(vec![path.to_path_buf()]),
            None => None,
        };
        if let Some(modified) = modified {
            self.compile(&mut program, modified, host)?;
            if !program.files.contains_key(path) {
                program.outside.insert(path.to_path_buf());
            }
        }
        self.check_diagnostics(&program, path, host)?;
        Ok(program.files.get(path).map(|file| {
            let mut files: Vec<PathBuf> = file.resources.iter().map(|r| r.file.clone()).collect();
            files.extend(
                program
                    .style_files
                    .get(path)
                    .into_iter()
                    .flatten()
                    .map(|(file, _)| file.clone()),
            );
            (file.clone(), files)
        }))
    }

    fn compile(
        &self,
        program: &mut Program,
        modified: Vec<PathBuf>,
        host: &dyn ModuleHost,
    ) -> Result<(), Diagnostic> {
        let mut args = Map::new();
        args.insert("tsconfig".into(), json!(self.project.tsconfig));
        let replacements: Map<String, Value> = self
            .project
            .file_replacements
            .iter()
            .map(|(replace, with)| (replace.to_string_lossy().into_owned(), json!(with)))
            .collect();
        args.insert("replacements".into(), Value::Object(replacements));
        args.insert("hmr".into(), json!(self.mode.hmr));
        args.insert("sourcemap".into(), json!(self.sourcemap));
        args.insert("modified".into(), json!(modified));
        let reads = Mutex::new(StyleReads::default());
        let callbacks = |method: &str, args: &Value| -> Result<Value, String> {
            match method {
                "angular.style" => self.component_style(args, host, &reads),
                other => Err(format!("the Angular compile asks no `{other}` questions")),
            }
        };
        let reply = self
            .node
            .run_with_callbacks("angular.compile", args, &callbacks);
        let reads = reads.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(error) = reads.error {
            return Err(error);
        }
        let reply: CompileReply = serde_json::from_value(reply?).map_err(|error| {
            Diagnostic::error(format!("the Angular compile's reply is malformed: {error}"))
        })?;
        program.compiled = true;
        program.outside.clear();
        program.files.extend(reply.files);
        program.style_files.extend(reads.files);
        program.diagnostics = reply.diagnostics;
        let mut fresh: Vec<String> = reply.component_updates.keys().cloned().collect();
        fresh.sort();
        program.fresh_updates = fresh;
        program.component_updates.extend(reply.component_updates);
        Ok(())
    }

    /// A component's stylesheet (its `styleUrl` file, or inline `styles` in the language
    /// `inlineStyleLanguage` names) through Nexxo's CSS stage, as asked by the compile.
    fn component_style(
        &self,
        args: &Value,
        host: &dyn ModuleHost,
        reads: &Mutex<StyleReads>,
    ) -> Result<Value, String> {
        let text = args["text"].as_str().unwrap_or_default().to_string();
        let containing = PathBuf::from(args["containingFile"].as_str().unwrap_or_default());
        let resource = args["resourceFile"].as_str().map(PathBuf::from);
        let (path, lang) = match &resource {
            Some(file) => {
                let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("css");
                (
                    file.clone(),
                    StylesheetLang::from_extension(extension).unwrap_or(StylesheetLang::Css),
                )
            }
            None => (
                containing.clone(),
                StylesheetLang::from_extension(&self.project.inline_style_language)
                    .unwrap_or(StylesheetLang::Css),
            ),
        };
        let source = StylesheetSource {
            path,
            text,
            lang,
            css_module: false,
            line_offset: 0,
        };
        let compiled =
            nexxo_css::compile_stylesheet_source_hashing_reads(&source, &self.stylesheets.options);
        let mut reads = reads.lock().unwrap_or_else(|e| e.into_inner());
        match compiled {
            Ok((compiled, hashed)) => {
                reads.files.entry(containing).or_default().extend(
                    hashed
                        .into_iter()
                        .filter(|(file, _)| Some(file) != resource.as_ref()),
                );
                Ok(json!({ "css": self.stylesheets.resolve_urls(&compiled, host) }))
            }
            Err(error) => {
                let message = error.message.clone();
                reads.error.get_or_insert(error);
                Err(message)
            }
        }
    }

    /// Fails the module `path` with the first error the last compile found in it or in one of
    /// its templates (or in no file: tsconfig options); warnings go to the host.
    fn check_diagnostics(
        &self,
        program: &Program,
        path: &Path,
        host: &dyn ModuleHost,
    ) -> Result<(), Diagnostic> {
        let resources: Vec<&Path> = program
            .files
            .get(path)
            .map(|file| file.resources.iter().map(|r| r.file.as_path()).collect())
            .unwrap_or_default();
        let concerns = |diagnostic: &CompileDiagnostic| match &diagnostic.file {
            None => true,
            Some(file) => file == path || resources.contains(&file.as_path()),
        };
        for diagnostic in program.diagnostics.iter().filter(|d| concerns(d)) {
            let shown = self.diagnostic(diagnostic);
            if diagnostic.error {
                return Err(shown);
            }
            host.warn(shown);
        }
        Ok(())
    }

    fn diagnostic(&self, diagnostic: &CompileDiagnostic) -> Diagnostic {
        let root = self.node.root();
        match (&diagnostic.file, diagnostic.line) {
            (Some(file), Some(line)) => Diagnostic::at(
                diagnostic.message.clone(),
                file.strip_prefix(root).unwrap_or(file.as_path()),
                diagnostic.source.clone(),
                line,
                diagnostic.column.unwrap_or(1),
            ),
            (Some(file), None) => Diagnostic::error(format!(
                "{}: {}",
                nexxo_css::relative_name(root, file),
                diagnostic.message
            )),
            (None, _) => Diagnostic::error(diagnostic.message.clone()),
        }
    }

    /// The replacement module Angular's runtime asks for by component `id`
    /// (`@ng/component?c=<id>`), if an edit made one.
    pub fn component_update(&self, id: &str) -> Option<String> {
        let program = self.program.lock().unwrap_or_else(|e| e.into_inner());
        program.component_updates.get(id).cloned()
    }

    /// The program's files whose components read `file` (a template or stylesheet, or a file
    /// their styles `@use`).
    fn files_using(&self, file: &Path) -> Vec<String> {
        let program = self.program.lock().unwrap_or_else(|e| e.into_inner());
        let mut users: Vec<String> = program
            .files
            .iter()
            .filter(|(path, emitted)| {
                emitted.resources.iter().any(|r| r.file == file)
                    || program
                        .style_files
                        .get(*path)
                        .is_some_and(|reads| reads.iter().any(|(read, _)| read == file))
            })
            .map(|(path, _)| path.to_string_lossy().into_owned())
            .collect();
        users.sort();
        users
    }

    /// The ids of the components the last compile made replacements for, once: the dev
    /// server tells the pages about them after that compile only.
    pub fn take_updated_components(&self) -> Vec<String> {
        let mut program = self.program.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut program.fresh_updates)
    }
}

/// The inputs of `path`'s last compile that differ now: the file itself (its `source`), its
/// templates and stylesheets, and the files its styles `@use`d.
fn changed_inputs(
    path: &Path,
    source: &str,
    file: &EmittedFile,
    style_files: Option<&Vec<(PathBuf, String)>>,
) -> Vec<PathBuf> {
    let mut changed = Vec::new();
    if sha256_hex(source.as_bytes()) != file.hash {
        changed.push(path.to_path_buf());
    }
    for resource in &file.resources {
        let now = std::fs::read(&resource.file).ok();
        if now.map(|bytes| sha256_hex(&bytes)) != resource.hash {
            changed.push(resource.file.clone());
        }
    }
    for (style_file, hash) in style_files.into_iter().flatten() {
        let now = std::fs::read(style_file).ok();
        if now.map(|bytes| nexxo_cache::hash_hex(&[&bytes])).as_ref() != Some(hash) {
            // The component's stylesheet is what Angular reads again.
            changed.extend(file.resources.iter().map(|r| r.file.clone()));
            changed.push(path.to_path_buf());
        }
    }
    changed.sort();
    changed.dedup();
    changed
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The project's TypeScript files: the Angular compiler's output replaces oxc's TypeScript
/// transform for the files of the program.
pub struct AngularComponents {
    compiler: Arc<AngularCompiler>,
}

impl AngularComponents {
    pub fn new(compiler: Arc<AngularCompiler>) -> Self {
        Self { compiler }
    }
}

impl Plugin for AngularComponents {
    fn name(&self) -> &str {
        "nexxo:angular"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(HookFilter::extensions(&["ts", "mts"]).without_packages()),
            transform_html: true,
            hot_update: true,
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let path = Path::new(nexxo_pipeline::ids::split_query(args.id).0);
        if path.to_string_lossy().ends_with(".d.ts") {
            return Ok(None);
        }
        // A replaced file is compiled from its replacement's text.
        let replacement = self.compiler.project.replacement_of(path);
        let source = match replacement {
            Some(with) => {
                nexxo_diagnostics::input::read_regular_to_string(with).map_err(|error| {
                    Diagnostic::error(format!(
                        "cannot read the file replacement {}: {error}",
                        with.display()
                    ))
                })?
            }
            None => args.code.to_string(),
        };
        let Some((emitted, mut files)) = self.compiler.emitted(path, &source, host)? else {
            return Ok(None);
        };
        files.extend(replacement.map(Path::to_path_buf));
        Ok(Some(Transformed {
            code: emitted.code,
            map: emitted.map.map(|map| map_for(&map, path)),
            files,
            lang: Some(if emitted.typescript {
                Lang::Ts
            } else {
                Lang::Js
            }),
        }))
    }

    /// A template or stylesheet whose component failed to compile (its module then lists no
    /// files but its own) names that component again, so fixing it compiles it again.
    fn hot_update(&self, file: &Path, _change: nexxo_pipeline::FileChange) -> Vec<String> {
        self.compiler.files_using(file)
    }

    /// The index page gets what `ng build` injects: the global styles, the entry script and
    /// the `<base href>`.
    fn transform_html(&self, html: &str, path: &Path) -> Result<Option<String>, Diagnostic> {
        let project = &self.compiler.project;
        if path != project.index {
            return Ok(None);
        }
        let root = self.compiler.node.root();
        let url = |file: &Path| format!("/{}", nexxo_css::relative_name(root, file));
        let mut head = String::new();
        for style in &project.styles {
            head.push_str(&format!(
                "<link rel=\"stylesheet\" href=\"{}\">\n",
                url(style)
            ));
        }
        let body = format!(
            "<script type=\"module\" src=\"{}\"></script>\n",
            url(&project.entry)
        );
        Ok(Some(inject_into_page(
            html,
            &head,
            &body,
            project.base_href.as_deref(),
        )))
    }
}

/// `html` with `head` before `</head>`, `body` before `</body>` (or at the end) and the
/// `<base href>` set to `base_href` when given.
fn inject_into_page(html: &str, head: &str, body: &str, base_href: Option<&str>) -> String {
    let mut page = html.to_string();
    if let Some(base_href) = base_href {
        let tag = format!("<base href=\"{base_href}\">");
        let existing = regex::Regex::new(r#"(?i)<base\s[^>]*>"#).expect("a valid pattern");
        page = if existing.is_match(&page) {
            existing.replace(&page, regex::NoExpand(&tag)).into_owned()
        } else {
            insert_before(&page, "</head>", &format!("{tag}\n"))
        };
    }
    let page = insert_before(&page, "</head>", head);
    insert_before(&page, "</body>", body)
}

/// `text` with `insert` before the first `marker` (case-insensitive), else at the end.
fn insert_before(text: &str, marker: &str, insert: &str) -> String {
    match text.to_ascii_lowercase().find(marker) {
        Some(at) => format!("{}{insert}{}", &text[..at], &text[at..]),
        None => format!("{text}{insert}"),
    }
}

/// TypeScript's map names the file by its base name; the pipeline wants the module's path.
fn map_for(map: &str, path: &Path) -> String {
    match serde_json::from_str::<Value>(map) {
        Ok(mut parsed) => {
            parsed["sources"] = json!([path]);
            parsed["sourceRoot"] = json!("");
            parsed.to_string()
        }
        Err(_) => map.to_string(),
    }
}

/// Package files, in the Angular CLI's passes (results cached by content): those built with
/// Angular's partial compilation (`ɵɵngDeclareComponent` and friends) linked to full
/// definitions by `@angular/compiler-cli/linker/babel`, and in production builds every package
/// file given the CLI's Babel size passes (from the project's `@angular/build`: pure
/// annotations on top-level calls, classes with static members and enums wrapped so the
/// bundler can drop them unused, class metadata removed).
pub struct AngularLinker {
    compilers: Arc<NodeCompilers>,
    optimize: bool,
}

impl AngularLinker {
    /// `optimize`: run the size passes too (production builds).
    pub fn new(compilers: Arc<NodeCompilers>, optimize: bool) -> Self {
        Self {
            compilers,
            optimize,
        }
    }

    /// The package file `path` after the passes it needs, or `None` when it needs none.
    pub fn link(&self, path: &str, code: &str) -> Result<Option<String>, Diagnostic> {
        let link = needs_linking(path, code);
        let optimize = self.optimize && nexxo_pipeline::ids::is_in_package(path);
        if !link && !optimize {
            return Ok(None);
        }
        let mut args = Map::new();
        args.insert("filename".into(), json!(path));
        args.insert("source".into(), json!(code));
        args.insert("link".into(), json!(link));
        args.insert("optimize".into(), json!(optimize));
        // The size passes are @angular/build's: its version is part of the result's key.
        let build_version = self.compilers.package_version("@angular/build");
        args.insert("angularBuild".into(), json!(build_version));
        let result = self
            .compilers
            .run("angular.link", "@angular/compiler-cli", args)?;
        Ok(result["code"].as_str().map(str::to_string))
    }
}

/// The linker's declarations all start with this prefix; `@angular/core` and
/// `@angular/compiler` name it without being partially compiled.
fn needs_linking(path: &str, code: &str) -> bool {
    let in_compiler_or_core = ["@angular/core/", "@angular/compiler/"]
        .iter()
        .any(|package| path.contains(package));
    !in_compiler_or_core && code.contains("ɵɵngDeclare")
}

impl Plugin for AngularLinker {
    fn name(&self) -> &str {
        "nexxo:angular-linker"
    }

    fn hooks(&self) -> Hooks {
        let scripts = HookFilter::extensions(&["js", "mjs"]);
        Hooks {
            transform: Some(if self.optimize {
                scripts
            } else {
                scripts.with_code("ɵɵngDeclare")
            }),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let path = nexxo_pipeline::ids::split_query(args.id).0;
        Ok(self.link(path, args.code)?.map(|code| Transformed {
            code,
            map: None,
            files: Vec::new(),
            lang: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_page_gets_styles_entry_and_base() {
        let page = inject_into_page(
            "<!doctype html><html><head><base href=\"/\"><title>x</title></head><body><app-root></app-root></body></html>",
            "<link rel=\"stylesheet\" href=\"/src/styles.scss\">\n",
            "<script type=\"module\" src=\"/src/main.ts\"></script>\n",
            Some("/app/"),
        );
        assert_eq!(
            page,
            "<!doctype html><html><head><base href=\"/app/\"><title>x</title><link rel=\"stylesheet\" href=\"/src/styles.scss\">\n</head><body><app-root></app-root><script type=\"module\" src=\"/src/main.ts\"></script>\n</body></html>"
        );
    }

    #[test]
    fn only_partially_compiled_packages_are_linked() {
        let declared = "i0.ɵɵngDeclareComponent({})";
        assert!(needs_linking(
            "/p/node_modules/@angular/router/fesm2022/router.mjs",
            declared
        ));
        assert!(!needs_linking(
            "/p/node_modules/@angular/core/fesm2022/core.mjs",
            declared
        ));
        assert!(!needs_linking(
            "/p/node_modules/lib/index.js",
            "export const x = 1;"
        ));
    }

    #[test]
    fn a_changed_source_or_template_is_an_input_to_compile_again() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("app.html");
        std::fs::write(&template, "<p>one</p>").unwrap();
        let path = dir.path().join("app.ts");
        let file = EmittedFile {
            code: String::new(),
            map: None,
            hash: sha256_hex(b"class App {}"),
            typescript: false,
            resources: vec![Resource {
                file: template.clone(),
                hash: Some(sha256_hex(b"<p>one</p>")),
            }],
        };
        assert!(changed_inputs(&path, "class App {}", &file, None).is_empty());
        assert_eq!(
            changed_inputs(&path, "class App { x = 1 }", &file, None),
            vec![path.clone()]
        );
        std::fs::write(&template, "<p>two</p>").unwrap();
        assert_eq!(
            changed_inputs(&path, "class App {}", &file, None),
            vec![template]
        );
    }
}
