//! MySQL binary DECIMAL (`decimal2bin`): base-10⁹ groups, big-endian, sign in the top bit.
//!
//! The integer and fraction digits are stored separately, each as groups of nine digits in
//! four bytes, with a leading (integer) or trailing (fraction) partial group in 1-4 bytes.
//! The first bit is flipped so that positive numbers start with 1; negative numbers have
//! every byte inverted.

use super::ValueError;

/// Digits per full group.
const DIGITS_PER_GROUP: u8 = 9;
/// Bytes needed for a partial group of `n` digits.
const BYTES_FOR_DIGITS: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
/// Largest stored size: precision 65 needs 30 bytes.
const MAX_SIZE: usize = 32;

/// Bytes taken by a DECIMAL(`precision`, `scale`) value; `scale <= precision`.
pub(crate) fn binary_size(precision: u8, scale: u8) -> usize {
    let part = |digits: u8| {
        usize::from(digits / DIGITS_PER_GROUP) * 4
            + BYTES_FOR_DIGITS[usize::from(digits % DIGITS_PER_GROUP)]
    };
    part(precision.saturating_sub(scale)) + part(scale)
}

/// Decodes a DECIMAL(`precision`, `scale`) value from exactly [`binary_size`] bytes into its
/// exact text, e.g. `-1234.5600` (no leading zeros, `scale` fraction digits).
pub(crate) fn decode(
    bytes: &[u8],
    precision: u8,
    scale: u8,
    column: usize,
) -> Result<String, ValueError> {
    let size = binary_size(precision, scale);
    if scale > precision || size > MAX_SIZE || bytes.len() != size {
        return Err(ValueError::bad_value(
            column,
            format!(
                "DECIMAL({precision},{scale}) needs {size} bytes, got {}",
                bytes.len()
            ),
        ));
    }
    let mut buf = [0u8; MAX_SIZE];
    let buf = &mut buf[..size];
    buf.copy_from_slice(bytes);
    if let Some(first) = buf.first_mut() {
        *first ^= 0x80;
    }
    let negative = buf.first().is_some_and(|b| b & 0x80 != 0);
    if negative {
        buf.iter_mut().for_each(|b| *b = !*b);
    }

    let intg = precision - scale;
    let mut groups = Groups { bytes: buf, column };
    let mut out = String::with_capacity(usize::from(precision) + 3);
    if negative {
        out.push('-');
    }
    let int_start = out.len();
    let lead = intg % DIGITS_PER_GROUP;
    if lead > 0 {
        push_group(&mut out, groups.next(lead)?, lead);
    }
    for _ in 0..intg / DIGITS_PER_GROUP {
        push_group(&mut out, groups.next(DIGITS_PER_GROUP)?, DIGITS_PER_GROUP);
    }
    // No leading zeros in the integer part, but at least one digit.
    let zeros = out[int_start..].bytes().take_while(|b| *b == b'0').count();
    out.replace_range(int_start..int_start + zeros, "");
    if out.len() == int_start {
        out.push('0');
    }
    if scale > 0 {
        out.push('.');
        for _ in 0..scale / DIGITS_PER_GROUP {
            push_group(&mut out, groups.next(DIGITS_PER_GROUP)?, DIGITS_PER_GROUP);
        }
        let tail = scale % DIGITS_PER_GROUP;
        if tail > 0 {
            push_group(&mut out, groups.next(tail)?, tail);
        }
    }
    if negative && out[1..].bytes().all(|b| b == b'0' || b == b'.') {
        out.remove(0); // no negative zero
    }
    Ok(out)
}

/// Appends `value` zero-padded to `digits` digits.
fn push_group(out: &mut String, value: u32, digits: u8) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{value:0width$}", width = usize::from(digits));
}

/// Reads successive big-endian digit groups.
struct Groups<'a> {
    bytes: &'a [u8],
    column: usize,
}

impl Groups<'_> {
    /// Next group of `digits` digits, checked to be below 10^digits.
    fn next(&mut self, digits: u8) -> Result<u32, ValueError> {
        let n = if digits == DIGITS_PER_GROUP {
            4
        } else {
            BYTES_FOR_DIGITS[usize::from(digits)]
        };
        let (head, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        let value = head.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        if head.len() != n || value >= 10u32.pow(u32::from(digits)) {
            return Err(ValueError::bad_value(
                self.column,
                format!("DECIMAL digit group {value} has more than {digits} digits"),
            ));
        }
        Ok(value)
    }
}
