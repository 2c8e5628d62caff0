//! One running `node` helper process and the framing of its messages.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// A reply or a question from the helper, routed to the request it belongs to; `Err` when the
/// helper's output could not be read (the helper is then unusable).
type Routed = Result<Value, String>;

/// Where the reader thread sends each frame: the request waiting for it, by request id. `None`
/// once the helper's output has ended, so a new request fails at once instead of waiting.
type Routes = Arc<Mutex<Option<HashMap<u64, Sender<Routed>>>>>;

pub(crate) struct Helper {
    child: Mutex<Child>,
    /// Frames for the writer thread. Writing on another thread means a helper stuck in an
    /// endless loop with a full stdin pipe cannot block the caller past its timeout.
    requests: Mutex<Option<Sender<Vec<u8>>>>,
    routes: Routes,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    stderr_done: Mutex<Receiver<()>>,
    next_id: AtomicU64,
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

        let routes: Routes = Arc::new(Mutex::new(Some(HashMap::new())));
        let reader_routes = Arc::clone(&routes);
        std::thread::Builder::new()
            .name("nexxo-node-reader".into())
            .spawn(move || route_frames(&mut stdout, &reader_routes))
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
            child: Mutex::new(child),
            requests: Mutex::new(Some(request_tx)),
            routes,
            stderr_tail,
            stderr_done: Mutex::new(stderr_done),
            next_id: AtomicU64::new(0),
        })
    }

    /// Sends one request and waits for the helper's reply (`ok` true or false). An `Err` means
    /// no reply came: the helper is dead (killed or exited) and the caller must drop it.
    ///
    /// Several threads may have requests in flight on one helper at once (the helper's script
    /// runs them concurrently): the reader thread routes each reply to its request by id, so
    /// their round trips overlap instead of queueing.
    ///
    /// While the request runs, the helper may ask questions (`{ callbackOf, callback, method,
    /// args }` frames, a plugin's `this.resolve`): `callbacks` answers each on this thread.
    pub(crate) fn request(
        &self,
        mut request: serde_json::Map<String, Value>,
        timeout: Duration,
        callbacks: &Callbacks,
    ) -> Result<Value, NodeError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        request.insert("id".into(), Value::from(id));
        let (route, frames) = mpsc::channel();
        match lock(&self.routes).as_mut() {
            Some(routes) => routes.insert(id, route),
            None => return Err(self.crashed()),
        };
        let outcome = self.exchange(id, request, timeout, callbacks, &frames);
        if let Some(routes) = lock(&self.routes).as_mut() {
            routes.remove(&id);
        }
        outcome
    }

    fn exchange(
        &self,
        id: u64,
        request: serde_json::Map<String, Value>,
        timeout: Duration,
        callbacks: &Callbacks,
        frames: &Receiver<Routed>,
    ) -> Result<Value, NodeError> {
        if !self.send(Value::Object(request)) {
            return Err(self.crashed());
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let frame = frames.recv_timeout(left);
            if let Ok(Ok(question)) = &frame {
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
            return self.reply(frame, id, timeout);
        }
    }

    fn send(&self, message: Value) -> bool {
        lock(&self.requests)
            .as_ref()
            .is_some_and(|requests| requests.send(frame(&message)).is_ok())
    }

    fn reply(
        &self,
        reply: Result<Routed, RecvTimeoutError>,
        id: u64,
        timeout: Duration,
    ) -> Result<Value, NodeError> {
        match reply {
            Ok(Ok(reply)) => {
                debug_assert_eq!(reply.get("id").and_then(Value::as_u64), Some(id));
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
    fn crashed(&self) -> NodeError {
        let status = match lock(&self.child).wait() {
            Ok(status) => status.to_string(),
            Err(error) => error.to_string(),
        };
        let _ = lock(&self.stderr_done).recv_timeout(Duration::from_secs(1));
        NodeError::Crashed {
            status,
            stderr_tail: self.stderr_tail(),
        }
    }

    /// Whether the process has exited (between requests: killed from outside, or a compiler's
    /// timer called `process.exit`), or its output can no longer be read.
    pub(crate) fn has_exited(&self) -> bool {
        lock(&self.routes).is_none() || !matches!(lock(&self.child).try_wait(), Ok(None))
    }

    fn stderr_tail(&self) -> String {
        let tail = lock(&self.stderr_tail);
        String::from_utf8_lossy(&tail).into_owned()
    }

    /// Stops the process; every request still in flight on it gets an error.
    pub(crate) fn kill(&self) {
        lock(&self.requests).take();
        {
            let mut child = lock(&self.child);
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = lock(&self.stderr_done).recv_timeout(Duration::from_millis(200));
    }
}

/// The reader thread: each frame to the request it names (`id`, or `callbackOf` for a
/// question). When the output ends, or a frame cannot be read or names no waiting request, the
/// routes are closed: requests in flight get the error (or see their channel close) and new
/// ones fail at once.
fn route_frames(stdout: &mut impl Read, routes: &Routes) {
    let failure = loop {
        let Some(frame) = read_frame(stdout) else {
            break None;
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(message) => break Some(message),
        };
        let request = frame
            .get("callbackOf")
            .or_else(|| frame.get("id"))
            .and_then(Value::as_u64);
        let routes = lock(routes);
        let route = request.and_then(|id| routes.as_ref()?.get(&id));
        match route {
            // The waiting request may have timed out meanwhile; it kills the helper then.
            Some(route) => {
                let _ = route.send(Ok(frame));
            }
            None => break Some(format!("a reply to no waiting request: {frame}")),
        }
    };
    let closed = lock(routes).take();
    if let Some(message) = failure {
        for route in closed.into_iter().flat_map(HashMap::into_values) {
            let _ = route.send(Err(message.clone()));
        }
    }
}

/// A lock that a panicking thread cannot poison for the others.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
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
