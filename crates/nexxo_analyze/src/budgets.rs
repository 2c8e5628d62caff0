//! `build.budgets`: size limits on output files, checked after every build.

use globset::{Glob, GlobMatcher};

/// One budget, resolved from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeBudget {
    /// A glob over output file names relative to outDir (`assets/*.js`; `*` stays within a
    /// folder, `**` crosses folders).
    pub path: String,
    pub max_bytes: u64,
    /// Compare the gzip size instead of the raw size (binary files have none: raw size).
    pub gzip: bool,
}

/// One output file as measured by the build.
#[derive(Debug, Clone, Copy)]
pub struct MeasuredFile<'a> {
    pub name: &'a str,
    pub bytes: usize,
    pub gzip_bytes: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetViolation {
    pub file: String,
    pub size: u64,
    pub budget: SizeBudget,
}

impl BudgetViolation {
    /// `assets/index-abc.js is 151.20 kB gzip, over its budget of 150.00 kB (assets/*.js)`.
    pub fn message(&self) -> String {
        let gzip = if self.budget.gzip { " gzipped" } else { "" };
        format!(
            "{} is {}{gzip}, over its budget of {} (build.budgets: \"{}\")",
            self.file,
            crate::compare::format_bytes(self.size as usize),
            crate::compare::format_bytes(self.budget.max_bytes as usize),
            self.budget.path
        )
    }
}

/// Every file over one of the budgets whose pattern it matches. A pattern that is not a
/// valid glob is an error naming it.
pub fn check(
    budgets: &[SizeBudget],
    files: &[MeasuredFile],
) -> Result<Vec<BudgetViolation>, String> {
    let matchers: Vec<(GlobMatcher, &SizeBudget)> = budgets
        .iter()
        .map(|budget| {
            Glob::new(&budget.path)
                .map(|glob| (glob.compile_matcher(), budget))
                .map_err(|err| format!("build.budgets: \"{}\" is not a glob: {err}", budget.path))
        })
        .collect::<Result<_, _>>()?;
    let mut violations = Vec::new();
    for file in files {
        for (matcher, budget) in &matchers {
            if !matches(matcher, &budget.path, file.name) {
                continue;
            }
            let size = if budget.gzip {
                file.gzip_bytes.unwrap_or(file.bytes)
            } else {
                file.bytes
            } as u64;
            if size > budget.max_bytes {
                violations.push(BudgetViolation {
                    file: file.name.to_string(),
                    size,
                    budget: (*budget).clone(),
                });
            }
        }
    }
    Ok(violations)
}

/// `*` must not cross `/` (globset's default lets it): `assets/*.js` is not `assets/x/y.js`.
fn matches(matcher: &GlobMatcher, pattern: &str, name: &str) -> bool {
    if !matcher.is_match(name) {
        return false;
    }
    pattern.contains("**") || pattern.matches('/').count() == name.matches('/').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(path: &str, max_bytes: u64, gzip: bool) -> SizeBudget {
        SizeBudget {
            path: path.into(),
            max_bytes,
            gzip,
        }
    }

    #[test]
    fn reports_files_over_their_budget() {
        let files = [
            MeasuredFile {
                name: "assets/index-a.js",
                bytes: 2000,
                gzip_bytes: Some(700),
            },
            MeasuredFile {
                name: "assets/small-b.js",
                bytes: 100,
                gzip_bytes: Some(90),
            },
            MeasuredFile {
                name: "assets/deep/x.js",
                bytes: 9000,
                gzip_bytes: Some(9000),
            },
            MeasuredFile {
                name: "index.html",
                bytes: 5000,
                gzip_bytes: Some(500),
            },
        ];
        let violations = check(
            &[
                budget("assets/*.js", 1000, false),
                budget("assets/*.js", 600, true),
            ],
            &files,
        )
        .unwrap();
        let found: Vec<_> = violations
            .iter()
            .map(|v| (v.file.as_str(), v.size))
            .collect();
        assert_eq!(
            found,
            vec![("assets/index-a.js", 2000), ("assets/index-a.js", 700)]
        );
        let message = violations[1].message();
        assert!(
            message.contains("assets/index-a.js is 700 B gzipped, over its budget of 600 B"),
            "{message}"
        );
        // `**` crosses folders.
        let deep = check(&[budget("**/*.js", 5000, false)], &files).unwrap();
        assert_eq!(deep.len(), 1);
        assert_eq!(deep[0].file, "assets/deep/x.js");
    }

    #[test]
    fn a_bad_glob_is_an_error() {
        let error = check(&[budget("assets/[.js", 1, false)], &[]).unwrap_err();
        assert!(error.contains("assets/[.js"), "{error}");
    }
}
