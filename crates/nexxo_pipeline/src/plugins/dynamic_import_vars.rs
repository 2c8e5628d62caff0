//! Dynamic imports with variables, as Vite's dynamic-import-vars: `` import(`./locales/${lang}.js`) ``
//! or `import('./locales/' + lang + '.js')` becomes a lookup in `import.meta.glob('./locales/*.js')`
//! (expanded by the glob plugin, so every matching file is a chunk) through a small helper that
//! rejects a value naming no file with Vite's error.
//!
//! Vite's rules: the static part must start with `./` or `../` (or an alias), must not be the
//! importer's own folder with only a wildcard name, and must end with a file extension; each
//! variable stands for one file name level (`*`). A call breaking a rule is an error at its
//! position; `/* @vite-ignore */` (or `/* nexxo-ignore */`) inside the call leaves it alone.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use nexxo_diagnostics::Diagnostic;
use oxc_ast::ast::{BinaryOperator, Expression, ImportExpression};
use oxc_ast_visit::{walk, Visit};
use oxc_span::GetSpan;
use regex::Regex;

use crate::host::ModuleHost;
use crate::ids::{js_string, split_query};
use crate::plugin::{HookFilter, Hooks, Plugin, TransformArgs, Transformed};
use crate::plugins::glob::{display_path, relative_specifier, with_program};

/// Vite's runtime helper, inlined once per module that needs it.
const RUNTIME_HELPER: &str = "\nfunction __variableDynamicImportRuntimeHelper(glob, path, segs) {\n  const v = glob[path];\n  if (v) return typeof v === 'function' ? v() : Promise.resolve(v);\n  return new Promise((_, reject) => {\n    (typeof queueMicrotask === 'function' ? queueMicrotask : setTimeout)(reject.bind(null, new Error('Unknown variable dynamic import: ' + path + (path.split('/').length !== segs ? '. Note that variables only represent file names one level deep.' : ''))));\n  });\n}\n";

const EXAMPLE: &str = "For example: import(`./foo/${bar}.js`).";

pub struct DynamicImportVars {
    root: PathBuf,
    alias: Vec<(String, String)>,
}

impl DynamicImportVars {
    pub fn new(root: &Path, alias: &[(String, String)]) -> Self {
        Self {
            root: root.to_path_buf(),
            alias: alias.to_vec(),
        }
    }
}

impl Plugin for DynamicImportVars {
    fn name(&self) -> &str {
        "nexxo:dynamic-import-vars"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(HookFilter::scripts().with_code("import").without_packages()),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        // Most modules have no import with a template or a `+`: skip parsing them.
        static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"\bimport\s*\((?:\s|/\*[^*]*\*/)*(?:`|['"][^'"\n]*['"]\s*\+)"#)
                .expect("a valid pattern")
        });
        if !CANDIDATE.is_match(args.code) {
            return Ok(None);
        }
        let importer = Path::new(split_query(args.id).0);
        let Some(importer_dir) = importer.parent().filter(|d| d.is_absolute()) else {
            return Ok(None);
        };
        let Some(found) = with_program(args.code, args.lang, |program| {
            let mut finder = VariableImportFinder {
                code: args.code,
                found: Vec::new(),
            };
            finder.visit_program(program);
            finder.found
        }) else {
            return Ok(None);
        };
        let mut code = string_wizard::MagicString::new(args.code);
        let mut changed = false;
        for import in found {
            let replacement =
                rewrite(&import, args.code, importer_dir, &self.alias).map_err(|message| {
                    Diagnostic::at_offset(
                        message,
                        display_path(&self.root, importer),
                        args.code,
                        import.start as usize,
                    )
                    .with_help("add /* @vite-ignore */ inside import() to leave it to the browser")
                })?;
            let Some(replacement) = replacement else {
                continue;
            };
            code.update(import.start, import.end, replacement)
                .map_err(|err| Diagnostic::error(format!("{}: {err}", args.id)))?;
            changed = true;
        }
        if !changed {
            return Ok(None);
        }
        code.append(RUNTIME_HELPER);
        Ok(Some(Transformed::edited(&code, args.id, Vec::new())))
    }
}

/// A piece of the specifier: written text, or a variable's source span.
#[derive(Debug, Clone)]
enum Part {
    Static(String),
    Variable(u32, u32),
}

/// An `import(…)` whose specifier has variables.
struct VariableImport {
    start: u32,
    end: u32,
    parts: Vec<Part>,
}

struct VariableImportFinder<'c> {
    code: &'c str,
    found: Vec<VariableImport>,
}

impl<'a> Visit<'a> for VariableImportFinder<'_> {
    fn visit_import_expression(&mut self, import: &ImportExpression<'a>) {
        let text = &self.code[import.span.start as usize..import.span.end as usize];
        let ignored = text.contains("@vite-ignore") || text.contains("nexxo-ignore");
        if !ignored {
            let mut parts = Vec::new();
            if specifier_parts(&import.source, &mut parts)
                && parts.iter().any(|p| matches!(p, Part::Variable(..)))
            {
                self.found.push(VariableImport {
                    start: import.span.start,
                    end: import.span.end,
                    parts,
                });
            }
        }
        walk::walk_import_expression(self, import);
    }
}

/// Flattens a template or a `+` chain; `false` for other specifiers (a plain variable).
fn specifier_parts(expression: &Expression, parts: &mut Vec<Part>) -> bool {
    match expression {
        Expression::TemplateLiteral(template) => {
            for (index, quasi) in template.quasis.iter().enumerate() {
                let Some(cooked) = &quasi.value.cooked else {
                    return false;
                };
                parts.push(Part::Static(cooked.to_string()));
                if let Some(variable) = template.expressions.get(index) {
                    let span = variable.span();
                    parts.push(Part::Variable(span.start, span.end));
                }
            }
            true
        }
        Expression::BinaryExpression(binary) if binary.operator == BinaryOperator::Addition => {
            let side = |expression: &Expression, parts: &mut Vec<Part>| match expression {
                Expression::StringLiteral(literal) => {
                    parts.push(Part::Static(literal.value.to_string()));
                    true
                }
                Expression::TemplateLiteral(_) | Expression::BinaryExpression(_) => {
                    specifier_parts(expression, parts)
                }
                other => {
                    let span = other.span();
                    parts.push(Part::Variable(span.start, span.end));
                    true
                }
            };
            side(&binary.left, parts) && side(&binary.right, parts)
        }
        _ => false,
    }
}

/// The helper call replacing `import`; `Ok(None)` leaves it alone; `Err`: a broken rule.
fn rewrite(
    import: &VariableImport,
    code: &str,
    importer_dir: &Path,
    alias: &[(String, String)],
) -> Result<Option<String>, String> {
    let mut parts = import.parts.clone();
    // An alias in the static start becomes the relative path it names (Vite resolves it first).
    if let Some(Part::Static(first)) = parts.first_mut() {
        if !first.starts_with('.') && !first.starts_with('/') {
            if let Some(aliased) = nexxo_config::resolver::apply_alias(alias, first)
                .filter(|a| Path::new(a).is_absolute())
            {
                let trailing_slash = aliased.ends_with('/');
                let mut relative = relative_specifier(importer_dir, Path::new(&aliased));
                if trailing_slash && !relative.ends_with('/') {
                    relative.push('/');
                }
                *first = relative;
            }
        }
    }
    // The query (`?raw`) is the glob's, not the key's.
    let mut query = None;
    for part in parts.iter_mut().rev() {
        if let Part::Static(text) = part {
            if let Some(at) = text.find('?') {
                query = Some(text[at..].to_string());
                text.truncate(at);
            }
            break;
        }
    }
    let mut glob = String::new();
    let mut key = String::from("`");
    for part in &parts {
        match part {
            Part::Static(text) => {
                glob.push_str(text);
                key.push_str(
                    &text
                        .replace('\\', "\\\\")
                        .replace('`', "\\`")
                        .replace("${", "\\${"),
                );
            }
            Part::Variable(start, end) => {
                if !glob.ends_with('*') {
                    glob.push('*');
                }
                key.push_str(&format!("${{{}}}", &code[*start as usize..*end as usize]));
            }
        }
    }
    key.push('`');
    let written = &code[import.start as usize..import.end as usize];
    // Vite leaves a specifier starting with a variable or a bare name (no alias) to the browser.
    if !glob.starts_with('.') && !glob.starts_with('/') {
        return Ok(None);
    }
    if glob.starts_with('/') {
        return Err(format!(
            "invalid import {written}: variable absolute imports are not supported; imports must start with ./ in the static part. {EXAMPLE}"
        ));
    }
    if !glob.starts_with("./") && !glob.starts_with("../") {
        return Err(format!(
            "invalid import {written}: variable dynamic imports must start with ./ or ../ and be relative to the file importing them. {EXAMPLE}"
        ));
    }
    static OWN_FOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\./\*\.\w+$").expect("a valid pattern"));
    if OWN_FOLDER.is_match(&glob) {
        return Err(format!(
            "invalid import {written}: variable imports cannot import their own folder; put the files in a separate folder or make the file name more specific. {EXAMPLE}"
        ));
    }
    let last = glob.rsplit('/').next().unwrap_or_default();
    if !last.trim_start_matches('*').contains('.') || last.ends_with('.') || last.ends_with('*') {
        return Err(format!(
            "invalid import {written}: a file extension must be included in the static part of the import. {EXAMPLE}"
        ));
    }
    let options = match query {
        Some(query) => format!(", {{ query: {} }}", js_string(&query)),
        None => String::new(),
    };
    let segments = glob.split('/').count();
    Ok(Some(format!(
        "__variableDynamicImportRuntimeHelper((import.meta.glob({}{options})), {key}, {segments})",
        js_string(&glob)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Lang;

    fn rewritten(code: &str) -> Result<Vec<String>, String> {
        let found = with_program(code, Lang::Ts, |program| {
            let mut finder = VariableImportFinder {
                code,
                found: Vec::new(),
            };
            finder.visit_program(program);
            finder.found
        })
        .unwrap();
        let alias = [("@".to_string(), "/p/src".to_string())];
        found
            .iter()
            .filter_map(|import| rewrite(import, code, Path::new("/p/src/app"), &alias).transpose())
            .collect()
    }

    #[test]
    fn templates_and_concatenations_become_glob_lookups() {
        assert_eq!(
            rewritten("import(`./locales/${lang}.js`)").unwrap(),
            vec!["__variableDynamicImportRuntimeHelper((import.meta.glob(\"./locales/*.js\")), `./locales/${lang}.js`, 3)"]
        );
        assert_eq!(
            rewritten("import('../locales/' + lang + '.json?raw')").unwrap(),
            vec!["__variableDynamicImportRuntimeHelper((import.meta.glob(\"../locales/*.json\", { query: \"?raw\" })), `../locales/${lang}.json`, 3)"]
        );
        assert_eq!(
            rewritten("import(`@/locales/${a.b}-${c}.ts`)").unwrap(),
            vec!["__variableDynamicImportRuntimeHelper((import.meta.glob(\"../locales/*-*.ts\")), `../locales/${a.b}-${c}.ts`, 3)"]
        );
    }

    #[test]
    fn ignored_and_plain_imports_are_left_alone() {
        assert!(rewritten("import(/* @vite-ignore */ `./x/${a}.js`); import('./a.js'); import(name); import(/* nexxo-ignore */ './x/' + a)")
                .unwrap()
                .is_empty()
        );
        // Starting with a variable or a bare name, as Vite: left to the browser.
        assert!(rewritten("import(`${cdn}/a.js`); import(`pkg/${a}.js`)")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn vites_rules_are_errors() {
        let error = |code: &str| rewritten(code).unwrap_err();
        assert!(error("import(`/abs/${a}.js`)").contains("absolute imports are not supported"));
        assert!(error("import(`.${a}/x.js`)").contains("must start with ./ or ../"));
        assert!(error("import(`./${a}.js`)").contains("cannot import their own folder"));
        assert!(error("import(`./locales/${a}`)").contains("file extension must be included"));
    }
}
