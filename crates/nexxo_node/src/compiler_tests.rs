//! The compiler tasks on the real npm packages in the repository's `tests/node_modules`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;

/// The repository's `tests` folder, whose `node_modules` has Vue, Svelte, Solid, PostCSS and
/// Tailwind installed (`npm ci` in `tests/`).
fn packages_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
    let root = root.canonicalize().expect("the repository's tests folder");
    assert!(
        root.join("node_modules/vue").is_dir(),
        "run `npm ci` in {} first: these tests use its packages",
        root.display()
    );
    root
}

/// A project in a temp folder whose `node_modules` is the tests folder's, so compilers and
/// plugins resolve from it as from a real project.
fn temp_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().unwrap();
    fs::write(project.path().join("package.json"), r#"{ "name": "app" }"#).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        packages_root().join("node_modules"),
        project.path().join("node_modules"),
    )
    .unwrap();
    project
}

fn pool() -> NodePool {
    NodePool::new(NodeOptions::new("framework components"))
}

fn run(pool: &NodePool, root: &Path, task: &str, args: Value) -> Result<Value, NodeError> {
    pool.request(&NodeTask::compile(root, task, args))
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
}

fn task_error(error: NodeError) -> (String, Option<String>, Option<usize>, Option<usize>) {
    match error {
        NodeError::Task {
            message,
            file,
            line,
            column,
        } => (message, file, line, column),
        other => panic!("expected a task error, got {other:?}"),
    }
}

const COUNTER_VUE: &str = r#"<script setup lang="ts">
import { ref } from 'vue'
const count = ref<number>(0)
const color = 'red'
</script>

<template>
  <button class="btn" :class="$style.big" @click="count++">{{ count }}</button>
</template>

<style scoped>
.btn { color: v-bind(color); }
</style>

<style module>
.big { font-size: 2em; }
</style>
"#;

fn vue_compile(pool: &NodePool, root: &Path, filename: &Path, source: &str) -> Value {
    run(
        pool,
        root,
        "vue.compile",
        json!({
            "filename": filename,
            "source": source,
            "scopeId": "abc123",
            "production": false,
            "hmr": true,
        }),
    )
    .unwrap()
}

#[test]
fn vue_compile_assembles_the_main_module_with_its_styles() {
    let root = packages_root();
    let filename = root.join("App.vue");
    let pool = pool();
    let result = vue_compile(&pool, &root, &filename, COUNTER_VUE);
    let code = text(&result["code"]);
    for expected in [
        "const _sfc_main = ",
        "ref<number>(0)",
        "function _sfc_render(",
        "_sfc_main.render = _sfc_render",
        r#"import "./App.vue?vue&type=style&index=0&scoped=abc123&lang.css""#,
        r#"import style1 from "./App.vue?vue&type=style&index=1&module&lang.css""#,
        r#"cssModules["$style"] = style1"#,
        "_sfc_main.__cssModules = cssModules",
        r#"_sfc_main.__scopeId = "data-v-abc123""#,
        "_sfc_main.__hmrId = \"abc123\"",
        "__VUE_HMR_RUNTIME__.createRecord(_sfc_main.__hmrId, _sfc_main)",
        "import.meta.hot.accept(mod => {",
        "export default _sfc_main",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
    }
    assert!(
        code.contains(&format!("_sfc_main.__file = {}", json!(filename))),
        "{code}"
    );
    assert!(!code.contains("export function render"), "{code}");
    assert!(!code.contains("_rerender_only ="), "{code}");
    assert_eq!(result["lang"], json!("ts"));
    // The scoped plain-CSS block comes back scoped, `v-bind()` rewritten, in the same request.
    let scoped = text(&result["styles"][0]["scopedCss"]);
    assert!(scoped.contains(".btn[data-v-abc123]"), "{scoped}");
    assert!(scoped.contains("var(--abc123-color)"), "{scoped}");
    let mut styles = result["styles"].clone();
    styles[0]["scopedCss"] = json!(null);
    assert_eq!(
        styles,
        json!([
            {
                "index": 0, "content": "\n.btn { color: v-bind(color); }\n", "lang": "css",
                "scoped": true, "module": null, "srcFile": null, "line": 11, "scopedCss": null,
            },
            {
                "index": 1, "content": "\n.big { font-size: 2em; }\n", "lang": "css",
                "scoped": false, "module": "$style", "srcFile": null, "line": 15, "scopedCss": null,
            },
        ])
    );
    assert_eq!(result["files"], json!([]));
}

#[test]
fn vue_keys_tell_a_template_edit_from_a_script_edit() {
    let root = packages_root();
    let filename = root.join("App.vue");
    let pool = pool();
    let first = vue_compile(&pool, &root, &filename, COUNTER_VUE);
    let template_edit = vue_compile(
        &pool,
        &root,
        &filename,
        &COUNTER_VUE.replace("{{ count }}", "Count: {{ count }}"),
    );
    let script_edit = vue_compile(
        &pool,
        &root,
        &filename,
        &COUNTER_VUE.replace("ref<number>(0)", "ref<number>(1)"),
    );
    assert_ne!(first["templateKey"], template_edit["templateKey"]);
    assert_eq!(first["scriptKey"], template_edit["scriptKey"]);
    assert_eq!(first["templateKey"], script_edit["templateKey"]);
    assert_ne!(first["scriptKey"], script_edit["scriptKey"]);
}

#[test]
fn vue_production_inlines_the_template_and_leaves_out_dev_fields() {
    let root = packages_root();
    let pool = pool();
    let result = run(
        &pool,
        &root,
        "vue.compile",
        json!({
            "filename": root.join("App.vue"),
            "source": COUNTER_VUE,
            "scopeId": "abc123",
            "production": true,
            "hmr": false,
        }),
    )
    .unwrap();
    let code = text(&result["code"]);
    assert!(!code.contains("_sfc_render"), "{code}");
    assert!(!code.contains("__file"), "{code}");
    assert!(!code.contains("__hmrId"), "{code}");
    assert!(code.contains(r#"_sfc_main.__scopeId = "data-v-abc123""#));
    assert!(code.contains("export default _sfc_main"));
}

#[test]
fn vue_without_a_script_gets_an_empty_component() {
    let root = packages_root();
    let pool = pool();
    let result = vue_compile(
        &pool,
        &root,
        &root.join("Plain.vue"),
        "<template><p>hi</p></template>\n",
    );
    let code = text(&result["code"]);
    assert!(code.starts_with("const _sfc_main = {}\n"), "{code}");
    assert!(code.contains("_sfc_main.render = _sfc_render"), "{code}");
    assert!(!code.contains("__scopeId"), "{code}");
    assert_eq!(result["lang"], json!("js"));
}

#[test]
fn vue_src_blocks_are_read_and_listed() {
    let project = temp_project();
    let dir = project.path();
    fs::write(dir.join("view.html"), "<p class=\"x\">{{ msg }}</p>\n").unwrap();
    fs::write(
        dir.join("logic.js"),
        "export default { data: () => ({ msg: 'hi' }) }\n",
    )
    .unwrap();
    fs::write(dir.join("look.scss"), ".x { color: red; }\n").unwrap();
    let source = "<template src=\"./view.html\"></template>\n<script src=\"./logic.js\"></script>\n<style scoped src=\"./look.scss\"></style>\n";
    let pool = pool();
    let result = vue_compile(&pool, dir, &dir.join("Src.vue"), source);
    let code = text(&result["code"]);
    assert!(code.contains("const _sfc_main = {"), "{code}");
    assert!(code.contains("msg: 'hi'"), "{code}");
    assert!(code.contains("_ctx.msg"), "{code}");
    assert!(
        code.contains(r#"import "./Src.vue?vue&type=style&index=0&scoped=abc123&lang.scss""#),
        "{code}"
    );
    let files: Vec<&str> = result["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let expected: Vec<String> = ["view.html", "logic.js", "look.scss"]
        .iter()
        .map(|name| dir.join(name).to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, expected);
    let style = &result["styles"][0];
    assert_eq!(style["content"], json!(".x { color: red; }\n"));
    assert_eq!(style["lang"], json!("scss"));
    assert_eq!(style["srcFile"], json!(dir.join("look.scss")));
}

#[test]
fn vue_template_errors_point_into_the_vue_file() {
    let root = packages_root();
    let filename = root.join("Broken.vue");
    let pool = pool();
    // Found while compiling the template (a transform error).
    let source = "<script setup>\nconst a = 1\n</script>\n\n<template>\n  <div>\n    <span v-else>{{ a }}</span>\n  </div>\n</template>\n";
    let error = run(
        &pool,
        &root,
        "vue.compile",
        json!({ "filename": filename, "source": source, "scopeId": "x1", "production": false, "hmr": false }),
    )
    .unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert!(message.contains("v-else"), "{message}");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    assert_eq!((line, column), (Some(7), Some(5)));
    // Found while parsing the file.
    let source = "<template>\n  <main>\n    <div>\n  </main>\n</template>\n";
    let error = run(
        &pool,
        &root,
        "vue.compile",
        json!({ "filename": filename, "source": source, "scopeId": "x1", "production": false, "hmr": false }),
    )
    .unwrap_err();
    let (message, _, line, column) = task_error(error);
    assert!(message.contains("end tag"), "{message}");
    assert_eq!((line, column), (Some(3), Some(5)));
}

#[test]
fn vue_script_errors_point_into_the_vue_file() {
    let root = packages_root();
    let filename = root.join("BadScript.vue");
    let pool = pool();
    let source = "<template><p /></template>\n<script setup>\nconst a = 1\nconst = 2\n</script>\n";
    let error = run(
        &pool,
        &root,
        "vue.compile",
        json!({ "filename": filename, "source": source, "scopeId": "x1", "production": false, "hmr": false }),
    )
    .unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert!(message.contains("Unexpected token"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    assert_eq!((line, column), (Some(4), Some(7)));
}

#[test]
fn vue_style_scopes_selectors_and_rewrites_v_bind() {
    let root = packages_root();
    let pool = pool();
    let result = run(
        &pool,
        &root,
        "vue.style",
        json!({
            "filename": root.join("App.vue"),
            "css": ".btn { color: v-bind(color); }\n:deep(.inner) { margin: 0 }\n",
            "scopeId": "abc123",
            "scoped": true,
            "production": false,
        }),
    )
    .unwrap();
    let code = text(&result["code"]);
    assert!(code.contains(".btn[data-v-abc123]"), "{code}");
    assert!(code.contains("var(--abc123-color)"), "{code}");
    assert!(code.contains("[data-v-abc123] .inner"), "{code}");
}

#[test]
fn vue_style_errors_point_into_the_vue_file() {
    let project = temp_project();
    let filename = project.path().join("App.vue");
    let css = "\n.a { color: red; }\n.b {\n";
    fs::write(
        &filename,
        format!("<template><p /></template>\n\n<style scoped>{css}</style>\n"),
    )
    .unwrap();
    let pool = pool();
    let error = run(
        &pool,
        project.path(),
        "vue.style",
        json!({ "filename": filename, "css": css, "scopeId": "s1", "scoped": true, "production": false }),
    )
    .unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert_eq!(message, "Unclosed block");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    // `.b {` is the CSS's third line, which is the file's fifth.
    assert_eq!((line, column), (Some(5), Some(1)));
}

#[test]
fn svelte_5_compiles_with_external_css() {
    let root = packages_root();
    let pool = pool();
    let result = run(
        &pool,
        &root,
        "svelte.compile",
        json!({
            "filename": root.join("Counter.svelte"),
            "source": "<script>let n = $state(0);</script>\n<button onclick={() => n++}>{n}</button>\n<style>button { color: red }</style>\n",
            "production": false,
            "hmr": true,
        }),
    )
    .unwrap();
    assert_eq!(result["major"], json!(5));
    let js = text(&result["js"]);
    assert!(js.contains("svelte/internal/client"), "{js}");
    let css = text(&result["css"]);
    assert!(css.contains("button.svelte-"), "{css}");
    let map: Value = serde_json::from_str(text(&result["map"])).unwrap();
    assert_eq!(map["version"], json!(3));
    assert_eq!(result["warnings"], json!([]));
}

#[test]
fn svelte_errors_and_warnings_have_1_based_positions() {
    let root = packages_root();
    let filename = root.join("Broken.svelte");
    let pool = pool();
    let error = run(
        &pool,
        &root,
        "svelte.compile",
        json!({ "filename": filename, "source": "<div>\n  {#if x}\n</div>\n", "production": false, "hmr": false }),
    )
    .unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert!(message.contains("`</div>`"), "{message}");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    assert_eq!((line, column), (Some(3), Some(1)));

    let result = run(
        &pool,
        &root,
        "svelte.compile",
        json!({ "filename": filename, "source": "<p>a</p>\n  <img src=\"x.png\">\n", "production": false, "hmr": false }),
    )
    .unwrap();
    assert_eq!(result["css"], Value::Null);
    let warning = &result["warnings"][0];
    assert_eq!(warning["code"], json!("a11y_missing_attribute"));
    assert_eq!(
        (&warning["line"], &warning["column"]),
        (&json!(2), &json!(3))
    );
}

const COUNTER_JSX: &str = "import { createSignal } from 'solid-js';\nexport default function Counter() {\n  const [n, setN] = createSignal(0);\n  return <button onClick={() => setN(n() + 1)}>{n()}</button>;\n}\n";

#[test]
fn solid_compiles_jsx_to_dom_expressions() {
    let root = packages_root();
    let pool = pool();
    let args = |hmr: bool| json!({ "filename": root.join("Counter.jsx"), "source": COUNTER_JSX, "production": false, "hmr": hmr });
    let result = run(&pool, &root, "solid.compile", args(false)).unwrap();
    let code = text(&result["code"]);
    assert!(
        code.contains(r#"import { template as _$template } from "solid-js/web""#),
        "{code}"
    );
    assert!(
        code.contains(r#"import { insert as _$insert } from "solid-js/web""#),
        "{code}"
    );
    assert!(code.contains("_$template(`<button>`)"), "{code}");
    assert!(!code.contains("solid-refresh"), "{code}");
    let map: Value = serde_json::from_str(text(&result["map"])).unwrap();
    assert_eq!(map["version"], json!(3));

    let result = run(&pool, &root, "solid.compile", args(true)).unwrap();
    let code = text(&result["code"]);
    assert!(code.contains(r#"from "solid-refresh""#), "{code}");
    assert!(
        code.contains(r#"_$$refresh("vite", import.meta.hot, _REGISTRY)"#),
        "{code}"
    );
}

#[test]
fn solid_syntax_errors_have_1_based_positions() {
    let root = packages_root();
    let filename = root.join("Broken.jsx");
    let pool = pool();
    let error = run(
        &pool,
        &root,
        "solid.compile",
        json!({ "filename": filename, "source": "const a = <p />;\nconst b = 1 +;\n", "production": false, "hmr": false }),
    )
    .unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert!(!message.contains(filename.to_str().unwrap()), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    // The `;` where an operand should be.
    assert_eq!((line, column), (Some(2), Some(14)));
}

fn postcss(pool: &NodePool, root: &Path, filename: &Path, css: &str) -> Result<Value, NodeError> {
    run(
        pool,
        root,
        "postcss",
        json!({ "filename": filename, "css": css, "production": false }),
    )
}

#[test]
fn postcss_runs_the_nearest_config_and_reloads_it_when_edited() {
    let project = temp_project();
    let root = project.path();
    let config = root.join("postcss.config.mjs");
    fs::write(
        &config,
        "export default (ctx) => ({ plugins: { 'postcss-nesting': ctx.env === 'development' ? {} : false } });\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("src/deep")).unwrap();
    let filename = root.join("src/deep/a.css");
    let pool = pool();
    let result = postcss(
        &pool,
        root,
        &filename,
        ".a { color: red; & .b { color: blue } }\n",
    )
    .unwrap();
    assert_eq!(
        text(&result["css"]),
        ".a { color: red; }\n.a .b { color: blue }\n"
    );
    assert_eq!(result["config"], json!(config));
    let map: Value = serde_json::from_str(text(&result["map"])).unwrap();
    assert_eq!(map["sources"], json!(["a.css"]));
    let found = run(
        &pool,
        root,
        "postcss.config",
        json!({ "dir": root.join("src/deep") }),
    )
    .unwrap();
    assert_eq!(found["file"], json!(config));

    // An edited config is loaded again (its modification time is what the cache checks).
    fs::write(&config, "export default { plugins: [] };\n").unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&config)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let result = postcss(&pool, root, &filename, ".a { & .b { color: blue } }\n").unwrap();
    assert_eq!(text(&result["css"]), ".a { & .b { color: blue } }\n");
}

#[test]
fn postcss_reports_dependencies_warnings_and_syntax_errors() {
    let project = temp_project();
    let root = project.path();
    fs::write(
        root.join("postcss.config.cjs"),
        "module.exports = { plugins: [{\n\
           postcssPlugin: 'deps',\n\
           Once(css, { result }) {\n\
             result.messages.push({ type: 'dependency', plugin: 'deps', file: __dirname + '/tokens.json' });\n\
             result.messages.push({ type: 'dir-dependency', plugin: 'deps', dir: __dirname + '/icons' });\n\
             css.warn(result, 'careful', { node: css.first });\n\
           },\n\
         }] };\n",
    )
    .unwrap();
    let filename = root.join("a.css");
    let pool = pool();
    let result = postcss(&pool, root, &filename, ".a { color: red }\n").unwrap();
    assert_eq!(result["dependencies"], json!([root.join("tokens.json")]));
    assert_eq!(
        result["dirDependencies"],
        json!([{ "dir": root.join("icons"), "glob": "**/*" }])
    );
    assert_eq!(
        result["warnings"],
        json!([{ "message": "[deps] careful", "line": 1, "column": 1 }])
    );

    let error = postcss(&pool, root, &filename, ".a { color: red }\n.b {\n").unwrap_err();
    let (message, file, line, column) = task_error(error);
    assert_eq!(message, "Unclosed block");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
    assert_eq!((line, column), (Some(2), Some(1)));
}

#[test]
fn postcss_config_problems_say_what_to_do() {
    let project = temp_project();
    let root = project.path();
    let pool = pool();
    fs::write(root.join("postcss.config.ts"), "export default {}\n").unwrap();
    let (message, file, ..) =
        task_error(postcss(&pool, root, &root.join("a.css"), "a {}").unwrap_err());
    assert!(
        message.contains("rename postcss.config.ts to postcss.config.mjs"),
        "{message}"
    );
    assert_eq!(
        file,
        Some(
            root.join("postcss.config.ts")
                .to_string_lossy()
                .into_owned()
        )
    );

    fs::remove_file(root.join("postcss.config.ts")).unwrap();
    fs::write(
        root.join(".postcssrc.json"),
        r#"{ "plugins": { "postcss-not-installed-anywhere": {} } }"#,
    )
    .unwrap();
    let error = postcss(&pool, root, &root.join("a.css"), "a {}").unwrap_err();
    assert!(
        matches!(&error, NodeError::MissingPackage { package, .. } if package == "postcss-not-installed-anywhere"),
        "{error:?}"
    );
}

#[test]
fn tailwind_builds_the_classes_the_project_uses() {
    let project = temp_project();
    let root = project.path();
    fs::create_dir_all(root.join("src")).unwrap();
    let component = root.join("src/App.jsx");
    fs::write(
        &component,
        "export const App = () => <p className=\"text-red-500\">hi</p>;\n",
    )
    .unwrap();
    let pool = pool();
    let result = run(
        &pool,
        root,
        "tailwind",
        json!({ "filename": root.join("src/index.css"), "css": "@import \"tailwindcss\";\n", "production": false }),
    )
    .unwrap();
    let css = text(&result["css"]);
    assert!(css.contains(".text-red-500"), "{css}");
    assert!(
        !css.contains(".text-blue-500"),
        "unused classes are left out"
    );
    let dependencies: Vec<&str> = result["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert!(
        dependencies.contains(&component.to_str().unwrap()),
        "{dependencies:?}"
    );
    let node_modules = root.join("node_modules");
    assert!(
        !dependencies
            .iter()
            .any(|file| Path::new(file).starts_with(&node_modules)),
        "the scanner read node_modules: {dependencies:?}"
    );
    let watched_src = result["dirDependencies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|entry| entry["dir"] == json!(root.join("src")));
    assert!(watched_src, "{}", result["dirDependencies"]);
}

#[test]
fn tailwind_errors_name_the_stylesheet() {
    let project = temp_project();
    let root = project.path();
    let filename = root.join("index.css");
    let pool = pool();
    let error = run(
        &pool,
        root,
        "tailwind",
        json!({ "filename": filename, "css": "@import \"tailwindcss\";\n.x { @apply not-a-utility; }\n", "production": false }),
    )
    .unwrap_err();
    let (message, file, ..) = task_error(error);
    assert!(message.contains("not-a-utility"), "{message}");
    assert_eq!(file.as_deref(), Some(filename.to_str().unwrap()));
}

#[test]
fn missing_compilers_name_the_package_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let root = empty.path();
    fs::write(root.join(".postcssrc.json"), r#"{ "plugins": {} }"#).unwrap();
    let pool = pool();
    let source_args = json!({ "filename": root.join("x"), "source": "", "css": "", "scopeId": "s", "production": false, "hmr": true });
    for (task, package) in [
        ("vue.compile", "vue"),
        ("vue.style", "vue"),
        ("svelte.compile", "svelte"),
        ("solid.compile", "@babel/core"),
        ("postcss", "postcss"),
        ("tailwind", "@tailwindcss/postcss"),
    ] {
        let error = run(&pool, root, task, source_args.clone()).unwrap_err();
        assert_eq!(
            error,
            NodeError::MissingPackage {
                package: package.into(),
                root: root.to_path_buf(),
            },
            "{task}"
        );
    }
}

#[test]
fn solid_names_its_plugins_when_they_are_missing() {
    // Babel is installed but neither Solid package is.
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    let babel = packages_root().join("node_modules/@babel");
    fs::create_dir_all(root.join("node_modules")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(babel, root.join("node_modules/@babel")).unwrap();
    let pool = pool();
    let error = run(
        &pool,
        root,
        "solid.compile",
        json!({ "filename": root.join("a.jsx"), "source": "", "production": false, "hmr": true }),
    )
    .unwrap_err();
    assert!(
        matches!(&error, NodeError::MissingPackage { package, .. } if package == "babel-preset-solid"),
        "{error:?}"
    );
}
