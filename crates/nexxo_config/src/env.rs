//! `.env` files, as Vite loads them: `.env`, `.env.local`, `.env.[mode]`, `.env.[mode].local`,
//! later files winning, and real environment variables winning over all files. Only variables
//! whose name starts with an env prefix are exposed to client code.

use std::collections::BTreeMap;
use std::path::Path;

use nexxo_diagnostics::Diagnostic;

/// The env files for `mode`, lowest priority first.
pub fn env_file_names(mode: &str) -> [String; 4] {
    [
        ".env".to_string(),
        ".env.local".to_string(),
        format!(".env.{mode}"),
        format!(".env.{mode}.local"),
    ]
}

/// Loads the variables visible to client code: those starting with one of `prefixes`, from the
/// env files in `env_dir` and from `process_env` (which wins).
pub fn load_public_env(
    env_dir: &Path,
    mode: &str,
    prefixes: &[String],
    process_env: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let process_env: BTreeMap<String, String> = process_env.into_iter().collect();
    let mut from_files = BTreeMap::new();
    for name in env_file_names(mode) {
        let path = env_dir.join(&name);
        // A missing file (or a dangling symlink) is no env file; anything else that is not a
        // regular file (a FIFO would block the read forever) is refused by name.
        if !path.exists() {
            continue;
        }
        let text = nexxo_diagnostics::input::read_regular_to_string(&path)
            .map_err(|err| Diagnostic::error(format!("cannot read env file {name}: {err}")))?;
        from_files.extend(parse_dotenv(&text));
    }
    let lookup = |key: &str| {
        process_env
            .get(key)
            .cloned()
            .or_else(|| from_files.get(key).map(|v| v.text.clone()))
    };
    let is_public = |key: &str| prefixes.iter().any(|p| key.starts_with(p.as_str()));
    let mut env = BTreeMap::new();
    for (key, value) in &from_files {
        if is_public(key) {
            let value = match process_env.get(key) {
                Some(real) => real.clone(),
                None if value.expand => expand(&value.text, &lookup),
                None => value.text.clone(),
            };
            env.insert(key.clone(), value);
        }
    }
    for (key, value) in &process_env {
        if is_public(key) {
            env.insert(key.clone(), value.clone());
        }
    }
    Ok(env)
}

/// A value read from an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue {
    pub text: String,
    /// Single-quoted values are taken literally; others get `${VAR}` expansion.
    pub expand: bool,
}

/// Parses env file text with the rules of Node's `dotenv` (which Vite uses), so existing `.env`
/// files mean the same here: `KEY=value`, optional `export`, `#` comments, single, double and
/// backtick quotes, multi-line double-quoted values with `\n` escapes.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, EnvValue> {
    static LINE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let line = LINE.get_or_init(|| {
        regex::Regex::new(
            r#"(?m)^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$"#,
        )
        .expect("the dotenv line pattern is valid")
    });
    let text = text.replace("\r\n", "\n");
    let mut values = BTreeMap::new();
    for captures in line.captures_iter(&text) {
        let key = captures[1].to_string();
        let raw = captures.get(2).map_or("", |m| m.as_str()).trim();
        let quote = raw.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'));
        let value = match quote {
            Some(q) if raw.len() >= 2 && raw.ends_with(q) => {
                let inner = &raw[1..raw.len() - 1];
                if q == '"' {
                    inner.replace("\\n", "\n").replace("\\r", "\r")
                } else {
                    inner.to_string()
                }
            }
            _ => raw.to_string(),
        };
        values.insert(
            key,
            EnvValue {
                text: value,
                expand: quote != Some('\''),
            },
        );
    }
    values
}

/// `${NAME}` and `$NAME` replaced by `lookup` (empty when unknown); `\$` stays a dollar sign.
fn expand(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == '\\' && value[index + 1..].starts_with('$') {
            out.push('$');
            chars.next();
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        let rest = &value[index + 1..];
        let (name, consumed) = if let Some(inner) = rest.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], end)
        };
        if name.is_empty() {
            out.push('$');
            continue;
        }
        out.push_str(&lookup(name).unwrap_or_default());
        for _ in 0..rest[..consumed].chars().count() {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_and_process_env_win_and_unprefixed_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "NEXXO_A=env\nNEXXO_B=env\nSECRET=s\nNEXXO_E=has spaces # comment\nNEXXO_F=${NEXXO_B}-x\n").unwrap();
        std::fs::write(dir.path().join(".env.local"), "NEXXO_B=local\n").unwrap();
        std::fs::write(dir.path().join(".env.staging"), "NEXXO_C=mode\n").unwrap();
        std::fs::write(dir.path().join(".env.production"), "NEXXO_C=other-mode\n").unwrap();
        std::fs::write(
            dir.path().join(".env.staging.local"),
            "NEXXO_D=mode-local\n",
        )
        .unwrap();
        let env = load_public_env(
            dir.path(),
            "staging",
            &["NEXXO_".to_string()],
            [
                ("NEXXO_A".to_string(), "process".to_string()),
                ("HOME".into(), "/root".into()),
            ],
        )
        .unwrap();
        assert_eq!(env.get("NEXXO_A").unwrap(), "process");
        assert_eq!(env.get("NEXXO_B").unwrap(), "local");
        assert_eq!(env.get("NEXXO_C").unwrap(), "mode");
        assert_eq!(env.get("NEXXO_D").unwrap(), "mode-local");
        assert!(!env.contains_key("SECRET"));
        assert!(!env.contains_key("HOME"));
        assert_eq!(env.get("NEXXO_E").unwrap(), "has spaces");
        assert_eq!(env.get("NEXXO_F").unwrap(), "local-x");
    }

    #[cfg(unix)]
    #[test]
    fn an_env_file_that_is_a_device_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(".env")).unwrap();
        let error = load_public_env(dir.path(), "development", &["NEXXO_".into()], []).unwrap_err();
        assert!(
            error.message.contains("cannot read env file .env"),
            "{error}"
        );
        assert!(error.message.contains("character device"), "{error}");
    }

    #[test]
    fn dotenv_quotes_exports_and_multiline() {
        let values = parse_dotenv(
            "export A=1\nB='lit ${A}'\nC=\"two\\nlines\"\nD=\"multi\nline\"\n# comment\nE=\n F = spaced \n",
        );
        assert_eq!(values["A"].text, "1");
        assert_eq!(
            values["B"],
            EnvValue {
                text: "lit ${A}".into(),
                expand: false
            }
        );
        assert_eq!(values["C"].text, "two\nlines");
        assert_eq!(values["D"].text, "multi\nline");
        assert_eq!(values["E"].text, "");
        assert_eq!(values["F"].text, "spaced");
    }
}
