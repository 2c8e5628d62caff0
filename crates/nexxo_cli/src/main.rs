//! The `nexxo` command. It parses flags, resolves the config and hands over to the pipeline
//! crates; all the work happens there.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use std::sync::Arc;

use nexxo_build::watch::{ProjectWatcher, StopSignal};
use nexxo_build::{BuildReport, CacheOutcome, CacheStore, StoreKind};
use nexxo_config::{resolve_config, Command, ConfigOverrides, Sourcemap};
use nexxo_diagnostics::{events, Diagnostic, Diagnostics};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "nexxo",
    version,
    about = "Nexxo: a fast build tool for web apps (React, Preact, Lit and vanilla JavaScript or TypeScript).",
    after_help = "Examples:\n  nexxo build                 build the app in the current folder into dist/\n  nexxo build examples/app    build the app in examples/app\n  nexxo build --help          every build flag"
)]
struct Cli {
    #[command(subcommand)]
    command: CliCommand,

    /// Output: `human` (default) or `json` (one JSON event per line on stdout, for CI).
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["human", "json"], default_value = "human")]
    log_format: String,
}

#[derive(Subcommand)]
enum CliCommand {
    /// Build the app for production: bundles index.html's scripts, hashes assets, writes outDir.
    #[command(
        after_help = "Examples:\n  nexxo build\n  nexxo build my-app --base /my-app/ --sourcemap\n  nexxo build --mode staging --out-dir build --target es2020\n  nexxo build --sourcemap hidden --minify false\n  nexxo build --watch         rebuild on every change"
    )]
    Build(BuildArgs),
    /// Start the dev server: the app on 127.0.0.1:5173 with hot updates as you edit.
    #[command(
        after_help = "Examples:\n  nexxo dev\n  nexxo dev examples/react-ts --port 3000\n  nexxo dev --host            expose on the network\n  nexxo dev --debug hmr       log each hot update's latency"
    )]
    Dev(ServeArgs),
    /// The persistent cache: `stats` (entries, size, last run's hit rate) or `clear`.
    #[command(after_help = "Examples:\n  nexxo cache stats\n  nexxo cache clear my-app")]
    Cache(CacheArgs),
    /// Why a package or file is in the bundle: the shortest import chain from an entry, read
    /// from the last `nexxo build --analyze` (`.nexxo/analyze/stats.json`).
    #[command(
        after_help = "Examples:\n  nexxo build --analyze && nexxo why lodash\n  nexxo why src/utils/format.ts my-app\n  nexxo why react --stats old/stats.json"
    )]
    Why(WhyArgs),
    /// Serve the built outDir locally (compression, cache headers, SPA fallback).
    #[command(
        after_help = "Examples:\n  nexxo build && nexxo preview\n  nexxo preview --port 8080"
    )]
    Preview(ServeArgs),
    /// Check the built app: SEO, best practices, source maps and chunk sizes from outDir; with
    /// --browser also accessibility (axe-core) and web vitals in headless Chromium.
    #[command(
        after_help = "Examples:\n  nexxo build && nexxo audit\n  nexxo audit --browser\n  nexxo audit --format sarif > audit.sarif\n\nExits with 1 when a check at level `error` fails (levels and limits: the `audit` key of nexxo.config.json)."
    )]
    Audit(AuditArgs),
}

#[derive(Args)]
struct AuditArgs {
    /// Project root (its outDir is audited). Example: `nexxo audit apps/web`
    #[arg(default_value = ".")]
    root: PathBuf,

    /// Config file to use instead of <root>/nexxo.config.json.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Also open every page in headless Chromium (NEXXO_CHROMIUM, CHROME_PATH or
    /// /usr/bin/chromium): axe-core, web vitals, console errors.
    #[arg(long)]
    browser: bool,

    /// `human` (default), `json` or `sarif` (SARIF 2.1.0, for code scanning).
    #[arg(long, value_name = "FORMAT", value_parser = ["human", "json", "sarif"], default_value = "human")]
    format: String,
}

#[derive(Args)]
struct WhyArgs {
    /// A package name (`react`, `@scope/pkg`) or a module path (`src/a.ts`, or its end: `a.ts`).
    target: String,

    /// Project root. Example: `nexxo why lodash apps/web`
    #[arg(default_value = ".")]
    root: PathBuf,

    /// The stats file to read instead of <root>/.nexxo/analyze/stats.json.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
}

#[derive(Args)]
struct CacheArgs {
    /// `stats` or `clear`.
    #[arg(value_parser = ["stats", "clear"])]
    action: String,

    /// Project root. Example: `nexxo cache stats apps/web`
    #[arg(default_value = ".")]
    root: PathBuf,

    /// Config file to use instead of <root>/nexxo.config.json.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Project root holding index.html (and nexxo.config.json). Example: `nexxo dev apps/web`
    #[arg(default_value = ".")]
    root: PathBuf,

    /// Config file to use instead of <root>/nexxo.config.json.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Mode: picks `.env.[mode]` files (default: development for dev, production for preview).
    #[arg(long, short = 'm')]
    mode: Option<String>,

    /// Public base path. Example: `--base /my-app/`
    #[arg(long)]
    base: Option<String>,

    /// Port; the next free one is used when it is taken, 0 picks any (default: 5173, preview 4173).
    #[arg(long, short = 'p')]
    port: Option<u16>,

    /// Listen on the network too: a bare `--host` means every interface; a name or address
    /// also allows that `Host` header. Example: `--host 192.168.1.20`
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    host: Option<String>,

    /// Open the app in the browser.
    #[arg(long)]
    open: bool,

    /// Debug output: `hmr` logs each hot update's time from file event to message sent.
    #[arg(long, value_name = "WHAT", value_parser = ["hmr"])]
    debug: Option<String>,
}

impl ServeArgs {
    fn overrides(&self) -> ConfigOverrides {
        ConfigOverrides {
            config_file: self.config.clone(),
            mode: self.mode.clone(),
            base: self.base.clone(),
            script_loader: Some(script_loader()),
            ..ConfigOverrides::default()
        }
    }

    fn options(&self, default_port: u16) -> nexxo_dev::ServeOptions {
        nexxo_dev::ServeOptions {
            port: self.port.unwrap_or(default_port),
            host: self.host.clone(),
            open: self.open,
            debug_hmr: self.debug.as_deref() == Some("hmr"),
        }
    }
}

#[derive(Args)]
struct BuildArgs {
    /// Project root holding index.html (and nexxo.config.json). Example: `nexxo build apps/web`
    #[arg(default_value = ".")]
    root: PathBuf,

    /// Config file to use instead of <root>/nexxo.config.json. Example: `--config nexxo.prod.json`
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Mode: picks `.env.[mode]` files and `import.meta.env.MODE` (default: production).
    /// Example: `--mode staging`
    #[arg(long, short = 'm')]
    mode: Option<String>,

    /// Public base path the app is served from. Example: `--base /my-app/` or `--base ./`
    #[arg(long)]
    base: Option<String>,

    /// Output folder, relative to the root (default: dist). Example: `--out-dir build`
    #[arg(long, value_name = "DIR")]
    out_dir: Option<String>,

    /// Browser target: an ES version, engine versions, or a browserslist query; repeatable.
    /// Example: `--target es2020` or `--target chrome100 --target safari15`
    #[arg(long, value_name = "TARGET")]
    target: Vec<String>,

    /// Source maps: `true` (files), `inline`, `hidden` (files without a reference), `false`.
    /// A bare `--sourcemap` means `true`. Example: `--sourcemap hidden`
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "true",
          value_parser = ["true", "false", "inline", "hidden"])]
    sourcemap: Option<String>,

    /// Minify the output (default: true). Example: `--minify false`
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    minify: Option<bool>,

    /// Empty outDir even when it is outside the project root. Example: `--out-dir ../www --empty-out-dir`
    #[arg(long)]
    empty_out_dir: bool,

    /// Say why the build was not restored from the cache (which input changed).
    #[arg(long)]
    explain: bool,

    /// Rebuild on every change until Ctrl-C (as `build.watch` in the config): one line per
    /// rebuild; errors are printed and the last good output stays in place.
    #[arg(long, short = 'w')]
    watch: bool,

    /// Also write a bundle report (treemap, duplicates, import chains), stats.json and an
    /// esbuild metafile to <root>/.nexxo/analyze/, outside outDir.
    #[arg(long, conflicts_with = "watch")]
    analyze: bool,

    /// With --analyze: compare with an earlier stats.json (what grew, shrank, appeared, left).
    /// Example: `--analyze --compare old-stats.json`
    #[arg(long, value_name = "STATS_JSON", requires = "analyze")]
    compare: Option<PathBuf>,
}

impl BuildArgs {
    fn overrides(&self) -> ConfigOverrides {
        ConfigOverrides {
            config_file: self.config.clone(),
            mode: self.mode.clone(),
            base: self.base.clone(),
            out_dir: self.out_dir.clone(),
            target: (!self.target.is_empty()).then(|| self.target.clone()),
            sourcemap: self.sourcemap.as_deref().map(|value| match value {
                "inline" => Sourcemap::Inline,
                "hidden" => Sourcemap::Hidden,
                "false" => Sourcemap::Off,
                _ => Sourcemap::File,
            }),
            minify: self.minify,
            empty_out_dir: self.empty_out_dir.then_some(true),
            watch: self.watch,
            script_loader: Some(script_loader()),
        }
    }
}

/// The stack of every thread that compiles code: oxc, lightningcss and rolldown's linker
/// recurse once or more per nesting level of the code (and per operand of a long `a + b + …`
/// chain), and a stack overflow aborts the whole process, dev server included. Files nested
/// deeper than `nexxo_diagnostics::input::NESTING_LIMIT` are refused before parsing; this leaves
/// a wide margin beyond that. Mostly untouched virtual memory: only what a compile uses is
/// ever backed by RAM.
const COMPILE_STACK_BYTES: usize = 256 << 20;

fn main() -> ExitCode {
    // `nexxo __sandbox <policy> -- <program> …`: confine this process and exec the program (see
    // nexxo_sandbox). First, while the process is still single-threaded: Landlock restricts the
    // calling thread only.
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(nexxo_sandbox::TRAMPOLINE_COMMAND))
    {
        nexxo_sandbox::run_trampoline(std::env::args_os().skip(2).collect());
    }
    // `nexxo __sass-worker`: one Sass compile in a process of its own (see nexxo_css::sass).
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(nexxo_css::sass::WORKER_COMMAND))
    {
        return ExitCode::from(u8::try_from(nexxo_css::sass::worker_main()).unwrap_or(2));
    }
    install_panic_hook();
    let cli = Cli::parse();
    // The runtime's `block_on` polls the top-level future, and with it parts of rolldown, on
    // the calling thread: that thread needs a compile stack too, which `main`'s is not.
    let session = std::thread::Builder::new()
        .name("nexxo".into())
        .stack_size(COMPILE_STACK_BYTES)
        .spawn(move || std::panic::catch_unwind(|| run(cli)));
    match session.map(|thread| thread.join()) {
        Ok(Ok(Ok(code))) => code,
        // A panic is a bug in Nexxo: the hook has already told the user; exit without a trace.
        Ok(_) => ExitCode::from(70),
        Err(err) => {
            eprintln!("error: cannot start Nexxo's main thread: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    if cli.log_format == "json" {
        nexxo_diagnostics::events::enable_json_events();
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    use_sass_workers();
    // rolldown links, generates and minifies on rayon's global pool, and the dev server
    // compiles modules there: it must exist, with big stacks, before either runs.
    if let Err(err) = rayon::ThreadPoolBuilder::new()
        .stack_size(COMPILE_STACK_BYTES)
        .thread_name(|index| format!("compile-{index}"))
        .build_global()
    {
        eprintln!("error: cannot start the compile threads: {err}");
        return ExitCode::FAILURE;
    }
    // rolldown parses modules on the runtime's worker threads, the dev server compiles on its
    // blocking threads.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(COMPILE_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let what = match cli.command {
        CliCommand::Build(_) => "build",
        CliCommand::Dev(_) => "dev server",
        CliCommand::Cache(_) => "cache",
        CliCommand::Preview(_) => "preview",
        CliCommand::Why(_) => "why",
        CliCommand::Audit(_) => "audit",
    };
    let result = match cli.command {
        CliCommand::Build(args) => runtime.block_on(build(args, color)),
        CliCommand::Dev(args) => runtime.block_on(serve(args, Command::Serve)),
        CliCommand::Preview(args) => runtime.block_on(serve(args, Command::Build)),
        CliCommand::Cache(args) => cache(args),
        CliCommand::Why(args) => why(args),
        CliCommand::Audit(args) => match runtime.block_on(audit(args)) {
            Ok(true) => Ok(()),
            // The report says what failed.
            Ok(false) => return ExitCode::FAILURE,
            Err(diagnostics) => Err(diagnostics),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(diagnostics) => {
            print_errors(&diagnostics, color, what);
            ExitCode::FAILURE
        }
    }
}

/// Each error as a JSON event and rendered with its code frame on stderr, then a count.
fn print_errors(diagnostics: &Diagnostics, color: bool, what: &str) {
    for diagnostic in &diagnostics.0 {
        let location = diagnostic.location.as_deref();
        nexxo_diagnostics::events::event(
            "error",
            serde_json::json!({
                "message": diagnostic.message,
                "file": location.map(|l| nexxo_diagnostics::display_path(&l.file)),
                "line": location.map(|l| l.line),
                "column": location.map(|l| l.column),
            }),
        );
    }
    eprintln!("{}", diagnostics.render(color));
    let count = diagnostics.0.len();
    eprintln!(
        "{what} failed with {count} error{}",
        if count == 1 { "" } else { "s" }
    );
}

/// Prints a line on stdout. A closed stdout (`nexxo cache stats | head -1`) is not an error:
/// the reader has all it wanted, so the rest of the output is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

async fn build(args: BuildArgs, color: bool) -> Result<(), Diagnostics> {
    let json = events::json_events_enabled();
    let process_env: BTreeMap<String, String> = std::env::vars().collect();
    let config = resolve_config(&args.root, Command::Build, &args.overrides(), &process_env)?;
    if !json {
        say!(
            "nexxo v{} building for {}…",
            env!("CARGO_PKG_VERSION"),
            if config.lib.is_some() {
                "a library"
            } else {
                config.mode.as_str()
            }
        );
    }
    if config.watch.is_some() {
        if args.analyze {
            return Err(Diagnostics(vec![nexxo_diagnostics::Diagnostic::error(
                "--analyze cannot run with build.watch: analyze one build (--watch is off without the config key)",
            )]));
        }
        return watch(&args, config, &process_env, color).await;
    }
    let store = Arc::new(open_build_cache(&config));
    if args.analyze {
        let (report, graph) = build_analyzed_once(&config, &store).await?;
        print_report(&report, args.explain);
        let outcome =
            nexxo_build::analyze::write_analysis(&config, &graph, args.compare.as_deref())
                .map_err(|d| Diagnostics(vec![d]))?;
        print_analysis(&config, &outcome);
        return nexxo_build::check_budgets(&config, &report);
    }
    let report = build_once(&config, &store).await?;
    print_report(&report, args.explain);
    nexxo_build::check_budgets(&config, &report)
}

/// An analyzed build ([`nexxo_build::build_analyzed`]) with the same events as [`build_once`].
async fn build_analyzed_once(
    config: &nexxo_config::ResolvedConfig,
    store: &Arc<CacheStore>,
) -> Result<(BuildReport, nexxo_analyze::BuildGraph), Diagnostics> {
    let phase = events::Phase::start("build");
    match nexxo_build::build_analyzed(config, store).await {
        Ok((report, graph)) => {
            report_events(store, &report);
            phase.end(true, json!({}));
            Ok((report, graph))
        }
        Err(diagnostics) => {
            phase.end(false, json!({}));
            Err(diagnostics)
        }
    }
}

/// Where the analysis went, and the comparison when one was asked for.
fn print_analysis(
    config: &nexxo_config::ResolvedConfig,
    outcome: &nexxo_build::analyze::AnalysisOutcome,
) {
    let files = &outcome.files;
    events::event(
        "analyze",
        json!({
            "report": files.report, "stats": files.stats, "metafile": files.metafile,
            "duplicates": outcome.stats.duplicates.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
            "comparison": outcome.comparison,
        }),
    );
    if events::json_events_enabled() {
        return;
    }
    say!("analysis:");
    say!("  report    {}", config.display_path(&files.report));
    say!("  stats     {}", config.display_path(&files.stats));
    say!("  metafile  {}", config.display_path(&files.metafile));
    for duplicate in &outcome.stats.duplicates {
        let copies: Vec<String> = duplicate
            .instances
            .iter()
            .filter_map(|i| outcome.stats.packages.get(i.package))
            .map(|p| format!("{} ({})", p.dir, p.version.as_deref().unwrap_or("?")))
            .collect();
        say!(
            "  duplicate package {}: {}",
            duplicate.name,
            copies.join(", ")
        );
    }
    if let Some(comparison) = &outcome.comparison {
        say!("{}", nexxo_analyze::compare::render(comparison).trim_end());
    }
}

/// `nexxo why <package-or-file> [root]`: chains from the last analysis's stats.json.
fn why(args: WhyArgs) -> Result<(), Diagnostics> {
    let error = |message: String| Diagnostics(vec![nexxo_diagnostics::Diagnostic::error(message)]);
    let path = args.stats.clone().unwrap_or_else(|| {
        args.root
            .join(nexxo_analyze::ANALYZE_DIR)
            .join("stats.json")
    });
    if !path.exists() {
        return Err(error(format!(
            "no {} yet: run `nexxo build --analyze` first (nexxo why reads the last analysis)",
            nexxo_diagnostics::display_path(&path)
        )));
    }
    let stats = nexxo_analyze::read_stats(&path).map_err(error)?;
    let chains = nexxo_analyze::chains::why_chains(&stats, &args.target);
    if chains.is_empty() {
        return Err(error(format!(
            "no module or package named \"{}\" in the last analyzed build",
            args.target
        )));
    }
    let chain_ids = |chain: &Vec<usize>| -> Vec<String> {
        chain
            .iter()
            .map(|&at| stats.modules[at].id.clone())
            .collect()
    };
    events::event(
        "why",
        json!({"target": args.target, "chains": chains.iter().map(chain_ids).collect::<Vec<_>>()}),
    );
    if events::json_events_enabled() {
        return Ok(());
    }
    for chain in &chains {
        let Some(&last) = chain.last() else { continue };
        let target = &stats.modules[last];
        let package = target
            .package
            .and_then(|p| stats.packages.get(p))
            .map(|p| format!(" ({}@{})", p.name, p.version.as_deref().unwrap_or("?")))
            .unwrap_or_default();
        if target.depth.is_none() && !target.entry {
            say!("{}{package} is not imported from any entry", target.id);
            continue;
        }
        say!("{}{package} is here because:", target.id);
        for (step, &at) in chain.iter().enumerate() {
            let arrow = if step == 0 { "  " } else { "  → " };
            let note = if step == 0 { "  (entry)" } else { "" };
            say!("{arrow}{}{note}", stats.modules[at].id);
        }
    }
    Ok(())
}

fn open_build_cache(config: &nexxo_config::ResolvedConfig) -> CacheStore {
    nexxo_build::open_cache(config, &|warning| events::warning(&warning))
}

/// One build, its phase, cache and chunk events.
async fn build_once(
    config: &nexxo_config::ResolvedConfig,
    store: &Arc<CacheStore>,
) -> Result<BuildReport, Diagnostics> {
    let phase = events::Phase::start("build");
    let report = match nexxo_build::build(config, store).await {
        Ok(report) => report,
        Err(diagnostics) => {
            phase.end(false, json!({}));
            return Err(diagnostics);
        }
    };
    report_events(store, &report);
    phase.end(true, json!({}));
    Ok(report)
}

/// A finished build's cache, chunk and warning events.
fn report_events(store: &Arc<CacheStore>, report: &BuildReport) {
    let kind = store.kind();
    let (restored, reason) = cache_outcome(report);
    events::event(
        "cache",
        json!({"store": kind.name(), "restored": restored, "miss_reason": reason, "hits": report.cache_stats.hits, "misses": report.cache_stats.misses}),
    );
    for file in &report.files {
        events::event(
            "chunk",
            json!({"file": file.name, "bytes": file.bytes, "gzip_bytes": file.gzip_bytes}),
        );
    }
    for warning in &report.warnings {
        events::warning(warning.trim_end());
    }
}

/// Whether the build was restored from the cache, else why it was built.
fn cache_outcome(report: &BuildReport) -> (bool, Option<String>) {
    match &report.cache {
        CacheOutcome::Restored => (true, None),
        CacheOutcome::Built(reason) => (false, Some(reason.to_string())),
    }
}

/// The size table (and with `--explain`, why the build was not restored).
fn print_report(report: &BuildReport, explain: bool) {
    if events::json_events_enabled() {
        return;
    }
    say!("{}", report.render().trim_end_matches('\n'));
    if explain {
        print_explanation(report);
    }
}

fn print_explanation(report: &BuildReport) {
    match cache_outcome(report).1 {
        None => say!("explain: restored from the cache: no input changed since the last build"),
        Some(reason) => say!("explain: built because {reason}"),
    }
}

/// `nexxo build --watch` (or `build.watch`): builds, then rebuilds after every change until
/// Ctrl-C or SIGTERM (status 0). A failed build prints its errors and the watch goes on; the
/// last good output stays in outDir (emit replaces it only with a whole new one). A stop
/// during a build lets that build end first, so nothing is left half done.
async fn watch(
    args: &BuildArgs,
    mut config: nexxo_config::ResolvedConfig,
    process_env: &BTreeMap<String, String>,
    color: bool,
) -> Result<(), Diagnostics> {
    let json = events::json_events_enabled();
    let mut stop = StopSignal::new().map_err(|err| {
        Diagnostics(vec![nexxo_diagnostics::Diagnostic::error(format!(
            "cannot catch Ctrl-C to stop watching: {err}"
        ))])
    })?;
    // Watching starts before the first build, so an edit made during it is not missed.
    let mut watcher = ProjectWatcher::new(&config)?;
    let mut store = Arc::new(open_build_cache(&config));
    let (built, stop_asked) = build_until_stop(&config, &store, &mut stop).await;
    match built {
        Ok(report) => {
            print_report(&report, args.explain);
            if let Err(over) = nexxo_build::check_budgets(&config, &report) {
                print_errors(&over, color, "budget check");
            }
        }
        Err(diagnostics) => print_errors(&diagnostics, color, "build"),
    }
    if stop_asked {
        stopped();
        return Ok(());
    }
    events::event("watching", json!({}));
    if !json {
        say!("watching for changes… (Ctrl-C to stop)");
    }
    // Set while the config cannot be read: every change retries until it can.
    let mut config_broken = false;
    loop {
        let changes = tokio::select! {
            changes = watcher.next_changes() => changes,
            () = stop.recv() => break,
        };
        let started = std::time::Instant::now();
        let files = changes.file_count();
        if changes.config_changed || config_broken {
            match resolve_config(&args.root, Command::Build, &args.overrides(), process_env) {
                Ok(new_config) => {
                    config_broken = false;
                    if new_config != config {
                        let same_folders = new_config.root == config.root
                            && new_config.out_dir == config.out_dir
                            && new_config.cache_dir == config.cache_dir;
                        let same_store = new_config.cache_dir == config.cache_dir
                            && new_config.lib.is_some() == config.lib.is_some();
                        config = new_config;
                        if !same_folders {
                            // On failure the old watcher goes on: edits still reach us.
                            match ProjectWatcher::new(&config) {
                                Ok(new_watcher) => watcher = new_watcher,
                                Err(diagnostic) => {
                                    print_errors(&Diagnostics(vec![diagnostic]), color, "watch")
                                }
                            }
                        }
                        if !same_store {
                            // RocksDB allows one handle per store: close before opening.
                            drop(store);
                            store = Arc::new(open_build_cache(&config));
                        }
                    }
                }
                Err(diagnostic) => {
                    config_broken = true;
                    print_errors(&Diagnostics(vec![diagnostic]), color, "config");
                    continue;
                }
            }
        }
        let (built, stop_asked) = build_until_stop(&config, &store, &mut stop).await;
        let elapsed_ms = started.elapsed().as_millis();
        let changed = format!("{files} file{} changed", if files == 1 { "" } else { "s" });
        match built {
            Ok(report) => {
                let (restored, _) = cache_outcome(&report);
                events::event(
                    "rebuild",
                    json!({"ok": true, "ms": elapsed_ms, "files_changed": files, "restored": restored}),
                );
                if !json {
                    let from_cache = if restored {
                        ", restored from the cache"
                    } else {
                        ""
                    };
                    say!("rebuilt in {elapsed_ms} ms ({changed}{from_cache})");
                    if args.explain {
                        print_explanation(&report);
                    }
                }
                if let Err(over) = nexxo_build::check_budgets(&config, &report) {
                    print_errors(&over, color, "budget check");
                }
            }
            Err(diagnostics) => {
                events::event(
                    "rebuild",
                    json!({"ok": false, "ms": elapsed_ms, "files_changed": files}),
                );
                print_errors(&diagnostics, color, "rebuild");
                if !json && !stop_asked {
                    say!("outDir is left as it was; watching for changes…");
                }
            }
        }
        if stop_asked {
            break;
        }
    }
    stopped();
    Ok(())
}

/// Runs one build to its end, even when a stop signal comes meanwhile (then the second value
/// is true). Dropping rolldown mid-build is not clean: its module tasks panic on closed
/// channels and its thread pools may abort the process. A second signal stops at once.
async fn build_until_stop(
    config: &nexxo_config::ResolvedConfig,
    store: &Arc<CacheStore>,
    stop: &mut StopSignal,
) -> (Result<BuildReport, Diagnostics>, bool) {
    let build = build_once(config, store);
    tokio::pin!(build);
    tokio::select! {
        built = &mut build => return (built, false),
        () = stop.recv() => {}
    }
    if !events::json_events_enabled() {
        say!("stopping once the build in progress ends (Ctrl-C again to stop now)…");
    }
    tokio::select! {
        built = &mut build => (built, true),
        () = stop.recv() => {
            // The user insists. This runs between polls of the build, never inside emit's
            // synchronous write, so no staging folder is left; the status says it was forced.
            std::process::exit(130);
        }
    }
}

fn stopped() {
    events::event("stopped", json!({}));
    if !events::json_events_enabled() {
        say!("stopped watching");
    }
}

/// Opens the config's cache store of `kind`; problems are warnings, never errors.
fn open_store(config: &nexxo_config::ResolvedConfig, kind: StoreKind) -> CacheStore {
    CacheStore::open(
        &config.cache_dir,
        kind,
        config.cache_max_bytes,
        &|warning| events::warning(&warning),
    )
}

/// Evaluates `nexxo.config.{ts,js,…}` in a helper confined through this binary's own
/// `__sandbox` trampoline.
fn script_loader() -> nexxo_config::plugins::SharedScriptConfigLoader {
    std::sync::Arc::new(nexxo_user_plugins::NodeScriptConfigLoader::new(
        nexxo_user_plugins::Confinement::current_exe(),
    ))
}

/// The build's config of the project at `root` (`config_file` instead of the one found there),
/// for the commands that read a project without building it.
fn build_config_for(
    root: &std::path::Path,
    config_file: Option<PathBuf>,
) -> Result<nexxo_config::ResolvedConfig, Diagnostics> {
    let process_env: BTreeMap<String, String> = std::env::vars().collect();
    let overrides = ConfigOverrides {
        config_file,
        script_loader: Some(script_loader()),
        ..ConfigOverrides::default()
    };
    Ok(resolve_config(
        root,
        Command::Build,
        &overrides,
        &process_env,
    )?)
}

/// `nexxo cache stats|clear`.
fn cache(args: CacheArgs) -> Result<(), Diagnostics> {
    let json = events::json_events_enabled();
    let config = build_config_for(&args.root, args.config.clone())?;
    let cache_dir = config.display_path(&config.cache_dir);
    if args.action == "clear" {
        let removed = nexxo_cache::clear(&config.cache_dir).map_err(|err| {
            Diagnostics(vec![nexxo_diagnostics::Diagnostic::error(format!(
                "cannot clear {cache_dir}: {err}"
            ))])
        })?;
        events::event(
            "cache-cleared",
            json!({"dir": cache_dir, "stores": removed}),
        );
        if !json {
            say!("cleared {removed} cache store(s) in {cache_dir}");
        }
        return Ok(());
    }
    if !json {
        say!("cache: {cache_dir}");
    }
    for kind in StoreKind::ALL {
        if !nexxo_cache::store_path(&config.cache_dir, kind).is_dir() {
            events::event(
                "cache-stats",
                json!({"store": kind.name(), "entries": 0, "bytes": 0}),
            );
            if !json {
                say!("  {:<6} empty", kind.name());
            }
            continue;
        }
        let store = open_store(&config, kind);
        let (entries, bytes) = (store.entry_count(), store.size_on_disk());
        let last = store.last_run().unwrap_or_default();
        events::event(
            "cache-stats",
            json!({"store": kind.name(), "entries": entries, "bytes": bytes, "last_run": last}),
        );
        if !json {
            let rate = last
                .hit_rate()
                .map_or("-".to_string(), |r| format!("{:.0}%", r * 100.0));
            say!(
                "  {:<6} {entries} entries, {:.1} MB on disk, last run: {} hits, {} misses (hit rate {rate})",
                kind.name(),
                bytes as f64 / 1_000_000.0,
                last.hits,
                last.misses,
            );
        }
    }
    Ok(())
}

/// `nexxo dev` (command Serve) or `nexxo preview` (the build's config, to find outDir).
async fn serve(args: ServeArgs, command: Command) -> Result<(), Diagnostics> {
    let process_env: BTreeMap<String, String> = std::env::vars().collect();
    let overrides = args.overrides();
    let config = resolve_config(&args.root, command, &overrides, &process_env)?;
    let result = match command {
        Command::Serve => nexxo_dev::dev(config, overrides, args.options(5173)).await,
        Command::Build => nexxo_dev::preview(config, args.options(4173)).await,
    };
    result.map_err(|d| Diagnostics(vec![d]))
}

/// `nexxo audit`: the report on stdout; `Ok(false)` when a check at level `error` failed.
async fn audit(args: AuditArgs) -> Result<bool, Diagnostics> {
    let config = build_config_for(&args.root, args.config.clone())?;
    let settings = nexxo_audit::AuditSettings::from_config(&config.audit);
    for rule in settings.unknown_rules() {
        events::warning(&format!("audit.rules: \"{rule}\" is not a rule id (lowercase words joined by dashes, see docs/audits.md)"));
    }
    let format = nexxo_audit::Format::parse(&args.format).unwrap_or(nexxo_audit::Format::Human);
    let report = if args.browser {
        let chromium = nexxo_audit::browser::find_chromium().ok_or_else(|| {
            Diagnostics(vec![Diagnostic::error("--browser needs Chromium: none found")
                .with_help("install Chromium, or point NEXXO_CHROMIUM (or CHROME_PATH) at a Chrome or Chromium binary")])
        })?;
        let preview = nexxo_dev::preview_in_background(&config)
            .await
            .map_err(|d| Diagnostics(vec![d]))?;
        let url = preview.url.clone();
        let run = tokio::task::spawn_blocking(move || {
            nexxo_audit::dist::audit_app(
                &config,
                &settings,
                Some(nexxo_audit::dist::BrowserRun {
                    chromium: &chromium,
                    app_url: &url,
                }),
            )
        })
        .await;
        drop(preview);
        match run {
            Ok(report) => report,
            Err(err) => Err(Diagnostic::error(format!("the browser audit stopped: {err}"))),
        }
    } else {
        nexxo_audit::dist::audit_app(&config, &settings, None)
    }
    .map_err(|d| Diagnostics(vec![d]))?;
    say!(
        "{}",
        nexxo_audit::output::render(&report, format).trim_end()
    );
    Ok(report.errors() == 0)
}

/// Sass compiles run in child processes of this executable, with time and memory limits.
fn use_sass_workers() {
    // `/proc/self/exe` still runs this program after its file was replaced (a rebuild while
    // the dev server runs); elsewhere the path it was started from.
    let proc_self = std::path::Path::new("/proc/self/exe");
    let executable = if proc_self.exists() {
        Some(proc_self.to_path_buf())
    } else {
        std::env::current_exe().ok()
    };
    if let Some(executable) = executable {
        nexxo_css::sass::use_worker_processes(executable);
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "internal error: {message}{location}\nThis is a bug in Nexxo, not in your project. Please report it with the command you ran."
        );
    }));
}
