//! What can go wrong talking to Node, and how it is shown to the user.

use std::fmt;
use std::path::{Path, PathBuf};

use nexxo_diagnostics::Diagnostic;

/// An error from the Node.js helper pool. Every variant says what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeError {
    /// No `node` on `PATH` (or `NEXXO_NODE` names no file).
    NodeMissing { purpose: String, detail: String },
    /// `node` was found but could not be started.
    Spawn { node: PathBuf, message: String },
    /// The installed Node is older than a compiler needs.
    NodeTooOld {
        purpose: String,
        found: String,
        needed_major: u32,
    },
    /// The package to load is not installed in the project.
    MissingPackage { package: String, root: PathBuf },
    /// The task itself failed (a compile error, usually), with the compiler's location if any.
    Task {
        message: String,
        file: Option<String>,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// The helper did not answer in time; it was killed and will be restarted.
    Timeout {
        timeout: std::time::Duration,
        stderr_tail: String,
    },
    /// The helper exited (crash, `process.exit`, killed) while working on the request.
    Crashed { status: String, stderr_tail: String },
    /// The helper sent something that is not a reply (a bug on one side or the other).
    Protocol(String),
}

fn with_stderr(f: &mut fmt::Formatter<'_>, stderr_tail: &str) -> fmt::Result {
    let tail = stderr_tail.trim();
    if tail.is_empty() {
        Ok(())
    } else {
        write!(f, "\nNode's last output:\n{tail}")
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::NodeMissing { purpose, detail } => write!(
                f,
                "Node.js is needed to compile {purpose}, but {detail}. Install Node.js 20 or newer (https://nodejs.org), or set NEXXO_NODE to the node executable."
            ),
            NodeError::Spawn { node, message } => write!(
                f,
                "could not start Node.js ({}): {message}",
                node.display()
            ),
            NodeError::NodeTooOld {
                purpose,
                found,
                needed_major,
            } => write!(
                f,
                "{purpose} needs Node.js {needed_major} or newer, but the installed Node.js is {found}. Install Node.js {needed_major}+ (https://nodejs.org)."
            ),
            NodeError::MissingPackage { package, root } => write!(
                f,
                "the package `{package}` is not installed in {}. Install it with `npm install -D {package}`.",
                root.display()
            ),
            NodeError::Task { message, .. } => f.write_str(message),
            NodeError::Timeout {
                timeout,
                stderr_tail,
            } => {
                write!(
                    f,
                    "the Node.js helper did not answer within {timeout:?} (an endless loop in a compiler?); it was stopped and will be restarted"
                )?;
                with_stderr(f, stderr_tail)
            }
            NodeError::Crashed {
                status,
                stderr_tail,
            } => {
                write!(f, "the Node.js helper stopped ({status}) while compiling; it will be restarted")?;
                with_stderr(f, stderr_tail)
            }
            NodeError::Protocol(message) => {
                write!(f, "the Node.js helper sent an unreadable reply: {message}")
            }
        }
    }
}

impl std::error::Error for NodeError {}

impl NodeError {
    /// The error as a user-facing diagnostic: a compiler's file/line/column become a location
    /// (with a code frame when the file can be read), the fix goes in the help line.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            NodeError::Task {
                message,
                file: Some(file),
                line: Some(line),
                column,
            } => {
                let source = nexxo_diagnostics::input::read_regular_to_string(Path::new(file)).ok();
                Diagnostic::at(
                    message.clone(),
                    PathBuf::from(file),
                    source,
                    *line,
                    column.unwrap_or(1).max(1),
                )
            }
            NodeError::Task {
                message,
                file: Some(file),
                ..
            } => Diagnostic::error(format!("{file}: {message}")),
            NodeError::MissingPackage { package, root } => Diagnostic::error(format!(
                "the package `{package}` is not installed in {}",
                root.display()
            ))
            .with_help(format!("install it with `npm install -D {package}`")),
            NodeError::NodeMissing { .. } | NodeError::NodeTooOld { .. } => {
                Diagnostic::error(self.to_string())
            }
            other => Diagnostic::error(other.to_string()),
        }
    }
}

impl From<NodeError> for Diagnostic {
    fn from(error: NodeError) -> Self {
        error.to_diagnostic()
    }
}
