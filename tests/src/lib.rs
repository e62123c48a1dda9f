//! Harness for end-to-end runs against a real Godot editor.
//!
//! [`Editor`] starts a headless editor on a private copy of the sample
//! project and always kills its whole process group, even when a test
//! fails; [`Mcp`] speaks MCP to the `godot-mcp` binary over stdio exactly as
//! an AI client would; [`RawClient`] talks to the editor's WebSocket
//! directly for transport tests. The xtask demo uses the same pieces.

#![forbid(unsafe_code)]

pub mod dist;
pub mod soak;
pub mod wire;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use godot_mcp_protocol::discovery::{self, Discovery};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub type TestResult = Result<(), String>;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The Godot to run: `GODOT`, as `cargo xtask test` sets it.
pub fn godot_binary() -> Result<PathBuf, String> {
    std::env::var_os("GODOT")
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .ok_or_else(|| {
            "GODOT is not set to a Godot 4.6+ binary; run the suite with `cargo xtask test`".into()
        })
}

/// The release shim that `cargo xtask build` produced.
pub fn shim_binary() -> Result<PathBuf, String> {
    let path = std::env::var_os("GODOT_MCP_SHIM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/release/godot-mcp"));
    path.exists()
        .then_some(path.clone())
        .ok_or_else(|| format!("{} is missing; run `cargo xtask build`", path.display()))
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(16505)
}

/// Copies a directory, following symlinks (the sample project links the addon).
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".godot" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        if std::fs::metadata(&src)?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Makes a project load the extension on its very first start (the editor
/// only discovers new extensions after its first scan otherwise).
pub fn register_extension(project: &Path) -> std::io::Result<()> {
    let dir = project.join(".godot");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("extension_list.cfg"),
        "res://addons/godot_mcp/godot_mcp.gdextension\n",
    )
}

/// The discovery directory the tests' editors and shims share, apart from
/// any editor the user has open.
pub fn test_runtime_dir() -> PathBuf {
    std::env::temp_dir().join(format!("godot-mcp-e2e-{}/runtime", std::process::id()))
}

pub struct EditorOptions {
    pub headless: bool,
    /// Render for real on a private Xvfb display with the OpenGL driver
    /// (for screenshots); needs `headless: false` and Xvfb installed.
    pub xvfb: bool,
    /// Run in a process group of its own, so killing it takes the game too.
    /// Off for an interactive run, where Ctrl+C must reach the editor.
    pub own_group: bool,
    /// `GODOT_MCP_PORT` for the editor; `None` lets it pick the first free
    /// port from 6505.
    pub port: Option<u16>,
    /// Where it writes its discovery file; `None` is the user's own directory.
    pub runtime_dir: Option<PathBuf>,
    pub extra_env: Vec<(String, String)>,
    pub startup_timeout: Duration,
    /// Where the editor's output goes; beside the project folder by default.
    pub log: Option<PathBuf>,
}

impl Default for EditorOptions {
    fn default() -> Self {
        Self {
            headless: true,
            xvfb: false,
            own_group: true,
            port: Some(free_port()),
            runtime_dir: Some(test_runtime_dir()),
            extra_env: Vec::new(),
            startup_timeout: Duration::from_secs(90),
            log: None,
        }
    }
}

/// A running Godot editor with the extension, on its own process group.
pub struct Editor {
    child: Child,
    own_group: bool,
    /// The X server it draws on, when it renders under Xvfb.
    xvfb: Option<Child>,
    /// That server's `DISPLAY`.
    pub display: Option<String>,
    /// The port it listens on, read from its discovery file.
    pub port: u16,
    pub project: PathBuf,
    pub log: PathBuf,
    pub runtime_dir: PathBuf,
    /// Its discovery record as of start-up.
    pub session: Option<Discovery>,
}

impl Editor {
    /// Starts an editor on `project` and waits until the extension listens.
    pub fn start(godot: &Path, project: &Path, options: EditorOptions) -> Result<Editor, String> {
        use std::os::unix::process::CommandExt;
        let log = options
            .log
            .clone()
            .unwrap_or_else(|| project.with_extension("editor.log"));
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(godot);
        if options.headless {
            cmd.arg("--headless");
        }
        let mut display = None;
        let xvfb = if options.xvfb {
            let (xvfb, name) = start_xvfb()?;
            display = Some(name.clone());
            // With no window manager to carry out the editor's maximize,
            // Godot would lay itself out for the whole screen inside a
            // smaller window, and the pointer could not reach its right and
            // bottom edges: the window is given the screen outright.
            cmd.env("DISPLAY", name)
                .args([
                    "--rendering-driver",
                    "opengl3",
                    "--audio-driver",
                    "Dummy",
                    "--windowed",
                    "--position",
                    "0,0",
                    "--resolution",
                ])
                .arg(format!("{}x{}", XVFB_SCREEN.0, XVFB_SCREEN.1));
            Some(xvfb)
        } else {
            None
        };
        cmd.args(["--editor", "--path"]).arg(project);
        match options.port {
            Some(port) => cmd.env("GODOT_MCP_PORT", port.to_string()),
            None => cmd.env_remove("GODOT_MCP_PORT"),
        };
        match &options.runtime_dir {
            Some(dir) => cmd.env(discovery::DIR_ENV, dir),
            None => cmd.env_remove(discovery::DIR_ENV),
        };
        cmd.envs(options.extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if options.own_group {
            cmd.process_group(0);
        }
        let child = cmd.spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => {
                if let Some(mut xvfb) = xvfb {
                    let _ = xvfb.kill();
                    let _ = xvfb.wait();
                }
                return Err(format!("cannot start {}: {e}", godot.display()));
            }
        };
        let mut editor = Editor {
            child,
            own_group: options.own_group,
            xvfb,
            display,
            port: 0,
            project: project.to_path_buf(),
            log,
            runtime_dir: options.runtime_dir.unwrap_or_else(discovery::dir),
            session: None,
        };
        editor.wait_ready(options.startup_timeout)?;
        Ok(editor)
    }

    /// The editor's discovery record (port, token, session id).
    pub fn discovery(&self) -> Result<Discovery, String> {
        let pid = self.child.id();
        Discovery::list(&self.runtime_dir)
            .into_iter()
            .find(|d| d.pid == pid)
            .ok_or_else(|| {
                format!(
                    "no discovery file for pid {pid} in {}",
                    self.runtime_dir.display()
                )
            })
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains("Can't open dynamic library") || log.contains("godot-mcp: not started")
            {
                return Err(format!(
                    "the editor could not load the extension:\n{}",
                    tail(&log, 30)
                ));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the editor exited ({status}) during start-up:\n{}",
                    tail(&log, 30)
                ));
            }
            if log.contains("godot-mcp: listening")
                && let Ok(found) = self.discovery()
                && std::net::TcpStream::connect(("127.0.0.1", found.port)).is_ok()
            {
                self.port = found.port;
                self.session = Some(found);
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "the editor did not start listening within {} s:\n{}",
                    timeout.as_secs(),
                    tail(&log, 30)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The X window of an editor rendering under Xvfb: the largest visible
    /// one of its class, as its popups are smaller.
    pub fn window(&self) -> Result<String, String> {
        let display = self.display.as_deref().ok_or("the editor has no display")?;
        let start = Instant::now();
        loop {
            let ids = xdotool(
                display,
                &["search", "--onlyvisible", "--classname", "Godot_Editor"],
            )
            .unwrap_or_default();
            let area = |id: &str| {
                let shell = xdotool(display, &["getwindowgeometry", "--shell", id]).ok()?;
                let value = |key: &str| -> Option<u64> {
                    shell
                        .lines()
                        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))?
                        .trim()
                        .parse()
                        .ok()
                };
                Some(value("WIDTH")? * value("HEIGHT")?)
            };
            let biggest = ids
                .split_whitespace()
                .filter_map(|id| Some((area(id)?, id)))
                .max();
            if let Some((_, id)) = biggest {
                return Ok(id.to_owned());
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err("the editor's window did not show".into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the editor exits by itself (the user closed it).
    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }

    /// The editor's output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the editor and everything it started (the game, too).
    pub fn kill(&mut self) {
        // Games the editor started live in sessions of their own and would
        // outlive it (a flooding one fills the disk): found while they are
        // still its children, they go first.
        let games = descendants(self.child.id());
        for pid in &games {
            kill_pid(*pid);
        }
        if self.own_group {
            self.signal("KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Windowed games end with their display too.
        if let Some(mut xvfb) = self.xvfb.take() {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }

    /// Sends a signal (`KILL`, `STOP`, ...) to the editor's whole process group.
    pub fn signal(&self, signal: &str) {
        signal_group(self.child.id(), signal);
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The private Xvfb screen, which the editor's window fills.
pub const XVFB_SCREEN: (u32, u32) = (1280, 720);

/// Starts Xvfb on a free display; returns it and the `DISPLAY` value.
fn start_xvfb() -> Result<(Child, String), String> {
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            &format!("{}x{}x24", XVFB_SCREEN.0, XVFB_SCREEN.1),
            "-nolisten",
            "tcp",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start Xvfb ({e}); `cargo xtask test` installs it, or apt-get install xvfb"
            )
        })?;
    let stdout = xvfb.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) if line.trim().parse::<u32>().is_ok() => Ok((xvfb, format!(":{}", line.trim()))),
        outcome => {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
            Err(format!("Xvfb did not report a display: {outcome:?}"))
        }
    }
}

/// Runs `xdotool` on `display`, for pointer and focus moves under Xvfb;
/// `cargo xtask test` and `cargo xtask bench --windowed` install it.
pub fn xdotool(display: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .map_err(|e| format!("xdotool ({e}); `cargo xtask test` installs it"))?;
    if !out.status.success() {
        return Err(format!(
            "xdotool {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Makes the game an editor starts run headless too (it has no display either).
pub fn run_game_headless(project: &Path) -> Result<(), String> {
    let settings = project.join("project.godot");
    let mut text = std::fs::read_to_string(&settings).map_err(|e| e.to_string())?;
    text.push_str("\n[editor]\n\nrun/main_run_args=\"--headless\"\n");
    std::fs::write(&settings, text).map_err(|e| e.to_string())
}

/// A one-node scene whose root, a Node named `name`, runs the script at
/// `script` (a `res://` path).
pub fn script_scene(name: &str, script: &str) -> String {
    format!(
        "[gd_scene load_steps=2 format=3]\n\n[ext_resource type=\"Script\" path=\"{script}\" id=\"1\"]\n\n\
         [node name=\"{name}\" type=\"Node\"]\nscript = ExtResource(\"1\")\n"
    )
}

/// A scene of `n` nodes, ten children a node, of a few common classes: `N1`
/// to `N{n-1}` under a `Root` Node2D, in file (pre-)order by parent.
pub fn generated_scene(n: usize) -> String {
    let mut text = String::from("[gd_scene format=3]\n\n[node name=\"Root\" type=\"Node2D\"]\n");
    let mut paths = vec![String::from(".")];
    for i in 1..n {
        let parent = (i - 1) / 10;
        let name = format!("N{i}");
        let class = ["Node2D", "Sprite2D", "Label", "Marker2D"][i % 4];
        text.push_str(&format!(
            "\n[node name=\"{name}\" type=\"{class}\" parent=\"{}\"",
            paths[parent]
        ));
        if i % 7 == 0 {
            text.push_str(" groups=[\"tagged\"]");
        }
        text.push_str("]\n");
        if class == "Label" {
            text.push_str(&format!("text = \"label {i}\"\n"));
        } else {
            text.push_str(&format!("position = Vector2({}, {})\n", i % 97, i % 89));
        }
        paths.push(if parent == 0 {
            name
        } else {
            format!("{}/{name}", paths[parent])
        });
    }
    text
}

/// A fresh copy of the sample project in a temporary folder.
pub fn sample_project_copy(tag: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("godot-mcp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let project = dir.join("project");
    copy_tree(&workspace_root().join("godot_project"), &project)
        .map_err(|e| format!("copying the sample project: {e}"))?;
    if !project
        .join("addons/godot_mcp/bin/libgodot_mcp.so")
        .exists()
    {
        return Err(
            "addons/godot_mcp/bin/libgodot_mcp.so is missing; run `cargo xtask build`".into(),
        );
    }
    register_extension(&project).map_err(|e| e.to_string())?;
    Ok(project)
}

/// An MCP client session with a `godot-mcp` child process.
pub struct Mcp {
    service: RunningService<RoleClient, Updates>,
}

/// The test client's handler: forwards resource update notifications.
#[derive(Default)]
pub struct Updates(Option<tokio::sync::mpsc::UnboundedSender<String>>);

impl rmcp::ClientHandler for Updates {
    /// Names the test client, so editors can be checked to show it.
    fn get_info(&self) -> rmcp::model::ClientConfig {
        let mut info = rmcp::model::ClientConfig::default();
        info.client_info = rmcp::model::Implementation::new("godot-mcp-e2e", "1.0.0");
        info
    }

    async fn on_resource_updated(
        &self,
        params: rmcp::model::ResourceUpdatedNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(params.uri);
        }
    }
}

impl Mcp {
    /// Starts the built `godot-mcp` talking to the test editor on `port`.
    pub async fn start(port: u16) -> Result<Mcp, String> {
        Self::start_env(&[
            ("GODOT_MCP_PORT", Some(port.to_string())),
            (
                discovery::DIR_ENV,
                Some(test_runtime_dir().display().to_string()),
            ),
        ])
        .await
    }

    /// Starts the `godot-mcp` at `shim` talking to the editor on `port`,
    /// found in the user's own discovery directory.
    pub async fn start_with(shim: &Path, port: u16) -> Result<Mcp, String> {
        Self::spawn(
            shim,
            &[("GODOT_MCP_PORT", Some(port.to_string()))],
            Updates::default(),
        )
        .await
    }

    /// Starts the built `godot-mcp` with these variables set (`Some`) or removed (`None`).
    pub async fn start_env(env: &[(&str, Option<String>)]) -> Result<Mcp, String> {
        Self::spawn(&shim_binary()?, env, Updates::default()).await
    }

    /// Like [`Mcp::start_env`], collecting `notifications/resources/updated`.
    pub async fn start_watching(
        env: &[(&str, Option<String>)],
    ) -> Result<(Mcp, tokio::sync::mpsc::UnboundedReceiver<String>), String> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mcp = Self::spawn(&shim_binary()?, env, Updates(Some(tx))).await?;
        Ok((mcp, rx))
    }

    async fn spawn(
        shim: &Path,
        env: &[(&str, Option<String>)],
        updates: Updates,
    ) -> Result<Mcp, String> {
        let mut cmd = tokio::process::Command::new(shim);
        for (key, value) in env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        Self::spawn_command(cmd, updates).await
    }

    /// Starts MCP with a shim command prepared by the caller (environment,
    /// working folder).
    pub async fn start_command(cmd: tokio::process::Command) -> Result<Mcp, String> {
        Self::spawn_command(cmd, Updates::default()).await
    }

    async fn spawn_command(cmd: tokio::process::Command, updates: Updates) -> Result<Mcp, String> {
        let (transport, _stderr) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start godot-mcp: {e}"))?;
        let service = updates
            .serve(transport)
            .await
            .map_err(|e| format!("MCP initialize failed: {e}"))?;
        Ok(Mcp { service })
    }

    /// Subscribes to a resource (`resources/subscribe`).
    pub async fn subscribe(&self, uri: &str) -> Result<(), String> {
        #[allow(deprecated)]
        self.service
            .subscribe(rmcp::model::SubscribeRequestParams::new(uri))
            .await
            .map_err(|e| e.to_string())
    }

    /// Reads a resource's text.
    pub async fn read_resource(&self, uri: &str) -> Result<Value, String> {
        let result = self
            .service
            .read_resource(rmcp::model::ReadResourceRequestParams::new(uri))
            .await
            .map_err(|e| e.to_string())?;
        match result.contents.first() {
            Some(rmcp::model::ResourceContents::TextResourceContents { text, .. }) => {
                serde_json::from_str(text).map_err(|e| e.to_string())
            }
            other => Err(format!("unexpected resource contents: {other:?}")),
        }
    }

    /// Reads a resource's text as it is (scripts and files are plain text).
    pub async fn resource_text(&self, uri: &str) -> Result<String, String> {
        let result = self
            .service
            .read_resource(rmcp::model::ReadResourceRequestParams::new(uri))
            .await
            .map_err(|e| e.to_string())?;
        match result.contents.first() {
            Some(rmcp::model::ResourceContents::TextResourceContents { text, .. }) => {
                Ok(text.clone())
            }
            other => Err(format!("unexpected resource contents: {other:?}")),
        }
    }

    /// The URI templates of `resources/templates/list`.
    pub async fn templates(&self) -> Result<Vec<String>, String> {
        let list = self
            .service
            .list_all_resource_templates()
            .await
            .map_err(|e| e.to_string())?;
        Ok(list.into_iter().map(|t| t.uri_template.clone()).collect())
    }

    pub async fn prompts(&self) -> Result<Vec<rmcp::model::Prompt>, String> {
        self.service
            .list_all_prompts()
            .await
            .map_err(|e| e.to_string())
    }

    /// The text of a prompt's messages, joined.
    pub async fn prompt(&self, name: &str, args: Value) -> Result<String, String> {
        let Value::Object(arguments) = args else {
            return Err("prompt arguments must be an object".into());
        };
        let result = self
            .service
            .get_prompt(rmcp::model::GetPromptRequestParams::new(name).with_arguments(arguments))
            .await
            .map_err(|e| e.to_string())?;
        let texts: Vec<String> = result
            .messages
            .iter()
            .map(|m| match &m.content {
                rmcp::model::ContentBlock::Text(t) => t.text.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        Ok(texts.join("\n"))
    }

    /// Completion values for a prompt argument (`prompt` set) or a resource
    /// template parameter, with earlier arguments as context.
    pub async fn complete(
        &self,
        reference: rmcp::model::Reference,
        argument: &str,
        value: &str,
        context: &[(&str, &str)],
    ) -> Result<Vec<String>, String> {
        let context = (!context.is_empty()).then(|| {
            rmcp::model::CompletionContext::with_arguments(
                context
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        });
        let mut request = rmcp::model::CompleteRequestParams::new(
            reference,
            rmcp::model::ArgumentInfo::new(argument, value),
        );
        request.context = context;
        let result = self
            .service
            .complete(request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(result.completion.values)
    }

    pub async fn resources(&self) -> Result<Vec<String>, String> {
        let list = self
            .service
            .list_all_resources()
            .await
            .map_err(|e| e.to_string())?;
        Ok(list.into_iter().map(|r| r.uri.clone()).collect())
    }

    pub async fn tools(&self) -> Result<Vec<Tool>, String> {
        self.service
            .list_all_tools()
            .await
            .map_err(|e| e.to_string())
    }

    /// Waits, up to a minute, until the editor's first scan is done and it
    /// has reopened its last scenes: a scene opened before that would be
    /// switched away from.
    pub async fn settled(&self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let state = self
                .call("get_editor_state", json!({}))
                .await
                .map_err(|e| e.to_string())?;
            if state["readiness"] == "ready" && state["edited_scene"].is_string() {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(format!("the editor never got ready: {state}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Calls a tool; a tool error comes back as the protocol's error body.
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ErrorBody> {
        let Value::Object(arguments) = args else {
            panic!("tool arguments must be an object");
        };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        let result = self.service.call_tool(params).await.map_err(|e| {
            ErrorBody::new(ErrorCode::InternalError, format!("MCP call failed: {e}"))
        })?;
        answer(result)
    }

    /// Calls a tool and returns the whole MCP result (content blocks too).
    pub async fn call_result(
        &self,
        name: &str,
        args: Value,
    ) -> Result<rmcp::model::CallToolResult, String> {
        let Value::Object(arguments) = args else {
            return Err("tool arguments must be an object".into());
        };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        self.service
            .call_tool(params)
            .await
            .map_err(|e| format!("MCP call failed: {e}"))
    }

    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}

/// A tool result as the tests read it: the JSON of its one text block, or
/// the error body a tool error carries there. A result in any other shape
/// (several blocks, `structuredContent`) is an error of its own.
pub fn answer(result: rmcp::model::CallToolResult) -> Result<Value, ErrorBody> {
    let shape = |why: &str| {
        ErrorBody::new(
            ErrorCode::InternalError,
            format!("{why}: {:?}", result.content),
        )
    };
    if result.structured_content.is_some() {
        return Err(shape("a result carries structuredContent"));
    }
    let [rmcp::model::ContentBlock::Text(text)] = result.content.as_slice() else {
        return Err(shape("a result is not one text block"));
    };
    let value: Value =
        serde_json::from_str(&text.text).map_err(|e| shape(&format!("not JSON ({e})")))?;
    if result.is_error == Some(true) {
        Err(serde_json::from_value::<ErrorBody>(value["error"].clone())
            .unwrap_or_else(|_| shape("a tool error without a body")))
    } else {
        Ok(value)
    }
}

/// A plain WebSocket client of the editor endpoint.
pub struct RawClient {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl RawClient {
    /// Connects to an editor and completes the handshake with its token.
    pub async fn connect(editor: &Editor) -> Result<RawClient, String> {
        let token = editor.discovery()?.token;
        let mut client = Self::connect_raw(editor.port).await?;
        let welcome = client
            .hello(&token, godot_mcp_protocol::PROTOCOL_VERSION)
            .await?;
        if welcome.get("session_id").is_none() {
            return Err(format!("no welcome: {welcome}"));
        }
        Ok(client)
    }

    /// Opens the WebSocket without saying hello.
    pub async fn connect_raw(port: u16) -> Result<RawClient, String> {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}"))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        Ok(RawClient { ws })
    }

    /// Sends a hello and returns the editor's first frame (welcome or refusal).
    pub async fn hello(&mut self, token: &str, protocol_version: u32) -> Result<Value, String> {
        self.send_text(
            json!({
                "protocol_version": protocol_version,
                "client_name": "e2e",
                "client_version": "0",
                "token": token,
            })
            .to_string(),
        )
        .await?;
        self.recv(Duration::from_secs(10)).await
    }

    pub async fn send_text(&mut self, text: String) -> Result<(), String> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.ws
            .send(Message::binary(bytes))
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn request(&mut self, id: u64, action: &str, params: Value) -> Result<(), String> {
        self.send_text(json!({"id": id, "action": action, "params": params}).to_string())
            .await
    }

    /// The next response (events are skipped), within `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> Result<Value, String> {
        loop {
            let frame = self.recv_any(timeout).await?;
            if frame.get("event").is_none() {
                return Ok(frame);
            }
        }
    }

    /// The next response's text as sent (events are skipped), within `timeout`.
    pub async fn recv_text(&mut self, timeout: Duration) -> Result<String, String> {
        loop {
            let next = tokio::time::timeout(timeout, self.ws.next())
                .await
                .map_err(|_| "no frame within the timeout".to_string())?;
            match next {
                Some(Ok(Message::Text(t))) if !t.as_str().starts_with("{\"event\"") => {
                    return Ok(t.as_str().to_owned());
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("connection closed".into()),
            }
        }
    }

    /// The next text frame as JSON, event or response, within `timeout`.
    pub async fn recv_any(&mut self, timeout: Duration) -> Result<Value, String> {
        loop {
            let next = tokio::time::timeout(timeout, self.ws.next())
                .await
                .map_err(|_| "no frame within the timeout".to_string())?;
            match next {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str()).map_err(|e| e.to_string());
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("connection closed".into()),
            }
        }
    }

    /// Waits for the connection to end; returns the close frame's code and reason.
    pub async fn closed(&mut self, timeout: Duration) -> Result<Option<(u16, String)>, String> {
        loop {
            let next = tokio::time::timeout(timeout, self.ws.next())
                .await
                .map_err(|_| "still open after the timeout".to_string())?;
            match next {
                Some(Ok(Message::Close(frame))) => {
                    return Ok(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Ok(None),
            }
        }
    }

    /// Drops the TCP connection without a close handshake.
    pub fn vanish(self) {
        drop(self.ws);
    }
}

/// The Godot errors in an editor log, except the headless renderer's own
/// (a headless editor cannot draw scene thumbnails and says so on save).
pub fn error_lines(log: &str) -> Vec<String> {
    let lines: Vec<String> = BufReader::new(log.as_bytes())
        .lines()
        .map_while(Result::ok)
        .collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("ERROR:"))
        .filter(|(i, _)| {
            !lines
                .get(i + 1)
                .is_some_and(|next| next.contains("servers/rendering/dummy/"))
        })
        .map(|(_, l)| l.clone())
        .collect()
}

/// Sends `signal` (`KILL`, `STOP`, ...) to the process group led by `pid`,
/// a child started with `process_group(0)`.
/// Resident memory of a process in bytes (Linux: from `/proc`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Every process below `pid` (Linux: read from `/proc`; elsewhere none).
pub fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((child, ppid))
        })
        .collect();
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(parent) = queue.pop() {
        for (child, _) in parents.iter().filter(|(_, p)| *p == parent) {
            if !found.contains(child) {
                found.push(*child);
                queue.push(*child);
            }
        }
    }
    found
}

fn kill_pid(pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

pub fn signal_group(pid: u32, signal: &str) {
    // std has no killpg; kill(1) takes a negative pid for a group.
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// Runs a headless Godot on `project` with `args`, its output going to
/// `log`, in a process group of its own that is killed at `timeout` (a game
/// stopped at a script error may never quit). Returns how it exited, `None`
/// when it was killed, and its output.
pub fn run_godot(
    godot: &Path,
    project: &Path,
    args: &[&str],
    log: &Path,
    timeout: Duration,
) -> Result<(Option<std::process::ExitStatus>, String), String> {
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(godot)
        .args(["--headless", "--path"])
        .arg(project)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", godot.display()))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(50)),
            _ => break None,
        }
    };
    // Whatever it started goes too.
    signal_group(child.id(), "KILL");
    let _ = child.wait();
    Ok((status, std::fs::read_to_string(log).unwrap_or_default()))
}

/// Runs a scene of `project` in a headless Godot for `frames` frames and
/// returns its output.
pub fn run_scene(
    godot: &Path,
    project: &Path,
    scene: &str,
    frames: u32,
    timeout: Duration,
) -> Result<String, String> {
    let log = project.with_extension(format!("run-{}.log", std::process::id()));
    let frames = frames.to_string();
    match run_godot(
        godot,
        project,
        &[scene, "--quit-after", &frames],
        &log,
        timeout,
    )? {
        (Some(_), output) => Ok(output),
        (None, output) => Err(format!(
            "{scene} did not quit within {} s:\n{}",
            timeout.as_secs(),
            tail(&output, 30)
        )),
    }
}
