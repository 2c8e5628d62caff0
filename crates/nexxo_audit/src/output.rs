//! A report as text for people, JSON, or SARIF 2.1.0 (code scanning in CI).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::findings::{rule_by_id, Report, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

impl Format {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "human" => Some(Format::Human),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Human => human(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(report)).unwrap_or_default() + "\n",
    }
}

fn human(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let level = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let place = match (&finding.file, finding.line, finding.column) {
            (Some(file), Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(file), _, _) => file.clone(),
            (None, _, _) => finding.page.clone().unwrap_or_default(),
        };
        out.push_str(&format!(
            "{level}[{}] {place}\n  {} ({})\n",
            finding.rule,
            finding.message,
            finding.category.label()
        ));
        if let Some(element) = &finding.element {
            out.push_str(&format!("  {element}\n"));
        }
    }
    for metrics in &report.metrics {
        let value = |v: Option<f64>, unit: &str| {
            v.map_or("not measured".to_string(), |v| format!("{v:.2}{unit}"))
        };
        out.push_str(&format!(
            "{}: LCP {}, CLS {}, INP {}\n",
            metrics.page,
            value(metrics.lcp_ms.map(|v| v.round()), " ms"),
            value(metrics.cls, ""),
            value(metrics.inp_ms.map(|v| v.round()), " ms"),
        ));
    }
    out.push_str(&format!(
        "{} page(s) audited{}: {} error(s), {} warning(s)\n",
        report.pages.len(),
        if report.browser {
            " in Chromium"
        } else {
            " (static checks; --browser adds axe-core and web vitals)"
        },
        report.errors(),
        report.warnings()
    ));
    out
}

/// SARIF 2.1.0: one run, the rules that have findings (with their descriptions), one result
/// per finding with its file and region relative to the project root (`%SRCROOT%`).
pub fn sarif(report: &Report) -> Value {
    let mut rule_index = BTreeMap::new();
    let mut rules = Vec::new();
    for finding in &report.findings {
        if rule_index.contains_key(&finding.rule) {
            continue;
        }
        rule_index.insert(finding.rule.clone(), rules.len());
        let known = rule_by_id(&finding.rule);
        let description = known.map_or_else(|| finding.message.clone(), |r| r.title.to_string());
        let mut rule = json!({
            "id": finding.rule,
            "shortDescription": { "text": description },
            "properties": { "category": finding.category.label() },
            "defaultConfiguration": {
                "level": match known.map_or(finding.severity, |r| r.default_severity) {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                }
            },
        });
        if let Some(url) = &finding.help_url {
            rule["helpUri"] = json!(url);
        }
        rules.push(rule);
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let mut result = json!({
                "ruleId": finding.rule,
                "ruleIndex": rule_index[&finding.rule],
                "level": match finding.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                "message": { "text": finding.message },
            });
            if let Some(file) = &finding.file {
                let mut region = json!({ "startLine": finding.line.unwrap_or(1) });
                if let Some(column) = finding.column {
                    region["startColumn"] = json!(column);
                }
                if let Some(element) = &finding.element {
                    region["snippet"] = json!({ "text": element });
                }
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
                        "region": region,
                    }
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "nexxo audit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the project root" } } },
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;

    fn report() -> Report {
        Report {
            pages: vec!["/index.html".into()],
            findings: vec![
                Finding::new("image-alt", "no alt").at("src/App.tsx", 12, 7),
                Finding::new("meta-description", "none").at("index.html", 3, 1),
                Finding::new("image-alt", "no alt again").at("index.html", 9, 3),
            ],
            metrics: vec![],
            browser: false,
        }
    }

    #[test]
    fn sarif_has_rules_results_and_locations() {
        let sarif = sarif(&report());
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2, "one entry per rule");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[2]["ruleIndex"], 0);
        assert_eq!(results[2]["ruleId"], "image-alt");
        let location = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "src/App.tsx");
        assert_eq!(location["region"]["startLine"], 12);
        assert_eq!(location["region"]["startColumn"], 7);
    }

    #[test]
    fn human_output_names_file_line_and_totals() {
        let text = render(&report(), Format::Human);
        assert!(text.contains("error[image-alt] src/App.tsx:12:7"), "{text}");
        assert!(text.contains("3 error(s), 0 warning(s)"), "{text}");
    }
}
