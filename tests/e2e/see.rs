//! Letting the agent see: screenshots of a real editor rendering under
//! Xvfb (checked pixel by pixel), the editor's log, game runs followed
//! through the debugger (output, errors, exit code), script errors in the
//! editor state, and the clear error a headless editor gives instead of a
//! blank image.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine as _;
use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, TestResult, godot_binary, sample_project_copy, xdotool,
};
use godot_mcp_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::foundation::{F, follow, test_fn};
use crate::{Suite, ensure};

const RENDERING: &[&str] = &[
    "see_editor_window_screenshot",
    "see_viewport_2d_quadrants",
    "see_viewport_3d_boxes",
    "see_game_screenshot_quadrants",
    "see_game_output_and_null_call_error",
    "see_game_exit_code_3",
    "see_editor_log_cursor",
    "see_script_errors_in_editor_state",
    "see_editor_dock_shows_clients_and_calls",
];
const HEADLESS: &str = "see_headless_screenshot_says_rendering_off";

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    let wanted = |name: &str| filter.is_none_or(|f| name.contains(f));
    if wanted(HEADLESS) {
        match F::start("see-headless").await {
            Ok(f) => {
                suite.run(&f, HEADLESS, headless_screenshot).await;
                let F { mcp, mut editor } = f;
                mcp.close().await;
                editor.kill();
            }
            Err(e) => suite.fail("see_headless_editor_starts", &e),
        }
    }
    if !RENDERING.iter().any(|n| wanted(n)) {
        return;
    }
    let f = match start_rendering().await {
        Ok(f) => f,
        Err(e) => return suite.fail("see_rendering_editor_starts", &e),
    };
    let tests: &[(&str, crate::TestFn<'_, F>)] = &[
        (RENDERING[0], editor_window),
        (RENDERING[1], viewport_2d),
        (RENDERING[2], viewport_3d),
        // Before any game runs: clicks on the dock are not proven to land
        // once a game has been run from this editor.
        (RENDERING[8], editor_dock),
        (RENDERING[3], game_screenshot),
        (RENDERING[4], game_output),
        (RENDERING[5], exit_code),
        (RENDERING[6], editor_log),
        (RENDERING[7], script_errors),
    ];
    suite.run_all(&f, filter, tests).await;
    let F { mcp, mut editor } = f;
    let _ = mcp.call("stop_project", json!({})).await;
    mcp.close().await;
    editor.kill();
}

/// The game window's size: small, so the 2D view shows all of the scene.
const GAME_SIZE: (u32, u32) = (320, 180);

const QUADRANTS: &str = r#"[gd_scene format=3]

[node name="Quadrants" type="Node2D"]

[node name="Red" type="ColorRect" parent="."]
offset_right = 160.0
offset_bottom = 90.0
color = Color(1, 0, 0, 1)

[node name="Green" type="ColorRect" parent="."]
offset_left = 160.0
offset_right = 320.0
offset_bottom = 90.0
color = Color(0, 1, 0, 1)

[node name="Blue" type="ColorRect" parent="."]
offset_top = 90.0
offset_right = 160.0
offset_bottom = 180.0
color = Color(0, 0, 1, 1)

[node name="Yellow" type="ColorRect" parent="."]
offset_left = 160.0
offset_top = 90.0
offset_right = 320.0
offset_bottom = 180.0
color = Color(1, 1, 0, 1)
"#;

const BOXES: &str = r#"[gd_scene format=3]

[sub_resource type="BoxMesh" id="box"]
size = Vector3(0.8, 0.8, 0.8)

[sub_resource type="StandardMaterial3D" id="red"]
shading_mode = 0
albedo_color = Color(1, 0, 0, 1)

[sub_resource type="StandardMaterial3D" id="green"]
shading_mode = 0
albedo_color = Color(0, 1, 0, 1)

[sub_resource type="StandardMaterial3D" id="blue"]
shading_mode = 0
albedo_color = Color(0, 0, 1, 1)

[node name="Boxes" type="Node3D"]

[node name="Red" type="MeshInstance3D" parent="."]
transform = Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, -1.2, 0, 0)
mesh = SubResource("box")
material_override = SubResource("red")

[node name="Green" type="MeshInstance3D" parent="."]
transform = Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, 1.2, 0, 0)
mesh = SubResource("box")
material_override = SubResource("green")

[node name="Blue" type="MeshInstance3D" parent="."]
transform = Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1.4, 0)
mesh = SubResource("box")
material_override = SubResource("blue")
"#;

/// Prints, then calls a method on null at line 9 (pausing in the debugger).
const PRINTS: &str = "extends Node


func _ready() -> void:
\tprint(\"see: first line\")
\tprint(\"see: second line\")
\tprinterr(\"see: to stderr\")
\tvar nothing = null
\tnothing.explode()
";

const QUITS: &str = "extends Node


func _ready() -> void:
\tprint(\"see: quitting with 3\")
\tawait get_tree().create_timer(1.0).timeout
\tget_tree().quit(3)
";

fn script_scene(name: &str, script: &str) -> String {
    format!(
        "[gd_scene format=3]\n\n[ext_resource type=\"Script\" path=\"{script}\" id=\"1\"]\n\n\
         [node name=\"{name}\" type=\"Node\"]\nscript = ExtResource(\"1\")\n"
    )
}

/// An editor rendering under Xvfb on a sample project with the scenes above.
async fn start_rendering() -> Result<F, String> {
    let project = sample_project_copy("see")?;
    let write = |res: &str, text: &str| {
        let path = project.join(res);
        std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{res}: {e}"))
    };
    write("see/quadrants.tscn", QUADRANTS)?;
    write("see/boxes.tscn", BOXES)?;
    write("see/prints.gd", PRINTS)?;
    write(
        "see/prints.tscn",
        &script_scene("Prints", "res://see/prints.gd"),
    )?;
    write("see/quits.gd", QUITS)?;
    write(
        "see/quits.tscn",
        &script_scene("Quits", "res://see/quits.gd"),
    )?;
    // The game scales its 320x180 canvas to its window, has no sound card
    // and no vsync to complain about.
    let settings = project.join("project.godot");
    let text = std::fs::read_to_string(&settings).map_err(|e| e.to_string())?;
    let text =
        text.replace(
            "viewport_width=640",
            &format!("viewport_width={}", GAME_SIZE.0),
        )
        .replace(
            "viewport_height=360",
            &format!(
                "viewport_height={}\nwindow/stretch/mode=\"viewport\"\nwindow/vsync/vsync_mode=0",
                GAME_SIZE.1
            ),
        ) + "\n[audio]\n\ndriver/driver=\"Dummy\"\n";
    std::fs::write(&settings, text).map_err(|e| e.to_string())?;
    let editor = Editor::start(
        &godot_binary()?,
        &project,
        EditorOptions {
            headless: false,
            xvfb: true,
            startup_timeout: Duration::from_secs(180),
            ..EditorOptions::default()
        },
    )?;
    let mcp = Mcp::start(editor.port).await?;
    Ok(F { mcp, editor })
}

/// A decoded screenshot: its one-line description and RGB pixels.
struct Shot {
    description: String,
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

type Blob = (u64, f64, f64);

impl Shot {
    fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = ((y * self.width + x) * 3) as usize;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Pixel count and centre of each pure colour (red, green, blue, yellow).
    fn blobs(&self) -> [Blob; 4] {
        let mut sums = [(0u64, 0f64, 0f64); 4];
        for y in 0..self.height {
            for x in 0..self.width {
                if let Some(c) = colour(self.pixel(x, y)) {
                    sums[c].0 += 1;
                    sums[c].1 += f64::from(x);
                    sums[c].2 += f64::from(y);
                }
            }
        }
        sums.map(|(n, x, y)| (n, x / n.max(1) as f64, y / n.max(1) as f64))
    }
}

const RED: usize = 0;
const GREEN: usize = 1;
const BLUE: usize = 2;
const YELLOW: usize = 3;
const COLOURS: [(&str, usize); 4] = [
    ("red", RED),
    ("green", GREEN),
    ("blue", BLUE),
    ("yellow", YELLOW),
];

/// Which pure colour a pixel is, allowing for filtering at the edges.
fn colour((r, g, b): (u8, u8, u8)) -> Option<usize> {
    let hi = |v: u8| v > 200;
    let lo = |v: u8| v < 60;
    match (hi(r), hi(g), hi(b)) {
        (true, false, false) if lo(g) && lo(b) => Some(RED),
        (false, true, false) if lo(r) && lo(b) => Some(GREEN),
        (false, false, true) if lo(r) && lo(g) => Some(BLUE),
        (true, true, false) if lo(b) => Some(YELLOW),
        _ => None,
    }
}

/// Takes a screenshot through MCP, checks its content blocks, decodes it
/// and prints the latency and size.
async fn screenshot(f: &F, target: &str, max_size: Option<u32>) -> Result<Shot, String> {
    let mut args = json!({ "target": target });
    if let Some(max) = max_size {
        args["max_size"] = json!(max);
    }
    let start = Instant::now();
    let result = f.mcp.call_result("get_screenshot", args).await?;
    let ms = start.elapsed().as_millis();
    ensure!(
        result.is_error != Some(true),
        "{target}: {:?}",
        result.content
    );
    // Exactly the image and one line saying what it is: clients that read
    // only structuredContent would drop the picture.
    ensure!(
        result.structured_content.is_none(),
        "{target}: structuredContent {:?}",
        result.structured_content
    );
    let (data, mime, text) = match result.content.as_slice() {
        [
            rmcp::model::ContentBlock::Image(i),
            rmcp::model::ContentBlock::Text(t),
        ] => (i.data.clone(), i.mime_type.clone(), t.text.clone()),
        other => return Err(format!("{target}: not an image and a line: {other:?}")),
    };
    ensure!(mime == "image/png", "mime {mime}");
    ensure!(
        text.starts_with(target) && text.contains("PNG") && !text.contains('\n'),
        "description: {text:?}"
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| e.to_string())?;
    let kb = format!("({:.1} KB)", png.len() as f64 / 1024.0);
    ensure!(text.contains(&kb), "{kb} not in {text:?}");
    let meta = text;
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    ensure!(
        info.color_type == png::ColorType::Rgb && info.bit_depth == png::BitDepth::Eight,
        "{target}: {:?} {:?}",
        info.color_type,
        info.bit_depth
    );
    buf.truncate(info.buffer_size());
    ensure!(
        meta.contains(&format!("{}x{} PNG", info.width, info.height)),
        "size {}x{} vs {meta}",
        info.width,
        info.height
    );
    println!(
        "    {target}: {ms} ms, {}x{} PNG {} bytes",
        info.width,
        info.height,
        png.len()
    );
    Ok(Shot {
        description: meta,
        width: info.width,
        height: info.height,
        rgb: buf,
    })
}

async fn open(f: &F, scene: &str) -> Result<Value, String> {
    f.call_ok("open_scene", json!({ "scene_path": scene }))
        .await
}

test_fn!(headless_screenshot, |f| {
    for target in ["editor", "viewport_2d", "viewport_3d", "game"] {
        let e = f
            .fails(
                "get_screenshot",
                json!({"target": target}),
                ErrorCode::EditorNotReady,
            )
            .await?;
        ensure!(e.sub_code.as_deref() == Some("rendering_off"), "{e}");
        ensure!(e.hint.as_deref().is_some_and(|h| h.contains("Xvfb")), "{e}");
    }
    f.fails(
        "get_screenshot",
        json!({"target": "editor", "max_size": 5}),
        ErrorCode::InvalidParams,
    )
    .await?;
    f.fails(
        "get_screenshot",
        json!({"target": "desk"}),
        ErrorCode::InvalidParams,
    )
    .await?;
    Ok(())
});

test_fn!(editor_window, |f| {
    open(f, "res://see/quadrants.tscn").await?;
    let wake = |p: Value| p["wake"].clone();
    let before = wake(f.call_ok("get_performance", json!({})).await?);
    let shot = screenshot(f, "editor", None).await?;
    // The capture turned low-processor mode off to get drawn frames; the
    // editor's setting is back once it answered.
    let after = wake(f.call_ok("get_performance", json!({})).await?);
    ensure!(
        before["low_processor_mode"] == true
            && after["low_processor_mode"] == true
            && after["editor_sleep_us"] == before["editor_sleep_us"],
        "before {before}, after {after}"
    );
    // The Xvfb screen is 1280x720; the default 1024 fits its longest side.
    ensure!(
        (shot.width, shot.height) == (1024, 576),
        "{}x{}",
        shot.width,
        shot.height
    );
    ensure!(
        shot.description.contains("scaled down from 1280x720"),
        "{}",
        shot.description
    );
    // The editor shows the scene in its 2D view.
    let blobs = shot.blobs();
    for (name, c) in COLOURS {
        ensure!(
            blobs[c].0 > 500,
            "no {name} in the editor window: {blobs:?}"
        );
    }
    let small = screenshot(f, "editor", Some(200)).await?;
    ensure!(
        (small.width, small.height) == (200, 113),
        "{}x{}",
        small.width,
        small.height
    );
    Ok(())
});

/// The dock as `get_performance` reads it back from its controls.
async fn read_dock(f: &F) -> Result<(Value, Vec<String>), String> {
    let perf = f.call_ok("get_performance", json!({})).await?;
    let dock = perf["dock"].clone();
    ensure!(dock.is_object(), "no dock in get_performance: {perf}");
    let rows = dock["rows"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((dock, rows))
}

fn has_row(rows: &[String], what: impl Fn(&str) -> bool) -> bool {
    rows.iter().any(|r| what(r.trim()))
}

test_fn!(editor_dock, |f| {
    // A benchmark figure, not a check: the plugin's time per idle frame
    // (GODOT_MCP_DOCK=0 gives the figure without the dock).
    f.call_ok("get_performance", json!({"reset": true})).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = f.call_ok("get_performance", json!({})).await?;
    println!(
        "    idle 5 s, dock {}: plugin per idle frame {}, frames {}",
        if idle["dock"].is_object() {
            "on"
        } else {
            "off"
        },
        idle["idle_overhead"],
        idle["idle_frames"]
    );
    let session = f.editor.discovery()?.session_id;
    f.fails(
        "open_scene",
        json!({"scene_path": "res://see/no_such_scene.tscn"}),
        ErrorCode::SceneNotFound,
    )
    .await?;
    f.call_ok("get_editor_state", json!({})).await?;
    let (dock, rows) = read_dock(f).await?;
    let address = format!("Listening on ws://127.0.0.1:{}", f.editor.port);
    ensure!(
        has_row(&rows, |r| r == address),
        "no {address:?} in {rows:#?}"
    );
    ensure!(
        has_row(&rows, |r| r == format!("Session {session}")),
        "no session {session} in {rows:#?}"
    );
    // The MCP client's own name, as its initialize said, not the shim's.
    ensure!(
        has_row(&rows, |r| r.starts_with("godot-mcp-e2e 1.0.0 since ")),
        "no client row in {rows:#?}"
    );
    ensure!(has_row(&rows, |r| r == "Clients: 1"), "{rows:#?}");
    let calls: Vec<&String> = rows
        .iter()
        .skip_while(|r| !r.starts_with("Last calls: "))
        .skip(1)
        .collect();
    let call = |i: usize| calls.get(i).map_or("", |r| r.trim());
    ensure!(
        call(0).starts_with("get_editor_state ") && call(0).ends_with(" ms ok"),
        "newest call first: {calls:#?}"
    );
    ensure!(
        call(1).starts_with("open_scene ") && call(1).ends_with(" ms SCENE_NOT_FOUND"),
        "the failed call with its code: {calls:#?}"
    );
    ensure!(
        has_row(&rows, |r| r.starts_with("Errors: script ")),
        "{rows:#?}"
    );
    let menu = dock["setup_clients"].clone();
    ensure!(
        menu == json!(godot_mcp_protocol::clients::SETUP_CLIENTS),
        "setup menu {menu}"
    );

    // A second client appears in the list, and its call on top of the calls.
    let second = Mcp::start(f.editor.port).await?;
    second
        .call("get_editor_state", json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let (_, rows) = read_dock(f).await?;
    ensure!(has_row(&rows, |r| r == "Clients: 2"), "{rows:#?}");
    second.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, rows) = read_dock(f).await?;
        if has_row(&rows, |r| r == "Clients: 1") {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the client that left is still listed: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // On screen, inside the window, with something drawn in it.
    let shot = screenshot(f, "editor", None).await?;
    let (window_w, window_h) = (1280.0, 720.0);
    ensure!(
        shot.description.contains("scaled down from 1280x720"),
        "{}",
        shot.description
    );
    let rect: Vec<f64> = dock["rect"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    ensure!(dock["visible"] == true, "the dock is not shown: {dock}");
    ensure!(
        rect.len() == 4
            && rect[2] >= 50.0
            && rect[3] >= 50.0
            && rect[0] >= 0.0
            && rect[1] >= 0.0
            && rect[0] + rect[2] <= window_w
            && rect[1] + rect[3] <= window_h,
        "dock rect {rect:?} is not inside the {window_w}x{window_h} window"
    );
    let scale = f64::from(shot.width) / window_w;
    let (x0, y0) = ((rect[0] * scale) as u32, (rect[1] * scale) as u32);
    let (x1, y1) = (
        ((rect[0] + rect[2]) * scale) as u32,
        ((rect[1] + rect[3]) * scale) as u32,
    );
    let mut colours = std::collections::HashSet::new();
    for y in y0..y1.min(shot.height) {
        for x in x0..x1.min(shot.width) {
            colours.insert(shot.pixel(x, y));
        }
    }
    ensure!(
        colours.len() > 8,
        "the dock's area shows {} colours: nothing drawn",
        colours.len()
    );
    // Its buttons, pressed with the pointer where they are drawn: "Copy
    // config" gets the chosen client's entry from godot-mcp, "Run setup"
    // writes it (Claude Code, the menu's first, keeps it in the project's
    // .mcp.json).
    let display = f
        .editor
        .display
        .clone()
        .ok_or("the editor has no display")?;
    let window = f.editor.window()?;
    let geometry = xdotool(&display, &["getwindowgeometry", "--shell", &window])?;
    ensure!(
        geometry.contains(&format!("WIDTH={}\n", window_w as u32))
            && geometry.contains(&format!("HEIGHT={}\n", window_h as u32)),
        "the X window is not the {window_w}x{window_h} the editor lays out for, clicks would miss: {geometry}"
    );
    let area = rect.clone();
    let press = |text: &'static str, dock: Value| {
        let (display, window, area) = (display.clone(), window.clone(), area.clone());
        async move {
            let rect: Vec<f64> = dock["buttons"]
                .as_array()
                .and_then(|b| b.iter().find(|b| b["text"] == text))
                .and_then(|b| b["rect"].as_array())
                .map(|r| r.iter().filter_map(Value::as_f64).collect())
                .filter(|r: &Vec<f64>| r.len() == 4)
                .ok_or(format!("no {text} button: {dock}"))?;
            let (x, y) = (rect[0] + rect[2] / 2.0, rect[1] + rect[3] / 2.0);
            ensure!(
                x > area[0] && x < area[0] + area[2] && y > area[1] && y < area[1] + area[3],
                "the {text} button at {rect:?} is scrolled out of the dock's {area:?}"
            );
            let (x, y) = (format!("{}", x as i64), format!("{}", y as i64));
            // Without a window manager nothing gives the editor the focus,
            // and an unfocused editor may take a click for focusing only.
            xdotool(&display, &["windowfocus", &window])?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            // Godot hands the focus on to a child window of its own.
            let focused = xdotool(&display, &["getwindowfocus"])?;
            let focused = focused.trim().parse::<u64>().unwrap_or_default();
            let tree = std::process::Command::new("xwininfo")
                .args(["-tree", "-display", &display, "-id", &window])
                .output()
                .map_err(|e| format!("xwininfo: {e}"))?;
            let tree = String::from_utf8_lossy(&tree.stdout);
            let hex = format!("{focused:#x} ");
            ensure!(
                tree.lines()
                    .filter(|l| !l.contains("Root window") && !l.contains("Parent window"))
                    .any(|l| l.contains(&hex)),
                "the editor's window {window} did not take the focus ({focused:#x}): {tree}"
            );
            xdotool(
                &display,
                &["mousemove", "--window", &window, "--sync", &x, &y],
            )?;
            // A press and a release apart, as a hand makes them: the button
            // acts on the release over it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            xdotool(&display, &["mousedown", "1"])?;
            tokio::time::sleep(Duration::from_millis(80)).await;
            xdotool(&display, &["mouseup", "1"])?;
            Ok::<_, String>(())
        }
    };
    // The result row, the dock's last, once `want` holds for it.
    let settled = |what: &'static str, want: fn(&str) -> bool| async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (dock, rows) = read_dock(f).await?;
            if let Some(row) = rows.last().filter(|r| want(r)) {
                return Ok::<_, String>((dock, row.clone()));
            }
            ensure!(Instant::now() < deadline, "{what}: {rows:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let mcp_json = f.editor.project.join(".mcp.json");
    let _ = std::fs::remove_file(&mcp_json);
    let (dock, rows) = read_dock(f).await?;
    ensure!(
        !has_row(&rows, |r| r.starts_with("copied ")),
        "copied before any press: {rows:#?}"
    );
    press("Copy config", dock).await?;
    let (dock, copied) = settled("Copy config did nothing", |r| {
        r == "copied the claude-code entry"
    })
    .await?;
    ensure!(!mcp_json.exists(), "copying wrote {}", mcp_json.display());
    press("Run setup", dock).await?;
    let (_, ran) = settled("Run setup did nothing", |r| {
        !r.starts_with("copied ") && !r.starts_with("running setup")
    })
    .await?;
    let written = std::fs::read_to_string(&mcp_json)
        .map_err(|e| format!("Run setup said {ran:?} but wrote no .mcp.json: {e}"))?;
    let shim = godot_mcp_e2e::shim_binary()?;
    let shim = shim.canonicalize().unwrap_or(shim);
    ensure!(
        written.contains(&*shim.to_string_lossy()) && !ran.contains("failed"),
        "Run setup said {ran:?}; .mcp.json does not name {}: {written}",
        shim.display()
    );
    println!(
        "    Copy config: {copied:?}; Run setup: {ran:?}, {} bytes of .mcp.json",
        written.len()
    );
    for leftover in [
        mcp_json.clone(),
        mcp_json.with_extension("json.godot-mcp.bak"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }

    let perf = f.call_ok("get_performance", json!({})).await?;
    println!(
        "    dock at {rect:?}; idle overhead {} (frames {})",
        perf["idle_overhead"], perf["idle_frames"]
    );
    Ok(())
});

fn near(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() < tolerance
}

/// Each colour occupies its quadrant: red top left, green top right, blue
/// bottom left, yellow bottom right.
fn quadrants_in_place(shot: &Shot, min_pixels: u64) -> TestResult {
    let b = shot.blobs();
    for (name, c) in COLOURS {
        ensure!(b[c].0 >= min_pixels, "too little {name}: {b:?}");
    }
    ensure!(
        b[RED].1 < b[GREEN].1 && b[BLUE].1 < b[YELLOW].1,
        "left/right: {b:?}"
    );
    ensure!(
        b[RED].2 < b[BLUE].2 && b[GREEN].2 < b[YELLOW].2,
        "top/bottom: {b:?}"
    );
    ensure!(near(b[RED].2, b[GREEN].2, 3.0), "rows: {b:?}");
    ensure!(near(b[RED].1, b[BLUE].1, 3.0), "columns: {b:?}");
    Ok(())
}

test_fn!(viewport_2d, |f| {
    open(f, "res://see/quadrants.tscn").await?;
    let shot = screenshot(f, "viewport_2d", None).await?;
    quadrants_in_place(&shot, 2000)?;
    // At 100% zoom each 160x90 rectangle is drawn at its size.
    let b = shot.blobs();
    ensure!(
        near(b[GREEN].1 - b[RED].1, 160.0, 3.0) && near(b[BLUE].2 - b[RED].2, 90.0, 3.0),
        "spacing: {b:?}"
    );
    ensure!(
        shot.description.contains("res://see/quadrants.tscn"),
        "{}",
        shot.description
    );
    Ok(())
});

test_fn!(viewport_3d, |f| {
    f.call_ok("open_scene", json!({"scene_path": "res://see/boxes.tscn"}))
        .await?;
    let shot = screenshot(f, "viewport_3d", None).await?;
    let b = shot.blobs();
    for (name, c) in &COLOURS[..3] {
        ensure!(b[*c].0 > 300, "too little {name}: {b:?}");
    }
    ensure!(
        b[RED].1 < b[GREEN].1 && b[RED].0 > 0,
        "red box left of green: {b:?}"
    );
    ensure!(
        b[BLUE].2 < b[RED].2 && b[BLUE].2 < b[GREEN].2,
        "blue box above the others: {b:?}"
    );
    ensure!(
        b[RED].1 < b[BLUE].1 && b[BLUE].1 < b[GREEN].1,
        "blue box between: {b:?}"
    );
    Ok(())
});

test_fn!(game_screenshot, |f| {
    let run = f
        .call_ok("run_project", json!({"scene": "res://see/quadrants.tscn"}))
        .await?;
    ensure!(run["run_id"].as_u64().is_some(), "{run}");
    let shot = screenshot(f, "game", None).await?;
    ensure!(
        (shot.width, shot.height) == GAME_SIZE,
        "{}x{}",
        shot.width,
        shot.height
    );
    quadrants_in_place(&shot, 10_000)?;
    // Pixel by pixel: every point of a grid over each quadrant has its colour.
    let (w, h) = GAME_SIZE;
    for (c, qx, qy) in [(RED, 0, 0), (GREEN, 1, 0), (BLUE, 0, 1), (YELLOW, 1, 1)] {
        for i in 0..8 {
            for j in 0..8 {
                let x = qx * w / 2 + 5 + i * (w / 2 - 10) / 7;
                let y = qy * h / 2 + 5 + j * (h / 2 - 10) / 7;
                let p = shot.pixel(x, y);
                ensure!(colour(p) == Some(c), "({x}, {y}) is {p:?}, not colour {c}");
            }
        }
    }
    let stopped = f.call_ok("stop_project", json!({})).await?;
    ensure!(stopped["run"]["state"] == "stopped", "{stopped}");
    Ok(())
});

test_fn!(game_output, |f| {
    let run = f
        .call_ok("run_project", json!({"scene": "res://see/prints.tscn"}))
        .await?;
    let run_id = run["run_id"].as_u64().ok_or("no run_id")?;
    let out = follow(f, run_id, Duration::from_secs(30), |o| {
        o["run"]["state"] == "paused_at_error"
    })
    .await?;
    let lines = out["lines"].as_array().cloned().unwrap_or_default();
    let texts: Vec<&str> = lines.iter().filter_map(|l| l["text"].as_str()).collect();
    let first = texts.iter().position(|t| *t == "see: first line");
    let second = texts.iter().position(|t| *t == "see: second line");
    ensure!(
        first.is_some() && second > first,
        "printed lines missing or out of order: {texts:?}"
    );
    ensure!(
        lines
            .iter()
            .any(|l| l["stream"] == "stderr" && l["text"] == "see: to stderr"),
        "{lines:?}"
    );
    let error_line = lines
        .iter()
        .find(|l| l["stream"] == "error")
        .ok_or_else(|| format!("no error line: {lines:?}"))?;
    ensure!(
        error_line["file"] == "res://see/prints.gd" && error_line["line"] == 9,
        "{error_line}"
    );
    // Only what is new after the cursor.
    let next = out["next"].as_u64().ok_or("no next")?;
    let again = f
        .call_ok("get_game_output", json!({"run_id": run_id, "since": next}))
        .await?;
    ensure!(
        again["lines"] == json!([]) && again["next"] == next,
        "{again}"
    );
    let errors = f
        .call_ok("get_game_errors", json!({"run_id": run_id}))
        .await?;
    let list = errors["errors"].as_array().cloned().unwrap_or_default();
    ensure!(list.len() == 1, "one error expected: {errors}");
    let e = &list[0];
    ensure!(
        e["file"] == "res://see/prints.gd"
            && e["line"] == 9
            && e["function"] == "_ready"
            && e["count"] == 1
            && e["message"].as_str().is_some_and(|m| m.contains("explode")),
        "{e}"
    );
    ensure!(e["stack"][0]["line"] == 9, "{e}");
    let stopped = f.call_ok("stop_project", json!({})).await?;
    let summary = &stopped["run"];
    ensure!(
        summary["run_id"] == run_id && summary["state"] == "stopped" && summary["errors"] == 1,
        "{stopped}"
    );
    ensure!(
        summary["last_output"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("see: second line"))),
        "{stopped}"
    );
    f.fails(
        "get_game_errors",
        json!({"run_id": 999_999}),
        ErrorCode::RunNotFound,
    )
    .await?;
    Ok(())
});

test_fn!(exit_code, |f| {
    let run = f
        .call_ok("run_project", json!({"scene": "res://see/quits.tscn"}))
        .await?;
    let run_id = run["run_id"].as_u64().ok_or("no run_id")?;
    let out = follow(f, run_id, Duration::from_secs(30), |o| {
        o["run"]["state"] == "exited"
    })
    .await?;
    let summary = &out["run"];
    ensure!(summary["exit_code"] == 3, "{summary}");
    ensure!(
        summary["last_output"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("see: quitting with 3"))),
        "{summary}"
    );
    let stopped = f.call_ok("stop_project", json!({})).await?;
    ensure!(
        stopped["was_playing"] == false && stopped["run"]["exit_code"] == 3,
        "{stopped}"
    );
    Ok(())
});

test_fn!(editor_log, |f| {
    let all = f.call_ok("get_editor_log", json!({})).await?;
    let entries = all["entries"].as_array().cloned().unwrap_or_default();
    ensure!(
        entries.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("godot-mcp: listening"))),
        "the start-up line is missing: {all}"
    );
    let next = all["next"].as_u64().ok_or("no next")?;
    // Nothing before `next` comes back. The only line that may land between
    // two reads is the extension's own note that a frame hit its budget.
    let quiet = f.call_ok("get_editor_log", json!({"since": next})).await?;
    let after = quiet["entries"].as_array().cloned().unwrap_or_default();
    ensure!(
        after
            .iter()
            .all(|e| e["seq"].as_u64().is_some_and(|s| s >= next)
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("reached the per-frame limit"))),
        "{quiet}"
    );
    // Loading a broken scene makes the editor log errors with their source.
    f.call_ok("write_text_file",
        json!({"path": "res://see/broken.tscn", "content": "[gd_scene format=3]\n\n[node name=\"A\" type=\"Node\" parent=\"nowhere\"]\n[[[\n"}),
    )
    .await?;
    let _ = f
        .call("open_scene", json!({"scene_path": "res://see/broken.tscn"}))
        .await;
    let errors = f
        .call_ok("get_editor_log", json!({"since": next, "level": "error"}))
        .await?;
    let list = errors["entries"].as_array().cloned().unwrap_or_default();
    ensure!(!list.is_empty(), "no errors logged: {errors}");
    ensure!(
        list.iter().all(|e| e["level"] == "error"),
        "level filter: {errors}"
    );
    ensure!(
        list.iter()
            .any(|e| e["file"].is_string() && e["line"].as_u64().is_some_and(|l| l > 0)),
        "no file and line: {errors}"
    );
    let limited = f.call_ok("get_editor_log", json!({"limit": 1})).await?;
    ensure!(
        limited["entries"].as_array().is_some_and(|e| e.len() == 1) && limited["more"] == true,
        "{limited}"
    );
    Ok(())
});

/// Polls get_editor_state until `done` holds, for up to 20 s.
async fn state_until(f: &F, done: impl Fn(&Value) -> bool) -> Result<Value, String> {
    let start = Instant::now();
    loop {
        let state = f.call_ok("get_editor_state", json!({})).await?;
        if done(&state) {
            return Ok(state);
        }
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!("gave up waiting: {}", state["script_errors"]));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

test_fn!(script_errors, |f| {
    state_until(f, |s| s["script_errors"]["count"] == 0).await?;
    let path = "res://see/broken.gd";
    f.call_ok(
        "write_text_file",
        json!({"path": path, "content": "extends Node\n\nfunc _ready(:\n\tpass\n"}),
    )
    .await?;
    let state = state_until(f, |s| s["script_errors"]["count"] == 1).await?;
    let first = &state["script_errors"]["first"][0];
    ensure!(
        first["script_path"] == path && first["line"] == 3 && first["message"].is_string(),
        "{}",
        state["script_errors"]
    );
    f.call_ok(
        "write_text_file",
        json!({"path": path, "content": "extends Node\n\nfunc _ready():\n\tpass\n"}),
    )
    .await?;
    state_until(f, |s| s["script_errors"]["count"] == 0).await?;
    Ok(())
});
