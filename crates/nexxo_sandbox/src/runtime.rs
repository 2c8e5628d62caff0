//! What the Node.js runtime needs to start inside the sandbox, found from its binary.
//!
//! Found by running Node 20 under `strace -f -e trace=%file` and then confined with each file
//! withheld in turn (see `docs/plugin-sandbox.md`): the kernel needs the binary and its ELF
//! interpreter, the interpreter needs the shared libraries, and Node's OpenSSL refuses to start
//! (exit 13, "OpenSSL configuration error") when its configuration file exists but cannot be
//! read. Everything else Node opens at startup has a fallback when refused: `/proc/self/maps`
//! (glibc's stack bounds; V8 still detects stack overflows), `/proc/self/cgroup` and the cgroup
//! memory limits (libuv: no limit), `/proc/meminfo` (`sysinfo` instead), `/etc/ld.so.cache`
//! (the loader searches its default folders), files an OpenSSL configuration `.include`s.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths by kind of access.
#[derive(Debug, Default)]
pub(crate) struct Runtime {
    pub exec: Vec<PathBuf>,
    pub read: Vec<PathBuf>,
}

pub(crate) fn node_runtime(node: &Path) -> io::Result<Runtime> {
    let node = std::fs::canonicalize(node)
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", node.display())))?;
    if !cfg!(target_os = "linux") {
        // No Landlock: the policy only feeds Node's permission flags, which need none of this.
        return Ok(Runtime {
            exec: vec![node],
            ..Runtime::default()
        });
    }
    let mut runtime = Runtime {
        exec: vec![node.clone()],
        ..Runtime::default()
    };
    // A statically linked binary has no interpreter and maps no libraries.
    if let Some(interpreter) = elf_interpreter(&node)? {
        let interpreter = std::fs::canonicalize(&interpreter).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!(
                    "{}'s interpreter {}: {err}",
                    node.display(),
                    interpreter.display()
                ),
            )
        })?;
        // The list names the interpreter too: it is in `exec`, which also allows reading it.
        let libraries = shared_libraries(&interpreter, &node)?;
        runtime.read.extend(
            libraries
                .into_iter()
                .filter(|library| *library != interpreter),
        );
        // The kernel opens the interpreter for execution when it execs Node.
        runtime.exec.push(interpreter);
    }
    if let Some(config) = openssl_config(&node, &runtime.read)? {
        runtime.read.push(config);
    }
    // Extra CA certificates Node loads at startup (a warning on stderr when it cannot): public
    // certificates, named by this process's environment.
    if let Some(certificates) = std::env::var_os("NODE_EXTRA_CA_CERTS") {
        runtime.read.push(PathBuf::from(certificates));
    }
    Ok(runtime)
}

/// The OpenSSL configuration file Node reads at startup: `$OPENSSL_CONF` when set (Node reads
/// the variable of the environment it runs in, normally inherited from this process), else
/// `openssl.cnf` in the `OPENSSLDIR` compiled into OpenSSL, found as the `OPENSSLDIR: "…"` text
/// OpenSSL keeps in its binary: Node's own when OpenSSL is built in, else the shared
/// `libcrypto` it links. A missing file is fine for Node; an unreadable one is not.
fn openssl_config(node: &Path, libraries: &[PathBuf]) -> io::Result<Option<PathBuf>> {
    if let Some(config) = std::env::var_os("OPENSSL_CONF") {
        return Ok(Some(PathBuf::from(config)));
    }
    let libcrypto = libraries.iter().filter(|library| {
        library
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("libcrypto"))
    });
    for binary in std::iter::once(&node.to_path_buf()).chain(libcrypto) {
        if let Some(dir) = compiled_openssl_dir(binary)? {
            return Ok(Some(dir.join("openssl.cnf")));
        }
    }
    Ok(None)
}

/// Bytes read at a time when looking for `OPENSSLDIR` (Node's binary is about 100 MB).
const CHUNK: usize = 4 << 20;

/// The path in the first `OPENSSLDIR: "<path>"` of `binary`.
fn compiled_openssl_dir(binary: &Path) -> io::Result<Option<PathBuf>> {
    const MARKER: &[u8] = b"OPENSSLDIR: \"";
    const MAX_PATH: usize = 4096;
    let finder = memchr::memmem::Finder::new(MARKER);
    let mut file = File::open(binary)?;
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + MARKER.len() + MAX_PATH);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = file.read(&mut chunk)?;
        window.extend_from_slice(&chunk[..read]);
        if let Some(at) = finder.find(&window) {
            let value = &window[at + MARKER.len()..];
            if let Some(end) = memchr::memchr(b'"', value) {
                return Ok(Some(path_from_bytes(value[..end].to_vec())));
            }
            if read == 0 || value.len() > MAX_PATH {
                return Ok(None);
            }
            // The closing quote is in the next chunk.
            continue;
        }
        if read == 0 {
            return Ok(None);
        }
        // Keep the tail: the marker may straddle two chunks.
        let keep = window.len().min(MARKER.len() - 1);
        window.drain(..window.len() - keep);
    }
}

/// The shared libraries `interpreter` (ld.so) maps for `binary`, as it lists them with
/// `--list` (what `ldd` runs; glibc's and musl's loaders both have it). Loads nothing of
/// `binary`'s own code.
fn shared_libraries(interpreter: &Path, binary: &Path) -> io::Result<Vec<PathBuf>> {
    let output = Command::new(interpreter)
        .arg("--list")
        .arg(binary)
        .output()
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot run {} --list: {err}", interpreter.display()),
            )
        })?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{} --list {} failed ({}): {}",
            interpreter.display(),
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(parse_library_list(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .filter_map(|library| std::fs::canonicalize(library).ok())
        .collect())
}

/// The absolute paths in ld.so's `--list` output:
/// `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`, `/lib64/ld-linux-x86-64.so.2 (0x…)`;
/// the vDSO (`linux-vdso.so.1 (0x…)`, no file) and `not found` lines give none.
fn parse_library_list(listing: &str) -> Vec<PathBuf> {
    listing
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once("=>") {
                Some((_, target)) => target.trim(),
                None => line,
            };
            let path = path
                .rsplit_once(" (0x")
                .map_or(path, |(path, _)| path)
                .trim();
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// `PT_INTERP` of an ELF executable: the dynamic loader the kernel starts it with. `None` for a
/// statically linked one.
fn elf_interpreter(binary: &Path) -> io::Result<Option<PathBuf>> {
    let not_elf = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not an ELF executable (pass the real Node binary: `node -p process.execPath`)",
                binary.display()
            ),
        )
    };
    let mut file = File::open(binary)?;
    let mut header = [0u8; 64];
    file.read_exact(&mut header).map_err(|_| not_elf())?;
    if &header[..4] != b"\x7fELF" {
        return Err(not_elf());
    }
    let elf = Elf::from_ident(header[4], header[5]).ok_or_else(not_elf)?;
    let (phoff, phentsize, phnum) = if elf.is_64 {
        (
            elf.u64(&header[0x20..]),
            elf.u16(&header[0x36..]),
            elf.u16(&header[0x38..]),
        )
    } else {
        (
            u64::from(elf.u32(&header[0x1c..])),
            elf.u16(&header[0x2a..]),
            elf.u16(&header[0x2c..]),
        )
    };
    let entry_size = if elf.is_64 { 56 } else { 32 };
    if usize::from(phentsize) < entry_size {
        return Err(not_elf());
    }
    let mut entry = vec![0u8; entry_size];
    for index in 0..u64::from(phnum) {
        let offset = index
            .checked_mul(u64::from(phentsize))
            .and_then(|relative| relative.checked_add(phoff))
            .ok_or_else(not_elf)?;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut entry).map_err(|_| not_elf())?;
        const PT_INTERP: u32 = 3;
        if elf.u32(&entry) != PT_INTERP {
            continue;
        }
        let (offset, size) = if elf.is_64 {
            (elf.u64(&entry[8..]), elf.u64(&entry[32..]))
        } else {
            (
                u64::from(elf.u32(&entry[4..])),
                u64::from(elf.u32(&entry[16..])),
            )
        };
        // A path, so PATH_MAX at most; anything longer is a broken file.
        if size == 0 || size > 4096 {
            return Err(not_elf());
        }
        let mut path = vec![0u8; size as usize];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut path).map_err(|_| not_elf())?;
        let end = path
            .iter()
            .position(|byte| *byte == 0)
            .unwrap_or(path.len());
        path.truncate(end);
        return Ok(Some(path_from_bytes(path)));
    }
    Ok(None)
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// Class and byte order of an ELF file.
struct Elf {
    is_64: bool,
    little_endian: bool,
}

impl Elf {
    fn from_ident(class: u8, data: u8) -> Option<Elf> {
        let is_64 = match class {
            1 => false,
            2 => true,
            _ => return None,
        };
        let little_endian = match data {
            1 => true,
            2 => false,
            _ => return None,
        };
        Some(Elf {
            is_64,
            little_endian,
        })
    }

    fn u16(&self, bytes: &[u8]) -> u16 {
        let raw = [bytes[0], bytes[1]];
        if self.little_endian {
            u16::from_le_bytes(raw)
        } else {
            u16::from_be_bytes(raw)
        }
    }

    fn u32(&self, bytes: &[u8]) -> u32 {
        let raw = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if self.little_endian {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        }
    }

    fn u64(&self, bytes: &[u8]) -> u64 {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes[..8]);
        if self.little_endian {
            u64::from_le_bytes(raw)
        } else {
            u64::from_be_bytes(raw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_glibc_and_musl_library_lists() {
        let glibc = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                     \tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f12)\n\
                     \tlibmissing.so.1 => not found\n\
                     \t/lib64/ld-linux-x86-64.so.2 (0x00007f34)\n";
        assert_eq!(
            parse_library_list(glibc),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libstdc++.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
        let musl = "\t/lib/ld-musl-x86_64.so.1 (0x7f00)\n\
                    \tlibgcc_s.so.1 => /usr/lib/libgcc_s.so.1 (0x7f01)\n";
        assert_eq!(
            parse_library_list(musl),
            vec![
                PathBuf::from("/lib/ld-musl-x86_64.so.1"),
                PathBuf::from("/usr/lib/libgcc_s.so.1")
            ]
        );
    }

    #[test]
    fn non_elf_and_truncated_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("node");
        std::fs::write(&script, "#!/bin/sh\nexec node \"$@\"\n").unwrap();
        assert_eq!(
            elf_interpreter(&script).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let truncated = dir.path().join("truncated");
        std::fs::write(&truncated, b"\x7fELF\x02\x01\x01").unwrap();
        assert_eq!(
            elf_interpreter(&truncated).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // A header whose program table points past the end of the file.
        let mut header = vec![0u8; 64];
        header[..6].copy_from_slice(b"\x7fELF\x02\x01");
        header[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        header[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        header[0x38..0x3a].copy_from_slice(&3u16.to_le_bytes());
        let bogus = dir.path().join("bogus");
        std::fs::write(&bogus, &header).unwrap();
        assert!(elf_interpreter(&bogus).is_err());
    }

    #[test]
    fn finds_the_openssl_folder_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        // First the marker straddles the first two chunks, then only the path does.
        let marker_length = "OPENSSLDIR: \"".len();
        for padding in [CHUNK - 3, CHUNK - marker_length - 2] {
            let mut bytes = vec![0u8; padding];
            bytes.extend_from_slice(b"OPENSSLDIR: \"/opt/ssl\"\0OPENSSLDIR: \"/second\"");
            let binary = dir.path().join("binary");
            std::fs::write(&binary, &bytes).unwrap();
            assert_eq!(
                compiled_openssl_dir(&binary).unwrap(),
                Some(PathBuf::from("/opt/ssl")),
                "padding {padding}"
            );
        }
        let without = dir.path().join("without");
        std::fs::write(&without, b"OPENSSLDIR: \"unterminated").unwrap();
        assert_eq!(compiled_openssl_dir(&without).unwrap(), None);
        std::fs::write(&without, b"no marker").unwrap();
        assert_eq!(compiled_openssl_dir(&without).unwrap(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn finds_the_interpreter_and_libraries_of_a_dynamic_executable() {
        // /bin/sh is a dynamically linked ELF on every Linux this runs on (glibc or musl).
        let sh = std::fs::canonicalize("/bin/sh").unwrap();
        let Some(interpreter) = elf_interpreter(&sh).unwrap() else {
            eprintln!("skipped: /bin/sh is statically linked here");
            return;
        };
        assert!(
            interpreter.is_absolute() && interpreter.exists(),
            "{interpreter:?}"
        );
        let runtime = node_runtime(&sh).unwrap();
        assert_eq!(runtime.exec[0], sh);
        assert_eq!(
            runtime.exec[1],
            std::fs::canonicalize(&interpreter).unwrap()
        );
        // Every shell links the C library.
        assert!(
            runtime.read.iter().any(|library| library
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("libc."))
                || library.to_string_lossy().contains("ld-musl")),
            "{:?}",
            runtime.read
        );
        assert!(runtime
            .read
            .iter()
            .all(|path| path.is_absolute() && path.exists()));
    }
}
