//! esbuild-style targets (`chrome107`, `safari16.4`) → lightningcss browser versions.
//! ES versions (`es2020`) name no browser, so they lower nothing in CSS (as in esbuild).

use lightningcss::targets::Browsers;

/// lightningcss encodes `major.minor.patch` as `major << 16 | minor << 8 | patch`.
fn encode(version: &str) -> Option<u32> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some(major << 16 | minor << 8 | patch)
}

pub fn browsers(targets: &[String]) -> Option<Browsers> {
    let mut browsers = Browsers::default();
    let mut any = false;
    for target in targets {
        let split = target
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(target.len());
        let (engine, version) = target.split_at(split);
        let Some(version) = encode(version) else {
            continue;
        };
        let slot = match engine {
            "chrome" => &mut browsers.chrome,
            "edge" => &mut browsers.edge,
            "firefox" => &mut browsers.firefox,
            "safari" => &mut browsers.safari,
            "ios" => &mut browsers.ios_saf,
            "opera" => &mut browsers.opera,
            "samsung" => &mut browsers.samsung,
            "android" => &mut browsers.android,
            "ie" => &mut browsers.ie,
            _ => continue,
        };
        // The oldest version of an engine decides what must be lowered.
        *slot = Some(slot.map_or(version, |existing| existing.min(version)));
        any = true;
    }
    any.then_some(browsers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_map_to_browsers() {
        let browsers =
            browsers(&["chrome107".into(), "safari16.4".into(), "es2020".into()]).unwrap();
        assert_eq!(browsers.chrome, Some(107 << 16));
        assert_eq!(browsers.safari, Some(16 << 16 | 4 << 8));
        assert!(super::browsers(&["es2020".into()]).is_none());
    }
}
