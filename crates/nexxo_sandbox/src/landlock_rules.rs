//! The Landlock ruleset built from a [`SandboxPolicy`] and applied to the calling thread.

use std::io;
use std::path::Path;

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, NetPort, PathBeneath, PathFd, PathFdError, Ruleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};

use crate::SandboxPolicy;

/// The newest Landlock ABI whose rights the ruleset handles. Every right of every ABI up to
/// this one is handled (denied unless a rule grants it); on an older kernel the landlock crate
/// drops what the kernel does not know (best effort) instead of failing. Rights beyond what
/// the policy grants: UDP (ABI 10) and connecting to pathname UNIX sockets (ABI 9) are denied
/// everywhere, which Node's startup does not need.
pub(crate) const NEWEST_ABI: ABI = ABI::V10;

/// How the ruleset took effect.
pub(crate) enum Confinement {
    /// The calling thread is now in a Landlock domain.
    Enforced,
    /// The kernel has no Landlock: nothing is confined.
    NotEnforced,
}

/// Builds the ruleset for `policy` and restricts the calling thread (and everything it execs
/// or starts afterwards) with it; sets `no_new_privs` first, which Landlock requires of
/// unprivileged callers and which also stops set-uid programs from gaining rights.
///
/// Paths that do not exist are skipped: they grant nothing.
pub(crate) fn restrict_self(policy: &SandboxPolicy) -> io::Result<Confinement> {
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(NEWEST_ABI))
        .and_then(|ruleset| ruleset.handle_access(AccessNet::from_all(NEWEST_ABI)))
        .and_then(|ruleset| ruleset.scope(Scope::from_all(NEWEST_ABI)))
        .and_then(|ruleset| ruleset.create())
        .map_err(|err| io::Error::other(format!("cannot create the Landlock ruleset: {err}")))?;

    for path in &policy.read {
        ruleset = add_path(ruleset, path, read_rights)?;
    }
    for path in &policy.write {
        ruleset = add_path(ruleset, path, write_rights)?;
    }
    for path in &policy.exec {
        ruleset = add_path(ruleset, path, exec_rights)?;
    }
    let ports = policy
        .connect_tcp
        .iter()
        .map(|port| NetPort::new(*port, AccessNet::ConnectTcp))
        .chain(
            policy
                .bind_tcp
                .iter()
                .map(|port| NetPort::new(*port, AccessNet::BindTcp)),
        );
    for port in ports {
        ruleset = ruleset
            .add_rule(port)
            .map_err(|err| io::Error::other(format!("cannot add a Landlock port rule: {err}")))?;
    }

    let status = ruleset
        .restrict_self()
        .map_err(|err| io::Error::other(format!("cannot enforce the Landlock ruleset: {err}")))?;
    Ok(match status.ruleset {
        RulesetStatus::NotEnforced => Confinement::NotEnforced,
        // Partially: the kernel's ABI is older than NEWEST_ABI, so some rights are not
        // handled (see `LandlockStatus`), but the domain is in place.
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Confinement::Enforced,
    })
}

fn add_path(
    ruleset: RulesetCreated,
    path: &Path,
    rights: fn(bool) -> BitFlags<AccessFs>,
) -> io::Result<RulesetCreated> {
    // O_PATH open, following symlinks: the rule is bound to the inode found now.
    let fd = match PathFd::new(path) {
        Ok(fd) => fd,
        Err(PathFdError::OpenCall { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(ruleset);
        }
        Err(err) => {
            return Err(io::Error::other(format!(
                "cannot open {} for a Landlock rule: {err}",
                path.display()
            )))
        }
    };
    let is_dir = path.is_dir();
    ruleset
        .add_rule(PathBeneath::new(fd, rights(is_dir)))
        .map_err(|err| {
            io::Error::other(format!(
                "cannot add a Landlock rule for {}: {err}",
                path.display()
            ))
        })
}

/// Open for reading; list folders. No execute.
fn read_rights(is_dir: bool) -> BitFlags<AccessFs> {
    if is_dir {
        AccessFs::ReadFile | AccessFs::ReadDir
    } else {
        AccessFs::ReadFile.into()
    }
}

/// Read, write, truncate; in folders also create and remove files, folders and symlinks, and
/// move them within the allowed trees (Refer). Not granted: execute, device files, FIFOs and
/// sockets, device ioctls, connecting to UNIX sockets.
fn write_rights(is_dir: bool) -> BitFlags<AccessFs> {
    let file = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate;
    if is_dir {
        file | AccessFs::ReadDir
            | AccessFs::RemoveDir
            | AccessFs::RemoveFile
            | AccessFs::MakeDir
            | AccessFs::MakeReg
            | AccessFs::MakeSym
            | AccessFs::Refer
    } else {
        file
    }
}

/// Execute, and read (the dynamic loader maps the file, a script's interpreter reads it).
fn exec_rights(is_dir: bool) -> BitFlags<AccessFs> {
    let file = AccessFs::Execute | AccessFs::ReadFile;
    if is_dir {
        file | AccessFs::ReadDir
    } else {
        file
    }
}
