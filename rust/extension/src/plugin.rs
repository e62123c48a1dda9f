//! The editor plugin: starts the endpoint when the editor loads it, drains
//! requests and publishes events every frame, and stops everything (and
//! removes its discovery file) when it leaves the tree.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use godot::classes::editor_dock::DockSlot;
use godot::classes::{Control, EditorDock, EditorPlugin, IEditorPlugin, Os, ProjectSettings};
use godot::prelude::*;
use godot_mcp_protocol::discovery::{self, Discovery};
use godot_mcp_protocol::{PROTOCOL_VERSION, Welcome};

use crate::debugger::GodotMcpDebugger;
use crate::dispatch::Dispatcher;
use crate::dock::{GodotMcpDock, Stamp, Status};
use crate::editor_log::Logging;
use crate::handlers::{self, Ctx};
use crate::server::{Identity, PortChoice, Server};
use crate::wake::{OsSleep, Pace, Wake};
use crate::watch::{self, Watch};

/// Requests handled per frame at most, unless `GODOT_MCP_MAX_PER_FRAME` says otherwise.
const DEFAULT_CAP: u32 = 32;
/// Milliseconds of handler time per frame, unless `GODOT_MCP_FRAME_BUDGET_MS` says otherwise.
const DEFAULT_BUDGET_MS: u64 = 4;
/// How long an edit waits for an import to finish, unless `GODOT_MCP_IMPORT_WAIT_MS` says otherwise.
const DEFAULT_IMPORT_WAIT_MS: u64 = 10_000;
/// The engine's sleep between frames while the plugin works or listens, unless
/// `GODOT_MCP_AWAKE_SLEEP_US` says otherwise.
const DEFAULT_AWAKE_SLEEP_US: u64 = 250;
/// How long after a call the plugin listens between frames, unless `GODOT_MCP_LINGER_MS`
/// says otherwise (0: not at all).
const DEFAULT_LINGER_MS: u64 = 600_000;
/// Time per frame for checking changed scripts in the background.
const SCRIPT_CHECK_BUDGET: Duration = Duration::from_millis(2);

struct Running {
    /// Declared first so the logger is removed before anything else stops.
    _logging: Logging,
    server: Server,
    dispatcher: Dispatcher<Ctx>,
    ctx: Ctx,
    watch: Watch,
    discovery_file: Option<PathBuf>,
    /// Removes what saves killed earlier left behind; joined before unload.
    sweep: Option<std::thread::JoinHandle<()>>,
    dock: Option<Docked>,
}

/// The dock in the editor, and the state it last showed.
struct Docked {
    holder: Gd<EditorDock>,
    dock: Gd<GodotMcpDock>,
    shown: Option<Stamp>,
}

impl Docked {
    fn add(plugin: &mut Gd<EditorPlugin>) -> Docked {
        let mut holder = EditorDock::new_alloc();
        holder.set_title("MCP");
        holder.set_layout_key("godot_mcp");
        holder.set_default_slot(DockSlot::RIGHT_BL);
        let dock = GodotMcpDock::create(
            &mut holder.clone().upcast::<Control>(),
            handlers::project_root(),
        );
        plugin.add_dock(&holder);
        Docked {
            holder,
            dock,
            shown: None,
        }
    }

    /// Redraws the dock when what it shows has changed; otherwise only
    /// compares a few numbers.
    fn refresh(&mut self, server: &Server, ctx: &Ctx) {
        let stamp = Stamp {
            peers: server.peers_version(),
            calls: ctx.calls.version(),
            script_errors: ctx.scripts.broken_count(),
            game_errors: ctx.runs.borrow().error_count(),
            jobs: Stamp::jobs_done(),
        };
        if self.shown == Some(stamp) {
            return;
        }
        self.shown = Some(stamp);
        let status = Status {
            address: format!("ws://{}", server.addr),
            session_id: ctx.session_id.clone(),
            peers: server.peers(),
            calls: ctx.calls.recent().map(crate::calls::Call::row).collect(),
            script_errors: stamp.script_errors,
            game_errors: stamp.game_errors,
        };
        self.dock.bind_mut().show(&status);
    }

    fn remove(mut self, plugin: &mut Gd<EditorPlugin>) {
        self.dock.bind_mut().stop();
        plugin.remove_dock(&self.holder);
        self.holder.free();
    }
}

impl Running {
    fn stop(&mut self) {
        if let Some(mut wake) = self.ctx.wake.take() {
            wake.restore();
        }
        self.watch.stop();
        self.server.stop();
        if let Some(sweep) = self.sweep.take() {
            let _ = sweep.join();
        }
        if let Some(file) = self.discovery_file.take() {
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(GodotClass)]
#[class(tool, init, base = EditorPlugin)]
pub struct GodotMcpPlugin {
    running: Option<Running>,
    base: Base<EditorPlugin>,
}

#[godot_api]
impl IEditorPlugin for GodotMcpPlugin {
    fn enter_tree(&mut self) {
        let started = Instant::now();
        let debugger = GodotMcpDebugger::new_gd();
        self.base_mut().add_debugger_plugin(&debugger);
        match start(debugger) {
            Ok(mut running) => {
                running.ctx.frames.startup = started.elapsed();
                godot_print!(
                    "godot-mcp: listening on ws://{} (session {})",
                    running.server.addr,
                    running.ctx.session_id
                );
                if dock_wanted() {
                    let docked = Docked::add(&mut self.base_mut());
                    running.ctx.dock = Some(docked.dock.clone());
                    running.dock = Some(docked);
                }
                self.running = Some(running);
            }
            Err(e) => godot_error!("godot-mcp: not started: {e}"),
        }
    }

    fn exit_tree(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.ctx.dock = None;
            if let Some(docked) = running.dock.take() {
                docked.remove(&mut self.base_mut());
            }
            running.stop();
            if let Some(mut debugger) = running.ctx.debugger.take() {
                debugger.bind_mut().stop();
                self.base_mut().remove_debugger_plugin(&debugger);
            }
            godot_print!("godot-mcp: stopped");
        }
    }

    fn process(&mut self, _delta: f64) {
        let Some(running) = &mut self.running else {
            return;
        };
        let entered = Instant::now();
        let readiness = watch::readiness();
        running.server.set_readiness(readiness);
        // Runs are settled before requests read them.
        let playing = godot::classes::EditorInterface::singleton().is_playing_scene();
        running.ctx.runs.borrow_mut().refresh(playing);
        let busy = running.serve(entered, entered);
        for event in running.watch.poll(readiness) {
            running.server.broadcast(&event);
        }
        running.ctx.scripts.tick(SCRIPT_CHECK_BUDGET);
        if let Some(docked) = &mut running.dock {
            docked.refresh(&running.server, &running.ctx);
        }
        if !busy {
            running.ctx.frames.idle_overhead(entered.elapsed());
        }
        running.listen(entered);
    }
}

impl Running {
    /// Handles what requests this frame allows; true when any were about.
    fn serve(&mut self, entered: Instant, now: Instant) -> bool {
        let drained = self.dispatcher.drain(&self.server.inbound, &mut self.ctx);
        let ctx = &mut self.ctx;
        let awake = ctx.wake.as_ref().is_some_and(|w| w.is_awake());
        let spent = drained.worked().then(|| now.elapsed());
        if now == entered {
            ctx.frames.frame(now, awake || drained.busy(), spent);
        } else if let Some(spent) = spent {
            ctx.frames.requests(spent);
        }
        if let Some(wake) = &mut ctx.wake {
            wake.tick(drained.busy(), self.server.clients(), now);
        }
        drained.busy()
    }

    /// Ends the frame by waiting for a request until the editor's next
    /// frame is due, while an agent is about (see `wake`); one that arrives
    /// is handled at once.
    fn listen(&mut self, entered: Instant) {
        let draws = || godot::classes::RenderingServer::singleton().has_changed();
        let wait = self
            .ctx
            .wake
            .as_mut()
            .and_then(|w| w.listen_for(entered, draws(), Instant::now()));
        if let Some(wait) = wait {
            let mut select = crossbeam_channel::Select::new();
            select.recv(&self.server.inbound);
            let woken = select.ready_timeout(wait).is_ok();
            if let Some(wake) = &mut self.ctx.wake {
                wake.listened(woken);
            }
            if woken {
                self.serve(entered, Instant::now());
            }
        }
        if let Some(wake) = &mut self.ctx.wake {
            wake.leave(Instant::now());
        }
    }
}

fn start(debugger: Gd<GodotMcpDebugger>) -> Result<Running, crate::ExtensionError> {
    let port = match godot_mcp_protocol::port_from_env()? {
        Some(port) => PortChoice::Exactly(port),
        None => PortChoice::FirstFreeFrom(godot_mcp_protocol::DEFAULT_PORT),
    };
    let cap = env_number("GODOT_MCP_MAX_PER_FRAME", u64::from(DEFAULT_CAP)) as u32;
    let budget = Duration::from_millis(env_number("GODOT_MCP_FRAME_BUDGET_MS", DEFAULT_BUDGET_MS));
    let import_wait = Duration::from_millis(env_number(
        "GODOT_MCP_IMPORT_WAIT_MS",
        DEFAULT_IMPORT_WAIT_MS,
    ));

    let mut random = [0u8; 18];
    getrandom::fill(&mut random).map_err(|e| crate::ExtensionError::Random(e.to_string()))?;
    let token: String = random[..16].iter().map(|b| format!("{b:02x}")).collect();
    let project_name = ProjectSettings::singleton()
        .get_setting("application/config/name")
        .to_string();
    let session_id =
        discovery::session_id(&project_name, u16::from_le_bytes([random[16], random[17]]));
    let project_path = handlers::project_root().display().to_string();
    let pid = u32::try_from(Os::singleton().get_process_id()).unwrap_or_default();
    let welcome = Welcome {
        session_id: session_id.clone(),
        godot_version: handlers::godot_version(),
        project_path: project_path.clone(),
        project_name: project_name.clone(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: PROTOCOL_VERSION,
        readiness: watch::readiness(),
        editor_pid: pid,
        proof: String::new(),
    };
    let server = Server::start(
        port,
        Identity {
            token: token.clone(),
            welcome,
        },
    )?;
    let record = Discovery {
        session_id: session_id.clone(),
        port: server.addr.port(),
        token,
        project_path,
        project_name,
        pid,
        protocol_version: PROTOCOL_VERSION,
    };
    // Without the file only clients told the port and token can connect;
    // the editor itself is fine, so say so and go on.
    let discovery_file = match record.write(&discovery::dir()) {
        Ok(path) => Some(path),
        Err(e) => {
            godot_warn!("godot-mcp: cannot write the discovery file: {e}");
            None
        }
    };
    let runs = debugger.bind().runs.clone();
    Ok(Running {
        _logging: Logging::start(),
        server,
        dispatcher: Dispatcher::new(handlers::router(), cap, budget, import_wait),
        ctx: Ctx {
            session_id,
            debugger: Some(debugger),
            wake: Some(Wake::new(
                OsSleep,
                std::env::var("GODOT_MCP_WAKE").map_or(true, |v| v.trim() != "0"),
                pace(),
            )),
            runs,
            ..Ctx::default()
        },
        watch: Watch::start(),
        discovery_file,
        sweep: start_sweep(),
        dock: None,
    })
}

/// Sweeps the project off the main thread: a big project takes a while.
fn start_sweep() -> Option<std::thread::JoinHandle<()>> {
    let root = handlers::project_root();
    std::thread::Builder::new()
        .name("godot-mcp sweep".into())
        .spawn(move || {
            for path in handlers::leftovers::sweep(&root) {
                eprintln!(
                    "godot-mcp: removed {}, left by a save that was killed",
                    path.display()
                );
            }
        })
        .ok()
}

fn pace() -> Pace {
    let usec = |name, default| i64::try_from(env_number(name, default)).unwrap_or(i64::MAX);
    Pace {
        short_sleep_us: usec("GODOT_MCP_AWAKE_SLEEP_US", DEFAULT_AWAKE_SLEEP_US),
        // Zero is meaningful here: no lingering.
        linger: Duration::from_millis(
            std::env::var("GODOT_MCP_LINGER_MS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(DEFAULT_LINGER_MS),
        ),
    }
}

/// The dock is on unless `GODOT_MCP_DOCK=0` (for measuring without it).
fn dock_wanted() -> bool {
    std::env::var("GODOT_MCP_DOCK").map_or(true, |v| v.trim() != "0")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}
