//! The module model of `nexxo dev`: everything the dev server knows about the project's
//! modules, with no HTTP in it (`nexxo_dev` serves what this crate compiles).
//!
//! The dev server is bundled, not Vite-style unbundled: each module is compiled on its own
//! (`transform.rs`, `load.rs`) into a small registry format, and the browser gets a page's
//! modules as one script (`page.rs`), `import()` targets compiled when first requested, and
//! npm packages pre-bundled with rolldown (`deps.rs`). `graph.rs` knows who imports whom, so a
//! file change (`hmr.rs`) sends only the new module code to the boundary that accepts it.
//!
//! ```text
//! session.rs (config, resolver, plugins, module cache) ─ graph.rs ─ load.rs ─ transform.rs (oxc)
//!                                                          └─ page.rs (page/lazy/hot scripts)
//! watch.rs (file events) ─ hmr.rs (recompile, boundaries) ─ FileChangeOutcome (plain data)
//! ```

pub mod analysis;
pub mod deps;
mod deps_components;
pub mod graph;
pub mod hmr;
pub mod load;
pub mod module_cache;
pub mod page;
pub mod resolve;
pub mod session;
mod source_attributes;
pub mod transform;
pub mod watch;

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use session::{page_entries, CompileState, Session};

// A panic while a lock is held (a bug in one compile or request) poisons it; every later request
// would then panic on `.lock().expect(..)` and the server would be dead until restarted. The
// state behind these locks stays consistent between statements (whole values are swapped in), so
// the server goes on with it: the panic itself is reported where it happened.

/// Locks `mutex`, recovering it if a panicking thread poisoned it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `lock`, recovering it if a panicking thread poisoned it.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `lock`, recovering it if a panicking thread poisoned it.
pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The text of a caught panic (`panic!` payloads are `&str` or `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn poisoned_locks_are_recovered() {
        let mutex = Arc::new(Mutex::new(1));
        let rw = Arc::new(RwLock::new(1));
        let (m, r) = (mutex.clone(), rw.clone());
        let panicked = std::thread::spawn(move || {
            let _guard = m.lock().unwrap();
            let _write = r.write().unwrap();
            panic!("compile bug");
        })
        .join();
        let payload = panicked.unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "compile bug");
        assert!(mutex.is_poisoned() && rw.is_poisoned());
        *lock(&mutex) += 1;
        *write(&rw) += 1;
        assert_eq!((*lock(&mutex), *read(&rw)), (2, 2));
    }
}
