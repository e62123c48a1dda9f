//! The game's end of the direct link (see `godot_mcp_protocol::link`): a
//! Unix socket in the per-user runtime folder, offered to the editor over
//! the debugger channel with a random token, polled without blocking once
//! per main-loop iteration, and removed when the game ends. Where Unix
//! sockets are missing every call stays on the debugger channel.

#[cfg(unix)]
pub use unix::Link;

#[cfg(not(unix))]
pub struct Link;

#[cfg(not(unix))]
impl Link {
    pub fn open() -> Option<Link> {
        None
    }
    pub fn offer(&self) -> (String, String) {
        (String::new(), String::new())
    }
    pub fn poll(&mut self, _handle: impl FnMut(i64, &str) -> Option<String>) {}
    pub fn wait(&self, _at_most: std::time::Duration) {}
}

#[cfg(unix)]
mod unix {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::PathBuf;
    use std::time::Duration;

    use godot_mcp_protocol::discovery;
    use godot_mcp_protocol::link::{Lines, fill, flush, line};

    /// Bytes read from the socket per poll at most, so one iteration never
    /// spends long on the link.
    const READ_PER_POLL: usize = 1 << 20;

    pub struct Link {
        listener: UnixListener,
        path: PathBuf,
        token: String,
        peer: Option<Peer>,
    }

    struct Peer {
        stream: UnixStream,
        trusted: bool,
        lines: Lines,
        /// Answer bytes the socket has not taken yet.
        out: Vec<u8>,
    }

    impl Link {
        /// Binds the socket; `None` (and calls stay on the debugger
        /// channel) when the runtime folder cannot hold it.
        pub fn open() -> Option<Link> {
            let dir = discovery::dir();
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .ok()?;
            let mut random = [0u8; 16];
            getrandom::fill(&mut random).ok()?;
            let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let path = dir.join(format!("game-{}-{}.sock", std::process::id(), &token[..8]));
            let _ = std::fs::remove_file(&path);
            let listener = UnixListener::bind(&path).ok()?;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
            listener.set_nonblocking(true).ok()?;
            Some(Link {
                listener,
                path,
                token,
                peer: None,
            })
        }

        /// What the editor needs to connect: the socket's path and the token.
        pub fn offer(&self) -> (String, String) {
            (self.path.display().to_string(), self.token.clone())
        }

        /// Accepts the editor, reads what it sent, answers each request with
        /// `handle` (which gives the answer's JSON text, or `None` when it
        /// answers later over the debugger channel), and writes what the
        /// socket takes.
        pub fn poll(&mut self, mut handle: impl FnMut(i64, &str) -> Option<String>) {
            if let Ok((stream, _)) = self.listener.accept()
                && stream.set_nonblocking(true).is_ok()
            {
                // A newer editor connection replaces the old one.
                self.peer = Some(Peer {
                    stream,
                    trusted: false,
                    lines: Lines::default(),
                    out: Vec::new(),
                });
            }
            let Some(peer) = self.peer.as_mut() else {
                return;
            };
            let trusted = peer.trusted;
            if !peer.pump(&self.token, &mut handle) {
                self.peer = None;
            } else if !trusted && peer.trusted {
                // Connected: the name is no longer needed, and a game that
                // is killed leaves nothing behind.
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }

    impl Link {
        /// Sleeps until the editor connects or sends something, or at most
        /// `at_most`: a frozen game waits here instead of spinning, and
        /// still answers at once.
        pub fn wait(&self, at_most: Duration) {
            let fd = |raw| libc::pollfd {
                fd: raw,
                events: libc::POLLIN,
                revents: 0,
            };
            let mut fds = vec![fd(self.listener.as_raw_fd())];
            if let Some(peer) = &self.peer {
                fds.push(fd(peer.stream.as_raw_fd()));
            }
            let ms = libc::c_int::try_from(at_most.as_millis()).unwrap_or(libc::c_int::MAX);
            // SAFETY: `fds` is a live array of `fds.len()` pollfd structs
            // whose descriptors stay open for the call.
            unsafe {
                libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms);
            }
        }
    }

    impl Peer {
        /// False when the link must close.
        fn pump(
            &mut self,
            token: &str,
            handle: &mut impl FnMut(i64, &str) -> Option<String>,
        ) -> bool {
            if !fill(&mut self.stream, &mut self.lines, READ_PER_POLL) {
                return false;
            }
            while let Some(next) = self.lines.next_line() {
                let Ok((id, text)) = next else {
                    return false;
                };
                if !self.trusted {
                    if id != 0 || text != token {
                        return false;
                    }
                    self.trusted = true;
                    continue;
                }
                if let Some(answer) = handle(id, &text) {
                    self.out.extend(line(id, &answer));
                }
            }
            flush(&mut self.stream, &mut self.out)
        }
    }

    impl Drop for Link {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
