//! The editor's frame timing, for finding out why answers are slow.

use godot::classes::Performance as Monitors;
use godot::classes::performance::Monitor;
use godot::prelude::*;
use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::commands::perf::{GetPerformance, Performance};

use super::Ctx;

pub fn get_performance(ctx: &mut Ctx, params: GetPerformance) -> Result<Performance, ErrorBody> {
    let wake = ctx.wake.as_ref().map(|w| w.state()).unwrap_or_default();
    let memory = Monitors::singleton().get_monitor(Monitor::MEMORY_STATIC);
    let mut summary = ctx.frames.summary(wake, memory.max(0.0) as u64);
    summary.dock = ctx.dock.as_ref().map(|dock| dock.bind().report());
    if params.reset {
        ctx.frames.reset();
    }
    Ok(summary)
}
