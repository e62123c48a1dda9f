//! A user's own project, from nothing: `godot-mcp install` puts the addon
//! into a project that knows nothing of us and a real editor then serves
//! it; `install` refuses what is not a Godot 4.6 project and writes
//! nothing there. `godot-mcp setup` adds us to every client's file in a
//! temporary HOME and keeps everything the user had there. `godot-mcp
//! doctor` passes while the editor is up and names the fix once it is not.
//! The release archive, unpacked anywhere, installs and serves the same way.

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
        (
            "onboarding_setup_every_client_keeps_what_was_there",
            clients,
        ),
        (
            "onboarding_doctor_passes_with_the_editor_and_fails_without",
            doctored,
        ),
        ("onboarding_release_archive_installs_and_serves", archive),
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

/// Installs into a fresh project and opens a real editor on it.
pub async fn install_and_open(tag: &str, name: &str) -> Result<Editor, String> {
    let project = scratch(tag)?.join("game");
    throwaway_project(&project, name, "\"4.6\", \"Forward Plus\"")?;
    let out = shim(&["install", &project.display().to_string()], &[])?;
    ensure!(out.status.success(), "install failed:\n{}", text(&out));
    Editor::start(&godot_binary()?, &project, EditorOptions::default())
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
        // An older library under the running editor: install swaps it by
        // rename (the editor keeps the one it mapped) and asks for a restart.
        let library = addon.join("bin/libgodot_mcp.so");
        let stale = addon.join("bin/stale.tmp");
        std::fs::write(&stale, b"an older build").map_err(|e| e.to_string())?;
        std::fs::rename(&stale, &library).map_err(|e| e.to_string())?;
        let update = shim(&["install", &project.display().to_string()], &[])?;
        let said = text(&update);
        ensure!(
            update.status.success()
                && said.contains("libgodot_mcp.so")
                && said.contains(&format!("pid {}", editor.pid()))
                && said.contains("restart"),
            "updating under a running editor:\n{said}"
        );
        let installed = std::fs::read(&library).map_err(|e| e.to_string())?;
        let shipped = std::fs::read(
            godot_mcp_e2e::workspace_root().join("addons/godot_mcp/bin/libgodot_mcp.so"),
        )
        .map_err(|e| e.to_string())?;
        ensure!(installed == shipped, "the library was not replaced");
        let still = mcp.call("get_editor_state", json!({})).await;
        ensure!(
            still.is_ok(),
            "the editor stopped answering after the update: {still:?}"
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

/// One client's file in the temporary HOME or project, as the user had it.
struct Prefilled {
    client: &'static str,
    /// Relative to HOME (`~/`) or to the project (`./`).
    file: &'static str,
    text: &'static str,
    /// Text that must survive byte for byte (comments, other settings).
    kept: &'static [&'static str],
    /// Keys leading to our entry; the last is `godot`.
    entry: &'static [&'static str],
}

const PREFILLED: &[Prefilled] = &[
    Prefilled {
        client: "claude-code",
        file: "./.mcp.json",
        text: "{\n  \"mcpServers\": {\n    \"github\": { \"command\": \"gh-mcp\", \"args\": [\"serve\"] }\n  }\n}\n",
        kept: &["\"github\": { \"command\": \"gh-mcp\", \"args\": [\"serve\"] }"],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "claude-desktop",
        file: "~/.config/Claude/claude_desktop_config.json",
        text: "{\n  \"globalShortcut\": \"Ctrl+Space\",\n  \"mcpServers\": {\n    \"files\": { \"command\": \"npx\", \"args\": [\"-y\", \"fs-server\"], \"env\": { \"ROOT\": \"/srv\" } }\n  }\n}\n",
        kept: &["\"globalShortcut\": \"Ctrl+Space\"", "\"ROOT\": \"/srv\""],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "codex",
        file: "~/.codex/config.toml",
        text: "# my codex settings\nmodel = \"o4\"\napproval_policy = \"on-request\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\" # the docs server\nargs = [\"--port\", \"0\"]\n",
        kept: &[
            "# my codex settings\nmodel = \"o4\"",
            "command = \"docs-mcp\" # the docs server",
        ],
        entry: &["mcp_servers", "godot"],
    },
    Prefilled {
        client: "cursor",
        file: "~/.cursor/mcp.json",
        text: "{\"mcpServers\":{\"linear\":{\"url\":\"https://mcp.example/sse\"}}}",
        kept: &["\"linear\":{\"url\":\"https://mcp.example/sse\"}"],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "vscode",
        file: "./.vscode/mcp.json",
        text: "{\n  // servers for this workspace\n  \"inputs\": [],\n  \"servers\": {\n    \"py\": { \"type\": \"stdio\", \"command\": \"py-mcp\" }, // trailing comma next\n  },\n}\n",
        kept: &[
            "// servers for this workspace",
            "// trailing comma next",
            "\"py\": { \"type\": \"stdio\", \"command\": \"py-mcp\" }",
        ],
        entry: &["servers", "godot"],
    },
    Prefilled {
        client: "gemini",
        file: "~/.gemini/settings.json",
        text: "{\n  \"theme\": \"GitHub\",\n  \"selectedAuthType\": \"oauth-personal\",\n  \"mcpServers\": {}\n}\n",
        kept: &[
            "\"theme\": \"GitHub\"",
            "\"selectedAuthType\": \"oauth-personal\"",
        ],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "windsurf",
        file: "~/.codeium/windsurf/mcp_config.json",
        text: "{\n  \"mcpServers\": {\n    \"figma\": { \"serverUrl\": \"http://127.0.0.1:3845/sse\" }\n  }\n}\n",
        kept: &["\"figma\": { \"serverUrl\": \"http://127.0.0.1:3845/sse\" }"],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "zed",
        file: "~/.config/zed/settings.json",
        text: "// Zed settings\n//\n// For information on how to configure Zed, see the Zed docs.\n{\n  \"ui_font_size\": 16,\n  /* big */ \"buffer_font_size\": 15,\n  \"context_servers\": {\n    \"sqlite\": { \"command\": \"sqlite-mcp\", \"args\": [], \"env\": {} }\n  }\n}\n",
        kept: &[
            "// Zed settings\n//\n// For information",
            "/* big */ \"buffer_font_size\": 15",
            "\"sqlite\": { \"command\": \"sqlite-mcp\"",
        ],
        entry: &["context_servers", "godot"],
    },
    Prefilled {
        client: "cline",
        file: "~/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
        text: "{\n  \"mcpServers\": {\n    \"weather\": { \"command\": \"weather-mcp\", \"disabled\": false, \"autoApprove\": [\"forecast\"] }\n  }\n}\n",
        kept: &["\"autoApprove\": [\"forecast\"]"],
        entry: &["mcpServers", "godot"],
    },
    Prefilled {
        client: "opencode",
        file: "~/.config/opencode/opencode.json",
        text: "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"theme\": \"tokyonight\",\n  \"mcp\": {\n    \"jira\": { \"type\": \"remote\", \"url\": \"https://jira.example/mcp\" }\n  }\n}\n",
        kept: &[
            "\"theme\": \"tokyonight\"",
            "\"jira\": { \"type\": \"remote\"",
        ],
        entry: &["mcp", "godot"],
    },
];

/// `godot-mcp setup` in a clean environment: this HOME, no XDG or client
/// overrides, and a PATH without a `claude` command.
fn setup(home: &Path, project: &Path, args: &[&str]) -> Result<Output, String> {
    Command::new(shim_binary()?)
        .arg("setup")
        .args(args)
        .current_dir(project)
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("CODEX_HOME")
        .env_remove("CLINE_MCP_SETTINGS_PATH")
        .env_remove("APPDATA")
        .output()
        .map_err(|e| e.to_string())
}

/// The file's contents as JSON, whatever the client's format.
fn parse_config(path: &Path, text: &str) -> Result<serde_json::Value, String> {
    if path.extension().is_some_and(|e| e == "toml") {
        let doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("TOML: {e}"))?;
        return Ok(toml_json(doc.as_item()));
    }
    jsonc_parser::parse_to_serde_value(text, &Default::default()).map_err(|e| format!("JSON: {e}"))
}

fn toml_json(item: &toml_edit::Item) -> serde_json::Value {
    use toml_edit::Value as T;
    fn value(v: &T) -> serde_json::Value {
        match v {
            T::String(s) => json!(s.value()),
            T::Integer(i) => json!(i.value()),
            T::Float(f) => json!(f.value()),
            T::Boolean(b) => json!(b.value()),
            T::Datetime(d) => json!(d.value().to_string()),
            T::Array(a) => a.iter().map(value).collect(),
            T::InlineTable(t) => t.iter().map(|(k, v)| (k.to_owned(), value(v))).collect(),
        }
    }
    match item {
        toml_edit::Item::Value(v) => value(v),
        toml_edit::Item::Table(t) => t
            .iter()
            .map(|(k, v)| (k.to_owned(), toml_json(v)))
            .collect(),
        toml_edit::Item::ArrayOfTables(a) => a
            .iter()
            .map(|t| toml_json(&toml_edit::Item::Table(t.clone())))
            .collect(),
        toml_edit::Item::None => serde_json::Value::Null,
    }
}

/// Every key path of `old` holds the same value in `new`.
fn keeps_all(old: &serde_json::Value, new: &serde_json::Value) -> bool {
    match (old, new) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => a
            .iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| keeps_all(v, w))),
        (a, b) => a == b,
    }
}

fn clients(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("setup")?;
        let home = root.join("home");
        let project = root.join("game");
        throwaway_project(&project, "Setup", "\"4.6\"")?;
        let place = |p: &Prefilled| match p.file.split_at(2) {
            ("~/", rel) => home.join(rel),
            (_, rel) => project.join(rel),
        };
        for p in PREFILLED {
            let path = place(p);
            std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
            std::fs::write(&path, p.text).map_err(|e| e.to_string())?;
        }
        let shim = shim_binary()?.canonicalize().map_err(|e| e.to_string())?;

        let unknown = setup(&home, &project, &["notepad"])?;
        ensure!(
            !unknown.status.success()
                && text(&unknown).contains("claude-code, claude-desktop, codex"),
            "an unknown client: {}",
            text(&unknown)
        );
        for p in PREFILLED {
            let path = place(p);
            let printed = setup(&home, &project, &[p.client, "--print"])?;
            ensure!(
                printed.status.success()
                    && std::fs::read_to_string(&path).map_err(|e| e.to_string())? == p.text
                    && text(&printed).contains(&shim.display().to_string()),
                "{}: --print wrote or showed nothing:\n{}",
                p.client,
                text(&printed)
            );
            let out = setup(&home, &project, &[p.client])?;
            ensure!(out.status.success(), "setup {}:\n{}", p.client, text(&out));
            let new = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            for kept in p.kept {
                ensure!(new.contains(kept), "{}: lost {kept:?}:\n{new}", p.client);
            }
            let (old_value, new_value) = (parse_config(&path, p.text)?, parse_config(&path, &new)?);
            ensure!(
                keeps_all(&old_value, &new_value),
                "{}: a setting changed:\n{new}",
                p.client
            );
            let entry = p.entry.iter().fold(&new_value, |v, k| &v[*k]);
            let command = match &entry["command"] {
                serde_json::Value::Array(line) => line[0].clone(),
                other => other.clone(),
            };
            let command = PathBuf::from(command.as_str().unwrap_or_default());
            ensure!(
                command.is_absolute()
                    && command == shim
                    && std::fs::metadata(&command)
                        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0),
                "{}: the entry does not start this godot-mcp: {entry}",
                p.client
            );
            let backup = path.with_file_name(format!(
                "{}.godot-mcp.bak",
                path.file_name().unwrap().to_string_lossy()
            ));
            ensure!(
                std::fs::read_to_string(&backup).is_ok_and(|b| b == p.text),
                "{}: no backup of the previous file at {}",
                p.client,
                backup.display()
            );
            let again = setup(&home, &project, &[p.client])?;
            ensure!(
                again.status.success()
                    && std::fs::read_to_string(&path).map_err(|e| e.to_string())? == new,
                "{}: a second setup changed the file:\n{}",
                p.client,
                text(&again)
            );
        }
        // Codex gets the environment it would otherwise strip, and fewer tools.
        let codex =
            std::fs::read_to_string(home.join(".codex/config.toml")).map_err(|e| e.to_string())?;
        ensure!(
            codex.contains("env_vars = [\"XDG_RUNTIME_DIR\"]") && codex.contains("--toolsets"),
            "codex entry:\n{codex}"
        );
        // A file that does not exist yet is created.
        std::fs::remove_file(home.join(".cursor/mcp.json")).map_err(|e| e.to_string())?;
        let fresh = setup(&home, &project, &["cursor", "--toolsets", "nodes"])?;
        let made = std::fs::read_to_string(home.join(".cursor/mcp.json")).unwrap_or_default();
        let made: serde_json::Value =
            serde_json::from_str(&made).map_err(|e| format!("{e}: {made}"))?;
        ensure!(
            fresh.status.success()
                && made["mcpServers"]["godot"]["args"] == json!(["--toolsets", "nodes"]),
            "a new cursor file: {made}\n{}",
            text(&fresh)
        );
        Ok(())
    })
}

/// `godot-mcp doctor` in the project, seeing the test editors' discovery
/// folder and a HOME where Cursor has us configured.
fn doctor(editor: &Editor, home: &Path) -> Result<(bool, String), String> {
    let out = Command::new(shim_binary()?)
        .arg("doctor")
        .current_dir(&editor.project)
        .env("HOME", home)
        .env("GODOT", godot_binary()?)
        .env(godot_mcp_protocol::discovery::DIR_ENV, &editor.runtime_dir)
        .env_remove("GODOT_MCP_PORT")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .map_err(|e| e.to_string())?;
    Ok((out.status.success(), text(&out)))
}

fn doctored(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let mut editor = install_and_open("doctor", "Doctor Who").await?;
        let home = editor.project.with_file_name("home");
        let setup = setup(&home, &editor.project, &["cursor"])?;
        ensure!(setup.status.success(), "setup cursor: {}", text(&setup));

        let (passed, said) = doctor(&editor, &home)?;
        ensure!(passed, "doctor failed with the editor up:\n{said}");
        for line in said.lines() {
            println!("    {line}");
        }
        for needed in [
            "Godot 4.",
            "addons/godot_mcp matches",
            "port ",
            "hello accepted",
            "cursor (user)",
        ] {
            ensure!(
                said.contains(needed),
                "doctor did not report {needed:?}:\n{said}"
            );
        }
        ensure!(
            !said.contains("FAIL"),
            "a failed check with the editor up:\n{said}"
        );

        // A discovery folder others can read is refused, and doctor says why.
        use std::os::unix::fs::PermissionsExt;
        let open = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&editor.runtime_dir, open).map_err(|e| e.to_string())?;
        let refused = doctor(&editor, &home);
        let private = std::fs::Permissions::from_mode(0o700);
        std::fs::set_permissions(&editor.runtime_dir, private).map_err(|e| e.to_string())?;
        let (passed, said) = refused?;
        ensure!(
            !passed
                && said.lines().any(|l| l.starts_with("FAIL")
                    && l.contains("0755")
                    && l.contains("chmod 700")),
            "doctor with an open discovery folder:\n{said}"
        );

        editor.kill();
        let (passed, said) = doctor(&editor, &home)?;
        let fix = said
            .lines()
            .find(|l| l.starts_with("FAIL") && l.contains("fix:"))
            .unwrap_or_default();
        ensure!(
            !passed && fix.contains("no editor is running") && fix.contains("--path"),
            "doctor with the editor closed:\n{said}"
        );
        Ok(())
    })
}

/// The release archive, packed from the built artefacts as `cargo xtask
/// dist` packs them, unpacked into an empty folder: its `godot-mcp`
/// installs the addon it carries and a real editor then serves MCP.
fn archive(_: &()) -> Pin<Box<dyn Future<Output = TestResult> + '_>> {
    Box::pin(async move {
        let root = scratch("dist")?;
        let out = root.join("out");
        std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        let repo = godot_mcp_e2e::workspace_root();
        let (archive, sums) = godot_mcp_e2e::dist::package(
            &repo,
            &shim_binary()?,
            &repo.join("addons/godot_mcp"),
            &out,
        )?;
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        ensure!(
            name == format!("{}.tar.gz", godot_mcp_e2e::dist::archive_stem())
                && name.starts_with("godot-mcp-0.")
                && name.contains("-linux-"),
            "archive name {name}"
        );
        let sum = std::fs::read_to_string(&sums).map_err(|e| e.to_string())?;
        ensure!(
            sum == format!("{}  {name}\n", godot_mcp_e2e::dist::sha256(&archive)?),
            "sums file: {sum}"
        );
        let unpacked = root.join("unpacked");
        std::fs::create_dir_all(&unpacked).map_err(|e| e.to_string())?;
        let untar = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&unpacked)
            .status()
            .map_err(|e| e.to_string())?;
        ensure!(untar.success(), "tar -x failed");
        let folder = unpacked.join(godot_mcp_e2e::dist::archive_stem());
        for file in [
            "godot-mcp",
            "README.md",
            "LICENSE",
            "addons/godot_mcp/godot_mcp.gdextension",
            "addons/godot_mcp/bin/libgodot_mcp.so",
        ] {
            ensure!(folder.join(file).is_file(), "the archive lacks {file}");
        }
        let project = root.join("my-game");
        throwaway_project(&project, "Packed", "\"4.6\", \"GL Compatibility\"")?;
        let install = Command::new(folder.join("godot-mcp"))
            .arg("install")
            .arg(&project)
            .output()
            .map_err(|e| e.to_string())?;
        ensure!(
            install.status.success(),
            "install from the archive:\n{}",
            text(&install)
        );
        // The dock finds the godot-mcp that installed the addon, as a
        // user's editor, which knows no GODOT_MCP_SHIM, must.
        let editor = Editor::start(
            &godot_binary()?,
            &project,
            EditorOptions {
                extra_env: vec![("GODOT_MCP_SHIM".into(), String::new())],
                ..EditorOptions::default()
            },
        )?;
        let mcp = Mcp::start_command({
            let mut cmd = tokio::process::Command::new(folder.join("godot-mcp"));
            cmd.env("GODOT_MCP_PORT", editor.port.to_string())
                .env(godot_mcp_protocol::discovery::DIR_ENV, &editor.runtime_dir);
            cmd
        })
        .await?;
        let state = mcp
            .call("get_editor_state", json!({}))
            .await
            .map_err(|e| format!("get_editor_state: {e:?}"))?;
        ensure!(
            state["project_name"] == "Packed",
            "the editor answers: {state}"
        );
        let perf = mcp
            .call("get_performance", json!({}))
            .await
            .map_err(|e| format!("get_performance: {e:?}"))?;
        let packed = folder.join("godot-mcp");
        let packed = packed.canonicalize().unwrap_or(packed);
        ensure!(
            perf["dock"]["shim"] == json!(packed.to_string_lossy()),
            "the dock would run {}, not the archive's {}",
            perf["dock"]["shim"],
            packed.display()
        );
        mcp.close().await;
        let _ = std::fs::remove_dir_all(&root);
        Ok(())
    })
}
