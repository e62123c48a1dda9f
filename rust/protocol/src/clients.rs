//! The MCP clients `godot-mcp setup` configures, by name. The shim holds
//! how each is configured; the editor's dock offers them in this order.

/// Where `godot-mcp install` notes, in the project, its own path, so the
/// dock runs that `godot-mcp` for a setup. `.godot/` is per machine and
/// kept out of version control.
pub const SHIM_RECORD: &str = ".godot/godot_mcp_shim";

pub const SETUP_CLIENTS: [&str; 10] = [
    "claude-code",
    "claude-desktop",
    "codex",
    "cursor",
    "vscode",
    "gemini",
    "windsurf",
    "zed",
    "cline",
    "opencode",
];
