//! The endpoint against strangers: sockets that never upgrade, big frames
//! before the hello, and clients that flood pings without reading. Each is
//! held to little, and a legitimate client is served throughout.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_e2e::{
    Editor, EditorOptions, RawClient, TestResult, godot_binary, sample_project_copy,
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

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
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
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
