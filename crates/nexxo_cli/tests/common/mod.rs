//! Helpers shared by the binary-level tests: run `nexxo`, write a project to a temp folder,
//! read an output tree.

#![allow(dead_code)] // Each test file uses its own subset.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

pub fn nexxo(args: &[&str], cwd: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_nexxo"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the nexxo binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `content` to `path` under `root`, creating folders.
pub fn write(root: &Path, path: &str, content: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Writes a project from (path, content) pairs into a new temp folder.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        write(dir.path(), path, content);
    }
    dir
}

/// Every file under `dir` (relative path → bytes).
pub fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Runs `nexxo build root …extra` and asserts it succeeded.
pub fn build_ok(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["build", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = nexxo(&args, root);
    assert!(
        output.status.success(),
        "build failed:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// Runs `nexxo build root …extra` and asserts it failed cleanly (exit 1, no panic); returns stderr.
pub fn build_err(root: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = nexxo(&args, root);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected a clean failure, got:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    stderr
}
