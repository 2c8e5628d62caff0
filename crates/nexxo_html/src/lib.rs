//! HTML entries, through a real streaming HTML parser (lol_html).
//!
//! [`scan_html`] reads an entry page and lists what the bundler must build: module scripts (by
//! URL or inline code) and local asset URLs in attributes. [`rewrite_html`] takes the built
//! page's facts (entry chunk, preloads, stylesheets, asset URL map) and writes the output HTML.
//! Both are pure functions on strings: the plugin that calls them owns file access.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, rewrite_str, text, RewriteStrSettings};

/// A `<script type="module">` of the page, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleScript {
    /// `<script type="module" src="...">` pointing at a local file.
    External { src: String, offset: usize },
    /// `<script type="module">code</script>`.
    Inline { code: String, offset: usize },
}

/// A local URL found in an attribute (`<img src>`, `<link rel="icon" href>`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetReference {
    pub url: String,
    /// Byte offset of the element in the page, for error messages.
    pub offset: usize,
    /// Whether the URL came from a `<link rel="stylesheet">`.
    pub is_stylesheet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlScan {
    pub scripts: Vec<ModuleScript>,
    pub assets: Vec<AssetReference>,
}

/// What the built page should reference.
#[derive(Debug, Clone, Default)]
pub struct HtmlOutput {
    /// URL of the page's entry chunk, if it has module scripts.
    pub entry_script: Option<String>,
    /// URLs of chunks the entry imports statically, for `<link rel="modulepreload">`.
    pub preloads: Vec<String>,
    /// URLs of stylesheets the page needs.
    pub stylesheets: Vec<String>,
    /// Original attribute URL → output URL.
    pub asset_urls: HashMap<String, String>,
    /// `<link rel="stylesheet">` URLs whose CSS was bundled: those links are removed.
    pub removed_stylesheets: HashSet<String>,
}

/// Attributes that hold URLs of files the page loads, per element (as in Vite's HTML plugin).
const URL_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("link", &["href"]),
    ("img", &["src", "srcset"]),
    ("source", &["src", "srcset"]),
    ("video", &["src", "poster"]),
    ("audio", &["src"]),
    ("track", &["src"]),
    ("embed", &["src"]),
    ("object", &["data"]),
    ("input", &["src"]),
    ("image", &["href", "xlink:href"]),
    ("use", &["href", "xlink:href"]),
];

/// `<link rel>` values whose `href` is a file the page loads (not e.g. `canonical`).
const ASSET_LINK_RELS: &[&str] = &[
    "stylesheet",
    "icon",
    "shortcut icon",
    "apple-touch-icon",
    "apple-touch-icon-precomposed",
    "manifest",
    "preload",
    "prefetch",
    "mask-icon",
];

/// Whether a URL points at a local file the build should process.
pub fn is_local_url(url: &str) -> bool {
    let url = url.trim();
    !(url.is_empty()
        || url.starts_with('#')
        || url.starts_with("//")
        || url.starts_with("data:")
        || url.contains("://")
        || url.starts_with("mailto:")
        || url.starts_with("javascript:")
        || url.contains("{{"))
}

/// A `<script type="module">` Nexxo bundles: not one marked `vite-ignore` or `nexxo-ignore`
/// (as in Vite, left in the page as written, for scripts served by something else).
fn is_module_script(element: &Element) -> bool {
    element
        .get_attribute("type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"))
        && !element.has_attribute("vite-ignore")
        && !element.has_attribute("nexxo-ignore")
}

fn is_stylesheet_link(element: &Element) -> bool {
    element.tag_name() == "link"
        && element
            .get_attribute("rel")
            .is_some_and(|r| r.trim().eq_ignore_ascii_case("stylesheet"))
}

fn link_loads_file(element: &Element) -> bool {
    let rel = element
        .get_attribute("rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    ASSET_LINK_RELS.contains(&rel.trim())
}

/// The URLs in a `srcset` value.
fn srcset_urls(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|candidate| candidate.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Replaces the URLs of a `srcset` value through `map` (`None`: kept as written).
fn rewrite_srcset(value: &str, map: &dyn Fn(&str) -> Option<String>) -> String {
    value
        .split(',')
        .map(|candidate| {
            let candidate = candidate.trim();
            let mut parts = candidate.splitn(2, char::is_whitespace);
            let url = parts.next().unwrap_or("");
            let descriptor = parts.next().map(str::trim).unwrap_or("");
            let url = map(url).unwrap_or_else(|| url.to_string());
            if descriptor.is_empty() {
                url.to_string()
            } else {
                format!("{url} {descriptor}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lists the module scripts and local asset URLs of a page.
pub fn scan_html(html: &str) -> Result<HtmlScan, String> {
    let scan = RefCell::new(HtmlScan::default());
    // Index of the inline module script whose text is being read.
    let open_inline = RefCell::new(None::<usize>);
    let mut handlers = vec![
        element!("script", |el| {
            let offset = el.source_location().bytes().start;
            let mut scan = scan.borrow_mut();
            *open_inline.borrow_mut() = None;
            if !is_module_script(el) {
                return Ok(());
            }
            match el.get_attribute("src") {
                Some(src) if is_local_url(&src) => {
                    scan.scripts.push(ModuleScript::External { src, offset });
                }
                Some(_) => {}
                None => {
                    scan.scripts.push(ModuleScript::Inline {
                        code: String::new(),
                        offset,
                    });
                    *open_inline.borrow_mut() = Some(scan.scripts.len() - 1);
                }
            }
            Ok(())
        }),
        text!("script", |chunk| {
            if let Some(index) = *open_inline.borrow() {
                if let Some(ModuleScript::Inline { code, .. }) =
                    scan.borrow_mut().scripts.get_mut(index)
                {
                    code.push_str(chunk.as_str());
                }
            }
            Ok(())
        }),
    ];
    for (tag, attributes) in URL_ATTRIBUTES {
        handlers.push(element!(*tag, |el| {
            if el.tag_name() == "link" && !link_loads_file(el) {
                return Ok(());
            }
            let offset = el.source_location().bytes().start;
            let is_stylesheet = is_stylesheet_link(el);
            for attribute in *attributes {
                let Some(value) = el.get_attribute(attribute) else {
                    continue;
                };
                let urls = if *attribute == "srcset" {
                    srcset_urls(&value)
                } else {
                    vec![value.trim().to_string()]
                };
                for url in urls.into_iter().filter(|u| is_local_url(u)) {
                    scan.borrow_mut().assets.push(AssetReference {
                        url,
                        offset,
                        is_stylesheet,
                    });
                }
            }
            Ok(())
        }));
    }
    rewrite_str(html, settings_with(handlers)).map_err(|err| err.to_string())?;
    Ok(scan.into_inner())
}

type Handler<'h> = (
    std::borrow::Cow<'static, lol_html::Selector>,
    lol_html::ElementContentHandlers<'h>,
);

fn settings_with(handlers: Vec<Handler<'_>>) -> RewriteStrSettings<'_, 'static> {
    handlers.into_iter().fold(
        RewriteStrSettings::new(),
        RewriteStrSettings::append_element_content_handler,
    )
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// Writes the built page: local module scripts removed, one entry script plus preload and
/// stylesheet links added at the end of `<head>`, asset URLs replaced.
pub fn rewrite_html(html: &str, output: &HtmlOutput) -> Result<String, String> {
    let mut tags = String::new();
    if let Some(src) = &output.entry_script {
        tags.push_str(&format!(
            "\n    <script type=\"module\" crossorigin src=\"{}\"></script>",
            escape_attribute(src)
        ));
    }
    for href in &output.preloads {
        tags.push_str(&format!(
            "\n    <link rel=\"modulepreload\" crossorigin href=\"{}\">",
            escape_attribute(href)
        ));
    }
    for href in &output.stylesheets {
        tags.push_str(&format!(
            "\n    <link rel=\"stylesheet\" crossorigin href=\"{}\">",
            escape_attribute(href)
        ));
    }
    let map = |url: &str| output.asset_urls.get(url).cloned();
    rewrite_with_tags(html, &tags, output, &map, false)
}

/// The dev server's page: local module scripts removed (the server serves the page's modules
/// as one script) and `tags` added at the end of `<head>`. Asset URLs stay as written, except
/// that root-absolute ones (`/src/page.css`, `/logo.svg`) get `base` in front, as Vite does in
/// dev: the server only answers under `base`, so they would 404 otherwise.
///
/// `resolve` gives the dev URL of a URL the project's rules map elsewhere (an alias such as
/// `@/styles/app.css`, as the build resolves it); other root-absolute URLs get the base.
pub fn rewrite_dev_html(
    html: &str,
    tags: &str,
    base: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let map = |url: &str| resolve(url).or_else(|| with_base(url, base));
    rewrite_with_tags(html, tags, &HtmlOutput::default(), &map, true)
}

/// `url` under `base` when it is root-absolute and not already there; `None` to keep it.
fn with_base(url: &str, base: &str) -> Option<String> {
    let rest = url.strip_prefix('/')?;
    if base == "/"
        || !is_local_url(url)
        || url.starts_with(base)
        || url == base.trim_end_matches('/')
    {
        return None;
    }
    Some(format!("{}/{rest}", base.trim_end_matches('/')))
}

/// `map` gives an attribute URL's replacement (`None`: left alone). `only_file_links` limits
/// `<link>` rewriting to rels that load a file (not `canonical`, `alternate`…): the build's map
/// only holds such URLs already, the dev server's prefixing would touch every `href`.
fn rewrite_with_tags(
    html: &str,
    tags: &str,
    output: &HtmlOutput,
    map: &dyn Fn(&str) -> Option<String>,
    only_file_links: bool,
) -> Result<String, String> {
    let injected = RefCell::new(false);
    let inject = |el: &mut Element, at_start: bool| {
        if !*injected.borrow() && !tags.is_empty() {
            if at_start {
                el.prepend(&format!("{tags}\n"), ContentType::Html);
            } else {
                el.append(&format!("{tags}\n  "), ContentType::Html);
            }
            *injected.borrow_mut() = true;
        }
    };
    let mut handlers = vec![
        element!("script", |el| {
            let local_src = el.get_attribute("src").map(|s| is_local_url(&s));
            if is_module_script(el) && local_src != Some(false) {
                el.remove();
            }
            Ok(())
        }),
        element!("head", |el| {
            inject(el, false);
            Ok(())
        }),
        element!("body", |el| {
            // A page without <head>: the tags go first in <body>.
            inject(el, true);
            Ok(())
        }),
    ];
    for (tag, attributes) in URL_ATTRIBUTES {
        handlers.push(element!(*tag, |el| {
            let href = el.get_attribute("href").unwrap_or_default();
            if is_stylesheet_link(el) && output.removed_stylesheets.contains(href.trim()) {
                el.remove();
                return Ok(());
            }
            if only_file_links && el.tag_name() == "link" && !link_loads_file(el) {
                return Ok(());
            }
            for attribute in *attributes {
                let Some(value) = el.get_attribute(attribute) else {
                    continue;
                };
                let new_value = if *attribute == "srcset" {
                    rewrite_srcset(&value, map)
                } else {
                    match map(value.trim()) {
                        Some(url) => url,
                        None => continue,
                    }
                };
                el.set_attribute(attribute, &new_value)?;
            }
            Ok(())
        }));
    }
    let mut rewritten =
        rewrite_str(html, settings_with(handlers)).map_err(|err| err.to_string())?;
    if !*injected.borrow() && !tags.is_empty() {
        rewritten = format!("{}\n{rewritten}", tags.trim_start());
    }
    Ok(rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html>
<html>
  <head>
    <link rel="icon" href="/favicon.svg">
    <link rel="canonical" href="/about">
    <link rel="stylesheet" href="/src/style.css">
    <script type="module" src="/src/main.ts"></script>
    <script src="/legacy.js"></script>
    <script type="module" src="https://cdn.example/x.js"></script>
  </head>
  <body>
    <img src="./logo.png" srcset="./logo.png 1x, ./logo@2x.png 2x" alt="">
    <a href="/elsewhere">x</a>
    <script type="module">import './inline.ts'; console.log(1 < 2)</script>
  </body>
</html>"#;

    #[test]
    fn ignored_module_scripts_are_neither_bundled_nor_removed() {
        let page = r#"<script type="module" vite-ignore src="/legacy/a.js"></script>
<script type="module" nexxo-ignore>window.b = 1</script>
<script type="module" src="/src/main.ts"></script>"#;
        let scan = scan_html(page).unwrap();
        assert_eq!(scan.scripts.len(), 1, "{:?}", scan.scripts);
        let out = rewrite_html(page, &HtmlOutput::default()).unwrap();
        assert!(out.contains(r#"vite-ignore src="/legacy/a.js""#), "{out}");
        assert!(out.contains("window.b = 1"), "{out}");
        assert!(!out.contains("/src/main.ts"), "{out}");
    }

    #[test]
    fn scan_finds_module_scripts_and_assets() {
        let scan = scan_html(PAGE).unwrap();
        assert_eq!(scan.scripts.len(), 2);
        assert!(
            matches!(&scan.scripts[0], ModuleScript::External { src, .. } if src == "/src/main.ts")
        );
        assert!(
            matches!(&scan.scripts[1], ModuleScript::Inline { code, .. } if code == "import './inline.ts'; console.log(1 < 2)")
        );
        let urls: Vec<&str> = scan.assets.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "/favicon.svg",
                "/src/style.css",
                "./logo.png",
                "./logo.png",
                "./logo@2x.png"
            ]
        );
        assert!(scan.assets[1].is_stylesheet);
    }

    #[test]
    fn rewrite_injects_entry_and_replaces_urls() {
        let mut asset_urls = HashMap::new();
        asset_urls.insert(
            "/favicon.svg".to_string(),
            "/assets/favicon-abc.svg".to_string(),
        );
        asset_urls.insert("./logo.png".to_string(), "/assets/logo-1.png".to_string());
        asset_urls.insert(
            "./logo@2x.png".to_string(),
            "/assets/logo@2x-2.png".to_string(),
        );
        let out = rewrite_html(
            PAGE,
            &HtmlOutput {
                entry_script: Some("/assets/index-1.js".into()),
                preloads: vec!["/assets/vendor-2.js".into()],
                stylesheets: vec!["/assets/index-3.css".into()],
                asset_urls,
                removed_stylesheets: HashSet::from(["/src/style.css".to_string()]),
            },
        )
        .unwrap();
        assert!(!out.contains("/src/main.ts"), "{out}");
        assert!(!out.contains("inline.ts"), "{out}");
        assert!(
            out.contains("<script src=\"/legacy.js\"></script>"),
            "{out}"
        );
        assert!(out.contains("https://cdn.example/x.js"), "{out}");
        assert!(
            out.contains(r#"<script type="module" crossorigin src="/assets/index-1.js"></script>"#)
        );
        assert!(
            out.contains(r#"<link rel="modulepreload" crossorigin href="/assets/vendor-2.js">"#)
        );
        assert!(out.contains(r#"href="/assets/favicon-abc.svg""#), "{out}");
        assert!(!out.contains("/src/style.css"), "{out}");
        assert!(out.contains(r#"<link rel="stylesheet" crossorigin href="/assets/index-3.css">"#));
        assert!(out.contains(r#"href="/about""#), "{out}");
        assert!(
            out.contains(r#"srcset="/assets/logo-1.png 1x, /assets/logo@2x-2.png 2x""#),
            "{out}"
        );
        let head_end = out.find("</head>").unwrap();
        assert!(out.find("index-1.js").unwrap() < head_end);
    }

    #[test]
    fn dev_rewrite_puts_root_absolute_urls_under_base() {
        let tags = r#"<script src="/app/@nexxo/client.js"></script>"#;
        let out = rewrite_dev_html(PAGE, tags, "/app/", &|_| None).unwrap();
        assert!(
            out.contains(r#"<link rel="icon" href="/app/favicon.svg">"#),
            "{out}"
        );
        assert!(out.contains(r#"href="/app/src/style.css""#), "{out}");
        // Not a file the page loads, relative, external: as written.
        assert!(
            out.contains(r#"<link rel="canonical" href="/about">"#),
            "{out}"
        );
        assert!(out.contains(r#"<a href="/elsewhere">"#), "{out}");
        assert!(
            out.contains(r#"srcset="./logo.png 1x, ./logo@2x.png 2x""#),
            "{out}"
        );
        assert!(out.contains("https://cdn.example/x.js"), "{out}");
        assert!(!out.contains("/src/main.ts"), "{out}");
        assert!(out.contains(tags), "{out}");

        let page = r#"<html><head><link rel="stylesheet" href="/app/already.css"></head><body><img src="/logo.svg" srcset="/a.png 1x, //cdn.example/b.png 2x"></body></html>"#;
        let out = rewrite_dev_html(page, "", "/app/", &|_| None).unwrap();
        assert!(out.contains(r#"href="/app/already.css""#), "{out}");
        assert!(out.contains(r#"src="/app/logo.svg""#), "{out}");
        assert!(
            out.contains(r#"srcset="/app/a.png 1x, //cdn.example/b.png 2x""#),
            "{out}"
        );
        // With the default base nothing moves.
        let out = rewrite_dev_html(page, "", "/", &|_| None).unwrap();
        assert!(out.contains(r#"src="/logo.svg""#), "{out}");
    }
}
