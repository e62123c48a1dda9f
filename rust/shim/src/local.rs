//! The commands the shim answers itself: choosing among open editors and
//! choosing which tool groups are listed.

use std::sync::{Arc, Mutex, OnceLock};

use godot_mcp_protocol::catalog::{CATALOG, Selection, Toolset};
use godot_mcp_protocol::commands::session::{ListSessions, SelectSession, Sessions};
use godot_mcp_protocol::commands::toolsets::{ToolsetInfo, ToolsetList, Toolsets};
use godot_mcp_protocol::router::{Router, Tree};
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use crate::lock;
use crate::sessions::Registry;

/// What the shim's own commands work on.
pub struct Local {
    pub registry: Arc<Registry>,
    /// The tools this session lists and serves.
    pub selection: Arc<Mutex<Selection>>,
    /// Set when a command changed the tool list, so the caller tells the client.
    pub list_changed: bool,
}

/// The shim's own commands; registering one is one line here.
pub fn router() -> &'static Router<Local, Tree> {
    static ROUTER: OnceLock<Router<Local, Tree>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .now(list_sessions)
            .now(select_session)
            .now(toolsets)
    })
}

fn list_sessions(local: &mut Local, _: ListSessions) -> Result<Sessions, ErrorBody> {
    Ok(local.registry.list())
}

fn select_session(local: &mut Local, p: SelectSession) -> Result<Sessions, ErrorBody> {
    local.registry.select(&p.session)
}

/// Lists the groups, enabling one first when asked.
fn toolsets(local: &mut Local, p: Toolsets) -> Result<ToolsetList, ErrorBody> {
    let mut selection = lock(&local.selection);
    if let Some(name) = p.enable.as_deref().map(str::trim) {
        let wanted: Vec<Toolset> = if name == "all" {
            Toolset::ALL.to_vec()
        } else {
            vec![Toolset::from_name(name).ok_or_else(|| {
                ErrorBody::new(ErrorCode::InvalidParams, format!("no toolset {name:?}"))
                    .with_hint("call toolsets without enable for the group names")
            })?]
        };
        for toolset in wanted {
            local.list_changed |= selection.enable(toolset);
        }
    }
    let toolsets = Toolset::ALL
        .iter()
        .map(|&t| ToolsetInfo {
            name: t.name().into(),
            about: t.about().into(),
            enabled: selection.has(t),
            tools: CATALOG
                .iter()
                .filter(|c| c.toolset == t && (c.read_only || !selection.read_only))
                .map(|c| c.name.to_owned())
                .collect(),
        })
        .collect();
    Ok(ToolsetList {
        toolsets,
        read_only: selection.read_only,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shim_serves_exactly_the_local_commands() {
        let mut served: Vec<&str> = super::router().names().collect();
        let mut local: Vec<&str> = godot_mcp_protocol::CATALOG
            .iter()
            .filter(|c| c.local)
            .map(|c| c.name)
            .collect();
        served.sort_unstable();
        local.sort_unstable();
        assert_eq!(served, local);
        assert!(super::router().duplicates().is_empty());
    }
}
