//! Stage 3, emit: prepares the output folder, copies `public/`, writes the bundle's files.
//!
//! Safety rules: nothing is written outside outDir; outDir is never the root or a folder that
//! contains it; an outDir outside the root is emptied only when the user asks for it.

use std::path::{Component, Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;

/// One file written to outDir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedFile {
    /// Path relative to outDir, with forward slashes.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Refuses an outDir that would overwrite the project: the root itself, a folder containing the
/// root, or one overlapping the public folder.
pub fn check_out_dir(config: &ResolvedConfig) -> Result<(), Diagnostic> {
    let out_dir = &config.out_dir;
    if config.root.starts_with(out_dir) {
        return Err(Diagnostic::error(format!(
            "outDir {} is the project root or contains it; building there would overwrite your sources",
            out_dir.display()
        )));
    }
    if config
        .public_dir
        .as_ref()
        .is_some_and(|p| p == out_dir || p.starts_with(out_dir) || out_dir.starts_with(p))
    {
        return Err(Diagnostic::error("outDir and publicDir must not overlap"));
    }
    Ok(())
}

/// Why the cache store of `kind` cannot be used where `cacheDir` puts it: inside outDir (or
/// outDir inside the store), emptying outDir would delete the store on every build.
pub fn cache_dir_conflict(config: &ResolvedConfig, kind: nexxo_cache::StoreKind) -> Option<String> {
    let store = nexxo_cache::store_path(&config.cache_dir, kind);
    let out_dir = &config.out_dir;
    (store.starts_with(out_dir) || out_dir.starts_with(&store)).then(|| {
        format!(
            "cache: cacheDir {} is inside outDir {}, which the build empties, so the build cache is off; move cacheDir out of outDir",
            config.display_path(&config.cache_dir),
            config.display_path(out_dir)
        )
    })
}

/// Checks outDir and empties it when that is safe and wanted. Returns warnings to show.
pub fn prepare_out_dir(config: &ResolvedConfig) -> Result<Vec<String>, Diagnostic> {
    check_out_dir(config)?;
    let out_dir = &config.out_dir;
    let mut warnings = Vec::new();
    let inside_root = out_dir.starts_with(&config.root);
    let empty = match config.empty_out_dir {
        Some(wanted) => wanted,
        None if inside_root => true,
        None => {
            if out_dir.exists() {
                warnings.push(format!(
                    "outDir {} is outside the project root and will not be emptied; pass --empty-out-dir to empty it",
                    out_dir.display()
                ));
            }
            false
        }
    };
    if empty && out_dir.exists() {
        empty_dir(out_dir).map_err(|err| {
            Diagnostic::error(format!("cannot empty outDir {}: {err}", out_dir.display()))
        })?;
    }
    Ok(warnings)
}

/// Removes everything in `dir` but `.git` (a deploy checkout may live there).
fn empty_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == ".git" {
            continue;
        }
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// `name` joined to `out_dir`, refusing absolute paths and `..` so nothing escapes outDir.
pub fn output_path(out_dir: &Path, name: &str) -> Result<PathBuf, Diagnostic> {
    let relative = Path::new(name);
    let escapes = relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes || name.is_empty() {
        return Err(Diagnostic::error(format!(
            "refusing to write `{name}`: output files must stay inside outDir"
        )));
    }
    Ok(out_dir.join(relative))
}

/// Writes the files under outDir.
pub fn write_files(out_dir: &Path, files: &[EmittedFile]) -> Result<(), Diagnostic> {
    for file in files {
        let path = output_path(out_dir, &file.name)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| {
                Diagnostic::error(format!("cannot create folder {}: {err}", parent.display()))
            })?;
        }
        std::fs::write(&path, &file.bytes)
            .map_err(|err| Diagnostic::error(format!("cannot write {}: {err}", path.display())))?;
    }
    Ok(())
}

/// Copies the public folder into outDir as is. Links are followed only when they stay inside the
/// project root, so a link in public/ cannot copy files from elsewhere on the machine.
pub fn copy_public_dir(config: &ResolvedConfig) -> Result<Vec<String>, Diagnostic> {
    let Some(public_dir) = &config.public_dir else {
        return Ok(Vec::new());
    };
    if !public_dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut copied = Vec::new();
    let mut stack = vec![public_dir.clone()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|err| Diagnostic::error(format!("cannot read {}: {err}", folder.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(real) = path.canonicalize() else {
                continue;
            };
            if !real.starts_with(&config.root) {
                eprintln!(
                    "warning: skipping {}: it links outside the project root",
                    config.display_path(&path)
                );
                continue;
            }
            if real.is_dir() {
                stack.push(path);
                continue;
            }
            let relative =
                nexxo_diagnostics::display_path(path.strip_prefix(public_dir).unwrap_or(&path));
            let target = output_path(&config.out_dir, &relative)?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|err| {
                    Diagnostic::error(format!("cannot create folder {}: {err}", parent.display()))
                })?;
            }
            std::fs::copy(&real, &target)
                .map_err(|err| Diagnostic::error(format!("cannot copy {relative}: {err}")))?;
            copied.push(relative);
        }
    }
    copied.sort();
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_dir_inside_out_dir_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let config = |file: &str| {
            std::fs::write(dir.path().join("nexxo.config.json"), file).unwrap();
            nexxo_config::resolve_config(
                dir.path(),
                nexxo_config::Command::Build,
                &nexxo_config::ConfigOverrides::default(),
                &Default::default(),
            )
            .unwrap()
        };
        let kind = nexxo_cache::StoreKind::Build;
        let inside = config(r#"{ "cacheDir": "dist/.cache" }"#);
        let warning = cache_dir_conflict(&inside, kind).unwrap();
        assert!(
            warning.contains("dist/.cache is inside outDir dist"),
            "{warning}"
        );
        assert!(cache_dir_conflict(&config(r#"{ "cacheDir": "dist" }"#), kind).is_some());
        assert!(cache_dir_conflict(&config("{}"), kind).is_none());
        assert!(cache_dir_conflict(&config(r#"{ "cacheDir": ".cache/dist" }"#), kind).is_none());
    }

    #[test]
    fn output_paths_cannot_escape() {
        let out = Path::new("/p/dist");
        assert_eq!(
            output_path(out, "assets/a.js").unwrap(),
            Path::new("/p/dist/assets/a.js")
        );
        assert!(output_path(out, "../a.js").is_err());
        assert!(output_path(out, "assets/../../a.js").is_err());
        assert!(output_path(out, "/etc/passwd").is_err());
    }
}
