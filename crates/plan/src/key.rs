//! Keys: what two transactions must share to conflict.
//!
//! A key is a 64-bit hash. Hash collisions can only add a dependency, never
//! remove one, so they cost parallelism, not correctness. Keys come in two
//! kinds:
//!
//! - **value keys**: one index's normalised values in one row (`email =
//!   'x'` in `db.users`'s unique key `email`). Two transactions conflict when
//!   they have a value key in common.
//! - **scope keys**: a whole table or a whole index, held *shared* by every
//!   transaction with a value key in it, or *exclusive* when the values are
//!   not known well enough to key them (no usable key, missing image columns,
//!   a text value the planner cannot fold exactly, a cascading parent).
//!   Exclusive conflicts with shared and exclusive of the same scope.

use std::hash::{Hash, Hasher};

use myreplay_binlog::value::Value;
use rustc_hash::FxHasher;

use crate::schema::{Collation, TableName};

/// A key's 64-bit hash.
pub type KeyHash = u64;

/// How a scope key is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    Shared,
    Exclusive,
}

/// The scope of a whole table.
pub fn table_scope(table: &TableName) -> KeyHash {
    let mut h = FxHasher::default();
    0u8.hash(&mut h);
    table.hash(&mut h);
    h.finish()
}

/// The scope of a set of columns of a table (an index, or the columns a
/// foreign key references). Tagged by the column positions, so a UNIQUE key
/// and a foreign key referencing the same columns share a scope.
pub fn index_scope(table: &TableName, columns: &[usize]) -> KeyHash {
    let mut h = FxHasher::default();
    1u8.hash(&mut h);
    table.hash(&mut h);
    columns.hash(&mut h);
    h.finish()
}

/// Outcome of normalising one index's values.
pub enum Normalised {
    /// The key: equal-comparing values give equal keys.
    Key(KeyHash),
    /// A NULL part: unique indexes never conflict on NULL.
    Null,
    /// The values cannot be folded exactly: key the whole scope exclusively.
    Coarse,
}

/// One part of an index key: the value, how the column compares, and the
/// prefix length the index uses.
pub struct Part<'a> {
    pub value: &'a Value,
    pub collation: Collation,
    pub prefix: Option<u32>,
}

/// Hashes an index's values in `scope` the way the target compares them.
pub fn normalise(scope: KeyHash, parts: &[Part<'_>]) -> Normalised {
    let mut h = FxHasher::default();
    scope.hash(&mut h);
    for p in parts {
        match hash_value(&mut h, p) {
            Some(true) => {}
            Some(false) => return Normalised::Null,
            None => return Normalised::Coarse,
        }
    }
    Normalised::Key(h.finish())
}

/// Hashes one value; `Some(false)` for NULL, `None` when it cannot be folded.
fn hash_value(h: &mut FxHasher, p: &Part<'_>) -> Option<bool> {
    match p.value {
        Value::Null => return Some(false),
        Value::Int(v) => (1u8, *v as u64).hash(h),
        Value::UInt(v) => (1u8, *v).hash(h),
        Value::Float(v) => (2u8, f64::from(*v).to_bits()).hash(h),
        Value::Double(v) => (2u8, v.to_bits()).hash(h),
        Value::Decimal(d) => (3u8, canonical_decimal(d)).hash(h),
        Value::Bit { bytes, .. } => (4u8, bytes).hash(h),
        Value::Enum(v) => (5u8, u64::from(*v)).hash(h),
        Value::Set(v) => (5u8, *v).hash(h),
        Value::Year(v) => (6u8, *v).hash(h),
        Value::String { bytes, .. } => text(h, bytes, p)?,
        Value::Bytes(bytes) => {
            if matches!(p.collation, Collation::Binary) {
                let b = prefix_bytes(bytes, p.prefix);
                (7u8, b).hash(h)
            } else {
                text(h, bytes, p)?
            }
        }
        // Temporal values and anything else compare by their exact encoding.
        other => (8u8, format!("{other:?}")).hash(h),
    }
    Some(true)
}

/// Text under a collation. Exact (`_bin`) collations compare code points
/// (trailing spaces dropped under PAD SPACE). Insensitive and unknown ones
/// are folded only for printable ASCII (lower-cased, trailing spaces
/// dropped); anything else (accents, expansions such as `ß` = `ss`,
/// ignorable characters) cannot be folded without the collation's tables,
/// so it is coarse.
fn text(h: &mut FxHasher, bytes: &[u8], p: &Part<'_>) -> Option<()> {
    match p.collation {
        Collation::Binary => {
            (7u8, prefix_bytes(bytes, p.prefix)).hash(h);
        }
        Collation::Exact { pad_space } => {
            let s = prefix_chars(bytes, p.prefix);
            let s = if pad_space { trim_spaces(s) } else { s };
            (9u8, s).hash(h);
        }
        Collation::Insensitive { pad_space } => fold(h, bytes, p.prefix, pad_space)?,
        Collation::Unknown => fold(h, bytes, p.prefix, true)?,
    }
    Some(())
}

fn fold(h: &mut FxHasher, bytes: &[u8], prefix: Option<u32>, pad_space: bool) -> Option<()> {
    if !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let s = prefix_bytes(bytes, prefix);
    let s = if pad_space { trim_spaces(s) } else { s };
    9u8.hash(h);
    s.len().hash(h);
    for b in s {
        h.write_u8(b.to_ascii_lowercase());
    }
    Some(())
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    &s[..end]
}

fn prefix_bytes(b: &[u8], prefix: Option<u32>) -> &[u8] {
    match prefix {
        Some(n) => &b[..b.len().min(n as usize)],
        None => b,
    }
}

/// The first `prefix` characters (UTF-8), or bytes when not UTF-8.
fn prefix_chars(b: &[u8], prefix: Option<u32>) -> &[u8] {
    let Some(n) = prefix else { return b };
    match std::str::from_utf8(b) {
        Ok(s) => match s.char_indices().nth(n as usize) {
            Some((i, _)) => &b[..i],
            None => b,
        },
        Err(_) => prefix_bytes(b, prefix),
    }
}

/// DECIMAL text without a sign on zero and without trailing fraction zeros.
fn canonical_decimal(d: &str) -> String {
    let (neg, digits) = match d.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, d),
    };
    let digits = match digits.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                i.to_string()
            } else {
                format!("{i}.{f}")
            }
        }
        None => digits.to_string(),
    };
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() || digits.starts_with('.') {
        format!("0{digits}")
    } else {
        digits.to_string()
    };
    if neg && digits != "0" {
        format!("-{digits}")
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: Value, collation: Collation, prefix: Option<u32>) -> Option<KeyHash> {
        match normalise(
            7,
            &[Part {
                value: &v,
                collation,
                prefix,
            }],
        ) {
            Normalised::Key(k) => Some(k),
            _ => None,
        }
    }

    fn s(t: &str) -> Value {
        Value::Bytes(t.as_bytes().to_vec())
    }

    #[test]
    fn case_insensitive_pad_space() {
        let ci = Collation::Insensitive { pad_space: true };
        assert_eq!(key(s("Alice"), ci, None), key(s("alice  "), ci, None));
        assert_ne!(key(s("alice"), ci, None), key(s("alicia"), ci, None));
        let nopad = Collation::Insensitive { pad_space: false };
        assert_ne!(key(s("a"), nopad, None), key(s("a "), nopad, None));
        // Non-ASCII cannot be folded exactly: coarse.
        assert_eq!(key(s("café"), ci, None), None);
    }

    #[test]
    fn exact_and_binary() {
        let bin = Collation::Exact { pad_space: true };
        assert_ne!(key(s("A"), bin, None), key(s("a"), bin, None));
        assert_eq!(key(s("é "), bin, None), key(s("é"), bin, None));
        assert_ne!(
            key(s("a "), Collation::Binary, None),
            key(s("a"), Collation::Binary, None)
        );
    }

    #[test]
    fn prefixes() {
        let ci = Collation::Insensitive { pad_space: true };
        assert_eq!(key(s("abcdef"), ci, Some(3)), key(s("ABCxyz"), ci, Some(3)));
        let bin = Collation::Exact { pad_space: false };
        assert_eq!(key(s("ééx"), bin, Some(2)), key(s("ééy"), bin, Some(2)));
    }

    #[test]
    fn nulls_and_numbers() {
        assert!(matches!(
            normalise(
                1,
                &[Part {
                    value: &Value::Null,
                    collation: Collation::Binary,
                    prefix: None
                }]
            ),
            Normalised::Null
        ));
        assert_eq!(
            key(Value::Int(-1), Collation::Binary, None),
            key(Value::UInt(u64::MAX), Collation::Binary, None)
        );
        assert_eq!(canonical_decimal("-0.00"), "0");
        assert_eq!(canonical_decimal("012.500"), "12.5");
        assert_eq!(canonical_decimal("-0.50"), "-0.5");
    }
}
