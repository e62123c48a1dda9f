//! The editor's output log, read with a cursor.

use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::commands::log::{DEFAULT_LIMIT, EditorLog, GetEditorLog, MAX_LIMIT};

use super::Ctx;

/// How many entries one read returns.
pub(super) fn limit(limit: Option<u32>) -> usize {
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
