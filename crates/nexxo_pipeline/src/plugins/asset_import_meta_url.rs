//! `new URL('./logo.svg', import.meta.url)` as in Vite: the file becomes an emitted asset and
//! the expression its URL. Left as written, the path would be resolved against the chunk's own
//! URL in `assets/`, where the file is not.
//!
//! The call is rewritten to `new URL(<the file's ?url import>, import.meta.url)`, with that
//! import appended (imports are hoisted), so the asset plugin decides the URL (hashed name,
//! `base`, or a data URL under `assetsInlineLimit` in the build; the file where it is in dev)
//! exactly as for `import url from './x?url'`. Only static strings naming an existing file are
//! rewritten here; template strings are the glob plugin's.

use std::path::Path;
use std::sync::LazyLock;

use nexxo_diagnostics::Diagnostic;
use regex::Regex;

use crate::host::ModuleHost;
use crate::ids::js_string;
use crate::plugin::{HookFilter, Hooks, Plugin, TransformArgs, Transformed};

/// `new URL('./x', import.meta.url)` or with double quotes; the path is group 1 or 2.
static NEW_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bnew\s+URL\s*\(\s*(?:'(\.{1,2}/[^'\n]+)'|"(\.{1,2}/[^"\n]+)")\s*,\s*import\.meta\.url\s*\)"#,
    )
    .expect("a valid pattern")
});

#[derive(Debug)]
pub struct AssetImportMetaUrl;

impl Plugin for AssetImportMetaUrl {
    fn name(&self) -> &str {
        "nexxo:asset-import-meta-url"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(HookFilter::scripts().with_code("import.meta.url")),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        let file = crate::ids::split_query(args.id).0;
        let Some(folder) = Path::new(file).parent().filter(|f| f.is_absolute()) else {
            return Ok(None);
        };
        let mut code = string_wizard::MagicString::new(args.code);
        let mut imports = String::new();
        for (index, found) in NEW_URL.captures_iter(args.code).enumerate() {
            let Some(path) = found.get(1).or_else(|| found.get(2)) else {
                continue;
            };
            let file = path.as_str().split(['?', '#']).next().unwrap_or_default();
            if !nexxo_diagnostics::input::is_regular_file(&folder.join(file)) {
                continue;
            }
            // A worker script is the worker plugin's (`new Worker(new URL(…))`).
            let before = &args.code[..found.get(0).expect("the whole match").start()];
            if ends_with_worker_constructor(before) {
                continue;
            }
            let name = format!("__nexxo_asset_url_{index}");
            let whole = found.get(0).expect("the whole match");
            code.update(
                whole.start() as u32,
                whole.end() as u32,
                format!("new URL({name}, import.meta.url)"),
            )
            .map_err(|err| Diagnostic::error(format!("{file}: {err}")))?;
            let specifier = js_string(&format!("{}?url", path.as_str()));
            imports.push_str(&format!("\nimport {name} from {specifier};"));
        }
        if imports.is_empty() {
            return Ok(None);
        }
        code.append(imports);
        Ok(Some(Transformed::edited(&code, args.id, Vec::new())))
    }
}

/// Whether the code before a `new URL(…)` ends with `new Worker(` or `new SharedWorker(`.
pub fn ends_with_worker_constructor(before: &str) -> bool {
    static WORKER_CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bnew\s+(?:Shared)?Worker\s*\(\s*$").expect("a valid pattern")
    });
    WORKER_CALL.is_match(before)
}

/// `new URL(`./img/${name}.png`, import.meta.url)` as in Vite: the template becomes a lookup in
/// an eager `?url` glob of the files it can name (`./img/*.png`), which the glob plugin then
/// expands, so each of them is emitted as an asset and the expression gives its URL. Templates
/// whose pattern would start with a wildcard are left alone, as Vite leaves them.
#[derive(Debug)]
pub struct AssetUrlTemplates;

impl Plugin for AssetUrlTemplates {
    fn name(&self) -> &str {
        "nexxo:asset-import-meta-url-template"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(
                HookFilter::scripts()
                    .with_code("import.meta.url")
                    .without_packages(),
            ),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        if !args.code.contains("${") {
            return Ok(None);
        }
        let Some(templates) = crate::plugins::glob::with_program(args.code, args.lang, |program| {
            let mut finder = UrlTemplateFinder {
                code: args.code,
                found: Vec::new(),
            };
            oxc_ast_visit::Visit::visit_program(&mut finder, program);
            finder.found
        }) else {
            return Ok(None);
        };
        if templates.is_empty() {
            return Ok(None);
        }
        let mut code = string_wizard::MagicString::new(args.code);
        for template in templates {
            code.update(template.start, template.end, template.replacement)
                .map_err(|err| Diagnostic::error(format!("{}: {err}", args.id)))?;
        }
        Ok(Some(Transformed::edited(&code, args.id, Vec::new())))
    }
}

/// A `new URL(template, import.meta.url)` and what replaces its first argument.
struct UrlTemplate {
    start: u32,
    end: u32,
    replacement: String,
}

struct UrlTemplateFinder<'c> {
    code: &'c str,
    found: Vec<UrlTemplate>,
}

impl<'a> oxc_ast_visit::Visit<'a> for UrlTemplateFinder<'_> {
    fn visit_new_expression(&mut self, new: &oxc_ast::ast::NewExpression<'a>) {
        use oxc_ast::ast::Expression;
        let is_url = matches!(&new.callee, Expression::Identifier(id) if id.name == "URL");
        let args: Vec<_> = new
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        if is_url
            && new.arguments.len() == 2
            && args.len() == 2
            && crate::plugins::glob::is_import_meta(args[1], "url")
            && !ends_with_worker_constructor(&self.code[..new.span.start as usize])
        {
            if let Expression::TemplateLiteral(template) = args[0] {
                if let Some(replacement) = url_template_lookup(self.code, template) {
                    self.found.push(UrlTemplate {
                        start: template.span.start,
                        end: template.span.end,
                        replacement,
                    });
                }
            }
        }
        oxc_ast_visit::walk::walk_new_expression(self, new);
    }
}

/// Vite's rewrite of a URL template: `(import.meta.glob(pattern, eager ?url))[template]`, with
/// a query written in the template moved into the glob's.
fn url_template_lookup(code: &str, template: &oxc_ast::ast::TemplateLiteral) -> Option<String> {
    if template.expressions.is_empty() {
        return None;
    }
    let mut pattern = String::new();
    let mut key = String::from("`");
    let mut query = None;
    for (index, quasi) in template.quasis.iter().enumerate() {
        let raw = quasi.value.raw.as_str();
        let (path, rest) = match raw.find('?') {
            Some(at) if query.is_none() => (&raw[..at], Some(&raw[at..])),
            _ if query.is_some() => ("", None),
            _ => (raw, None),
        };
        if query.is_some() {
            break;
        }
        pattern.push_str(path);
        key.push_str(path);
        if let Some(rest) = rest {
            query = Some(rest.to_string());
            break;
        }
        if let Some(expression) = template.expressions.get(index) {
            if !pattern.ends_with('*') {
                pattern.push('*');
            }
            let span = oxc_span::GetSpan::span(expression);
            key.push_str(&format!(
                "${{{}}}",
                &code[span.start as usize..span.end as usize]
            ));
        }
    }
    key.push('`');
    if pattern.starts_with('*')
        || !(pattern.starts_with("./") || pattern.starts_with("../") || pattern.starts_with('/'))
    {
        return None;
    }
    let query = match query {
        Some(query) => format!("?url&{}", query.trim_start_matches('?')),
        None => "?url".to_string(),
    };
    Some(format!(
        "(import.meta.glob({}, {{ eager: true, import: \"default\", query: {} }}))[{key}]",
        js_string(&pattern),
        js_string(&query)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Lang;

    fn lookup(code: &str) -> Option<String> {
        crate::plugins::glob::with_program(code, Lang::Ts, |program| {
            let mut finder = UrlTemplateFinder {
                code,
                found: Vec::new(),
            };
            oxc_ast_visit::Visit::visit_program(&mut finder, program);
            finder.found.into_iter().next().map(|t| t.replacement)
        })
        .flatten()
    }

    #[test]
    fn url_templates_become_eager_url_globs() {
        assert_eq!(
            lookup("const u = new URL(`./img/${name}.png`, import.meta.url);").as_deref(),
            Some("(import.meta.glob(\"./img/*.png\", { eager: true, import: \"default\", query: \"?url\" }))[`./img/${name}.png`]")
        );
        assert_eq!(
            lookup("new URL(`./img/${a}-${b}.svg?inline`, import.meta.url)").as_deref(),
            Some("(import.meta.glob(\"./img/*-*.svg\", { eager: true, import: \"default\", query: \"?url&inline\" }))[`./img/${a}-${b}.svg`]")
        );
        // A pattern starting with a wildcard, a worker's script, a static string: not ours.
        assert_eq!(lookup("new URL(`${dir}/a.png`, import.meta.url)"), None);
        assert_eq!(
            lookup("new Worker(new URL(`./w/${n}.js`, import.meta.url))"),
            None
        );
        assert_eq!(lookup("new URL('./a.png', import.meta.url)"), None);
    }
}
