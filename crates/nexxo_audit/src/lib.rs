//! Audits of a page: accessibility (axe-core), performance (web vitals and build-aware hints),
//! SEO and best practices as Lighthouse defines them (`docs/audits.md`).
//!
//! - [`findings`]: rules, findings (with the source file and line when Nexxo can tell), reports;
//! - [`html_checks`]: the checks that need no browser, on HTML text (lol_html);
//! - [`dist`]: `nexxo audit` over outDir (pages, published source maps, chunk sizes);
//! - [`duplicates`]: code outDir ships twice (a module in several chunks, identical files);
//! - [`browser`]: the same checks plus axe-core and web vitals in headless Chromium (DevTools
//!   protocol over a pipe);
//! - [`output`]: human, JSON and SARIF 2.1.0 text;
//! - [`client`]: the browser code (`client/`, vendored `vendor/`), embedded, which the dev
//!   server serves to its audits panel.
//!
//! ```text
//! nexxo audit ─ dist::audit_dist ─ html_checks ─┐
//!   --browser ─ preview server ─ browser::audit_pages (checks.js + axe + web-vitals) ─ Report ─ output
//! nexxo dev ─ @nexxo/audit/panel.js (client::dev_panel_script) ─ panel.js in the page
//! ```

pub mod browser;
pub mod client;
pub mod dist;
pub mod duplicates;
pub mod findings;
pub mod html_checks;
pub mod output;
pub mod settings;

pub use findings::{Finding, PageMetrics, Report, Severity};
pub use output::Format;
pub use settings::AuditSettings;
