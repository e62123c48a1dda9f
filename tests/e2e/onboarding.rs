//! A user's own project, from nothing: `godot-mcp install` puts the addon
//! into a project that knows nothing of us and a real editor then serves
//! it; `install` refuses what is not a Godot 4.6 project and writes
//! nothing there.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Output};

use godot_mcp_e2e::{Editor, EditorOptions, Mcp, TestResult, godot_binary, shim_binary};
use serde_json::json;

use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, ()>)] = &[
        (
            "onboarding_install_serves_a_project_that_knew_nothing",
            installed,
        ),
        ("onboarding_install_refuses_and_writes_nothing", refused),
    ];
    suite.run_all(&(), filter, tests).await;
}

/// An empty scratch folder.
pub fn scratch(tag: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("godot-mcp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// A project as a user starts one: `project.godot` and one scene, nothing of ours.
pub fn throwaway_project(dir: &Path, name: &str, features: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let settings = format!(
        "config_version=5\n\n[application]\n\nconfig/name=\"{name}\"\n\
         run/main_scene=\"res://main.tscn\"\nconfig/features=PackedStringArray({features})\n"
    );
    let scene = "[gd_scene format=3]\n\n[node name=\"Level\" type=\"Node2D\"]\n\n\
                 [node name=\"Hero\" type=\"Sprite2D\" parent=\".\"]\n";
    std::fs::write(dir.join("project.godot"), settings).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("main.tscn"), scene).map_err(|e| e.to_string())
}

/// Runs `godot-mcp ARGS` to its end.
pub fn shim(args: &[&str], env: &[(&str, &Path)]) -> Result<Output, String> {
    let mut cmd = Command::new(shim_binary()?);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .map_err(|e| format!("cannot run godot-mcp {args:?}: {e}"))
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn installed(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let project = scratch("install")?.join("my game");
        throwaway_project(&project, "Moon Lander", "\"4.6\", \"Forward Plus\"")?;
        let out = shim(&["install", &project.display().to_string()], &[])?;
        let said = text(&out);
        ensure!(out.status.success(), "install failed:\n{said}");
        let addon = project.join("addons/godot_mcp");
        ensure!(
            addon.join("godot_mcp.gdextension").is_file()
                && addon.join("bin/libgodot_mcp.so").is_file(),
            "the addon is not in place:\n{said}"
        );
        let before = snapshot(&project);
        // From inside the project, with no argument: the same project, nothing to do.
        let again = Command::new(shim_binary()?)
            .arg("install")
            .current_dir(&project)
            .output()
            .map_err(|e| e.to_string())?;
        ensure!(
            again.status.success() && text(&again).contains("up to date"),
            "a second install did something:\n{}",
            text(&again)
        );
        ensure!(
            snapshot(&project) == before,
            "a second install changed files"
        );

        let editor = Editor::start(&godot_binary()?, &project, EditorOptions::default())?;
        let mcp = Mcp::start(editor.port).await?;
        let state = mcp
            .call("get_editor_state", json!({}))
            .await
            .map_err(|e| format!("get_editor_state: {e:?}"))?;
        ensure!(
            state["project_name"] == "Moon Lander"
                && state["session_id"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("moon-lander@")),
            "the editor does not answer as the installed project: {state}"
        );
        let opened = mcp
            .call("open_scene", json!({"scene_path": "res://main.tscn"}))
            .await
            .map_err(|e| format!("open_scene: {e:?}"))?;
        ensure!(
            opened["root_name"] == "Level" && opened["node_count"] == 2,
            "the project's own scene: {opened}"
        );
        mcp.close().await;
        Ok(())
    })
}

fn refused(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let root = scratch("install-refused")?;
        // A folder with a scene but no project.godot.
        let loose = root.join("loose");
        std::fs::create_dir_all(&loose).map_err(|e| e.to_string())?;
        std::fs::write(loose.join("main.tscn"), "[gd_scene format=3]\n")
            .map_err(|e| e.to_string())?;
        let before = snapshot(&root);
        let out = shim(&["install", &loose.display().to_string()], &[])?;
        ensure!(
            !out.status.success() && text(&out).contains("project.godot"),
            "install into a folder without project.godot: {}\n{}",
            out.status,
            text(&out)
        );
        ensure!(snapshot(&root) == before, "a refused install wrote files");

        // A project made for Godot 4.3.
        let old = root.join("old");
        throwaway_project(&old, "Old", "\"4.3\", \"Mobile\"")?;
        let before = snapshot(&root);
        let out = shim(&["install", &old.display().to_string()], &[])?;
        ensure!(
            !out.status.success() && text(&out).contains("4.3") && text(&out).contains("4.6"),
            "install into a Godot 4.3 project: {}\n{}",
            out.status,
            text(&out)
        );
        ensure!(snapshot(&root) == before, "a refused install wrote files");
        Ok(())
    })
}
