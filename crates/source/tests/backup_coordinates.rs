//! `read_backup` over the fixtures in testdata/backups/: the real output of
//! mariadb-backup 10.11, mydumper 0.10 and mariadb-dump 10.11 (made by
//! testdata/backups/generate.sh), and the documented forms of the tools that
//! do not run here. Every field of every result is checked.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use myreplay_source::backup::{read_backup, BackupCoordinates, BackupError, BackupTool};

const U1: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const U2: &str = "8c2b3c0e-5d6a-11ee-9f4a-0242ac110002";
const U3: &str = "f7a8b9c0-1111-11ef-8a2b-0242ac120002";

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/backups")
        .join(name)
}

/// The three-server MySQL set most hand-written fixtures hold.
fn set3() -> String {
    format!("{U1}:1-5,{U2}:1-1024:1026-2000,{U3}:1-3")
}

struct Want<'a> {
    tool: BackupTool,
    origin: PathBuf,
    line: Option<u64>,
    file: Option<&'a str>,
    position: Option<u64>,
    gtid: Option<&'a str>,
    gtid_line: Option<u64>,
}

fn check(path: &Path, want: Want<'_>) {
    let got = read_backup(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let want = BackupCoordinates {
        tool: want.tool,
        origin: want.origin,
        line: want.line,
        binlog_file: want.file.map(str::to_string),
        binlog_position: want.position,
        gtid_set: want.gtid.map(str::to_string),
        gtid_line: want.gtid_line,
    };
    assert_eq!(got, want, "{}", path.display());
}

fn error(path: &Path) -> BackupError {
    match read_backup(path) {
        Ok(c) => panic!("{}: expected an error, got {c:?}", path.display()),
        Err(e) => e,
    }
}

// ---- mariadb-backup and XtraBackup ----

#[test]
fn mariadb_backup_10_11_directory() {
    let dir = case("mariadb-backup-10.11");
    check(
        &dir,
        Want {
            tool: BackupTool::MariaBackup,
            origin: dir.join("xtrabackup_binlog_info"),
            line: Some(1),
            file: Some("binlog.000002"),
            position: Some(606),
            gtid: Some("0-1-4,2-1-1"),
            gtid_line: Some(1),
        },
    );
}

#[test]
fn mariadb_backup_10_11_info_file_given_alone() {
    let info = case("mariadb-backup-10.11/xtrabackup_info");
    check(
        &info,
        Want {
            tool: BackupTool::MariaBackup,
            origin: info.clone(),
            line: Some(11),
            file: Some("binlog.000002"),
            position: Some(606),
            gtid: Some("0-1-4,2-1-1"),
            gtid_line: Some(11),
        },
    );
}

#[test]
fn mariadb_backup_of_a_replica_gives_its_own_position_not_its_sources() {
    let dir = case("mariadb-backup-10.11-replica");
    check(
        &dir,
        Want {
            tool: BackupTool::MariaBackup,
            origin: dir.join("xtrabackup_binlog_info"),
            line: Some(1),
            file: Some("binlog.000001"),
            position: Some(1616),
            gtid: Some("0-1-4,2-1-1,5-2-2"),
            gtid_line: Some(1),
        },
    );
    let e = error(&dir.join("xtrabackup_slave_info"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    assert!(e.to_string().contains("xtrabackup_binlog_info"), "{e}");
}

#[test]
fn mariadb_backup_11_file_names() {
    let dir = case("mariadb-backup-11");
    check(
        &dir,
        Want {
            tool: BackupTool::MariaBackup,
            origin: dir.join("mariadb_backup_binlog_info"),
            line: Some(1),
            file: Some("mariadb-bin.000096"),
            position: Some(568),
            gtid: Some("0-1-2,1-2-7"),
            gtid_line: Some(1),
        },
    );
}

#[test]
fn xtrabackup_gtid_set_over_several_lines() {
    let dir = case("xtrabackup-8.0");
    check(
        &dir,
        Want {
            tool: BackupTool::XtraBackup,
            origin: dir.join("xtrabackup_binlog_info"),
            line: Some(1),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(1),
        },
    );
    // The binlog info file alone: the tool is still told by the info file.
    check(
        &dir.join("xtrabackup_binlog_info"),
        Want {
            tool: BackupTool::XtraBackup,
            origin: dir.join("xtrabackup_binlog_info"),
            line: Some(1),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(1),
        },
    );
}

#[test]
fn xtrabackup_info_when_the_binlog_info_file_is_missing() {
    let dir = case("xtrabackup-8.0-info-only");
    check(
        &dir,
        Want {
            tool: BackupTool::XtraBackup,
            origin: dir.join("xtrabackup_info"),
            line: Some(11),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(11),
        },
    );
}

#[test]
fn xtrabackup_without_gtids() {
    let dir = case("xtrabackup-8.0-no-gtid");
    check(
        &dir,
        Want {
            tool: BackupTool::XtraBackup,
            origin: dir.join("xtrabackup_binlog_info"),
            line: Some(1),
            file: Some("binlog.000003"),
            position: Some(157),
            gtid: None,
            gtid_line: None,
        },
    );
    check(
        &dir.join("xtrabackup_info"),
        Want {
            tool: BackupTool::XtraBackup,
            origin: dir.join("xtrabackup_info"),
            line: Some(11),
            file: Some("binlog.000003"),
            position: Some(157),
            gtid: None,
            gtid_line: None,
        },
    );
}

#[test]
fn xtrabackup_of_a_server_without_binlog() {
    let e = error(&case("xtrabackup-no-binlog"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    assert!(e.to_string().contains("binary logging"), "{e}");
}

// ---- mydumper ----

#[test]
fn mydumper_0_10_text_form() {
    let dir = case("mydumper-0.10");
    check(
        &dir,
        Want {
            tool: BackupTool::Mydumper,
            origin: dir.join("metadata"),
            line: Some(3),
            file: Some("binlog.000002"),
            position: Some(606),
            gtid: Some("0-1-4,2-1-1"),
            gtid_line: Some(5),
        },
    );
}

#[test]
fn mydumper_0_10_of_a_replica_skips_show_slave_status_after_the_masters() {
    let dir = case("mydumper-0.10-replica");
    check(
        &dir,
        Want {
            tool: BackupTool::Mydumper,
            origin: dir.join("metadata"),
            line: Some(3),
            file: Some("binlog.000001"),
            position: Some(1616),
            gtid: Some("0-1-4,2-1-1,5-2-2"),
            gtid_line: Some(5),
        },
    );
}

#[test]
fn mydumper_text_form_with_show_slave_status_first_and_wrapped_gtid_sets() {
    let meta = case("mydumper-0.10-slave-first/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(10),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(12),
        },
    );
}

#[test]
fn mydumper_with_only_a_replica_section() {
    let e = error(&case("mydumper-0.10-replica-only"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
}

/// Debian 12's mydumper 0.10 against MySQL 9.7 (over the socket or TCP,
/// caching_sha2_password): it dumps, exits 0 and writes this metadata, with
/// no coordinates, because its SHOW MASTER STATUS fails on MySQL 8.4+. The
/// refusal names that cause, not only privileges and binary logging.
#[test]
fn mydumper_0_10_of_mysql_9_7_without_coordinates_names_the_removed_show_master_status() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("metadata"),
        "Started dump at: 2026-12-01 22:59:20\nFinished dump at: 2026-12-01 22:59:20\n",
    )
    .unwrap();
    let e = error(dir.path());
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains("MySQL 8.4 or later"), "{text}");
    assert!(text.contains("SHOW BINARY LOG STATUS"), "{text}");
    assert!(text.contains("mysqldump --source-data=2"), "{text}");
}

#[test]
fn mydumper_that_did_not_finish() {
    let e = error(&case("mydumper-0.10-no-finish"));
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
    assert!(e.to_string().contains("Finished dump at:"), "{e}");

    let dir = case("mydumper-partial");
    let e = error(&dir);
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
    assert_eq!(e.path(), dir.join("metadata.partial"));
    let e = error(&dir.join("metadata.partial"));
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
}

#[test]
fn mydumper_partial_next_to_an_old_metadata_is_unfinished() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(case("mydumper-0.10/metadata"), tmp.path().join("metadata")).unwrap();
    std::fs::copy(
        case("mydumper-partial/metadata.partial"),
        tmp.path().join("metadata.partial"),
    )
    .unwrap();
    let e = error(tmp.path());
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
    assert!(e.to_string().contains("a later mydumper run"), "{e}");
}

#[test]
fn mydumper_0_14_master_section_with_a_wrapped_gtid_set() {
    let meta = case("mydumper-0.14-master/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(4),
            file: Some("mysql-bin.000017"),
            position: Some(241149225),
            gtid: Some(&format!("{U1}:1-147115,{U2}:1-61558")),
            gtid_line: Some(6),
        },
    );
}

#[test]
fn mydumper_0_17_source_section_with_the_old_keys() {
    let meta = case("mydumper-0.17-source/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(10),
            file: Some("mariadb-bin.000044"),
            position: Some(3344),
            gtid: Some("0-1-3344,1-1-17"),
            gtid_line: Some(12),
        },
    );
}

#[test]
fn mydumper_0_18_source_data_quoted_values() {
    let meta = case("mydumper-0.18-source-data/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(16),
            file: Some("binlog.000002"),
            position: Some(379),
            gtid: Some(&format!("{U1}:1-5,{U2}:1-1024:1026-2000")),
            gtid_line: Some(15),
        },
    );
}

#[test]
fn mydumper_0_20_1_source_section_without_coordinates_names_the_option() {
    let e = error(&case("mydumper-0.20.1-no-source-data"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("--source-data") && text.contains("line 8"),
        "{e}"
    );
}

#[test]
fn mydumper_0_21_commented_source_lines() {
    let meta = case("mydumper-0.21-commented/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(15),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(14),
        },
    );
}

#[test]
fn mydumper_0_21_auto_position_written_gtid_and_commented_file() {
    let meta = case("mydumper-0.21-source-data-auto-position/metadata");
    check(
        &meta,
        Want {
            tool: BackupTool::Mydumper,
            origin: meta.clone(),
            line: Some(8),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&format!("{U1}:1-5")),
            gtid_line: Some(15),
        },
    );
}

// ---- mysqldump and mariadb-dump ----

#[test]
fn mariadb_dump_10_11_all_databases_gtid_at_the_end() {
    let dump = case("mariadb-dump-10.11/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(28),
            file: Some("binlog.000002"),
            position: Some(606),
            gtid: Some("0-1-4,2-1-1"),
            gtid_line: Some(70),
        },
    );
}

#[test]
fn mariadb_dump_10_11_master_data_1() {
    let dump = case("mariadb-dump-10.11-master-data-1/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(28),
            file: Some("binlog.000002"),
            position: Some(606),
            gtid: Some("0-1-4,2-1-1"),
            gtid_line: Some(70),
        },
    );
}

#[test]
fn mariadb_dump_10_11_of_a_replica_with_both_positions() {
    let dump = case("mariadb-dump-10.11-replica-both/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(28),
            file: Some("binlog.000001"),
            position: Some(1616),
            gtid: Some("5-2-2,2-1-1,0-1-4"),
            gtid_line: Some(108),
        },
    );
}

#[test]
fn mariadb_dump_10_11_without_comments_keeps_the_order() {
    let dump = case("mariadb-dump-10.11-skip-comments/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(14),
            file: Some("binlog.000001"),
            position: Some(1616),
            gtid: Some("5-2-2,2-1-1,0-1-4"),
            gtid_line: Some(56),
        },
    );
}

#[test]
fn mariadb_dump_10_11_dump_slave_only_is_another_servers_position() {
    let e = error(&case("mariadb-dump-10.11-dump-slave/dump.sql"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("--dump-slave") && text.contains("binlog.000002 at 606"),
        "{e}"
    );
}

#[test]
fn a_dump_cut_short_is_unfinished() {
    let e = error(&case("mariadb-dump-10.11-cut/dump.sql"));
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
    assert!(e.to_string().contains("-- Dump completed"), "{e}");
}

#[test]
fn mysqldump_8_0_source_data_and_multiline_gtid_purged() {
    let dump = case("mysqldump-8.0/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(32),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(24),
        },
    );
}

#[test]
fn mysqldump_5_7_master_data_1() {
    let dump = case("mysqldump-5.7/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(31),
            file: Some("mysql-bin.000003"),
            position: Some(70606941),
            gtid: Some(&format!("{U1}:1-7125653,{U2}:1-8500511")),
            gtid_line: Some(24),
        },
    );
}

#[test]
fn mysqldump_dump_slave_keeps_only_the_servers_own_gtid_set() {
    let dump = case("mysqldump-8.0-dump-slave/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(24),
            file: None,
            position: None,
            gtid: Some(&format!("{U1}:1-5,{U3}:1-99")),
            gtid_line: Some(24),
        },
    );
}

#[test]
fn mysqldump_8_4_commented_gtid_purged_over_two_lines() {
    let dump = case("mysqldump-8.4-commented-gtid/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(31),
            file: Some("binlog.000002"),
            position: Some(1610),
            gtid: Some(&format!("{U1}:1-38,{U2}:1-2")),
            gtid_line: Some(24),
        },
    );
}

#[test]
fn statement_text_in_data_and_routines_is_not_taken() {
    let dump = case("mysqldump-traps/dump.sql");
    check(
        &dump,
        Want {
            tool: BackupTool::Mysqldump,
            origin: dump.clone(),
            line: Some(20),
            file: Some("mariadb-bin.000007"),
            position: Some(2212),
            gtid: Some("0-1-2212"),
            gtid_line: Some(59),
        },
    );
}

#[test]
fn mysqldump_without_master_data() {
    let e = error(&case("mysqldump-no-master-data/dump.sql"));
    assert!(matches!(e, BackupError::NoCoordinates { .. }), "{e}");
    assert!(e.to_string().contains("--master-data"), "{e}");
}

#[test]
fn compressed_dumps_are_refused_with_the_way_to_decompress() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("dump.sql.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    let e = error(&gz);
    assert!(matches!(e, BackupError::NotABackup { .. }), "{e}");
    assert!(e.to_string().contains("gunzip"), "{e}");
}

// ---- MySQL Shell ----

#[test]
fn mysql_shell_dump() {
    let dir = case("mysqlsh-8.0");
    check(
        &dir,
        Want {
            tool: BackupTool::MysqlShell,
            origin: dir.join("@.json"),
            line: Some(28),
            file: Some("binlog.000012"),
            position: Some(1289),
            gtid: Some(&set3()),
            gtid_line: Some(30),
        },
    );
}

#[test]
fn mysql_shell_8_0_21_records_no_binlog_position() {
    let dir = case("mysqlsh-8.0.21-no-binlog-position");
    check(
        &dir.join("@.json"),
        Want {
            tool: BackupTool::MysqlShell,
            origin: dir.join("@.json"),
            line: Some(28),
            file: None,
            position: None,
            gtid: Some(&format!("{U1}:1-5")),
            gtid_line: Some(28),
        },
    );
}

#[test]
fn mysql_shell_dump_without_done_json_is_unfinished() {
    let e = error(&case("mysqlsh-unfinished"));
    assert!(matches!(e, BackupError::Unfinished { .. }), "{e}");
    assert!(e.to_string().contains("@.done.json"), "{e}");
}

#[test]
fn mysql_shell_dump_without_consistency_is_refused() {
    let e = error(&case("mysqlsh-inconsistent"));
    assert!(matches!(e, BackupError::Inconsistent { .. }), "{e}");
}

// ---- what is not a backup ----

#[test]
fn a_directory_without_backup_files_lists_what_was_looked_for() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "hello").unwrap();
    let e = error(tmp.path());
    assert!(matches!(e, BackupError::NotABackup { .. }), "{e}");
    let text = e.to_string();
    for name in [
        "@.json",
        "xtrabackup_binlog_info",
        "mariadb_backup_binlog_info",
        "metadata",
    ] {
        assert!(text.contains(name), "{name} not named: {e}");
    }
}

#[test]
fn a_missing_path_is_an_io_error() {
    let e = error(&case("no-such-backup"));
    assert!(matches!(e, BackupError::Io { .. }), "{e}");
}

// ---- a large dump, read in bounded memory ----

/// Counts the bytes the current thread holds from the allocator, and the
/// most it held since the last reset.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note(grow: usize, shrink: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(grow).saturating_sub(shrink);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size(), 0);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        note(0, layout.size());
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            note(new_size, layout.size());
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_200_mb_dump_with_long_lines_is_read_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.sql");
    {
        let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(
            out,
            "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
        )
        .unwrap();
        writeln!(
            out,
            "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000042', MASTER_LOG_POS=1048576;"
        )
        .unwrap();
        let row = "(1,'".to_string() + &"x".repeat(4 * 1024 * 1024) + "')";
        for _ in 0..50 {
            writeln!(out, "INSERT INTO `t` VALUES {row};").unwrap();
        }
        writeln!(out, "-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows").unwrap();
        writeln!(out, "-- SET GLOBAL gtid_slave_pos='0-1-987654';").unwrap();
        writeln!(out, "-- Dump completed on 2024-06-12  3:10:44").unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 200 * 1000 * 1000);

    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let got = read_backup(&path).unwrap();
    let peak = PEAK.with(Cell::get) - before;

    assert_eq!(
        got,
        BackupCoordinates {
            tool: BackupTool::Mysqldump,
            origin: path.clone(),
            line: Some(2),
            binlog_file: Some("binlog.000042".to_string()),
            binlog_position: Some(1048576),
            gtid_set: Some("0-1-987654".to_string()),
            gtid_line: Some(54),
        }
    );
    // The reader's 64 KiB buffer, one line's first 16 KiB, and small change.
    assert!(
        peak < 256 * 1024,
        "reading the dump held {peak} bytes at once"
    );
}
