//! Whether the page's error overlay is showing an error, and which `<link>`ed stylesheets keep
//! it up. Module errors are known from the module graph; a linked stylesheet is not a module,
//! so its failures are remembered here.

use std::collections::HashSet;
use std::sync::Mutex;

use nexxo_dev_modules::lock;

#[derive(Default)]
pub struct OverlayState {
    /// Whether the last compile left an error on screen.
    error_shown: Mutex<bool>,
    /// `<link>`ed stylesheets (URL paths) whose last compile failed: the overlay stays until
    /// all of them compile again.
    broken_links: Mutex<HashSet<String>>,
}

impl OverlayState {
    /// An error was sent to the pages.
    pub fn error_shown(&self) {
        *lock(&self.error_shown) = true;
    }

    /// Marks the overlay hidden; returns whether it was showing (an `error-cleared` is due).
    pub fn take_shown(&self) -> bool {
        std::mem::replace(&mut *lock(&self.error_shown), false)
    }

    pub fn link_broken(&self, url_path: &str) {
        lock(&self.broken_links).insert(url_path.to_string());
    }

    /// `url_path` compiled again; returns whether another linked stylesheet is still broken.
    pub fn link_fixed(&self, url_path: &str) -> bool {
        let mut broken = lock(&self.broken_links);
        broken.remove(url_path);
        !broken.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_stays_while_any_linked_stylesheet_is_broken() {
        let overlay = OverlayState::default();
        overlay.link_broken("/a.css");
        overlay.link_broken("/b.css");
        overlay.error_shown();
        assert!(overlay.link_fixed("/a.css"));
        assert!(!overlay.link_fixed("/b.css"));
        assert!(overlay.take_shown());
        assert!(!overlay.take_shown());
    }
}
