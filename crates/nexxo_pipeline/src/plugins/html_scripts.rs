//! A page's inline `<script type="module">`s as modules, in the build and the dev server alike:
//! the n-th inline module script of `page.html` is the module `page.html?html-proxy&index=n.js`
//! (Vite's id form), whose code is read from the page when it is loaded, so an edit to the page
//! reaches it through the page file like any other module's file.

use std::path::Path;

use nexxo_diagnostics::Diagnostic;

use super::read;
use crate::host::ModuleHost;
use crate::ids::{has_query_flag, split_query};
use crate::plugin::{
    HookFilter, Hooks, Lang, LoadArgs, LoadedModule, Plugin, ResolveArgs, ResolvedId,
};

/// The query flag of inline page scripts.
pub const HTML_PROXY: &str = "html-proxy";

/// The module id of the `index`-th inline module script of the page at `page`.
pub fn inline_script_id(page: &Path, index: usize) -> String {
    format!("{}?{}", page.display(), inline_script_query(index))
}

/// The query (without `?`) of the `index`-th inline module script of a page.
pub fn inline_script_query(index: usize) -> String {
    format!("{HTML_PROXY}&index={index}.js")
}

/// `(page file, index)` of an inline script id.
pub fn parse_inline_script_id(id: &str) -> Option<(&str, usize)> {
    let (page, query) = split_query(id);
    if !has_query_flag(query, HTML_PROXY) {
        return None;
    }
    let index = query?
        .split('&')
        .find_map(|part| part.strip_prefix("index="))?
        .strip_suffix(".js")?
        .parse()
        .ok()?;
    Some((page, index))
}

/// The code of the `index`-th inline module script of `html`.
pub fn inline_script(html: &str, index: usize) -> Option<String> {
    let scan = nexxo_html::scan_html(html).ok()?;
    scan.scripts
        .into_iter()
        .filter_map(|script| match script {
            nexxo_html::ModuleScript::Inline { code, .. } => Some(code),
            nexxo_html::ModuleScript::External { .. } => None,
        })
        .nth(index)
}

#[derive(Debug, Default)]
pub struct HtmlInlineScripts;

impl Plugin for HtmlInlineScripts {
    fn name(&self) -> &str {
        "nexxo:html-inline-scripts"
    }

    fn hooks(&self) -> Hooks {
        let filter = HookFilter::query_flags(&[HTML_PROXY]);
        Hooks {
            resolve_id: Some(filter.clone()),
            load: Some(filter),
            ..Hooks::default()
        }
    }

    /// The ids are already absolute; only the page must exist.
    fn resolve_id(
        &self,
        args: &ResolveArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<ResolvedId>, Diagnostic> {
        Ok(parse_inline_script_id(args.specifier)
            .filter(|(page, _)| Path::new(page).is_absolute() && Path::new(page).is_file())
            .map(|_| ResolvedId {
                id: args.specifier.to_string(),
            }))
    }

    fn load(
        &self,
        args: &LoadArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<LoadedModule>, Diagnostic> {
        let Some((page, index)) = parse_inline_script_id(args.id) else {
            return Ok(None);
        };
        let html = String::from_utf8_lossy(&read(Path::new(page))?).into_owned();
        let code = inline_script(&html, index).ok_or_else(|| {
            Diagnostic::error(format!("{page} has no inline module script #{index}"))
        })?;
        // A script: what it does when it runs is the point (`LoadedModule::js` would let the
        // bundler drop it).
        Ok(Some(LoadedModule::script(
            code,
            Lang::Js,
            vec![Path::new(page).to_path_buf()],
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_scripts_are_counted_among_inline_ones() {
        let id = inline_script_id(Path::new("/p/index.html"), 1);
        assert_eq!(id, "/p/index.html?html-proxy&index=1.js");
        assert_eq!(parse_inline_script_id(&id), Some(("/p/index.html", 1)));
        assert_eq!(parse_inline_script_id("/p/index.html?raw"), None);
        let html = r#"<script type="module">a()</script><script type="module" src="/x.ts"></script>
<script type="module">b()</script>"#;
        assert_eq!(inline_script(html, 1).as_deref(), Some("b()"));
        assert_eq!(inline_script(html, 2), None);
    }
}
