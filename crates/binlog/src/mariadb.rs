//! MariaDB's own events (types 160-172), which mysql_common does not decode.
//!
//! Layouts follow MariaDB's `log_event.h`. Each parser takes an event body
//! (after the common header, before the checksum) and never reads past it.

use std::io::Read;

use nom::bytes::complete::take;
use nom::number::complete::{be_u8, le_u32, le_u64, le_u8};
use nom::IResult;

use crate::gtid::Gtid;

/// A MariaDB GTID event: starts every event group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MariadbGtidEvent {
    pub seq_no: u64,
    pub domain_id: u32,
    pub flags: u8,
    /// Group-commit id: transactions with the same id committed together on the source.
    pub commit_id: Option<u64>,
    /// XA transaction id (format id, gtrid, bqual) for XA PREPARE / XA COMMIT groups.
    pub xid: Option<Xid>,
    /// Second flags byte (MariaDB 10.8+): multi-engine, start/commit/rollback ALTER.
    pub flags_extra: u8,
    /// For a COMMIT/ROLLBACK ALTER group: seq_no of its START ALTER.
    pub start_alter_seq_no: Option<u64>,
}

/// An XA transaction id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Xid {
    pub format_id: u32,
    pub gtrid: Vec<u8>,
    pub bqual: Vec<u8>,
}

impl MariadbGtidEvent {
    /// The group is a single statement with an implicit commit (DDL, non-transactional).
    pub const FL_STANDALONE: u8 = 1;
    pub const FL_GROUP_COMMIT_ID: u8 = 2;
    pub const FL_TRANSACTIONAL: u8 = 4;
    pub const FL_ALLOW_PARALLEL: u8 = 8;
    pub const FL_WAITED: u8 = 16;
    pub const FL_DDL: u8 = 32;
    pub const FL_PREPARED_XA: u8 = 64;
    pub const FL_COMPLETED_XA: u8 = 128;

    pub const FL_EXTRA_MULTI_ENGINE: u8 = 1;
    pub const FL_START_ALTER: u8 = 2;
    pub const FL_COMMIT_ALTER: u8 = 4;
    pub const FL_ROLLBACK_ALTER: u8 = 8;
    pub const FL_EXTRA_THREAD_ID: u8 = 16;

    /// Decodes the body.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        parse_gtid(body)
            .map(|(_, e)| e)
            .map_err(|e| crate::parse_error::describe(body.len(), &e))
    }

    /// The GTID, given the event header's server id.
    pub fn gtid(&self, server_id: u32) -> Gtid {
        Gtid::MariaDb {
            domain: self.domain_id,
            server: server_id,
            seq: self.seq_no,
        }
    }

    pub fn is_standalone(&self) -> bool {
        self.flags & Self::FL_STANDALONE != 0
    }

    pub fn is_xa(&self) -> bool {
        self.flags & (Self::FL_PREPARED_XA | Self::FL_COMPLETED_XA) != 0
    }
}

fn parse_gtid(i: &[u8]) -> IResult<&[u8], MariadbGtidEvent> {
    let (i, seq_no) = le_u64(i)?;
    let (i, domain_id) = le_u32(i)?;
    let (mut i, flags) = le_u8(i)?;
    let mut commit_id = None;
    let mut xid = None;
    if flags & MariadbGtidEvent::FL_GROUP_COMMIT_ID != 0 {
        let (rest, id) = le_u64(i)?;
        commit_id = Some(id);
        i = rest;
    }
    if flags & (MariadbGtidEvent::FL_PREPARED_XA | MariadbGtidEvent::FL_COMPLETED_XA) != 0 {
        let (rest, format_id) = le_u32(i)?;
        let (rest, gtrid_len) = le_u8(rest)?;
        let (rest, bqual_len) = le_u8(rest)?;
        let (rest, gtrid) = take(gtrid_len as usize)(rest)?;
        let (rest, bqual) = take(bqual_len as usize)(rest)?;
        xid = Some(Xid {
            format_id,
            gtrid: gtrid.to_vec(),
            bqual: bqual.to_vec(),
        });
        i = rest;
    }
    // The writer pads short events with zeros up to 19 bytes; a zero
    // flags_extra byte reads the padding as "no extra fields".
    let mut flags_extra = 0;
    let mut start_alter_seq_no = None;
    if !i.is_empty() {
        let (rest, fx) = le_u8(i)?;
        flags_extra = fx;
        i = rest;
        if fx & MariadbGtidEvent::FL_EXTRA_MULTI_ENGINE != 0 {
            let (rest, _engines) = le_u8(i)?;
            i = rest;
        }
        if fx & (MariadbGtidEvent::FL_COMMIT_ALTER | MariadbGtidEvent::FL_ROLLBACK_ALTER) != 0 {
            let (rest, sa) = le_u64(i)?;
            start_alter_seq_no = Some(sa);
            i = rest;
        }
        if fx & MariadbGtidEvent::FL_EXTRA_THREAD_ID != 0 {
            let (rest, _thread_id) = le_u32(i)?;
            i = rest;
        }
    }
    Ok((
        i,
        MariadbGtidEvent {
            seq_no,
            domain_id,
            flags,
            commit_id,
            xid,
            flags_extra,
            start_alter_seq_no,
        },
    ))
}

/// GTID_LIST: the binlog state at the start of a file (one GTID per domain and server).
pub fn parse_gtid_list(body: &[u8]) -> Result<Vec<Gtid>, String> {
    fn list(i: &[u8]) -> IResult<&[u8], Vec<Gtid>> {
        let (mut i, word) = le_u32(i)?;
        let count = word & 0x0fff_ffff;
        // Refuse a count the body cannot hold before allocating for it.
        if (count as usize).saturating_mul(16) > i.len() {
            return Err(nom::Err::Failure(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Count,
            )));
        }
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (rest, domain) = le_u32(i)?;
            let (rest, server) = le_u32(rest)?;
            let (rest, seq) = le_u64(rest)?;
            out.push(Gtid::MariaDb {
                domain,
                server,
                seq,
            });
            i = rest;
        }
        Ok((i, out))
    }
    list(body)
        .map(|(_, l)| l)
        .map_err(|e| crate::parse_error::describe(body.len(), &e))
}

/// BINLOG_CHECKPOINT: the oldest binlog file still needed for crash recovery.
pub fn parse_binlog_checkpoint(body: &[u8]) -> Result<String, String> {
    fn name(i: &[u8]) -> IResult<&[u8], &[u8]> {
        let (i, len) = le_u32(i)?;
        take(len as usize)(i)
    }
    name(body)
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .map_err(|e| crate::parse_error::describe(body.len(), &e))
}

/// Inflates MariaDB's compressed payload format (`binlog_buf_uncompress`):
/// one header byte `0x80 | algorithm << 4 | n`, `n` bytes of big-endian
/// uncompressed length, then a zlib stream. `limit` bounds the claimed length.
pub fn uncompress(data: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    fn head(i: &[u8]) -> IResult<&[u8], (u8, u64)> {
        let (i, h) = be_u8(i)?;
        let n = (h & 0x07) as usize;
        let (i, len_bytes) = take(n)(i)?;
        let len = len_bytes
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Ok((i, (h, len)))
    }
    let (zdata, (h, len)) = head(data).map_err(|e| {
        format!(
            "compressed payload header: {}",
            crate::parse_error::describe(data.len(), &e)
        )
    })?;
    if h & 0x80 == 0 {
        return Err(format!(
            "compressed payload header byte {h:#04x} lacks the 0x80 marker"
        ));
    }
    if (h >> 4) & 0x07 != 0 {
        return Err(format!(
            "unknown compression algorithm {} (only zlib, 0, exists)",
            (h >> 4) & 0x07
        ));
    }
    if !(1..=4).contains(&(h & 0x07)) {
        return Err(format!(
            "compressed length field of {} bytes (1 to 4 expected)",
            h & 0x07
        ));
    }
    if len > limit {
        return Err(format!(
            "uncompressed length {len} exceeds the limit of {limit} bytes"
        ));
    }
    let mut out = Vec::with_capacity(len as usize);
    flate2::read::ZlibDecoder::new(zdata)
        .take(len + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("zlib: {e}"))?;
    if out.len() as u64 != len {
        return Err(format!(
            "zlib stream inflates to {} bytes, the header says {len}",
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gtid_with_commit_id() {
        let mut b = vec![];
        b.extend_from_slice(&42u64.to_le_bytes());
        b.extend_from_slice(&7u32.to_le_bytes());
        b.push(MariadbGtidEvent::FL_GROUP_COMMIT_ID | MariadbGtidEvent::FL_TRANSACTIONAL);
        b.extend_from_slice(&99u64.to_le_bytes());
        let e = MariadbGtidEvent::parse(&b).unwrap();
        assert_eq!((e.seq_no, e.domain_id, e.commit_id), (42, 7, Some(99)));
        assert_eq!(e.gtid(3).to_string(), "7-3-42");
    }

    #[test]
    fn gtid_with_xid() {
        let mut b = vec![];
        b.extend_from_slice(&5u64.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.push(MariadbGtidEvent::FL_PREPARED_XA);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&[3, 1]);
        b.extend_from_slice(b"abcz");
        let e = MariadbGtidEvent::parse(&b).unwrap();
        let xid = e.xid.unwrap();
        assert_eq!(
            (xid.gtrid.as_slice(), xid.bqual.as_slice()),
            (&b"abc"[..], &b"z"[..])
        );
    }

    #[test]
    fn short_bodies_are_errors() {
        assert!(MariadbGtidEvent::parse(&[1, 2, 3]).is_err());
        assert!(parse_gtid_list(&[0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(parse_binlog_checkpoint(&[9, 0, 0, 0, b'a']).is_err());
    }

    #[test]
    fn uncompress_round_trip_and_limits() {
        let text = b"INSERT INTO t VALUES (1),(2),(3),(4),(5),(6)".repeat(10);
        let mut z = flate2::write::ZlibEncoder::new(vec![], flate2::Compression::default());
        z.write_all(&text).unwrap();
        let z = z.finish().unwrap();
        let mut data = vec![0x80 | 2, (text.len() >> 8) as u8, text.len() as u8];
        data.extend_from_slice(&z);
        assert_eq!(uncompress(&data, 1 << 20).unwrap(), text);
        assert!(uncompress(&data, 10).is_err());
        data[2] ^= 1;
        assert!(uncompress(&data, 1 << 20).is_err());
    }
}
