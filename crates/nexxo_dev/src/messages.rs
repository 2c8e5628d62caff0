//! The WebSocket's messages, typed. [`ServerMessage`] serializes to exactly the JSON
//! `client/runtime.js` switches on (`type`, then the fields it reads) and [`ErrorPayload`] to what
//! `client/overlay.js` shows; [`ClientMessage`] is what the page sends back.

use nexxo_dev_modules::graph::HotBoundary;
use nexxo_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

/// A message from the server to every connected page.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// Sent once when the socket opens.
    Connected,
    /// Define `modules` again (registry definitions) and run the boundaries' accept handlers.
    Update {
        modules: Vec<String>,
        boundaries: Vec<HotBoundary>,
    },
    /// A `<link>`ed stylesheet compiled differently: the page fetches `url` again.
    CssUpdate { url: String },
    /// Modules no longer imported by anything: their `prune` handlers run.
    Prune { ids: Vec<String> },
    /// A compile failed: the overlay shows it.
    Error { error: ErrorPayload },
    /// What failed compiles again: the overlay goes away.
    ErrorCleared,
    /// The page must load again. No reason when the page missed messages (a slow socket).
    FullReload {
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An event for `import.meta.hot.on(event)` listeners (Angular's
    /// `angular:component-update`).
    Custom {
        event: String,
        data: serde_json::Value,
    },
}

impl ServerMessage {
    pub fn full_reload(reason: impl Into<String>) -> Self {
        Self::FullReload {
            reason: Some(reason.into()),
        }
    }

    pub fn error(diagnostic: &Diagnostic) -> Self {
        Self::Error {
            error: ErrorPayload::from(diagnostic),
        }
    }

    pub fn to_json(&self) -> String {
        // Plain strings, numbers and lists: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the overlay shows for a diagnostic (also the argument of `__nexxo.fail` in scripts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorPayload {
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The rendered diagnostic with its code frame, without colours.
    pub frame: String,
}

impl From<&Diagnostic> for ErrorPayload {
    fn from(diagnostic: &Diagnostic) -> Self {
        let location = diagnostic.location.as_deref();
        Self {
            message: diagnostic.message.clone(),
            file: location.map(|l| nexxo_diagnostics::display_path(&l.file)),
            line: location.map(|l| l.line),
            column: location.map(|l| l.column),
            frame: diagnostic.render(false),
        }
    }
}

impl ErrorPayload {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A message from a page. Others (`custom` events) are ignored.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientMessage {
    /// A module could not apply its update (`import.meta.hot.invalidate()`).
    Invalidate { id: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn sent(message: ServerMessage) -> Value {
        serde_json::from_str(&message.to_json()).unwrap()
    }

    /// Each kind carries the `type` and fields `client/runtime.js` reads in `onMessage`.
    #[test]
    fn server_messages_have_the_shape_the_client_reads() {
        assert_eq!(sent(ServerMessage::Connected), json!({"type": "connected"}));
        let boundary = HotBoundary {
            boundary: "/src/App.tsx".into(),
            accepted: "/src/App.tsx".into(),
            stale: vec!["/src/util.ts".into(), "/src/App.tsx".into()],
        };
        assert_eq!(
            sent(ServerMessage::Update {
                modules: vec![
                    "__nexxo.define(\"/src/App.tsx\", {}, {}, async function () {});\n".into()
                ],
                boundaries: vec![boundary],
            }),
            json!({
                "type": "update",
                "modules": ["__nexxo.define(\"/src/App.tsx\", {}, {}, async function () {});\n"],
                "boundaries": [{
                    "boundary": "/src/App.tsx",
                    "accepted": "/src/App.tsx",
                    "stale": ["/src/util.ts", "/src/App.tsx"],
                }],
            })
        );
        assert_eq!(
            sent(ServerMessage::CssUpdate {
                url: "/base/src/style.css".into()
            }),
            json!({"type": "css-update", "url": "/base/src/style.css"})
        );
        assert_eq!(
            sent(ServerMessage::Prune {
                ids: vec!["/src/old.css".into()]
            }),
            json!({"type": "prune", "ids": ["/src/old.css"]})
        );
        assert_eq!(
            sent(ServerMessage::ErrorCleared),
            json!({"type": "error-cleared"})
        );
        assert_eq!(
            sent(ServerMessage::full_reload("page changed")),
            json!({"type": "full-reload", "reason": "page changed"})
        );
        assert_eq!(
            sent(ServerMessage::FullReload { reason: None }),
            json!({"type": "full-reload"})
        );
    }

    /// `client/overlay.js` reads `message`, `file`, `line`, `column` and `frame`; `file`, `line`
    /// and `column` are `null` for an error without a place.
    #[test]
    fn error_messages_carry_what_the_overlay_shows() {
        let source = "let a = 1;\nlet = ;\n";
        let located = Diagnostic::at_offset("Unexpected token", "src/main.ts", source, 15);
        let Value::Object(message) = sent(ServerMessage::error(&located)) else {
            panic!("not an object");
        };
        assert_eq!(message["type"], "error");
        let error = &message["error"];
        assert_eq!(error["message"], "Unexpected token");
        assert_eq!(error["file"], "src/main.ts");
        assert_eq!(
            (error["line"].clone(), error["column"].clone()),
            (json!(2), json!(5))
        );
        assert!(error["frame"].as_str().unwrap().contains("let = ;"));

        let unplaced = Diagnostic::error("cannot bundle react");
        assert_eq!(
            sent(ServerMessage::error(&unplaced)),
            json!({"type": "error", "error": {
                "message": "cannot bundle react",
                "file": null,
                "line": null,
                "column": null,
                "frame": unplaced.render(false),
            }})
        );
    }

    #[test]
    fn client_messages_are_read_by_type() {
        let read = |text: &str| serde_json::from_str::<ClientMessage>(text).ok();
        assert_eq!(
            read(
                r#"{"type":"invalidate","id":"/src/a.ts","message":"not a React Refresh boundary"}"#
            ),
            Some(ClientMessage::Invalidate {
                id: "/src/a.ts".into()
            })
        );
        assert_eq!(read(r#"{"type":"custom","event":"x","data":1}"#), None);
        assert_eq!(read(r#"{"type":"invalidate"}"#), None);
        assert_eq!(read("not json"), None);
    }
}
