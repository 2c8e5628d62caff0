//! Node's permission model as a second layer inside the Landlock domain.

use crate::SandboxPolicy;

/// Node.js flags that turn on its permission model with the policy's file access: put them
/// before the script (`node <flags> -e …` / `node <flags> script.js`).
///
/// - Node 20 and 21: `--experimental-permission`; Node 22 and later: `--permission`. Older
///   Node has no permission model: no flags (Landlock alone confines it).
/// - `--allow-fs-read=<path>` for each `read` and `write` path, `--allow-fs-write=<path>` for
///   each `write` path, one flag per path (Node 20.20 ignores a comma-separated list and warns).
///   Paths are resolved first, as for the Landlock rules; missing ones are left out. A path
///   inside another granted one is left out (see `spellings`).
/// - No `--allow-child-process`, `--allow-worker`, `--allow-addons` or `--allow-wasi`: those
///   stay refused (`ERR_ACCESS_DENIED`; native addons `ERR_DLOPEN_DISABLED`), as does
///   `process.binding`.
/// - Node 25 and later also refuse network access under the permission model; `--allow-net` is
///   added when the policy allows any TCP port (Landlock still limits which ports).
///
/// Node's model is checked by Node itself, on path strings: it is a guard against plugins
/// doing by accident what they should not, not a boundary against hostile code (its docs say
/// symlinks can lead out of the allowed paths). Landlock is the boundary. Node reads a script
/// given as a file only when its path is allowed: add it to `read`.
pub fn node_permission_args(policy: &SandboxPolicy, node_major: u32) -> Vec<String> {
    if node_major < 20 {
        return Vec::new();
    }
    // Node checks paths as written (a module under a symlinked `node_modules` is looked up by
    // the link's path first), the kernel the real files: both spellings are granted.
    let real = policy.canonicalized();
    let spellings = |written: &[std::path::PathBuf], real: &[std::path::PathBuf]| {
        let mut all: Vec<String> = Vec::new();
        // A path that is not UTF-8 cannot be written as a flag: left out, so Node refuses it.
        for path in written.iter().chain(real).filter_map(|path| path.to_str()) {
            if !all.iter().any(|seen| seen == path) {
                all.push(path.to_string());
            }
        }
        // A folder's grant covers what is inside it, and Node 20 denies a granted folder itself
        // once a folder inside it is granted too (`stat` of the project root failed with outDir
        // granted): only the outermost paths are passed.
        let covered = |path: &str| {
            all.iter()
                .any(|other| other != path && std::path::Path::new(path).starts_with(other))
        };
        // Node 20 grants a folder's contents only if the folder exists when Node starts; a
        // path that does not exist yet (outDir, made by the build) also gets its `/*` form.
        all.iter()
            .filter(|path| !covered(path))
            .flat_map(|path| {
                let later = (!std::path::Path::new(path).exists())
                    .then(|| format!("{}/*", path.trim_end_matches('/')));
                std::iter::once(path.clone()).chain(later)
            })
            .collect::<Vec<_>>()
    };
    let enable = if node_major >= 22 {
        "--permission"
    } else {
        "--experimental-permission"
    };
    let mut args = vec![enable.to_string()];
    let read_written: Vec<_> = policy.read.iter().chain(&policy.write).cloned().collect();
    let read_real: Vec<_> = real.read.iter().chain(&real.write).cloned().collect();
    args.extend(
        spellings(&read_written, &read_real)
            .into_iter()
            .map(|path| format!("--allow-fs-read={path}")),
    );
    args.extend(
        spellings(&policy.write, &real.write)
            .into_iter()
            .map(|path| format!("--allow-fs-write={path}")),
    );
    let policy = real;
    if node_major >= 25 && !(policy.connect_tcp.is_empty() && policy.bind_tcp.is_empty()) {
        args.push("--allow-net".to_string());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(real.join("project")).unwrap();
        std::fs::create_dir(real.join("out")).unwrap();
        (dir, real.join("project"), real.join("out"))
    }

    #[test]
    fn node_20_uses_the_experimental_flag_and_one_flag_per_path() {
        let (_dir, project, out) = folders();
        let policy = SandboxPolicy {
            read: vec![project.clone(), project.with_file_name("missing")],
            write: vec![out.clone()],
            exec: vec![PathBuf::from("/bin/true")],
            connect_tcp: vec![80],
            bind_tcp: vec![],
        };
        assert_eq!(
            node_permission_args(&policy, 20),
            vec![
                "--experimental-permission".to_string(),
                format!("--allow-fs-read={}", project.display()),
                // Kept as written: Node checks names, and a folder made later (outDir) is then
                // allowed by this layer; Landlock, which needs the folder, decides for itself.
                format!(
                    "--allow-fs-read={}",
                    project.with_file_name("missing").display()
                ),
                format!(
                    "--allow-fs-read={}/*",
                    project.with_file_name("missing").display()
                ),
                format!("--allow-fs-read={}", out.display()),
                format!("--allow-fs-write={}", out.display()),
            ]
        );
        assert_eq!(
            node_permission_args(&policy, 21)[0],
            "--experimental-permission"
        );
    }

    #[test]
    fn a_path_inside_a_granted_folder_is_not_passed_again() {
        let (_dir, project, _out) = folders();
        let policy = SandboxPolicy {
            read: vec![project.clone(), project.join("node_modules")],
            write: vec![project.join("dist")],
            ..SandboxPolicy::default()
        };
        std::fs::create_dir(project.join("dist")).unwrap();
        assert_eq!(
            node_permission_args(&policy, 20),
            vec![
                "--experimental-permission".to_string(),
                format!("--allow-fs-read={}", project.display()),
                format!("--allow-fs-write={}", project.join("dist").display()),
            ]
        );
    }

    #[test]
    fn node_22_and_later_use_permission_and_node_25_needs_allow_net_for_ports() {
        let (_dir, project, _out) = folders();
        let mut policy = SandboxPolicy {
            read: vec![project.clone()],
            ..SandboxPolicy::default()
        };
        let expected = vec![
            "--permission".to_string(),
            format!("--allow-fs-read={}", project.display()),
        ];
        assert_eq!(node_permission_args(&policy, 22), expected);
        assert_eq!(node_permission_args(&policy, 25), expected);
        policy.bind_tcp.push(0);
        assert_eq!(node_permission_args(&policy, 24), expected);
        let with_net = node_permission_args(&policy, 25);
        assert_eq!(with_net.last().map(String::as_str), Some("--allow-net"));
    }

    #[test]
    fn never_allows_processes_workers_addons_or_wasi() {
        let (_dir, project, out) = folders();
        let policy = SandboxPolicy {
            read: vec![project],
            write: vec![out],
            exec: vec![PathBuf::from("/bin/true")],
            connect_tcp: vec![1],
            bind_tcp: vec![2],
        };
        for major in [20, 22, 25] {
            for flag in node_permission_args(&policy, major) {
                assert!(
                    ![
                        "--allow-child-process",
                        "--allow-worker",
                        "--allow-addons",
                        "--allow-wasi"
                    ]
                    .contains(&flag.as_str()),
                    "{flag}"
                );
            }
        }
    }

    #[test]
    fn node_without_a_permission_model_gets_no_flags() {
        let policy = SandboxPolicy {
            read: vec![PathBuf::from("/")],
            ..SandboxPolicy::default()
        };
        assert!(node_permission_args(&policy, 18).is_empty());
    }
}
