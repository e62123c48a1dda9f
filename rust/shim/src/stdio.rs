//! MCP over standard input and output, where every request is answered.
//!
//! rmcp's own stdio transport drops a line that is not JSON, too long or
//! nested too deep without a word, and the client waits forever for its
//! answer. This one answers each such line with a JSON-RPC error: -32700
//! for text that cannot be parsed, -32600 for a line too long or a message
//! that is no request. The error carries the request's id whenever it can
//! still be read from the line's head, so the client can match it.
//! Notifications, which are never answered, are still dropped quietly.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ErrorData, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use serde_json::error::Category;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

/// The longest line taken, as large as the editor's own frame limit.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
/// How much of an overlong line is kept, to find its id.
const HEAD: usize = 4096;
const BOM: &[u8] = b"\xEF\xBB\xBF";

pub struct Stdio<R, W> {
    read: BufReader<R>,
    /// The line being read; it survives a cancelled read.
    line: Vec<u8>,
    /// Set while the rest of an overlong line is skipped.
    overlong: bool,
    write: Arc<Mutex<W>>,
}

/// The standard streams, through rmcp's non-blocking pipes when they are pipes.
pub fn stdio() -> Stdio<rmcp::transport::StdioReader, rmcp::transport::StdioWriter> {
    widen_stdout_pipe();
    let (read, write) = rmcp::transport::stdio_pipes();
    Stdio::new(read, write)
}

/// Lets a big answer (a 2,000-node tree is over 100 KB) fit the pipe whole,
/// so it leaves in one write instead of waiting for the client to drain
/// each 64 KB: on a busy machine every such wait is a trip through the
/// scheduler for both processes. Best effort: refused when standard output
/// is no pipe or the size is over the system's limit.
#[cfg(target_os = "linux")]
fn widen_stdout_pipe() {
    let _ = widen(std::io::stdout());
}

/// Sets a pipe's buffer to [`PIPE_BYTES`]; the size it now has.
#[cfg(target_os = "linux")]
fn widen(pipe: impl std::os::fd::AsFd) -> std::io::Result<usize> {
    Ok(rustix::pipe::fcntl_setpipe_size(pipe, PIPE_BYTES)?)
}

/// The default `/proc/sys/fs/pipe-max-size`.
#[cfg(target_os = "linux")]
const PIPE_BYTES: usize = 1024 * 1024;

#[cfg(not(target_os = "linux"))]
fn widen_stdout_pipe() {}

enum Line {
    Whole,
    Overlong,
}

/// What a line is to the server.
enum Parsed {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    Reply(ErrorData, Option<RequestId>),
    Ignore,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin + Send + 'static> Stdio<R, W> {
    pub fn new(read: R, write: W) -> Self {
        Self {
            read: BufReader::with_capacity(64 * 1024, read),
            line: Vec::new(),
            overlong: false,
            write: Arc::new(Mutex::new(write)),
        }
    }

    /// Reads one line into `self.line`, keeping only its head when it is
    /// too long; `None` at the end of input. Safe to cancel: bytes are
    /// appended and consumed together, so a new call resumes the line.
    async fn read_line(&mut self) -> Option<Line> {
        loop {
            let available = self.read.fill_buf().await.ok()?;
            if available.is_empty() {
                return None;
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let take = newline.map_or(available.len(), |i| i + 1);
            if !self.overlong && self.line.len() + take > MAX_LINE {
                self.overlong = true;
                self.line.truncate(HEAD);
            }
            let keep = if self.overlong {
                take.min(HEAD.saturating_sub(self.line.len()))
            } else {
                take
            };
            self.line.extend_from_slice(&available[..keep]);
            self.read.consume(take);
            if newline.is_some() {
                let overlong = std::mem::take(&mut self.overlong);
                return Some(if overlong {
                    Line::Overlong
                } else {
                    Line::Whole
                });
            }
        }
    }

    /// Sends an error from a task of its own, so a cancelled `receive`
    /// never leaves half a line on standard output.
    fn reply(&self, error: ErrorData, id: Option<RequestId>) {
        let Ok(mut text) = serde_json::to_vec(&TxJsonRpcMessage::<RoleServer>::error(error, id))
        else {
            return;
        };
        text.push(b'\n');
        let write = Arc::clone(&self.write);
        tokio::spawn(async move {
            let mut write = write.lock().await;
            if write.write_all(&text).await.is_ok() {
                let _ = write.flush().await;
            }
        });
    }
}

/// Decides what a line is, and the answer it needs when it is no message.
fn parse(line: &[u8]) -> Parsed {
    let line = line.strip_prefix(BOM).unwrap_or(line);
    let error = match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
        Ok(message) => return Parsed::Message(Box::new(message)),
        Err(e) => e,
    };
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => Parsed::Reply(
            ErrorData::parse_error(format!("Parse error: {error}"), None),
            find_id(line),
        ),
        Category::Data => {
            let value: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
            let id = value
                .get("id")
                .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
            if id.is_none() && value.get("method").is_some_and(Value::is_string) {
                // A notification this server does not know: never answered.
                return Parsed::Ignore;
            }
            Parsed::Reply(
                ErrorData::invalid_request(format!("Invalid request: {error}"), None),
                id,
            )
        }
    }
}

/// The `id` member at the top level of a JSON object, read from its text
/// without parsing the rest, which may be cut short, broken or nested too
/// deep for a parser.
fn find_id(text: &[u8]) -> Option<RequestId> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    if text[start] != b'{' {
        return None;
    }
    let mut depth = 0usize;
    let mut key_next = false;
    let mut i = start;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let end = string_end(text, i)?;
                if depth == 1 && key_next && &text[i..end] == b"\"id\"" {
                    let colon = skip_space(text, end);
                    if text.get(colon) != Some(&b':') {
                        return None;
                    }
                    let from = skip_space(text, colon + 1);
                    let to = if text.get(from) == Some(&b'"') {
                        string_end(text, from)?
                    } else {
                        from + text[from..]
                            .iter()
                            .take_while(|b| b.is_ascii_digit() || **b == b'-')
                            .count()
                    };
                    return serde_json::from_slice(&text[from..to]).ok();
                }
                key_next = false;
                i = end;
                continue;
            }
            b'{' => {
                depth += 1;
                key_next = depth == 1;
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => key_next = depth == 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index just past the string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_space(text: &[u8], from: usize) -> usize {
    from + text[from.min(text.len())..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count()
}

impl<R, W> Transport<RoleServer> for Stdio<R, W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        // Encoded here, at once, so the task that writes holds only bytes.
        let text = serde_json::to_vec(&item).map(|mut text| {
            text.push(b'\n');
            text
        });
        let write = Arc::clone(&self.write);
        async move {
            let text = text.map_err(std::io::Error::other)?;
            let mut write = write.lock().await;
            write.write_all(&text).await?;
            write.flush().await
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let line = self.read_line().await?;
            let parsed = match line {
                Line::Overlong => Parsed::Reply(
                    ErrorData::invalid_request(
                        format!("Invalid request: a message longer than {MAX_LINE} bytes"),
                        None,
                    ),
                    find_id(&self.line),
                ),
                Line::Whole => {
                    let text = self.line.trim_ascii();
                    if text.is_empty() {
                        Parsed::Ignore
                    } else {
                        parse(text)
                    }
                }
            };
            self.line.clear();
            match parsed {
                Parsed::Message(message) => return Some(*message),
                Parsed::Reply(error, id) => self.reply(error, id),
                Parsed::Ignore => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.write.lock().await.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Option<Value> {
        find_id(text.as_bytes()).map(|id| serde_json::to_value(id).unwrap())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_is_widened_to_hold_a_big_answer() {
        let (_read, write) = std::io::pipe().unwrap();
        assert!(rustix::pipe::fcntl_getpipe_size(&write).unwrap() < 200_000);
        assert_eq!(widen(&write).unwrap(), PIPE_BYTES);
        assert_eq!(
            rustix::pipe::fcntl_getpipe_size(&write).unwrap(),
            PIPE_BYTES
        );
    }

    #[test]
    fn the_id_is_read_from_the_head_of_a_broken_message() {
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"#),
            Some(Value::from(7))
        );
        assert_eq!(
            id(r#" { "params": {"id": 1, "x": ["id", {"id": 2}]}, "id" : "a\"b", "#),
            Some(Value::from("a\"b"))
        );
        let deep = format!(r#"{{"id":3,"params":{}"#, "[".repeat(100_000));
        assert_eq!(id(&deep), Some(Value::from(3)));
        assert_eq!(id(r#"{"params": {"id": 1}}"#), None);
        assert_eq!(id(r#"["id", 1]"#), None);
        assert_eq!(id("{"), None);
    }

    #[test]
    fn every_bad_line_but_a_notification_gets_an_answer() {
        let code = |line: &str| match parse(line.as_bytes()) {
            Parsed::Reply(error, id) => Some((error.code.0, id.map(|i| i.to_string()))),
            Parsed::Message(_) => None,
            Parsed::Ignore => Some((0, None)),
        };
        assert_eq!(code("{"), Some((-32700, None)));
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":4,"method":"ping","params":{}{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        assert_eq!(code(&deep), Some((-32700, Some("4".into()))));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":5,"method":7}"#),
            Some((-32600, Some("5".into())))
        );
        // A notification is never answered.
        assert!(matches!(
            code(r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#),
            None | Some((0, None))
        ));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#), None);
    }
}
