//! The WebSocket endpoint under floods, bad frames and vanishing clients.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use godot_mcp_e2e::{
    Editor, EditorOptions, RawClient, TestResult, godot_binary, sample_project_copy,
};
use serde_json::json;

use crate::{Suite, ensure};

pub struct T {
    editor: Editor,
}

const RECV: Duration = Duration::from_secs(20);

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let editor = match sample_project_copy("transport")
        .and_then(|p| Editor::start(&godot_binary()?, &p, EditorOptions::default()))
    {
        Ok(e) => e,
        Err(e) => return suite.fail("transport_editor_starts", &e),
    };
    let t = T { editor };
    let tests: &[(&str, crate::TestFn<'_, T>)] = &[
        ("flood_answered_in_order_within_frame_cap", flood),
        ("malformed_frames_get_errors", malformed),
        ("client_vanishing_mid_call", vanish),
    ];
    suite.run_all(&t, filter, tests).await;
}

fn flood(t: &T) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        const N: u64 = 1000;
        let mut c = RawClient::connect(&t.editor).await?;
        for id in 0..N {
            c.request(id, "get_editor_state", json!({})).await?;
        }
        let mut per_frame: BTreeMap<u64, u32> = BTreeMap::new();
        for expected in 0..N {
            let r = c.recv(RECV).await?;
            ensure!(
                r["id"] == expected,
                "out of order: expected id {expected}, got {r}"
            );
            ensure!(r["success"] == true, "{r}");
            *per_frame
                .entry(r["result"]["frame"].as_u64().unwrap_or(0))
                .or_default() += 1;
        }
        let max = per_frame.values().copied().max().unwrap_or(0);
        println!(
            "    {N} requests over {} frames, at most {max} in one frame",
            per_frame.len()
        );
        ensure!(max <= 32, "{max} requests handled in one frame (cap 32)");
        ensure!(
            per_frame.len() as u64 >= N / 32,
            "too few frames: {}",
            per_frame.len()
        );
        // A second client is still served promptly.
        let mut fresh = RawClient::connect(&t.editor).await?;
        fresh.request(1, "get_editor_state", json!({})).await?;
        let r = fresh.recv(Duration::from_secs(2)).await?;
        ensure!(
            r["success"] == true && r["result"]["dispatch"]["spilled_frames"].as_u64() > Some(0),
            "{r}"
        );
        Ok(())
    })
}

fn malformed(t: &T) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let mut c = RawClient::connect(&t.editor).await?;
        c.send_text("{not json".into()).await?;
        let r = c.recv(RECV).await?;
        ensure!(
            r["success"] == false && r["error"]["code"] == "MALFORMED_REQUEST" && r["id"].is_null(),
            "{r}"
        );
        c.send_text(json!({"id": 5, "action": 7}).to_string())
            .await?;
        let r = c.recv(RECV).await?;
        ensure!(
            r["id"] == 5 && r["error"]["code"] == "MALFORMED_REQUEST",
            "{r}"
        );
        c.send_binary(vec![0, 1, 2]).await?;
        let r = c.recv(RECV).await?;
        ensure!(r["error"]["code"] == "MALFORMED_REQUEST", "{r}");
        c.request(6, "no_such_action", json!({})).await?;
        let r = c.recv(RECV).await?;
        ensure!(
            r["id"] == 6 && r["error"]["code"] == "UNKNOWN_ACTION",
            "{r}"
        );
        c.request(7, "add_node", json!({"type": 1, "name": []}))
            .await?;
        let r = c.recv(RECV).await?;
        ensure!(
            r["id"] == 7 && r["error"]["code"] == "INVALID_PARAMS",
            "{r}"
        );
        c.request(8, "get_editor_state", json!({"unexpected": true}))
            .await?;
        let r = c.recv(RECV).await?;
        ensure!(
            r["id"] == 8 && r["error"]["code"] == "INVALID_PARAMS",
            "{r}"
        );
        // The same connection keeps working.
        c.request(9, "get_editor_state", json!({})).await?;
        let r = c.recv(RECV).await?;
        ensure!(r["id"] == 9 && r["success"] == true, "{r}");
        Ok(())
    })
}

fn vanish(t: &T) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        for _ in 0..3 {
            let mut c = RawClient::connect(&t.editor).await?;
            for id in 0..300 {
                c.request(id, "get_scene_tree", json!({"include_properties": true}))
                    .await?;
            }
            c.vanish();
        }
        let mut c = RawClient::connect(&t.editor).await?;
        c.request(1, "get_editor_state", json!({})).await?;
        let r = c.recv(RECV).await?;
        ensure!(r["success"] == true, "{r}");
        let log = t.editor.output();
        ensure!(!log.contains("panicked"), "the extension panicked:\n{log}");
        Ok(())
    })
}
