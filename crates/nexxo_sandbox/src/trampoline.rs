//! `nexxo __sandbox <policy json> -- <program> <args…>`: confine this process, then become the
//! program.

use std::ffi::OsString;
use std::io;
use std::process::Command;

use crate::{SandboxPolicy, STATUS_VARIABLE};

/// Exit status when the trampoline itself fails (bad arguments, ruleset refused, program not
/// executable), as a shell's "found but cannot execute".
const EXIT_CANNOT_RUN: i32 = 126;
/// Exit status when the program does not exist, as a shell's "command not found".
const EXIT_NOT_FOUND: i32 = 127;

/// The trampoline: `args` are the arguments after the subcommand name,
/// `<policy json> -- <program> <args…>`.
///
/// Sets `no_new_privs`, restricts this process with Landlock as the policy says (best effort:
/// on a kernel without Landlock nothing is restricted, which [`crate::landlock_status`] reports
/// to the parent), sets [`STATUS_VARIABLE`] and replaces this process with the program, which
/// keeps its pid, stdio, working directory and environment. Must run before this process starts
/// any thread: Landlock restricts the calling thread only.
///
/// Never returns: on failure it prints one line to stderr and exits with status 126 (127 when
/// the program does not exist). A ruleset that Landlock supports but refuses is a failure: the
/// program is never run with less confinement than the kernel can give.
pub fn run_trampoline(args: Vec<OsString>) -> ! {
    let error = match trampoline(args) {
        Ok(never) => match never {},
        Err(error) => error,
    };
    eprintln!("nexxo sandbox: {error}");
    std::process::exit(if error.kind() == io::ErrorKind::NotFound {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_RUN
    })
}

/// A parsed trampoline command line.
#[derive(Debug)]
struct Invocation {
    policy: SandboxPolicy,
    program: OsString,
    args: Vec<OsString>,
}

fn parse(args: Vec<OsString>) -> io::Result<Invocation> {
    let usage = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: nexxo __sandbox <policy json> -- <program> [args…]",
        )
    };
    let mut args = args.into_iter();
    let json = args.next().ok_or_else(usage)?;
    let json = json.to_str().ok_or_else(usage)?;
    if args.next().as_deref() != Some("--".as_ref()) {
        return Err(usage());
    }
    let program = args.next().ok_or_else(usage)?;
    Ok(Invocation {
        policy: SandboxPolicy::from_json(json)?,
        program,
        args: args.collect(),
    })
}

fn trampoline(args: Vec<OsString>) -> io::Result<std::convert::Infallible> {
    let invocation = parse(args)?;
    let status = confine(&invocation.policy)?;
    let mut command = Command::new(&invocation.program);
    command.args(&invocation.args).env(STATUS_VARIABLE, status);
    let error = exec(&mut command);
    let program = invocation.program.to_string_lossy();
    Err(match error.kind() {
        io::ErrorKind::PermissionDenied => io::Error::new(
            error.kind(),
            format!("cannot execute {program}: {error} (is it in the policy's `exec` list?)"),
        ),
        _ => io::Error::new(error.kind(), format!("cannot execute {program}: {error}")),
    })
}

/// Restricts this process; returns the value of [`STATUS_VARIABLE`].
#[cfg(target_os = "linux")]
fn confine(policy: &SandboxPolicy) -> io::Result<String> {
    use crate::landlock_rules::{restrict_self, Confinement};
    use crate::LandlockStatus;
    Ok(match restrict_self(policy)? {
        Confinement::Enforced => match crate::landlock_status() {
            LandlockStatus::Enforced { abi } => format!("landlock-abi-{abi}"),
            // Cannot happen (the ruleset was enforced), but the label must not lie either way.
            LandlockStatus::Unsupported { .. } => "landlock".to_string(),
        },
        Confinement::NotEnforced => "none".to_string(),
    })
}

#[cfg(not(target_os = "linux"))]
fn confine(_policy: &SandboxPolicy) -> io::Result<String> {
    Ok("none".to_string())
}

#[cfg(unix)]
fn exec(command: &mut Command) -> io::Error {
    use std::os::unix::process::CommandExt;
    command.exec()
}

/// Without `exec`, run the program as a child and pass its exit status on.
#[cfg(not(unix))]
fn exec(command: &mut Command) -> io::Error {
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(error) => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_policy_program_and_arguments() {
        let invocation = parse(os(&[
            r#"{"read":["/p"],"connect_tcp":[1]}"#,
            "--",
            "/usr/bin/node",
            "-e",
            "--",
            "x",
        ]))
        .unwrap();
        assert_eq!(invocation.policy.read, vec![std::path::PathBuf::from("/p")]);
        assert_eq!(invocation.policy.connect_tcp, vec![1]);
        assert_eq!(invocation.program, "/usr/bin/node");
        // Everything after the program is its own, a second `--` included.
        assert_eq!(invocation.args, os(&["-e", "--", "x"]));
    }

    #[test]
    fn refuses_malformed_command_lines() {
        for args in [
            os(&[]),
            os(&["{}"]),
            os(&["{}", "--"]),
            os(&["{}", "/usr/bin/node"]),
            os(&["{}", "-x", "/usr/bin/node"]),
            os(&["{bad json", "--", "/usr/bin/node"]),
        ] {
            let error = parse(args.clone()).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{args:?}");
        }
    }
}
