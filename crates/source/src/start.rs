//! Where a recovery starts in one server's binlogs, and the proof that
//! nothing between the backup and the binlogs is lost or doubled.
//!
//! The start comes from a GTID state (`--start-gtid`, or the backup's GTID
//! set) or from a file and position (the backup's, or `--start-position`).
//! When a backup gives both, the GTID set decides: the position is checked
//! against the binlogs and a disagreement is reported (XtraBackup's two have
//! been seen to disagree, PS-7873). With a GTID state, files wholly inside
//! it are skipped and the rest is filtered transaction by transaction;
//! with a position, reading starts there.
//!
//! Refused before anything is read for a replay: a gap (a file expects
//! transactions that neither the start state nor an earlier file holds),
//! binlogs that end before the backup's point, files that do not follow
//! each other, a MariaDB domain the start state does not account for,
//! transactions without GTIDs where only a GTID state says where to start.

use std::path::PathBuf;

use myreplay_binlog::stream::numbered as number;
use myreplay_binlog::{EventStream, Gtid, GtidSet, ReaderOptions, StreamOptions};

use crate::backup::BackupCoordinates;
use crate::binlog_file::{state_at, BinlogFile};
use crate::binlog_set::BinlogSet;
use crate::error::SourceError;

/// What the DBA asked for.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// The backup the target was restored from.
    pub backup: Option<BackupCoordinates>,
    /// `--start-gtid`: the GTID state the target holds (wins over the
    /// backup's).
    pub start_gtid: Option<GtidSet>,
    /// `--start-position`: in the first file of the set (without a backup).
    pub start_position: Option<u64>,
    /// Accept a gap between files (transactions the binlogs do not have):
    /// the DBA knows they are not needed. Reported, never silent.
    pub allow_gap: bool,
}

/// Where the replay starts, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecoveryStart {
    /// The files to read, in order.
    pub files: Vec<PathBuf>,
    /// Where to start in the first of them.
    pub start_position: Option<u64>,
    /// Transactions inside this state are not applied (the target holds them).
    pub start_state: Option<GtidSet>,
    /// Where the start comes from, in words (backup file and line, GTID or position).
    pub reason: String,
    /// The binlogs, those before the start included, for the dry run.
    pub binlogs: Vec<BinlogFile>,
    /// How many of `binlogs` come before the start (wholly held by the target).
    pub skipped: usize,
    /// Things the DBA should know that do not stop the replay.
    pub warnings: Vec<String>,
}

/// Works out where the replay of `set` starts for `request`.
pub fn plan_start(
    set: &BinlogSet,
    request: &StartRequest,
    options: ReaderOptions,
) -> Result<RecoveryStart, SourceError> {
    let mut warnings = vec![];
    let backup = request.backup.as_ref();
    let backup_gtid = match backup.and_then(|b| b.gtid_set.as_deref()) {
        Some(text) => Some(
            text.parse::<GtidSet>()
                .map_err(|e| SourceError::StartState {
                    reason: format!(
                        "{}{}: the backup's GTID set cannot be read: {e}",
                        backup.expect("a backup").origin.display(),
                        line(backup.and_then(|b| b.gtid_line))
                    ),
                })?,
        ),
        None => None,
    };
    let mariadb = set.files[0].is_mariadb();
    let usable = |s: &GtidSet| {
        !s.is_empty()
            && if mariadb {
                s.has_mariadb()
            } else {
                s.has_mysql()
            }
    };
    let gtid_start = match (&request.start_gtid, backup_gtid) {
        (Some(s), b) => {
            if b.is_some() {
                warnings.push("--start-gtid is used instead of the backup's GTID set".into());
            }
            Some((s.clone(), String::from("--start-gtid")))
        }
        (None, Some(s)) if usable(&s) => {
            let b = backup.expect("a backup");
            Some((s, format!("{}{}", b.origin.display(), line(b.gtid_line))))
        }
        (None, Some(s)) => {
            if !s.is_empty() {
                warnings.push(format!(
                    "the backup's GTID set {s} is not of these binlogs' flavour ({}); its file and position are used",
                    if mariadb { "MariaDB" } else { "MySQL" }
                ));
            }
            None
        }
        (None, None) => None,
    };
    let mut start = match gtid_start {
        Some((state, origin)) => from_gtid(set, state, &origin, backup, options, &mut warnings)?,
        None => from_position(set, request, options)?,
    };
    check_sequence(
        set,
        start.skipped,
        &start.start_state,
        request.allow_gap,
        &mut warnings,
    )?;
    start.warnings = warnings;
    Ok(start)
}

fn line(n: Option<u64>) -> String {
    n.map(|n| format!(" line {n}")).unwrap_or_default()
}

/// Start from a GTID state.
fn from_gtid(
    set: &BinlogSet,
    mut state: GtidSet,
    origin: &str,
    backup: Option<&BackupCoordinates>,
    options: ReaderOptions,
    warnings: &mut Vec<String>,
) -> Result<RecoveryStart, SourceError> {
    let files = &set.files;
    let mariadb = files[0].is_mariadb();
    if mariadb && !state.has_mariadb() && !state.is_empty() {
        return Err(SourceError::StartState {
            reason: format!("{origin}: the start state {state} is a MySQL GTID set, but the binlogs were written by MariaDB ({})", files[0].server_version),
        });
    }
    if !mariadb && state.has_mariadb() {
        return Err(SourceError::StartState {
            reason: format!("{origin}: the start state {state} is a MariaDB GTID state, but the binlogs were written by MySQL ({})", files[0].server_version),
        });
    }
    // The backup's position, checked against the GTID state.
    let mut position_state = None;
    if let Some((file, pos)) =
        backup.and_then(|b| Some((b.binlog_file.as_deref()?, b.binlog_position?)))
    {
        match set.position_of(file) {
            Some(i) if pos <= files[i].size => {
                let at = state_at(&files[i], pos, options)?;
                let (ours, theirs) = (known_part(&at, files), known_part(&state, files));
                if ours != theirs {
                    warnings.push(format!(
                        "the backup's position {file}:{pos} and its GTID set disagree: at that position the binlogs' GTID state is {ours}, the backup's GTID set is {theirs}. The GTID set is used (it decides)"
                    ));
                }
                position_state = Some(at);
            }
            _ => warnings.push(format!(
                "the backup's position {file}:{pos} is not in these binlogs; the GTID set is used"
            )),
        }
    }
    // Files wholly inside the state are skipped.
    let inside = |f: &BinlogFile| f.without_gtid == 0 && f.gtids.is_subset(&state);
    let k = files.iter().position(|f| !inside(f)).unwrap_or(files.len());
    // A gap between the state and the first file read.
    if let Some(f) = files.get(k) {
        if let Some(missing) = f
            .start_state
            .as_ref()
            .and_then(|s| s.first_missing_from(&state))
        {
            return Err(SourceError::Gap {
                reason: format!(
                    "{} starts after {missing}, which the start state {state} ({origin}) does not hold, and no earlier binlog given has it: the binlogs do not reach back to the backup (the file that held it was purged, or is not among those given). Give the older binlogs, or a newer backup",
                    f.path.display()
                ),
            });
        }
    }
    if mariadb {
        // Every domain of the binlogs read is accounted for.
        for f in &files[k..] {
            for g in f.gtids.mariadb_domains().collect::<Vec<_>>() {
                let Gtid::MariaDb { domain, .. } = g else {
                    continue;
                };
                if state.mariadb_domain(domain).is_some() {
                    continue;
                }
                let new_after_backup = position_state
                    .as_ref()
                    .is_some_and(|at| at.mariadb_domain(domain).is_none());
                if new_after_backup {
                    warnings.push(format!(
                        "domain {domain} is not in the backup's GTID state and had no transaction at the backup's position: it is replayed from its first transaction"
                    ));
                    state.insert(&Gtid::MariaDb {
                        domain,
                        server: 0,
                        seq: 0,
                    });
                    continue;
                }
                let first = first_of_domain(f, domain);
                return Err(SourceError::StartState {
                    reason: format!(
                        "{}: domain {domain} has transactions ({first}) but the start state {state} ({origin}) does not name it, so whether the backup holds them is unknown. If the target holds none of domain {domain}, say so: --start-gtid {state},{domain}-0-0",
                        f.path.display()
                    ),
                });
            }
        }
    }
    if let Some(f) = files[k..].iter().find(|f| f.without_gtid > 0) {
        return Err(SourceError::StartState {
            reason: format!(
                "{} holds {} transactions without a GTID: a GTID state ({origin}) cannot say whether the target holds them. Start from the backup's binlog file and position instead (give the file first and --start-position)",
                f.path.display(),
                f.without_gtid
            ),
        });
    }
    // The binlogs reach the state.
    let last = files.last().expect("a file");
    let end = last.end_state();
    if let Some(missing) = known_part(&state, files).first_missing_from(&end) {
        return Err(SourceError::BackupNewer {
            reason: format!(
                "the start state {state} ({origin}) holds {missing}, but the binlogs end at {end} ({}): they end before the backup's point. Give the binlogs written after the backup (newer files), or check that the backup is this server's",
                last.path.display()
            ),
        });
    }
    let unknown = state.first_missing_from(&known_part(&state, files));
    if let Some(g) = unknown {
        warnings.push(format!(
            "the start state names {g}, whose source or domain has no transaction in these binlogs; it plays no part"
        ));
    }
    let reason = match k {
        _ if k == files.len() => format!(
            "GTID state {state} from {origin}: the target holds every transaction of these binlogs; nothing to apply"
        ),
        _ => format!(
            "GTID state {state} from {origin}: transactions inside it are skipped; reading starts at {}",
            files[k].name
        ),
    };
    Ok(RecoveryStart {
        files: files[k..].iter().map(|f| f.path.clone()).collect(),
        start_position: None,
        start_state: Some(state),
        reason,
        binlogs: files.clone(),
        skipped: k,
        warnings: vec![],
    })
}

/// Start from a file and position: the backup's, or `--start-position`
/// in the first file.
fn from_position(
    set: &BinlogSet,
    request: &StartRequest,
    options: ReaderOptions,
) -> Result<RecoveryStart, SourceError> {
    let files = &set.files;
    let (file, pos, reason) = match request.backup.as_ref() {
        Some(b) => {
            let (Some(file), Some(pos)) = (b.binlog_file.clone(), b.binlog_position) else {
                return Err(SourceError::StartState {
                    reason: format!(
                        "{}: the backup records neither a binlog file and position nor a GTID set these binlogs use: where the replay must start is unknown",
                        b.origin.display()
                    ),
                });
            };
            let why = format!(
                "position {file}:{pos} from {}{}",
                b.origin.display(),
                line(b.line)
            );
            (file, pos, why)
        }
        None => {
            let pos = request.start_position.unwrap_or(4);
            let why = match request.start_position {
                Some(p) => format!(
                    "--start-position {p} in the first binlog, {}",
                    files[0].name
                ),
                None => format!("the first binlog, {}", files[0].name),
            };
            (files[0].name.clone(), pos, why)
        }
    };
    let Some(i) = set.position_of(&file) else {
        let (first, last) = (&files[0], files.last().expect("a file"));
        let n = number(&file).map(|(_, n)| n);
        let gap = n.is_some() && n < number(&first.name).map(|(_, n)| n);
        let reason = if gap {
            format!(
                "the backup starts at {file}:{pos}, but the oldest binlog given is {}: the binlogs do not reach back to the backup ({file} was purged, or is not among those given). Give the older binlogs, or a newer backup",
                first.path.display()
            )
        } else {
            format!(
                "the backup starts at {file}:{pos}, which is not among the binlogs given ({} to {}): the backup is newer than these binlogs, or another server's. Give the binlogs written after the backup",
                first.name, last.name
            )
        };
        return Err(if gap {
            SourceError::Gap { reason }
        } else {
            SourceError::BackupNewer { reason }
        });
    };
    if pos > files[i].size {
        return Err(SourceError::BackupNewer {
            reason: format!(
                "the backup starts at {file}:{pos}, past the end of {} ({} bytes): the binlogs end before the backup's point (this copy of the file is older than the backup)",
                files[i].path.display(),
                files[i].size
            ),
        });
    }
    // The position must be an event boundary: checked now, before any write.
    let stream = StreamOptions {
        reader: options,
        start_position: Some(pos),
        check_sequence: false,
        ..StreamOptions::default()
    };
    let mut events = EventStream::open(&[&files[i].path], stream).map_err(SourceError::Binlog)?;
    events.next_event().map_err(SourceError::Binlog)?;
    Ok(RecoveryStart {
        files: files[i..].iter().map(|f| f.path.clone()).collect(),
        start_position: Some(pos),
        start_state: None,
        reason,
        binlogs: files.clone(),
        skipped: i,
        warnings: vec![],
    })
}

/// The files read follow each other: each closing ROTATE names the next,
/// one server wrote them, and no file expects transactions that neither the
/// start state nor an earlier file holds.
fn check_sequence(
    set: &BinlogSet,
    from: usize,
    state: &Option<GtidSet>,
    allow_gap: bool,
    warnings: &mut Vec<String>,
) -> Result<(), SourceError> {
    let files = &set.files[from.min(set.files.len())..];
    for pair in files.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if let Some(next) = &a.rotate_to {
            let next = crate::binlog_file::file_name(std::path::Path::new(next));
            if next != b.name {
                gap(
                    allow_gap,
                    warnings,
                    format!(
                        "{} ends with a ROTATE to {next}, but the next binlog is {}: {next} is missing",
                        a.path.display(),
                        b.name
                    ),
                )?;
                continue;
            }
        }
        if a.server_id != b.server_id {
            return Err(SourceError::Files {
                reason: format!(
                    "{} was written by server {} and {} by server {}: these are not one server's binlogs in sequence. Give the binlogs of the server the backup was taken from",
                    a.path.display(),
                    a.server_id,
                    b.path.display(),
                    b.server_id
                ),
            });
        }
        let mut had = a.end_state();
        if let Some(s) = state {
            had.extend(s);
        }
        if let Some(missing) = b
            .start_state
            .as_ref()
            .and_then(|s| s.first_missing_from(&had))
        {
            gap(
                allow_gap,
                warnings,
                format!(
                    "{} starts after {missing}, which neither {} nor the start state holds: transactions between the two files are missing",
                    b.path.display(),
                    a.name
                ),
            )?;
        }
    }
    Ok(())
}

fn gap(allow: bool, warnings: &mut Vec<String>, reason: String) -> Result<(), SourceError> {
    if allow {
        warnings.push(format!("{reason} (accepted: --allow-gap)"));
        Ok(())
    } else {
        Err(SourceError::Gap {
            reason: format!("{reason}. Give the missing binlog, or accept the gap with --allow-gap if its transactions are not needed"),
        })
    }
}

/// The part of `state` whose MySQL sources or MariaDB domains appear in the
/// binlogs (a start state may name others that play no part).
fn known_part(state: &GtidSet, files: &[BinlogFile]) -> GtidSet {
    let mut known = GtidSet::default();
    for f in files {
        known.extend(&f.end_state());
    }
    state.restricted_to(&known)
}

fn first_of_domain(f: &BinlogFile, domain: u32) -> String {
    match &f.first {
        Some(m) if matches!(m.gtid, Some(Gtid::MariaDb { domain: d, .. }) if d == domain) => {
            format!(
                "the first, {}, at offset {}",
                m.gtid.as_ref().expect("a GTID"),
                m.offset
            )
        }
        _ => format!(
            "up to {}",
            f.gtids.mariadb_domain(domain).expect("the domain")
        ),
    }
}
