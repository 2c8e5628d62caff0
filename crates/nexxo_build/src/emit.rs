//! Stage 3, emit: writes the build (the `public/` copy, the bundle's files and a marker file)
//! into a staging folder beside outDir, and puts it in place only once every file is written,
//! so a failed or killed build leaves the previous output whole.
//!
//! Safety rules, decided on real paths (symlinks resolved), never on the strings the user wrote:
//! - outDir is never the root or a folder containing it, never inside `.git` or `node_modules`,
//!   never overlapping `public/`;
//! - an existing outDir is replaced only when it holds Nexxo's marker ([`OUTPUT_MARKER`], so a
//!   build wrote it) or the user passed `--empty-out-dir`, and never when it holds what looks
//!   like a project: the build's sources, a config or package file, `node_modules`, a nested
//!   `.git` (a `.git` at its top, a deploy checkout, is kept);
//! - an outDir outside the root is not emptied unless asked: the new files are added to it.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::Diagnostic;

/// The file every build writes at the top of outDir: the proof that the folder holds build
/// output, which the next build may delete.
pub const OUTPUT_MARKER: &str = ".nexxo-output";

const MARKER_TEXT: &str = "This folder was written by `nexxo build`. The next build replaces it \
whole; keep nothing else here.\n";

/// Files whose presence says a folder is part of a project, not build output.
const PROJECT_FILES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
    "nexxo.config.json",
    "tsconfig.json",
    "jsconfig.json",
    "Cargo.toml",
];

/// Extensions of files a build reads but never writes (`.d.ts` excepted: declaration files
/// are often added to a library's outDir by `tsc`).
const SOURCE_EXTENSIONS: &[&str] = &[
    "ts", "tsx", "mts", "cts", "jsx", "vue", "svelte", "scss", "sass", "less", "styl",
];

/// One file written to outDir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedFile {
    /// Path relative to outDir, with forward slashes.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How the new output takes outDir's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// outDir does not exist or is empty: the staging folder is renamed to it.
    Create,
    /// outDir holds an earlier build (or the user asked to empty it): swapped, then deleted.
    Replace,
    /// outDir is kept (outside the root, not to be emptied): the new files are moved into it.
    Merge,
}

/// outDir as the build will write it, decided by [`check_out_dir`].
#[derive(Debug, Clone)]
pub struct OutDir {
    /// outDir with symlinks resolved: the folder really written.
    real: PathBuf,
    placement: Placement,
    warnings: Vec<String>,
}

/// Decides where and how the build's output goes, refusing an outDir whose replacement could
/// destroy anything but earlier build output.
pub fn check_out_dir(config: &ResolvedConfig) -> Result<OutDir, Diagnostic> {
    let real = real_path(&config.out_dir);
    let root = real_path(&config.root);
    let shown = config.display_path(&config.out_dir);
    let refuse = |why: String| Err(Diagnostic::error(format!("outDir {shown} {why}")));
    if root.starts_with(&real) {
        return refuse(
            "is the project root or contains it; building there would overwrite your sources"
                .into(),
        );
    }
    if let Some(folder) = real.components().find_map(|c| match c {
        Component::Normal(name) if name == ".git" || name == "node_modules" => Some(name),
        _ => None,
    }) {
        return refuse(format!(
            "is inside a {} folder, which a build must never write",
            folder.to_string_lossy()
        ));
    }
    if let Some(public) = &config.public_dir {
        let public = real_path(public);
        if public.starts_with(&real) || real.starts_with(&public) {
            return Err(Diagnostic::error("outDir and publicDir must not overlap"));
        }
    }
    if real.exists() && !real.is_dir() {
        return refuse("is a file, not a folder".into());
    }

    let inside_root = real.starts_with(&root);
    let mut warnings = Vec::new();
    let has_entries = std::fs::read_dir(&real).is_ok_and(|mut entries| entries.next().is_some());
    let empty_wanted = config.empty_out_dir.unwrap_or(inside_root);
    let marked = real.join(OUTPUT_MARKER).is_file();
    let placement = if !has_entries {
        Placement::Create
    } else if !empty_wanted {
        if config.empty_out_dir.is_none() {
            warnings.push(format!(
                "outDir {shown} is outside the project root and will not be emptied; pass --empty-out-dir to empty it"
            ));
        }
        Placement::Merge
    } else if marked || config.empty_out_dir == Some(true) {
        Placement::Replace
    } else {
        return refuse(format!(
            "already holds files that Nexxo did not write (it has no {OUTPUT_MARKER} marker); \
             move them away, or pass --empty-out-dir to replace the folder"
        ));
    };
    if placement != Placement::Create {
        // Even when asked to, never replace (or add files into) a folder holding a project.
        if let Some(found) = project_content(&real, marked) {
            return refuse(format!(
                "holds {found}, which belongs to a project, not to a build's output; \
                 Nexxo will not replace it (choose another outDir)"
            ));
        }
    }
    Ok(OutDir {
        real,
        placement,
        warnings,
    })
}

/// The first entry under `dir` that shows it is (part of) a project, as a relative path: a
/// nested `.git`, `node_modules`, a config or package file, or (unless a build wrote the folder)
/// a source file. Links are not followed: deleting a link never touches what it points to.
fn project_content(dir: &Path, marked: bool) -> Option<String> {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            let path = entry.path();
            let name = entry.file_name();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let top_level = folder == dir;
            let project_like = (name == ".git" && !top_level)
                || name == "node_modules"
                || PROJECT_FILES.iter().any(|file| name == *file)
                || (!marked && !is_dir && is_source_file(&name));
            if project_like || seen > 1_000_000 {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                return Some(nexxo_diagnostics::display_path(relative));
            }
            if is_dir && !(top_level && name == ".git") {
                stack.push(path);
            }
        }
    }
    None
}

fn is_source_file(name: &OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    let declaration = [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|suffix| name.ends_with(suffix));
    !declaration
        && Path::new(&name)
            .extension()
            .is_some_and(|ext| SOURCE_EXTENSIONS.iter().any(|source| ext == *source))
}

/// `path` with symlinks resolved, also when it does not exist yet: the deepest existing
/// ancestor is canonicalized and the rest appended, with `.` and `..` applied.
pub fn real_path(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    // The names below the deepest existing ancestor, last first; `None` for `..`.
    let mut rest = Vec::new();
    loop {
        if let Ok(mut real) = existing.canonicalize() {
            for name in rest.iter().rev() {
                match name {
                    Some(name) => real.push(name),
                    None => {
                        real.pop();
                    }
                }
            }
            return real;
        }
        // `file_name` is None for a trailing `..`.
        rest.push(existing.file_name().map(|name| name.to_os_string()));
        match existing.parent() {
            Some(parent) => existing = parent.to_path_buf(),
            None => return path.to_path_buf(),
        }
    }
}

/// Why the cache store of `kind` cannot be used where `cacheDir` puts it: inside outDir (or
/// outDir inside the store), replacing outDir would delete the store on every build.
pub fn cache_dir_conflict(config: &ResolvedConfig, kind: nexxo_cache::StoreKind) -> Option<String> {
    let store = real_path(&nexxo_cache::store_path(&config.cache_dir, kind));
    let out_dir = real_path(&config.out_dir);
    (store.starts_with(&out_dir) || out_dir.starts_with(&store)).then(|| {
        format!(
            "cache: cacheDir {} is inside outDir {}, which the build empties, so the build cache is off; move cacheDir out of outDir",
            config.display_path(&config.cache_dir),
            config.display_path(&config.out_dir)
        )
    })
}

/// Writes the build into a staging folder beside outDir and puts it in place. Returns the
/// warnings to show and the number of files copied from `public/`.
pub fn emit(
    config: &ResolvedConfig,
    files: &[EmittedFile],
) -> Result<(Vec<String>, usize), Diagnostic> {
    // Decided again now: the folder may have changed while the build ran.
    let out = check_out_dir(config)?;
    let mut warnings = out.warnings.clone();
    let parent = out.real.parent().unwrap_or(&out.real);
    std::fs::create_dir_all(parent)
        .map_err(|err| Diagnostic::error(format!("cannot create {}: {err}", parent.display())))?;
    remove_stale_siblings(&out.real, &mut warnings);
    let staging = sibling_path(&out.real, "staging");
    let public_files = write_staging(config, &staging, files, &mut warnings);
    if public_files.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    let public_files = public_files?;
    place(&out, &staging)?;
    Ok((warnings, public_files))
}

/// The staging folder made before the build runs, for builds whose plugins write into outDir
/// after it is put in place (`writeBundle`): their sandbox (Landlock) grants writing by folder
/// identity, not path, so the folder that becomes outDir must exist when their helpers start.
/// Removed on drop unless it became outDir.
pub struct PreparedStaging {
    path: PathBuf,
}

impl PreparedStaging {
    /// Creates the (empty, marked) staging folder `emit` will fill for `config`.
    pub fn create(config: &ResolvedConfig) -> Result<Self, Diagnostic> {
        let out = check_out_dir(config)?;
        let parent = out.real.parent().unwrap_or(&out.real);
        std::fs::create_dir_all(parent).map_err(|err| {
            Diagnostic::error(format!("cannot create {}: {err}", parent.display()))
        })?;
        let path = sibling_path(&out.real, "staging");
        create_staging(&path)?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PreparedStaging {
    fn drop(&mut self) {
        // Still there after the build: it failed before `place` (or holds the replaced output,
        // which `place` removes itself). Only a folder with this build's marker is removed.
        if self.path.join(OUTPUT_MARKER).is_file() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn create_staging(staging: &Path) -> Result<(), Diagnostic> {
    std::fs::create_dir(staging).map_err(|err| {
        Diagnostic::error(format!("cannot create folder {}: {err}", staging.display()))
    })?;
    write_file(&staging.join(OUTPUT_MARKER), MARKER_TEXT.as_bytes())
}

fn write_staging(
    config: &ResolvedConfig,
    staging: &Path,
    files: &[EmittedFile],
    warnings: &mut Vec<String>,
) -> Result<usize, Diagnostic> {
    // A folder prepared by this process (its pid is in the name) holds our marker.
    if !staging.join(OUTPUT_MARKER).is_file() {
        create_staging(staging)?;
    }
    let public_files = copy_public_dir(config, staging, warnings)?;
    // Bundle output wins over a public file of the same name.
    write_files(staging, files)?;
    Ok(public_files)
}

/// `<parent>/.<outDir name>.nexxo-<purpose>-<pid>`: beside outDir (so renames stay on one file
/// system), hidden (so the project scan and the dev watcher skip it), unique to this process.
fn sibling_path(out_dir: &Path, purpose: &str) -> PathBuf {
    out_dir.with_file_name(format!(
        "{}{purpose}-{}",
        sibling_prefix(out_dir),
        std::process::id()
    ))
}

fn sibling_prefix(out_dir: &Path) -> String {
    let name = out_dir.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.nexxo-")
}

/// Deletes the staging and old-output folders that killed builds left beside outDir. Only
/// folders holding the marker, whose process is gone, are deleted; one holding a `.git` (a
/// deploy checkout caught mid-swap) is left with a warning.
fn remove_stale_siblings(out_dir: &Path, warnings: &mut Vec<String>) {
    let (Some(parent), prefix) = (out_dir.parent(), sibling_prefix(out_dir)) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest
            .rsplit('-')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let path = entry.path();
        let ours =
            entry.file_type().is_ok_and(|t| t.is_dir()) && path.join(OUTPUT_MARKER).is_file();
        if !ours || pid.is_none_or(process_alive) {
            continue;
        }
        if path.join(".git").exists() {
            warnings.push(format!(
                "{} is left from an interrupted build and holds a .git folder: move it back into outDir or delete it",
                path.display()
            ));
        } else {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(unix))]
fn process_alive(pid: u32) -> bool {
    pid == std::process::id()
}

/// Puts the finished staging folder where outDir is. When that fails, the staging folder (the
/// new output only) is removed and outDir is as it was.
fn place(out: &OutDir, staging: &Path) -> Result<(), Diagnostic> {
    let real = &out.real;
    let failed = |what: &str, err: std::io::Error| {
        let _ = std::fs::remove_dir_all(staging);
        Diagnostic::error(format!("cannot {what} {}: {err}", real.display()))
    };
    match out.placement {
        // `rename` replaces an empty folder.
        Placement::Create => std::fs::rename(staging, real).map_err(|err| failed("create", err)),
        Placement::Replace => {
            let old = swap_folders(staging, real).map_err(|err| failed("replace", err))?;
            // A deploy checkout at the top of the old output moves into the new one; if it
            // cannot, the old output stays where it is, never deleted with the checkout in it.
            let old_git = old.join(".git");
            if old_git.exists() {
                std::fs::rename(&old_git, real.join(".git")).map_err(|err| {
                    Diagnostic::error(format!(
                        "cannot move {} into the new output: {err}; the previous output, .git included, is in {}",
                        old_git.display(),
                        old.display()
                    ))
                })?;
            }
            std::fs::remove_dir_all(&old).map_err(|err| {
                Diagnostic::error(format!(
                    "cannot remove the old output {}: {err}",
                    old.display()
                ))
            })
        }
        Placement::Merge => {
            merge_into(staging, real).map_err(|err| failed("write into", err))?;
            std::fs::remove_dir_all(staging).map_err(|err| {
                Diagnostic::error(format!("cannot clean up {}: {err}", staging.display()))
            })
        }
    }
}

/// Makes `staging` the folder at `out_dir`; returns where the previous output now is. On Linux
/// one atomic exchange (the old output lands at `staging`), so outDir always names a whole
/// build; elsewhere, or on file systems without the exchange, two renames.
fn swap_folders(staging: &Path, out_dir: &Path) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        if exchange(staging, out_dir).is_ok() {
            return Ok(staging.to_path_buf());
        }
    }
    let old = sibling_path(out_dir, "old");
    std::fs::rename(out_dir, &old)?;
    if let Err(err) = std::fs::rename(staging, out_dir) {
        // Put the previous output back: outDir must never be left missing.
        let _ = std::fs::rename(&old, out_dir);
        return Err(err);
    }
    Ok(old)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = |path: &Path| {
        std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))
    };
    let (a, b) = (c_path(a)?, c_path(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Moves every file of `staging` (but the marker: a kept folder is not the build's to replace)
/// into `out_dir`, replacing files of the same name.
fn merge_into(staging: &Path, out_dir: &Path) -> std::io::Result<()> {
    let mut stack = vec![staging.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(staging).unwrap_or(&path);
            if relative == Path::new(OUTPUT_MARKER) {
                continue;
            }
            let target = out_dir.join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if std::fs::rename(&path, &target).is_err() {
                std::fs::copy(&path, &target)?;
            }
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
    if escapes || name.is_empty() || name.contains('\0') {
        return Err(Diagnostic::error(format!(
            "refusing to write `{}`: output files must stay inside outDir",
            name.escape_debug()
        )));
    }
    Ok(out_dir.join(relative))
}

/// Writes the files under `out_dir`.
fn write_files(out_dir: &Path, files: &[EmittedFile]) -> Result<(), Diagnostic> {
    for file in files {
        write_file(&output_path(out_dir, &file.name)?, &file.bytes)?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| {
            Diagnostic::error(format!("cannot create folder {}: {err}", parent.display()))
        })?;
    }
    std::fs::write(path, bytes)
        .map_err(|err| Diagnostic::error(format!("cannot write {}: {err}", path.display())))
}

/// Copies the public folder into `into` as is, skipping with one warning each what must not or
/// cannot be copied: secrets (`.env`, `.git`, keys), links leading out of the root, links back
/// to a folder being copied (a loop that would copy until the disk is full), and anything that
/// is not a regular file (reading a FIFO or a device blocks or never ends).
fn copy_public_dir(
    config: &ResolvedConfig,
    into: &Path,
    warnings: &mut Vec<String>,
) -> Result<usize, Diagnostic> {
    let Some(public_dir) = &config.public_dir else {
        return Ok(0);
    };
    let Ok(public_real) = public_dir.canonicalize() else {
        return Ok(0);
    };
    if !public_real.is_dir() {
        return Ok(0);
    }
    let root = real_path(&config.root);
    let mut skip = |path: &Path, why: &str| {
        warnings.push(format!("skipping {}: {why}", config.display_path(path)));
    };
    let mut copied = 0;
    // Each folder to copy with the real paths of the folders it sits in, public/ first.
    let mut stack = vec![(public_dir.clone(), vec![public_real])];
    while let Some((folder, chain)) = stack.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|err| Diagnostic::error(format!("cannot read {}: {err}", folder.display())))?;
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths {
            let relative = path.strip_prefix(public_dir).unwrap_or(&path);
            let Ok(real) = path.canonicalize() else {
                skip(&path, "it is a broken link");
                continue;
            };
            let Ok(real_in_root) = real.strip_prefix(&root) else {
                skip(&path, "it links outside the project root");
                continue;
            };
            if nexxo_config::deny::is_secret(relative)
                || nexxo_config::deny::is_secret(real_in_root)
            {
                skip(
                    &path,
                    "secrets (.env, .git, keys) are never copied into a build",
                );
                continue;
            }
            let Ok(metadata) = std::fs::metadata(&real) else {
                continue;
            };
            if metadata.is_dir() {
                // A link to a folder being copied, or to one above it, would copy forever.
                if chain.iter().any(|copying| copying.starts_with(&real)) {
                    skip(&path, "it links back to a folder being copied");
                } else {
                    let mut inner = chain.clone();
                    inner.push(real);
                    stack.push((path, inner));
                }
                continue;
            }
            if !metadata.is_file() {
                skip(&path, "not a regular file (a FIFO, socket or device)");
                continue;
            }
            let target = output_path(into, &nexxo_diagnostics::display_path(relative))?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|err| {
                    Diagnostic::error(format!("cannot create folder {}: {err}", parent.display()))
                })?;
            }
            std::fs::copy(&real, &target).map_err(|err| {
                Diagnostic::error(format!("cannot copy {}: {err}", config.display_path(&path)))
            })?;
            copied += 1;
        }
    }
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
        assert!(output_path(out, "a\0b.js").is_err());
    }

    #[test]
    fn real_paths_resolve_links_and_missing_tails() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("src"), root.join("dist")).unwrap();
        assert_eq!(real_path(&root.join("missing/../src")), root.join("src"));
        assert_eq!(real_path(&root.join("a/b")), root.join("a/b"));
        #[cfg(unix)]
        assert_eq!(real_path(&root.join("dist")), root.join("src"));
    }

    #[test]
    fn source_files_are_told_from_output() {
        for source in ["main.ts", "App.TSX", "a.vue", "s.scss"] {
            assert!(is_source_file(OsStr::new(source)), "{source}");
        }
        for output in ["index-abc.js", "a.css", "types.d.ts", "logo.svg"] {
            assert!(!is_source_file(OsStr::new(output)), "{output}");
        }
    }
}
