//! Nexxo's configuration: what the user wrote (`nexxo.config.json`, CLI flags, `.env` files)
//! turned into one [`ResolvedConfig`] of plain data that every pipeline stage reads.
//!
//! - [`user_config`]: the JSON file's shape, with strict key checking.
//! - [`load`]: reading the file and reporting errors with key, line and column.
//! - [`env`]: `.env` files and `import.meta.env`.
//! - [`target`]: `build.target` / browserslist into a list of engine targets.
//! - [`resolve`]: merging all of it (file < CLI) into [`ResolvedConfig`].
//! - [`resolver`]: the import resolution rules every resolver is built from.
//! - [`package`]: the root package.json (read once; its dependencies switch compile features).
//! - [`angular`]: an Angular workspace's `angular.json` build target.
//! - [`frameworks`]: which frameworks the root package.json names (Vue, Svelte, Solid, …).
//! - [`plugins`]: script configs (`nexxo.config.ts`) and their plugins, as plain data.
//! - [`wasm_plugins`]: `wasmPlugins` checked into plain data (files, filters, limits).
//! - [`deny`]: the files that never leave the project (served or copied).

pub mod angular;
pub mod deny;
pub mod env;
pub mod frameworks;
pub mod load;
pub mod package;
pub mod plugins;
pub mod resolve;
pub mod resolver;
pub mod target;
pub mod user_config;
pub mod wasm_plugins;

pub use angular::AngularProject;
pub use frameworks::Frameworks;
pub use package::RootPackage;
pub use resolve::{
    resolve_config, Command, ConfigOverrides, LibFormat, ResolvedBudget, ResolvedConfig,
    ResolvedInput, ResolvedLib, Sourcemap, WatchSettings, WorkerFormat,
};
pub use resolver::ResolverConfig;
pub use user_config::UserConfig;
pub use wasm_plugins::ResolvedWasmPlugin;

/// The config file Nexxo looks for at the project root.
pub const CONFIG_FILE_NAME: &str = "nexxo.config.json";
