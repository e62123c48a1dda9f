//! The framing of the direct link between the editor and a running game.
//!
//! Godot's debugger peers move messages on a thread that wakes every
//! 6.9 ms on each side, so one request and its answer through the debugger
//! channel wait 14 ms on average before either end even sees them. Calls
//! that do not change the game's time (reads, writes, calls, input) go over
//! a local socket the game offers instead, and are answered within one of
//! its main-loop iterations. The link is newline-framed: each line is a
//! request or answer id, a space, and compact JSON (which never holds a raw
//! newline). The first line from the editor carries id 0 and the token the
//! game offered over the debugger channel; anything else closes the link.

use std::io::{ErrorKind, Read, Write};

use crate::{ErrorBody, ErrorCode};

/// Game to editor over the debugger channel: `[socket path, token]`.
pub const OFFER: &str = "godot_mcp:link";
/// The longest line either side accepts.
pub const MAX_LINE: usize = 64 << 20;

/// One framed line: `<id> <text>\n`.
pub fn line(id: i64, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 24);
    out.extend_from_slice(id.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
    out
}

/// Collects bytes as they arrive and yields complete lines.
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
    /// Where the search for the next newline resumes.
    scanned: usize,
}

impl Lines {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line as `(id, text)`; an error for a line that is
    /// too long or not framed, after which the link should be closed.
    pub fn next_line(&mut self) -> Option<Result<(i64, String), ErrorBody>> {
        let Some(end) = self.buf[self.scanned..].iter().position(|b| *b == b'\n') else {
            self.scanned = self.buf.len();
            if self.buf.len() > MAX_LINE {
                return Some(Err(malformed("a line longer than the link allows")));
            }
            return None;
        };
        let end = self.scanned + end;
        let raw: Vec<u8> = self.buf.drain(..=end).collect();
        self.scanned = 0;
        let text = match String::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => return Some(Err(malformed("a line that is not UTF-8"))),
        };
        let text = text.trim_end_matches('\n');
        let Some((id, body)) = text.split_once(' ') else {
            return Some(Err(malformed("a line without an id")));
        };
        Some(match id.parse::<i64>() {
            Ok(id) => Ok((id, body.to_owned())),
            Err(_) => Err(malformed("a line whose id is not a number")),
        })
    }
}

/// Reads what a non-blocking stream has, up to about `at_most` bytes,
/// into `lines`; false when the stream is closed or failed.
pub fn fill(stream: &mut impl Read, lines: &mut Lines, at_most: usize) -> bool {
    let mut buf = [0u8; 16 * 1024];
    let mut read = 0;
    while read < at_most {
        match stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                lines.feed(&buf[..n]);
                read += n;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Writes what a non-blocking stream takes of `out`, keeping the rest;
/// false when the stream is closed or failed.
pub fn flush(stream: &mut impl Write, out: &mut Vec<u8>) -> bool {
    while !out.is_empty() {
        match stream.write(out) {
            Ok(0) => return false,
            Ok(n) => {
                out.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

fn malformed(what: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::MalformedRequest, format!("game link: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_reads_come_out_whole() {
        let mut lines = Lines::default();
        let mut bytes = line(7, r#"{"op":"game_get"}"#);
        bytes.extend(line(8, "x y"));
        let (a, b) = bytes.split_at(5);
        lines.feed(a);
        assert!(lines.next_line().is_none());
        lines.feed(b);
        assert_eq!(
            lines.next_line().unwrap().unwrap(),
            (7, r#"{"op":"game_get"}"#.to_owned())
        );
        assert_eq!(lines.next_line().unwrap().unwrap(), (8, "x y".to_owned()));
        assert!(lines.next_line().is_none());
    }

    /// A stream that takes or gives at most `chunk` bytes a call, then
    /// would block.
    struct Trickle {
        data: Vec<u8>,
        chunk: usize,
        calls: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) || self.data.is_empty() {
                return Err(ErrorKind::WouldBlock.into());
            }
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data.drain(..n);
            Ok(n)
        }
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(ErrorKind::WouldBlock.into());
            }
            let n = self.chunk.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_and_reads_carry_every_line_across() {
        let mut wire = Trickle {
            data: Vec::new(),
            chunk: 7,
            calls: 0,
        };
        let mut out = line(1, "first");
        out.extend(line(2, "second"));
        let mut rounds = 0;
        while !out.is_empty() {
            assert!(flush(&mut wire, &mut out));
            rounds += 1;
        }
        assert!(rounds > 1, "a would-block write keeps the rest");
        let mut lines = Lines::default();
        wire.calls = 0;
        let mut got = Vec::new();
        while got.len() < 2 {
            assert!(fill(&mut wire, &mut lines, 1 << 20));
            while let Some(l) = lines.next_line() {
                got.push(l.unwrap());
            }
        }
        assert_eq!(got, [(1, "first".into()), (2, "second".into())]);
    }

    #[test]
    fn a_closed_stream_ends_the_link() {
        let mut closed: &[u8] = &[];
        assert!(!fill(&mut closed, &mut Lines::default(), 1024));
    }

    #[test]
    fn unframed_lines_are_errors() {
        for bad in [&b"nospace\n"[..], b"x {}\n", b"1 \xff\n"] {
            let mut lines = Lines::default();
            lines.feed(bad);
            assert!(lines.next_line().unwrap().is_err(), "{bad:?}");
        }
    }
}
