//! A shim driven over its standard input and output with raw JSON-RPC
//! lines, as any client could: for hostile input, protocol edge cases, and
//! timing the server without a client library's own costs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::{Editor, shim_binary};
use godot_mcp_protocol::discovery;

/// How long an answer to a handshake may take.
const ANSWER: Duration = Duration::from_secs(10);

/// A shim on raw standard input and output.
pub struct Wire {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Wire {
    pub async fn start(env: &[(&str, Option<String>)]) -> Result<Wire, String> {
        let mut cmd = tokio::process::Command::new(shim_binary()?);
        for (key, value) in env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start godot-mcp: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        // Big answers (a scene tree is megabytes) arrive in few reads.
        let stdout = BufReader::with_capacity(256 * 1024, child.stdout.take().ok_or("no stdout")?);
        Ok(Wire {
            child,
            stdin,
            stdout,
        })
    }

    /// A shim talking to the test editor.
    pub async fn to(editor: &Editor) -> Result<Wire, String> {
        Self::start(&[
            ("GODOT_MCP_PORT", Some(editor.port.to_string())),
            (
                discovery::DIR_ENV,
                Some(editor.runtime_dir.display().to_string()),
            ),
        ])
        .await
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stdin
            .write_all(bytes)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.stdin.flush().await.map_err(|e| format!("flush: {e}"))
    }

    pub async fn send(&mut self, message: Value) -> Result<(), String> {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        self.send_bytes(&line).await
    }

    /// The next message the shim writes, within `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Result<Value, String> {
        let mut line = String::new();
        match tokio::time::timeout(timeout, self.stdout.read_line(&mut line)).await {
            Err(_) => Err(format!("nothing within {} s", timeout.as_secs_f32())),
            Ok(Err(e)) => Err(format!("read: {e}")),
            Ok(Ok(0)) => Err("the shim closed its output".into()),
            Ok(Ok(_)) => serde_json::from_str(&line).map_err(|e| format!("{e}: {line}")),
        }
    }

    /// The answer to request `id`; other messages are skipped.
    pub async fn answer(&mut self, id: &Value, timeout: Duration) -> Result<Value, String> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let message = self.next(left).await.map_err(|e| format!("id {id}: {e}"))?;
            if message.get("id") == Some(id) && message.get("method").is_none() {
                return Ok(message);
            }
        }
    }

    /// Every message until `timeout` passes with nothing more.
    pub async fn drain(&mut self, timeout: Duration) -> Vec<Value> {
        let mut seen = Vec::new();
        while let Ok(message) = self.next(timeout).await {
            seen.push(message);
        }
        seen
    }

    /// The initialize of a 2025 client, without `notifications/initialized`.
    pub async fn initialize(&mut self) -> Result<(), String> {
        self.send(json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "e2e-wire", "version": "0"},
            },
        }))
        .await?;
        let answer = self.answer(&json!(0), ANSWER).await?;
        if answer["result"]["serverInfo"]["name"] != "godot-mcp" {
            return Err(format!("not godot-mcp's initialize answer: {answer}"));
        }
        Ok(())
    }

    /// A tool call's text as JSON, and whether it is a tool error.
    pub async fn call(
        &mut self,
        id: u64,
        name: &str,
        args: Value,
    ) -> Result<(Value, bool), String> {
        self.send(json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": args},
        }))
        .await?;
        tool_text(&self.answer(&json!(id), Duration::from_secs(30)).await?)
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub fn tool_text(answer: &Value) -> Result<(Value, bool), String> {
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .ok_or_else(|| format!("not a tool result: {answer}"))?;
    let body = serde_json::from_str(text).map_err(|e| format!("{e}: {text}"))?;
    Ok((body, answer["result"]["isError"] == true))
}
