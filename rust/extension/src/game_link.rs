//! The editor's end of the direct link to a running game (see
//! `godot_mcp_protocol::link`). The game offers a socket over the debugger
//! channel; the editor connects, proves it is the editor with the offered
//! token, and from then on writes requests and reads answers without
//! blocking, from the main thread, whenever a handler polls for its answer.

use std::collections::HashMap;

use godot_mcp_protocol::link::{Lines, line};
#[cfg(unix)]
use godot_mcp_protocol::link::{fill, flush};

#[cfg(unix)]
type Stream = std::os::unix::net::UnixStream;

pub struct GameLink {
    #[cfg(unix)]
    stream: Stream,
    lines: Lines,
    out: Vec<u8>,
}

impl GameLink {
    /// Connects to the socket a game offered; `None` when it cannot, and
    /// calls then stay on the debugger channel.
    #[cfg(unix)]
    pub fn connect(path: &str, token: &str) -> Option<GameLink> {
        let stream = Stream::connect(path).ok()?;
        stream.set_nonblocking(true).ok()?;
        let mut link = GameLink {
            stream,
            lines: Lines::default(),
            out: Vec::new(),
        };
        link.out.extend(line(0, token));
        link.flush().then_some(link)
    }

    #[cfg(not(unix))]
    pub fn connect(_path: &str, _token: &str) -> Option<GameLink> {
        None
    }

    /// Queues a request and writes what the socket takes; false when the
    /// link is broken.
    pub fn send(&mut self, id: i64, text: &str) -> bool {
        self.out.extend(line(id, text));
        self.flush()
    }

    /// Reads what has arrived into `replies`; false when the link is broken.
    pub fn pump(&mut self, replies: &mut HashMap<i64, String>) -> bool {
        if !self.flush() {
            return false;
        }
        #[cfg(unix)]
        if !fill(&mut self.stream, &mut self.lines, usize::MAX) {
            return false;
        }
        while let Some(next) = self.lines.next_line() {
            match next {
                Ok((id, text)) => {
                    replies.insert(id, text);
                }
                Err(_) => return false,
            }
        }
        true
    }

    fn flush(&mut self) -> bool {
        #[cfg(unix)]
        {
            flush(&mut self.stream, &mut self.out)
        }
        #[cfg(not(unix))]
        true
    }
}
