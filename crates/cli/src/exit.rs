//! Exit codes, in one place (documented in docs/errors.md).

use myreplay_binlog::Error;

/// Success.
pub const OK: i32 = 0;
/// Anything not listed below (bad arguments are clap's 2).
pub const FAILURE: i32 = 1;
/// A file could not be read (missing, permissions).
pub const IO: i32 = 3;
/// The binlog is truncated: it ends inside an event, or inside a transaction.
pub const TRUNCATED: i32 = 4;
/// The binlog is damaged: bad size, CRC mismatch, undecodable event, not a binlog.
pub const CORRUPT: i32 = 5;
/// The binlog holds something myreplay refuses to go past: an INCIDENT,
/// encryption, an unknown or unsupported event.
pub const UNSUPPORTED: i32 = 6;
/// The files or positions given do not make a valid sequence.
pub const USAGE: i32 = 7;
/// The server could not be reached, or refused a query.
pub const SERVER: i32 = 8;
/// A transaction failed on the target: the replay stopped cleanly (nothing
/// of the failing unit committed); fix the cause and run the same command.
pub const APPLY: i32 = 9;
/// Where to start cannot be proven safe, so nothing was read or written: a
/// gap between the backup and the binlogs (or between two binlogs), binlogs
/// that end before the backup's point, a start state that does not account
/// for every transaction (a MariaDB domain, transactions without GTIDs).
pub const START: i32 = 10;
/// The backup's metadata cannot be used: not a backup, an unfinished dump,
/// no binlog coordinates recorded, unreadable lines.
pub const BACKUP: i32 = 11;
/// Another replay holds the target's lock for the checkpoint table: refused
/// before anything was written (or the lock was lost to it mid-run).
pub const BUSY: i32 = 12;
/// Interrupted; run the same command to resume.
pub const CANCELLED: i32 = 130;

/// The exit code for a library error.
pub fn code(e: &Error) -> i32 {
    match e {
        Error::Io { .. } => IO,
        Error::Truncated { .. } | Error::IncompleteTransaction { .. } => TRUNCATED,
        Error::NotABinlog { .. }
        | Error::BadEventSize { .. }
        | Error::Checksum { .. }
        | Error::Corrupt { .. } => CORRUPT,
        Error::EventTooLarge { .. }
        | Error::UnknownEvent { .. }
        | Error::Unsupported { .. }
        | Error::Encrypted { .. }
        | Error::Incident { .. } => UNSUPPORTED,
        Error::BadPosition { .. } | Error::Sequence { .. } => USAGE,
        _ => FAILURE,
    }
}

/// The exit code for an error finding the binlogs or the start.
pub fn source_code(e: &myreplay_source::SourceError) -> i32 {
    use myreplay_source::SourceError as S;
    match e {
        S::Io { .. } => IO,
        S::Binlog(b) => code(b),
        S::Backup(_) => BACKUP,
        S::Files { .. } => USAGE,
        S::Gap { .. } | S::BackupNewer { .. } | S::StartState { .. } => START,
    }
}

/// Prints the error (one line: file, offset and reason) and returns the exit code.
pub fn report(result: anyhow::Result<()>) -> i32 {
    let Err(e) = result else { return OK };
    eprintln!("myreplay: error: {e}");
    if let Some(e) = e.downcast_ref::<Error>() {
        code(e)
    } else if let Some(s) = e.downcast_ref::<myreplay_source::SourceError>() {
        source_code(s)
    } else if e
        .downcast_ref::<myreplay_source::backup::BackupError>()
        .is_some()
    {
        BACKUP
    } else if e.downcast_ref::<myreplay_plan::PlanError>().is_some() {
        CORRUPT
    } else if let Some(a) = e.downcast_ref::<myreplay_apply::ApplyError>() {
        // Options that cannot work (a bad --checkpoint-table, --ssl-mode
        // without --ssl-ca...) are refused before connecting.
        match a {
            myreplay_apply::ApplyError::Options(_)
            | myreplay_apply::ApplyError::Incompatible(_) => USAGE,
            myreplay_apply::ApplyError::Busy(_) => BUSY,
            _ => SERVER,
        }
    } else if let Some(r) = e.downcast_ref::<myreplay_apply::ReplayError>() {
        match r {
            myreplay_apply::ReplayError::Binlog { source, .. } => code(source),
            myreplay_apply::ReplayError::Plan { .. } => CORRUPT,
            myreplay_apply::ReplayError::Target(t)
                if matches!(**t, myreplay_apply::ApplyError::Incompatible(_)) =>
            {
                USAGE
            }
            myreplay_apply::ReplayError::Target(t)
                if matches!(**t, myreplay_apply::ApplyError::Busy(_)) =>
            {
                BUSY
            }
            myreplay_apply::ReplayError::Target(_) => SERVER,
            myreplay_apply::ReplayError::Apply { .. } => APPLY,
            myreplay_apply::ReplayError::Cancelled { .. } => CANCELLED,
        }
    } else {
        FAILURE
    }
}
