//! The command catalog: every command's name, parameters and documentation.
//!
//! A command is a parameter struct implementing [`Command`]; its doc comment
//! is the tool description and its fields' doc comments describe the
//! parameters. The shim turns [`CATALOG`] into its MCP tool list and the
//! extension deserializes the very same structs, so the two cannot drift.
//! Each command also declares its MCP annotations and its [`Toolset`].

use schemars::{JsonSchema, Schema, generate::SchemaSettings};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::commands::{
    animation, capture, debug, docs, editor, files, history, log, node, perf, play, project,
    resource, runs, scene, script, session, shader, signal, source, tiles, toolsets, tree, ui,
    workspace,
};
use crate::{ErrorBody, errors};

/// A command's parameter struct.
pub trait Command: DeserializeOwned + JsonSchema {
    /// The action name on the wire and the MCP tool name.
    const NAME: &'static str;
    /// A short human title (MCP `title`), e.g. `Add node`.
    const TITLE: &'static str;
    /// The group the tool is listed in.
    const TOOLSET: Toolset;
    /// True when the command changes nothing (MCP `readOnlyHint`).
    const READ_ONLY: bool;
    /// True when it removes or overwrites something (MCP `destructiveHint`).
    const DESTRUCTIVE: bool;
    /// True when repeating the call with the same arguments changes nothing
    /// more (MCP `idempotentHint`).
    const IDEMPOTENT: bool;
    /// What a successful call returns.
    type Output: Serialize + DeserializeOwned;
    /// How long the caller waits for the answer.
    const TIMEOUT_MS: u64 = 30_000;
    /// Answered by the shim itself, never sent to an editor.
    const LOCAL: bool = false;
}

/// A named group of tools. Clients with tool caps list only some groups;
/// `core` is always listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Toolset {
    Core,
    Play,
    Debug,
    Nodes,
    Signals,
    Scripts,
    Resources,
    Project,
    Files,
    Docs,
    Editor,
    Sessions,
    Animation,
    Tiles,
    Shaders,
    Ui,
}

impl Toolset {
    /// Every group, in listing order.
    pub const ALL: &[Toolset] = &[
        Toolset::Core,
        Toolset::Play,
        Toolset::Debug,
        Toolset::Nodes,
        Toolset::Signals,
        Toolset::Scripts,
        Toolset::Resources,
        Toolset::Project,
        Toolset::Files,
        Toolset::Docs,
        Toolset::Editor,
        Toolset::Sessions,
        Toolset::Animation,
        Toolset::Tiles,
        Toolset::Shaders,
        Toolset::Ui,
    ];

    /// The groups listed when the client does not choose.
    pub const DEFAULT: &[Toolset] = &[Toolset::Core, Toolset::Play, Toolset::Sessions];

    /// The name clients pass in `--toolsets` and to the `toolsets` tool.
    pub fn name(self) -> &'static str {
        match self {
            Toolset::Core => "core",
            Toolset::Play => "play",
            Toolset::Debug => "debug",
            Toolset::Nodes => "nodes",
            Toolset::Signals => "signals",
            Toolset::Scripts => "scripts",
            Toolset::Resources => "resources",
            Toolset::Project => "project",
            Toolset::Files => "files",
            Toolset::Docs => "docs",
            Toolset::Editor => "editor",
            Toolset::Sessions => "sessions",
            Toolset::Animation => "animation",
            Toolset::Tiles => "tiles",
            Toolset::Shaders => "shaders",
            Toolset::Ui => "ui",
        }
    }

    /// What the group is for, in a few words.
    pub fn about(self) -> &'static str {
        match self {
            Toolset::Core => "build scenes, write scripts, run the game, see it, read its output",
            Toolset::Play => "inspect and drive the running game",
            Toolset::Debug => {
                "breakpoints, stack, variables and stepping in the running game's scripts"
            }
            Toolset::Nodes => "read, find, duplicate, rename, move, instance and group nodes",
            Toolset::Signals => "list, connect and disconnect signals",
            Toolset::Scripts => "read, patch and validate GDScript",
            Toolset::Resources => ".tres resources",
            Toolset::Project => "project settings, input actions, autoloads, main scene",
            Toolset::Files => "list, search, read and write project files",
            Toolset::Docs => "Godot's class reference",
            Toolset::Editor => "open scenes, selection, undo history, performance",
            Toolset::Sessions => "choose among several open editors",
            Toolset::Animation => "AnimationPlayer animations, tracks and keys",
            Toolset::Tiles => "tile sets and TileMapLayer cells",
            Toolset::Shaders => "shader files and material uniforms",
            Toolset::Ui => "UI themes",
        }
    }

    pub fn from_name(name: &str) -> Option<Toolset> {
        Toolset::ALL.iter().copied().find(|t| t.name() == name)
    }
}

/// Which tools a client sees: some toolsets, optionally only read-only tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    toolsets: Vec<Toolset>,
    pub read_only: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            toolsets: Toolset::DEFAULT.to_vec(),
            read_only: false,
        }
    }
}

impl Selection {
    /// Everything there is.
    pub fn all() -> Selection {
        Selection {
            toolsets: Toolset::ALL.to_vec(),
            read_only: false,
        }
    }

    /// Parses `a,b` (toolset names, or `all`); empty means the default.
    pub fn parse(list: &str, read_only: bool) -> Result<Selection, String> {
        let names: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        let mut selection = if names.is_empty() {
            Selection::default()
        } else {
            Selection {
                toolsets: vec![Toolset::Core],
                read_only,
            }
        };
        selection.read_only = read_only;
        for name in names {
            if name == "all" {
                selection.toolsets = Toolset::ALL.to_vec();
                continue;
            }
            let toolset = Toolset::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = Toolset::ALL.iter().map(|t| t.name()).collect();
                format!("unknown toolset {name:?}; known: all, {}", known.join(", "))
            })?;
            selection.enable(toolset);
        }
        Ok(selection)
    }

    /// Adds a toolset; false when it was already there.
    pub fn enable(&mut self, toolset: Toolset) -> bool {
        if self.toolsets.contains(&toolset) {
            return false;
        }
        self.toolsets.push(toolset);
        true
    }

    pub fn has(&self, toolset: Toolset) -> bool {
        self.toolsets.contains(&toolset)
    }

    /// Whether this command is listed and served.
    pub fn includes(&self, spec: &CommandSpec) -> bool {
        (self.has(spec.toolset) && (spec.read_only || !self.read_only))
            || spec.name == crate::commands::toolsets::Toolsets::NAME
    }

    /// The commands listed, in catalog order.
    pub fn commands(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        CATALOG.iter().filter(|c| self.includes(c))
    }
}

/// Type-erased view of a [`Command`], for listing and validating.
pub struct CommandSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub toolset: Toolset,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub timeout: std::time::Duration,
    pub local: bool,
    schema: fn() -> Schema,
    check: fn(Value) -> Result<(), serde_json::Error>,
}

const fn spec<C: Command>() -> CommandSpec {
    CommandSpec {
        name: C::NAME,
        title: C::TITLE,
        toolset: C::TOOLSET,
        read_only: C::READ_ONLY,
        destructive: C::DESTRUCTIVE,
        idempotent: C::IDEMPOTENT,
        timeout: std::time::Duration::from_millis(C::TIMEOUT_MS),
        local: C::LOCAL,
        schema: schema_of::<C>,
        check: check_of::<C>,
    }
}

fn schema_of<C: JsonSchema>() -> Schema {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    // Models call tools more reliably with one flat schema than with `$ref`s.
    settings.inline_subschemas = true;
    settings.into_generator().into_root_schema_for::<C>()
}

fn check_of<C: DeserializeOwned>(params: Value) -> Result<(), serde_json::Error> {
    serde_json::from_value::<C>(params).map(drop)
}

/// Every command the editor understands, in the order tools are listed.
pub static CATALOG: &[CommandSpec] = &[
    spec::<editor::GetEditorState>(),
    spec::<editor::GetProjectInfo>(),
    spec::<scene::CreateScene>(),
    spec::<scene::OpenScene>(),
    spec::<scene::SaveScene>(),
    spec::<scene::GetSceneTree>(),
    spec::<node::AddNode>(),
    spec::<node::EditNode>(),
    spec::<node::RemoveNode>(),
    spec::<tree::GetNodeProperties>(),
    spec::<tree::DuplicateNode>(),
    spec::<tree::RenameNode>(),
    spec::<tree::MoveNode>(),
    spec::<tree::FindNodes>(),
    spec::<tree::InstantiateScene>(),
    spec::<tree::AddToGroup>(),
    spec::<tree::RemoveFromGroup>(),
    spec::<signal::ListSignals>(),
    spec::<signal::ConnectSignal>(),
    spec::<signal::DisconnectSignal>(),
    spec::<script::WriteScript>(),
    spec::<script::AttachScript>(),
    spec::<source::ReadScript>(),
    spec::<source::PatchScript>(),
    spec::<source::ValidateScript>(),
    spec::<resource::CreateResource>(),
    spec::<resource::GetResource>(),
    spec::<resource::SetResourceProperties>(),
    spec::<animation::CreateAnimation>(),
    spec::<animation::AddAnimationTrack>(),
    spec::<animation::SetAnimationKeys>(),
    spec::<animation::GetAnimation>(),
    spec::<tiles::CreateTileset>(),
    spec::<tiles::SetTiles>(),
    spec::<tiles::GetTiles>(),
    spec::<shader::WriteShader>(),
    spec::<shader::SetShaderParams>(),
    spec::<ui::SetThemeItems>(),
    spec::<project::GetProjectSetting>(),
    spec::<project::SetProjectSetting>(),
    spec::<project::SetMainScene>(),
    spec::<project::ListInputActions>(),
    spec::<project::AddInputAction>(),
    spec::<project::RemoveInputAction>(),
    spec::<project::ListAutoloads>(),
    spec::<project::AddAutoload>(),
    spec::<project::RemoveAutoload>(),
    spec::<files::ListFiles>(),
    spec::<files::SearchFiles>(),
    spec::<files::ReadTextFile>(),
    spec::<files::WriteTextFile>(),
    spec::<docs::GetClassInfo>(),
    spec::<docs::SearchClasses>(),
    spec::<workspace::GetOpenScenes>(),
    spec::<workspace::CloseScene>(),
    spec::<workspace::GetSelection>(),
    spec::<workspace::SelectNodes>(),
    spec::<editor::RunProject>(),
    spec::<editor::StopProject>(),
    spec::<runs::GetGameOutput>(),
    spec::<runs::GetGameErrors>(),
    spec::<play::GameTree>(),
    spec::<play::GameGet>(),
    spec::<play::GameSet>(),
    spec::<play::GameCall>(),
    spec::<play::GameEval>(),
    spec::<play::GameInput>(),
    spec::<play::GamePause>(),
    spec::<play::GameResume>(),
    spec::<play::GameStep>(),
    spec::<play::GameUi>(),
    spec::<debug::SetBreakpoint>(),
    spec::<debug::ClearBreakpoints>(),
    spec::<debug::DebugState>(),
    spec::<debug::DebugStep>(),
    spec::<debug::DebugEval>(),
    spec::<capture::GetScreenshot>(),
    spec::<log::GetEditorLog>(),
    spec::<history::Undo>(),
    spec::<history::Redo>(),
    spec::<session::ListSessions>(),
    spec::<session::SelectSession>(),
    spec::<history::GetUndoHistory>(),
    spec::<perf::GetPerformance>(),
    spec::<history::Batch>(),
    spec::<toolsets::Toolsets>(),
];

/// Looks a command up by name.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    CATALOG.iter().find(|c| c.name == name)
}

impl CommandSpec {
    /// The tool description: the parameter struct's doc comment.
    pub fn description(&self) -> String {
        (self.schema)()
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// The JSON Schema of the parameters in the portable subset every
    /// client reads, without the description that already travels as the
    /// tool's description.
    pub fn input_schema(&self) -> Map<String, Value> {
        let mut value = (self.schema)().to_value();
        crate::schema::make_portable(&mut value);
        let mut schema = match value {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        schema.remove("description");
        schema
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        schema
    }

    /// Checks `params` against the parameter struct, exactly as the receiving
    /// side will deserialize them.
    pub fn validate(&self, params: &Value) -> Result<(), ErrorBody> {
        (self.check)(params.clone()).map_err(|e| errors::invalid_params(self.name, &e))
    }
}

/// Deserializes a command's parameters with the catalog's error shape.
pub fn parse<C: Command>(params: Value) -> Result<C, ErrorBody> {
    serde_json::from_value(params).map_err(|e| errors::invalid_params(C::NAME, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_are_stated_in_the_schemas() {
        let stated = |tool: &str, limit: usize| {
            let schema = Value::Object(find(tool).unwrap().input_schema()).to_string();
            assert!(
                schema.contains(&format!("at most {limit}")),
                "{tool}: {schema}"
            );
        };
        stated("batch", crate::commands::history::MAX_BATCH_STEPS);
        stated("find_nodes", crate::commands::tree::MAX_PATTERN_CHARS);
    }

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in CATALOG {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
        }
    }

    #[test]
    fn every_command_is_documented() {
        for c in CATALOG {
            assert!(c.description().len() > 20, "{} lacks a description", c.name);
            let schema = c.input_schema();
            assert_eq!(schema["type"], "object", "{}", c.name);
            assert!(!schema.contains_key("$defs"), "{} uses $defs", c.name);
            for (field, s) in schema["properties"].as_object().unwrap() {
                assert!(
                    s.get("description").is_some(),
                    "{}.{field} lacks a description",
                    c.name
                );
            }
        }
    }

    #[test]
    fn every_schema_is_portable() {
        for c in CATALOG {
            let schema = Value::Object(c.input_schema());
            let problems = crate::schema::violations(&schema);
            assert!(problems.is_empty(), "{}: {problems:#?}\n{schema:#}", c.name);
        }
    }

    #[test]
    fn every_command_is_annotated_deliberately() {
        let mut titles = std::collections::HashSet::new();
        for c in CATALOG {
            assert!(
                c.title.len() >= 4
                    && c.title.len() <= 30
                    && c.title.starts_with(|ch: char| ch.is_ascii_uppercase()),
                "{}: title {:?}",
                c.name,
                c.title
            );
            assert!(
                titles.insert(c.title),
                "{}: title {:?} taken",
                c.name,
                c.title
            );
            if c.read_only {
                assert!(
                    !c.destructive && c.idempotent,
                    "{}: a read-only tool is neither destructive nor repeatable-with-effect",
                    c.name
                );
            }
            assert!(Toolset::ALL.contains(&c.toolset), "{}", c.name);
        }
        // Removals and overwrites are flagged, additions are not.
        for name in [
            "remove_node",
            "write_script",
            "write_text_file",
            "close_scene",
            "patch_script",
            "disconnect_signal",
            "remove_input_action",
            "remove_autoload",
            "batch",
        ] {
            assert!(find(name).unwrap().destructive, "{name}");
        }
        for name in ["add_node", "create_scene", "edit_node", "run_project"] {
            let c = find(name).unwrap();
            assert!(!c.destructive && !c.read_only, "{name}");
        }
        for name in ["write_script", "edit_node", "save_scene", "stop_project"] {
            assert!(find(name).unwrap().idempotent, "{name}");
        }
        for name in ["add_node", "remove_node", "run_project", "undo"] {
            assert!(!find(name).unwrap().idempotent, "{name}");
        }
    }

    #[test]
    fn the_default_selection_holds_the_seed_tools() {
        let default = Selection::default();
        assert!(default.has(Toolset::Play));
        let listed: Vec<&str> = default.commands().map(|c| c.name).collect();
        for name in [
            "get_editor_state",
            "get_project_info",
            "create_scene",
            "open_scene",
            "save_scene",
            "get_scene_tree",
            "add_node",
            "edit_node",
            "remove_node",
            "write_script",
            "attach_script",
            "run_project",
            "stop_project",
            "get_screenshot",
            "get_game_output",
            "get_game_errors",
            "get_editor_log",
            "batch",
            "undo",
            "toolsets",
        ] {
            assert!(listed.contains(&name), "{name} is not in the default set");
        }
        // Listed in catalog order, whatever the selection.
        let order = |s: &Selection| s.commands().map(|c| c.name).collect::<Vec<_>>();
        let all: Vec<&str> = CATALOG.iter().map(|c| c.name).collect();
        assert_eq!(order(&Selection::all()), all);
        let picked = Selection::parse("docs, nodes", false).unwrap();
        let names = order(&picked);
        assert!(names.windows(2).all(|w| {
            let at = |n: &str| all.iter().position(|a| *a == n);
            at(w[0]) < at(w[1])
        }));
        assert!(names.contains(&"get_class_info") && names.contains(&"find_nodes"));
        assert!(names.contains(&"add_node") && !names.contains(&"read_script"));
    }

    #[test]
    fn selections_parse_and_read_only_serves_reads() {
        assert_eq!(Selection::parse("", false).unwrap(), Selection::default());
        assert_eq!(Selection::parse(" all ", false).unwrap(), Selection::all());
        let e = Selection::parse("core,bogus", false).unwrap_err();
        assert!(e.contains("bogus") && e.contains("nodes"), "{e}");
        let ro = Selection::parse("all", true).unwrap();
        assert!(ro.commands().all(|c| c.read_only));
        assert!(ro.commands().any(|c| c.name == "toolsets"));
        assert!(ro.commands().any(|c| c.name == "get_scene_tree"));
        let mut s = Selection::parse("docs", false).unwrap();
        assert!(s.enable(Toolset::Files) && !s.enable(Toolset::Files));
        assert!(s.commands().any(|c| c.name == "read_text_file"));
    }

    #[test]
    fn validation_matches_the_structs() {
        let add = find("add_node").unwrap();
        assert!(
            add.validate(&json!({"type": "Node2D", "name": "A"}))
                .is_ok()
        );
        let e = add.validate(&json!({"type": 5, "name": "A"})).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidParams);
        let e = add
            .validate(&json!({"type": "Node2D", "name": "A", "bogus": 1}))
            .unwrap_err();
        assert!(e.message.contains("bogus"), "{}", e.message);
        assert!(find("nope").is_none());
    }
}
