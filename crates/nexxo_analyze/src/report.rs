//! The HTML report: one self-contained file (styles, script and data inline; nothing fetched),
//! so it opens from file:// and offline. The browser code lives in `report/` as real files.

use crate::compare::Comparison;
use crate::stats::Stats;

const TEMPLATE: &str = include_str!("../report/report.html");
const STYLE: &str = include_str!("../report/report.css");
const SCRIPT: &str = include_str!("../report/report.js");

/// The report of `stats`, with `comparison` when the build was compared with an earlier one.
pub fn render_report(stats: &Stats, comparison: Option<&Comparison>) -> String {
    let stats_json = script_safe_json(&serde_json::to_string(stats).unwrap_or_default());
    let compare_json = match comparison {
        Some(comparison) => {
            script_safe_json(&serde_json::to_string(comparison).unwrap_or_default())
        }
        None => "null".to_string(),
    };
    fill(
        TEMPLATE,
        "",
        "Nexxo bundle report",
        &stats_json,
        &compare_json,
    )
}

/// The same page for `nexxo dev`: no data inside; the script polls `data_url` for
/// `{ "revision": n, "stats": {...} }`.
pub fn render_live_page(data_url: &str) -> String {
    let attribute = format!(" data-live=\"{}\"", html_attribute(data_url));
    fill(TEMPLATE, &attribute, "Nexxo module graph (dev)", "", "null")
}

fn fill(template: &str, live: &str, title: &str, stats: &str, compare: &str) -> String {
    // Placeholders are replaced in one pass, so text inside the data that looks like a
    // placeholder stays as it is.
    let mut out = String::with_capacity(template.len() + stats.len() + SCRIPT.len() + STYLE.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        match &rest[start + 2..start + end] {
            "LIVE" => out.push_str(live),
            "TITLE" => out.push_str(title),
            "STYLE" => out.push_str(STYLE),
            "SCRIPT" => out.push_str(&SCRIPT.replace("</script", "<\\/script")),
            "STATS" => out.push_str(stats),
            "COMPARE" => out.push_str(compare),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// JSON that cannot end its `<script>` element: `<` only occurs inside JSON strings, where
/// `\u003c` means the same.
fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ModuleStats;

    #[test]
    fn embeds_everything_and_nothing_external() {
        let stats = Stats {
            modules: vec![ModuleStats {
                id: "src/</script><b>{{SCRIPT}}.ts".into(),
                ..ModuleStats::default()
            }],
            ..Stats::default()
        };
        let html = render_report(&stats, None);
        assert!(html.contains("squarify"));
        assert!(html.contains("#treemap-box"));
        // Every placeholder filled; the one in the data is data.
        assert_eq!(html.matches("{{").count(), 1);
        assert!(html.contains(r"src/\u003c/script>\u003cb>{{SCRIPT}}.ts"));
        assert_eq!(html.matches("</script>").count(), 3);
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="));
        let data = html
            .split("<script type=\"application/json\" id=\"nexxo-stats\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap();
        let back: Stats = serde_json::from_str(data).unwrap();
        assert_eq!(back, stats);
    }

    #[test]
    fn the_live_page_names_its_data_url() {
        let html = render_live_page("/__nexxo/graph.json");
        assert!(html.contains("data-live=\"/__nexxo/graph.json\""));
        assert!(html.contains("<script type=\"application/json\" id=\"nexxo-stats\"></script>"));
    }
}
