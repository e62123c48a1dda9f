//! One minute of the soak's mixed workload (reads, edits and their undo,
//! saves, deliberate errors, game runs read to their end) against a real
//! editor through the shim: any unexpected error fails it. `cargo xtask
//! soak --minutes 30` is the long version, judged on RSS and p99 too.

use godot_mcp_e2e::godot_binary;
use godot_mcp_e2e::soak::{self, Minute};

use crate::{Suite, ensure};

const NAME: &str = "soak_one_minute_mixed_workload";

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    if filter.is_some_and(|f| !NAME.contains(f)) {
        return;
    }
    suite.run(&(), NAME, |_| Box::pin(one_minute())).await;
}

async fn one_minute() -> godot_mcp_e2e::TestResult {
    let rows = soak::run(&godot_binary()?, 1, false, |_| {}).await?;
    let row = rows.first().ok_or("no minute")?;
    println!("    {}\n    {}", Minute::HEADER, row.row());
    ensure!(
        row.game_runs >= 2 && row.calls > 100 && row.expected_errors > 10,
        "the workload did not run in full: {}",
        row.row()
    );
    // The extension's heap holds at least the call log and the game's
    // output ring, and far less than Godot does.
    ensure!(
        row.extension_kib > 0 && row.extension_kib < row.godot_kib,
        "memory split not reported: godot {} KiB, the extension {} KiB",
        row.godot_kib,
        row.extension_kib
    );
    ensure!(
        row.lost_lines == 0,
        "{} lines the games printed never reached get_game_output",
        row.lost_lines
    );
    soak::verdict(&rows, 0, u64::MAX).map(drop)
}
