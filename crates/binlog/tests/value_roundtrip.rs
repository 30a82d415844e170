//! Property tests of the row-value decoders: random values of every column type with random
//! metadata are encoded with a small encoder written from the format description, then
//! decoded; random bytes must never make a decoder panic.

use proptest::prelude::*;

use myreplay_binlog::value::{
    count_rows, decode_rows, decode_value, types as t, value_len, ColumnDef, Json, RowImages,
    RowsLayout, Value,
};

/// A column, a value of it and the value's bytes in a row image.
#[derive(Debug, Clone)]
struct Case {
    col: ColumnDef,
    value: Value,
    bytes: Vec<u8>,
}

fn case(column_type: u8, meta: u16, value: Value, bytes: Vec<u8>) -> Case {
    Case {
        col: ColumnDef::new(column_type, meta).unwrap(),
        value,
        bytes,
    }
}

fn le(v: u64, n: usize) -> Vec<u8> {
    v.to_le_bytes()[..n].to_vec()
}

fn be(v: u64, n: usize) -> Vec<u8> {
    v.to_be_bytes()[8 - n..].to_vec()
}

/// Length prefix of `width` bytes, then the payload.
fn prefixed(width: usize, payload: &[u8]) -> Vec<u8> {
    let mut out = le(payload.len() as u64, width);
    out.extend_from_slice(payload);
    out
}

fn int_case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![
            (t::TINY, 1),
            (t::SHORT, 2),
            (t::INT24, 3),
            (t::LONG, 4),
            (t::LONGLONG, 8),
        ]),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|((ty, w), unsigned, raw)| {
            let bits = 8 * w as u32;
            let raw = if bits == 64 {
                raw
            } else {
                raw & ((1u64 << bits) - 1)
            };
            let value = if unsigned {
                Value::UInt(raw)
            } else {
                let shift = 64 - bits;
                Value::Int(((raw << shift) as i64) >> shift)
            };
            let mut c = case(ty, 0, value, le(raw, w));
            c.col = c.col.unsigned(unsigned);
            c
        })
}

fn float_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        any::<f32>()
            .prop_filter("not NaN", |f| !f.is_nan())
            .prop_map(|f| case(t::FLOAT, 4, Value::Float(f), f.to_le_bytes().to_vec())),
        any::<f64>()
            .prop_filter("not NaN", |f| !f.is_nan())
            .prop_map(|f| case(t::DOUBLE, 8, Value::Double(f), f.to_le_bytes().to_vec())),
    ]
}

/// Binary DECIMAL of the given digits (`decimal2bin`).
fn encode_decimal(negative: bool, int_digits: &str, frac_digits: &str) -> Vec<u8> {
    const BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
    let mut out = Vec::new();
    let mut group = |digits: &str| {
        if !digits.is_empty() {
            let n = if digits.len() == 9 {
                4
            } else {
                BYTES[digits.len()]
            };
            out.extend(be(digits.parse::<u64>().unwrap(), n));
        }
    };
    let lead = int_digits.len() % 9;
    group(&int_digits[..lead]);
    int_digits.as_bytes()[lead..]
        .chunks(9)
        .for_each(|c| group(std::str::from_utf8(c).unwrap()));
    frac_digits
        .as_bytes()
        .chunks(9)
        .for_each(|c| group(std::str::from_utf8(c).unwrap()));
    if negative {
        out.iter_mut().for_each(|b| *b = !*b);
    }
    if let Some(b) = out.first_mut() {
        *b ^= 0x80;
    }
    out
}

fn decimal_case() -> impl Strategy<Value = Case> {
    (1u8..=65)
        .prop_flat_map(|p| (Just(p), 0..=p.min(30)))
        .prop_flat_map(|(p, s)| {
            (
                Just((p, s)),
                any::<bool>(),
                proptest::string::string_regex(&format!("[0-9]{{{}}}", p - s)).unwrap(),
                proptest::string::string_regex(&format!("[0-9]{{{s}}}")).unwrap(),
            )
        })
        .prop_map(|((p, s), negative, int, frac)| {
            let trimmed = int.trim_start_matches('0');
            let mut text = if trimmed.is_empty() {
                "0".to_string()
            } else {
                trimmed.to_string()
            };
            if s > 0 {
                text = format!("{text}.{frac}");
            }
            let zero = text.bytes().all(|b| b == b'0' || b == b'.');
            if negative && !zero {
                text.insert(0, '-');
            }
            let bytes = encode_decimal(negative, &int, &frac);
            case(
                t::NEWDECIMAL,
                u16::from_be_bytes([p, s]),
                Value::Decimal(text),
                bytes,
            )
        })
}

fn bit_enum_set_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        (1u16..=64, any::<u64>()).prop_map(|(bits, raw)| {
            let n = bits.div_ceil(8) as usize;
            let bytes = be(raw, n);
            let meta = ((bits / 8) << 8) | (bits % 8);
            case(
                t::BIT,
                meta,
                Value::Bit {
                    bits,
                    bytes: bytes.clone(),
                },
                bytes,
            )
        }),
        (1u16..=2, any::<u16>()).prop_map(|(w, raw)| {
            let v = if w == 1 { raw & 0xff } else { raw };
            case(
                t::STRING,
                (u16::from(t::ENUM) << 8) | w,
                Value::Enum(v),
                le(v.into(), w.into()),
            )
        }),
        (1u16..=8, any::<u64>()).prop_map(|(w, raw)| {
            let v = if w == 8 {
                raw
            } else {
                raw & ((1 << (8 * w)) - 1)
            };
            case(
                t::STRING,
                (u16::from(t::SET) << 8) | w,
                Value::Set(v),
                le(v, w.into()),
            )
        }),
    ]
}

fn fraction_micros(fsp: u8) -> impl Strategy<Value = u32> {
    let unit = match fsp {
        0 => 1_000_000,
        1 | 2 => 10_000,
        3 | 4 => 100,
        _ => 1,
    };
    (0u32..1_000_000).prop_map(move |m| {
        if unit == 1_000_000 {
            0
        } else {
            m / unit * unit
        }
    })
}

fn fraction_bytes(fsp: u8, micros: u32) -> Vec<u8> {
    match fsp {
        1 | 2 => be(u64::from(micros / 10_000), 1),
        3 | 4 => be(u64::from(micros / 100), 2),
        5 | 6 => be(u64::from(micros), 3),
        _ => vec![],
    }
}

fn temporal_case() -> impl Strategy<Value = Case> {
    let fsp = 0u8..=6;
    prop_oneof![
        prop_oneof![Just(0u16), 1901u16..=2155].prop_map(|y| {
            let raw = if y == 0 { 0 } else { y - 1900 };
            case(t::YEAR, 0, Value::Year(y), vec![raw as u8])
        }),
        (
            0u16..=9999,
            0u8..=12,
            0u8..=31,
            prop::sample::select(vec![t::DATE, t::NEWDATE])
        )
            .prop_map(|(year, month, day, ty)| {
                let raw = (u64::from(year) << 9) | (u64::from(month) << 5) | u64::from(day);
                case(ty, 0, Value::Date { year, month, day }, le(raw, 3))
            }),
        (any::<bool>(), 0u32..=838, 0u8..60, 0u8..60).prop_map(|(neg, h, m, s)| {
            let abs = (h * 10_000 + u32::from(m) * 100 + u32::from(s)) as i32;
            let signed = if neg { -abs } else { abs };
            let value = Value::Time {
                negative: neg && abs != 0,
                hours: h,
                minutes: m,
                seconds: s,
                micros: 0,
            };
            case(t::TIME, 0, value, le(signed as u32 as u64, 3))
        }),
        fsp.clone()
            .prop_flat_map(|fsp| (
                Just(fsp),
                any::<bool>(),
                0u32..=838,
                0u8..60,
                0u8..60,
                fraction_micros(fsp)
            ))
            .prop_map(|(fsp, neg, h, m, s, micros)| {
                let hms = (i64::from(h) << 12) | (i64::from(m) << 6) | i64::from(s);
                let abs = (hms << 24) + i64::from(micros);
                let negative = neg && abs != 0;
                let packed = if negative { -abs } else { abs };
                let bytes = match fsp {
                    0 => be(((packed >> 24) + 0x80_0000) as u64, 3),
                    1..=4 => {
                        let (div, n) = if fsp <= 2 { (10_000, 1) } else { (100, 2) };
                        let mut out = be(((packed >> 24) + 0x80_0000) as u64, 3);
                        let frac = (packed % (1 << 24)) / div;
                        out.extend(be(frac as u64 & ((1 << (8 * n)) - 1), n));
                        out
                    }
                    _ => be((packed + 0x8000_0000_0000) as u64, 6),
                };
                let value = Value::Time {
                    negative,
                    hours: h,
                    minutes: m,
                    seconds: s,
                    micros,
                };
                case(t::TIME2, fsp.into(), value, bytes)
            }),
        (0u16..=9999, 0u8..=12, 0u8..=31, 0u8..24, 0u8..60, 0u8..60).prop_map(
            |(y, mo, d, h, mi, s)| {
                let raw = ((u64::from(y) * 10_000 + u64::from(mo) * 100 + u64::from(d))
                    * 1_000_000)
                    + u64::from(h) * 10_000
                    + u64::from(mi) * 100
                    + u64::from(s);
                let value = Value::DateTime {
                    year: y,
                    month: mo,
                    day: d,
                    hour: h,
                    minute: mi,
                    second: s,
                    micros: 0,
                };
                case(t::DATETIME, 0, value, le(raw, 8))
            }
        ),
        fsp.clone()
            .prop_flat_map(|fsp| (
                Just(fsp),
                (0u16..=9999, 0u8..=12, 0u8..=31),
                (0u8..24, 0u8..60, 0u8..60),
                fraction_micros(fsp)
            ))
            .prop_map(|(fsp, (y, mo, d), (h, mi, s), micros)| {
                let ym = u64::from(y) * 13 + u64::from(mo);
                let int = (ym << 22)
                    | (u64::from(d) << 17)
                    | (u64::from(h) << 12)
                    | (u64::from(mi) << 6)
                    | u64::from(s);
                let mut bytes = be(int + 0x80_0000_0000, 5);
                bytes.extend(fraction_bytes(fsp, micros));
                let value = Value::DateTime {
                    year: y,
                    month: mo,
                    day: d,
                    hour: h,
                    minute: mi,
                    second: s,
                    micros,
                };
                case(t::DATETIME2, fsp.into(), value, bytes)
            }),
        any::<u32>().prop_map(|s| case(
            t::TIMESTAMP,
            0,
            Value::Timestamp {
                seconds: s,
                micros: 0
            },
            le(s.into(), 4)
        )),
        fsp.prop_flat_map(|fsp| (Just(fsp), any::<u32>(), fraction_micros(fsp)))
            .prop_map(|(fsp, seconds, micros)| {
                let mut bytes = be(seconds.into(), 4);
                bytes.extend(fraction_bytes(fsp, micros));
                case(
                    t::TIMESTAMP2,
                    fsp.into(),
                    Value::Timestamp { seconds, micros },
                    bytes,
                )
            }),
    ]
}

fn text_value(payload: Vec<u8>, charset: Option<u16>) -> Value {
    match charset {
        None | Some(63) => Value::Bytes(payload),
        charset => Value::String {
            bytes: payload,
            charset,
        },
    }
}

fn string_case() -> impl Strategy<Value = Case> {
    let charset = prop_oneof![Just(None), Just(Some(63u16)), (1u16..400).prop_map(Some)];
    prop_oneof![
        // VARCHAR(max bytes)
        (1u16..=u16::MAX, charset.clone())
            .prop_flat_map(|(max, cs)| (
                Just(max),
                Just(cs),
                prop::collection::vec(any::<u8>(), 0..=usize::from(max.min(300)))
            ))
            .prop_map(|(max, cs, payload)| {
                let mut c = case(
                    t::VARCHAR,
                    max,
                    text_value(payload.clone(), cs),
                    prefixed(if max < 256 { 1 } else { 2 }, &payload),
                );
                c.col = c.col.charset(cs);
                c
            }),
        // CHAR(max bytes), lengths over 255 borrow bits of the type byte
        (1u16..=1023, charset.clone())
            .prop_flat_map(|(max, cs)| (
                Just(max),
                Just(cs),
                prop::collection::vec(any::<u8>(), 0..=usize::from(max.min(300)))
            ))
            .prop_map(|(max, cs, payload)| {
                let hi = (0xFE & !0x30) | (0x30 ^ ((max >> 4) as u8 & 0x30));
                let meta = u16::from_be_bytes([hi, max as u8]);
                let mut c = case(
                    t::STRING,
                    meta,
                    text_value(payload.clone(), cs),
                    prefixed(if max < 256 { 1 } else { 2 }, &payload),
                );
                assert_eq!(c.col.max_length(), Some(max));
                c.col = c.col.charset(cs);
                c
            }),
        // BLOB / TEXT / GEOMETRY with pack length 1-4
        (
            1usize..=4,
            charset,
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=255)
        )
            .prop_map(|(pack, cs, geometry, payload)| {
                let (ty, value) = if geometry {
                    (t::GEOMETRY, Value::Geometry(payload.clone()))
                } else {
                    (t::BLOB, text_value(payload.clone(), cs))
                };
                let mut c = case(ty, pack as u16, value, prefixed(pack, &payload));
                c.col = c.col.charset(cs);
                c
            }),
        (
            2usize..=4,
            prop::collection::vec(any::<f32>().prop_filter("not NaN", |f| !f.is_nan()), 0..16)
        )
            .prop_map(|(pack, floats)| {
                let payload: Vec<u8> = floats.iter().flat_map(|f| f.to_le_bytes()).collect();
                case(
                    t::VECTOR,
                    pack as u16,
                    Value::Vector(floats),
                    prefixed(pack, &payload),
                )
            }),
    ]
}

/// Scalar JSON values with their binary form (type byte + data).
fn json_scalar() -> impl Strategy<Value = (Json, Vec<u8>)> {
    prop_oneof![
        Just((Json::Null, vec![0x04, 0x00])),
        any::<bool>().prop_map(|b| (Json::Bool(b), vec![0x04, if b { 1 } else { 2 }])),
        any::<i16>().prop_map(|x| (
            Json::Int(x.into()),
            [&[0x05][..], &x.to_le_bytes()].concat()
        )),
        any::<u16>().prop_map(|x| (
            Json::UInt(x.into()),
            [&[0x06][..], &x.to_le_bytes()].concat()
        )),
        any::<i32>().prop_map(|x| (
            Json::Int(x.into()),
            [&[0x07][..], &x.to_le_bytes()].concat()
        )),
        any::<u32>().prop_map(|x| (
            Json::UInt(x.into()),
            [&[0x08][..], &x.to_le_bytes()].concat()
        )),
        any::<i64>().prop_map(|x| (Json::Int(x), [&[0x09][..], &x.to_le_bytes()].concat())),
        any::<u64>().prop_map(|x| (Json::UInt(x), [&[0x0a][..], &x.to_le_bytes()].concat())),
        any::<f64>()
            .prop_filter("not NaN", |f| !f.is_nan())
            .prop_map(|x| (Json::Double(x), [&[0x0b][..], &x.to_le_bytes()].concat())),
        "[a-z]{0,100}".prop_map(|s| {
            let mut bytes = vec![0x0c, s.len() as u8];
            bytes.extend(s.as_bytes());
            (Json::String(s), bytes)
        }),
    ]
}

/// Small JSON array (type 0x02) of non-inlined scalars.
fn encode_small_array(items: &[(Json, Vec<u8>)]) -> Vec<u8> {
    let header = 4 + 3 * items.len();
    let mut entries = Vec::new();
    let mut values: Vec<u8> = Vec::new();
    for (_, bin) in items {
        entries.push(bin[0]);
        entries.extend(((header + values.len()) as u16).to_le_bytes());
        values.extend(&bin[1..]);
    }
    let size = (header + values.len()) as u16;
    let mut out = vec![0x02];
    out.extend((items.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(entries);
    out.extend(values);
    out
}

fn json_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        json_scalar(),
        prop::collection::vec(json_scalar(), 0..6)
            // literals and 16-bit ints are inlined in small containers; keep the rest
            .prop_map(|items| items
                .into_iter()
                .filter(|(_, b)| !matches!(b[0], 0x04..=0x06))
                .collect::<Vec<_>>())
            .prop_map(|items| {
                let bin = encode_small_array(&items);
                (
                    Json::Array(items.into_iter().map(|(j, _)| j).collect()),
                    bin,
                )
            }),
    ]
    .prop_map(|(json, bin)| case(t::JSON, 4, Value::Json(json), prefixed(4, &bin)))
}

fn any_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        int_case(),
        float_case(),
        decimal_case(),
        bit_enum_set_case(),
        temporal_case(),
        string_case(),
        json_case(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn values_round_trip(c in any_case(), junk in prop::collection::vec(any::<u8>(), 0..8)) {
        let mut input = c.bytes.clone();
        input.extend(&junk);
        let (value, used) = decode_value(&c.col, &input).unwrap();
        prop_assert_eq!(&value, &c.value);
        prop_assert_eq!(used, c.bytes.len());
        prop_assert_eq!(value_len(&c.col, &input).unwrap(), c.bytes.len());
        // Any cut of the value is a Truncated error, never a panic.
        for cut in 0..c.bytes.len() {
            prop_assert!(value_len(&c.col, &c.bytes[..cut]).is_err());
            prop_assert!(decode_value(&c.col, &c.bytes[..cut]).is_err());
        }
    }

    #[test]
    fn random_bytes_never_panic(c in any_case(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let len = value_len(&c.col, &bytes);
        // Content errors are fine; a decoded value must take what value_len says.
        if let Ok((_, used)) = decode_value(&c.col, &bytes) {
            prop_assert_eq!(len, Ok(used));
        }
    }

    #[test]
    fn random_metadata_never_panics(ty in any::<u8>(), meta in any::<u16>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(col) = ColumnDef::new(ty, meta) {
            let len = value_len(&col, &bytes);
            if let Ok((_, used)) = decode_value(&col, &bytes) {
                prop_assert_eq!(len, Ok(used));
            }
        }
    }

    #[test]
    fn rows_round_trip(
        cases in prop::collection::vec(any_case(), 1..12),
        rows in prop::collection::vec(prop::collection::vec((any::<bool>(), any::<bool>()), 12), 1..5),
        update in any::<bool>(),
    ) {
        // Every row uses the same columns; each column is absent / NULL / the case's value.
        let columns: Vec<ColumnDef> = cases.iter().map(|c| c.col.clone()).collect();
        let n = columns.len();
        let mut present = vec![0u8; n.div_ceil(8)];
        for (i, (p, _)) in rows[0].iter().take(n).enumerate() {
            if *p { present[i / 8] |= 1 << (i % 8); }
        }
        let mut data = Vec::new();
        let mut expected = Vec::new();
        for row in &rows {
            let mut image = Vec::new();
            let mut nulls = vec![0u8; 12usize.div_ceil(8)];
            let mut values: Vec<u8> = Vec::new();
            let mut k = 0;
            for (i, c) in cases.iter().enumerate() {
                if present[i / 8] & (1 << (i % 8)) == 0 {
                    image.push(None);
                    continue;
                }
                if row[i].1 {
                    nulls[k / 8] |= 1 << (k % 8);
                    image.push(Some(Value::Null));
                } else {
                    values.extend(&c.bytes);
                    image.push(Some(c.value.clone()));
                }
                k += 1;
            }
            let images = if update { 2 } else { 1 };
            for _ in 0..images {
                data.extend(&nulls[..k.div_ceil(8)]);
                data.extend(&values);
            }
            expected.push(RowImages {
                before: update.then(|| image.clone()),
                after: Some(image),
            });
        }
        let layout = RowsLayout::new(&columns, n, update.then_some(&present[..]), Some(&present), false).unwrap();
        let any_present = present.iter().any(|b| *b != 0);
        let decoded: Result<Vec<_>, _> = decode_rows(&layout, &data).collect();
        let counted = count_rows(&layout, &data);
        if any_present {
            prop_assert_eq!(decoded.unwrap(), expected);
            prop_assert_eq!(counted.unwrap(), rows.len() as u64);
        } else {
            // Images without columns take no bytes: nothing to decode, nothing to count.
            prop_assert!(decoded.unwrap().is_empty());
            prop_assert_eq!(counted.unwrap(), 0);
        }
    }

    #[test]
    fn random_rows_never_panic(
        cases in prop::collection::vec(any_case(), 1..10),
        before in prop::collection::vec(any::<u8>(), 2),
        after in prop::collection::vec(any::<u8>(), 2),
        which in 0u8..4,
        data in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let columns: Vec<ColumnDef> = cases.iter().map(|c| c.col.clone()).collect();
        let (b, a, partial) = match which {
            0 => (None, Some(&after[..]), false),
            1 => (Some(&before[..]), None, false),
            2 => (Some(&before[..]), Some(&after[..]), false),
            _ => (Some(&before[..]), Some(&after[..]), true),
        };
        let layout = RowsLayout::new(&columns, columns.len(), b, a, partial).unwrap();
        let decoded: Result<Vec<_>, _> = decode_rows(&layout, &data).collect();
        let counted = count_rows(&layout, &data);
        if let Ok(rows) = decoded {
            prop_assert_eq!(counted, Ok(rows.len() as u64));
        }
    }
}

/// A JSON column value (pack length 4) whose document is `doc`.
fn json_value(doc: &[u8]) -> Vec<u8> {
    prefixed(4, doc)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_json_never_panics(kind in 0u8..0x10, body in prop::collection::vec(any::<u8>(), 0..96)) {
        let col = ColumnDef::new(t::JSON, 4).unwrap();
        let mut doc = vec![kind];
        doc.extend(&body);
        let input = json_value(&doc);
        let _ = decode_value(&col, &input);
    }

    #[test]
    fn random_json_diff_never_panics(body in prop::collection::vec(any::<u8>(), 0..96)) {
        // PARTIAL_UPDATE_ROWS row: before image, then value options 1, partial bit set.
        let columns = vec![ColumnDef::new(t::JSON, 4).unwrap()];
        let present = [1u8];
        let mut data = vec![0u8];
        data.extend(json_value(&[0x04, 0x00]));
        data.extend([1, 1, 0]);
        data.extend(json_value(&body));
        let layout = RowsLayout::new(&columns, 1, Some(&present), Some(&present), true).unwrap();
        let _ = decode_rows(&layout, &data).collect::<Vec<_>>();
        let _ = count_rows(&layout, &data);
    }
}

#[test]
fn deeply_nested_json_is_an_error() {
    // [[[[...]]]] 300 levels deep, each a small array with one non-inlined element.
    let mut doc = vec![0x02, 0, 0, 4, 0]; // empty array
    for _ in 0..300 {
        let size = 4 + 3 + doc.len() - 1;
        let mut outer = vec![0x02, 1, 0];
        outer.extend((size as u16).to_le_bytes());
        outer.push(doc[0]);
        outer.extend(7u16.to_le_bytes());
        outer.extend(&doc[1..]);
        doc = outer;
        if doc.len() > 60_000 {
            break;
        }
    }
    let col = ColumnDef::new(t::JSON, 4).unwrap();
    let err = decode_value(&col, &json_value(&doc)).unwrap_err();
    assert!(err.to_string().contains("too deeply"), "{err}");
}

#[test]
fn partial_json_update_decodes() {
    use myreplay_binlog::value::{JsonDiff, JsonDiffOp};
    // One JSON column; after image: value options 1, partial bits 0b1, no NULLs, then
    // REPLACE '$.a' with the int16 7.
    let columns = vec![ColumnDef::new(t::JSON, 4).unwrap()];
    let present = [1u8];
    let mut diff = vec![0u8, 3];
    diff.extend(b"$.a");
    diff.extend([3, 0x05, 7, 0]);
    let mut data = vec![0u8];
    data.extend(json_value(&[0x04, 0x00]));
    data.extend([1, 1, 0]);
    data.extend(json_value(&diff));
    let layout = RowsLayout::new(&columns, 1, Some(&present), Some(&present), true).unwrap();
    let rows: Vec<_> = decode_rows(&layout, &data)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].before, Some(vec![Some(Value::Json(Json::Null))]));
    assert_eq!(
        rows[0].after,
        Some(vec![Some(Value::JsonDiff(vec![JsonDiff {
            op: JsonDiffOp::Replace,
            path: "$.a".into(),
            value: Some(Json::Int(7)),
        }]))])
    );
    assert_eq!(count_rows(&layout, &data).unwrap(), 1);
}

#[test]
fn errors_name_row_column_and_offset() {
    let columns = vec![
        ColumnDef::with_index(0, t::LONG, 0).unwrap(),
        ColumnDef::with_index(1, t::VARCHAR, 100).unwrap(),
    ];
    let present = [0b11u8];
    // Row 0 fine, row 1's VARCHAR claims 50 bytes with 2 left.
    let data = [0, 1, 0, 0, 0, 1, b'x', 0, 2, 0, 0, 0, 50, b'y', b'z'];
    let layout = RowsLayout::new(&columns, 2, None, Some(&present), false).unwrap();
    let err = count_rows(&layout, &data).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1 at byte 7 of the rows data: column 1: value truncated: needs 51 bytes, 3 left"
    );
    let results: Vec<_> = decode_rows(&layout, &data).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].as_ref().unwrap_err(), &err);
}
