//! Finding and ordering binlogs, and where a recovery starts in them, on
//! the MariaDB fixtures written by a real server (testdata/mariadb: five
//! files, GTIDs 0-1-1 to 0-1-69 and one in domain 2, 2-1-1, in file 3).

use std::path::{Path, PathBuf};

use myreplay_binlog::{GtidSet, ReaderOptions};
use myreplay_source::{plan_start, BinlogLocation, BinlogSet, SourceError, StartRequest};

fn fixture(n: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/mariadb/binlog.{n:06}"))
}

/// A directory holding copies of fixtures `numbers`, like a datadir.
fn dir_with(numbers: &[u32]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for &n in numbers {
        std::fs::copy(fixture(n), dir.path().join(format!("binlog.{n:06}"))).unwrap();
    }
    dir
}

fn discover(dir: &Path) -> Result<BinlogSet, SourceError> {
    BinlogSet::discover(
        &BinlogLocation::Dir(dir.to_path_buf()),
        ReaderOptions::default(),
    )
}

fn from_gtid(set: &BinlogSet, gtid: &str) -> Result<myreplay_source::RecoveryStart, SourceError> {
    let request = StartRequest {
        start_gtid: Some(gtid.parse::<GtidSet>().unwrap()),
        ..StartRequest::default()
    };
    plan_start(set, &request, ReaderOptions::default())
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_datadir_gives_its_binlogs_in_order_and_leaves_the_rest_alone() {
    let dir = dir_with(&[3, 1, 5, 2, 4]);
    let d = dir.path();
    std::fs::write(d.join("binlog.index"), "./binlog.000001\n").unwrap();
    std::fs::write(d.join("aria_log.00000001"), b"not a binlog at all").unwrap();
    std::fs::write(d.join("binlog.000001.idx"), b"gtid index").unwrap();
    std::fs::write(d.join("ibdata1"), b"innodb").unwrap();
    // Modification times in reverse order: they play no part.
    for n in 1..=5u64 {
        let f = std::fs::File::options()
            .write(true)
            .open(d.join(format!("binlog.{n:06}")))
            .unwrap();
        let t = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(2_000_000_000 - n * 3600);
        f.set_modified(t).unwrap();
    }
    let set = discover(d).unwrap();
    let got: Vec<&str> = set.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        got,
        [
            "binlog.000001",
            "binlog.000002",
            "binlog.000003",
            "binlog.000004",
            "binlog.000005"
        ]
    );
    assert_eq!(
        set.files[1].start_state.as_ref().unwrap().to_string(),
        "0-1-12"
    );
    assert_eq!(set.files[0].rotate_to.as_deref(), Some("binlog.000002"));
    let f2 = &set.files[1];
    assert_eq!(
        f2.first
            .as_ref()
            .unwrap()
            .gtid
            .as_ref()
            .unwrap()
            .to_string(),
        "0-1-13"
    );
    assert_eq!(
        f2.last.as_ref().unwrap().gtid.as_ref().unwrap().to_string(),
        "0-1-22"
    );
    assert_eq!(f2.transactions, 10);
    let left: Vec<String> = set
        .left_out
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(left.contains(&"aria_log.00000001".to_string()), "{left:?}");
    assert!(left.contains(&"binlog.000001.idx".to_string()), "{left:?}");
}

#[test]
fn relay_logs_and_innodb_binlogs_mixed_in_are_refused_naming_them() {
    let dir = dir_with(&[1, 2]);
    std::fs::copy(fixture(1), dir.path().join("relay-bin.000001")).unwrap();
    let e = discover(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("several names") && e.contains("relay-bin.* (1 files)"),
        "{e}"
    );

    let dir = dir_with(&[1]);
    std::fs::write(dir.path().join("binlog-000000.ibb"), b"x").unwrap();
    let e = discover(dir.path()).unwrap_err().to_string();
    assert!(e.contains(".ibb"), "{e}");

    let e = BinlogSet::discover(
        &BinlogLocation::Files(vec![fixture(1), PathBuf::from("binlog.000002.idx")]),
        ReaderOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("GTID index"), "{e}");
}

#[test]
fn an_index_file_lists_the_binlogs_relative_to_its_directory() {
    let dir = dir_with(&[1, 2, 3]);
    let index = dir.path().join("binlog.index");
    std::fs::write(&index, "./binlog.000002\n./binlog.000003\n").unwrap();
    let set = BinlogSet::discover(
        &BinlogLocation::Index(index.clone()),
        ReaderOptions::default(),
    )
    .unwrap();
    assert_eq!(set.files.len(), 2);
    std::fs::write(&index, "./binlog.000002\n./binlog.000009\n").unwrap();
    let e = BinlogSet::discover(&BinlogLocation::Index(index), ReaderOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("binlog.000009") && e.contains("does not exist"),
        "{e}"
    );
}

#[test]
fn a_gtid_state_skips_the_files_it_holds_and_filters_the_boundary_file() {
    let dir = dir_with(&[1, 2, 3, 4, 5]);
    let set = discover(dir.path()).unwrap();
    // Inside file 2 (0-1-13..0-1-22).
    let start = from_gtid(&set, "0-1-15,2-0-0").unwrap();
    assert_eq!(
        names(&start.files),
        [
            "binlog.000002",
            "binlog.000003",
            "binlog.000004",
            "binlog.000005"
        ]
    );
    assert_eq!(start.skipped, 1);
    assert_eq!(start.start_position, None);
    assert_eq!(
        start.start_state.as_ref().unwrap().to_string(),
        "0-1-15,2-0-0"
    );
    // The last GTID of file 2: file 3 holds domain 2, which 0-1-22 does not name.
    let e = from_gtid(&set, "0-1-22").unwrap_err();
    assert!(matches!(e, SourceError::StartState { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("domain 2") && e.contains("--start-gtid 0-1-22,2-0-0"),
        "{e}"
    );
    let start = from_gtid(&set, "0-1-22,2-0-0").unwrap();
    assert_eq!(names(&start.files)[0], "binlog.000003");
    // Everything: nothing to read.
    let start = from_gtid(&set, "0-1-69,2-1-1").unwrap();
    assert!(start.files.is_empty(), "{:?}", start.files);
    assert!(
        start.reason.contains("nothing to apply"),
        "{}",
        start.reason
    );
}

#[test]
fn binlogs_that_do_not_reach_back_to_the_start_state_are_a_gap() {
    let dir = dir_with(&[3, 4, 5]);
    let set = discover(dir.path()).unwrap();
    let e = from_gtid(&set, "0-1-15").unwrap_err();
    assert!(matches!(e, SourceError::Gap { .. }), "{e}");
    assert!(
        e.to_string().contains("binlog.000003 starts after 0-1-22"),
        "{e}"
    );
    // From the file's own start state on, there is no gap.
    assert!(from_gtid(&set, "0-1-22,2-0-0").is_ok());
}

#[test]
fn a_start_state_past_the_binlogs_end_is_a_backup_newer_than_the_binlogs() {
    let dir = dir_with(&[1, 2, 3]);
    let set = discover(dir.path()).unwrap();
    let e = from_gtid(&set, "0-1-65,2-1-1").unwrap_err();
    assert!(matches!(e, SourceError::BackupNewer { .. }), "{e}");
    assert!(e.to_string().contains("0-1-65"), "{e}");
}

#[test]
fn a_missing_file_between_two_is_a_gap_unless_accepted() {
    let dir = dir_with(&[1, 2, 4, 5]);
    let set = discover(dir.path()).unwrap();
    let e = from_gtid(&set, "0-1-5,2-0-0").unwrap_err();
    assert!(matches!(e, SourceError::Gap { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("ROTATE to binlog.000003") && e.contains("--allow-gap"),
        "{e}"
    );
    let request = StartRequest {
        start_gtid: Some("0-1-5,2-0-0".parse().unwrap()),
        allow_gap: true,
        ..StartRequest::default()
    };
    let start = plan_start(&set, &request, ReaderOptions::default()).unwrap();
    assert!(
        start
            .warnings
            .iter()
            .any(|w| w.contains("accepted: --allow-gap")),
        "{:?}",
        start.warnings
    );
}

#[test]
fn a_mysql_set_for_mariadb_binlogs_is_refused() {
    let dir = dir_with(&[1]);
    let set = discover(dir.path()).unwrap();
    let e = from_gtid(&set, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5").unwrap_err();
    assert!(e.to_string().contains("MySQL GTID set"), "{e}");
}

#[test]
fn a_position_start_checks_the_file_and_the_boundary_before_anything_is_read() {
    let dir = dir_with(&[2, 3]);
    let set = discover(dir.path()).unwrap();
    let request = |pos| StartRequest {
        start_position: Some(pos),
        ..StartRequest::default()
    };
    let start = plan_start(&set, &request(379), ReaderOptions::default()).unwrap();
    assert_eq!(start.start_position, Some(379));
    assert_eq!(start.files.len(), 2);
    let e = plan_start(&set, &request(380), ReaderOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not an event boundary"), "{e}");
    let e = plan_start(&set, &request(1 << 30), ReaderOptions::default()).unwrap_err();
    assert!(matches!(e, SourceError::BackupNewer { .. }), "{e}");
}

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/mysql-binlogs")
        .join(name)
}

fn mysql_set(files: &[&str]) -> BinlogSet {
    BinlogSet::discover(
        &BinlogLocation::Files(files.iter().map(|f| shared(f)).collect()),
        ReaderOptions::default(),
    )
    .unwrap()
}

#[test]
fn mysql_sets_decide_by_membership_not_by_text() {
    // MySQL 5.6: 006c2cf2-...:1, :2, :3, an empty PREVIOUS_GTIDS.
    let set = mysql_set(&["binlog_transaction_with_GTID.000001"]);
    let uuid = "006c2cf2-b1ea-11e4-9057-8c705a3d3e78";
    let start = from_gtid(&set, &format!("{uuid}:1")).unwrap();
    assert_eq!(start.files.len(), 1);
    let state = start.start_state.unwrap();
    assert!(state.contains(&format!("{uuid}:1").parse().unwrap()));
    assert!(!state.contains(&format!("{uuid}:2").parse().unwrap()));
    // The same set written two ways: held wholly, nothing to read.
    for all in [
        format!("{uuid}:1-3"),
        format!("{uuid}:3:1-2"),
        format!("{}:1-2,\n{uuid}:3", uuid.to_uppercase()),
    ] {
        let start = from_gtid(&set, &all).unwrap();
        assert!(start.files.is_empty(), "{all}");
    }
    // Another server's GTIDs in the state play no part, and say so.
    let other = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100";
    let start = from_gtid(&set, &format!("{uuid}:1-2,{other}")).unwrap();
    assert_eq!(start.files.len(), 1);
    assert!(
        start.warnings.iter().any(|w| w.contains("3e11fa47")),
        "{:?}",
        start.warnings
    );
    // Past the binlogs' end.
    let e = from_gtid(&set, &format!("{uuid}:1-5")).unwrap_err();
    assert!(matches!(e, SourceError::BackupNewer { .. }), "{e}");
    // A gap in the middle of the state: transaction 2 is not held, so it is read.
    let start = from_gtid(&set, &format!("{uuid}:1:3")).unwrap();
    assert_eq!(start.files.len(), 1);
}

#[test]
fn tagged_gtids_are_their_own_source() {
    let set = mysql_set(&["binlog_transaction_with_GTID_TAG.000001"]);
    let f = &set.files[0];
    let before = f.start_state.clone().unwrap();
    let uuid = "55778904-0299-11f1-b1b8-4ef0c4956feb";
    // The untagged GTIDs of the same UUID do not hold the tagged one.
    let start = from_gtid(&set, &before.to_string()).unwrap();
    assert_eq!(start.files.len(), 1, "{}", before);
    let mut all = before.clone();
    all.insert(&format!("{uuid}:mytag:3").parse().unwrap());
    assert!(from_gtid(&set, &all.to_string()).unwrap().files.is_empty());
}

#[test]
fn transactions_without_gtids_cannot_be_started_by_a_gtid_state() {
    let set = mysql_set(&["binlog_transaction_with_anonymous_GTID.000001"]);
    assert!(set.files[0].without_gtid > 0);
    let e = from_gtid(&set, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1").unwrap_err();
    assert!(matches!(e, SourceError::StartState { .. }), "{e}");
    assert!(e.to_string().contains("without a GTID"), "{e}");
}

fn backup(file: &str, pos: u64, gtid: Option<&str>) -> myreplay_source::backup::BackupCoordinates {
    myreplay_source::backup::BackupCoordinates {
        tool: myreplay_source::backup::BackupTool::MariaBackup,
        origin: PathBuf::from("/backups/full/xtrabackup_binlog_info"),
        line: Some(1),
        binlog_file: Some(file.into()),
        binlog_position: Some(pos),
        gtid_set: gtid.map(str::to_string),
        gtid_line: gtid.map(|_| 1),
    }
}

fn from_backup(
    set: &BinlogSet,
    b: myreplay_source::backup::BackupCoordinates,
) -> Result<myreplay_source::RecoveryStart, SourceError> {
    let request = StartRequest {
        backup: Some(b),
        ..StartRequest::default()
    };
    plan_start(set, &request, ReaderOptions::default())
}

#[test]
fn a_backup_whose_position_and_gtid_set_agree_says_nothing_more() {
    let dir = dir_with(&[1, 2, 3, 4, 5]);
    let set = discover(dir.path()).unwrap();
    // 379 is right after file 2's header events: the state there is 0-1-12.
    let start = from_backup(&set, backup("binlog.000002", 379, Some("0-1-12"))).unwrap();
    assert_eq!(start.warnings.len(), 1, "{:?}", start.warnings);
    assert!(start.warnings[0].contains("domain 2 is not in the backup's GTID state and had no transaction at the backup's position"), "{:?}", start.warnings);
    assert!(
        start.reason.contains("xtrabackup_binlog_info line 1"),
        "{}",
        start.reason
    );
    assert_eq!(names(&start.files)[0], "binlog.000002");
    // Domain 2 was created after the backup's position: replayed whole, said so.
    assert!(start.start_state.unwrap().to_string().contains("2-0-0"));
}

#[test]
fn the_gtid_set_decides_when_the_backup_position_disagrees_and_that_is_reported() {
    let dir = dir_with(&[1, 2, 3, 4, 5]);
    let set = discover(dir.path()).unwrap();
    let start = from_backup(&set, backup("binlog.000002", 379, Some("0-1-15"))).unwrap();
    let w = start.warnings.join("\n");
    assert!(
        w.contains("binlog.000002:379")
            && w.contains("disagree")
            && w.contains("0-1-12")
            && w.contains("The GTID set is used"),
        "{w}"
    );
    assert_eq!(
        start
            .start_state
            .unwrap()
            .mariadb_domain(0)
            .unwrap()
            .to_string(),
        "0-1-15"
    );
}

#[test]
fn a_backup_with_only_a_position_starts_there_and_a_purged_file_is_a_gap() {
    let dir = dir_with(&[2, 3, 4, 5]);
    let set = discover(dir.path()).unwrap();
    let start = from_backup(&set, backup("binlog.000003", 4, None)).unwrap();
    assert_eq!(start.start_position, Some(4));
    assert_eq!(start.skipped, 1);
    let e = from_backup(&set, backup("binlog.000001", 4, None)).unwrap_err();
    assert!(matches!(e, SourceError::Gap { .. }), "{e}");
    assert!(e.to_string().contains("do not reach back"), "{e}");
    let e = from_backup(&set, backup("binlog.000009", 4, None)).unwrap_err();
    assert!(matches!(e, SourceError::BackupNewer { .. }), "{e}");
}

#[test]
fn a_binlog_of_another_server_in_the_sequence_is_refused() {
    let dir = dir_with(&[1, 2]);
    // The same file with another server id in its FORMAT_DESCRIPTION
    // header (CRC32s not verified for this copy).
    let path = dir.path().join("binlog.000002");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[4 + 5..4 + 9].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let options = ReaderOptions {
        verify_checksums: false,
        ..ReaderOptions::default()
    };
    let set = BinlogSet::discover(&BinlogLocation::Dir(dir.path().to_path_buf()), options).unwrap();
    let e = plan_start(&set, &StartRequest::default(), options).unwrap_err();
    assert!(
        e.to_string().contains("written by server 1") && e.to_string().contains("by server 7"),
        "{e}"
    );
}

#[test]
fn a_relay_log_given_as_a_binlog_is_refused() {
    // By its name (MySQL 5.7), and by its contents under another name
    // (MySQL 5.0: the source's FORMAT_DESCRIPTION after the relay log's own).
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("binlog.000001");
    std::fs::copy(shared("bug33029-slave-relay-bin.000001"), &renamed).unwrap();
    for file in [shared("slave-relay-bin.000001"), renamed] {
        let e = BinlogSet::discover(&BinlogLocation::Files(vec![file]), ReaderOptions::default())
            .unwrap_err();
        assert!(e.to_string().contains("relay log"), "{e}");
    }
}
