//! Where plugin calls run: threads of their own, and the clock that stops them.
//!
//! A call runs on a pooled thread while the hook's thread waits with a deadline. Two reasons:
//! wasmtime-wasi's synchronous WASI functions block on a Tokio runtime, which panics on a
//! thread that is already driving one (the build calls hooks from rolldown's Tokio workers);
//! and a WASI call that blocks in the host (a read of a FIFO in an allowed folder) cannot be
//! interrupted, so the waiting side gives up after the limit and the thread is left to finish
//! on its own. Pure WebAssembly is stopped at its deadline by epoch interruption: the ticker
//! advances the engine's epoch every [`TICK`] while any call runs, and sleeps otherwise.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use wasmtime::Engine;

/// How often the epoch advances while calls run: the precision of the time limit.
pub const TICK: Duration = Duration::from_millis(10);

/// How long an idle call thread waits for another call before it ends.
const IDLE_LIFETIME: Duration = Duration::from_secs(30);

/// Native stack of a call thread: wasmtime's default 512 KiB WebAssembly stack plus the host
/// functions WASI calls run.
const CALL_THREAD_STACK: usize = 8 * 1024 * 1024;

/// The engine every plugin is compiled for, with epoch interruption on, and its ticker.
pub struct Runtime {
    pub engine: Engine,
    active_calls: AtomicUsize,
    ticker: Thread,
}

/// The process's one runtime (created with the first plugin).
pub fn runtime() -> Result<&'static Runtime, String> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let mut config = wasmtime::Config::new();
            config.epoch_interruption(true);
            let engine = Engine::new(&config).map_err(|err| format!("{err:#}"))?;
            let ticker = std::thread::Builder::new()
                .name("nexxo-wasm-epoch".into())
                .spawn(tick_while_calls_run)
                .map_err(|err| format!("cannot start the WASM plugin clock: {err}"))?;
            Ok(Runtime {
                engine,
                active_calls: AtomicUsize::new(0),
                ticker: ticker.thread().clone(),
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn tick_while_calls_run() {
    // The runtime is being created by the thread that started this one; wait for it.
    let Ok(runtime) = runtime() else {
        return;
    };
    loop {
        if runtime.active_calls.load(Ordering::SeqCst) == 0 {
            // An unpark between the check and here makes `park` return at once.
            std::thread::park();
            continue;
        }
        std::thread::sleep(TICK);
        runtime.engine.increment_epoch();
    }
}

/// Keeps the ticker running while a call is in flight.
pub struct ActiveCall(&'static Runtime);

impl ActiveCall {
    pub fn start(runtime: &'static Runtime) -> Self {
        runtime.active_calls.fetch_add(1, Ordering::SeqCst);
        runtime.ticker.unpark();
        Self(runtime)
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0.active_calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why a call gave no result.
#[derive(Debug, PartialEq, Eq)]
pub enum Abandoned {
    /// It did not finish in time (blocked in a host call past its epoch deadline).
    TimedOut,
    /// Its thread ended without an answer (a panic in wasmtime or WASI).
    Lost,
    /// No thread could be started.
    NoThread(String),
}

type Job = Box<dyn FnOnce() + Send>;

/// Senders of the idle call threads, each with its thread's number.
static IDLE: Mutex<Vec<(u64, mpsc::Sender<Job>)>> = Mutex::new(Vec::new());

fn idle() -> std::sync::MutexGuard<'static, Vec<(u64, mpsc::Sender<Job>)>> {
    IDLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `job` on a call thread and waits at most `wait` for its result.
pub fn run_on_call_thread<R: Send + 'static>(
    job: impl FnOnce() -> R + Send + 'static,
    wait: Duration,
) -> Result<R, Abandoned> {
    let (result_sender, result) = mpsc::sync_channel(1);
    let mut job: Job = Box::new(move || {
        // The waiting side may have given up; then nobody wants the result.
        let _ = result_sender.send(job());
    });
    loop {
        let Some((_, thread)) = idle().pop() else {
            start_call_thread(job).map_err(Abandoned::NoThread)?;
            break;
        };
        match thread.send(job) {
            Ok(()) => break,
            // That thread has ended (it cannot, while listed, but a lost job would hang).
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    match result.recv_timeout(wait) {
        Ok(value) => Ok(value),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Abandoned::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Abandoned::Lost),
    }
}

fn start_call_thread(first: Job) -> Result<(), String> {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    std::thread::Builder::new()
        .name("nexxo-wasm-call".into())
        .stack_size(CALL_THREAD_STACK)
        .spawn(move || serve_calls(id, first))
        .map(drop)
        .map_err(|err| format!("cannot start a thread for a WASM plugin call: {err}"))
}

fn serve_calls(id: u64, first: Job) {
    let mut job = first;
    loop {
        job();
        let (sender, jobs) = mpsc::channel();
        idle().push((id, sender));
        job = match jobs.recv_timeout(IDLE_LIFETIME) {
            Ok(next) => next,
            Err(_) => {
                let mut idle = idle();
                if let Some(position) = idle.iter().position(|(listed, _)| *listed == id) {
                    // Unlisted under the lock: no caller can pick this thread any more.
                    idle.remove(position);
                    return;
                }
                drop(idle);
                // A caller took this thread's sender just now: its job is on the way.
                match jobs.recv() {
                    Ok(next) => next,
                    Err(_) => return,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_and_threads_are_reused() {
        let first = run_on_call_thread(|| std::thread::current().id(), Duration::from_secs(5));
        let second = run_on_call_thread(|| std::thread::current().id(), Duration::from_secs(5));
        assert!(first.is_ok() && second.is_ok());
        // Other tests run calls concurrently, so the same thread is likely but not certain;
        // what must hold is that neither ran on this thread.
        assert_ne!(first.unwrap(), std::thread::current().id());
        assert_ne!(second.unwrap(), std::thread::current().id());
    }

    #[test]
    fn a_blocked_call_is_given_up_on_time() {
        let started = std::time::Instant::now();
        let (_keep_open, blocked) = mpsc::channel::<()>();
        let outcome = run_on_call_thread(
            move || {
                // Blocks until the test ends (a host call that never returns).
                let _ = blocked.recv_timeout(Duration::from_secs(5));
            },
            Duration::from_millis(100),
        );
        assert_eq!(outcome, Err(Abandoned::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_panicking_call_is_reported_lost() {
        let outcome = run_on_call_thread(|| panic!("test panic"), Duration::from_secs(5));
        assert_eq!(outcome, Err::<(), _>(Abandoned::Lost));
    }
}
