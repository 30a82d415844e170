//! MySQL TRANSACTION_PAYLOAD (8.0.20+): a header of typed fields, then the
//! transaction's events, zstd-compressed or plain, without checksums.
//!
//! Parsed here rather than by mysql_common, whose parser panics or allocates
//! from unchecked lengths on damaged input (found by fuzzing).

use crate::decode::lenenc;

/// The payload header and where the payload bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadHeader {
    /// 0: zstd, 255: none.
    pub compression: u64,
    pub uncompressed_size: u64,
    /// Offset and length of the payload in the body.
    pub payload_at: usize,
    pub payload_len: usize,
}

const END_MARK: u64 = 0;
const PAYLOAD_SIZE: u64 = 1;
const COMPRESSION_TYPE: u64 = 2;
const UNCOMPRESSED_SIZE: u64 = 3;

pub const ZSTD: u64 = 0;
pub const NONE: u64 = 255;

/// Reads the header fields: each is (type, length, value) as
/// length-encoded integers; unknown types are skipped by their length.
pub fn parse_header(body: &[u8]) -> Result<PayloadHeader, String> {
    let mut p = 0usize;
    let next = |p: &mut usize, what: &str| -> Result<u64, String> {
        let (v, n) = lenenc(body.get(*p..).unwrap_or_default())
            .ok_or_else(|| format!("payload header ends inside its {what} at byte {}", *p))?;
        *p += n;
        Ok(v)
    };
    let (mut size, mut compression, mut uncompressed) = (None, None, 0);
    loop {
        let field = next(&mut p, "field type")?;
        if field == END_MARK {
            break;
        }
        let len = next(&mut p, "field length")?;
        match field {
            PAYLOAD_SIZE => size = Some(next(&mut p, "payload size")?),
            COMPRESSION_TYPE => compression = Some(next(&mut p, "compression type")?),
            UNCOMPRESSED_SIZE => uncompressed = next(&mut p, "uncompressed size")?,
            _ => {
                p = usize::try_from(len)
                    .ok()
                    .and_then(|l| p.checked_add(l))
                    .filter(|e| *e <= body.len())
                    .ok_or_else(|| {
                        format!("payload header field {field} of {len} bytes runs past the event")
                    })?;
            }
        }
    }
    let size = size.ok_or("payload header has no payload size")?;
    let compression = compression.ok_or("payload header has no compression type")?;
    if compression != ZSTD && compression != NONE {
        return Err(format!("unknown payload compression type {compression}"));
    }
    let left = body.len() - p;
    if size != left as u64 {
        return Err(format!(
            "payload size {size} but {left} bytes follow the header"
        ));
    }
    Ok(PayloadHeader {
        compression,
        uncompressed_size: if compression == NONE {
            size
        } else {
            uncompressed
        },
        payload_at: p,
        payload_len: left,
    })
}

/// The inner events' bytes, at most `limit` of them.
pub fn inflate(body: &[u8], header: &PayloadHeader, limit: u64) -> Result<Vec<u8>, String> {
    let payload = &body[header.payload_at..header.payload_at + header.payload_len];
    let size = header.uncompressed_size;
    if size > limit {
        return Err(format!(
            "payload claims {size} bytes uncompressed, more than the limit of {limit} bytes"
        ));
    }
    if header.compression == NONE {
        return Ok(payload.to_vec());
    }
    // Single-shot decompression straight into a buffer of the declared size:
    // a streaming decoder would allocate the window the frame header asks
    // for (up to 128 MiB from one byte, whatever the limit), this allocates
    // nothing beyond `size`, and output past it is an error.
    let out = zstd::bulk::decompress(payload, size as usize).map_err(|e| format!("zstd: {e}"))?;
    if out.len() as u64 != size {
        return Err(format!(
            "payload inflates to {} bytes, its header says {size}",
            out.len()
        ));
    }
    Ok(out)
}
