//! The extension's part inside a game the editor started.
//!
//! The editor kills a game as soon as the game's debugger connection
//! closes, and a quitting game closes it halfway through shutting down,
//! before its process has exited: the kill then hides the exit code the
//! game quit with. So as the game's main loop ends, it keeps a duplicate of
//! its end of the connection open, which the system closes only when the
//! process has exited (or after a few seconds, should the shutdown hang).
//! The editor, which waits for its child without reaping it (see
//! [`crate::runs`]), then sees the real exit status.
//!
//! Godot hands printed lines to its debugger connection in batches, and a
//! quitting game closes that connection without sending what it still
//! holds: the lines of its last frames would never reach the editor. So the
//! game flushes its output and gives the connection's thread a moment to
//! send it before the engine shuts the debugger down.

use godot::classes::{Engine, EngineDebugger};
use godot::obj::Singleton;

/// `EngineDebugger.line_poll` processes the debugger's events (the output
/// flush first) on every this many calls.
const LINE_POLLS_PER_FLUSH: usize = 2048;
/// Time the connection's thread (which wakes every millisecond) gets to
/// send the flushed output.
const SEND_TIME: std::time::Duration = std::time::Duration::from_millis(50);

/// Longest time the connection is held open past the debugger's own close.
#[cfg(target_os = "linux")]
const HOLD_AT_MOST: std::time::Duration = std::time::Duration::from_secs(5);

/// Called when the main loop shuts down, in the editor and in games alike.
pub fn main_loop_ending() {
    if Engine::singleton().is_editor_hint() || !EngineDebugger::singleton().is_active() {
        return;
    }
    flush_output();
    hold_connection();
}

/// Sends the output the debugger still holds to the editor.
fn flush_output() {
    let mut debugger = EngineDebugger::singleton();
    for _ in 0..LINE_POLLS_PER_FLUSH {
        debugger.line_poll();
    }
    std::thread::sleep(SEND_TIME);
}

/// The editor's debugger port from `--remote-debug tcp://host:port`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn debugger_port(args: &[String]) -> Option<u16> {
    let uri = args.iter().skip_while(|a| *a != "--remote-debug").nth(1)?;
    uri.strip_prefix("tcp://")?.rsplit_once(':')?.1.parse().ok()
}

/// Duplicates the socket connected to the editor's debugger and closes the
/// duplicate when the process exits, or after [`HOLD_AT_MOST`]. The port
/// is in the command line the editor started the game with (Godot keeps it
/// out of `OS.get_cmdline_args`).
#[cfg(target_os = "linux")]
fn hold_connection() {
    let Ok(cmdline) = std::fs::read("/proc/self/cmdline") else {
        return;
    };
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let Some(port) = debugger_port(&args) else {
        return;
    };
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for fd in fds
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
    {
        if peer_port(fd) != Some(port) {
            continue;
        }
        // SAFETY: dup and close only touch file descriptors.
        let copy = unsafe { libc::dup(fd) };
        if copy >= 0 {
            std::thread::spawn(move || {
                std::thread::sleep(HOLD_AT_MOST);
                // SAFETY: `copy` came from dup above and is closed once, here.
                unsafe { libc::close(copy) };
            });
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn hold_connection() {}

/// The remote port of a connected TCP socket.
#[cfg(target_os = "linux")]
fn peer_port(fd: i32) -> Option<u16> {
    // SAFETY: getpeername writes at most `len` bytes into the storage.
    unsafe {
        let mut addr: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, (&raw mut addr).cast(), &mut len) != 0 {
            return None;
        }
        match i32::from(addr.ss_family) {
            libc::AF_INET => {
                let v4: &libc::sockaddr_in = &*(&raw const addr).cast();
                Some(u16::from_be(v4.sin_port))
            }
            libc::AF_INET6 => {
                let v6: &libc::sockaddr_in6 = &*(&raw const addr).cast();
                Some(u16::from_be(v6.sin6_port))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_the_debugger_port() {
        let game = args(&[
            "--path",
            "/p",
            "--remote-debug",
            "tcp://127.0.0.1:6007",
            "--editor-pid",
            "7",
        ]);
        assert_eq!(debugger_port(&game), Some(6007));
        assert_eq!(
            debugger_port(&args(&["--remote-debug", "tcp://[::1]:6010"])),
            Some(6010)
        );
        assert_eq!(debugger_port(&args(&["--remote-debug"])), None);
        assert_eq!(debugger_port(&args(&["--remote-debug", "ws://x:1"])), None);
        assert_eq!(debugger_port(&args(&["--path", "/p"])), None);
    }
}
