//! Merges the config file, CLI overrides, env files and targets into [`ResolvedConfig`]:
//! absolute paths, defaults filled in, every value checked. Later stages never read the user's
//! raw config.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

use crate::env::load_public_env;
use crate::load::{load_config_file, parse_config_value};
use crate::package::RootPackage;
use crate::plugins::{
    is_script_config, merge_json, plugin_config_known_keys, PluginPermissions, ScriptConfigSource,
    SharedScriptConfigLoader, UserPluginSpec, SCRIPT_CONFIG_FILE_NAMES,
};
use crate::target::resolve_targets;
use crate::user_config::{BuildInput, PublicDir, SourcemapOption, UserConfig, WatchOption};
use crate::CONFIG_FILE_NAME;

/// The default CSS Modules class name: short, like postcss-modules' `_[local]_[hash:base64:5]`
/// that Vite uses (the file name in every class made 10k-module apps' CSS a third bigger).
pub const DEFAULT_CSS_MODULES_PATTERN: &str = "_[local]_[hash]";

/// Which command is running; decides `import.meta.env.DEV`/`PROD` and the default mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Build,
    Serve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sourcemap {
    Off,
    /// `.map` files next to the chunks, referenced by a `sourceMappingURL` comment.
    File,
    /// Maps embedded in the chunks as data URLs.
    Inline,
    /// `.map` files without the comment (for error trackers).
    Hidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LibFormat {
    Es,
    Cjs,
    Umd,
    Iife,
}

impl LibFormat {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "es" | "esm" => Some(Self::Es),
            "cjs" => Some(Self::Cjs),
            "umd" => Some(Self::Umd),
            "iife" => Some(Self::Iife),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::Cjs => "cjs",
            Self::Umd => "umd",
            Self::Iife => "iife",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedLib {
    pub entry: PathBuf,
    pub name: Option<String>,
    pub formats: Vec<LibFormat>,
    pub file_name: String,
    /// The library's stylesheet, written when it imports CSS.
    pub css_file_name: String,
    /// Whether the root package.json says `"type": "module"` (decides `.js` vs `.mjs`/`.cjs`).
    pub package_is_module: bool,
}

/// One entry of `build.input`, checked: the file exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInput {
    /// Where it was written, for messages: `build.input.admin`, `build.input[1]`.
    pub key: String,
    /// The object form's key; script entries are otherwise named after the file.
    pub name: Option<String>,
    /// Absolute path, inside the root.
    pub file: PathBuf,
}

impl ResolvedInput {
    /// An HTML file is a page; anything else is a script entry.
    pub fn is_page(&self) -> bool {
        self.file
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("html"))
    }

    /// The name of a script entry's chunk: the object key, else the file's stem.
    pub fn chunk_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.file
                .file_stem()
                .map_or("entry".into(), |stem| stem.to_string_lossy().into_owned())
        })
    }
}

/// `build.watch` / `--watch`: rebuild on every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSettings {
    /// Milliseconds of quiet after a change before the rebuild starts.
    pub build_delay_ms: u64,
}

/// Wait after a change: an editor's save is several events within a few milliseconds.
pub const DEFAULT_WATCH_BUILD_DELAY_MS: u64 = 30;

/// Flags given on the command line; each one, when set, wins over the config file.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    pub config_file: Option<PathBuf>,
    pub mode: Option<String>,
    pub base: Option<String>,
    pub out_dir: Option<String>,
    pub target: Option<Vec<String>>,
    pub sourcemap: Option<Sourcemap>,
    pub minify: Option<bool>,
    pub empty_out_dir: Option<bool>,
    /// `--watch`.
    pub watch: bool,
    /// Evaluates `nexxo.config.{ts,mts,js,mjs}`; without one such a file is an error.
    pub script_loader: Option<SharedScriptConfigLoader>,
}

/// Everything a stage needs to know, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConfig {
    pub command: Command,
    /// Absolute, canonical project root.
    pub root: PathBuf,
    /// The config file used, if any.
    pub config_file: Option<PathBuf>,
    /// Public base path, always ending in `/` (`./` for relative).
    pub base: String,
    pub out_dir: PathBuf,
    pub public_dir: Option<PathBuf>,
    /// Where the persistent cache's stores live.
    pub cache_dir: PathBuf,
    /// Size cap of each cache store, in bytes.
    pub cache_max_bytes: u64,
    pub mode: String,
    /// (identifier, JS expression) pairs for the `define` replacement, including env values.
    pub define: Vec<(String, String)>,
    /// (specifier prefix, replacement) pairs; relative replacements made absolute.
    pub alias: Vec<(String, String)>,
    /// Client-visible env variables (prefixed ones only).
    pub env: BTreeMap<String, String>,
    pub env_prefixes: Vec<String>,
    /// esbuild-style targets, e.g. `["chrome107", "safari16"]` or `["es2020"]`.
    pub targets: Vec<String>,
    pub sourcemap: Sourcemap,
    pub minify: bool,
    pub assets_inline_limit: u64,
    pub assets_dir: String,
    /// (chunk name, module patterns) in the user's order.
    pub manual_chunks: Vec<(String, Vec<String>)>,
    /// `None`: empty it when it is inside the root (Vite's default).
    pub empty_out_dir: Option<bool>,
    /// CSS Modules class name pattern.
    pub css_modules_pattern: String,
    pub lib: Option<ResolvedLib>,
    /// `build.input`: the pages and script entries; `None` finds the pages (index.html first).
    pub input: Option<Vec<ResolvedInput>>,
    /// Set by `--watch` or `build.watch`; only the command line reads it.
    pub watch: Option<WatchSettings>,
    /// `worker.format`: the bundle format of module workers (classic workers are always IIFE).
    pub worker_format: WorkerFormat,
    /// The root package.json (its dependencies turn compile features on, see [`RootPackage`]).
    pub package: RootPackage,
    /// The frameworks the root package.json names, whose compilers the drivers add.
    pub frameworks: crate::Frameworks,
    /// An Angular app's `angular.json` build target (its package.json names `@angular/core`
    /// and the file exists): the index page, entry, styles and compiler settings.
    pub angular: Option<crate::AngularProject>,
    /// The script config file the plugins come from, for their helpers to evaluate again.
    pub script_config: Option<ScriptConfigSource>,
    /// The user's JS plugins that apply to this command, in hook order.
    pub plugins: Vec<UserPluginSpec>,
    /// `permissions`: what each plugin (by name) may reach beyond the defaults.
    pub plugin_permissions: BTreeMap<String, PluginPermissions>,
    /// `wasmPlugins`, checked, in the user's order (both drivers run them as user plugins).
    pub wasm_plugins: Vec<crate::ResolvedWasmPlugin>,
    /// `build.budgets`, sizes in bytes.
    pub budgets: Vec<ResolvedBudget>,
    /// The `audit` key as written (`nexxo_audit` checks the rule names it knows).
    pub audit: crate::user_config::AuditConfig,
}

/// One `build.budgets` entry with its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedBudget {
    pub path: String,
    pub max_bytes: u64,
    pub gzip: bool,
}

/// `build.budgets[i].maxSize`: a byte count, or a number with a unit (`B`, `kB`/`KB` = 1000,
/// `KiB` = 1024, `MB`, `MiB`, `GB`, `GiB`), spaces allowed between.
pub fn parse_size(value: &serde_json::Value) -> Result<u64, String> {
    let text = match value {
        serde_json::Value::Number(number) => {
            return number
                .as_u64()
                .ok_or_else(|| format!("{number} is not a whole number of bytes"))
        }
        serde_json::Value::String(text) => text.trim(),
        other => {
            return Err(format!(
                "{other} is neither a number nor a size such as \"150kB\""
            ))
        }
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" does not start with a number"))?;
    let scale: f64 = match unit.trim() {
        "" | "B" | "b" => 1.0,
        "kB" | "KB" | "kb" | "k" => 1e3,
        "KiB" | "kiB" => 1024.0,
        "MB" | "mB" | "mb" | "M" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" | "gb" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "\"{other}\" in \"{text}\" is not a size unit (B, kB, KiB, MB, MiB, GB, GiB)"
            ))
        }
    };
    Ok((number * scale).round() as u64)
}

fn resolve_budgets(
    budgets: Option<&[crate::user_config::BudgetConfig]>,
) -> Result<Vec<ResolvedBudget>, Diagnostic> {
    budgets
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(at, budget)| {
            let max_bytes = parse_size(&budget.max_size)
                .map_err(|why| Diagnostic::error(format!("build.budgets[{at}].maxSize: {why}")))?;
            if budget.path.trim().is_empty() {
                return Err(Diagnostic::error(format!(
                    "build.budgets[{at}].path is empty: give a glob such as \"assets/*.js\""
                )));
            }
            Ok(ResolvedBudget {
                path: budget.path.clone(),
                max_bytes,
                gzip: budget.gzip.unwrap_or(false),
            })
        })
        .collect()
}

/// `worker.format`, as Vite's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WorkerFormat {
    #[default]
    Es,
    Iife,
}

impl ResolvedConfig {
    /// `import.meta.env` as Vite defines it: user variables plus MODE, DEV, PROD, BASE_URL.
    pub fn import_meta_env(&self) -> BTreeMap<String, serde_json::Value> {
        let mut env: BTreeMap<String, serde_json::Value> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
            .collect();
        env.insert("MODE".into(), self.mode.clone().into());
        env.insert("DEV".into(), (self.command == Command::Serve).into());
        env.insert("PROD".into(), (self.command == Command::Build).into());
        env.insert("BASE_URL".into(), self.base.clone().into());
        env.insert("SSR".into(), false.into());
        env
    }

    /// Path shown to users for a file under the root (forward slashes, relative).
    /// The app's main page: `angular.json`'s `index` in an Angular app (served and written as
    /// `index.html`), else the root's `index.html`.
    pub fn index_page(&self) -> PathBuf {
        match &self.angular {
            Some(angular) => angular.index.clone(),
            None => self.root.join("index.html"),
        }
    }

    pub fn display_path(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        nexxo_diagnostics::display_path(relative)
    }
}

/// Resolves the config for the project at `root_arg`.
pub fn resolve_config(
    root_arg: &Path,
    command: Command,
    overrides: &ConfigOverrides,
    process_env: &BTreeMap<String, String>,
) -> Result<ResolvedConfig, Diagnostic> {
    let cwd = std::env::current_dir()
        .map_err(|err| Diagnostic::error(format!("cannot read the current directory: {err}")))?;
    let start_root = absolute(&cwd, root_arg);
    if !start_root.is_dir() {
        return Err(Diagnostic::error(format!(
            "project root {} does not exist or is not a folder",
            root_arg.display()
        )));
    }

    let files = find_config_files(&cwd, &start_root, overrides)?;
    let default_mode = match command {
        Command::Build => "production",
        Command::Serve => "development",
    };
    let (user, config_file, script) = load_user_config(&files, command, overrides, default_mode)?;

    let config_dir = config_file
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(&start_root);
    let root = match &user.root {
        Some(r) => absolute(config_dir, Path::new(r)),
        None => start_root.clone(),
    };
    let root = root.canonicalize().map_err(|err| {
        Diagnostic::error(format!(
            "project root {} is not readable: {err}",
            root.display()
        ))
    })?;

    let build = user.build.clone().unwrap_or_default();
    let mode = overrides
        .mode
        .clone()
        .or(user.mode.clone())
        .unwrap_or_else(|| {
            match command {
                Command::Build => "production",
                Command::Serve => "development",
            }
            .to_string()
        });
    let package = RootPackage::read(&root);
    let frameworks = crate::Frameworks::of(&package);
    let angular = if frameworks.angular {
        crate::AngularProject::read(&root, command)?
    } else {
        None
    };
    // `baseHref` is where the app is served from, as `base` is (the user's `base` wins).
    let base = normalize_base(
        overrides
            .base
            .as_deref()
            .or(user.base.as_deref())
            .or(angular.as_ref().and_then(|a| a.base_href.as_deref()))
            .unwrap_or("/"),
    );

    let out_dir_name = overrides
        .out_dir
        .clone()
        .or(user.out_dir.clone())
        .unwrap_or("dist".into());
    let out_dir = absolute(&root, Path::new(&out_dir_name));
    let public_dir = match &user.public_dir {
        Some(PublicDir::Disabled) => None,
        Some(PublicDir::Path(p)) => Some(absolute(&root, Path::new(p))),
        None => Some(
            angular
                .as_ref()
                .and_then(|a| a.public_dir.clone())
                .unwrap_or_else(|| root.join("public")),
        ),
    };

    let cache_dir = absolute(
        &root,
        Path::new(user.cache_dir.as_deref().unwrap_or("node_modules/.nexxo")),
    );

    let env_prefixes = user
        .env_prefix
        .clone()
        .map_or_else(|| vec!["NEXXO_".to_string()], |p| p.0);
    if env_prefixes.iter().any(String::is_empty) {
        return Err(Diagnostic::error(
            "envPrefix must not be an empty string: it would expose every environment variable, secrets included, to client code",
        ));
    }
    let env_dir = user
        .env_dir
        .as_deref()
        .map_or(root.clone(), |d| absolute(&root, Path::new(d)));
    let env = load_public_env(
        &env_dir,
        &mode,
        &env_prefixes,
        process_env.iter().map(|(k, v)| (k.clone(), v.clone())),
    )?;

    let target_entries = overrides
        .target
        .clone()
        .or(build.target.clone().map(|t| t.0));
    let targets = resolve_targets(target_entries.as_deref(), &root)
        .map_err(|msg| Diagnostic::error(format!("build.target: {msg}")))?;

    let sourcemap = overrides.sourcemap.unwrap_or(match build.sourcemap {
        None | Some(SourcemapOption::Off) => Sourcemap::Off,
        Some(SourcemapOption::File) => Sourcemap::File,
        Some(SourcemapOption::Inline) => Sourcemap::Inline,
        Some(SourcemapOption::Hidden) => Sourcemap::Hidden,
    });

    let manual_chunks = match &build.manual_chunks {
        Some(map) => map.entries().map_err(Diagnostic::error)?,
        None => Vec::new(),
    };

    let alias = user
        .resolve
        .as_ref()
        .and_then(|r| r.alias.as_ref())
        .map(|aliases| {
            aliases
                .iter()
                .map(|(find, replacement)| {
                    let replacement = if replacement.starts_with('.') {
                        nexxo_diagnostics::display_path(&absolute(&root, Path::new(replacement)))
                    } else {
                        replacement.clone()
                    };
                    (find.clone(), replacement)
                })
                .collect()
        })
        .unwrap_or_default();

    let worker_format = match user.worker.as_ref().and_then(|w| w.format.as_deref()) {
        None | Some("es") => WorkerFormat::Es,
        Some("iife") => WorkerFormat::Iife,
        Some(other) => {
            return Err(Diagnostic::error(format!(
                "worker.format must be \"es\" or \"iife\", not \"{other}\""
            )))
        }
    };
    let root_for_permissions = root.clone();
    let lib = match &build.lib {
        Some(lib) => Some(resolve_lib(lib, &root, &package)?),
        None => None,
    };

    if build.lib.is_some() && build.input.is_some() {
        return Err(Diagnostic::error(
            "build.input and build.lib cannot both be set: a library's entry is build.lib.entry",
        ));
    }
    let input = match &build.input {
        Some(input) => Some(resolve_input(input, &root)?),
        None => None,
    };
    let watch = match (&build.watch, overrides.watch) {
        (Some(WatchOption::On(options)), _) => Some(WatchSettings {
            build_delay_ms: options.build_delay.unwrap_or(DEFAULT_WATCH_BUILD_DELAY_MS),
        }),
        (_, true) => Some(WatchSettings {
            build_delay_ms: DEFAULT_WATCH_BUILD_DELAY_MS,
        }),
        _ => None,
    };

    let wasm_plugins = crate::wasm_plugins::resolve_wasm_plugins(
        user.wasm_plugins.as_deref().unwrap_or(&[]),
        &root,
    )?;

    let mut config = ResolvedConfig {
        command,
        root,
        config_file,
        base,
        out_dir,
        public_dir,
        cache_dir,
        cache_max_bytes: user
            .cache_max_size
            .unwrap_or(512)
            .saturating_mul(1024 * 1024),
        mode,
        define: Vec::new(),
        alias,
        env,
        env_prefixes,
        targets,
        sourcemap,
        minify: overrides
            .minify
            .or(build.minify)
            .unwrap_or(command == Command::Build),
        assets_inline_limit: build.assets_inline_limit.unwrap_or(4096),
        assets_dir: build
            .assets_dir
            .clone()
            .unwrap_or_else(|| "assets".to_string()),
        manual_chunks,
        empty_out_dir: overrides.empty_out_dir.or(build.empty_out_dir),
        css_modules_pattern: user
            .css
            .as_ref()
            .and_then(|css| css.modules.as_ref())
            .and_then(|modules| modules.generate_scoped_name.clone())
            .unwrap_or_else(|| DEFAULT_CSS_MODULES_PATTERN.to_string()),
        lib,
        worker_format,
        input,
        watch,
        frameworks,
        angular,
        package,
        plugin_permissions: user
            .permissions
            .iter()
            .flatten()
            .map(|(name, permissions)| (name.clone(), permissions.resolve(&root_for_permissions)))
            .collect(),
        script_config: script.as_ref().map(|(source, _)| source.clone()),
        plugins: script.map(|(_, plugins)| plugins).unwrap_or_default(),
        wasm_plugins,
        budgets: resolve_budgets(build.budgets.as_deref())?,
        audit: user.audit.clone().unwrap_or_default(),
    };
    config.define = build_define(&config, user.define.as_ref());
    Ok(config)
}

/// The config files of a project: `nexxo.config.json` and a script config, either or both.
struct ConfigFiles {
    json: Option<(PathBuf, PathBuf)>,
    script: Option<PathBuf>,
}

fn find_config_files(
    cwd: &Path,
    start_root: &Path,
    overrides: &ConfigOverrides,
) -> Result<ConfigFiles, Diagnostic> {
    if let Some(file) = &overrides.config_file {
        let path = absolute(cwd, file);
        if !path.is_file() {
            return Err(Diagnostic::error(format!(
                "config file {} not found",
                file.display()
            )));
        }
        return Ok(if is_script_config(&path) {
            ConfigFiles {
                json: None,
                script: Some(path),
            }
        } else {
            ConfigFiles {
                json: Some((path, file.clone())),
                script: None,
            }
        });
    }
    let json = start_root.join(CONFIG_FILE_NAME);
    let scripts: Vec<PathBuf> = SCRIPT_CONFIG_FILE_NAMES
        .iter()
        .map(|name| start_root.join(name))
        .filter(|path| path.is_file())
        .collect();
    if scripts.len() > 1 {
        return Err(Diagnostic::error(format!(
            "found {} config scripts ({}); keep one",
            scripts.len(),
            scripts
                .iter()
                .filter_map(|path| path.file_name())
                .map(|name| name.to_string_lossy())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(ConfigFiles {
        json: json
            .is_file()
            .then(|| (json, PathBuf::from(CONFIG_FILE_NAME))),
        script: scripts.into_iter().next(),
    })
}

/// The user's config: `nexxo.config.json`, then the script config's keys over it, then the
/// keys Nexxo knows from the plugins' `config` hooks (as Vite merges them).
type LoadedUserConfig = (
    UserConfig,
    Option<PathBuf>,
    Option<(ScriptConfigSource, Vec<UserPluginSpec>)>,
);

fn load_user_config(
    files: &ConfigFiles,
    command: Command,
    overrides: &ConfigOverrides,
    default_mode: &str,
) -> Result<LoadedUserConfig, Diagnostic> {
    let json = match &files.json {
        Some((path, display)) => Some((load_config_file(path, display)?, path.clone())),
        None => None,
    };
    let Some(script_file) = &files.script else {
        let (user, path) = json.map_or((UserConfig::default(), None), |(user, path)| {
            (user, Some(path))
        });
        return Ok((user, path, None));
    };
    let display = script_file
        .file_name()
        .map_or_else(|| script_file.clone(), PathBuf::from);
    let Some(loader) = &overrides.script_loader else {
        return Err(Diagnostic::error(format!(
            "{} cannot be read here: script configs are evaluated by the command line",
            display.display()
        )));
    };
    let mode = overrides
        .mode
        .clone()
        .or_else(|| json.as_ref().and_then(|(user, _)| user.mode.clone()))
        .unwrap_or_else(|| default_mode.to_string());
    let evaluated = loader.load(script_file, command, &mode)?;
    let mut merged = match &files.json {
        Some((path, _)) => {
            let text = nexxo_diagnostics::input::read_regular_to_string(path).map_err(|err| {
                Diagnostic::error(format!("cannot read {}: {err}", path.display()))
            })?;
            serde_json::from_str(&text).unwrap_or_else(|_| serde_json::json!({}))
        }
        None => serde_json::json!({}),
    };
    merge_json(&mut merged, &evaluated.user);
    for (_, partial) in &evaluated.plugin_configs {
        merge_json(&mut merged, &plugin_config_known_keys(partial));
    }
    let user = parse_config_value(merged, &display)?;
    let source = ScriptConfigSource {
        file: script_file.clone(),
        code: evaluated.code,
    };
    Ok((
        user,
        Some(script_file.clone()),
        Some((source, evaluated.plugins)),
    ))
}

/// Vue's compile-time feature flags with @vitejs/plugin-vue's values (the user's `define`
/// wins): the options API on, devtools and hydration mismatch details off in production.
const VUE_FEATURE_FLAGS: [(&str, &str); 3] = [
    ("__VUE_OPTIONS_API__", "true"),
    ("__VUE_PROD_DEVTOOLS__", "false"),
    ("__VUE_PROD_HYDRATION_MISMATCH_DETAILS__", "false"),
];

/// The `define` table, as Vite builds it: `process.env.NODE_ENV` (in its `global.` and
/// `globalThis.` spellings too), `import.meta.env` and its keys, the user's constants (which
/// override any of those), then, for apps, `process.env` as `{}` so that a package reading
/// `process.env.X` gets `undefined` instead of throwing `process is not defined` in the
/// browser. Libraries keep `process.env.*` for their consumers to replace. Each key appears
/// once.
fn build_define(
    config: &ResolvedConfig,
    user_define: Option<&BTreeMap<String, serde_json::Value>>,
) -> Vec<(String, String)> {
    let user: Vec<(String, String)> = user_define
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            let expression = match value {
                serde_json::Value::String(expr) => expr.clone(),
                other => other.to_string(),
            };
            (key.clone(), expression)
        })
        .collect();
    let mut define: Vec<(String, String)> = Vec::new();
    let is_app = config.lib.is_none();
    if is_app {
        // As in Vite: builds are production unless the mode is `development`.
        let node_env = if config.mode == "development" || config.command == Command::Serve {
            "\"development\""
        } else {
            "\"production\""
        };
        for prefix in PROCESS_PREFIXES {
            define.push((
                format!("{prefix}process.env.NODE_ENV"),
                node_env.to_string(),
            ));
        }
    }
    // `import.meta.env` keys as JSON values, with the user's `import.meta.env.X` constants as
    // written (a boolean or number stays one).
    let mut env: Vec<(String, String)> = config
        .import_meta_env()
        .into_iter()
        .map(|(key, value)| (key, value.to_string()))
        .collect();
    for (key, expression) in &user {
        if let Some(name) = key.strip_prefix("import.meta.env.") {
            env.retain(|(existing, _)| existing != name);
            env.push((name.to_string(), expression.clone()));
        }
    }
    for (key, value) in &env {
        define.push((format!("import.meta.env.{key}"), value.clone()));
    }
    // The whole object too, so `import.meta.env.UNPREFIXED` reads `undefined` instead of
    // throwing, and nothing unprefixed can reach the bundle.
    let object = env
        .iter()
        .map(|(key, value)| format!("{}:{value}", serde_json::Value::from(key.as_str())))
        .collect::<Vec<_>>()
        .join(",");
    define.push(("import.meta.env".into(), format!("{{{object}}}")));
    if config.angular.is_some() {
        define.extend(angular_flags(config.command));
    }
    if config.frameworks.vue {
        // Vue's esm-bundler build reads these feature flags; Vite's Vue plugin defines them.
        for (key, value) in VUE_FEATURE_FLAGS {
            define.push((key.to_string(), value.to_string()));
        }
    }
    for (key, expression) in user {
        define.retain(|(existing, _)| *existing != key);
        define.push((key, expression));
    }
    if is_app {
        for prefix in PROCESS_PREFIXES {
            let key = format!("{prefix}process.env");
            if !define.iter().any(|(existing, _)| *existing == key) {
                define.push((key, "{}".into()));
            }
        }
    }
    define
}

/// The global flags Angular's packages read, as the Angular CLI defines them: JIT, server and
/// i18n-closure code is never needed in an AOT-compiled browser app; `ngDevMode` is `false`
/// in builds only (its dev-mode checks and messages are then tree-shaken; left undefined in
/// dev, Angular makes it an object of debug counters); `ngHmrMode` is on in dev, where
/// components are hot-replaced.
fn angular_flags(command: Command) -> Vec<(String, String)> {
    let building = command == Command::Build;
    let mut flags = vec![
        ("ngJitMode".to_string(), "false".to_string()),
        ("ngServerMode".to_string(), "false".to_string()),
        ("ngI18nClosureMode".to_string(), "false".to_string()),
        ("ngHmrMode".to_string(), (!building).to_string()),
    ];
    if building {
        flags.push(("ngDevMode".to_string(), "false".to_string()));
    }
    flags
}

/// The spellings of `process` a browser bundle may read (`global.process` in code written for
/// Node, `globalThis.process` in code written for both).
const PROCESS_PREFIXES: [&str; 3] = ["", "global.", "globalThis."];

fn resolve_lib(
    lib: &crate::user_config::LibConfig,
    root: &Path,
    package: &RootPackage,
) -> Result<ResolvedLib, Diagnostic> {
    let entry = absolute(root, Path::new(&lib.entry));
    if !entry.is_file() {
        return Err(Diagnostic::error(format!(
            "build.lib.entry: {} does not exist",
            lib.entry
        )));
    }
    let has_name = lib.name.is_some();
    let format_names = lib.formats.clone().unwrap_or_else(|| {
        if has_name {
            vec!["es".into(), "umd".into()]
        } else {
            vec!["es".into()]
        }
    });
    let mut formats = Vec::new();
    for name in &format_names {
        let format = LibFormat::parse(name).ok_or_else(|| {
            Diagnostic::error(format!(
                "build.lib.formats: unknown format `{name}`, expected one of es, cjs, umd, iife"
            ))
        })?;
        if matches!(format, LibFormat::Umd | LibFormat::Iife) && !has_name {
            return Err(Diagnostic::error(format!(
                "build.lib.name is required for the `{name}` format: it is the global variable the bundle assigns"
            )));
        }
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    let file_name = lib.file_name.clone().unwrap_or_else(|| {
        package
            .name
            .as_deref()
            .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
            .unwrap_or_else(|| {
                entry
                    .file_stem()
                    .map_or("index".into(), |s| s.to_string_lossy().into_owned())
            })
    });
    if file_name.contains(['/', '\\']) || file_name.starts_with('.') || file_name.is_empty() {
        return Err(Diagnostic::error(format!(
            "build.lib.fileName `{file_name}` must be a plain file name"
        )));
    }
    let css_file_name = lib
        .css_file_name
        .clone()
        .unwrap_or_else(|| "style.css".to_string());
    if css_file_name.contains(['/', '\\']) || !css_file_name.ends_with(".css") {
        return Err(Diagnostic::error(format!(
            "build.lib.cssFileName `{css_file_name}` must be a plain file name ending in .css"
        )));
    }
    Ok(ResolvedLib {
        entry,
        name: lib.name.clone(),
        formats,
        file_name,
        css_file_name,
        package_is_module: package.is_module,
    })
}

/// Checks each `build.input` entry: it must name a file inside the root.
fn resolve_input(input: &BuildInput, root: &Path) -> Result<Vec<ResolvedInput>, Diagnostic> {
    if input.0.is_empty() {
        return Err(Diagnostic::error(
            "build.input is empty: name at least one page (index.html) or script entry",
        ));
    }
    input
        .0
        .iter()
        .map(|entry| {
            let file = absolute(root, Path::new(&entry.path));
            if !file.starts_with(root) {
                return Err(Diagnostic::error(format!(
                    "{}: `{}` is outside the project root",
                    entry.key, entry.path
                )));
            }
            if !file.is_file() {
                return Err(Diagnostic::error(format!(
                    "{}: `{}` does not exist",
                    entry.key, entry.path
                ))
                .with_help("paths in build.input are relative to the project root"));
            }
            Ok(ResolvedInput {
                key: entry.key.clone(),
                name: entry.name.clone(),
                file,
            })
        })
        .collect()
}

/// Vite's base rules: `""` and `./` mean relative; others get a leading and trailing slash
/// (full URLs keep their scheme).
fn normalize_base(base: &str) -> String {
    if base.is_empty() || base == "./" || base == "." {
        return "./".to_string();
    }
    let mut base = base.to_string();
    if !base.contains("://") && !base.starts_with('/') {
        base.insert(0, '/');
    }
    if !base.ends_with('/') {
        base.push('/');
    }
    base
}

/// `path` made absolute against `base`, with `.` and `..` folded (without touching the disk).
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_in(dir: &Path, overrides: ConfigOverrides) -> Result<ResolvedConfig, Diagnostic> {
        resolve_config(dir, Command::Build, &overrides, &BTreeMap::new())
    }

    #[test]
    fn an_angular_workspace_gives_the_page_public_folder_base_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{ "dependencies": { "@angular/core": "21.2.26" } }"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("angular.json"),
            r#"{ "projects": { "app": { "architect": { "build": {
                "builder": "@angular/build:application",
                "options": { "browser": "src/main.ts", "baseHref": "/shop/",
                  "assets": [{ "glob": "**/*", "input": "static" }] } } } } } }"#,
        )
        .unwrap();
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert!(config.frameworks.angular);
        assert_eq!(config.index_page(), root.join("src/index.html"));
        assert_eq!(config.public_dir, Some(root.join("static")));
        assert_eq!(config.base, "/shop/");
        for flag in ["ngDevMode", "ngJitMode", "ngServerMode", "ngHmrMode"] {
            assert!(
                config
                    .define
                    .contains(&(flag.to_string(), "false".to_string())),
                "{flag} is defined false in a build"
            );
        }
        let dev = resolve_config(
            dir.path(),
            Command::Serve,
            &ConfigOverrides::default(),
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(!dev.define.iter().any(|(key, _)| key == "ngDevMode"));
        assert!(dev
            .define
            .contains(&("ngHmrMode".to_string(), "true".to_string())));
    }

    #[test]
    fn budget_sizes_take_units() {
        use serde_json::json;
        assert_eq!(parse_size(&json!(1500)), Ok(1500));
        assert_eq!(parse_size(&json!("150kB")), Ok(150_000));
        assert_eq!(parse_size(&json!("150 KiB")), Ok(153_600));
        assert_eq!(parse_size(&json!("1.5MB")), Ok(1_500_000));
        assert_eq!(parse_size(&json!("900B")), Ok(900));
        assert!(parse_size(&json!("150 parsecs"))
            .unwrap_err()
            .contains("not a size unit"));
        assert!(parse_size(&json!("kB")).unwrap_err().contains("number"));
        assert!(parse_size(&json!(-3)).is_err());
        assert!(parse_size(&json!(true)).is_err());
    }

    #[test]
    fn budgets_are_resolved_with_the_key_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join(CONFIG_FILE_NAME), text).unwrap();
        write(
            r#"{ "build": { "budgets": [{ "path": "assets/*.js", "maxSize": "2kB", "gzip": true }] } }"#,
        );
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        assert_eq!(
            config.budgets,
            vec![ResolvedBudget {
                path: "assets/*.js".into(),
                max_bytes: 2000,
                gzip: true
            }]
        );
        write(r#"{ "build": { "budgets": [{ "path": "a", "maxSize": "2 lightyears" }] } }"#);
        let error = resolve_in(dir.path(), ConfigOverrides::default()).unwrap_err();
        assert!(
            error.message.contains("build.budgets[0].maxSize"),
            "{}",
            error.message
        );
    }

    #[test]
    fn worker_format_is_es_or_iife() {
        let dir = tempfile::tempdir().unwrap();
        let write = |format: &str| {
            std::fs::write(
                dir.path().join(CONFIG_FILE_NAME),
                format!("{{ \"worker\": {{ \"format\": \"{format}\" }} }}"),
            )
            .unwrap();
        };
        write("iife");
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        assert_eq!(config.worker_format, WorkerFormat::Iife);
        write("umd");
        let error = resolve_in(dir.path(), ConfigOverrides::default()).unwrap_err();
        assert!(error.message.contains("worker.format"), "{}", error.message);
    }

    #[test]
    fn the_root_package_json_is_read_into_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        assert!(!config.package.uses_styled_components());
        std::fs::write(
            dir.path().join("package.json"),
            r#"{ "dependencies": { "react": "19", "styled-components": "6" } }"#,
        )
        .unwrap();
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        assert!(config.package.uses_styled_components());
        assert!(config.package.depends_on("react"));
    }

    #[test]
    fn defaults_follow_vite() {
        let dir = tempfile::tempdir().unwrap();
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        assert_eq!(config.base, "/");
        assert_eq!(config.mode, "production");
        assert_eq!(config.out_dir, config.root.join("dist"));
        assert_eq!(config.assets_inline_limit, 4096);
        assert_eq!(config.worker_format, WorkerFormat::Es);
        assert!(config.minify);
        assert_eq!(config.sourcemap, Sourcemap::Off);
        assert!(config.define.contains(&(
            "process.env.NODE_ENV".to_string(),
            "\"production\"".to_string()
        )));
        assert!(config
            .define
            .contains(&("import.meta.env.PROD".to_string(), "true".to_string())));
    }

    #[test]
    fn define_follows_vite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            r#"{ "define": { "process.env.NODE_ENV": "\"staging\"", "import.meta.env.FLAG": true, "import.meta.env.LIMIT": 3 } }"#,
        )
        .unwrap();
        let config = resolve_in(dir.path(), ConfigOverrides::default()).unwrap();
        let value = |key: &str| {
            let found: Vec<&String> = config
                .define
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v)
                .collect();
            assert!(found.len() <= 1, "{key} defined twice: {found:?}");
            found.first().map(|v| v.to_string())
        };
        assert_eq!(value("process.env.NODE_ENV").unwrap(), "\"staging\"");
        assert_eq!(
            value("globalThis.process.env.NODE_ENV").unwrap(),
            "\"production\""
        );
        assert_eq!(value("process.env").unwrap(), "{}");
        assert_eq!(value("global.process.env").unwrap(), "{}");
        assert_eq!(value("import.meta.env.FLAG").unwrap(), "true");
        let object = value("import.meta.env").unwrap();
        assert!(object.contains(r#""FLAG":true"#), "{object}");
        assert!(object.contains(r#""LIMIT":3"#), "{object}");
        assert!(object.contains(r#""PROD":true"#), "{object}");
    }

    #[test]
    fn cli_overrides_win_over_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            r#"{ "base": "/from-file/", "outDir": "out", "build": { "minify": true } }"#,
        )
        .unwrap();
        let config = resolve_in(
            dir.path(),
            ConfigOverrides {
                base: Some("/cli".into()),
                minify: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(config.base, "/cli/");
        assert!(!config.minify);
        assert_eq!(config.out_dir, config.root.join("out"));
    }

    #[test]
    fn empty_env_prefix_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), r#"{ "envPrefix": "" }"#).unwrap();
        let error = resolve_in(dir.path(), ConfigOverrides::default()).unwrap_err();
        assert!(error.message.contains("envPrefix"), "{}", error.message);
    }

    #[test]
    fn lib_requires_name_for_umd() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.ts"), "export const a = 1;").unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            r#"{ "build": { "lib": { "entry": "index.ts", "formats": ["umd"] } } }"#,
        )
        .unwrap();
        let error = resolve_in(dir.path(), ConfigOverrides::default()).unwrap_err();
        assert!(
            error.message.contains("build.lib.name"),
            "{}",
            error.message
        );
    }

    fn resolve_with(files: &[(&str, &str)]) -> Result<ResolvedConfig, Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        resolve_in(dir.path(), ConfigOverrides::default())
    }

    #[test]
    fn build_input_takes_rollups_three_forms() {
        let pages = [
            ("index.html", ""),
            ("admin/index.html", ""),
            ("src/w.ts", ""),
        ];
        let with_input = |input: &str| {
            let config = format!(r#"{{ "build": {{ "input": {input} }} }}"#);
            let mut files = pages.to_vec();
            files.push((CONFIG_FILE_NAME, &config));
            let config = resolve_with(&files).unwrap();
            config
                .input
                .unwrap()
                .into_iter()
                .map(|entry| (entry.key.clone(), entry.is_page(), entry.chunk_name()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            with_input(r#""admin/index.html""#),
            [("build.input".to_string(), true, "index".to_string())]
        );
        assert_eq!(
            with_input(r#"["index.html", "src/w.ts"]"#),
            [
                ("build.input[0]".to_string(), true, "index".to_string()),
                ("build.input[1]".to_string(), false, "w".to_string())
            ]
        );
        assert_eq!(
            with_input(r#"{ "worker": "src/w.ts", "admin": "admin/index.html" }"#),
            [
                (
                    "build.input.worker".to_string(),
                    false,
                    "worker".to_string()
                ),
                ("build.input.admin".to_string(), true, "admin".to_string())
            ]
        );
    }

    #[test]
    fn build_input_errors_name_the_key() {
        let error = resolve_with(&[(
            CONFIG_FILE_NAME,
            r#"{ "build": { "input": { "main": "index.html", "admin": "admin/missing.html" } } }"#,
        )])
        .unwrap_err();
        assert!(
            error
                .message
                .contains("build.input.main: `index.html` does not exist"),
            "{}",
            error.message
        );
        let error = resolve_with(&[
            ("a.html", ""),
            (
                CONFIG_FILE_NAME,
                r#"{ "build": { "input": ["a.html", "../b.html"] } }"#,
            ),
        ])
        .unwrap_err();
        assert!(
            error
                .message
                .contains("build.input[1]: `../b.html` is outside the project root"),
            "{}",
            error.message
        );
        let error =
            resolve_with(&[(CONFIG_FILE_NAME, r#"{ "build": { "input": [] } }"#)]).unwrap_err();
        assert!(
            error.message.contains("build.input is empty"),
            "{}",
            error.message
        );
        let error = resolve_with(&[
            ("i.ts", ""),
            (
                CONFIG_FILE_NAME,
                r#"{ "build": { "input": "i.ts", "lib": { "entry": "i.ts" } } }"#,
            ),
        ])
        .unwrap_err();
        assert!(
            error.message.contains("cannot both be set"),
            "{}",
            error.message
        );
    }

    #[test]
    fn build_watch_turns_watching_on() {
        let watch_of = |value: &str| {
            let config = format!(r#"{{ "build": {{ "watch": {value} }} }}"#);
            resolve_with(&[(CONFIG_FILE_NAME, &config)]).unwrap().watch
        };
        assert_eq!(watch_of("false"), None);
        assert_eq!(watch_of("null"), None);
        assert_eq!(
            watch_of("true"),
            Some(WatchSettings {
                build_delay_ms: DEFAULT_WATCH_BUILD_DELAY_MS
            })
        );
        assert_eq!(
            watch_of(r#"{ "buildDelay": 200 }"#),
            Some(WatchSettings {
                build_delay_ms: 200
            })
        );
        let dir = tempfile::tempdir().unwrap();
        let flag = ConfigOverrides {
            watch: true,
            ..Default::default()
        };
        assert!(resolve_in(dir.path(), flag).unwrap().watch.is_some());
    }

    #[test]
    fn base_normalization() {
        assert_eq!(normalize_base(""), "./");
        assert_eq!(normalize_base("app"), "/app/");
        assert_eq!(
            normalize_base("https://cdn.example/x"),
            "https://cdn.example/x/"
        );
    }
}
