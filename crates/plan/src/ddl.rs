//! Which tables a DDL statement changes, so their key information can be
//! dropped until the schema is read again. Best effort: a statement this
//! does not recognise returns `None`, meaning "assume every table changed".

use crate::schema::TableName;

/// Tables named by a DDL statement, qualified with `default_db` when needed.
pub fn affected_tables(sql: &str, default_db: &str) -> Option<Vec<TableName>> {
    let tokens = tokenize(sql);
    let upper: Vec<String> = tokens.iter().map(|t| t.to_ascii_uppercase()).collect();
    let w = |i: usize| upper.get(i).map(String::as_str).unwrap_or("");
    let mut i = 0;
    // CREATE [OR REPLACE] [TEMPORARY] TABLE / ALTER [ONLINE] [IGNORE] TABLE / DROP [TEMPORARY] TABLE
    let verb = w(0);
    i += 1;
    while matches!(
        w(i),
        "OR" | "REPLACE" | "TEMPORARY" | "ONLINE" | "IGNORE" | "UNIQUE" | "FULLTEXT" | "SPATIAL"
    ) {
        i += 1;
    }
    let object = w(i);
    i += 1;
    let names_from = |mut i: usize, many: bool| -> Option<Vec<TableName>> {
        while matches!(w(i), "IF" | "NOT" | "EXISTS") {
            i += 1;
        }
        let mut out = vec![];
        loop {
            let (name, next) = qualified(&tokens, i, default_db)?;
            out.push(name);
            i = next;
            if many && tokens.get(i).map(String::as_str) == Some(",") {
                i += 1;
                continue;
            }
            break;
        }
        Some(out)
    };
    match (verb, object) {
        ("CREATE" | "ALTER", "TABLE") => names_from(i, false),
        ("DROP", "TABLE") | ("TRUNCATE", "TABLE") => names_from(i, true),
        ("TRUNCATE", _) => names_from(i - 1, false),
        ("RENAME", "TABLE") => {
            // RENAME TABLE a TO b, c TO d: both sides change.
            let mut out = vec![];
            let mut i = i;
            loop {
                let (from, next) = qualified(&tokens, i, default_db)?;
                if upper.get(next).map(String::as_str) != Some("TO") {
                    return None;
                }
                let (to, next) = qualified(&tokens, next + 1, default_db)?;
                out.extend([from, to]);
                i = next;
                if tokens.get(i).map(String::as_str) == Some(",") {
                    i += 1;
                    continue;
                }
                return Some(out);
            }
        }
        ("CREATE" | "DROP", "INDEX") => {
            // CREATE INDEX i ON t ... / DROP INDEX i ON t
            let on = upper.iter().position(|t| t == "ON")?;
            names_from(on + 1, false)
        }
        ("CREATE" | "DROP", "TRIGGER") | ("CREATE" | "DROP", "VIEW") => {
            // A trigger's table comes after ON; views change no table's keys.
            if object == "VIEW" {
                return Some(vec![]);
            }
            match upper.iter().position(|t| t == "ON") {
                Some(on) => names_from(on + 1, false),
                None => None,
            }
        }
        _ => None,
    }
}

/// `db`.`t`, db.t, `t` or t at `i`; returns the name and the next index.
fn qualified(tokens: &[String], i: usize, default_db: &str) -> Option<(TableName, usize)> {
    let first = unquote(tokens.get(i)?)?;
    if tokens.get(i + 1).map(String::as_str) == Some(".") {
        let second = unquote(tokens.get(i + 2)?)?;
        Some((TableName::new(&first, &second), i + 3))
    } else {
        Some((TableName::new(default_db, &first), i + 1))
    }
}

fn unquote(t: &str) -> Option<String> {
    if let Some(inner) = t.strip_prefix('`') {
        return Some(inner.strip_suffix('`')?.replace("``", "`"));
    }
    if t.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !t.is_empty()
    {
        return Some(t.to_string());
    }
    None
}

/// Words, `quoted identifiers`, and single punctuation characters; comments skipped.
fn tokenize(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() && out.len() < 64 {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if sql[i..].starts_with("/*") {
            i = sql[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
        } else if c == b'#' || sql[i..].starts_with("-- ") {
            i = sql[i..].find('\n').map_or(b.len(), |p| i + p + 1);
        } else if c == b'`' {
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => break,
                    Some(b'`') if b.get(j + 1) == Some(&b'`') => j += 2,
                    Some(b'`') => {
                        j += 1;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
            out.push(sql[i..j].to_string());
            i = j;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'$' || b[j] >= 0x80)
            {
                j += 1;
            }
            out.push(sql[i..j].to_string());
            i = j;
        } else {
            let len = sql[i..].chars().next().map_or(1, char::len_utf8);
            out.push(sql[i..i + len].to_string());
            i += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Option<Vec<String>> {
        affected_tables(sql, "d").map(|v| v.iter().map(|t| t.to_string()).collect())
    }

    #[test]
    fn recognised_statements() {
        assert_eq!(names("ALTER TABLE t ADD UNIQUE (a)").unwrap(), ["`d`.`t`"]);
        assert_eq!(
            names("create table if not exists `x`.`y` (id int)").unwrap(),
            ["`x`.`y`"]
        );
        assert_eq!(
            names("DROP TABLE IF EXISTS a, b.c /* generated by server */").unwrap(),
            ["`d`.`a`", "`b`.`c`"]
        );
        assert_eq!(
            names("RENAME TABLE a TO b, c TO e").unwrap(),
            ["`d`.`a`", "`d`.`b`", "`d`.`c`", "`d`.`e`"]
        );
        assert_eq!(
            names("CREATE UNIQUE INDEX i ON t (a)").unwrap(),
            ["`d`.`t`"]
        );
        assert_eq!(names("TRUNCATE t").unwrap(), ["`d`.`t`"]);
        assert_eq!(
            names("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x=1").unwrap(),
            ["`d`.`t`"]
        );
        assert_eq!(
            names("ALTER TABLE `we``ird` ADD c INT").unwrap(),
            ["`d`.`we`ird`"]
        );
        assert!(names("CREATE DATABASE z").is_none());
        assert!(names("GRANT ALL ON *.* TO u").is_none());
    }
}
