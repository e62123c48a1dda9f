//! The endpoint against strangers: sockets that never upgrade, big frames
//! before the hello, and clients that flood pings without reading. Each is
//! held to little, and a legitimate client is served throughout. Then the
//! edits against hostile input: saves that do not reach the disk, links and
//! `res://../` values that lead out of the project, batches undone by scene.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, RawClient, TestResult, godot_binary, sample_project_copy,
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::foundation::{F, ok, test_fn};
use crate::{Suite, ensure};

pub struct H {
    editor: Editor,
}

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, H>)] = &[
        ("hardening_idle_sockets_are_capped_and_closed", idle_sockets),
        (
            "hardening_big_frame_before_hello_is_cut_short",
            big_first_frame,
        ),
        (
            "hardening_ping_flood_without_reading_is_cut_off",
            ping_flood,
        ),
    ];
    let edits: &[(&str, crate::TestFn<'_, F>)] = &[
        (
            "hardening_undo_with_scene_path_undoes_a_whole_batch",
            undo_batch_by_scene,
        ),
        ("hardening_failed_save_is_an_error", failed_save),
        (
            "hardening_dangling_links_are_not_written_through",
            dangling_links,
        ),
        (
            "hardening_paths_in_values_stay_in_the_project",
            paths_in_values,
        ),
        ("hardening_limits_are_stated_and_enforced", limits),
        (
            "hardening_a_big_batch_leaves_other_clients_answered",
            sliced_batch,
        ),
    ];
    F::run_tests("hardening-edits", suite, filter, edits).await;
    let walks: &[(&str, crate::TestFn<'_, F>)] = &[
        (
            "hardening_ignored_files_cost_an_idle_editor_nothing",
            ignored_files,
        ),
        ("hardening_symlink_loops_do_not_hang_the_editor", loops),
    ];
    if filter.is_none_or(|f| walks.iter().any(|(name, _)| name.contains(f))) {
        match big_project().await {
            Ok(f) => {
                suite.run_all(&f, filter, walks).await;
                let F { mcp, mut editor } = f;
                mcp.close().await;
                editor.kill();
            }
            Err(e) => suite.fail("hardening_big_project_starts", &e),
        }
    }
    if filter.is_some_and(|f| !tests.iter().any(|(name, _)| name.contains(f))) {
        return;
    }
    let editor = match sample_project_copy("hardening")
        .and_then(|p| Editor::start(&godot_binary()?, &p, EditorOptions::default()))
    {
        Ok(e) => e,
        Err(e) => return suite.fail("hardening_editor_starts", &e),
    };
    suite.run_all(&H { editor }, filter, tests).await;
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn rss_mib(pid: u32) -> f64 {
    godot_mcp_e2e::rss_bytes(pid).map_or(0.0, |b| b as f64 / 1048576.0)
}

/// A legitimate client gets its answer.
async fn served(editor: &Editor) -> TestResult {
    let mut c = RawClient::connect(editor).await?;
    c.request(1, "get_editor_state", json!({})).await?;
    let r = c.recv(Duration::from_secs(10)).await?;
    ensure!(r["success"] == true, "{r}");
    Ok(())
}

/// Samples the editor's RSS until `done`, returning the highest growth.
async fn peak_growth<F: Future>(pid: u32, work: F) -> (F::Output, f64) {
    let before = rss_mib(pid);
    let mut peak = before;
    tokio::pin!(work);
    let output = loop {
        tokio::select! {
            out = &mut work => break out,
            () = tokio::time::sleep(Duration::from_millis(20)) => peak = peak.max(rss_mib(pid)),
        }
    };
    (output, peak.max(rss_mib(pid)) - before)
}

fn idle_sockets(h: &H) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let pid = h.editor.pid();
        let before = open_descriptors(pid);
        let mut sockets = Vec::new();
        for _ in 0..200 {
            let s = std::net::TcpStream::connect(("127.0.0.1", h.editor.port))
                .map_err(|e| format!("connect: {e}"))?;
            sockets.push(s);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        served(&h.editor).await?;
        let during = open_descriptors(pid);
        ensure!(
            during <= before + 40,
            "200 idle sockets: the editor holds {during} descriptors, {before} before"
        );
        // Past the deadline every one of them has been closed by the editor.
        tokio::time::sleep(Duration::from_secs(6)).await;
        let mut open = 0;
        for s in &sockets {
            use std::io::Read;
            s.set_read_timeout(Some(Duration::from_millis(100))).ok();
            let mut byte = [0u8; 1];
            match (&*s).read(&mut byte) {
                Ok(0) => {}
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(_) => open += 1,
            }
        }
        let after = open_descriptors(pid);
        println!(
            "    descriptors: {before} before, {during} with 200 idle sockets, {after} after the deadline; {open} still open"
        );
        ensure!(open == 0, "{open} idle sockets still open after 6 s");
        ensure!(
            after <= before + 4,
            "{after} descriptors after, {before} before"
        );
        served(&h.editor).await
    })
}

fn big_first_frame(h: &H) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let pid = h.editor.pid();
        let port = h.editor.port;
        // Just under the normal frame limit, sent in place of a hello.
        let big = "x".repeat((16 << 20) - 1024);
        let attack = async {
            let mut tasks = Vec::new();
            for _ in 0..20 {
                let big = big.clone();
                tasks.push(tokio::spawn(async move {
                    let (mut ws, _) =
                        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}"))
                            .await
                            .map_err(|e| format!("connect: {e}"))?;
                    let start = Instant::now();
                    let sent =
                        tokio::time::timeout(Duration::from_secs(20), ws.send(Message::text(big)))
                            .await;
                    Ok::<_, String>((sent.map(|r| r.is_ok()).unwrap_or(false), start.elapsed()))
                }));
            }
            let mut outcomes = Vec::new();
            for t in tasks {
                outcomes.push(t.await.map_err(|e| e.to_string())??);
            }
            Ok::<_, String>(outcomes)
        };
        let (outcomes, growth) = peak_growth(pid, attack).await;
        let outcomes = outcomes?;
        let delivered = outcomes.iter().filter(|(ok, _)| *ok).count();
        println!(
            "    20 connections sending 16 MiB before the hello: {delivered} frames taken whole, editor RSS +{growth:.1} MiB at the peak"
        );
        ensure!(
            delivered == 0,
            "{delivered} of 20 oversized first frames were read whole"
        );
        let bounded = growth < 64.0;
        ensure!(bounded, "editor RSS grew {growth:.1} MiB");
        served(&h.editor).await
    })
}

fn ping_flood(h: &H) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let pid = h.editor.pid();
        let token = h.editor.discovery()?.token;
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}", h.editor.port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
        let hello = json!({
            "protocol_version": godot_mcp_protocol::PROTOCOL_VERSION,
            "client_name": "e2e",
            "client_version": "0",
            "token": token,
        });
        ws.send(Message::text(hello.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        let welcome = ws.next().await;
        ensure!(
            matches!(welcome, Some(Ok(Message::Text(_)))),
            "no welcome: {welcome:?}"
        );
        // Pings as fast as they go, never reading the pongs.
        let flood = async {
            let payload = vec![7u8; 125];
            for sent in 0..400_000u32 {
                if ws
                    .send(Message::Ping(payload.clone().into()))
                    .await
                    .is_err()
                {
                    return (sent, true);
                }
            }
            (400_000, false)
        };
        let ((sent, refused), growth) = peak_growth(pid, flood).await;
        // The editor has closed the connection: reading ends, not with
        // endless pongs.
        let mut closed = refused;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !closed && Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                Ok(Some(Ok(Message::Pong(_)))) => continue,
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => closed = true,
                Err(_) => break,
            }
        }
        println!(
            "    {sent} pings sent without reading: editor RSS +{growth:.1} MiB at the peak, connection closed: {closed}"
        );
        ensure!(closed, "the editor kept the flooding connection open");
        let bounded = growth < 64.0;
        ensure!(bounded, "editor RSS grew {growth:.1} MiB");
        served(&h.editor).await
    })
}

use crate::tools::{MAIN, children as main_children};

test_fn!(undo_batch_by_scene, |f| {
    let before = main_children(f).await?;
    f.call_ok(
        "batch",
        json!({"commands": [
            {"action": "add_node", "params": {"scene_path": MAIN, "type": "Node2D", "name": "B1"}},
            {"action": "add_node", "params": {"scene_path": MAIN, "type": "Node2D", "name": "B2"}},
            {"action": "add_node", "params": {"scene_path": MAIN, "type": "Node2D", "name": "B3"}}
        ]}),
    )
    .await?;
    let u = f.call_ok("undo", json!({"scene_path": MAIN})).await?;
    let after = main_children(f).await?;
    ensure!(
        after == before,
        "undo(scene_path) after a 3-step batch left {after:?} (before {before:?}): {u}"
    );
    ensure!(u["action"] == "MCP: batch of 3", "{u}");
    let r = f.call_ok("redo", json!({"scene_path": MAIN})).await?;
    let redone = main_children(f).await?;
    ensure!(
        ["B1", "B2", "B3"]
            .iter()
            .all(|n| redone.iter().any(|c| c == n)),
        "redo(scene_path) did not restore the whole batch: {redone:?} {r}"
    );
    f.call_ok("undo", json!({})).await?;
    ensure!(
        main_children(f).await? == before,
        "the batch is still there"
    );
    Ok(())
});

/// Whether the tests run as root, where permissions do not stop writes.
fn as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

test_fn!(failed_save, |f| {
    let project = f.editor.project.clone();
    f.call_ok(
        "create_scene",
        json!({"scene_path": "res://locked/probe.tscn", "root_type": "Node2D"}),
    )
    .await?;
    f.call_ok(
        "add_node",
        json!({"scene_path": "res://locked/probe.tscn", "type": "Node2D", "name": "Unsaved"}),
    )
    .await?;
    let file = project.join("locked/probe.tscn");
    // A folder in the file's place stops the save even for root.
    std::fs::remove_file(&file).map_err(|e| e.to_string())?;
    std::fs::create_dir(&file).map_err(|e| e.to_string())?;
    let outcome = f.call("save_scene", json!({})).await;
    let resource = f
        .call(
            "create_resource",
            json!({"path": "res://locked/probe.tscn/../x.tres", "type": "Gradient"}),
        )
        .await;
    std::fs::create_dir_all(project.join("locked/r.tres")).map_err(|e| e.to_string())?;
    let over_folder = f
        .call(
            "create_resource",
            json!({"path": "res://locked/r.tres", "type": "Gradient", "overwrite": true}),
        )
        .await;
    std::fs::remove_dir(&file).map_err(|e| e.to_string())?;
    std::fs::remove_dir(project.join("locked/r.tres")).map_err(|e| e.to_string())?;
    println!("    save_scene with a folder in the file's place: {outcome:?}");
    let e = match outcome {
        Ok(v) => return Err(format!("save_scene reported success: {v}")),
        Err(e) => e,
    };
    ensure!(
        e.code == godot_mcp_protocol::ErrorCode::IoError && e.message.contains("not saved"),
        "{e}"
    );
    ensure!(resource.is_err(), "a `..` path was accepted: {resource:?}");
    ensure!(
        over_folder.is_err(),
        "create_resource over a folder reported success: {over_folder:?}"
    );
    // Unwritable folder, where permissions hold.
    if !as_root() {
        use std::os::unix::fs::PermissionsExt;
        let dir = project.join("locked");
        let set = |mode| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode));
        set(0o555).map_err(|e| e.to_string())?;
        let outcome = f.call("save_scene", json!({})).await;
        set(0o755).map_err(|e| e.to_string())?;
        let e = match outcome {
            Ok(v) => return Err(format!("save_scene into a 0555 folder succeeded: {v}")),
            Err(e) => e,
        };
        ensure!(e.message.contains("not saved"), "{e}");
    }
    let saved = f.call_ok("save_scene", json!({})).await?;
    ensure!(saved["bytes"].as_u64().is_some_and(|b| b > 0), "{saved}");
    let leftovers: Vec<String> = std::fs::read_dir(project.join("locked"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "probe.tscn")
        .collect();
    println!("    left in the folder after the failed saves: {leftovers:?}");
    f.call_ok("close_scene", json!({})).await?;
    Ok(())
});

/// A folder beside the test project, empty, for things that must not appear.
fn outside(f: &F, name: &str) -> Result<std::path::PathBuf, String> {
    let dir = f.editor.project.parent().ok_or("no parent")?.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut all: Vec<String> = walkdir(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap_or(&p).display().to_string())
        .collect();
    all.sort();
    all
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walkdir(&path));
        }
        out.push(path);
    }
    out
}

test_fn!(dangling_links, |f| {
    use std::os::unix::fs::symlink;
    let out = outside(f, "outside-links")?;
    let project = f.editor.project.clone();
    let links = [
        ("dl_res.tres", "../outside-links/res.tres"),
        ("dl_scene.tscn", "../outside-links/scene.tscn"),
        ("dl_save.tscn", "../outside-links/save.tscn"),
        ("dl_text.txt", "../outside-links/text.txt"),
        ("dl_script.gd", "../outside-links/script.gd"),
        ("dl_dir", "../outside-links/newdir"),
    ];
    for (link, target) in links {
        symlink(target, project.join(link)).map_err(|e| e.to_string())?;
    }
    let calls = [
        (
            "create_resource",
            json!({"path": "res://dl_res.tres", "type": "Gradient", "overwrite": true}),
        ),
        (
            "create_scene",
            json!({"scene_path": "res://dl_scene.tscn", "root_type": "Node2D", "overwrite": true}),
        ),
        ("save_scene", json!({"scene_path": "res://dl_save.tscn"})),
        (
            "write_text_file",
            json!({"path": "res://dl_text.txt", "content": "x"}),
        ),
        (
            "write_script",
            json!({"script_path": "res://dl_script.gd", "content": "extends Node\n"}),
        ),
        (
            "write_text_file",
            json!({"path": "res://dl_dir/a/b.txt", "content": "x"}),
        ),
        (
            "create_resource",
            json!({"path": "res://dl_dir/r.tres", "type": "Gradient"}),
        ),
    ];
    f.call_ok("open_scene", json!({"scene_path": MAIN})).await?;
    let mut wrong = Vec::new();
    for (tool, args) in &calls {
        match f.call(tool, args.clone()).await {
            Err(e) if e.code == godot_mcp_protocol::ErrorCode::InvalidPath => {}
            other => wrong.push(format!("{tool} {args}: {other:?}")),
        }
    }
    let written = listing(&out);
    let still_links = links
        .iter()
        .filter(|(l, _)| {
            std::fs::symlink_metadata(project.join(l)).is_ok_and(|m| m.file_type().is_symlink())
        })
        .count();
    for (link, _) in links {
        let _ = std::fs::remove_file(project.join(link));
    }
    println!(
        "    {} of {} writes through dangling links refused; outside now holds {written:?}",
        calls.len() - wrong.len(),
        calls.len()
    );
    ensure!(wrong.is_empty(), "not refused:\n{}", wrong.join("\n"));
    ensure!(written.is_empty(), "written outside: {written:?}");
    ensure!(
        still_links == links.len(),
        "{} links were replaced",
        links.len() - still_links
    );
    Ok(())
});

test_fn!(paths_in_values, |f| {
    let out = outside(f, "outside-values")?;
    let marker = out.join("ran");
    std::fs::write(
        out.join("secret.tres"),
        "[gd_resource type=\"CanvasItemMaterial\" format=3]\n\n[resource]\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        out.join("evil.gd"),
        format!(
            "@tool\nextends Node\n\nfunc _init():\n\tFileAccess.open(\"{}\", FileAccess.WRITE)\n",
            marker.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let before = listing(&out);
    let link = f.editor.project.join("out_link");
    std::os::unix::fs::symlink(&out, &link).map_err(|e| e.to_string())?;
    f.call_ok("open_scene", json!({"scene_path": MAIN})).await?;
    let edit = |props: serde_json::Value| {
        (
            "edit_node",
            json!({"node_path": "Background", "properties": props}),
        )
    };
    let cases = [
        edit(json!({"material": "res://../outside-values/secret.tres"})),
        edit(json!({"material": "res://../outside-values/missing.tres"})),
        edit(json!({"material": "res://out_link/secret.tres"})),
        edit(json!({"script": "res://../outside-values/evil.gd"})),
        edit(
            json!({"material": {"type": "ShaderMaterial", "shader": "res://../outside-values/x.gdshader"}}),
        ),
        (
            "add_node",
            json!({"type": "Sprite2D", "name": "S", "properties": {"texture": "res://../outside-values/secret.tres"}}),
        ),
        (
            "create_resource",
            json!({"path": "res://m.tres", "type": "ShaderMaterial", "properties": {"shader": "res://out_link/x.gdshader"}}),
        ),
        (
            "set_project_setting",
            json!({"name": "autoload/Evil", "value": "*res://../outside-values/evil.gd"}),
        ),
        (
            "set_project_setting",
            json!({"name": "autoload/Evil", "value": "*res://out_link/evil.gd"}),
        ),
        (
            "set_project_setting",
            json!({"name": "application/run/main_scene", "value": "res://../outside-values/x.tscn"}),
        ),
        (
            "set_project_setting",
            json!({"name": "debug/file_logging/log_path", "value": "/tmp/godot-mcp-evil.log"}),
        ),
    ];
    let mut wrong = Vec::new();
    let mut messages = Vec::new();
    for (tool, args) in &cases {
        match f.call(tool, args.clone()).await {
            Err(e) if e.code == godot_mcp_protocol::ErrorCode::InvalidPath => {
                messages.push(e.message)
            }
            other => wrong.push(format!("{tool} {args}: {other:?}")),
        }
    }
    // A path that works still does.
    let fine = f
        .call(
            "edit_node",
            json!({"node_path": "Coin", "properties": {"script": "res://scripts/coin.gd"}}),
        )
        .await;
    let settings =
        std::fs::read_to_string(f.editor.project.join("project.godot")).unwrap_or_default();
    let _ = std::fs::remove_file(&link);
    let after = listing(&out);
    println!(
        "    {} of {} outside paths in values refused; outside before {before:?}, after {after:?}",
        cases.len() - wrong.len(),
        cases.len()
    );
    ensure!(wrong.is_empty(), "not refused:\n{}", wrong.join("\n"));
    ensure!(fine.is_ok(), "an inside script was refused: {fine:?}");
    ensure!(after == before, "outside changed: {before:?} -> {after:?}");
    ensure!(!marker.exists(), "the outside @tool script ran");
    ensure!(
        !settings.contains("outside") && !settings.contains("godot-mcp-evil"),
        "project.godot names an outside file:\n{settings}"
    );
    // Whether an outside file exists is not told.
    let strip = |m: &str| m.replace("secret.tres", "X").replace("missing.tres", "X");
    ensure!(
        strip(&messages[0]) == strip(&messages[1]),
        "the messages differ: {} / {}",
        messages[0],
        messages[1]
    );
    Ok(())
});

test_fn!(limits, |f| {
    let all = Mcp::start_env(&[
        ("GODOT_MCP_PORT", Some(f.editor.port.to_string())),
        (
            godot_mcp_protocol::discovery::DIR_ENV,
            Some(godot_mcp_e2e::test_runtime_dir().display().to_string()),
        ),
        ("GODOT_MCP_TOOLSETS", Some("all".into())),
    ])
    .await?;
    let tools = all.tools().await?;
    all.close().await;
    let schema = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .map(|t| serde_json::Value::Object((*t.input_schema).clone()).to_string())
            .unwrap_or_default()
    };
    ensure!(
        schema("batch").contains("at most 1000"),
        "{}",
        schema("batch")
    );
    ensure!(
        schema("find_nodes").contains("at most 256"),
        "{}",
        schema("find_nodes")
    );
    let steps: Vec<serde_json::Value> = (0..1001)
        .map(|_| json!({"action": "get_editor_state", "params": {}}))
        .collect();
    let start = Instant::now();
    let e = f
        .fails(
            "batch",
            json!({"commands": steps}),
            godot_mcp_protocol::ErrorCode::InvalidParams,
        )
        .await?;
    ensure!(e.message.contains("at most 1000"), "{e}");
    let pattern = "a*".repeat(50_000);
    let e = f
        .fails(
            "find_nodes",
            json!({"scene_path": MAIN, "name_pattern": pattern}),
            godot_mcp_protocol::ErrorCode::InvalidParams,
        )
        .await?;
    ensure!(e.message.contains("at most 256"), "{e}");
    println!(
        "    1001-step batch and 100 KB pattern refused in {} ms",
        start.elapsed().as_millis()
    );
    let steps: Vec<serde_json::Value> = (0..1000)
        .map(|_| json!({"action": "get_editor_state", "params": {}}))
        .collect();
    f.call_ok("batch", json!({"commands": steps})).await?;
    Ok(())
});

// A 1,000-step batch runs a slice each frame: another client's reads are
// answered while it runs, that client's edit waits for it and lands after
// it, no frame spends long on requests, and the batch is one undo step.
test_fn!(sliced_batch, |f| {
    const STEPS: usize = 1000;
    let before = main_children(f).await?;
    let mut other = RawClient::connect(&f.editor).await?;
    other
        .request(1, "get_performance", json!({"reset": true}))
        .await?;
    other.recv(Duration::from_secs(10)).await?;
    let steps: Vec<serde_json::Value> = (0..STEPS)
        .map(|i| {
            json!({"action": "add_node",
                   "params": {"scene_path": MAIN, "type": "Node2D", "name": format!("S{i}")}})
        })
        .collect();
    let started = Instant::now();
    let batch = async {
        let r = f.call_ok("batch", json!({"commands": steps})).await;
        (r, started.elapsed())
    };
    // Reads every 20 ms, and from a third client one edit, while the batch
    // runs (a client's answers come in its requests' order, so the edit
    // has a connection of its own).
    let mut editing = RawClient::connect(&f.editor).await?;
    // The edit leaves the batch time to reach the editor through the shim.
    let edit = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        editing
            .request(
                12,
                "add_node",
                json!({"scene_path": MAIN, "type": "Node2D", "name": "Other"}),
            )
            .await?;
        let a = editing.recv(Duration::from_secs(30)).await?;
        Ok::<_, String>((12, a["success"] == true, started.elapsed()))
    };
    let reads = async {
        let mut answered = Vec::new();
        tokio::time::sleep(Duration::from_millis(30)).await;
        for id in 13..43u64 {
            other.request(id, "get_editor_state", json!({})).await?;
            let a = other.recv(Duration::from_secs(30)).await?;
            answered.push((id, a["success"] == true, started.elapsed()));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok::<_, String>(answered)
    };
    let ((done, took), answered, edited) = tokio::join!(batch, reads, edit);
    let done = done?;
    let mut answered = answered?;
    answered.push(edited?);
    ensure!(
        done["results"].as_array().map(Vec::len) == Some(STEPS),
        "batch answer: {} results",
        done["results"].as_array().map_or(0, Vec::len)
    );
    ensure!(
        answered.iter().all(|(_, ok, _)| *ok),
        "another client's call failed: {answered:?}"
    );
    let during = answered
        .iter()
        .filter(|(id, _, at)| *id != 12 && *at < took)
        .count();
    let edit_at = answered
        .iter()
        .find(|(id, _, _)| *id == 12)
        .map(|(_, _, at)| *at)
        .ok_or("the edit got no answer")?;
    println!(
        "    {STEPS}-step batch answered in {} ms; {during} reads of another client answered meanwhile; its edit at {} ms",
        took.as_millis(),
        edit_at.as_millis()
    );
    ensure!(
        took > Duration::from_millis(150),
        "the batch took {} ms, too short to show anything",
        took.as_millis()
    );
    ensure!(
        during >= 3,
        "only {during} reads answered during the batch: {answered:?}"
    );
    // The batch's answer crosses the shim and the edit's does not, so the
    // edit may be read a little before the batch although the editor sent
    // it after; the undo order below proves which ran first.
    ensure!(
        edit_at + Duration::from_millis(300) >= took,
        "the other client's edit was answered {} ms into a {} ms batch",
        edit_at.as_millis(),
        took.as_millis()
    );
    other.request(2, "get_performance", json!({})).await?;
    let p = other.recv(Duration::from_secs(10)).await?;
    let worst = p["result"]["request_time"]["max_us"]
        .as_u64()
        .unwrap_or(u64::MAX);
    println!(
        "    longest request time in a frame meanwhile {:.1} ms",
        worst as f64 / 1000.0
    );
    ensure!(worst < 50_000, "a frame spent {worst} us on requests: {p}");
    // The other client's edit came after the batch; the batch is one step.
    let u = f.call_ok("undo", json!({"scene_path": MAIN})).await?;
    ensure!(
        !main_children(f).await?.iter().any(|c| c == "Other"),
        "undo did not take the later edit: {u}"
    );
    let u = f.call_ok("undo", json!({"scene_path": MAIN})).await?;
    ensure!(u["action"] == format!("MCP: batch of {STEPS}"), "{u}");
    ensure!(
        main_children(f).await? == before,
        "two undos did not restore the scene"
    );
    Ok(())
});

/// Files in the ignored folder of the big project.
const IGNORED_FILES: usize = 40_000;

/// The sample project with 40,000 files in a folder Godot ignores.
async fn big_project() -> Result<F, String> {
    let project = sample_project_copy("hardening-walks")?;
    let ignored = project.join("generated");
    for i in 0..IGNORED_FILES {
        let dir = ignored.join(format!("d{}", i / 400));
        if i % 400 == 0 {
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(dir.join(format!("f{i}.gd")), "extends Node\n")
            .map_err(|e| e.to_string())?;
    }
    std::fs::write(ignored.join(".gdignore"), "").map_err(|e| e.to_string())?;
    let editor = Editor::start(&godot_binary()?, &project, EditorOptions::default())?;
    let mcp = Mcp::start(editor.port).await?;
    Ok(F { mcp, editor })
}

test_fn!(ignored_files, |f| {
    f.call_ok("get_performance", json!({"reset": true})).await?;
    // Three background scans at least.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let p = f.call_ok("get_performance", json!({})).await?;
    let ms = |series: &str, key: &str| p[series][key].as_u64().unwrap_or(0) as f64 / 1000.0;
    println!(
        "    {IGNORED_FILES} files under .gdignore, idle for 6.5 s: frame interval max {:.1} ms (p50 {:.1} ms), plugin time per idle frame max {:.2} ms (p99 {:.2} ms)",
        ms("idle_frames", "max_us"),
        ms("idle_frames", "p50_us"),
        ms("idle_overhead", "max_us"),
        ms("idle_overhead", "p99_us"),
    );
    let r = f.call_ok("list_files", json!({"recursive": true})).await?;
    let listed =
        r["files"].as_array().map_or(0, Vec::len) + r["dirs"].as_array().map_or(0, Vec::len);
    ensure!(
        !r.to_string().contains("generated"),
        "the ignored folder is listed"
    );
    ensure!(listed < 100, "{listed} entries listed");
    Ok(())
});

test_fn!(loops, |f| {
    use std::os::unix::fs::symlink;
    let project = f.editor.project.clone();
    std::fs::create_dir_all(project.join("loop")).map_err(|e| e.to_string())?;
    symlink("..", project.join("loop/a")).map_err(|e| e.to_string())?;
    symlink("..", project.join("loop/b")).map_err(|e| e.to_string())?;
    // Two background scans see the loops.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let timed = |tool: &'static str, args: serde_json::Value| async move {
        let start = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(15), f.call(tool, args))
            .await
            .map_err(|_| format!("{tool} got no answer within 15 s"))?;
        Ok::<_, String>((r, start.elapsed()))
    };
    let (state, t_state) = timed("get_editor_state", json!({})).await?;
    ok(state)?;
    let (list, t_list) = timed("list_files", json!({"recursive": true})).await?;
    let list = ok(list)?;
    let (info, t_info) = timed("get_project_info", json!({})).await?;
    let info = ok(info)?;
    let (search, t_search) = timed("search_files", json!({"text": "extends"})).await?;
    let search = ok(search)?;
    let files: Vec<&str> = list["files"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut unique = files.clone();
    unique.sort_unstable();
    unique.dedup();
    println!(
        "    with loop/a and loop/b -> ..: get_editor_state {} ms, list_files {} ms ({} files), get_project_info {} ms, search_files {} ms ({} hits)",
        t_state.as_millis(),
        t_list.as_millis(),
        files.len(),
        t_info.as_millis(),
        t_search.as_millis(),
        search["hits"].as_array().map_or(0, Vec::len)
    );
    let _ = std::fs::remove_dir_all(project.join("loop"));
    ensure!(unique.len() == files.len(), "files listed twice: {files:?}");
    ensure!(files.len() < 100, "{} files listed", files.len());
    ensure!(
        files.contains(&"res://scripts/coin.gd"),
        "the listing lost files: {files:?}"
    );
    let scripts = info["scripts"].as_array().map_or(0, Vec::len);
    ensure!(
        scripts < 10,
        "{scripts} scripts in get_project_info: {info}"
    );
    Ok(())
});
