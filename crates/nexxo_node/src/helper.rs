//! One running `node` helper process and the framing of its messages.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::NodeError;

/// The helper's script, one plain ES module using only Node built-ins, made of the core, one file
/// per framework's tasks, and the part that starts reading requests (see `helper/helper.mjs`).
/// The order matters: tasks use the core's helpers, and requests are read only once every task
/// is registered. A new file in `helper/tasks/` must be added here (a test checks it is).
///
/// It is passed with `node --input-type=module -e` rather than written to a temp file: nothing
/// has to be created, cleaned up or guarded against being swapped by another user, and the
/// script (tens of KiB) is below Linux's 128 KiB limit for one argument (a test checks it).
pub(crate) const HELPER_SCRIPT: &str = concat!(
    include_str!("../helper/helper.mjs"),
    "\n",
    include_str!("../helper/tasks/vue.mjs"),
    "\n",
    include_str!("../helper/tasks/svelte.mjs"),
    "\n",
    include_str!("../helper/tasks/solid.mjs"),
    "\n",
    include_str!("../helper/tasks/postcss.mjs"),
    "\n",
    include_str!("../helper/tasks/tailwind.mjs"),
    "\n",
    include_str!("../helper/tasks/angular.mjs"),
    "\n",
    include_str!("../helper/tasks/plugins.mjs"),
    "\n",
    include_str!("../helper/tasks/plugin_modules.mjs"),
    "\n",
    include_str!("../helper/tasks/plugin_fs.mjs"),
    "\n",
    include_str!("../helper/main.mjs"),
);

/// How much of the helper's stderr is kept for crash reports.
const STDERR_TAIL_BYTES: usize = 4096;

/// Replies larger than this are refused rather than allocated (a corrupt length).
const MAX_FRAME_BYTES: usize = 1 << 30;

pub(crate) struct Helper {
    child: Child,
    /// Frames for the writer thread. Writing on another thread means a helper stuck in an
    /// endless loop with a full stdin pipe cannot block the caller past its timeout.
    requests: Option<Sender<Vec<u8>>>,
    replies: Receiver<Result<Value, String>>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    stderr_done: Receiver<()>,
    next_id: u64,
}

/// Answers a helper's question during a request: method and arguments in, result or error out.
pub type Callbacks<'a> = dyn Fn(&str, &Value) -> Result<Value, String> + Sync + 'a;

pub(crate) fn frame(message: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(message).expect("a JSON value always serializes");
    let mut framed = Vec::with_capacity(body.len() + 4);
    framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
    framed.extend_from_slice(&body);
    framed
}

fn read_frame(reader: &mut impl Read) -> Option<Result<Value, String>> {
    let mut header = [0u8; 4];
    reader.read_exact(&mut header).ok()?;
    let length = u32::from_le_bytes(header) as usize;
    if length > MAX_FRAME_BYTES {
        return Some(Err(format!("reply of {length} bytes")));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).map_err(|error| error.to_string()))
}

impl Helper {
    /// Starts a helper in the folder `cwd` (`None`: this process's). `command` is how `node`
    /// is started (directly, or through a launcher that confines it); `node_args` go before
    /// the script.
    pub(crate) fn spawn(
        node: &Path,
        mut command: Command,
        node_args: &[String],
        cwd: Option<&Path>,
    ) -> Result<Self, NodeError> {
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        let mut child = command
            .args(node_args)
            .args(["--input-type=module", "-e", HELPER_SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| NodeError::Spawn {
                node: node.to_path_buf(),
                message: error.to_string(),
            })?;
        match Self::start_threads(node, &mut child) {
            Ok(helper) => Ok(helper(child)),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(error)
            }
        }
    }

    /// The writer, reader and stderr threads; the returned closure completes the helper.
    fn start_threads(
        node: &Path,
        child: &mut Child,
    ) -> Result<impl FnOnce(Child) -> Self, NodeError> {
        let mut stdin: ChildStdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");

        let (request_tx, request_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("nexxo-node-writer".into())
            .spawn(move || {
                for framed in request_rx {
                    if stdin
                        .write_all(&framed)
                        .and_then(|()| stdin.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(spawn_thread_error(node))?;

        let (reply_tx, reply_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("nexxo-node-reader".into())
            .spawn(move || {
                while let Some(reply) = read_frame(&mut stdout) {
                    let unreadable = reply.is_err();
                    if reply_tx.send(reply).is_err() || unreadable {
                        break;
                    }
                }
            })
            .map_err(spawn_thread_error(node))?;

        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let (stderr_done_tx, stderr_done) = mpsc::channel();
        let tail = Arc::clone(&stderr_tail);
        std::thread::Builder::new()
            .name("nexxo-node-stderr".into())
            .spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(read) = stderr.read(&mut buffer) {
                    if read == 0 {
                        break;
                    }
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    tail.extend_from_slice(&buffer[..read]);
                    if tail.len() > STDERR_TAIL_BYTES {
                        let excess = tail.len() - STDERR_TAIL_BYTES;
                        tail.drain(..excess);
                    }
                }
                let _ = stderr_done_tx.send(());
            })
            .map_err(spawn_thread_error(node))?;

        Ok(move |child| Self {
            child,
            requests: Some(request_tx),
            replies: reply_rx,
            stderr_tail,
            stderr_done,
            next_id: 0,
        })
    }

    /// Sends one request and waits for the helper's reply (`ok` true or false). An `Err` means
    /// no reply came: the helper is dead (killed or exited) and the caller must drop it.
    ///
    /// While the request runs, the helper may ask questions (`{ callbackOf, callback, method,
    /// args }` frames, a plugin's `this.resolve`): `callbacks` answers each on this thread.
    pub(crate) fn request(
        &mut self,
        mut request: serde_json::Map<String, Value>,
        timeout: Duration,
        callbacks: &Callbacks,
    ) -> Result<Value, NodeError> {
        self.next_id += 1;
        let id = self.next_id;
        request.insert("id".into(), Value::from(id));
        if !self.send(Value::Object(request)) {
            return Err(self.crashed());
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let reply = self.replies.recv_timeout(left);
            if let Ok(Ok(question)) = &reply {
                if let Some(callback) = question.get("callback").and_then(Value::as_u64) {
                    let method = question["method"].as_str().unwrap_or_default();
                    let answer = match callbacks(method, &question["args"]) {
                        Ok(result) => {
                            serde_json::json!({ "callbackReply": callback, "ok": true, "result": result })
                        }
                        Err(error) => {
                            serde_json::json!({ "callbackReply": callback, "ok": false, "error": error })
                        }
                    };
                    if !self.send(answer) {
                        return Err(self.crashed());
                    }
                    continue;
                }
            }
            return self.reply(reply, id, timeout);
        }
    }

    fn send(&self, message: Value) -> bool {
        self.requests
            .as_ref()
            .is_some_and(|requests| requests.send(frame(&message)).is_ok())
    }

    fn reply(
        &mut self,
        reply: Result<Result<Value, String>, RecvTimeoutError>,
        id: u64,
        timeout: Duration,
    ) -> Result<Value, NodeError> {
        match reply {
            Ok(Ok(reply)) => {
                if reply.get("id").and_then(Value::as_u64) != Some(id) {
                    self.kill();
                    return Err(NodeError::Protocol(format!(
                        "expected the reply to request {id}, got {reply}"
                    )));
                }
                Ok(reply)
            }
            Ok(Err(message)) => {
                self.kill();
                Err(NodeError::Protocol(message))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(NodeError::Timeout {
                    timeout,
                    stderr_tail: self.stderr_tail(),
                })
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.crashed()),
        }
    }

    /// The error for a helper whose stdout closed: waits for it to exit and for the rest of its
    /// stderr (bounded: a grandchild holding the pipe open must not hang us).
    fn crashed(&mut self) -> NodeError {
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => error.to_string(),
        };
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        NodeError::Crashed {
            status,
            stderr_tail: self.stderr_tail(),
        }
    }

    /// Whether the process has exited (between requests: killed from outside, or a compiler's
    /// timer called `process.exit`).
    pub(crate) fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    fn stderr_tail(&self) -> String {
        let tail = self.stderr_tail.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail).into_owned()
    }

    fn kill(&mut self) {
        self.requests = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(200));
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_thread_error(node: &Path) -> impl Fn(std::io::Error) -> NodeError + '_ {
    move |error| NodeError::Spawn {
        node: node.to_path_buf(),
        message: format!("could not start a thread: {error}"),
    }
}
