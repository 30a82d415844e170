//! Short descriptions of nom errors: what went wrong and where, never a dump
//! of the remaining input.

/// Describes a nom error for a body of `body_len` bytes.
pub(crate) fn describe(body_len: usize, e: &nom::Err<nom::error::Error<&[u8]>>) -> String {
    match e {
        nom::Err::Incomplete(_) => format!("the {body_len}-byte body ends before its fields do"),
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            let at = body_len - e.input.len();
            match e.code {
                nom::error::ErrorKind::Eof => {
                    format!("the {body_len}-byte body ends inside a field at byte {at}")
                }
                nom::error::ErrorKind::Count => format!(
                    "a count at byte {at} claims more entries than the {body_len}-byte body holds"
                ),
                kind => format!(
                    "{} at byte {at} of the {body_len}-byte body",
                    kind.description()
                ),
            }
        }
    }
}
