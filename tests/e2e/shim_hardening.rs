//! The shim against hostile input: garbage on standard input, cancelled
//! calls, planted and hostile discovery entries, a runtime directory open
//! to others, and an impostor listening where a record points. The shim is
//! driven over stdio with raw JSON-RPC lines, as any client could.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_e2e::wire::{Wire, tool_text};
use godot_mcp_e2e::{
    Editor, EditorOptions, RawClient, TestResult, free_port, godot_binary, sample_project_copy,
    test_runtime_dir,
};
use godot_mcp_protocol::discovery::{self, Discovery};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{Suite, ensure};

const ANSWER: Duration = Duration::from_secs(10);

pub struct H {
    editor: Editor,
}

type Test<'a> = Pin<Box<dyn Future<Output = TestResult> + 'a>>;

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, H>)] = &[
        (
            "shim_updates_flow_without_initialized",
            updates_without_initialized,
        ),
        ("shim_bad_lines_get_json_rpc_errors", bad_lines),
        ("shim_cancelled_call_is_not_answered", cancelled_call),
        ("shim_discovery_ignores_hostile_entries", hostile_discovery),
        ("shim_refuses_an_open_runtime_dir", open_runtime_dir),
        ("shim_refuses_an_editor_without_proof", impostor),
        (
            "shim_editor_refuses_an_open_runtime_dir",
            editor_open_runtime_dir,
        ),
    ];
    if filter.is_some_and(|f| !tests.iter().any(|(name, _)| name.contains(f))) {
        return;
    }
    let editor = match sample_project_copy("shim-hardening")
        .and_then(|p| Editor::start(&godot_binary()?, &p, EditorOptions::default()))
    {
        Ok(e) => e,
        Err(e) => return suite.fail("shim_hardening_editor_starts", &e),
    };
    suite.run_all(&H { editor }, filter, tests).await;
}

/// `_meta` of a request from a 2026-07-28 client, which sends no initialize.
fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "e2e-wire", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

fn updated(messages: &[Value], uri: &str) -> bool {
    messages
        .iter()
        .any(|m| m["method"] == "notifications/resources/updated" && m["params"]["uri"] == uri)
}

/// Waits for an update of `uri`, returning what came before it.
async fn await_update(wire: &mut Wire, uri: &str) -> Result<Vec<Value>, String> {
    let until = Instant::now() + ANSWER;
    let mut seen = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match wire.next(left).await {
            Ok(m) => {
                let hit = updated(std::slice::from_ref(&m), uri);
                seen.push(m);
                if hit {
                    return Ok(seen);
                }
            }
            Err(e) => return Err(format!("no update of {uri} ({e}); saw {seen:?}")),
        }
    }
}

fn updates_without_initialized(h: &H) -> Test<'_> {
    Box::pin(async move {
        const SCENE: &str = "godot://scene/current";
        // A 2026-07-28 client: no initialize at all, a listen stream.
        let mut wire = Wire::to(&h.editor).await?;
        let mut listen = json!({
            "jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
            "params": {"notifications": {"resourceSubscriptions": [SCENE]}},
        });
        listen["params"]["_meta"] = meta_2026();
        wire.send(listen).await?;
        let mut call = json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "get_editor_state", "arguments": {}},
        });
        call["params"]["_meta"] = meta_2026();
        wire.send(call).await?;
        let state = tool_text(&wire.answer(&json!(2), ANSWER).await?)?;
        ensure!(!state.1, "get_editor_state failed: {}", state.0);
        wire.drain(Duration::from_millis(1_500)).await;
        let mut change = json!({
            "jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "create_scene", "arguments":
                {"scene_path": "res://listened.tscn", "root_type": "Node2D", "overwrite": true}},
        });
        change["params"]["_meta"] = meta_2026();
        wire.send(change).await?;
        let seen = await_update(&mut wire, SCENE).await?;
        ensure!(updated(&seen, SCENE), "{seen:?}");
        drop(wire);

        // A 2025 client that initializes but never says initialized.
        let mut wire = Wire::to(&h.editor).await?;
        wire.initialize().await?;
        wire.send(json!({
            "jsonrpc": "2.0", "id": 1, "method": "resources/subscribe",
            "params": {"uri": SCENE},
        }))
        .await?;
        let subscribed = wire.answer(&json!(1), ANSWER).await?;
        ensure!(subscribed.get("error").is_none(), "{subscribed}");
        let (_, failed) = wire.call(2, "get_editor_state", json!({})).await?;
        ensure!(!failed, "get_editor_state failed");
        wire.drain(Duration::from_millis(1_500)).await;
        wire.send(json!({
            "jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "create_scene", "arguments":
                {"scene_path": "res://subscribed_raw.tscn", "root_type": "Node2D", "overwrite": true}},
        }))
        .await?;
        // The update may come before or after the call's answer.
        let seen = await_update(&mut wire, SCENE).await?;
        let answer = match seen.iter().find(|m| m.get("id") == Some(&json!(3))) {
            Some(answer) => answer.clone(),
            None => wire.answer(&json!(3), ANSWER).await?,
        };
        let (body, failed) = tool_text(&answer)?;
        ensure!(!failed, "create_scene failed: {body}");
        Ok(())
    })
}

/// A JSON-RPC error answer: its code and id.
fn error_of(answer: &Value) -> Result<(i64, Value), String> {
    let code = answer["error"]["code"]
        .as_i64()
        .ok_or_else(|| format!("not an error: {answer}"))?;
    Ok((code, answer.get("id").cloned().unwrap_or(Value::Null)))
}

fn bad_lines(_: &H) -> Test<'_> {
    Box::pin(async move {
        let empty = private_dir("bad-lines")?;
        let mut wire = Wire::start(&[
            ("GODOT_MCP_PORT", None),
            (discovery::DIR_ENV, Some(empty.display().to_string())),
        ])
        .await?;
        wire.initialize().await?;

        wire.send_bytes(b"{\n").await?;
        let answer = wire.next(ANSWER).await.map_err(|e| format!("`{{`: {e}"))?;
        let (code, id) = error_of(&answer)?;
        ensure!(code == -32700 && id.is_null(), "`{{`: {answer}");

        // 20 MiB in one line.
        let mut long = br#"{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"write_text_file","arguments":{"text":""#.to_vec();
        long.resize(long.len() + 20 * 1024 * 1024, b'a');
        long.extend_from_slice(b"\"}}}\n");
        wire.send_bytes(&long).await?;
        let answer = wire
            .answer(&json!(41), ANSWER)
            .await
            .map_err(|e| format!("20 MiB line: {e}"))?;
        let (code, _) = error_of(&answer)?;
        ensure!(code == -32600, "20 MiB line: {answer}");

        // 100,000 levels deep.
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{{"name":"get_editor_state","arguments":{{"x":{}{}}}}}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        wire.send_bytes(format!("{deep}\n").as_bytes()).await?;
        let answer = wire
            .answer(&json!(42), ANSWER)
            .await
            .map_err(|e| format!("deep JSON: {e}"))?;
        let (code, _) = error_of(&answer)?;
        ensure!(code == -32700, "deep JSON: {answer}");

        // JSON, but no request.
        wire.send(json!({"jsonrpc": "2.0", "id": 43, "method": 7}))
            .await?;
        let answer = wire.answer(&json!(43), ANSWER).await?;
        ensure!(error_of(&answer)?.0 == -32600, "{answer}");

        // And the shim still serves.
        wire.send(json!({"jsonrpc": "2.0", "id": 44, "method": "ping"}))
            .await?;
        let answer = wire.answer(&json!(44), ANSWER).await?;
        ensure!(answer.get("result").is_some(), "{answer}");
        let (_, failed) = wire.call(45, "list_sessions", json!({})).await?;
        ensure!(!failed, "list_sessions failed");
        Ok(())
    })
}

fn cancelled_call(h: &H) -> Test<'_> {
    Box::pin(async move {
        let mut wire = Wire::to(&h.editor).await?;
        wire.initialize().await?;
        let (_, failed) = wire.call(1, "get_editor_state", json!({})).await?;
        ensure!(!failed, "get_editor_state failed");
        // A stopped editor answers nothing until it is continued.
        h.editor.signal("STOP");
        let result = async {
            wire.send(json!({
                "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "get_editor_state", "arguments": {}},
            }))
            .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            wire.send(json!({
                "jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": {"requestId": 2, "reason": "the user changed their mind"},
            }))
            .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<(), String>(())
        }
        .await;
        h.editor.signal("CONT");
        result?;
        let (_, failed) = wire.call(3, "get_editor_state", json!({})).await?;
        ensure!(!failed, "get_editor_state after the cancel failed");
        let late = wire.drain(Duration::from_secs(2)).await;
        ensure!(
            !late.iter().any(|m| m.get("id") == Some(&json!(2))),
            "the cancelled call was answered: {late:?}"
        );
        Ok(())
    })
}

/// A fresh folder private to the user, apart from every editor's.
fn private_dir(tag: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = test_runtime_dir().with_file_name(format!("shim-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| e.to_string())?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Copies the editor's own record into `dir`, as it would have written it.
fn plant_record(editor: &Editor, dir: &Path) -> Result<Discovery, String> {
    let record = editor.discovery()?;
    record.write(dir).map_err(|e| e.to_string())?;
    Ok(record)
}

/// `list_sessions`, saying how long it took.
async fn list_sessions_within(wire: &mut Wire, id: u64) -> Result<(Value, bool), String> {
    let t = Instant::now();
    let out = wire.call(id, "list_sessions", json!({})).await;
    println!(
        "    list_sessions answered in {} ms",
        t.elapsed().as_millis()
    );
    out
}

fn hostile_discovery(h: &H) -> Test<'_> {
    Box::pin(async move {
        let dir = private_dir("hostile")?;
        let record = plant_record(&h.editor, &dir)?;
        let mkfifo = std::process::Command::new("mkfifo")
            .arg(dir.join("fifo.json"))
            .status()
            .map_err(|e| format!("mkfifo: {e}"))?;
        ensure!(mkfifo.success(), "mkfifo failed");
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero_0000.json"))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(
            record.path_in(&h.editor.runtime_dir),
            dir.join("linked_0001.json"),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("package.json"), r#"{"name": "not ours"}"#)
            .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("broken_0002.json"), "{ not a record")
            .map_err(|e| e.to_string())?;
        let huge = format!(
            r#"{{"session_id":"huge@0003","port":1,"token":"{}","project_path":"/","project_name":"x","pid":1,"protocol_version":1}}"#,
            "t".repeat(1 << 20)
        );
        std::fs::write(dir.join("huge_0003.json"), huge).map_err(|e| e.to_string())?;
        let dead = Discovery {
            session_id: "dead@0004".into(),
            pid: u32::MAX - 7,
            ..record.clone()
        };
        let dead_path = dead.write(&dir).map_err(|e| e.to_string())?;

        let mut wire = Wire::start(&[
            ("GODOT_MCP_PORT", None),
            (discovery::DIR_ENV, Some(dir.display().to_string())),
        ])
        .await?;
        wire.initialize().await?;
        let listed =
            tokio::time::timeout(Duration::from_secs(5), list_sessions_within(&mut wire, 1))
                .await
                .map_err(|_| "list_sessions hung on the hostile directory".to_string())??;
        let (body, failed) = listed;
        ensure!(!failed, "list_sessions failed: {body}");
        let ids: Vec<&str> = body["sessions"]
            .as_array()
            .map(|s| s.iter().filter_map(|x| x["session_id"].as_str()).collect())
            .unwrap_or_default();
        ensure!(
            ids == [record.session_id.as_str()],
            "sessions {ids:?}: {body}"
        );
        for kept in [
            "fifo.json",
            "zero_0000.json",
            "linked_0001.json",
            "package.json",
            "broken_0002.json",
            "huge_0003.json",
        ] {
            ensure!(
                std::fs::symlink_metadata(dir.join(kept)).is_ok(),
                "{kept} was deleted"
            );
        }
        ensure!(!dead_path.exists(), "the dead editor's record was kept");
        // The live editor is reached through its record.
        let (state, failed) = wire.call(2, "get_editor_state", json!({})).await?;
        ensure!(!failed, "get_editor_state failed: {state}");
        Ok(())
    })
}

fn open_runtime_dir(h: &H) -> Test<'_> {
    Box::pin(async move {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir("open")?;
        plant_record(&h.editor, &dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .map_err(|e| e.to_string())?;
        let mut wire = Wire::start(&[
            ("GODOT_MCP_PORT", None),
            (discovery::DIR_ENV, Some(dir.display().to_string())),
        ])
        .await?;
        wire.initialize().await?;
        let (body, failed) = wire.call(1, "get_editor_state", json!({})).await?;
        ensure!(
            failed,
            "an editor was used through a 0777 directory: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap_or_default();
        let hint = body["error"]["hint"].as_str().unwrap_or_default();
        ensure!(
            message.contains("0777") && message.contains(&dir.display().to_string()),
            "{body}"
        );
        ensure!(hint.contains("700"), "{body}");
        let (body, _) = wire.call(2, "list_sessions", json!({})).await?;
        ensure!(body["sessions"] == json!([]), "{body}");
        Ok(())
    })
}

fn impostor(h: &H) -> Test<'_> {
    Box::pin(async move {
        // The real editor's welcome, replayed by a listener that does not
        // know the token, behind a record planted for it.
        let record = h.editor.discovery()?;
        let mut real = RawClient::connect_raw(h.editor.port).await?;
        let mut welcome = real.hello(&record.token, 1).await?;
        drop(real);
        if let Some(map) = welcome.as_object_mut() {
            map.remove("proof");
        }
        let port = free_port();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let fake = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let seen = seen_tx.clone();
                let welcome = welcome.clone();
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                        return;
                    };
                    let _hello = ws.next().await;
                    let _ = ws.send(Message::text(welcome.to_string())).await;
                    while let Some(Ok(Message::Text(text))) = ws.next().await {
                        let _ = seen.send(text.as_str().to_owned());
                        let id = serde_json::from_str::<Value>(text.as_str())
                            .map(|v| v["id"].clone())
                            .unwrap_or_default();
                        let reply = json!({"id": id, "success": true, "result": {"planted": true}});
                        let _ = ws.send(Message::text(reply.to_string())).await;
                    }
                });
            }
        });
        let dir = private_dir("impostor")?;
        Discovery {
            port,
            token: "whatever".into(),
            ..record.clone()
        }
        .write(&dir)
        .map_err(|e| e.to_string())?;
        let mut wire = Wire::start(&[
            ("GODOT_MCP_PORT", None),
            (discovery::DIR_ENV, Some(dir.display().to_string())),
        ])
        .await?;
        wire.initialize().await?;
        let outcome = wire.call(1, "get_editor_state", json!({})).await;
        fake.abort();
        let (body, failed) = outcome?;
        let sent: Vec<String> = std::iter::from_fn(|| seen_rx.try_recv().ok()).collect();
        ensure!(sent.is_empty(), "the impostor received {sent:?}");
        ensure!(failed, "the impostor's answer was passed on: {body}");
        ensure!(body["error"]["code"] == "UNAUTHORIZED", "{body}");
        Ok(())
    })
}

fn editor_open_runtime_dir(_: &H) -> Test<'_> {
    Box::pin(async move {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir("editor-open")?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .map_err(|e| e.to_string())?;
        let project = sample_project_copy("shim-open-dir")?;
        let started = Editor::start(
            &godot_binary()?,
            &project,
            EditorOptions {
                runtime_dir: Some(dir.clone()),
                startup_timeout: Duration::from_secs(30),
                ..EditorOptions::default()
            },
        );
        ensure!(
            started.is_err(),
            "the editor announced itself in a 0777 directory"
        );
        let log = std::fs::read_to_string(project.with_extension("editor.log")).unwrap_or_default();
        ensure!(
            log.contains("cannot write the discovery file") && log.contains("0777"),
            "no clear refusal in the editor log: {}",
            log.lines()
                .filter(|l| l.contains("godot-mcp"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        ensure!(left.is_empty(), "written anyway: {left:?}");
        Ok(())
    })
}
