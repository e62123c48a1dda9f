//! The MCP clients `setup` knows: where each keeps its server list, in
//! which format, and the entry that starts this binary there. One row per
//! client; `doctor` reads the same rows to say who has us configured.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The name our server is registered under in every client.
pub const SERVER: &str = "godot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    Project,
}

impl Scope {
    pub fn parse(text: &str) -> Result<Scope, String> {
        match text {
            "user" => Ok(Scope::User),
            "project" => Ok(Scope::Project),
            other => Err(format!("unknown scope {other:?}; use user or project")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Project => "project",
        }
    }
}

/// How a client's file holds its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// JSON `mcpServers.<name> = {command, args}` (Claude, Cursor, Gemini, ...).
    McpServers,
    /// VS Code's JSONC `servers.<name> = {type: "stdio", command, args}`.
    VsCode,
    /// Zed's JSONC settings, `context_servers.<name> = {command, args, env}`.
    Zed,
    /// OpenCode's JSON(C) `mcp.<name> = {type: "local", command: [...]}`.
    OpenCode,
    /// Codex's TOML `[mcp_servers.<name>]`.
    Codex,
}

impl Shape {
    /// The keys leading to the table of servers.
    pub fn servers_key(self) -> &'static str {
        match self {
            Shape::McpServers => "mcpServers",
            Shape::VsCode => "servers",
            Shape::Zed => "context_servers",
            Shape::OpenCode => "mcp",
            Shape::Codex => "mcp_servers",
        }
    }

    /// Our entry, in the order it is written: the keys we set (others the
    /// user put there stay).
    pub fn entry(self, command: &Path, args: &[String]) -> Vec<(&'static str, Value)> {
        let command = command.to_string_lossy().into_owned();
        match self {
            Shape::McpServers => vec![("command", json!(command)), ("args", json!(args))],
            Shape::VsCode => vec![
                ("type", json!("stdio")),
                ("command", json!(command)),
                ("args", json!(args)),
            ],
            Shape::Zed => vec![
                ("command", json!(command)),
                ("args", json!(args)),
                ("env", json!({})),
            ],
            Shape::OpenCode => {
                let mut line = vec![command];
                line.extend(args.iter().cloned());
                vec![
                    ("type", json!("local")),
                    ("command", json!(line)),
                    ("enabled", json!(true)),
                ]
            }
            // Codex passes a stripped environment; the discovery folder
            // lives under XDG_RUNTIME_DIR.
            Shape::Codex => vec![
                ("command", json!(command)),
                ("args", json!(args)),
                ("env_vars", json!(["XDG_RUNTIME_DIR"])),
            ],
        }
    }
}

/// One MCP client.
pub struct Client {
    pub name: &'static str,
    pub shape: Shape,
    /// Its user-wide file, when it has one.
    pub user: Option<fn(&Places) -> PathBuf>,
    /// Its file inside a project, when it has one.
    pub project: Option<&'static str>,
    pub default_scope: Scope,
    /// The tool groups listed besides the default, chosen for the client's
    /// limits (Codex sends every schema each turn; VS Code and Windsurf cap
    /// tool counts; Claude defers schemas, so everything costs little).
    pub toolsets: &'static str,
}

impl Client {
    /// The file for `scope`, or why the client has none there.
    pub fn file(&self, scope: Scope, places: &Places, project: &Path) -> Result<PathBuf, String> {
        match scope {
            Scope::User => self.user.map(|f| f(places)),
            Scope::Project => self.project.map(|rel| jsonc_twin(&project.join(rel))),
        }
        .ok_or_else(|| {
            format!(
                "{} has no {} configuration; drop --scope",
                self.name,
                scope.name()
            )
        })
    }
}

/// OpenCode also reads `.jsonc`; an existing one is the file to edit.
fn jsonc_twin(path: &Path) -> PathBuf {
    let twin = path.with_extension("jsonc");
    if path.extension().is_some_and(|e| e == "json") && !path.exists() && twin.exists() {
        twin
    } else {
        path.to_path_buf()
    }
}

pub const CLIENTS: &[Client] = &[
    Client {
        name: "claude-code",
        shape: Shape::McpServers,
        user: Some(|p| p.home.join(".claude.json")),
        project: Some(".mcp.json"),
        default_scope: Scope::Project,
        toolsets: "all",
    },
    Client {
        name: "claude-desktop",
        shape: Shape::McpServers,
        user: Some(|p| p.app_config.join("Claude/claude_desktop_config.json")),
        project: None,
        default_scope: Scope::User,
        toolsets: "all",
    },
    Client {
        name: "codex",
        shape: Shape::Codex,
        user: Some(|p| p.codex_home.join("config.toml")),
        project: Some(".codex/config.toml"),
        default_scope: Scope::User,
        toolsets: "nodes,scripts",
    },
    Client {
        name: "cursor",
        shape: Shape::McpServers,
        user: Some(|p| p.home.join(".cursor/mcp.json")),
        project: Some(".cursor/mcp.json"),
        default_scope: Scope::User,
        toolsets: "",
    },
    Client {
        name: "vscode",
        shape: Shape::VsCode,
        user: Some(|p| p.app_config.join("Code/User/mcp.json")),
        project: Some(".vscode/mcp.json"),
        default_scope: Scope::Project,
        toolsets: "nodes",
    },
    Client {
        name: "gemini",
        shape: Shape::McpServers,
        user: Some(|p| p.home.join(".gemini/settings.json")),
        project: Some(".gemini/settings.json"),
        default_scope: Scope::User,
        toolsets: "nodes,scripts",
    },
    Client {
        name: "windsurf",
        shape: Shape::McpServers,
        user: Some(|p| p.home.join(".codeium/windsurf/mcp_config.json")),
        project: None,
        default_scope: Scope::User,
        toolsets: "",
    },
    Client {
        name: "zed",
        shape: Shape::Zed,
        user: Some(|p| p.zed_config.join("settings.json")),
        project: Some(".zed/settings.json"),
        default_scope: Scope::User,
        toolsets: "",
    },
    Client {
        name: "cline",
        shape: Shape::McpServers,
        user: Some(|p| p.cline.clone()),
        project: None,
        default_scope: Scope::User,
        toolsets: "",
    },
    Client {
        name: "opencode",
        shape: Shape::OpenCode,
        user: Some(|p| jsonc_twin(&p.xdg_config.join("opencode/opencode.json"))),
        project: Some("opencode.json"),
        default_scope: Scope::User,
        toolsets: "",
    },
];

/// The client named `name`, or the list of known ones.
pub fn find(name: &str) -> Result<&'static Client, String> {
    CLIENTS.iter().find(|c| c.name == name).ok_or_else(|| {
        format!(
            "unknown client {name:?}; known clients: {}",
            CLIENTS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The folders clients keep their settings in, on this platform.
pub struct Places {
    pub home: PathBuf,
    /// `~/.config` (or `XDG_CONFIG_HOME`) everywhere: OpenCode uses it on every OS.
    pub xdg_config: PathBuf,
    /// Where desktop applications keep settings: `~/.config` on Linux,
    /// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    pub app_config: PathBuf,
    pub zed_config: PathBuf,
    pub codex_home: PathBuf,
    pub cline: PathBuf,
}

impl Places {
    pub fn from_env() -> Result<Places, String> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .ok_or("neither HOME nor USERPROFILE is set")?;
        let xdg_config = var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
        let app_config = if cfg!(windows) {
            var("APPDATA").unwrap_or_else(|| home.join("AppData/Roaming"))
        } else if cfg!(target_os = "macos") {
            home.join("Library/Application Support")
        } else {
            xdg_config.clone()
        };
        let zed_config = if cfg!(windows) {
            app_config.join("Zed")
        } else {
            xdg_config.join("zed")
        };
        let codex_home = var("CODEX_HOME").unwrap_or_else(|| home.join(".codex"));
        // The Cline CLI keeps its own file; the VS Code extension its global storage.
        let cline_cli = home.join(".cline/data/settings");
        let cline = var("CLINE_MCP_SETTINGS_PATH").unwrap_or_else(|| {
            if cline_cli.is_dir() {
                cline_cli.join("cline_mcp_settings.json")
            } else {
                app_config.join(
                    "Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
                )
            }
        });
        Ok(Places {
            home,
            xdg_config,
            app_config,
            zed_config,
            codex_home,
            cline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_client_is_answered_with_the_known_ones() {
        let err = find("notepad").err().unwrap();
        for client in CLIENTS {
            assert!(err.contains(client.name), "{err}");
        }
        assert_eq!(find("zed").unwrap().shape, Shape::Zed);
    }

    #[test]
    fn the_rows_are_the_clients_the_dock_offers() {
        let names: Vec<&str> = CLIENTS.iter().map(|c| c.name).collect();
        assert_eq!(names, godot_mcp_protocol::clients::SETUP_CLIENTS);
    }

    #[test]
    fn every_default_scope_has_a_file() {
        let places = Places {
            home: "/h".into(),
            xdg_config: "/h/.config".into(),
            app_config: "/h/.config".into(),
            zed_config: "/h/.config/zed".into(),
            codex_home: "/h/.codex".into(),
            cline: "/h/cline.json".into(),
        };
        for client in CLIENTS {
            let file = client.file(client.default_scope, &places, Path::new("/p"));
            assert!(file.is_ok(), "{}", client.name);
        }
    }
}
