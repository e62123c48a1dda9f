//! The game runs' output and errors, read with cursors.

use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::commands::runs::{GameErrors, GameOutput, GetGameErrors, GetGameOutput};

use super::Ctx;
use super::log::limit;

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
