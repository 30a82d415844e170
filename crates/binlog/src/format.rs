//! What a FORMAT_DESCRIPTION event says about the events that follow it.

use mysql_common::binlog::consts::{BinlogChecksumAlg, BinlogVersion};
use mysql_common::binlog::events::{BinlogEventFooter, FormatDescriptionEvent};
use mysql_common::binlog::BinlogCtx;
use mysql_common::io::ParseBuf;

use crate::header::{EventHeader, LOG_EVENT_BINLOG_IN_USE_F};

/// The format in force: from the last FORMAT_DESCRIPTION event read.
#[derive(Debug, Clone)]
pub struct Format {
    /// Whether events end in a CRC32 (binlog_checksum=CRC32).
    pub checksum: bool,
    /// The server version string, such as `10.11.6-MariaDB-log`.
    pub server_version: String,
    pub binlog_version: u16,
    /// The FORMAT_DESCRIPTION header had LOG_EVENT_BINLOG_IN_USE_F: the server
    /// had the file open when it was copied or when it stopped.
    pub in_use: bool,
    /// mysql_common's view, needed to decode event bodies with it.
    pub(crate) fde: FormatDescriptionEvent<'static>,
}

impl Format {
    /// The format before any FORMAT_DESCRIPTION event (binlog version 4, no checksums).
    pub fn initial() -> Self {
        Self {
            checksum: false,
            server_version: String::new(),
            binlog_version: 4,
            in_use: false,
            fde: FormatDescriptionEvent::new(BinlogVersion::Version4),
        }
    }

    /// Whether the writer was MariaDB.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }

    /// The mysql_common format description, for decoding bodies with it.
    pub fn fde(&self) -> &FormatDescriptionEvent<'static> {
        &self.fde
    }

    /// The format a FORMAT_DESCRIPTION event (its raw bytes, header
    /// included) sets, read and verified as the reader reads one.
    pub fn from_event(fde: &[u8]) -> crate::Result<Format> {
        let mut file = Vec::with_capacity(4 + fde.len());
        file.extend_from_slice(&crate::reader::BINLOG_MAGIC);
        file.extend_from_slice(fde);
        let len = file.len() as u64;
        let mut reader = crate::reader::EventReader::new(
            "(format description)",
            std::io::Cursor::new(file),
            Some(len),
            crate::reader::ReaderOptions::default(),
        )?;
        reader.next_event()?;
        Ok(reader.format().clone())
    }
}

/// The parts of a FORMAT_DESCRIPTION event body needed before trusting it.
pub(crate) struct FdeLayout {
    /// Checksum algorithm byte, when the writer knows about checksums.
    pub checksum_alg: Option<u8>,
    pub server_version: String,
    pub binlog_version: u16,
}

const SERVER_VERSION_OFFSET: usize = 2;
const SERVER_VERSION_LEN: usize = 50;
/// binlog_version + server_version + create_timestamp + header_length.
const FDE_FIXED_LEN: usize = 2 + SERVER_VERSION_LEN + 4 + 1;

/// Reads the version fields of a FORMAT_DESCRIPTION body (everything after the
/// common header, checksum included) and finds the checksum algorithm byte.
pub(crate) fn fde_layout(body: &[u8]) -> Result<FdeLayout, String> {
    if body.len() < FDE_FIXED_LEN {
        return Err(format!(
            "FORMAT_DESCRIPTION body is {} bytes, at least {FDE_FIXED_LEN} expected",
            body.len()
        ));
    }
    let binlog_version = u16::from_le_bytes([body[0], body[1]]);
    let raw = &body[SERVER_VERSION_OFFSET..SERVER_VERSION_OFFSET + SERVER_VERSION_LEN];
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let server_version = String::from_utf8_lossy(&raw[..end]).into_owned();
    let aware = checksum_aware(&server_version);
    let checksum_alg = if aware {
        // ... post-header lengths ..., alg (1 byte), crc (4 bytes)
        if body.len() < FDE_FIXED_LEN + 5 {
            return Err("FORMAT_DESCRIPTION too short for its checksum fields".into());
        }
        Some(body[body.len() - 5])
    } else {
        None
    };
    Ok(FdeLayout {
        checksum_alg,
        server_version,
        binlog_version,
    })
}

/// Servers from MySQL 5.6.1 and MariaDB 5.3 on write the checksum algorithm
/// into the format description.
fn checksum_aware(version: &str) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    v >= (5, 6, 1) || (version.contains("MariaDB") && v >= (5, 3, 0))
}

/// Builds the format from a complete FORMAT_DESCRIPTION event (header + body
/// as on disk). The caller has already validated the checksum.
pub(crate) fn format_from_fde(
    header: &EventHeader,
    event: &[u8],
    layout: FdeLayout,
) -> Result<Format, String> {
    let body = &event[EventHeader::LEN..];
    let (data, footer) = match layout.checksum_alg {
        Some(alg) => {
            let footer = match alg {
                1 => BinlogEventFooter::new(BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_CRC32),
                _ => BinlogEventFooter::new(BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_OFF),
            };
            (&body[..body.len() - 5], footer)
        }
        None => (body, BinlogEventFooter::default()),
    };
    let base = FormatDescriptionEvent::new(BinlogVersion::Version4);
    let ctx = BinlogCtx::new(EventHeader::LEN + data.len(), &base, header.event_type.0);
    let fde: FormatDescriptionEvent<'_> = ParseBuf(data)
        .parse(ctx)
        .map_err(|e| format!("FORMAT_DESCRIPTION does not decode: {e}"))?;
    let fde = fde.with_footer(footer).into_owned();
    Ok(Format {
        checksum: layout.checksum_alg == Some(1),
        server_version: layout.server_version,
        binlog_version: layout.binlog_version,
        in_use: header.flags & LOG_EVENT_BINLOG_IN_USE_F != 0,
        fde,
    })
}

#[cfg(test)]
mod tests {
    use super::checksum_aware;

    #[test]
    fn checksum_awareness_follows_server_versions() {
        assert!(checksum_aware("10.11.6-MariaDB-log"));
        assert!(checksum_aware("8.0.36"));
        assert!(checksum_aware("5.6.1"));
        assert!(!checksum_aware("5.6.0"));
        assert!(!checksum_aware("5.1.23-rc-log"));
        assert!(checksum_aware("5.5.30-MariaDB"));
    }
}
