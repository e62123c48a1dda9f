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

    #[test]
    fn unframed_lines_are_errors() {
        for bad in [&b"nospace\n"[..], b"x {}\n", b"1 \xff\n"] {
            let mut lines = Lines::default();
            lines.feed(bad);
            assert!(lines.next_line().unwrap().is_err(), "{bad:?}");
        }
    }
}
