//! The commands the shim answers itself: choosing among open editors.

use std::sync::{Arc, OnceLock};

use godot_mcp_protocol::ErrorBody;
use godot_mcp_protocol::commands::session::{ListSessions, SelectSession, Sessions};
use godot_mcp_protocol::router::{Router, Tree};

use crate::sessions::Registry;

/// The shim's own commands; registering one is one line here.
pub fn router() -> &'static Router<Arc<Registry>, Tree> {
    static ROUTER: OnceLock<Router<Arc<Registry>, Tree>> = OnceLock::new();
    ROUTER.get_or_init(|| Router::new().now(list_sessions).now(select_session))
}

fn list_sessions(registry: &mut Arc<Registry>, _: ListSessions) -> Result<Sessions, ErrorBody> {
    Ok(registry.list())
}

fn select_session(registry: &mut Arc<Registry>, p: SelectSession) -> Result<Sessions, ErrorBody> {
    registry.select(&p.session)
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
