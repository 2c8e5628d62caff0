//! The checks that need no browser, on one HTML page as plain text (lol_html): SEO and best
//! practices as Lighthouse defines them, `image-alt`, unsized images and render-blocking
//! resources.
//!
//! The page checked is the built one (what is deployed, after plugins' `transformIndexHtml`);
//! findings point into the source page it was built from when there is one, by matching its
//! elements (same tag and position, or same `href`/`src` for the `<link>`s and `<script>`s the
//! build adds and removes).

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{Element, TextChunk};
use lol_html::{element, rewrite_str, text, RewriteStrSettings};

use crate::findings::Finding;

/// One element of a page, as the checks need it.
#[derive(Debug, Clone, Default)]
pub struct PageElement {
    pub tag: String,
    pub attributes: Vec<(String, String)>,
    /// Byte offset of its start tag.
    pub offset: usize,
    /// Its opening tag as written (shortened).
    pub opening_tag: String,
    pub in_head: bool,
    /// Text inside it (kept for `<a>` and `<title>`).
    pub text: String,
}

impl PageElement {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The elements of a page in document order, with their offsets; `None` when lol_html cannot
/// read the text (it reads any string, but a handler error would say so).
pub fn page_elements(html: &str) -> Option<Vec<PageElement>> {
    let elements: Rc<RefCell<Vec<PageElement>>> = Rc::default();
    let in_head = Rc::new(RefCell::new(false));
    // Index of the innermost open `<a>`/`<title>`, whose text is being gathered.
    let text_owner: Rc<RefCell<Vec<usize>>> = Rc::default();
    let (on_element, on_text) = (elements.clone(), elements.clone());
    let (head_flag, owners, owners_text) =
        (in_head.clone(), text_owner.clone(), text_owner.clone());
    let result = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("*", move |el: &mut Element| {
                let tag = el.tag_name().to_ascii_lowercase();
                let range = el.source_location().bytes();
                let opening: String = html
                    .get(range.start..range.end.min(html.len()))
                    .unwrap_or_default()
                    .chars()
                    .take(160)
                    .collect();
                let index = {
                    let mut list = on_element.borrow_mut();
                    list.push(PageElement {
                        tag: tag.clone(),
                        attributes: el
                            .attributes()
                            .iter()
                            .map(|a| (a.name().to_ascii_lowercase(), a.value()))
                            .collect(),
                        offset: range.start,
                        opening_tag: opening,
                        in_head: *head_flag.borrow(),
                        text: String::new(),
                    });
                    list.len() - 1
                };
                if tag == "head" {
                    *head_flag.borrow_mut() = true;
                    let flag = head_flag.clone();
                    if let Some(handlers) = el.end_tag_handlers() {
                        handlers.push(Box::new(move |_| {
                            *flag.borrow_mut() = false;
                            Ok(())
                        }));
                    }
                }
                if tag == "a" || tag == "title" {
                    owners.borrow_mut().push(index);
                    let owners = owners.clone();
                    if let Some(handlers) = el.end_tag_handlers() {
                        handlers.push(Box::new(move |_| {
                            owners.borrow_mut().pop();
                            Ok(())
                        }));
                    }
                }
                Ok(())
            }))
            .append_element_content_handler(text!(
                "a, a *, title",
                move |chunk: &mut TextChunk| {
                    if let Some(&owner) = owners_text.borrow().last() {
                        if let Some(element) = on_text.borrow_mut().get_mut(owner) {
                            element.text.push_str(chunk.as_str());
                        }
                    }
                    Ok(())
                }
            )),
    );
    result.ok()?;
    let list = elements.borrow().clone();
    Some(list)
}

/// Where findings about a page are reported: the file (root-relative) and its text, and the
/// elements found in it.
pub struct SourcePage {
    pub file: String,
    pub text: String,
    pub elements: Vec<PageElement>,
}

impl SourcePage {
    pub fn new(file: String, text: String) -> Self {
        let elements = page_elements(&text).unwrap_or_default();
        Self {
            file,
            text,
            elements,
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_column(&self, offset: usize) -> (u32, u32) {
        line_column(&self.text, offset)
    }

    /// The element of this page that `built` (the `nth` of its tag in the built page) came from.
    fn matching(&self, built: &PageElement, nth: usize) -> Option<&PageElement> {
        let same_tag = self.elements.iter().filter(|e| e.tag == built.tag);
        // The build adds and removes `<link>`s and `<script>`s (and rewrites asset URLs): those
        // are matched by their URL, which survives when it is not a built asset.
        let key = match built.tag.as_str() {
            "link" => Some("href"),
            "script" => Some("src"),
            _ => None,
        };
        match key {
            Some(key) => {
                let value = built.attribute(key)?;
                same_tag.clone().find(|e| e.attribute(key) == Some(value))
            }
            None => same_tag.clone().nth(nth),
        }
    }
}

pub fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

/// Link texts that say nothing about where the link goes (Lighthouse's English list).
const VAGUE_LINK_TEXTS: &[&str] = &[
    "click here",
    "click this",
    "go",
    "here",
    "information",
    "learn more",
    "more",
    "more info",
    "more information",
    "right here",
    "read more",
    "see more",
    "start",
    "this",
    "link",
];

fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or(url)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.ends_with(".localhost")
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Whether an absolute URL names another origin than the page's (any `//` or scheme URL does:
/// the built app's own files are root-relative or relative).
fn is_other_origin(url: &str) -> bool {
    starts_with_ignore_case(url, "http://")
        || starts_with_ignore_case(url, "https://")
        || url.starts_with("//")
}

/// Runs the static checks on the built page `html`, served at `page`; findings point into
/// `source` when given (the page it was built from), else into `built_file`.
pub fn check_page(
    html: &str,
    page: &str,
    built_file: &str,
    source: Option<&SourcePage>,
) -> Vec<Finding> {
    let Some(elements) = page_elements(html) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let mut nth_of_tag = std::collections::HashMap::<String, usize>::new();
    let locate = |element: &PageElement, nth: usize| -> (String, u32, u32) {
        if let Some(source) = source {
            if let Some(original) = source.matching(element, nth) {
                let (line, column) = source.line_column(original.offset);
                return (source.file.clone(), line, column);
            }
        }
        let (line, column) = line_column(html, element.offset);
        (built_file.to_string(), line, column)
    };
    // Page-level findings point at `<html>` (or `<head>`) of the source page, else line 1.
    let page_anchor = |tag: &str| -> (String, u32, u32) {
        if let Some(source) = source {
            if let Some(element) = source.elements.iter().find(|e| e.tag == tag) {
                let (line, column) = source.line_column(element.offset);
                return (source.file.clone(), line, column);
            }
            return (source.file.clone(), 1, 1);
        }
        match elements.iter().find(|e| e.tag == tag) {
            Some(element) => {
                let (line, column) = line_column(html, element.offset);
                (built_file.to_string(), line, column)
            }
            None => (built_file.to_string(), 1, 1),
        }
    };
    let mut page_finding = |rule: &str, message: &str, anchor: &str| {
        let (file, line, column) = page_anchor(anchor);
        findings.push(
            Finding::new(rule, message)
                .at(file, line, column)
                .page(page),
        );
    };

    // doctype: the first thing after a byte-order mark, whitespace and comments.
    if !starts_with_doctype(html) {
        page_finding(
            "doctype",
            "the page has no <!DOCTYPE html>: browsers render it in quirks mode",
            "html",
        );
    }
    let head_start: String = html
        .char_indices()
        .take_while(|(i, _)| *i < 1024)
        .map(|(_, c)| c.to_ascii_lowercase())
        .collect();
    let declares_charset = elements.iter().any(|e| {
        e.tag == "meta"
            && e.offset < 1024
            && (e.attribute("charset").is_some()
                || e.attribute("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("content-type"))
                    && e.attribute("content")
                        .is_some_and(|c| c.to_ascii_lowercase().contains("charset=")))
    }) && head_start.contains("charset");
    if !declares_charset {
        page_finding(
            "charset",
            "no <meta charset> in the page's first 1024 bytes",
            "head",
        );
    }
    let title = elements.iter().find(|e| e.tag == "title");
    if title.is_none_or(|t| t.text.trim().is_empty()) {
        page_finding(
            "document-title",
            "the page has no <title> (or an empty one)",
            "head",
        );
    }
    let description = elements.iter().find(|e| {
        e.tag == "meta"
            && e.attribute("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("description"))
    });
    if description.is_none_or(|d| d.attribute("content").is_none_or(|c| c.trim().is_empty())) {
        page_finding(
            "meta-description",
            "the page has no <meta name=\"description\" content=\"…\">",
            "head",
        );
    }
    let html_element = elements.iter().find(|e| e.tag == "html");
    if html_element.is_none_or(|h| h.attribute("lang").is_none_or(|l| l.trim().is_empty())) {
        page_finding("html-has-lang", "<html> has no lang attribute", "html");
    }
    let viewport = elements.iter().find(|e| {
        e.tag == "meta"
            && e.attribute("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("viewport"))
    });
    match viewport.and_then(|v| v.attribute("content")) {
        Some(content)
            if content.contains("width") || content.contains("initial-scale") => {}
        _ => page_finding(
            "viewport",
            "no <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">: phones show the page zoomed out",
            "head",
        ),
    }

    let canonicals: Vec<&PageElement> = elements
        .iter()
        .filter(|e| {
            e.tag == "link"
                && e.attribute("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("canonical"))
                })
        })
        .collect();
    for (index, element) in elements.iter().enumerate() {
        let nth = {
            let count = nth_of_tag.entry(element.tag.clone()).or_default();
            *count += 1;
            *count - 1
        };
        let _ = index;
        let report = |rule: &str, message: String| {
            let (file, line, column) = locate(element, nth);
            Finding::new(rule, message)
                .at(file, line, column)
                .element(element.opening_tag.clone())
                .page(page)
        };
        match element.tag.as_str() {
            "img" => {
                if element.attribute("alt").is_none() {
                    findings.push(report(
                        "image-alt",
                        "<img> has no alt attribute (use alt=\"\" for a decorative image)".into(),
                    ));
                }
                if element.attribute("width").is_none() || element.attribute("height").is_none() {
                    findings.push(report(
                        "unsized-images",
                        "<img> without width and height attributes: the layout shifts when it loads".into(),
                    ));
                }
            }
            "a" => {
                let href = element.attribute("href").map(str::trim);
                match href {
                    Some(href) if starts_with_ignore_case(href, "javascript:") => {
                        findings.push(report(
                            "crawlable-anchors",
                            format!("link with href=\"{href}\": search engines cannot follow it"),
                        ))
                    }
                    None if element.attribute("onclick").is_some() => findings.push(report(
                        "crawlable-anchors",
                        "<a> without href that only works on click: use a real href or a <button>"
                            .into(),
                    )),
                    _ => {}
                }
                let text = element
                    .text
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                if href.is_some() && VAGUE_LINK_TEXTS.contains(&text.as_str()) {
                    findings.push(report(
                        "link-text",
                        format!("link text \"{text}\" does not say where the link goes"),
                    ));
                }
                let blank = element
                    .attribute("target")
                    .is_some_and(|t| t.eq_ignore_ascii_case("_blank"));
                let rel = element.attribute("rel").unwrap_or("").to_ascii_lowercase();
                if blank
                    && href.is_some_and(is_other_origin)
                    && !rel
                        .split_ascii_whitespace()
                        .any(|r| r == "noopener" || r == "noreferrer")
                {
                    findings.push(report(
                        "external-anchors-use-rel-noopener",
                        "target=\"_blank\" link to another site without rel=\"noopener\"".into(),
                    ));
                }
            }
            "script" if element.in_head => {
                let classic = element
                    .attribute("type")
                    .is_none_or(|t| t.is_empty() || t.to_ascii_lowercase().contains("javascript"));
                if element.attribute("src").is_some()
                    && classic
                    && element.attribute("defer").is_none()
                    && element.attribute("async").is_none()
                {
                    findings.push(report(
                        "render-blocking-resources",
                        "classic <script src> in <head> without defer or async blocks the first paint"
                            .into(),
                    ));
                }
            }
            "link" if element.in_head => {
                let stylesheet = element.attribute("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("stylesheet"))
                });
                let media_all = element
                    .attribute("media")
                    .is_none_or(|m| m.trim().is_empty() || m.trim() == "all");
                if stylesheet && media_all && element.attribute("href").is_some_and(is_other_origin)
                {
                    findings.push(report(
                        "render-blocking-resources",
                        "stylesheet from another origin blocks the first paint (self-host it, or load it without blocking)".into(),
                    ));
                }
            }
            _ => {}
        }
        if matches!(
            element.tag.as_str(),
            "img" | "script" | "iframe" | "source" | "audio" | "video" | "link" | "embed" | "track"
        ) {
            let is_resource_link = element.tag != "link"
                || element.attribute("rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace().any(|r| {
                        matches!(
                            r.to_ascii_lowercase().as_str(),
                            "stylesheet" | "icon" | "preload" | "modulepreload" | "manifest"
                        )
                    })
                });
            let url = element.attribute("src").or_else(|| {
                (element.tag == "link")
                    .then(|| element.attribute("href"))
                    .flatten()
            });
            if let Some(url) = url {
                if is_resource_link
                    && starts_with_ignore_case(url.trim(), "http://")
                    && !is_loopback_url(url.trim())
                {
                    findings.push(report(
                        "mixed-content",
                        format!(
                            "<{}> loads {} over plain http: browsers block it on https pages",
                            element.tag,
                            url.trim()
                        ),
                    ));
                }
            }
        }
        if canonicals.len() == 1 && std::ptr::eq(canonicals[0], element) {
            let href = element.attribute("href").unwrap_or("").trim();
            let absolute = (starts_with_ignore_case(href, "https://")
                || starts_with_ignore_case(href, "http://"))
                && href.split("://").nth(1).is_some_and(|rest| {
                    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                    !host.is_empty() && !host.contains(' ')
                });
            if !absolute {
                findings.push(report(
                    "canonical",
                    format!("canonical URL \"{href}\" is not an absolute http(s) URL"),
                ));
            }
        }
    }
    if canonicals.len() > 1 {
        let distinct: std::collections::BTreeSet<_> = canonicals
            .iter()
            .filter_map(|c| c.attribute("href"))
            .collect();
        if distinct.len() > 1 {
            let (file, line, column) = locate(canonicals[1], 1);
            findings.push(
                Finding::new("canonical", "the page names more than one canonical URL")
                    .at(file, line, column)
                    .page(page),
            );
        }
    }
    findings
}

fn starts_with_doctype(html: &str) -> bool {
    let mut rest = html.trim_start_matches('\u{feff}').trim_start();
    while let Some(after) = rest.strip_prefix("<!--") {
        match after.find("-->") {
            Some(end) => rest = after[end + 3..].trim_start(),
            None => return false,
        }
    }
    starts_with_ignore_case(rest, "<!doctype html")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <meta name="description" content="A clean page" />
    <link rel="canonical" href="https://example.com/" />
    <title>Clean</title>
    <script type="module" src="/assets/index-abc.js"></script>
  </head>
  <body>
    <img src="/a.png" alt="A" width="10" height="10" />
    <a href="/about">About this app</a>
    <a href="https://example.org" target="_blank" rel="noopener">Example site</a>
  </body>
</html>
"#;

    #[test]
    fn a_clean_page_has_no_findings() {
        let findings = check_page(CLEAN, "/index.html", "dist/index.html", None);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn each_planted_problem_is_found_at_its_line() {
        let html = r#"<html>
<head>
<link rel="canonical" href="/relative">
<script src="/legacy.js"></script>
<link rel="stylesheet" href="https://fonts.example.com/a.css">
</head>
<body>
<img src="/hero.png">
<img src="http://cdn.example.com/x.png" alt="x" width="1" height="1">
<a href="javascript:void(0)">Open the menu</a>
<a href="/docs">click <b>here</b></a>
<a href="https://example.org" target="_blank">Example site</a>
</body>
</html>"#;
        let findings = check_page(html, "/index.html", "dist/index.html", None);
        let found: Vec<(&str, u32)> = findings
            .iter()
            .map(|f| (f.rule.as_str(), f.line.unwrap()))
            .collect();
        for expected in [
            ("doctype", 1),
            ("charset", 2),
            ("document-title", 2),
            ("meta-description", 2),
            ("html-has-lang", 1),
            ("viewport", 2),
            ("canonical", 3),
            ("render-blocking-resources", 4),
            ("render-blocking-resources", 5),
            ("image-alt", 8),
            ("unsized-images", 8),
            ("mixed-content", 9),
            ("crawlable-anchors", 10),
            ("link-text", 11),
            ("external-anchors-use-rel-noopener", 12),
        ] {
            assert!(found.contains(&expected), "{expected:?} not in {found:?}");
        }
        assert_eq!(findings.len(), 15, "{found:?}");
    }

    #[test]
    fn findings_point_into_the_source_page() {
        let source = "<!doctype html>\n<html lang=\"en\">\n<head>\n<title>T</title>\n<script type=\"module\" src=\"/src/main.ts\"></script>\n</head>\n<body>\n\n  <img src=\"/src/logo.png\">\n</body>\n</html>\n";
        let built = "<!doctype html><html lang=\"en\"><head><title>T</title><script type=\"module\" src=\"/assets/index-1.js\"></script><link rel=\"stylesheet\" href=\"/assets/index-2.css\"></head><body><img src=\"/assets/logo-3.png\"></body></html>";
        let source = SourcePage::new("index.html".into(), source.into());
        let findings = check_page(built, "/index.html", "dist/index.html", Some(&source));
        let alt = findings.iter().find(|f| f.rule == "image-alt").unwrap();
        assert_eq!(alt.file.as_deref(), Some("index.html"));
        assert_eq!((alt.line, alt.column), (Some(9), Some(3)));
        assert!(alt.element.as_deref().unwrap().starts_with("<img"));
        let description = findings
            .iter()
            .find(|f| f.rule == "meta-description")
            .unwrap();
        assert_eq!(description.line, Some(3), "the source page's <head>");
    }

    #[test]
    fn doctype_may_follow_comments_and_a_byte_order_mark() {
        assert!(starts_with_doctype("\u{feff}  <!-- x -->\n<!DOCTYPE html>"));
        assert!(!starts_with_doctype("<html><!doctype html>"));
        assert!(!starts_with_doctype("<!-- unclosed"));
    }

    #[test]
    fn odd_input_never_panics() {
        for html in [
            "",
            "<",
            "<a",
            "\u{0}\u{0}<img",
            "<html lang>",
            "<a href>",
            "é<a>é</a>",
        ] {
            let _ = check_page(html, "/", "dist/x.html", None);
        }
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
