//! A line scanner with a bounded buffer, for metadata files and for SQL dumps
//! of hundreds of gigabytes whose INSERT lines can be megabytes long.
//!
//! Each line is kept up to a cap (its start is what a reader looks at); the
//! rest of a longer line is skipped without being stored, and the line is
//! flagged as truncated. Memory stays at the reader's buffer plus the cap,
//! whatever the file holds.

use std::io::{self, BufRead};

/// Cap for SQL dumps: coordinate lines are short, data lines are not kept.
pub(crate) const SQL_LINE_CAP: usize = 16 * 1024;

/// Cap for metadata files, whose GTID sets can hold hundreds of server UUIDs
/// on one line.
pub(crate) const METADATA_LINE_CAP: usize = 1024 * 1024;

/// One line as the scanner kept it.
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The line without its end (`\n` or `\r\n`), at most the cap long.
    pub bytes: &'a [u8],
    /// The line was longer than the cap; `bytes` is its start.
    pub truncated: bool,
}

impl Line<'_> {
    /// The kept bytes as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.bytes)
    }
}

/// Reads lines from `R`, keeping at most `cap` bytes of each.
pub(crate) struct LineScanner<R> {
    reader: R,
    line: Vec<u8>,
    cap: usize,
    number: u64,
}

impl<R: BufRead> LineScanner<R> {
    pub fn new(reader: R, cap: usize) -> Self {
        Self {
            reader,
            line: Vec::with_capacity(cap.min(8 * 1024)),
            cap,
            number: 0,
        }
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.line.clear();
        let mut read_any = false;
        let mut truncated = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !read_any {
                    return Ok(None);
                }
                break;
            }
            read_any = true;
            let room = self.cap - self.line.len();
            let window = &available[..available.len().min(room)];
            if let Some(end) = window.iter().position(|&b| b == b'\n') {
                grow(&mut self.line, end, self.cap);
                self.line.extend_from_slice(&window[..end]);
                self.reader.consume(end + 1);
                break;
            }
            let taken = window.len();
            grow(&mut self.line, taken, self.cap);
            self.line.extend_from_slice(window);
            self.reader.consume(taken);
            if self.line.len() == self.cap {
                truncated = self.skip_rest()?;
                break;
            }
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        self.number += 1;
        Ok(Some(Line {
            number: self.number,
            bytes: &self.line,
            truncated,
        }))
    }

    /// Drops the rest of a line that filled the cap; true if there was any.
    fn skip_rest(&mut self) -> io::Result<bool> {
        let next = loop {
            match self.reader.fill_buf() {
                Ok(b) => break b.first().copied(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        match next {
            None => Ok(false),
            Some(b'\n') => {
                self.reader.consume(1);
                Ok(false)
            }
            Some(_) => {
                self.reader.skip_until(b'\n')?;
                Ok(true)
            }
        }
    }
}

/// Makes room for `more` bytes in `line`, doubling but never past `cap`
/// (`more` never takes it past `cap`).
fn grow(line: &mut Vec<u8>, more: usize, cap: usize) {
    let need = line.len() + more;
    if need > line.capacity() {
        let target = (line.capacity() * 2).max(need).min(cap);
        line.reserve_exact(target - line.len());
    }
}

#[cfg(test)]
mod tests {
    use super::LineScanner;
    use std::io::{BufReader, Read};

    /// Hands out a long generated text a little at a time, never holding it.
    struct Generated {
        line_len: usize,
        lines: usize,
        at: usize,
    }

    impl Read for Generated {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let total = (self.line_len + 1) * self.lines;
            let mut n = 0;
            while n < out.len() && self.at < total {
                let in_line = self.at % (self.line_len + 1);
                out[n] = if in_line == self.line_len {
                    b'\n'
                } else {
                    b'x'
                };
                n += 1;
                self.at += 1;
            }
            Ok(n)
        }
    }

    #[test]
    fn long_lines_are_cut_at_the_cap_and_the_buffer_never_grows_past_it() {
        // Below and above the buffer's first size (8 KiB): kept, then grown.
        for cap in [1024, 20_000] {
            let src = Generated {
                line_len: 3 * 1024 * 1024,
                lines: 20,
                at: 0,
            };
            let mut s = LineScanner::new(BufReader::with_capacity(64 * 1024, src), cap);
            let mut count = 0;
            while let Some(line) = s.next_line().unwrap() {
                count += 1;
                assert_eq!(line.bytes.len(), cap);
                assert!(line.truncated);
                assert_eq!(line.number, count);
            }
            assert_eq!(count, 20);
            assert!(
                s.line.capacity() <= cap,
                "the line buffer grew past its cap {cap}: {}",
                s.line.capacity()
            );
        }
    }

    #[test]
    fn lines_of_exactly_the_cap_are_whole_and_crlf_is_stripped() {
        let text = b"abcd\nab\r\n\nlast";
        let mut s = LineScanner::new(&text[..], 4);
        let mut got = Vec::new();
        while let Some(l) = s.next_line().unwrap() {
            got.push((l.number, l.text().into_owned(), l.truncated));
        }
        assert_eq!(
            got,
            vec![
                (1, "abcd".to_string(), false),
                (2, "ab".to_string(), false),
                (3, String::new(), false),
                (4, "last".to_string(), false),
            ]
        );
        let mut s = LineScanner::new(&b"abcdef\nxy\n"[..], 4);
        let l = s.next_line().unwrap().unwrap();
        assert_eq!((l.bytes, l.truncated), (&b"abcd"[..], true));
        let l = s.next_line().unwrap().unwrap();
        assert_eq!((l.bytes, l.truncated, l.number), (&b"xy"[..], false, 2));
        assert!(s.next_line().unwrap().is_none());
    }
}
