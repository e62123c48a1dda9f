//! MCP prompts: tasks an agent is handed with the project's live context
//! filled in (its errors with the source around them, a node's class docs
//! and values, its input map and scenes), not boilerplate.
//!
//! Each prompt is a [`Def`] (name, arguments, what completes them) and a
//! renderer that asks the editor through [`Ask`] and writes one user
//! message. Context that cannot be had (no editor, no run yet) is said in a
//! line, so a prompt always renders.

mod godot3;
mod scaffold;

use std::collections::HashMap;
use std::fmt::Write;

use godot_mcp_protocol::{ErrorBody, ErrorCode};
use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::{Value, json};

use crate::ask::Ask;
use crate::complete::Candidates;

/// One argument of a prompt.
pub struct Arg {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub candidates: Candidates,
}

/// One prompt.
pub struct Def {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: &'static [Arg],
}

const SCENE_PATH: Arg = Arg {
    name: "scene_path",
    description: "res:// path of the scene",
    required: true,
    candidates: Candidates::Scenes,
};
const SCENE_PATH_OPTIONAL: Arg = Arg {
    name: "scene_path",
    description: "res:// path of the scene; default: the edited scene",
    required: false,
    candidates: Candidates::Scenes,
};
const WHERE: Arg = Arg {
    name: "scene_path",
    description: "res:// path of the scene to build it in; default: a new scene",
    required: false,
    candidates: Candidates::Scenes,
};

pub const DEFS: &[Def] = &[
    Def {
        name: "fix_errors",
        title: "Fix the project's errors",
        description: "Current script, editor and game errors with the source around each, and the task to fix them.",
        args: &[],
    },
    Def {
        name: "explain_node",
        title: "Explain a node",
        description: "A node's class docs, its current values, signals and connections, and its script.",
        args: &[
            Arg {
                name: "node_path",
                description: "Node path from the scene root, e.g. Player/Sprite2D",
                required: true,
                candidates: Candidates::NodePaths,
            },
            SCENE_PATH_OPTIONAL,
        ],
    },
    Def {
        name: "playtest",
        title: "Play-test a goal",
        description: "Run the game frozen, step it with inputs, and check the goal with reports; uses the project's input actions.",
        args: &[Arg {
            name: "goal",
            description: "What to verify, e.g. the player can jump onto the ledge",
            required: true,
            candidates: Candidates::Free,
        }],
    },
    Def {
        name: "build_scene",
        title: "Build a scene",
        description: "Build a described scene with the tools, knowing the project's scenes, scripts, input actions and autoloads.",
        args: &[Arg {
            name: "description",
            description: "The scene to build",
            required: true,
            candidates: Candidates::Free,
        }],
    },
    Def {
        name: "character_controller_2d",
        title: "2D character controller",
        description: "A CharacterBody2D player moved by the project's input actions.",
        args: &[WHERE],
    },
    Def {
        name: "character_controller_3d",
        title: "3D character controller",
        description: "A CharacterBody3D player with a camera, moved by the project's input actions.",
        args: &[WHERE],
    },
    Def {
        name: "enemy_ai",
        title: "Enemy AI",
        description: "An enemy that patrols, chases the player in range and attacks, as a state machine.",
        args: &[WHERE],
    },
    Def {
        name: "projectile",
        title: "Projectile",
        description: "A projectile scene that flies, hits bodies, deals damage and frees itself.",
        args: &[WHERE],
    },
    Def {
        name: "collectible",
        title: "Collectible",
        description: "A pickup the player collects on contact, with a score signal.",
        args: &[WHERE],
    },
    Def {
        name: "ui_screen",
        title: "UI screen",
        description: "A menu, HUD, pause or game-over screen of Controls anchored for any resolution.",
        args: &[Arg {
            name: "kind",
            description: "main_menu, hud, pause or game_over",
            required: false,
            candidates: Candidates::Fixed(&["main_menu", "hud", "pause", "game_over"]),
        }],
    },
    Def {
        name: "platformer_starter",
        title: "Platformer starter",
        description: "A playable side-view platformer: player, level, camera, collectibles, a goal.",
        args: &[],
    },
    Def {
        name: "top_down_starter",
        title: "Top-down starter",
        description: "A playable top-down game: 8-way player, walls, enemies, a HUD.",
        args: &[],
    },
    Def {
        name: "puzzle_starter",
        title: "Puzzle starter",
        description: "A playable grid puzzle: board, pieces, moves with undo, a win check.",
        args: &[],
    },
    Def {
        name: "review_scene",
        title: "Review a scene",
        description: "A scene's tree and scripts, with the task to review structure, naming and scripts.",
        args: &[SCENE_PATH],
    },
    Def {
        name: "optimize_scene",
        title: "Optimize a scene",
        description: "Node counts by class, deep nesting, and scripts polling in _process, with the task to optimize.",
        args: &[SCENE_PATH],
    },
    Def {
        name: "migrate_godot3",
        title: "Migrate Godot 3 code",
        description: "Godot 3 API names found in scripts, with their Godot 4 replacements.",
        args: &[Arg {
            name: "path",
            description: "res:// script or folder; default: the whole project",
            required: false,
            candidates: Candidates::ProjectPaths,
        }],
    },
];

pub fn list() -> Vec<Prompt> {
    DEFS.iter()
        .map(|d| {
            let args = d
                .args
                .iter()
                .map(|a| {
                    PromptArgument::new(a.name)
                        .with_description(a.description)
                        .with_required(a.required)
                })
                .collect();
            Prompt::new(d.name, Some(d.description), Some(args)).with_title(d.title)
        })
        .collect()
}

pub fn find(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.name == name)
}

/// Arguments as given, with empty values taken as not given.
pub struct Args(HashMap<String, String>);

impl Args {
    pub fn new(given: HashMap<String, String>) -> Self {
        Self(
            given
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn scene(&self) -> Value {
        match self.get("scene_path") {
            Some(scene) => json!({ "scene_path": scene }),
            None => json!({}),
        }
    }
}

/// Fills in a prompt.
pub async fn render(ask: &Ask, def: &Def, args: Args) -> Result<GetPromptResult, ErrorBody> {
    for arg in def.args.iter().filter(|a| a.required) {
        if args.get(arg.name).is_none() {
            return Err(ErrorBody::new(
                ErrorCode::InvalidParams,
                format!("{} needs the argument {}", def.name, arg.name),
            )
            .with_hint(arg.description));
        }
    }
    let text = match def.name {
        "fix_errors" => fix_errors(ask).await,
        "explain_node" => explain_node(ask, &args).await?,
        "playtest" => playtest(ask, args.get("goal").unwrap_or_default()).await,
        "build_scene" => build_scene(ask, args.get("description").unwrap_or_default()).await,
        "review_scene" => review_scene(ask, args.get("scene_path").unwrap_or_default()).await?,
        "optimize_scene" => optimize_scene(ask, args.get("scene_path").unwrap_or_default()).await?,
        "migrate_godot3" => migrate_godot3(ask, args.get("path").unwrap_or("res://")).await,
        other => scaffold::render(ask, other, &args).await,
    };
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(def.description),
    )
}

/// A section of compact JSON.
fn section(out: &mut String, title: &str, value: &Value) {
    let _ = write!(out, "\n## {title}\n```json\n{value}\n```\n");
}

/// Lines around `line` (1-based) of a text, numbered, the line marked.
fn excerpt(source: &str, line: usize, around: usize) -> String {
    let first = line.saturating_sub(around).max(1);
    source
        .lines()
        .enumerate()
        .skip(first - 1)
        .take(line + around + 1 - first)
        .map(|(i, text)| {
            let mark = if i + 1 == line { '>' } else { ' ' };
            format!("{mark}{:>4}| {text}", i + 1)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where an error is, from the forms the error lists use.
fn location(error: &Value) -> Option<(String, usize)> {
    let file = error["file"].as_str().or(error["script_path"].as_str())?;
    let line = error["line"].as_u64()?;
    file.starts_with("res://")
        .then(|| (file.to_owned(), usize::try_from(line).unwrap_or(0)))
}

async fn fix_errors(ask: &Ask) -> String {
    let errors = crate::resources::errors(ask).await;
    let mut listed: Vec<(String, String, Value)> = Vec::new();
    for error in errors["script_errors"]["first"]
        .as_array()
        .into_iter()
        .flatten()
    {
        listed.push((
            "script".into(),
            error["message"].as_str().unwrap_or_default().into(),
            error.clone(),
        ));
    }
    for error in errors["editor_errors"].as_array().into_iter().flatten() {
        listed.push((
            "editor".into(),
            error["message"].as_str().unwrap_or_default().into(),
            error.clone(),
        ));
    }
    for error in errors["game"]["errors"].as_array().into_iter().flatten() {
        listed.push((
            "game".into(),
            error["message"].as_str().unwrap_or_default().into(),
            error.clone(),
        ));
    }
    let mut out = String::from(
        "Fix the errors in this Godot project. For each: read the script (read_script), fix the cause \
         with patch_script, and check it with validate_script. For game errors, run_project again and \
         confirm get_game_errors no longer lists them. Say what each error was and what you changed.\n",
    );
    if listed.is_empty() {
        out.push_str(
            "\nNo errors are reported right now: scripts parse, the editor log has no errors",
        );
        out.push_str(match errors["game"]["errors"].as_array() {
            Some(_) => ", and the last game run had none.\n",
            None => ", and there is no game run to check (run_project starts one).\n",
        });
    }
    let mut sources: HashMap<String, Option<String>> = HashMap::new();
    for (kind, message, error) in listed.iter().take(12) {
        let _ = write!(out, "\n### {kind} error: {message}\n");
        let Some((file, line)) = location(error) else {
            continue;
        };
        let _ = writeln!(out, "at {file}:{line}");
        if !sources.contains_key(&file) {
            let source = ask
                .call("read_text_file", json!({ "path": file }))
                .await
                .ok()
                .and_then(|f| f["content"].as_str().map(str::to_owned));
            sources.insert(file.clone(), source);
        }
        if let Some(Some(source)) = sources.get(&file) {
            let _ = write!(out, "```gdscript\n{}\n```\n", excerpt(source, line, 3));
        }
        if let Some(stack) = error["stack"].as_array().filter(|s| s.len() > 1) {
            let frames: Vec<String> = stack
                .iter()
                .map(|f| {
                    format!(
                        "{}:{} {}",
                        f["file"].as_str().unwrap_or("?"),
                        f["line"],
                        f["function"].as_str().unwrap_or("")
                    )
                })
                .collect();
            let _ = writeln!(out, "stack: {}", frames.join(" <- "));
        }
    }
    if listed.len() > 12 {
        let _ = writeln!(
            out,
            "\n…and {} more (see godot://errors).",
            listed.len() - 12
        );
    }
    out
}

async fn explain_node(ask: &Ask, args: &Args) -> Result<String, ErrorBody> {
    let node_path = args.get("node_path").unwrap_or(".");
    let mut params = args.scene();
    params["node_path"] = json!(node_path);
    let mut node = ask.call("get_node_properties", params.clone()).await?;
    let class = node["type"].as_str().unwrap_or("Node").to_owned();
    let class_info = ask
        .or_note("get_class_info", json!({ "class": class }))
        .await;
    let signals = ask.or_note("list_signals", params).await;
    let script = node["properties"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "script"))
        .and_then(|p| p["value"].as_str())
        .map(str::to_owned);
    let mut out = format!(
        "Explain the node `{node_path}` ({class}) of {} to the user: what a {class} does, how this one \
         is configured (the values below that differ from the defaults matter most), what its script \
         does, and what it is connected to. Keep it short and concrete.\n",
        node["scene_path"].as_str().unwrap_or("the edited scene"),
    );
    let _ = write!(
        out,
        "\n## {class}\n{}\nInherits: {}\n",
        class_info["description"]
            .as_str()
            .unwrap_or("(no description in the class reference)"),
        class_info["inherits"]
            .as_array()
            .map(|a| a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" < "))
            .unwrap_or_default(),
    );
    if let Some(props) = node["properties"].as_array_mut() {
        props.retain(|p| p["changed"] != false);
    }
    section(
        &mut out,
        "Values in the scene (changed from the default)",
        &node["properties"],
    );
    section(&mut out, "Signals and connections", &signals["signals"]);
    if let Some(script) = script {
        let source = ask
            .or_note("read_script", json!({ "script_path": script }))
            .await;
        let _ = write!(
            out,
            "\n## Script {script}\n```gdscript\n{}\n```\n",
            source["content"].as_str().unwrap_or("(unreadable)")
        );
    }
    Ok(out)
}

/// The project's input actions as `name: events`, one per line.
async fn input_actions(ask: &Ask) -> String {
    let actions = ask.or_note("list_input_actions", json!({})).await;
    let Some(list) = actions["actions"].as_array().filter(|a| !a.is_empty()) else {
        return "(none defined: add what the game needs with add_input_action)".into();
    };
    list.iter()
        .map(|a| {
            let events: Vec<String> = a["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    e.as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default()
                })
                .collect();
            format!(
                "- {}: {}",
                a["name"].as_str().unwrap_or("?"),
                events.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn playtest(ask: &Ask, goal: &str) -> String {
    let info = ask.or_note("get_project_info", json!({})).await;
    let main = info["main_scene"]
        .as_str()
        .unwrap_or("(none set: pass scene to run_project)");
    format!(
        "Play-test this goal in the running game and report whether it holds: {goal}\n\n\
         Main scene: {main}\nInput actions:\n{}\n\n\
         The loop:\n\
         1. run_project with frozen: true (and scene if the goal is elsewhere); time stands still.\n\
         2. game_tree (class/group filters) finds the nodes that matter; game_get reads their values.\n\
         3. game_step advances exact physics frames: `inputs` hold actions from the list above as \
         {{\"action\": name, \"at_frame\": n, \"hold_frames\": k}}; `until` stops on an expression; \
         `report` evaluates expressions at the end; `watch` samples properties every frame.\n\
         4. Assert from the reports and watches (positions, flags, counts), not from guesses; \
         get_screenshot with target game shows the frame.\n\
         5. get_game_errors after each step; a script error pauses the game.\n\
         6. stop_project when done. If the goal fails, say what you observed and which frame.\n",
        input_actions(ask).await
    )
}

async fn build_scene(ask: &Ask, description: &str) -> String {
    let info = ask.or_note("get_project_info", json!({})).await;
    let mut out = format!(
        "Build this scene in the Godot project: {description}\n\n\
         Use create_scene, add_node (with properties), write_script and attach_script, \
         instantiate_scene to reuse the scenes below, connect_signal for wiring, then save_scene. \
         Reuse the project's input actions and autoloads; follow its folder layout and naming. \
         Finish by running it (run_project) and checking get_game_errors.\n"
    );
    let _ = write!(
        out,
        "\nMain scene: {}\n",
        info["main_scene"].as_str().unwrap_or("(none)")
    );
    section(&mut out, "Scenes", &info["scenes"]);
    section(&mut out, "Scripts", &info["scripts"]);
    section(&mut out, "Autoloads", &info["autoloads"]);
    let _ = write!(out, "\n## Input actions\n{}\n", input_actions(ask).await);
    out
}

/// A scene's tree from the editor when it is the edited scene, else from
/// its file (nothing is opened).
async fn scene_tree(ask: &Ask, scene_path: &str) -> Result<Value, ErrorBody> {
    let path = if scene_path.starts_with("res://") {
        scene_path.to_owned()
    } else {
        format!("res://{scene_path}")
    };
    crate::resources::scene_tree(ask, &path).await
}

/// Every node of a tree, with its depth.
fn nodes(node: &Value, depth: usize, out: &mut Vec<(usize, Value)>) {
    out.push((depth, node.clone()));
    for child in node["children"].as_array().into_iter().flatten() {
        nodes(child, depth + 1, out);
    }
}

async fn review_scene(ask: &Ask, scene_path: &str) -> Result<String, ErrorBody> {
    let tree = scene_tree(ask, scene_path).await?;
    let mut all = Vec::new();
    nodes(&tree["root"], 0, &mut all);
    let mut out = format!(
        "Review the scene {scene_path} ({} nodes): structure (responsibilities split into child scenes, \
         sensible parents), naming, collision shapes and layers, signals versus polling, and the scripts \
         below (typing, errors, dead code). List concrete problems with the node path or script line, \
         most important first, and offer to fix them with the tools.\n",
        tree["node_count"]
    );
    section(&mut out, "Tree", &tree["root"]);
    let mut scripts: Vec<String> = all
        .iter()
        .filter_map(|(_, n)| n["script"].as_str().map(str::to_owned))
        .collect();
    scripts.dedup();
    for script in scripts.iter().take(6) {
        let source = ask
            .or_note("read_script", json!({ "script_path": script }))
            .await;
        let _ = write!(
            out,
            "\n## {script}\n```gdscript\n{}\n```\n",
            source["content"].as_str().unwrap_or("(unreadable)")
        );
    }
    Ok(out)
}

async fn optimize_scene(ask: &Ask, scene_path: &str) -> Result<String, ErrorBody> {
    let tree = scene_tree(ask, scene_path).await?;
    let mut all = Vec::new();
    nodes(&tree["root"], 0, &mut all);
    let mut by_class: Vec<(String, usize)> = Vec::new();
    for (_, node) in &all {
        let class = node["type"].as_str().unwrap_or("?").to_owned();
        match by_class.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => by_class.push((class, 1)),
        }
    }
    by_class.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let deepest = all.iter().map(|(d, _)| *d).max().unwrap_or(0);
    let deep: Vec<&str> = all
        .iter()
        .filter(|(d, _)| *d >= 8)
        .filter_map(|(_, n)| n["path"].as_str())
        .take(10)
        .collect();
    let mut out = format!(
        "Optimize the scene {scene_path}. Look for: many nodes of one class that could be one \
         MultiMesh, TileMapLayer or instanced scene; deep nesting; scripts that poll every frame in \
         _process or _physics_process where a signal, a Timer or set_process(false) would do; \
         physics bodies that never move. Propose changes with their expected gain, then make the \
         safe ones with the tools (each is one undo step).\n\n\
         Nodes: {}; deepest level: {deepest}.\n\n## Nodes by class\n",
        all.len()
    );
    for (class, n) in by_class.iter().take(20) {
        let _ = writeln!(out, "- {class}: {n}");
    }
    if !deep.is_empty() {
        let _ = write!(
            out,
            "\n## Nested 8 or more levels deep\n{}\n",
            deep.join("\n")
        );
    }
    let mut scripts: Vec<(String, String)> = all
        .iter()
        .filter_map(|(_, n)| {
            Some((
                n["script"].as_str()?.to_owned(),
                n["path"].as_str()?.to_owned(),
            ))
        })
        .collect();
    scripts.sort();
    scripts.dedup_by(|a, b| a.0 == b.0);
    let mut polling = String::new();
    for (script, node) in scripts.iter().take(30) {
        let Ok(source) = ask
            .call("read_script", json!({ "script_path": script }))
            .await
        else {
            continue;
        };
        let content = source["content"].as_str().unwrap_or_default();
        for (i, line) in content.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("func _process(") || l.starts_with("func _physics_process(") {
                let _ = write!(
                    polling,
                    "\n### {script}:{} (on {node})\n```gdscript\n{}\n```\n",
                    i + 1,
                    excerpt(content, i + 4, 3)
                );
            }
        }
    }
    if !polling.is_empty() {
        out.push_str("\n## Scripts that run every frame\n");
        out.push_str(&polling);
    }
    Ok(out)
}

async fn migrate_godot3(ask: &Ask, path: &str) -> String {
    let path = if path.starts_with("res://") {
        path.to_owned()
    } else {
        format!("res://{path}")
    };
    let scripts: Vec<String> = if path.ends_with(".gd") {
        vec![path.clone()]
    } else {
        ask.call(
            "list_files",
            json!({ "dir": path, "pattern": "*.gd", "recursive": true }),
        )
        .await
        .ok()
        .and_then(|l| l["files"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect()
    };
    let mut out = format!(
        "Migrate the Godot 3 code below to Godot 4.6. Each line shows the Godot 3 form found and its \
         Godot 4 replacement; fix them with patch_script (one script at a time), check each with \
         validate_script, and say what needs a human decision (e.g. yield with signals, setget).\n\n\
         Scripts checked under {path}: {}.\n",
        scripts.len()
    );
    let mut found = 0;
    for script in scripts.iter().take(200) {
        let Ok(file) = ask.call("read_text_file", json!({ "path": script })).await else {
            continue;
        };
        let hits = godot3::scan(file["content"].as_str().unwrap_or_default());
        if hits.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {script}");
        for hit in hits.iter().take(40) {
            found += 1;
            let _ = writeln!(
                out,
                "- line {}: `{}` → {} | {}",
                hit.line, hit.old, hit.new, hit.text
            );
        }
    }
    if found == 0 {
        out.push_str("\nNo Godot 3 names were found: the scripts already use Godot 4 forms.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_many_unique_and_briefly_described() {
        assert!(DEFS.len() >= 12);
        let mut names: Vec<&str> = DEFS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DEFS.len());
        for d in DEFS {
            assert!(d.description.len() <= 120, "{}", d.name);
            for a in d.args {
                assert!(!a.description.is_empty(), "{}.{}", d.name, a.name);
            }
        }
    }

    #[test]
    fn excerpts_number_the_lines_and_mark_the_one_that_matters() {
        let source = "a\nb\nc\nd\ne\nf";
        assert_eq!(excerpt(source, 2, 1), "    1| a\n>   2| b\n    3| c");
        assert_eq!(excerpt(source, 1, 1), ">   1| a\n    2| b");
        assert_eq!(
            location(&json!({"file": "res://a.gd", "line": 3})),
            Some(("res://a.gd".into(), 3))
        );
        assert_eq!(location(&json!({"file": "core/x.cpp", "line": 3})), None);
    }
}
