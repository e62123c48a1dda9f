//! The `tools/list` answer with every group listed, checked in as `rust/shim/tools.json`, so
//! every schema or description change is a deliberate, reviewed diff.
//! Regenerate it with `GODOT_MCP_SNAPSHOT=1 cargo test -p godot-mcp snapshot`.

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tools.json");

#[test]
fn the_tool_list_matches_its_snapshot() {
    let all = crate::server::tools(&godot_mcp_protocol::catalog::Selection::all());
    let pretty = serde_json::to_string_pretty(&serde_json::json!({ "tools": all }));
    let now = format!("{}\n", pretty.expect("the tool list is JSON"));
    if std::env::var_os("GODOT_MCP_SNAPSHOT").is_some() {
        std::fs::write(FILE, &now).expect("write the snapshot");
        return;
    }
    let saved = std::fs::read_to_string(FILE).unwrap_or_default();
    if saved == now {
        return;
    }
    let (line, (old, new)) = saved
        .lines()
        .chain(std::iter::repeat(""))
        .zip(now.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((saved.lines().count(), ("", "")));
    panic!(
        "the tool list differs from {FILE} at line {}:\n  saved: {old}\n  now:   {new}\n\
         if the change is meant, regenerate it with `GODOT_MCP_SNAPSHOT=1 cargo test -p godot-mcp snapshot` and review the diff",
        line + 1
    );
}
