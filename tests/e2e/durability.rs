//! No torn files: an editor killed with SIGKILL at random moments while it
//! saves a 20,000-node scene, a script, a text file and project.godot at
//! once leaves each file complete, old or new, and no temporary files.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};

use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, TestResult, generated_scene, godot_binary, run_godot,
    sample_project_copy,
};
use godot_mcp_tscn::Scene;
use serde_json::json;

use crate::{Suite, ensure};

/// Killed saves; the issue asks for at least ten.
const TRIALS: usize = 10;
const NODES: usize = 20_000;
const SCENE: &str = "res://torn/big.tscn";
const SCRIPT: &str = "res://torn/big.gd";
const TEXT: &str = "res://torn/notes.txt";
const SETTING: &str = "application/config/description";

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let tests: &[(&str, crate::TestFn<'_, ()>)] =
        &[("reliability_sigkill_never_tears_a_file", torn)];
    suite.run_all(&(), filter, tests).await;
}

fn torn(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async {
        let summary = kill_trials().await?;
        println!("    {summary}");
        Ok(())
    })
}

/// A script of about 400 KB whose every line says which trial wrote it.
fn script(trial: usize) -> String {
    let mut text = format!("extends Node\n\nconst TRIAL := {trial}\n");
    for i in 0..8_000 {
        text.push_str(&format!("var v{i} := {trial} # trial {trial} line {i}\n"));
    }
    text
}

/// About 2 MB of text ending in a line that says it is whole.
fn notes(trial: usize) -> String {
    let line = format!("trial {trial}: the quick brown fox jumps over the lazy dog\n");
    let mut text = line.repeat(2_000_000 / line.len());
    text.push_str(&format!("end of trial {trial}\n"));
    text
}

fn read(project: &Path, res: &str) -> Result<String, String> {
    std::fs::read_to_string(project.join(res.trim_start_matches("res://")))
        .map_err(|e| format!("{res}: {e}"))
}

/// project.godot's lines without the one setting the trials change.
fn other_settings(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with("config/description="))
        .collect()
}

/// Temporary files of a save in the project's top folder and `torn/`:
/// Godot's `<file>-XXXXXX` and ours `.<file>.<pid>.tmp`.
fn leftovers(project: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for folder in [project.to_path_buf(), project.join("torn")] {
        for entry in std::fs::read_dir(&folder)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let godots = name.rsplit_once('-').is_some_and(|(base, tail)| {
                tail.len() == 6
                    && [".tscn", ".godot", ".gd", ".txt"]
                        .iter()
                        .any(|e| base.ends_with(e))
            });
            if godots || name.ends_with(".tmp") {
                found.push(name);
            }
        }
    }
    Ok(found)
}

/// A tiny deterministic generator: trials vary, runs repeat.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Starts an editor on `project`, opens the big scene and changes it.
async fn ready_editor(project: &Path, trial: usize) -> Result<(Editor, Mcp), String> {
    let editor = Editor::start(&godot_binary()?, project, EditorOptions::default())?;
    let mcp = Mcp::start(editor.port).await?;
    mcp.settled().await?;
    mcp.call("open_scene", json!({"scene_path": SCENE}))
        .await
        .map_err(|e| format!("open_scene: {e}"))?;
    mcp.call(
        "edit_node",
        json!({"scene_path": SCENE, "node_path": ".",
               "properties": {"editor_description": format!("trial {trial}")}}),
    )
    .await
    .map_err(|e| format!("edit_node: {e}"))?;
    Ok((editor, mcp))
}

/// Fires the four writes at once; returns when all have answered.
async fn write_all(mcp: &Mcp, trial: usize) -> Result<(), String> {
    let (scene, script_written, text, setting) = tokio::join!(
        mcp.call("save_scene", json!({"scene_path": SCENE})),
        mcp.call(
            "write_script",
            json!({"script_path": SCRIPT, "content": script(trial)})
        ),
        mcp.call(
            "write_text_file",
            json!({"path": TEXT, "content": notes(trial)})
        ),
        mcp.call(
            "set_project_setting",
            json!({"name": SETTING, "value": format!("trial {trial}")})
        ),
    );
    for (what, r) in [
        ("save_scene", scene),
        ("write_script", script_written),
        ("write_text_file", text),
        ("set_project_setting", setting),
    ] {
        r.map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

async fn kill_trials() -> Result<String, String> {
    let project = sample_project_copy("torn")?;
    let dir = project.join("torn");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("big.tscn"), generated_scene(NODES)).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("big.gd"), script(0)).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("notes.txt"), notes(0)).map_err(|e| e.to_string())?;

    // Trial 0 is not killed: it measures how long the writes take, the
    // window the kills fall into.
    let (mut editor, mcp) = ready_editor(&project, 0).await?;
    let start = Instant::now();
    write_all(&mcp, 0).await?;
    let window = start.elapsed();
    let saved = read(&project, SCENE)?;
    ensure!(
        saved.contains("editor_description = \"trial 0\""),
        "the unkilled save did not write the change: {}",
        &saved[..200.min(saved.len())]
    );
    mcp.close().await;
    editor.kill();

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut random = Lcg(seed);
    // For each file: trials that left the old version, and the new one.
    let mut kept = [(0usize, 0usize); 4];
    let mut delays = Vec::new();
    for trial in 1..=TRIALS {
        let before = [
            read(&project, SCENE)?,
            read(&project, SCRIPT)?,
            read(&project, TEXT)?,
            read(&project, "res://project.godot")?,
        ];
        let (mut editor, mcp) = ready_editor(&project, trial).await?;
        // What the previous kill left, the editor that starts next removes.
        let left = leftovers(&project)?;
        ensure!(
            left.is_empty(),
            "after trial {}'s kill, temporary files left: {left:?}",
            trial - 1
        );
        let delay = Duration::from_millis(random.below(window.as_millis() as u64 + 1));
        delays.push(delay.as_millis());
        tokio::select! {
            _ = write_all(&mcp, trial) => {}
            () = tokio::time::sleep(delay) => {}
        }
        editor.signal("KILL");
        editor.kill();
        drop(mcp);

        let at = |what: &str| {
            format!(
                "trial {trial} (killed after {} ms): {what}",
                delay.as_millis()
            )
        };
        let scene = read(&project, SCENE)?;
        if scene == before[0] {
            kept[0].0 += 1;
        } else {
            let parsed =
                Scene::parse(&scene).map_err(|e| at(&format!("the scene does not parse: {e}")))?;
            ensure!(
                parsed.nodes().len() == NODES,
                "{}",
                at(&format!("the scene has {} nodes", parsed.nodes().len()))
            );
            ensure!(
                scene.contains(&format!("editor_description = \"trial {trial}\"")),
                "{}",
                at("the scene changed but is not this trial's")
            );
            kept[0].1 += 1;
        }
        for (i, (res, new)) in [(SCRIPT, script(trial)), (TEXT, notes(trial))]
            .into_iter()
            .enumerate()
        {
            let now = read(&project, res)?;
            if now == before[i + 1] {
                kept[i + 1].0 += 1;
            } else {
                ensure!(
                    now == new,
                    "{}",
                    at(&format!("{res} is torn ({} bytes)", now.len()))
                );
                kept[i + 1].1 += 1;
            }
        }
        let settings = read(&project, "res://project.godot")?;
        if settings == before[3] {
            kept[3].0 += 1;
        } else {
            ensure!(
                other_settings(&settings) == other_settings(&before[3])
                    && settings.contains(&format!("config/description=\"trial {trial}\"")),
                "{}",
                at(&format!("project.godot is torn:\n{settings}"))
            );
            kept[3].1 += 1;
        }
    }

    // However the kills fell, the sweep is seen to work: leftovers of a
    // killed Godot save and of a gone writer of ours are planted first.
    for planted in ["torn/big.tscn-Zz9Zz9", "torn/.notes.txt.4194304.tmp"] {
        std::fs::write(project.join(planted), "half").map_err(|e| e.to_string())?;
    }
    let (mut editor, mcp) = ready_editor(&project, TRIALS + 1).await?;
    let left = leftovers(&project)?;
    mcp.close().await;
    editor.kill();
    ensure!(
        left.is_empty(),
        "after the last kill, temporary files left: {left:?}"
    );

    // Whatever is on disk now loads in Godot.
    let log = project.join("torn-load.log");
    std::fs::write(
        project.join("torn/load.gd"),
        "extends SceneTree\n\nfunc _init() -> void:\n\
         \tvar scene = load(\"res://torn/big.tscn\").instantiate()\n\
         \tprint(\"LOADED \", scene.get_child_count(), \" \", scene.editor_description)\n\tquit()\n",
    )
    .map_err(|e| e.to_string())?;
    let (_, out) = run_godot(
        &godot_binary()?,
        &project,
        &["-s", "res://torn/load.gd"],
        &log,
        Duration::from_secs(120),
    )?;
    ensure!(
        out.contains("LOADED 10 trial"),
        "the scene does not load in Godot: {out}"
    );
    let _ = std::fs::remove_dir_all(&project);
    Ok(format!(
        "writes took {} ms; kills after {delays:?} ms; (old, new) per file: scene {:?}, script {:?}, text {:?}, project.godot {:?}",
        window.as_millis(),
        kept[0],
        kept[1],
        kept[2],
        kept[3]
    ))
}
