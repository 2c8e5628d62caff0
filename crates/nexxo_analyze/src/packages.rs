//! Which npm package a module belongs to, and packages installed more than once.

/// The package folder a module path lies in: the name after the last `node_modules/` (two
/// segments for `@scope/name`) and the path up to it. `None` for the app's own files.
pub fn package_of(path: &str) -> Option<(String, String)> {
    let path = path.split('?').next().unwrap_or(path);
    // The dev server's pre-bundled packages: `/@deps/react-dom/client` is `react-dom`.
    if let Some(rest) = path.strip_prefix("/@deps/") {
        let mut segments = rest.split('/').filter(|s| !s.is_empty());
        let first = segments.next()?;
        let name = match first.starts_with('@') {
            true => format!("{first}/{}", segments.next()?),
            false => first.to_string(),
        };
        return Some((name.clone(), format!("/@deps/{name}")));
    }
    let marker = "node_modules/";
    let at = path.rfind(marker)? + marker.len();
    let rest = &path[at..];
    let mut segments = rest.split('/');
    let first = segments.next().filter(|s| !s.is_empty())?;
    let name = if first.starts_with('@') {
        let second = segments.next().filter(|s| !s.is_empty())?;
        format!("{first}/{second}")
    } else {
        first.to_string()
    };
    // A file directly in node_modules (`node_modules/x.js`) belongs to no package.
    segments.next()?;
    let dir = format!("{}{name}", &path[..at]);
    Some((name, dir))
}

/// `version` of the package.json in `dir`, if it can be read.
pub fn read_package_version(dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_innermost_package() {
        assert_eq!(
            package_of("/p/node_modules/react/index.js"),
            Some(("react".into(), "/p/node_modules/react".into()))
        );
        assert_eq!(
            package_of("/p/node_modules/a/node_modules/@s/b/lib/x.js?q"),
            Some(("@s/b".into(), "/p/node_modules/a/node_modules/@s/b".into()))
        );
        assert_eq!(
            package_of("/p/node_modules/.pnpm/c@1.0.0/node_modules/c/i.js"),
            Some((
                "c".into(),
                "/p/node_modules/.pnpm/c@1.0.0/node_modules/c".into()
            ))
        );
        assert_eq!(package_of("/p/src/main.ts"), None);
        assert_eq!(
            package_of("/@deps/@s/b/sub"),
            Some(("@s/b".into(), "/@deps/@s/b".into()))
        );
        assert_eq!(package_of("/p/node_modules/x.js"), None);
        assert_eq!(package_of("/p/node_modules/@s"), None);
    }

    #[test]
    fn reads_versions_and_tolerates_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), r#"{"version":"1.2.3"}"#).unwrap();
        assert_eq!(read_package_version(dir.path()), Some("1.2.3".into()));
        assert_eq!(read_package_version(&dir.path().join("none")), None);
    }
}
