//! `nexxo audit --browser`: the browser checks (axe-core, web vitals, the live-page checks of
//! `client/checks.js`) in headless Chromium, driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: the browser reads commands from fd 3 and writes to fd 4, each
//! message JSON ended by a NUL byte), so no port is opened and no WebSocket client is needed.
//!
//! The caller serves the built app (the preview server) and hands the pages' URLs.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nexxo_diagnostics::Diagnostic;
use serde_json::{json, Value};

use crate::findings::{Finding, PageMetrics};
use crate::settings::AuditSettings;

/// Where Chromium is: `NEXXO_CHROMIUM`, then `CHROME_PATH`, then the usual system paths.
pub fn find_chromium() -> Option<PathBuf> {
    for variable in ["NEXXO_CHROMIUM", "CHROME_PATH"] {
        if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())
}

/// One page to open.
#[derive(Debug, Clone)]
pub struct PageToAudit {
    /// As reported (`/index.html`).
    pub page: String,
    pub url: String,
    /// The source page (root-relative) findings without a source location are reported on.
    pub source_file: Option<String>,
}

/// What the browser found on every page.
#[derive(Debug, Default)]
pub struct BrowserResults {
    pub findings: Vec<Finding>,
    pub metrics: Vec<PageMetrics>,
}

/// How many controls a browser run clicks per page to measure INP.
const MAX_CLICKS: usize = 5;

/// How long one page may take to load and be audited.
const PAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Opens each page in a fresh tab of one headless Chromium and runs the browser checks.
pub fn audit_pages(
    chromium: &Path,
    pages: &[PageToAudit],
    settings: &AuditSettings,
) -> Result<BrowserResults, Diagnostic> {
    let mut browser = Browser::launch(chromium)?;
    let result = (|| {
        let mut results = BrowserResults::default();
        for page in pages {
            let (findings, metrics) = browser.audit_page(page, settings)?;
            results.findings.extend(findings);
            results.metrics.push(metrics);
        }
        Ok(results)
    })();
    browser.close();
    result
}

struct Browser {
    child: Child,
    commands: std::io::PipeWriter,
    messages: Receiver<Value>,
    next_id: u64,
    /// Events read while waiting for a command's answer.
    events: Vec<Value>,
    profile: PathBuf,
}

fn launch_error(chromium: &Path, detail: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!(
        "cannot start Chromium ({}): {detail}",
        chromium.display()
    ))
    .with_help(
        "install Chromium, or point NEXXO_CHROMIUM (or CHROME_PATH) at a Chrome or Chromium binary",
    )
}

impl Browser {
    fn launch(chromium: &Path) -> Result<Self, Diagnostic> {
        let (browser_reads, commands) = std::io::pipe().map_err(|e| launch_error(chromium, e))?;
        let (messages_out, browser_writes) =
            std::io::pipe().map_err(|e| launch_error(chromium, e))?;
        // A fresh profile per browser: nothing from another run (cache, storage) affects this one.
        static LAUNCHES: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let profile = std::env::temp_dir().join(format!(
            "nexxo-audit-{}-{}-{nanos}",
            std::process::id(),
            LAUNCHES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&profile).map_err(|e| launch_error(chromium, e))?;
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless",
                "--remote-debugging-pipe",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--mute-audio",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()));
        // CI without a network: every host but loopback fails at once instead of waiting for
        // DNS (a page's CDN fonts or pictures then fail, and show as console errors).
        if std::env::var_os("NEXXO_AUDIT_OFFLINE").is_some_and(|v| v == "1") {
            command
                .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost");
        }
        // Chromium's sandbox refuses to start as root.
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            command.arg("--no-sandbox");
        }
        command
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let read_fd = browser_reads.as_raw_fd();
        let write_fd = browser_writes.as_raw_fd();
        // SAFETY: between fork and exec only async-signal-safe calls (fcntl, dup2). Both ends
        // are first copied above 10 so that placing one on 3 or 4 cannot overwrite the other.
        unsafe {
            command.pre_exec(move || {
                let read_copy = libc::fcntl(read_fd, libc::F_DUPFD, 10);
                let write_copy = libc::fcntl(write_fd, libc::F_DUPFD, 10);
                if read_copy < 0
                    || write_copy < 0
                    || libc::dup2(read_copy, 3) < 0
                    || libc::dup2(write_copy, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| launch_error(chromium, e))?;
        // The browser's ends live in the child only: its exit then ends our reads.
        drop(browser_reads);
        drop(browser_writes);
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(messages_out);
            let mut buffer = Vec::new();
            loop {
                buffer.clear();
                match reader.read_until(0, &mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if buffer.last() == Some(&0) {
                            buffer.pop();
                        }
                        if let Ok(message) = serde_json::from_slice::<Value>(&buffer) {
                            if sender.send(message).is_err() {
                                break;
                            }
                        }
                    }
                }
            }
        });
        Ok(Self {
            child,
            commands,
            messages,
            next_id: 0,
            events: Vec::new(),
            profile,
        })
    }

    /// Sends one command (to a tab's `session`, or the browser) and waits for its answer.
    fn call(
        &mut self,
        method: &str,
        params: Value,
        session: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, Diagnostic> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap_or_default();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .map_err(|e| Diagnostic::error(format!("Chromium stopped reading commands: {e}")))?;
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.receive(deadline, method)?;
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(Diagnostic::error(format!(
                        "Chromium refused {method}: {}",
                        error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown error")
                    )));
                }
                return Ok(message.get("result").cloned().unwrap_or(Value::Null));
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Result<Value, Diagnostic> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(message) => {
                self.dismiss_dialog(&message);
                Ok(message)
            }
            Err(RecvTimeoutError::Timeout) => Err(Diagnostic::error(format!(
                "Chromium did not answer in time ({waiting_for})"
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(Diagnostic::error(format!(
                "Chromium exited while Nexxo waited for {waiting_for}"
            ))),
        }
    }

    /// An `alert()`, `confirm()` or `prompt()` stops the page until it is answered: dismissed
    /// at once (without waiting for the answer, which is read and ignored like any other).
    fn dismiss_dialog(&mut self, message: &Value) {
        if message.get("method").and_then(Value::as_str) != Some("Page.javascriptDialogOpening") {
            return;
        }
        self.next_id += 1;
        let mut command = json!({
            "id": self.next_id,
            "method": "Page.handleJavaScriptDialog",
            "params": { "accept": false },
        });
        if let Some(session) = message.get("sessionId") {
            command["sessionId"] = session.clone();
        }
        let mut bytes = serde_json::to_vec(&command).unwrap_or_default();
        bytes.push(0);
        let _ = self.commands.write_all(&bytes);
    }

    /// Waits for an event of `session` named `method`.
    fn wait_for_event(
        &mut self,
        method: &str,
        session: &str,
        timeout: Duration,
    ) -> Result<(), Diagnostic> {
        let is_it = |event: &Value| {
            event.get("method").and_then(Value::as_str) == Some(method)
                && event.get("sessionId").and_then(Value::as_str) == Some(session)
        };
        if self.events.iter().any(is_it) {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.receive(deadline, method)?;
            let found = is_it(&message);
            self.events.push(message);
            if found {
                return Ok(());
            }
        }
    }

    fn audit_page(
        &mut self,
        page: &PageToAudit,
        settings: &AuditSettings,
    ) -> Result<(Vec<Finding>, PageMetrics), Diagnostic> {
        let step = Duration::from_secs(30);
        let target = self.call(
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            None,
            step,
        )?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = self.call(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
            None,
            step,
        )?;
        let session = attached["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let session_id = session.as_str();
        let session = Some(session_id);
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(domain, json!({}), session, step)?;
        }
        // Web vitals observe from the first byte, before the app's own scripts.
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": crate::client::vitals_and_checks_script() }),
            session,
            step,
        )?;
        self.events.clear();
        self.call("Page.navigate", json!({ "url": page.url }), session, step)?;
        self.wait_for_event("Page.loadEventFired", session_id, PAGE_TIMEOUT)?;
        // Let the app render after load (React mounts, images decode) before measuring.
        let settle = Instant::now() + Duration::from_millis(1500);
        while let Ok(message) = self.receive(settle, "the page to settle") {
            self.events.push(message);
        }
        // Interactions for INP, then time for their next paints to be reported.
        if self.click_controls(session_id, step)? > 0 {
            let settle = Instant::now() + Duration::from_millis(1000);
            while let Ok(message) = self.receive(settle, "the page to settle") {
                self.events.push(message);
            }
        }
        self.call(
            "Runtime.evaluate",
            json!({ "expression": crate::client::AXE_JS, "returnByValue": false }),
            session,
            step,
        )?;
        let settings_json = serde_json::to_string(&json!({
            "maxLcpMs": settings.max_lcp_ms,
            "maxCls": settings.max_cls,
            "maxInpMs": settings.max_inp_ms,
        }))
        .unwrap_or_default();
        let evaluated = self.call(
            "Runtime.evaluate",
            json!({
                "expression": format!("window.__nexxoAudit.run({settings_json})"),
                "awaitPromise": true,
                "returnByValue": true,
            }),
            session,
            PAGE_TIMEOUT,
        )?;
        if let Some(exception) = evaluated.get("exceptionDetails") {
            return Err(Diagnostic::error(format!(
                "the audit failed in the page {}: {}",
                page.url,
                exception["exception"]["description"]
                    .as_str()
                    .or(exception["text"].as_str())
                    .unwrap_or("unknown error")
            )));
        }
        let value = &evaluated["result"]["value"];
        let mut findings: Vec<Finding> =
            serde_json::from_value(value["findings"].clone()).unwrap_or_default();
        let mut metrics: PageMetrics =
            serde_json::from_value(value["metrics"].clone()).unwrap_or_default();
        metrics.page = page.page.clone();
        findings.extend(console_errors(&self.events, session_id));
        for finding in &mut findings {
            finding.page = Some(page.page.clone());
            if finding.file.is_none() {
                finding.file = page.source_file.clone();
            }
        }
        let _ = self.call(
            "Target.closeTarget",
            json!({ "targetId": target_id }),
            None,
            step,
        );
        self.events.clear();
        Ok((findings, metrics))
    }

    /// Clicks up to [`MAX_CLICKS`] controls a click cannot leave the page with (chosen by
    /// `checks.js`), with real input events (`Input.dispatchMouseEvent`), so web vitals
    /// measures Interaction to Next Paint. Returns how many were clicked.
    fn click_controls(&mut self, session: &str, step: Duration) -> Result<usize, Diagnostic> {
        let count = self.evaluate_value(
            session,
            &format!("window.__nexxoAudit ? window.__nexxoAudit.clickTargets({MAX_CLICKS}) : 0"),
            step,
        )?;
        let mut clicked = 0;
        for index in 0..count.as_u64().unwrap_or(0) {
            let point = self.evaluate_value(
                session,
                &format!("window.__nexxoAudit.clickPoint({index})"),
                step,
            )?;
            let (Some(x), Some(y)) = (point["x"].as_f64(), point["y"].as_f64()) else {
                continue;
            };
            for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
                self.call(
                    "Input.dispatchMouseEvent",
                    json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
                    Some(session),
                    step,
                )?;
            }
            clicked += 1;
            // Each interaction gets its own frame, as a person's clicks would.
            let pause = Instant::now() + Duration::from_millis(100);
            while let Ok(message) = self.receive(pause, "the click to be handled") {
                self.events.push(message);
            }
        }
        Ok(clicked)
    }

    /// The value of `expression` in the tab (`null` when it throws).
    fn evaluate_value(
        &mut self,
        session: &str,
        expression: &str,
        step: Duration,
    ) -> Result<Value, Diagnostic> {
        let evaluated = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
            Some(session),
            step,
        )?;
        Ok(evaluated["result"]["value"].clone())
    }

    fn close(&mut self) {
        let _ = self.call("Browser.close", json!({}), None, Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `errors-in-console` findings from the tab's console, exception and log events.
fn console_errors(events: &[Value], session: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for event in events {
        if event.get("sessionId").and_then(Value::as_str) != Some(session) {
            continue;
        }
        let params = &event["params"];
        let (text, url, line) = match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                let text: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|arg| {
                        arg["value"]
                            .as_str()
                            .map(String::from)
                            .or_else(|| arg["description"].as_str().map(String::from))
                            .unwrap_or_else(|| arg["value"].to_string())
                    })
                    .collect();
                let frame = &params["stackTrace"]["callFrames"][0];
                (
                    text.join(" "),
                    frame["url"].as_str(),
                    frame["lineNumber"].as_u64(),
                )
            }
            Some("Runtime.exceptionThrown") => {
                let details = &params["exceptionDetails"];
                let text = details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or("uncaught exception");
                (
                    text.to_string(),
                    details["url"].as_str(),
                    details["lineNumber"].as_u64(),
                )
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                let entry = &params["entry"];
                (
                    entry["text"].as_str().unwrap_or_default().to_string(),
                    entry["url"].as_str(),
                    entry["lineNumber"].as_u64(),
                )
            }
            _ => continue,
        };
        let first_line = text.lines().next().unwrap_or_default();
        let origin = match (url, line) {
            (Some(url), Some(line)) if !url.is_empty() => format!(" ({url}:{})", line + 1),
            (Some(url), None) if !url.is_empty() => format!(" ({url})"),
            _ => String::new(),
        };
        findings.push(Finding::new(
            "errors-in-console",
            format!("console error: {first_line}{origin}"),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_events_become_findings_of_their_tab() {
        let events = vec![
            json!({ "method": "Runtime.consoleAPICalled", "sessionId": "a", "params": { "type": "error", "args": [{ "type": "string", "value": "boom" }], "stackTrace": { "callFrames": [{ "url": "http://x/app.js", "lineNumber": 4 }] } } }),
            json!({ "method": "Runtime.consoleAPICalled", "sessionId": "a", "params": { "type": "log", "args": [] } }),
            json!({ "method": "Log.entryAdded", "sessionId": "a", "params": { "entry": { "level": "error", "text": "Failed to load resource", "url": "http://x/missing.png" } } }),
            json!({ "method": "Runtime.exceptionThrown", "sessionId": "b", "params": { "exceptionDetails": { "text": "other tab" } } }),
        ];
        let findings = console_errors(&events, "a");
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "console error: boom (http://x/app.js:5)",
                "console error: Failed to load resource (http://x/missing.png)"
            ]
        );
    }

    #[test]
    fn a_missing_browser_is_an_error_not_a_panic() {
        let error = audit_pages(
            Path::new("/nonexistent/chromium"),
            &[],
            &AuditSettings::default(),
        )
        .unwrap_err();
        assert!(
            error.message.contains("cannot start Chromium"),
            "{}",
            error.message
        );
    }
}
