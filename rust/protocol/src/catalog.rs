//! The command catalog: every command's name, parameters and documentation.
//!
//! A command is a parameter struct implementing [`Command`]; its doc comment
//! is the tool description and its fields' doc comments describe the
//! parameters. The shim turns [`CATALOG`] into its MCP tool list and the
//! extension deserializes the very same structs, so the two cannot drift.

use schemars::{JsonSchema, Schema, generate::SchemaSettings};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::commands::{
    capture, docs, editor, files, history, log, node, perf, project, resource, runs, scene, script,
    session, signal, source, tree, workspace,
};
use crate::{ErrorBody, errors};

/// A command's parameter struct.
pub trait Command: DeserializeOwned + JsonSchema {
    /// The action name on the wire and the MCP tool name.
    const NAME: &'static str;
    /// True when the command changes nothing (MCP `readOnlyHint`).
    const READ_ONLY: bool;
    /// What a successful call returns.
    type Output: Serialize + DeserializeOwned;
    /// How long the caller waits for the answer.
    const TIMEOUT_MS: u64 = 30_000;
    /// Answered by the shim itself, never sent to an editor.
    const LOCAL: bool = false;
}

/// Type-erased view of a [`Command`], for listing and validating.
pub struct CommandSpec {
    pub name: &'static str,
    pub read_only: bool,
    pub timeout: std::time::Duration,
    pub local: bool,
    schema: fn() -> Schema,
    check: fn(Value) -> Result<(), serde_json::Error>,
}

const fn spec<C: Command>() -> CommandSpec {
    CommandSpec {
        name: C::NAME,
        read_only: C::READ_ONLY,
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
    spec::<capture::GetScreenshot>(),
    spec::<log::GetEditorLog>(),
    spec::<history::Undo>(),
    spec::<history::Redo>(),
    spec::<session::ListSessions>(),
    spec::<session::SelectSession>(),
    spec::<history::GetUndoHistory>(),
    spec::<perf::GetPerformance>(),
    spec::<history::Batch>(),
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

    /// The JSON Schema of the parameters, without the title and description
    /// that already travel as the tool's name and description.
    pub fn input_schema(&self) -> Map<String, Value> {
        let mut schema = match (self.schema)().to_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        schema.remove("title");
        schema.remove("description");
        schema.remove("$schema");
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
