//! The editor's output log and the game runs' output, read with cursors.

use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::commands::log::{DEFAULT_LIMIT, EditorLog, GetEditorLog, MAX_LIMIT};
use godot_mcp_protocol::commands::runs::{GameErrors, GameOutput, GetGameErrors, GetGameOutput};

use super::Ctx;

fn limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

pub fn get_editor_log(_: &mut Ctx, params: GetEditorLog) -> Result<EditorLog, ErrorBody> {
    let (entries, cursor) = crate::editor_log::read(
        params.since.unwrap_or(0),
        params.level.unwrap_or_default(),
        limit(params.limit),
    );
    Ok(EditorLog { entries, cursor })
}

pub fn get_game_output(ctx: &mut Ctx, params: GetGameOutput) -> Result<GameOutput, ErrorBody> {
    ctx.runs.borrow().output(
        params.run_id,
        params.since.unwrap_or(0),
        limit(params.limit),
    )
}

pub fn get_game_errors(ctx: &mut Ctx, params: GetGameErrors) -> Result<GameErrors, ErrorBody> {
    ctx.runs.borrow().errors(params.run_id)
}
