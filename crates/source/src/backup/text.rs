//! Small text helpers shared by the readers.

/// `text` after `prefix`, compared ASCII case-insensitively.
pub(super) fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Byte offset of `needle` in `text`, compared ASCII case-insensitively.
pub(super) fn find_ci(text: &str, needle: &str) -> Option<usize> {
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    if n.is_empty() || t.len() < n.len() {
        return None;
    }
    (0..=t.len() - n.len()).find(|&i| t[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// `value` without one pair of surrounding `'` or `"` quotes.
pub(super) fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['\'', '"'] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// A quoted string at the start of `text` (after spaces): its content and
/// what follows the closing quote, or `Err(content so far)` when the quote
/// does not close on this line.
pub(super) fn quoted(text: &str) -> Option<Result<(&str, &str), &str>> {
    let t = text.trim_start();
    let q = t.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &t[1..];
    Some(match body.find(q) {
        Some(end) => Ok((&body[..end], &body[end + 1..])),
        None => Err(body),
    })
}

/// Leading decimal digits of `text` (after spaces), as a number.
pub(super) fn leading_number(text: &str) -> Option<u64> {
    let t = text.trim_start();
    let t = t.strip_prefix('\'').unwrap_or(t);
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    t[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_read_what_the_tools_write() {
        assert_eq!(
            strip_prefix_ci("change MASTER TO x", "CHANGE MASTER"),
            Some(" TO x")
        );
        assert_eq!(strip_prefix_ci("CHANGE", "CHANGE MASTER"), None);
        assert_eq!(find_ci("a, master_log_pos=4", "MASTER_LOG_POS"), Some(3));
        assert_eq!(unquote(" \"binlog.000002\" "), "binlog.000002");
        assert_eq!(unquote("'0-1-3'"), "0-1-3");
        assert_eq!(unquote("'"), "'");
        assert_eq!(quoted(" 'a:1-5,';"), Some(Ok(("a:1-5,", ";"))));
        assert_eq!(quoted("'a:1-5,"), Some(Err("a:1-5,")));
        assert_eq!(quoted("x"), None);
        assert_eq!(leading_number(" 379;"), Some(379));
        assert_eq!(leading_number("'379',"), Some(379));
        assert_eq!(leading_number("x"), None);
    }
}
