//! The `audit` config key as the checks use it: each rule's level and the limits.

use std::collections::BTreeMap;

use nexxo_config::user_config::{AuditConfig, AuditLevel};
use serde::Serialize;

use crate::findings::{rule_by_id, Finding, Severity};

/// The `audit` settings, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSettings {
    /// Levels set in the config; rules not named keep their default.
    pub rules: BTreeMap<String, Level>,
    pub max_lcp_ms: f64,
    pub max_cls: f64,
    pub max_inp_ms: f64,
    /// In bytes.
    pub max_chunk_bytes: u64,
    /// The dev panel and source attributes.
    pub dev: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warn,
    Off,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self::from_config(&AuditConfig::default())
    }
}

impl AuditSettings {
    pub fn from_config(config: &AuditConfig) -> Self {
        let level = |level: &AuditLevel| match level {
            AuditLevel::Error => Level::Error,
            AuditLevel::Warn => Level::Warn,
            AuditLevel::Off => Level::Off,
        };
        Self {
            rules: config
                .rules
                .iter()
                .flatten()
                .map(|(id, value)| (id.clone(), level(value)))
                .collect(),
            max_lcp_ms: config.max_lcp_ms.unwrap_or(2500.0),
            max_cls: config.max_cls.unwrap_or(0.1),
            max_inp_ms: config.max_inp_ms.unwrap_or(200.0),
            max_chunk_bytes: config.max_chunk_kb.unwrap_or(500).saturating_mul(1000),
            dev: config.dev.unwrap_or(true),
        }
    }

    /// Config rule names that are neither Nexxo's nor shaped like axe-core's (lowercase words
    /// joined by dashes): most likely typos, worth a warning.
    pub fn unknown_rules(&self) -> Vec<String> {
        self.rules
            .keys()
            .filter(|id| {
                rule_by_id(id).is_none()
                    && !id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .cloned()
            .collect()
    }

    pub fn is_off(&self, rule: &str) -> bool {
        self.rules.get(rule) == Some(&Level::Off)
    }

    /// Applies the configured levels: `off` rules dropped, others set to error or warning.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut finding| {
                match self.rules.get(&finding.rule) {
                    Some(Level::Off) => return None,
                    Some(Level::Error) => finding.severity = Severity::Error,
                    Some(Level::Warn) => finding.severity = Severity::Warning,
                    None => {}
                }
                Some(finding)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_override_defaults_and_off_drops() {
        let config: AuditConfig = serde_json::from_str(
            r#"{ "rules": { "image-alt": "warn", "link-text": "error", "doctype": "off" }, "maxChunkKb": 10 }"#,
        )
        .unwrap();
        let settings = AuditSettings::from_config(&config);
        assert_eq!(settings.max_chunk_bytes, 10_000);
        let findings = settings.apply(vec![
            Finding::new("image-alt", "a"),
            Finding::new("link-text", "b"),
            Finding::new("doctype", "c"),
            Finding::new("meta-description", "d"),
        ]);
        let seen: Vec<_> = findings
            .iter()
            .map(|f| (f.rule.as_str(), f.severity))
            .collect();
        assert_eq!(
            seen,
            [
                ("image-alt", Severity::Warning),
                ("link-text", Severity::Error),
                ("meta-description", Severity::Error)
            ]
        );
    }

    #[test]
    fn typo_rules_are_reported() {
        let config: AuditConfig = serde_json::from_str(
            r#"{ "rules": { "Image_Alt": "off", "color-contrast": "warn" } }"#,
        )
        .unwrap();
        assert_eq!(
            AuditSettings::from_config(&config).unknown_rules(),
            ["Image_Alt"]
        );
    }
}
