//! The findings model: rules Nexxo knows, one finding per problem found, a report per run.
//!
//! Rule ids are Lighthouse's where Lighthouse has the audit (`meta-description`,
//! `crawlable-anchors`, `unsized-images`, …) and axe-core's for accessibility (`image-alt`,
//! `html-has-lang`, …; axe's results keep the ids axe gives them, known here or not).

use serde::{Deserialize, Serialize};

/// What a rule is about (Lighthouse's categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Accessibility,
    Performance,
    Seo,
    BestPractices,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Accessibility => "accessibility",
            Category::Performance => "performance",
            Category::Seo => "SEO",
            Category::BestPractices => "best practices",
        }
    }
}

/// How much a finding counts: errors fail `nexxo audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One rule Nexxo checks itself (axe's own rules come with axe's descriptions).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub category: Category,
    pub default_severity: Severity,
    /// One line saying what a page must do to pass.
    pub title: &'static str,
    /// Whether the check needs a browser (dev panel or `--browser`), static HTML cannot tell.
    pub browser_only: bool,
}

const fn rule(
    id: &'static str,
    category: Category,
    default_severity: Severity,
    title: &'static str,
    browser_only: bool,
) -> Rule {
    Rule {
        id,
        category,
        default_severity,
        title,
        browser_only,
    }
}

use Category::{Accessibility, BestPractices, Performance, Seo};
use Severity::{Error, Warning};

/// Every rule Nexxo checks itself, in report order.
pub const RULES: &[Rule] = &[
    rule(
        "document-title",
        Seo,
        Error,
        "The page has a non-empty <title>",
        false,
    ),
    rule(
        "meta-description",
        Seo,
        Error,
        "The page has a non-empty <meta name=\"description\">",
        false,
    ),
    rule(
        "html-has-lang",
        Accessibility,
        Error,
        "<html> has a lang attribute",
        false,
    ),
    rule(
        "viewport",
        BestPractices,
        Error,
        "The page has <meta name=\"viewport\"> with width or initial-scale",
        false,
    ),
    rule(
        "canonical",
        Seo,
        Error,
        "<link rel=\"canonical\"> is one absolute http(s) URL",
        false,
    ),
    rule(
        "crawlable-anchors",
        Seo,
        Error,
        "Links have an href search engines can follow (no javascript: URLs, no click-only anchors)",
        false,
    ),
    rule(
        "link-text",
        Seo,
        Warning,
        "Links have descriptive text (not \"click here\", \"more\"…)",
        false,
    ),
    rule(
        "image-alt",
        Accessibility,
        Error,
        "Images have an alt attribute (alt=\"\" for decorative ones)",
        false,
    ),
    rule(
        "doctype",
        BestPractices,
        Error,
        "The page starts with <!DOCTYPE html>",
        false,
    ),
    rule(
        "charset",
        BestPractices,
        Error,
        "The page declares its character encoding in its first 1024 bytes",
        false,
    ),
    rule(
        "external-anchors-use-rel-noopener",
        BestPractices,
        Warning,
        "Links with target=\"_blank\" to other sites have rel=\"noopener\" or \"noreferrer\"",
        false,
    ),
    rule(
        "mixed-content",
        BestPractices,
        Error,
        "Resources are loaded over https (no http:// subresources)",
        false,
    ),
    rule(
        "errors-in-console",
        BestPractices,
        Error,
        "No errors are logged to the console",
        true,
    ),
    rule(
        "public-source-maps",
        BestPractices,
        Warning,
        "No source maps are published with the built app",
        false,
    ),
    rule(
        "chunk-size",
        Performance,
        Warning,
        "Built JavaScript chunks stay under the size limit",
        false,
    ),
    rule(
        "duplicated-javascript",
        Performance,
        Warning,
        "No code is shipped twice (a module or package copy in several JavaScript files, or identical files)",
        false,
    ),
    rule(
        "render-blocking-resources",
        Performance,
        Warning,
        "No classic script in <head> without defer/async, no stylesheet from another origin",
        false,
    ),
    rule(
        "unsized-images",
        Performance,
        Warning,
        "Images have explicit width and height",
        false,
    ),
    rule(
        "lcp-lazy-loaded",
        Performance,
        Error,
        "The Largest Contentful Paint image is not lazy-loaded",
        true,
    ),
    rule(
        "prioritize-lcp-image",
        Performance,
        Warning,
        "The Largest Contentful Paint image is preloaded or has fetchpriority=\"high\"",
        true,
    ),
    rule(
        "largest-contentful-paint",
        Performance,
        Error,
        "Largest Contentful Paint is under the limit (audit.maxLcpMs)",
        true,
    ),
    rule(
        "cumulative-layout-shift",
        Performance,
        Error,
        "Cumulative Layout Shift is under the limit (audit.maxCls)",
        true,
    ),
    rule(
        "interaction-to-next-paint",
        Performance,
        Error,
        "Interaction to Next Paint is under the limit (audit.maxInpMs)",
        true,
    ),
];

pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    /// The source file, relative to the project root, when Nexxo can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The element (its opening tag, or a CSS selector in a browser run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// The page the finding was made on (`/index.html`, `/about/`), when it is about a page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_url: Option<String>,
}

impl Finding {
    /// A finding of one of [`RULES`] at its default severity.
    pub fn new(rule_id: &str, message: impl Into<String>) -> Self {
        let (category, severity) = rule_by_id(rule_id)
            .map(|rule| (rule.category, rule.default_severity))
            .unwrap_or((BestPractices, Warning));
        Self {
            rule: rule_id.to_string(),
            category,
            severity,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            element: None,
            page: None,
            help_url: None,
        }
    }

    pub fn at(mut self, file: impl Into<String>, line: u32, column: u32) -> Self {
        self.file = Some(file.into());
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub fn element(mut self, element: impl Into<String>) -> Self {
        self.element = Some(element.into());
        self
    }

    pub fn page(mut self, page: impl Into<String>) -> Self {
        self.page = Some(page.into());
        self
    }
}

/// Web vitals measured on one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMetrics {
    pub page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lcp_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cls: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inp_ms: Option<f64>,
}

/// Everything one `nexxo audit` run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The pages checked (outDir-relative HTML files, or URLs in a browser run).
    pub pages: Vec<String>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub metrics: Vec<PageMetrics>,
    /// Whether axe-core and web vitals ran (`--browser`).
    pub browser: bool,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// Sorted by file, line and rule, duplicates (the same rule at the same place, as static and
    /// browser checks can both report) removed.
    pub fn normalize(&mut self) {
        // A browser run sees the page's HTML elements again, without their line: for each rule,
        // file and page, as many line-less findings as there are located ones are the same
        // problems (the rest were rendered by scripts, which static HTML cannot see).
        let mut located =
            std::collections::HashMap::<(String, Option<String>, Option<String>), usize>::new();
        for finding in &self.findings {
            if finding.line.is_some() {
                *located
                    .entry((
                        finding.rule.clone(),
                        finding.file.clone(),
                        finding.page.clone(),
                    ))
                    .or_default() += 1;
            }
        }
        self.findings.retain(|finding| {
            if finding.line.is_some() {
                return true;
            }
            let key = (
                finding.rule.clone(),
                finding.file.clone(),
                finding.page.clone(),
            );
            match located.get_mut(&key) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    false
                }
                _ => true,
            }
        });
        self.findings.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.rule, &a.page, &a.element)
                .cmp(&(&b.file, b.line, b.column, &b.rule, &b.page, &b.element))
        });
        // One finding per rule and place (axe-core and a static check on the same element);
        // distinct console errors pointing at one place are each kept.
        self.findings.dedup_by(|a, b| {
            a.rule == b.rule
                && a.file == b.file
                && a.line == b.line
                && a.file.is_some()
                && a.line.is_some()
                && (a.rule != "errors-in-console" || a.message == b.message)
        });
    }
}
