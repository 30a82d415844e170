//! A password given on the command line (`-pSECRET`, `--password=SECRET`)
//! is hidden from the process list, as the mysql client does: once the
//! arguments are copied, the password's characters in the process's own
//! argument memory are overwritten with `x`, so `/proc/PID/cmdline` (what
//! `ps` shows) reads `-pxxxxxx`.
//!
//! This narrows the exposure, it does not remove it: between `exec` and
//! the overwrite (the first thing `main` does) the password is visible,
//! and it stays in the shell's history. `-p` alone (asks on the terminal),
//! an option file or `MYSQL_PWD` are the safe ways.
//!
//! Linux only: the argument area is `[arg_start, arg_end)` (fields 48 and
//! 49 of `/proc/self/stat`), the strings the kernel copied onto the initial
//! stack, which is writable memory of this process; the kernel reads
//! `/proc/PID/cmdline` from there. Elsewhere nothing is overwritten and the
//! caller is told why.

use std::ffi::OsString;

/// Where a command-line argument holds a password: the byte range of the
/// password inside the argument, if any. The same forms as
/// [`normalize_password_flag`](crate::args::normalize_password_flag):
/// `-pSECRET` (not `-p` alone, nor `-p-...`) and `--password=SECRET`.
pub fn password_range(arg: &[u8]) -> Option<std::ops::Range<usize>> {
    if let Some(rest) = arg.strip_prefix(b"--password=") {
        return (!rest.is_empty()).then(|| arg.len() - rest.len()..arg.len());
    }
    let rest = arg.strip_prefix(b"-p")?;
    (!rest.is_empty() && !rest.starts_with(b"-")).then_some(2..arg.len())
}

/// The byte ranges (within each argument) of the passwords in `args`,
/// before a `--` that ends the options. Element `i` is for `args[i]`.
fn password_ranges(args: &[Vec<u8>]) -> Vec<Option<std::ops::Range<usize>>> {
    let mut options = true;
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 || !options {
                return None;
            }
            if a == b"--" {
                options = false;
                return None;
            }
            password_range(a)
        })
        .collect()
}

/// The process's arguments, after hiding any password among them from the
/// process list (see the module documentation). When a password is there
/// but cannot be hidden, says so on stderr; the arguments are returned
/// either way.
pub fn args_hiding_passwords() -> Vec<OsString> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let bytes: Vec<Vec<u8>> = args.iter().map(os_bytes).collect();
    let ranges = password_ranges(&bytes);
    if ranges.iter().any(Option::is_some) {
        if let Err(why) = overwrite(&bytes, &ranges) {
            eprintln!(
                "myreplay: warning: the password on the command line stays visible in the \
                 process list: {why}"
            );
        }
    }
    args
}

#[cfg(unix)]
fn os_bytes(s: &OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &OsString) -> Vec<u8> {
    s.to_string_lossy().as_bytes().to_vec()
}

#[cfg(not(target_os = "linux"))]
fn overwrite(_: &[Vec<u8>], _: &[Option<std::ops::Range<usize>>]) -> Result<(), String> {
    Err("hiding it is only implemented on Linux".into())
}

/// Overwrites the password bytes in this process's argument area with `x`.
/// Refuses (changing nothing) unless the area is exactly the arguments as
/// the process got them, NUL-separated, inside a private writable mapping.
#[cfg(target_os = "linux")]
fn overwrite(args: &[Vec<u8>], ranges: &[Option<std::ops::Range<usize>>]) -> Result<(), String> {
    let stat =
        std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc/self/stat: {e}"))?;
    let (start, end) = arg_area(&stat)?;
    let maps =
        std::fs::read_to_string("/proc/self/maps").map_err(|e| format!("/proc/self/maps: {e}"))?;
    if !writable_mapping(&maps, start, end) {
        return Err(format!(
            "the argument area {start:#x}..{end:#x} is not in one writable mapping"
        ));
    }
    // The area as the kernel shows it: each argument followed by a NUL.
    let expected: Vec<u8> = args
        .iter()
        .flat_map(|a| a.iter().copied().chain([0]))
        .collect();
    if expected.len() != end - start {
        return Err(format!(
            "the argument area is {} bytes, the arguments {}",
            end - start,
            expected.len()
        ));
    }
    let base = start as *mut u8;
    // SAFETY: [start, end) lies inside one mapping of this process that is
    // readable and writable (checked in /proc/self/maps just above), so
    // every address in it may be read and written. It is the argument
    // strings on the initial stack: nothing else in the program owns it as a
    // Rust object (std keeps only raw `argv` pointers into it and copies the
    // strings when asked, which `args_hiding_passwords` did before). This
    // runs at the start of `main`, before any thread is spawned, so nothing
    // reads the area concurrently. Reads and writes go through raw pointers,
    // byte by byte, volatile (the writes have no effect the compiler can see).
    let current: Vec<u8> = (0..expected.len())
        .map(|i| unsafe { base.add(i).read_volatile() })
        .collect();
    if current != expected {
        return Err("the argument area does not hold the arguments (changed already?)".into());
    }
    let mut offset = 0;
    for (arg, range) in args.iter().zip(ranges) {
        if let Some(range) = range {
            for i in offset + range.start..offset + range.end {
                // SAFETY: as above; i < offset + arg.len() <= end - start.
                unsafe { base.add(i).write_volatile(b'x') };
            }
        }
        offset += arg.len() + 1;
    }
    Ok(())
}

/// `arg_start` and `arg_end` from the text of `/proc/self/stat` (fields 48
/// and 49, counted from 1; the second field, the command name in
/// parentheses, may itself hold spaces and parentheses: fields are counted
/// after its last `)`).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn arg_area(stat: &str) -> Result<(usize, usize), String> {
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or("/proc/self/stat: no command name")?;
    // `after` starts with field 3.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| -> Result<usize, String> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("/proc/self/stat has no field {n} (kernel older than 3.5?)"))
    };
    let (start, end) = (field(48)?, field(49)?);
    if start == 0 || end <= start {
        return Err(format!(
            "/proc/self/stat gives no argument area ({start}..{end})"
        ));
    }
    Ok((start, end))
}

/// Whether `[start, end)` is inside one mapping of `/proc/self/maps` that is
/// readable and writable.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn writable_mapping(maps: &str, start: usize, end: usize) -> bool {
    maps.lines().any(|line| {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            return false;
        };
        let Some((lo, hi)) = range.split_once('-') else {
            return false;
        };
        let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
        else {
            return false;
        };
        lo <= start && end <= hi && perms.starts_with("rw")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_forms() {
        assert_eq!(password_range(b"-pSECRET"), Some(2..8));
        assert_eq!(password_range(b"--password=pw"), Some(11..13));
        for not in [
            &b"-p"[..],
            b"--password",
            b"--password=",
            b"-p-x",
            b"-P3306",
            b"--port=1",
            b"plain",
        ] {
            assert_eq!(password_range(not), None, "{not:?}");
        }
        let args: Vec<Vec<u8>> = ["myreplay", "-pA", "-h", "x", "--", "-pB"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(
            password_ranges(&args),
            vec![None, Some(2..3), None, None, None, None]
        );
    }

    #[test]
    fn stat_fields() {
        // A command name with spaces and parentheses; fields 3.. as Linux 6.x.
        let mut stat = String::from("1234 (my (odd) name) S");
        for n in 4..=52 {
            stat.push_str(&format!(
                " {}",
                if n == 48 {
                    1000
                } else if n == 49 {
                    1100
                } else {
                    n
                }
            ));
        }
        assert_eq!(arg_area(&stat), Ok((1000, 1100)));
        assert!(arg_area("1 (x) S 1 2").is_err());
        let maps = "00400000-00452000 r-xp 00000000 08:02 1 /bin/x\n\
                    7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]\n";
        assert!(writable_mapping(maps, 0x7ffc1000, 0x7ffc1100));
        assert!(!writable_mapping(maps, 0x400100, 0x400200));
        assert!(!writable_mapping(maps, 0x7ffcff00, 0x7ffd0100));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_real_area_holds_the_arguments() {
        // The test binary's own arguments, unchanged (no password ranges).
        let args: Vec<Vec<u8>> = std::env::args_os().map(|a| os_bytes(&a)).collect();
        let ranges = vec![None; args.len()];
        assert_eq!(overwrite(&args, &ranges), Ok(()));
        let cmdline = std::fs::read("/proc/self/cmdline").unwrap();
        let expected: Vec<u8> = args
            .iter()
            .flat_map(|a| a.iter().copied().chain([0]))
            .collect();
        assert_eq!(cmdline, expected);
    }
}
