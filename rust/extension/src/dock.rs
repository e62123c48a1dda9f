//! The editor dock: what this editor serves and to whom, at a glance.
//!
//! It shows the listening address and session id, the connected clients
//! (as their hello named them, and since when), the last calls with their
//! time and error code, and the script and game error counts; a menu of the
//! clients `godot-mcp setup` knows copies that client's entry or runs the
//! setup for it. Built from Godot's own controls, it is redrawn only when
//! the plugin sees a [`Stamp`] change: per frame that is a few integer
//! loads and one compare, and nothing asks the shim anything.
//!
//! The entries come from the shim binary itself (`setup CLIENT --entry`),
//! the one place that knows each client's format; it runs on a thread of
//! its own so the editor never waits for it, and is joined when the dock
//! goes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use godot::classes::control::SizeFlags;
use godot::classes::scroll_container::ScrollMode;
use godot::classes::{
    Button, Control, DisplayServer, HBoxContainer, IVBoxContainer, Label, OptionButton,
    ScrollContainer, Time, VBoxContainer,
};
use godot::prelude::*;
use godot_mcp_protocol::clients::{SETUP_CLIENTS, SHIM_RECORD};
use godot_mcp_protocol::commands::perf::{DockButton, DockReport};

use crate::server::Peer;

const NO_SHIM: &str =
    "godot-mcp not found: run `godot-mcp install` on this project, or set GODOT_MCP_SHIM";

/// Finished setup runs, so far; part of the [`Stamp`].
static JOBS_DONE: AtomicU64 = AtomicU64::new(0);

/// Everything the dock shows changes one of these; the plugin redraws the
/// dock only when the stamp differs from the one it last showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub peers: u64,
    pub calls: u64,
    pub script_errors: usize,
    pub game_errors: u64,
    pub jobs: u64,
}

impl Stamp {
    pub fn jobs_done() -> u64 {
        JOBS_DONE.load(Ordering::Acquire)
    }
}

/// What the dock shows, gathered when the stamp changed.
pub struct Status {
    pub address: String,
    pub session_id: String,
    pub peers: Vec<Peer>,
    pub calls: Vec<String>,
    pub script_errors: usize,
    pub game_errors: u64,
}

/// A `godot-mcp setup` run in progress.
struct Job {
    client: String,
    /// Copy its output instead of showing its last line.
    copy: bool,
    thread: JoinHandle<()>,
    outcome: Arc<Mutex<Option<Result<String, String>>>>,
}

#[derive(GodotClass)]
#[class(tool, init, base = VBoxContainer)]
pub struct GodotMcpDock {
    base: Base<VBoxContainer>,
    address: Option<Gd<Label>>,
    session: Option<Gd<Label>>,
    clients: Option<Gd<Label>>,
    errors: Option<Gd<Label>>,
    calls: Option<Gd<Label>>,
    result: Option<Gd<Label>>,
    menu: Option<Gd<OptionButton>>,
    buttons: Vec<Gd<Button>>,
    /// The `godot-mcp` binary, when one was found.
    shim: Option<PathBuf>,
    project: PathBuf,
    job: Option<Job>,
}

#[godot_api]
impl IVBoxContainer for GodotMcpDock {}

#[godot_api]
impl GodotMcpDock {
    /// Copies the chosen client's entry to the clipboard.
    #[func]
    fn copy_config(&mut self) {
        self.start("--entry", true);
    }

    /// Runs `godot-mcp setup` for the chosen client.
    #[func]
    fn run_setup(&mut self) {
        self.start("", false);
    }
}

impl GodotMcpDock {
    /// A dock inside a scroll area (`holder`), ready to be added to the editor.
    pub fn create(holder: &mut Gd<Control>, project: PathBuf) -> Gd<GodotMcpDock> {
        let mut scroll = ScrollContainer::new_alloc();
        scroll.set_horizontal_scroll_mode(ScrollMode::DISABLED);
        scroll.set_h_size_flags(SizeFlags::EXPAND_FILL);
        scroll.set_v_size_flags(SizeFlags::EXPAND_FILL);
        let mut dock = GodotMcpDock::new_alloc();
        scroll.add_child(&dock);
        holder.add_child(&scroll);
        dock.bind_mut().build(project);
        dock
    }

    fn build(&mut self, project: PathBuf) {
        self.project = project;
        self.shim = find_shim(&self.project);
        self.base_mut().set_h_size_flags(SizeFlags::EXPAND_FILL);
        let labels = [
            &mut self.address,
            &mut self.session,
            &mut self.clients,
            &mut self.errors,
            &mut self.calls,
        ];
        let mut made = Vec::new();
        for slot in labels {
            let mut label = Label::new_alloc();
            // Long rows are cut at the dock's edge rather than widening it.
            label.set_clip_text(true);
            label.set_h_size_flags(SizeFlags::EXPAND_FILL);
            made.push(label.clone());
            *slot = Some(label);
        }
        // The setup controls go above the rows that grow (clients, calls),
        // so they stay in view in a short dock.
        let (fixed, growing) = made.split_at(2);
        for label in fixed {
            self.base_mut().add_child(label);
        }

        let mut row = HBoxContainer::new_alloc();
        let mut menu = OptionButton::new_alloc();
        for name in SETUP_CLIENTS {
            menu.add_item(name);
        }
        menu.set_h_size_flags(SizeFlags::EXPAND_FILL);
        // Plain method callables: they die with the dock, so nothing of
        // ours is left connected when the library unloads.
        let me = self.to_gd();
        let mut copy = Button::new_alloc();
        copy.set_text("Copy config");
        copy.connect("pressed", &Callable::from_object_method(&me, "copy_config"));
        let mut run = Button::new_alloc();
        run.set_text("Run setup");
        run.connect("pressed", &Callable::from_object_method(&me, "run_setup"));
        row.add_child(&menu);
        row.add_child(&copy);
        row.add_child(&run);
        self.base_mut().add_child(&row);
        self.menu = Some(menu);
        self.buttons = vec![copy, run];

        let mut result = Label::new_alloc();
        result.set_clip_text(true);
        result.set_h_size_flags(SizeFlags::EXPAND_FILL);
        if self.shim.is_none() {
            result.set_text(NO_SHIM);
        }
        self.base_mut().add_child(&result);
        self.result = Some(result);
        for label in growing {
            self.base_mut().add_child(label);
        }
    }

    /// Redraws the rows from `status`, and takes a finished setup run.
    pub fn show(&mut self, status: &Status) {
        set(
            &mut self.address,
            &format!("Listening on {}", status.address),
        );
        set(&mut self.session, &format!("Session {}", status.session_id));
        let mut clients = format!("Clients: {}", status.peers.len());
        for peer in &status.peers {
            clients.push_str(&format!(
                "\n  {} {} since {}",
                short(&peer.name),
                short(&peer.version),
                clock(peer.since)
            ));
        }
        set(&mut self.clients, &clients);
        set(
            &mut self.errors,
            &format!(
                "Errors: script {}, game {}",
                status.script_errors, status.game_errors
            ),
        );
        let mut calls = format!("Last calls: {}", status.calls.len());
        for row in &status.calls {
            calls.push_str("\n  ");
            calls.push_str(row);
        }
        set(&mut self.calls, &calls);
        self.collect();
    }

    /// The dock as it shows now, read back from its controls.
    pub fn report(&self) -> DockReport {
        let area = self
            .base()
            .get_parent()
            .and_then(|p| p.try_cast::<Control>().ok())
            .map_or_else(|| self.base().get_global_rect(), |c| c.get_global_rect());
        let mut rows = Vec::new();
        for label in [
            &self.address,
            &self.session,
            &self.clients,
            &self.errors,
            &self.calls,
            &self.result,
        ]
        .into_iter()
        .flatten()
        {
            let text = label.get_text().to_string();
            rows.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        }
        let setup_clients = self.menu.as_ref().map_or_else(Vec::new, |menu| {
            (0..menu.get_item_count())
                .map(|i| menu.get_item_text(i).to_string())
                .collect()
        });
        let rect = |r: Rect2| [r.position.x, r.position.y, r.size.x, r.size.y];
        let buttons = self
            .buttons
            .iter()
            .map(|b| DockButton {
                text: b.get_text().to_string(),
                rect: rect(b.get_global_rect()),
            })
            .collect();
        DockReport {
            visible: self.base().is_visible_in_tree(),
            rect: rect(area),
            rows,
            setup_clients,
            buttons,
            shim: self.shim.as_ref().map(|p| p.display().to_string()),
        }
    }

    /// Runs `godot-mcp setup CLIENT [flag]` for the chosen client on a thread.
    fn start(&mut self, flag: &str, copy: bool) {
        if self.job.is_some() {
            return self.say("a setup is still running");
        }
        let Some(shim) = self.shim.clone() else {
            return self.say(NO_SHIM);
        };
        let Some(client) = self.menu.as_ref().map(|m| m.get_selected()) else {
            return;
        };
        let Some(client) = usize::try_from(client)
            .ok()
            .and_then(|i| SETUP_CLIENTS.get(i))
        else {
            return self.say("choose a client first");
        };
        let mut command = Command::new(shim);
        command
            .arg("setup")
            .arg(client)
            .arg("--project")
            .arg(&self.project)
            .current_dir(&self.project)
            .stdin(Stdio::null());
        // A Godot run from a private sysroot (`cargo xtask godot`) points
        // this at libraries a host binary must not load; ours needs none.
        #[cfg(target_os = "linux")]
        command.env_remove("LD_LIBRARY_PATH");
        if !flag.is_empty() {
            command.arg(flag);
        }
        let outcome = Arc::new(Mutex::new(None));
        let shared = Arc::clone(&outcome);
        let thread = std::thread::Builder::new()
            .name("godot-mcp setup".into())
            .spawn(move || {
                let result = match command.output() {
                    Ok(out) if out.status.success() => {
                        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
                    }
                    Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
                    Err(e) => Err(format!("cannot run godot-mcp: {e}")),
                };
                *shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                JOBS_DONE.fetch_add(1, Ordering::AcqRel);
            });
        match thread {
            Ok(thread) => {
                self.job = Some(Job {
                    client: (*client).to_owned(),
                    copy,
                    thread,
                    outcome,
                });
                self.say(&format!("running setup for {client}..."));
            }
            Err(e) => self.say(&format!("cannot start setup: {e}")),
        }
    }

    /// Takes a finished setup run: copies its entry or shows its last line.
    fn collect(&mut self) {
        let outcome = self
            .job
            .as_ref()
            .and_then(|j| j.outcome.lock().unwrap_or_else(|e| e.into_inner()).take());
        // A run still going stays: the rows are redrawn meanwhile.
        let Some(outcome) = outcome else {
            return;
        };
        let Some(job) = self.job.take() else {
            return;
        };
        // It has written its outcome: only its ending is left.
        let _ = job.thread.join();
        let line = match outcome {
            Ok(text) if job.copy => {
                DisplayServer::singleton().clipboard_set(&text);
                format!("copied the {} entry", job.client)
            }
            Ok(text) => last_line(&text),
            Err(why) => format!("setup {} failed: {}", job.client, last_line(&why)),
        };
        self.say(&line);
    }

    fn say(&mut self, line: &str) {
        set(&mut self.result, line);
    }

    /// Waits for a setup still running; called before the dock is freed.
    pub fn stop(&mut self) {
        if let Some(job) = self.job.take() {
            let _ = job.thread.join();
        }
    }
}

fn set(label: &mut Option<Gd<Label>>, text: &str) {
    if let Some(label) = label {
        label.set_text(text);
    }
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// A client's own words, kept to a row.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// The local time of day of `at`, as `HH:MM:SS`.
fn clock(at: SystemTime) -> String {
    let unix = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let time = Time::singleton();
    let bias_minutes: i64 = time
        .get_time_zone_from_system()
        .get("bias")
        .and_then(|v| v.try_to::<i64>().ok())
        .unwrap_or(0);
    time.get_time_string_from_unix_time(unix + bias_minutes * 60)
        .to_string()
}

/// The `godot-mcp` binary: `GODOT_MCP_SHIM`, else the one that installed
/// the addon, else beside the addon's real folder as the release archive and
/// a checkout lay it out, else on `PATH`.
fn find_shim(project: &Path) -> Option<PathBuf> {
    shim_in(
        project,
        std::env::var_os("GODOT_MCP_SHIM")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        std::env::var_os("PATH"),
    )
}

fn shim_in(
    project: &Path,
    named: Option<PathBuf>,
    path: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let name = if cfg!(windows) {
        "godot-mcp.exe"
    } else {
        "godot-mcp"
    };
    if let Some(named) = named {
        return named.is_file().then_some(named);
    }
    let installer = std::fs::read_to_string(project.join(SHIM_RECORD))
        .ok()
        .map(|text| PathBuf::from(text.trim_end_matches(['\n', '\r'])));
    let addon = project.join("addons/godot_mcp").canonicalize().ok();
    let beside = addon
        .as_ref()
        .and_then(|a| a.parent()?.parent())
        .map(|root| [root.join(name), root.join("target/release").join(name)]);
    installer
        .into_iter()
        .chain(beside.into_iter().flatten())
        .find(|p| p.is_file())
        .or_else(|| {
            std::env::split_paths(&path?)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_shim_is_the_installer_else_beside_a_linked_addon_else_on_path() {
        let root = std::env::temp_dir().join(format!("godot-mcp-dock-{}", std::process::id()));
        let (archive, project, bin) = (root.join("archive"), root.join("game"), root.join("bin"));
        for dir in [
            archive.join("addons/godot_mcp"),
            project.join("addons"),
            bin.clone(),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::os::unix::fs::symlink(
            archive.join("addons/godot_mcp"),
            project.join("addons/godot_mcp"),
        )
        .unwrap();
        let path = Some(bin.clone().into_os_string());
        assert_eq!(shim_in(&project, None, path.clone()), None);
        std::fs::write(bin.join("godot-mcp"), "").unwrap();
        assert_eq!(
            shim_in(&project, None, path.clone()),
            Some(bin.join("godot-mcp"))
        );
        std::fs::write(archive.join("godot-mcp"), "").unwrap();
        let found = shim_in(&project, None, path.clone()).unwrap();
        assert_eq!(found, archive.canonicalize().unwrap().join("godot-mcp"));
        std::fs::create_dir_all(project.join(".godot")).unwrap();
        let installer = root.join("installer");
        std::fs::write(
            project.join(SHIM_RECORD),
            format!("{}\n", installer.display()),
        )
        .unwrap();
        assert_eq!(shim_in(&project, None, path.clone()).unwrap(), found);
        std::fs::write(&installer, "").unwrap();
        assert_eq!(shim_in(&project, None, path.clone()), Some(installer));
        let named = root.join("elsewhere");
        assert_eq!(shim_in(&project, Some(named.clone()), path), None);
        std::fs::remove_dir_all(root).unwrap();
    }
}
