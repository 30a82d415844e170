//! Which tool wrote a backup: by the files a directory holds, or by a
//! file's name and first bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::xtrabackup::{BINLOG_INFO_FILES, CHECKPOINT_FILES, INFO_FILES, SLAVE_INFO_FILES};
use super::{mydumper, mysqlsh, sqldump, xtrabackup, BackupCoordinates, BackupError};

/// Reads a backup directory, the most exact source first.
pub(super) fn read_dir(dir: &Path) -> Result<BackupCoordinates, BackupError> {
    let has = |name: &str| dir.join(name).is_file();
    if has("@.json") || has("@.done.json") {
        return mysqlsh::read(&dir.join("@.json"));
    }
    let physical = BINLOG_INFO_FILES
        .iter()
        .chain(&INFO_FILES)
        .chain(&CHECKPOINT_FILES);
    if physical.clone().any(|n| has(n)) {
        return xtrabackup::read_dir(dir);
    }
    if has("metadata") || has("metadata.partial") {
        return mydumper::read_dir(dir);
    }
    // mydumper --daemon: snapshots in 0/ and 1/, `last_dump` the newest.
    let last = dir.join("last_dump");
    if last.join("metadata").is_file() || last.join("metadata.partial").is_file() {
        return mydumper::read_dir(&last);
    }
    let looked_for: Vec<&str> = ["@.json"]
        .into_iter()
        .chain(physical.copied())
        .chain(["metadata", "metadata.partial"])
        .collect();
    Err(BackupError::NotABackup {
        path: dir.to_path_buf(),
        reason: format!(
            "none of the files a backup tool writes is here (looked for {}); for a mysqldump or mariadb-dump backup, give the .sql file itself",
            looked_for.join(", ")
        ),
    })
}

/// Reads one backup file: by its name, else by what it starts with.
pub(super) fn read_file(path: &Path) -> Result<BackupCoordinates, BackupError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match name.as_str() {
        "@.json" => return mysqlsh::read(path),
        "@.done.json" => return mysqlsh::read(&dir.join("@.json")),
        "metadata" | "metadata.partial" => return mydumper::read_dir(dir),
        n if BINLOG_INFO_FILES.contains(&n) || INFO_FILES.contains(&n) => {
            return xtrabackup::read_file(path, n)
        }
        n if CHECKPOINT_FILES.contains(&n) => return xtrabackup::read_dir(dir),
        n if SLAVE_INFO_FILES.contains(&n) => {
            return Err(BackupError::NoCoordinates {
                path: path.to_path_buf(),
                reason: format!(
                    "{n} holds the position in the binlogs of the backed-up replica's source, another server; the backed-up server's own position is in {} next to it: give the backup directory",
                    BINLOG_INFO_FILES.join(" / ")
                ),
            })
        }
        _ => {}
    }
    let mut head = [0u8; 64];
    let n = read_head(path, &mut head)?;
    let head = &head[..n];
    if let Some(how) = compression(head) {
        return Err(BackupError::NotABackup {
            path: path.to_path_buf(),
            reason: format!(
                "it is {how}; decompress it first (keeping the original) and give the .sql file"
            ),
        });
    }
    if head.starts_with(b"\xfebin") {
        return Err(BackupError::NotABackup {
            path: path.to_path_buf(),
            reason: "it is a binlog, not a backup; give the backup the replay starts from"
                .to_string(),
        });
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start();
    if text.starts_with("Started dump at:") || text.starts_with("# Started dump at:") {
        return mydumper::read_file(path);
    }
    if text.starts_with('{') {
        return mysqlsh::read(path);
    }
    sqldump::read(path)
}

fn read_head(path: &Path, buf: &mut [u8]) -> Result<usize, BackupError> {
    let mut file = File::open(path).map_err(BackupError::io(path))?;
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BackupError::io(path)(e)),
        }
    }
    Ok(n)
}

/// The compression a file starts with, as advice on how to undo it.
fn compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("compressed with gzip (gunzip -k FILE)")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("compressed with zstd (zstd -d FILE)")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("compressed with xz (xz -dk FILE)")
    } else if head.starts_with(b"BZh") {
        Some("compressed with bzip2 (bunzip2 -k FILE)")
    } else {
        None
    }
}
