//! The MCP clients `godot-mcp setup` configures, by name. The shim holds
//! how each is configured; the editor's dock offers them in this order.

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
