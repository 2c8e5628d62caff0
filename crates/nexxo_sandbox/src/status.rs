//! Whether this kernel enforces Landlock, asked once.

use std::sync::OnceLock;

/// Whether the trampoline's Landlock confinement takes effect on this system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LandlockStatus {
    /// The kernel enforces Landlock with this ABI version (capped at the newest version this
    /// crate handles). ABI 1–3 confine the file system only, 4 and later also TCP ports, 6 and
    /// later also abstract UNIX sockets and signals.
    Enforced { abi: u8 },
    /// No Landlock: the trampoline runs the program unconfined, and only Node's permission
    /// model (if the caller adds [`crate::node_permission_args`]) restricts it.
    Unsupported { reason: String },
}

impl LandlockStatus {
    /// True when the kernel also confines TCP connect and bind (Landlock ABI 4, Linux 6.7).
    pub fn confines_tcp(&self) -> bool {
        matches!(self, LandlockStatus::Enforced { abi } if *abi >= 4)
    }
}

/// This system's Landlock support, asked of the kernel on the first call (one system call that
/// creates nothing) and remembered.
pub fn landlock_status() -> LandlockStatus {
    static STATUS: OnceLock<LandlockStatus> = OnceLock::new();
    STATUS.get_or_init(query).clone()
}

#[cfg(target_os = "linux")]
fn query() -> LandlockStatus {
    // `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)` returns the ABI
    // version, EOPNOTSUPP when Landlock is built in but not enabled at boot, ENOSYS when the
    // kernel has none (or a seccomp filter hides it).
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag the kernel reads no
    // memory from us and creates no file descriptor; the call only returns a number.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if version >= 1 {
        let newest_handled = crate::landlock_rules::NEWEST_ABI as i64;
        let abi = version.min(newest_handled);
        return LandlockStatus::Enforced {
            abi: u8::try_from(abi).unwrap_or(u8::MAX),
        };
    }
    let errno = std::io::Error::last_os_error();
    let reason = match errno.raw_os_error() {
        Some(libc::EOPNOTSUPP) => "Landlock is built into this kernel but not enabled at boot \
             (add `landlock` to the `lsm=` kernel parameter)"
            .to_string(),
        Some(libc::ENOSYS) => "this kernel has no Landlock (it needs Linux 5.13 or later built \
             with CONFIG_SECURITY_LANDLOCK), or a seccomp filter blocks it"
            .to_string(),
        _ => format!("the kernel refused to report its Landlock version: {errno}"),
    };
    LandlockStatus::Unsupported { reason }
}

#[cfg(not(target_os = "linux"))]
fn query() -> LandlockStatus {
    LandlockStatus::Unsupported {
        reason: "Landlock is a Linux feature".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_computed_once_and_stays_the_same() {
        assert_eq!(landlock_status(), landlock_status());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_enforced_status_matches_the_kernels_answer() {
        // Cross-checks the syscall wrapper against the landlock crate's own probe: the crate
        // creates a real ruleset only when the kernel supports Landlock.
        use landlock::{AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr};
        let crate_says_supported = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::Execute)
            .and_then(|ruleset| ruleset.create())
            .is_ok();
        match landlock_status() {
            LandlockStatus::Enforced { abi } => {
                assert!(abi >= 1);
                assert!(crate_says_supported);
            }
            LandlockStatus::Unsupported { reason } => {
                assert!(!reason.is_empty());
                assert!(!crate_says_supported);
            }
        }
    }
}
