//! `nexxo __sandbox`: Node.js confined by the real binary's trampoline (Landlock), and Node's
//! permission flags as the second layer. Each test runs one `node -e` that tries many accesses
//! and prints what each gave (`"ok"` or the error code), so a test costs one Node start.
// Landlock, abstract sockets and the probes' paths are Linux's.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use nexxo_sandbox::{
    confined_command, landlock_status, node_permission_args, LandlockStatus, SandboxPolicy,
    STATUS_VARIABLE,
};

/// Tries each access named in the JSON `argv[1]` and prints `{name: "ok" | error code}`.
const PROBE_SCRIPT: &str = r#"
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const p = JSON.parse(process.argv[1]);
const results = { sandbox: process.env[p.status_variable] ?? 'unset', home: os.homedir() };
const attempt = (name, action) => {
  try { action(); results[name] = 'ok'; } catch (error) { results[name] = error.code ?? String(error); }
};
const attemptAsync = (name, action) => new Promise((resolve) => {
  action((error) => { results[name] = error ? (error.code ?? String(error)) : 'ok'; resolve(); });
});
attempt('read_project', () => fs.readFileSync(path.join(p.project, 'src.js')));
attempt('list_project', () => fs.readdirSync(p.project));
attempt('write_out', () => {
  fs.mkdirSync(path.join(p.out, 'assets'));
  fs.writeFileSync(path.join(p.out, 'assets', 'a.js'), 'x');
  fs.renameSync(path.join(p.out, 'assets', 'a.js'), path.join(p.out, 'b.js'));
  fs.writeFileSync(path.join(p.out, 'b.js'), 'truncated and rewritten');
  fs.unlinkSync(path.join(p.out, 'b.js'));
  fs.rmdirSync(path.join(p.out, 'assets'));
});
attempt('write_project', () => fs.writeFileSync(path.join(p.project, 'new.js'), 'x'));
attempt('write_outside', () => fs.writeFileSync(path.join(p.outside, 'new.txt'), 'x'));
attempt('read_outside', () => fs.readFileSync(path.join(p.outside, 'secret.txt')));
attempt('read_symlink_out', () => fs.readFileSync(path.join(p.project, 'link-to-secret.txt')));
attempt('read_passwd', () => fs.readFileSync('/etc/passwd'));
attempt('read_ssh_key', () => fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_ed25519')));
attempt('read_environ', () => fs.readFileSync('/proc/self/environ'));
attempt('list_root', () => fs.readdirSync('/'));
attempt('exec_true', () => require('node:child_process').execFileSync('/bin/true'));
// Signal 0 only checks whether the signal could be sent: the test process outside the sandbox.
attempt('signal_outside', () => process.kill(p.outside_pid, 0));
(async () => {
  await attemptAsync('pathname_unix_socket', (done) => {
    const socket = net.connect({ path: p.pathname_socket });
    socket.on('connect', () => { socket.destroy(); done(); });
    socket.on('error', done);
  });
  await attemptAsync('abstract_unix_socket', (done) => {
    const socket = net.connect({ path: '\0' + p.abstract_socket });
    socket.on('connect', () => { socket.destroy(); done(); });
    socket.on('error', done);
  });
  await attemptAsync('connect_tcp', (done) => {
    const socket = net.connect({ host: '127.0.0.1', port: p.port });
    socket.on('connect', () => { socket.destroy(); done(); });
    socket.on('error', done);
  });
  await attemptAsync('listen_tcp', (done) => {
    const server = net.createServer();
    server.on('error', done);
    server.listen(0, '127.0.0.1', () => server.close(() => done()));
  });
  console.log(JSON.stringify(results));
})();
"#;

/// A project, an output folder, a file outside both and a fake home with an SSH key, in one
/// temp folder (real paths: the symlink and the expectations compare resolved paths).
struct Layout {
    _dir: tempfile::TempDir,
    project: PathBuf,
    out: PathBuf,
    outside: PathBuf,
    home: PathBuf,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let layout = Layout {
            project: root.join("project"),
            out: root.join("project/dist"),
            outside: root.join("outside"),
            home: root.join("home"),
            _dir: dir,
        };
        std::fs::create_dir_all(&layout.out).unwrap();
        std::fs::create_dir_all(&layout.outside).unwrap();
        std::fs::create_dir_all(layout.home.join(".ssh")).unwrap();
        std::fs::write(layout.project.join("src.js"), "export default 1").unwrap();
        std::fs::write(layout.outside.join("secret.txt"), "secret").unwrap();
        std::fs::write(layout.home.join(".ssh/id_ed25519"), "private key").unwrap();
        std::os::unix::fs::symlink(
            layout.outside.join("secret.txt"),
            layout.project.join("link-to-secret.txt"),
        )
        .unwrap();
        layout
    }

    /// Node's runtime plus: read the project, write its output folder.
    fn policy(&self, node: &Path) -> SandboxPolicy {
        let mut policy = SandboxPolicy::for_node(node).unwrap();
        policy.read.push(self.project.clone());
        policy.write.push(self.out.clone());
        policy
    }
}

/// The real Node binary (`process.execPath`, not a version manager's shim) and its major
/// version. Node is required by the test suite (the browser tests run on it).
fn node() -> (PathBuf, u32) {
    let program = std::env::var_os("NEXXO_NODE").unwrap_or_else(|| "node".into());
    let output = Command::new(&program)
        .args(["-p", "process.execPath + '\\n' + process.versions.node"])
        .output()
        .expect("Node.js is installed (or NEXXO_NODE names it)");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let path = PathBuf::from(lines.next().unwrap());
    let major = lines
        .next()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (path, major)
}

/// Whether Landlock is enforced here; prints why not. `NEXXO_REQUIRE_LANDLOCK=1` turns a
/// missing Landlock into a failure, for machines where it must be there.
fn landlock_enforced() -> bool {
    match landlock_status() {
        LandlockStatus::Enforced { .. } => true,
        LandlockStatus::Unsupported { reason } => {
            assert!(
                std::env::var_os("NEXXO_REQUIRE_LANDLOCK").is_none(),
                "NEXXO_REQUIRE_LANDLOCK is set but {reason}"
            );
            eprintln!("skipped: the Landlock checks need Landlock, and {reason}");
            false
        }
    }
}

/// What the probe script connects to from inside the sandbox: a TCP port, a UNIX socket file
/// (as an SSH agent's or Docker's) and an abstract UNIX socket that this test process listens
/// on, and this process itself (to signal).
struct Listeners {
    tcp: TcpListener,
    _pathname_unix: UnixListener,
    pathname: PathBuf,
    _socket_dir: tempfile::TempDir,
    _abstract_unix: [UnixListener; 2],
    abstract_name: String,
}

impl Listeners {
    fn new() -> Listeners {
        use std::os::linux::net::SocketAddrExt;
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let abstract_name = format!(
            "nexxo-sandbox-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // Node 20 (libuv) connects with the whole 108-byte `sun_path`, so the abstract name it
        // reaches is the given one padded with NULs to 107 bytes; a Node that passes the exact
        // length reaches the name itself. Listen on both.
        let mut padded = abstract_name.clone().into_bytes();
        padded.resize(107, 0);
        let listen = |name: &[u8]| {
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
            UnixListener::bind_addr(&address).unwrap()
        };
        let socket_dir = tempfile::tempdir().unwrap();
        let pathname = std::fs::canonicalize(socket_dir.path())
            .unwrap()
            .join("agent.sock");
        Listeners {
            tcp: TcpListener::bind("127.0.0.1:0").unwrap(),
            _pathname_unix: UnixListener::bind(&pathname).unwrap(),
            pathname,
            _socket_dir: socket_dir,
            _abstract_unix: [listen(abstract_name.as_bytes()), listen(&padded)],
            abstract_name,
        }
    }

    fn port(&self) -> u16 {
        self.tcp.local_addr().unwrap().port()
    }
}

/// Runs the probe script with `node` (a confined command, or plain Node for the control run)
/// and HOME set to the fake home, and returns what each access gave.
fn probe(
    layout: &Layout,
    listeners: &Listeners,
    mut node: Command,
    node_flags: &[String],
) -> BTreeMap<String, String> {
    let parameters = serde_json::json!({
        "project": layout.project,
        "out": layout.out,
        "outside": layout.outside,
        "port": listeners.port(),
        "abstract_socket": listeners.abstract_name,
        "pathname_socket": listeners.pathname,
        "outside_pid": std::process::id(),
        "status_variable": STATUS_VARIABLE,
    });
    let output = node
        .args(node_flags)
        .arg("-e")
        .arg(PROBE_SCRIPT)
        .arg(parameters.to_string())
        .current_dir(&layout.project)
        .env("HOME", &layout.home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "node failed: {stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("{err}: {stdout}\n{stderr}"))
}

fn confined(policy: &SandboxPolicy, node: &Path) -> Command {
    confined_command(Path::new(env!("CARGO_BIN_EXE_nexxo")), policy, node).unwrap()
}

fn assert_results(results: &BTreeMap<String, String>, expected: &[(&str, &str)]) {
    let mismatches: Vec<String> = expected
        .iter()
        .filter(|(name, want)| results.get(*name).map(String::as_str) != Some(*want))
        .map(|(name, want)| format!("{name}: expected {want}, got {:?}", results.get(*name)))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{mismatches:#?}\nall results: {results:#?}"
    );
}

/// Every access the probe script tries, as an unconfined Node gets it: each can succeed, so a
/// refusal below is the sandbox's doing.
const ALL_ALLOWED: &[(&str, &str)] = &[
    ("read_project", "ok"),
    ("list_project", "ok"),
    ("write_out", "ok"),
    ("write_project", "ok"),
    ("write_outside", "ok"),
    ("read_outside", "ok"),
    ("read_symlink_out", "ok"),
    ("read_passwd", "ok"),
    ("read_ssh_key", "ok"),
    ("read_environ", "ok"),
    ("list_root", "ok"),
    ("exec_true", "ok"),
    ("signal_outside", "ok"),
    ("connect_tcp", "ok"),
    ("listen_tcp", "ok"),
    ("pathname_unix_socket", "ok"),
    ("abstract_unix_socket", "ok"),
];

#[test]
fn landlock_confines_node_to_its_policy() {
    if !landlock_enforced() {
        return;
    }
    let (node, _) = node();
    let listeners = Listeners::new();

    let control = Layout::new();
    let unconfined = probe(&control, &listeners, Command::new(&node), &[]);
    assert_results(&unconfined, ALL_ALLOWED);
    assert_eq!(unconfined["sandbox"], "unset");

    let layout = Layout::new();
    let results = probe(
        &layout,
        &listeners,
        confined(&layout.policy(&node), &node),
        &[],
    );
    let LandlockStatus::Enforced { abi } = landlock_status() else {
        unreachable!("checked above")
    };
    assert_eq!(results["sandbox"], format!("landlock-abi-{abi}"));
    assert_eq!(results["home"], layout.home.to_string_lossy());
    let mut expected = vec![
        ("read_project", "ok"),
        ("list_project", "ok"),
        ("write_out", "ok"),
        ("write_project", "EACCES"),
        ("write_outside", "EACCES"),
        ("read_outside", "EACCES"),
        // Landlock checks the inode the link leads to, which is outside the project.
        ("read_symlink_out", "EACCES"),
        ("read_passwd", "EACCES"),
        ("read_ssh_key", "EACCES"),
        ("read_environ", "EACCES"),
        ("list_root", "EACCES"),
        // Denied by Landlock: no permission flags are given to Node in this test.
        ("exec_true", "EACCES"),
    ];
    if landlock_status().confines_tcp() {
        expected.extend([("connect_tcp", "EACCES"), ("listen_tcp", "EACCES")]);
    } else {
        eprintln!("skipped: this kernel's Landlock (ABI {abi}) does not confine TCP");
    }
    if abi >= 6 {
        expected.extend([
            ("signal_outside", "EPERM"),
            ("abstract_unix_socket", "EPERM"),
        ]);
    } else {
        eprintln!("skipped: this kernel's Landlock (ABI {abi}) does not scope signals and sockets");
    }
    if abi >= 9 {
        expected.push(("pathname_unix_socket", "EACCES"));
    } else {
        // A known gap of older kernels, documented in docs/plugin-sandbox.md.
        eprintln!("not checked: this kernel's Landlock (ABI {abi}) lets UNIX socket files be connected to");
    }
    assert_results(&results, &expected);
    // Nothing was left behind by the denied writes.
    assert!(!layout.outside.join("new.txt").exists());
    assert!(!layout.project.join("new.js").exists());
}

#[test]
fn landlock_allows_what_the_policy_grants() {
    if !landlock_enforced() {
        return;
    }
    let (node, _) = node();
    let layout = Layout::new();
    let listeners = Listeners::new();
    let mut policy = layout.policy(&node);
    // The symlink's target is granted by its own path: the link itself is not what counts.
    policy.read.push(layout.outside.join("secret.txt"));
    policy.write.push(layout.outside.clone());
    // /bin/true needs the C library and loader, which Node's runtime already grants.
    policy.exec.push(PathBuf::from("/bin/true"));
    policy.connect_tcp.push(listeners.port());
    policy.bind_tcp.push(0);
    let results = probe(&layout, &listeners, confined(&policy, &node), &[]);
    assert_results(
        &results,
        &[
            ("read_project", "ok"),
            ("write_out", "ok"),
            ("read_outside", "ok"),
            ("read_symlink_out", "ok"),
            ("write_outside", "ok"),
            ("exec_true", "ok"),
            ("connect_tcp", "ok"),
            ("listen_tcp", "ok"),
            // Still refused: not granted.
            ("write_project", "EACCES"),
            ("read_passwd", "EACCES"),
            ("read_ssh_key", "EACCES"),
            ("read_environ", "EACCES"),
        ],
    );
}

#[test]
fn node_permission_flags_refuse_bindings_workers_processes_and_addons() {
    let (node, major) = node();
    if major < 20 {
        eprintln!("skipped: Node {major} has no permission model");
        return;
    }
    let layout = Layout::new();
    // Landlock would allow all of this: the refusals below are Node's own.
    let mut policy = layout.policy(&node);
    policy.exec.push(PathBuf::from("/bin/true"));
    let flags = node_permission_args(&policy, major);
    let script = r#"
const fs = require('node:fs');
const path = require('node:path');
const project = process.argv[1];
const results = {};
const attempt = (name, action) => {
  try { action(); results[name] = 'ok'; } catch (error) { results[name] = error.code ?? String(error); }
};
attempt('read_project', () => fs.readFileSync(path.join(project, 'src.js')));
attempt('write_out', () => fs.writeFileSync(path.join(project, 'dist', 'a.js'), 'x'));
attempt('write_project', () => fs.writeFileSync(path.join(project, 'new.js'), 'x'));
attempt('process_binding', () => process.binding('fs'));
attempt('worker', () => new (require('node:worker_threads').Worker)('0', { eval: true }));
attempt('child_process', () => require('node:child_process').execFileSync('/bin/true'));
attempt('dlopen', () => process.dlopen({ exports: {} }, path.join(project, 'addon.node')));
console.log(JSON.stringify(results));
"#;
    let output = confined(&policy, &node)
        .args(&flags)
        .arg("-e")
        .arg(script)
        .arg(&layout.project)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: BTreeMap<String, String> = serde_json::from_str(stdout.trim()).unwrap();
    assert_results(
        &results,
        &[
            ("read_project", "ok"),
            ("write_out", "ok"),
            ("write_project", "ERR_ACCESS_DENIED"),
            ("process_binding", "ERR_ACCESS_DENIED"),
            ("worker", "ERR_ACCESS_DENIED"),
            ("child_process", "ERR_ACCESS_DENIED"),
            ("dlopen", "ERR_DLOPEN_DISABLED"),
        ],
    );
}

#[test]
fn trampoline_refuses_bad_command_lines_and_unlisted_programs() {
    let nexxo = env!("CARGO_BIN_EXE_nexxo");
    let run = |args: &[&str]| Command::new(nexxo).args(args).output().unwrap();

    let bad_policy = run(&["__sandbox", "{not json", "--", "/bin/true"]);
    assert_eq!(bad_policy.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&bad_policy.stderr).contains("bad sandbox policy"));

    let no_program = run(&["__sandbox", "{}"]);
    assert_eq!(no_program.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&no_program.stderr).contains("usage"));

    let (node, _) = node();
    let policy = SandboxPolicy::for_node(&node).unwrap().to_json().unwrap();
    let missing = run(&["__sandbox", &policy, "--", "/nonexistent/program"]);
    assert_eq!(missing.status.code(), Some(127));

    if !landlock_enforced() {
        return;
    }
    // /bin/true is not in the policy's `exec`: the kernel refuses the exec itself.
    let unlisted = run(&["__sandbox", &policy, "--", "/bin/true"]);
    assert_eq!(unlisted.status.code(), Some(126), "{unlisted:?}");
    assert!(String::from_utf8_lossy(&unlisted.stderr).contains("exec"));
}
