//! Stage 1, plan: find the app's HTML pages, read their module scripts and asset URLs, and
//! resolve them to files. Produces plain [`HtmlPage`] data for the bundle stage; every problem
//! found here is reported with the page's file, line, column and a code frame.

use std::path::{Path, PathBuf};

use nexxo_config::ResolvedConfig;
use nexxo_diagnostics::{Diagnostic, Diagnostics};
use nexxo_html::{scan_html, ModuleScript};
use nexxo_pipeline::plugins::html_scripts::inline_script_id;
use nexxo_plugins::{HtmlPage, PageScript};

/// Query marking the proxy module of a page (the page's entry in the module graph).
pub const HTML_ENTRY_QUERY: &str = nexxo_plugins::html_entry::ENTRY_QUERY;

/// Finds the app's pages, as Vite: the HTML files `build.input` names when it is set (then
/// index.html is not added on its own); else the root's `index.html`, which must exist.
pub fn find_pages(config: &ResolvedConfig) -> Result<Vec<PathBuf>, Diagnostic> {
    if let Some(input) = &config.input {
        return Ok(input
            .iter()
            .filter(|entry| entry.is_page())
            .map(|entry| entry.file.clone())
            .collect());
    }
    // As Vite: `index.html` is the page (`angular.json`'s `index` in an Angular app); other
    // pages are named in `build.input`.
    let index = config.index_page();
    match std::fs::metadata(&index) {
        // Symlinks are followed: a link to a page is a page.
        Ok(target) if target.is_file() => Ok(vec![index]),
        // A FIFO, socket or device: reading one would block the build.
        Ok(target) if !target.is_dir() => Err(Diagnostic::error(
            "index.html is not a regular file (a FIFO, socket or device); the build cannot read it",
        )),
        _ => Err(Diagnostic::error(format!(
            "no index.html found in the project root {}",
            config.root.display()
        ))
        .with_help("a Nexxo app starts from index.html, which loads your code with <script type=\"module\" src=\"/src/main.ts\">; name other pages in build.input; for a library set build.lib in nexxo.config.json")),
    }
}

/// Reads and resolves every page. Collects all errors instead of stopping at the first.
/// `transform_html`: the plugins' `transformIndexHtml` hooks, run on each page's text before
/// it is read.
pub fn plan_pages(
    config: &ResolvedConfig,
    page_paths: &[PathBuf],
    transform_html: &dyn Fn(String, &Path) -> Result<String, Diagnostic>,
) -> Result<Vec<HtmlPage>, Diagnostics> {
    let mut pages = Vec::new();
    let mut errors = Vec::new();
    for path in page_paths {
        match plan_page(config, path, transform_html) {
            Ok(page) => pages.push(page),
            Err(mut page_errors) => errors.append(&mut page_errors),
        }
    }
    if errors.is_empty() {
        Ok(pages)
    } else {
        Err(Diagnostics(errors))
    }
}

fn plan_page(
    config: &ResolvedConfig,
    path: &Path,
    transform_html: &dyn Fn(String, &Path) -> Result<String, Diagnostic>,
) -> Result<HtmlPage, Vec<Diagnostic>> {
    let shown = config.display_path(path);
    let html = nexxo_diagnostics::input::read_regular_to_string(path)
        .map_err(|err| vec![Diagnostic::error(format!("cannot read {shown}: {err}"))])?;
    let html = transform_html(html, path).map_err(|error| vec![error])?;
    let scan = scan_html(&html)
        .map_err(|err| vec![Diagnostic::error(format!("cannot parse {shown}: {err}"))])?;
    let page_dir = path.parent().unwrap_or(&config.root);
    let mut errors = Vec::new();

    let mut scripts = Vec::new();
    let mut inline_index = 0;
    for script in &scan.scripts {
        match script {
            ModuleScript::External { src, offset } => match resolve_script(config, path, src) {
                Some(file) => scripts.push(PageScript::File(file)),
                _ => errors.push(
                    Diagnostic::at_offset(
                        format!("cannot find the module script `{src}`"),
                        &shown,
                        &html,
                        *offset,
                    )
                    .with_help(
                        "`/src/main.ts` is relative to the project root, `./main.ts` to the page",
                    ),
                ),
            },
            ModuleScript::Inline { .. } => {
                scripts.push(PageScript::Inline {
                    id: inline_script_id(path, inline_index),
                });
                inline_index += 1;
            }
        }
    }

    // Stylesheets the page links are bundled like imported CSS, before the page's scripts.
    let mut stylesheets = Vec::new();
    let mut bundled_stylesheets = Vec::new();
    let mut assets = Vec::new();
    let mut public_urls = Vec::new();
    for reference in &scan.assets {
        if is_public_file(config, &reference.url) {
            public_urls.push(reference.url.clone());
            continue;
        }
        match resolve_url(config, page_dir, &reference.url).filter(|f| f.is_file()) {
            Some(file) if reference.is_stylesheet => {
                stylesheets.push(PageScript::File(file));
                bundled_stylesheets.push(reference.url.clone());
            }
            Some(file) => assets.push((reference.url.clone(), file)),
            None => eprintln!(
                "warning: {shown}: `{}` does not resolve to a file; it is left unchanged to be resolved at runtime",
                reference.url
            ),
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    stylesheets.append(&mut scripts);
    let scripts = stylesheets;
    // An Angular app's index page (`src/index.html`) is written as `index.html`, as `ng build`
    // writes it.
    let output_name = if config.angular.is_some() && path == config.index_page() {
        "index.html".to_string()
    } else {
        nexxo_diagnostics::display_path(path.strip_prefix(&config.root).unwrap_or(path))
    };
    // A page named in `build.input`'s object form names its chunk, as in Vite; others are
    // named after their path (`docs/index.html` → `docs-index`).
    let input_name = config
        .input
        .iter()
        .flatten()
        .find(|entry| entry.file == path)
        .and_then(|entry| entry.name.clone());
    let entry_name =
        input_name.unwrap_or_else(|| output_name.trim_end_matches(".html").replace('/', "-"));
    Ok(HtmlPage {
        entry_id: format!("{}{HTML_ENTRY_QUERY}", path.to_string_lossy()),
        output_name,
        html,
        entry_name,
        scripts,
        assets,
        public_urls,
        bundled_stylesheets,
    })
}

/// A URL in a page → the file it names: an alias (`@/main.ts`, as in scripts), `/x` from the
/// root, anything else from the page.
fn resolve_url(config: &ResolvedConfig, page_dir: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next()?;
    let path = percent_decode(path)?;
    let aliased = nexxo_config::resolver::apply_alias(&config.alias, &path)
        .filter(|a| Path::new(a).is_absolute());
    let file = match (aliased, path.strip_prefix('/')) {
        (Some(aliased), _) => PathBuf::from(aliased),
        (None, Some(rest)) => config.root.join(rest),
        (None, None) => page_dir.join(&path),
    };
    Some(nexxo_config::resolve::absolute(&config.root, &file))
}

/// A module script's `src` → its file: the URL's file when it exists, else the project's
/// resolver (extensions, aliases, tsconfig `paths`), as the dev server resolves it.
fn resolve_script(config: &ResolvedConfig, page: &Path, src: &str) -> Option<PathBuf> {
    let page_dir = page.parent().unwrap_or(&config.root);
    if let Some(file) = resolve_url(config, page_dir, src).filter(|f| f.is_file()) {
        return Some(file);
    }
    let request = percent_decode(src.split(['?', '#']).next()?)?;
    let request = match request.strip_prefix('/') {
        Some(rest) => config.root.join(rest).to_string_lossy().into_owned(),
        None => request,
    };
    let resolver = nexxo_pipeline::ProjectResolver::new(&nexxo_config::ResolverConfig::new(config));
    resolver.resolve_from_file(page, &request).ok()
}

/// `/favicon.ico` served from public/ stays as written; so does `favicon.ico` in an Angular
/// app's index page, whose `<base href>` makes it a URL from the app's root.
fn is_public_file(config: &ResolvedConfig, url: &str) -> bool {
    let relative_to_base = config.angular.is_some() && !url.contains(':');
    let Some(rest) = url
        .strip_prefix('/')
        .or_else(|| relative_to_base.then_some(url))
    else {
        return false;
    };
    let Some(public_dir) = &config.public_dir else {
        return false;
    };
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    percent_decode(rest).is_some_and(|decoded| public_dir.join(decoded).is_file())
}

fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}
