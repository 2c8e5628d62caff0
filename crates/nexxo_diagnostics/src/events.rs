//! Machine-readable progress: with `--log-format json` every step of a run is printed as one
//! JSON object per line on stdout (phase started/ended, module compiled with a cache hit or
//! miss, chunk emitted, warning, error), for CI logs and tools. Off by default.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

static JSON_EVENTS: AtomicBool = AtomicBool::new(false);

/// Turns JSON events on for this process.
pub fn enable_json_events() {
    JSON_EVENTS.store(true, Ordering::Relaxed);
}

pub fn json_events_enabled() -> bool {
    JSON_EVENTS.load(Ordering::Relaxed)
}

/// Prints `{"event": kind, ...fields}` when JSON events are on. `fields` must be an object.
pub fn event(kind: &str, fields: serde_json::Value) {
    if !json_events_enabled() {
        return;
    }
    let mut object = match fields {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    object.insert("event".into(), kind.into());
    let line = serde_json::Value::Object(object).to_string();
    // One write per line, so lines from several threads never interleave.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

/// Shows a warning: a `warning` event with `--log-format json`, a `warning:` line on stderr
/// otherwise.
pub fn warning(message: &str) {
    if json_events_enabled() {
        event("warning", serde_json::json!({ "message": message }));
    } else {
        eprintln!("warning: {message}");
    }
}

/// One phase of a run (`plan`, `bundle`, `emit`…): a `phase` event with `"status": "started"`
/// when it begins and one with `"status": "ended"`, its duration and whether it succeeded when
/// it ends.
#[derive(Debug)]
pub struct Phase {
    name: &'static str,
    started: std::time::Instant,
}

impl Phase {
    pub fn start(name: &'static str) -> Self {
        event(
            "phase",
            serde_json::json!({"phase": name, "status": "started"}),
        );
        Self {
            name,
            started: std::time::Instant::now(),
        }
    }

    /// Ends the phase; `fields` (an object) are added to the event.
    pub fn end(self, success: bool, fields: serde_json::Value) {
        let mut object = match fields {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        object.insert("phase".into(), self.name.into());
        object.insert("status".into(), "ended".into());
        object.insert("success".into(), success.into());
        let duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        object.insert("duration_ms".into(), duration_ms.into());
        event("phase", serde_json::Value::Object(object));
    }

    /// Ends the phase, successful when `result` is `Ok`.
    pub fn end_with<T, E>(self, result: &Result<T, E>) {
        self.end(result.is_ok(), serde_json::json!({}));
    }
}
