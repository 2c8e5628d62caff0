//! An Angular CLI workspace's `angular.json`, read the way `ng build` and `ng serve` read it:
//! the application project's build target (`@angular/build:application` and its older
//! esbuild-based spellings), its options merged with one configuration's (`production` for a
//! build, the dev-server's build configuration — `development` — for `nexxo dev`), as plain
//! data the drivers use instead of a root `index.html`.

use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;
use serde_json::{Map, Value};

use crate::Command;

/// The workspace file the Angular CLI reads.
pub const ANGULAR_JSON: &str = "angular.json";

/// The builders whose options mean what this module reads (the application builder and the
/// esbuild-based browser builder that preceded it).
const APPLICATION_BUILDERS: [&str; 4] = [
    "@angular/build:application",
    "@angular-devkit/build-angular:application",
    "@angular-devkit/build-angular:browser-esbuild",
    "@angular/build:browser-esbuild",
];

/// The build target of an Angular application, all paths absolute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AngularProject {
    /// The project's name in `angular.json`.
    pub name: String,
    /// The configuration whose options were merged over the target's (`None`: options only).
    pub configuration: Option<String>,
    /// `browser` (or `main`): the entry module, injected into the index page.
    pub entry: PathBuf,
    /// `index`: the page the scripts and styles are injected into; it is served and written as
    /// `index.html`.
    pub index: PathBuf,
    /// `styles` that are injected (`inject: false` entries are left out), in order.
    pub styles: Vec<PathBuf>,
    /// `assets` entries copied whole from a folder to the output root (`public`).
    pub public_dir: Option<PathBuf>,
    /// `tsConfig`: the TypeScript program the Angular compiler builds.
    pub tsconfig: PathBuf,
    /// `baseHref`: the `<base href>` written into the index page.
    pub base_href: Option<String>,
    /// `fileReplacements`: (replaced file, file compiled instead).
    pub file_replacements: Vec<(PathBuf, PathBuf)>,
    /// `inlineStyleLanguage`: the language of components' inline `styles` (`css`, `scss`, `sass`).
    pub inline_style_language: String,
    /// What Nexxo does not read from the target, for one warning each (`polyfills`, …).
    pub ignored: Vec<String>,
}

impl AngularProject {
    /// The project in `root/angular.json`, or `None` when there is no such file.
    pub fn read(root: &Path, command: Command) -> Result<Option<Self>, Diagnostic> {
        let file = root.join(ANGULAR_JSON);
        if !file.is_file() {
            return Ok(None);
        }
        let text = nexxo_diagnostics::input::read_regular_to_string(&file)
            .map_err(|error| Diagnostic::error(format!("cannot read {ANGULAR_JSON}: {error}")))?;
        let json: Value = serde_json::from_str(&text).map_err(|error| {
            Diagnostic::at(
                format!("{ANGULAR_JSON} is not valid JSON: {error}"),
                ANGULAR_JSON,
                Some(text.clone()),
                error.line().max(1),
                error.column().max(1),
            )
        })?;
        let located = |message: String| {
            let needle = message
                .split('`')
                .nth(1)
                .map(|key| format!("\"{}\"", key.rsplit('.').next().unwrap_or(key)));
            match needle.and_then(|needle| text.find(&needle)) {
                Some(offset) => Diagnostic::at_offset(message, ANGULAR_JSON, &text, offset),
                None => Diagnostic::error(format!("{ANGULAR_JSON}: {message}")),
            }
        };
        Self::from_workspace(root, &json, command)
            .map(Some)
            .map_err(located)
    }

    fn from_workspace(root: &Path, json: &Value, command: Command) -> Result<Self, String> {
        let projects = json["projects"]
            .as_object()
            .ok_or("`projects` is missing: no project to build")?;
        let (name, project, target) = projects
            .iter()
            .find_map(|(name, project)| {
                let target = project["architect"]["build"]
                    .as_object()
                    .or_else(|| project["targets"]["build"].as_object())?;
                let builder = target.get("builder")?.as_str()?;
                APPLICATION_BUILDERS
                    .contains(&builder)
                    .then_some((name, project, target))
            })
            .ok_or_else(|| {
                format!(
                    "no project in `projects` has a `build` target with the {} builder",
                    APPLICATION_BUILDERS[0]
                )
            })?;
        let project_root = root.join(project["root"].as_str().unwrap_or(""));
        let configuration = chosen_configuration(project, target, command);
        let mut options = target
            .get("options")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(configuration) = &configuration {
            let overrides = field(target, "configurations")[configuration.as_str()]
                .as_object()
                .ok_or_else(|| {
                    format!("`configurations` of project `{name}`'s build target has no `{configuration}`")
                })?;
            for (key, value) in overrides {
                options.insert(key.clone(), value.clone());
            }
        }
        let path = |key: &str| -> Result<Option<PathBuf>, String> {
            match options.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(path)) => Ok(Some(root.join(path))),
                Some(_) => Err(format!("`{key}` must be a path")),
            }
        };
        let entry = match path("browser")?.or(path("main")?) {
            Some(entry) => entry,
            None => return Err("`browser` is missing: the build target names no entry".into()),
        };
        let index = match options.get("index") {
            Some(Value::Object(index)) => index
                .get("input")
                .and_then(Value::as_str)
                .map(|input| root.join(input)),
            Some(Value::String(index)) => Some(root.join(index)),
            _ => None,
        }
        .unwrap_or_else(|| project_root.join("src/index.html"));
        let tsconfig = path("tsConfig")?.unwrap_or_else(|| project_root.join("tsconfig.app.json"));
        let styles = styles(&options, root)?;
        let public_dir = public_dir(&options, root);
        let file_replacements = file_replacements(&options, root)?;
        let mut ignored = Vec::new();
        for key in [
            "polyfills",
            "scripts",
            "server",
            "ssr",
            "prerender",
            "localize",
        ] {
            let used = match options.get(key) {
                None | Some(Value::Null) | Some(Value::Bool(false)) => false,
                Some(Value::Array(items)) => !items.is_empty(),
                Some(_) => true,
            };
            if used {
                ignored.push(key.to_string());
            }
        }
        Ok(Self {
            name: name.clone(),
            configuration,
            entry,
            index,
            styles,
            public_dir,
            tsconfig,
            base_href: options
                .get("baseHref")
                .and_then(Value::as_str)
                .map(str::to_string),
            file_replacements,
            inline_style_language: options
                .get("inlineStyleLanguage")
                .and_then(Value::as_str)
                .unwrap_or("css")
                .to_string(),
            ignored,
        })
    }

    /// The file compiled in place of `file` (`fileReplacements`), if any.
    pub fn replacement_of(&self, file: &Path) -> Option<&Path> {
        self.file_replacements
            .iter()
            .find(|(replaced, _)| replaced == file)
            .map(|(_, with)| with.as_path())
    }
}

/// As the CLI: `ng build` uses the target's `defaultConfiguration`; `ng serve` the build
/// configuration its dev-server target names (`development` in generated workspaces).
fn chosen_configuration(
    project: &Value,
    target: &Map<String, Value>,
    command: Command,
) -> Option<String> {
    let has = |name: &str| field(target, "configurations").get(name).is_some();
    match command {
        Command::Build => target
            .get("defaultConfiguration")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| has("production").then(|| "production".to_string())),
        Command::Serve => {
            let serve = project["architect"]["serve"]
                .as_object()
                .or_else(|| project["targets"]["serve"].as_object());
            let from_serve = serve.and_then(|serve| {
                let configuration = serve.get("defaultConfiguration")?.as_str()?;
                let chosen = &field(serve, "configurations")[configuration];
                let build_target = chosen["buildTarget"]
                    .as_str()
                    .or_else(|| chosen["browserTarget"].as_str())?;
                build_target.rsplit(':').next().map(str::to_string)
            });
            from_serve
                .filter(|name| has(name))
                .or_else(|| has("development").then(|| "development".to_string()))
        }
    }
}

/// `object[key]`, or `null` when it is missing (indexing a `Map` itself panics).
fn field<'a>(object: &'a Map<String, Value>, key: &str) -> &'a Value {
    object.get(key).unwrap_or(&Value::Null)
}

/// `styles`: paths or `{ input, inject }` objects; entries with `inject: false` are bundles of
/// their own in the CLI, which Nexxo does not make, so they are left out.
fn styles(options: &Map<String, Value>, root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut styles = Vec::new();
    for entry in options
        .get("styles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match entry {
            Value::String(path) => styles.push(root.join(path)),
            Value::Object(style) => {
                let input = style
                    .get("input")
                    .and_then(Value::as_str)
                    .ok_or("`styles` entries need an `input` path")?;
                if style.get("inject").and_then(Value::as_bool) != Some(false) {
                    styles.push(root.join(input));
                }
            }
            _ => return Err("`styles` entries must be paths or objects".into()),
        }
    }
    Ok(styles)
}

/// The folder that `assets` copies whole to the output root (`{ "glob": "**/*", "input":
/// "public" }` in generated workspaces): Nexxo's public folder.
fn public_dir(options: &Map<String, Value>, root: &Path) -> Option<PathBuf> {
    options
        .get("assets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|asset| {
            let asset = asset.as_object()?;
            let glob = asset.get("glob")?.as_str()?;
            let output = asset.get("output").and_then(Value::as_str).unwrap_or("/");
            let input = asset.get("input")?.as_str()?;
            (glob == "**/*" && (output == "/" || output.is_empty())).then(|| root.join(input))
        })
}

fn file_replacements(
    options: &Map<String, Value>,
    root: &Path,
) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    options
        .get("fileReplacements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| {
            let replace = entry["replace"].as_str().or(entry["src"].as_str());
            let with = entry["with"].as_str().or(entry["replaceWith"].as_str());
            match (replace, with) {
                (Some(replace), Some(with)) => Ok((root.join(replace), root.join(with))),
                _ => Err("`fileReplacements` entries need `replace` and `with`".to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = r#"{
      "projects": {
        "app": {
          "root": "",
          "architect": {
            "build": {
              "builder": "@angular/build:application",
              "options": {
                "browser": "src/main.ts",
                "tsConfig": "tsconfig.app.json",
                "inlineStyleLanguage": "scss",
                "assets": [{ "glob": "**/*", "input": "public" }],
                "styles": ["src/styles.scss", { "input": "src/lazy.css", "inject": false }]
              },
              "configurations": {
                "production": { "baseHref": "/app/" },
                "development": {
                  "fileReplacements": [{ "replace": "src/env.ts", "with": "src/env.dev.ts" }]
                }
              },
              "defaultConfiguration": "production"
            },
            "serve": {
              "builder": "@angular/build:dev-server",
              "configurations": { "development": { "buildTarget": "app:build:development" } },
              "defaultConfiguration": "development"
            }
          }
        }
      }
    }"#;

    fn read(command: Command, text: &str) -> Result<Option<AngularProject>, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(ANGULAR_JSON), text).unwrap();
        AngularProject::read(dir.path(), command).map(|project| {
            project.map(|mut project| {
                // Paths relative to the temporary root, for comparing.
                let strip = |path: &mut PathBuf| {
                    *path = path.strip_prefix(dir.path()).unwrap().to_path_buf();
                };
                strip(&mut project.entry);
                strip(&mut project.index);
                strip(&mut project.tsconfig);
                project.styles.iter_mut().for_each(strip);
                project.public_dir.iter_mut().for_each(strip);
                for (replace, with) in &mut project.file_replacements {
                    strip(replace);
                    strip(with);
                }
                project
            })
        })
    }

    #[test]
    fn build_reads_the_production_configuration() {
        let project = read(Command::Build, WORKSPACE).unwrap().unwrap();
        assert_eq!(project.name, "app");
        assert_eq!(project.configuration.as_deref(), Some("production"));
        assert_eq!(project.entry, Path::new("src/main.ts"));
        assert_eq!(project.index, Path::new("src/index.html"));
        assert_eq!(project.tsconfig, Path::new("tsconfig.app.json"));
        assert_eq!(project.styles, vec![PathBuf::from("src/styles.scss")]);
        assert_eq!(project.public_dir.as_deref(), Some(Path::new("public")));
        assert_eq!(project.base_href.as_deref(), Some("/app/"));
        assert!(project.file_replacements.is_empty());
        assert_eq!(project.inline_style_language, "scss");
    }

    #[test]
    fn dev_reads_the_dev_servers_build_configuration() {
        let project = read(Command::Serve, WORKSPACE).unwrap().unwrap();
        assert_eq!(project.configuration.as_deref(), Some("development"));
        assert_eq!(project.base_href, None);
        assert_eq!(
            project.file_replacements,
            vec![(PathBuf::from("src/env.ts"), PathBuf::from("src/env.dev.ts"))]
        );
    }

    #[test]
    fn a_target_without_configurations_uses_its_options() {
        let project = read(
            Command::Serve,
            r#"{ "projects": { "app": { "architect": {
                "build": { "builder": "@angular/build:application", "options": { "browser": "src/main.ts" } },
                "serve": { "builder": "@angular/build:dev-server" } } } } }"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(project.configuration, None);
        assert_eq!(project.entry, Path::new("src/main.ts"));
    }

    #[test]
    fn no_workspace_file_is_no_project() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            AngularProject::read(dir.path(), Command::Build).unwrap(),
            None
        );
    }

    #[test]
    fn bad_json_is_reported_with_its_location() {
        let error = read(Command::Build, "{\n  \"projects\": {,\n}").unwrap_err();
        let location = error.location.expect("a location");
        assert_eq!(location.line, 2);
    }

    #[test]
    fn a_workspace_without_an_application_is_an_error() {
        let error = read(
            Command::Build,
            r#"{ "projects": { "lib": { "architect": { "build": { "builder": "@angular/build:ng-packagr" } } } } }"#,
        )
        .unwrap_err();
        assert!(error.message.contains("no project"), "{}", error.message);
    }
}
