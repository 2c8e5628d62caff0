//! Compiles of files and of given text, with and without a stylesheet transform.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nexxo_diagnostics::Diagnostic;

use crate::{
    compile_stylesheet, compile_stylesheet_source, CssOptions, StylesheetLang, StylesheetSource,
    StylesheetTransform, TransformedStylesheet,
};

fn options(root: &Path) -> CssOptions {
    CssOptions {
        root: root.to_path_buf(),
        targets: Vec::new(),
        minify: false,
        sourcemap: false,
        modules_pattern: "m_[local]".into(),
        alias: Vec::new(),
        transform: None,
    }
}

fn write(root: &Path, name: &str, text: &str) -> PathBuf {
    let file = root.join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, text).unwrap();
    file
}

fn source(path: PathBuf, text: &str, lang: StylesheetLang) -> StylesheetSource {
    StylesheetSource {
        path,
        text: text.to_string(),
        lang,
        css_module: false,
        line_offset: 0,
    }
}

#[test]
fn text_imports_and_urls_resolve_from_the_folder_of_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let theme = write(root, "src/theme.css", ".theme { color: red }\n");
    let text = "@import './theme.css';\n.app { background: url(./img/a.png) }\n";
    // App.vue does not exist: its text is given.
    let vue = root.join("src/App.vue");
    let compiled = compile_stylesheet_source(
        &source(vue.clone(), text, StylesheetLang::Css),
        &options(root),
    )
    .unwrap();
    assert!(compiled.code.contains(".theme"), "{}", compiled.code);
    assert!(compiled.code.contains(".app"), "{}", compiled.code);
    assert_eq!(compiled.urls.len(), 1);
    assert_eq!(compiled.urls[0].url, "./img/a.png");
    assert_eq!(compiled.urls[0].from_file, vue);
    assert_eq!(compiled.files, [theme]);
}

#[test]
fn given_text_is_used_instead_of_the_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let vue = write(root, "src/App.vue", "<template><p/></template>\n");
    let compiled = compile_stylesheet_source(
        &source(vue, ".given { color: red }", StylesheetLang::Css),
        &options(root),
    )
    .unwrap();
    assert!(compiled.code.contains(".given"), "{}", compiled.code);
    assert!(compiled.files.is_empty(), "{:?}", compiled.files);
}

#[test]
fn css_modules_of_text_follow_the_flag_not_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut module = source(
        root.join("src/App.vue"),
        ".title { color: red }",
        StylesheetLang::Css,
    );
    module.css_module = true;
    let compiled = compile_stylesheet_source(&module, &options(root)).unwrap();
    assert_eq!(
        compiled.module_exports,
        Some(vec![("title".to_string(), "m_title".to_string())])
    );
    assert!(compiled.code.contains(".m_title"), "{}", compiled.code);

    // A `.module.css` name does not make given text a module.
    let plain = source(
        root.join("src/a.module.css"),
        ".title { color: red }",
        StylesheetLang::Css,
    );
    let compiled = compile_stylesheet_source(&plain, &options(root)).unwrap();
    assert_eq!(compiled.module_exports, None);
    assert!(compiled.code.contains(".title"), "{}", compiled.code);
}

#[test]
fn scss_and_sass_text_use_partials_beside_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let vars = write(root, "src/_vars.scss", "$brand: rgb(1, 2, 3);\n");
    let vue = root.join("src/App.vue");
    let scss = source(
        vue.clone(),
        "@use 'vars';\n.a { color: vars.$brand; .b { margin: 0 } }\n",
        StylesheetLang::Scss,
    );
    let compiled = compile_stylesheet_source(&scss, &options(root)).unwrap();
    assert!(compiled.code.contains("#010203"), "{}", compiled.code);
    assert!(compiled.code.contains(".a .b"), "{}", compiled.code);
    assert_eq!(compiled.files, std::slice::from_ref(&vars));

    let indented = source(
        vue,
        "@use 'vars'\n.a\n  color: vars.$brand\n",
        StylesheetLang::Sass,
    );
    let compiled = compile_stylesheet_source(&indented, &options(root)).unwrap();
    assert!(compiled.code.contains("#010203"), "{}", compiled.code);
    assert_eq!(compiled.files, [vars]);
}

#[test]
fn files_still_compile_with_their_language_and_module_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/_vars.scss", "$c: red;\n");
    let sheet = write(
        root,
        "src/a.module.scss",
        "@use 'vars';\n.title { color: vars.$c }\n",
    );
    let compiled = compile_stylesheet(&sheet, &options(root)).unwrap();
    assert_eq!(
        compiled.module_exports,
        Some(vec![("title".to_string(), "m_title".to_string())])
    );
    assert_eq!(compiled.files, [root.join("src/_vars.scss"), sheet]);
}

/// A `.vue` file whose `<style>` block (from after `<style>` to `</style>`) has an unclosed
/// `.b {` on the block's third line, the file's sixth.
const VUE_FILE: &str =
    "<template>\n  <p/>\n</template>\n<style>\n.a { color: red }\n.b {\n</style>\n";
const VUE_STYLE: &str = "\n.a { color: red }\n.b {\n";

fn vue_style(path: PathBuf, lang: StylesheetLang) -> StylesheetSource {
    StylesheetSource {
        line_offset: 3,
        ..source(path, VUE_STYLE, lang)
    }
}

fn located(error: &Diagnostic) -> (String, usize, usize, Option<String>) {
    let location = error.location.as_deref().expect("a location");
    (
        nexxo_diagnostics::display_path(&location.file),
        location.line,
        location.column,
        location.source.clone(),
    )
}

#[test]
fn errors_in_text_point_at_the_line_of_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let vue = write(root, "src/App.vue", VUE_FILE);
    let error = compile_stylesheet_source(&vue_style(vue, StylesheetLang::Css), &options(root))
        .unwrap_err();
    assert!(error.message.contains("Unclosed block"), "{error:?}");
    assert_eq!(
        located(&error),
        ("src/App.vue".to_string(), 6, 4, Some(VUE_FILE.to_string()))
    );
    assert!(
        error.render(false).contains("6 │ .b {"),
        "{}",
        error.render(false)
    );
}

#[test]
fn errors_on_the_first_line_of_text_count_the_tag_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let vue = write(root, "src/App.vue", "<template/>\n<style>.a {</style>\n");
    let block = StylesheetSource {
        line_offset: 1,
        ..source(vue, ".a {", StylesheetLang::Css)
    };
    let error = compile_stylesheet_source(&block, &options(root)).unwrap_err();
    let (file, line, column, _) = located(&error);
    assert_eq!((file.as_str(), line, column), ("src/App.vue", 2, 11));
}

#[test]
fn errors_in_text_of_a_missing_file_show_the_text_on_the_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let error = compile_stylesheet_source(
        &vue_style(root.join("src/App.vue"), StylesheetLang::Css),
        &options(root),
    )
    .unwrap_err();
    let (file, line, column, frame) = located(&error);
    assert_eq!((file.as_str(), line, column), ("src/App.vue", 6, 4));
    assert_eq!(frame, Some(format!("\n\n\n{VUE_STYLE}")));
}

#[test]
fn sass_errors_in_text_point_at_the_line_of_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let vue = write(root, "src/App.vue", VUE_FILE);
    let error = compile_stylesheet_source(&vue_style(vue, StylesheetLang::Scss), &options(root))
        .unwrap_err();
    assert!(error.message.starts_with("Sass error"), "{error:?}");
    let (file, line, column, frame) = located(&error);
    // grass expects the `}` right after the unclosed `.b {`.
    assert_eq!((file.as_str(), line, column), ("src/App.vue", 6, 5));
    assert_eq!(frame, Some(VUE_FILE.to_string()));
}

#[test]
fn errors_in_imported_files_are_not_moved() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/broken.css", ".x {\n");
    let block = StylesheetSource {
        line_offset: 10,
        ..source(
            root.join("src/App.vue"),
            "@import './broken.css';",
            StylesheetLang::Css,
        )
    };
    let error = compile_stylesheet_source(&block, &options(root)).unwrap_err();
    let (file, line, column, _) = located(&error);
    assert_eq!((file.as_str(), line, column), ("src/broken.css", 1, 4));
}

/// Renames `--x` to `--y` and appends a rule naming the file, recording each call; every file
/// is wanted, so skipping `node_modules` is the stage's doing.
struct RenameX {
    calls: Mutex<Vec<PathBuf>>,
    /// Reported as a dependency of every result (Tailwind's scanned sources).
    scanned: PathBuf,
    fingerprint: String,
}

impl RenameX {
    fn new(scanned: PathBuf) -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            scanned,
            fingerprint: "one".into(),
        }
    }

    fn calls(&self) -> Vec<PathBuf> {
        let mut calls = self.calls.lock().unwrap().clone();
        calls.sort();
        calls
    }
}

impl StylesheetTransform for RenameX {
    fn wants(&self, _path: &Path, _text: &str) -> bool {
        true
    }

    fn transform(&self, path: &Path, text: &str) -> Result<TransformedStylesheet, Diagnostic> {
        self.calls.lock().unwrap().push(path.to_path_buf());
        if text.contains("--fail") {
            return Err(Diagnostic::error(format!(
                "[postcss] fails on {}",
                path.display()
            )));
        }
        let stem = path.file_stem().unwrap().to_string_lossy();
        Ok(TransformedStylesheet {
            code: format!(
                "{}\n.transformed-{stem} {{ color: red }}\n",
                text.replace("--x", "--y")
            ),
            files: vec![self.scanned.clone()],
        })
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

fn with_transform(root: &Path, transform: &Arc<RenameX>) -> CssOptions {
    CssOptions {
        transform: Some(transform.clone()),
        ..options(root)
    }
}

#[test]
fn the_transform_rewrites_project_files_before_parsing_but_not_packages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let scanned = write(root, "src/App.tsx", "<p className='underline' />");
    let imported = write(root, "src/b.css", ".b { --x: 1 }\n");
    let package = write(root, "node_modules/pkg/index.css", ".pkg { --x: 2 }\n");
    write(root, "node_modules/pkg/package.json", "{}");
    let entry = write(
        root,
        "src/main.css",
        "@import './b.css';\n@import 'pkg';\n.main { --x: 3 }\n",
    );
    let transform = Arc::new(RenameX::new(scanned.clone()));
    let compiled = compile_stylesheet(&entry, &with_transform(root, &transform)).unwrap();

    assert_eq!(transform.calls(), [imported.clone(), entry.clone()]);
    let code = &compiled.code;
    assert!(code.contains(".main {\n  --y: 3;"), "{code}");
    assert!(code.contains(".b {\n  --y: 1;"), "{code}");
    assert!(code.contains(".pkg {\n  --x: 2;"), "{code}");
    assert!(code.contains(".transformed-main"), "{code}");
    assert!(code.contains(".transformed-b"), "{code}");
    assert!(!code.contains(".transformed-index"), "{code}");
    let mut expected = vec![entry, imported, package, scanned];
    expected.sort();
    assert_eq!(compiled.files, expected);
}

#[test]
fn the_transform_sees_given_text_and_compiled_sass() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let scanned = write(root, "src/App.tsx", "");
    let transform = Arc::new(RenameX::new(scanned.clone()));
    let vue = root.join("src/App.vue");

    let css = source(vue.clone(), ".a { --x: 1 }", StylesheetLang::Css);
    let compiled = compile_stylesheet_source(&css, &with_transform(root, &transform)).unwrap();
    assert!(compiled.code.contains("--y: 1"), "{}", compiled.code);
    assert!(
        compiled.code.contains(".transformed-App"),
        "{}",
        compiled.code
    );
    assert_eq!(compiled.files, std::slice::from_ref(&scanned));

    // Sass first, then the transform on its CSS (`$x` would not survive a transform before).
    let scss = source(
        vue.clone(),
        "$v: 2;\n.s { --x: #{$v}; .t { color: red } }",
        StylesheetLang::Scss,
    );
    let compiled = compile_stylesheet_source(&scss, &with_transform(root, &transform)).unwrap();
    assert!(compiled.code.contains("--y: 2"), "{}", compiled.code);
    assert!(compiled.code.contains(".s .t"), "{}", compiled.code);
    assert!(
        compiled.code.contains(".transformed-App"),
        "{}",
        compiled.code
    );
    assert_eq!(compiled.files, [scanned]);
    assert_eq!(transform.calls(), [vue.clone(), vue]);
}

#[test]
fn the_first_transform_error_is_returned_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/b.css", ".b { --fail: 1 }\n");
    let entry = write(root, "src/main.css", "@import './b.css';\n.main {}\n");
    let transform = Arc::new(RenameX::new(root.join("src/App.tsx")));
    let error = compile_stylesheet(&entry, &with_transform(root, &transform)).unwrap_err();
    assert_eq!(
        error,
        Diagnostic::error(format!(
            "[postcss] fails on {}",
            root.join("src/b.css").display()
        ))
    );
}

#[test]
fn unchanged_text_without_a_transform_is_not_transformed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let entry = write(root, "src/main.css", ".main { --x: 3 }\n");
    let compiled = compile_stylesheet(&entry, &options(root)).unwrap();
    assert!(compiled.code.contains("--x: 3"), "{}", compiled.code);
    assert_eq!(compiled.files, [entry]);
}
