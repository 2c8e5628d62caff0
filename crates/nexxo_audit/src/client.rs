//! The browser code: vendored axe-core and web-vitals (see `vendor/README.md`) and Nexxo's own
//! `client/` files, embedded at compile time. Nothing is fetched at run time.

/// axe-core's release file (defines `axe`).
pub const AXE_JS: &str = include_str!("../vendor/axe-core/axe.min.js");
/// web-vitals with attribution, as an IIFE (defines `webVitals`).
pub const WEB_VITALS_JS: &str = include_str!("../vendor/web-vitals/web-vitals.attribution.iife.js");
/// The checks run in the page (defines `__nexxoAudit`).
pub const CHECKS_JS: &str = include_str!("../client/checks.js");
/// The dev panel (defines `__nexxoAuditPanel`).
pub const PANEL_JS: &str = include_str!("../client/panel.js");

/// web-vitals then the checks: what a page needs from its first byte to measure web vitals.
pub fn vitals_and_checks_script() -> String {
    format!("{WEB_VITALS_JS}\n;\n{CHECKS_JS}")
}

/// The whole dev panel as one script: the settings the checks use (the `audit` config as
/// JSON), axe-core, web-vitals, the checks, the panel.
pub fn dev_panel_script(settings_json: &str) -> String {
    format!(
        "window.__nexxoAuditSettings = {settings_json};\n{AXE_JS}\n;\n{}\n;\n{PANEL_JS}",
        vitals_and_checks_script()
    )
}
