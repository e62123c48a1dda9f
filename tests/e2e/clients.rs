//! Clients we did not write. The official TypeScript SDK (compiling every
//! input schema with Ajv in strict mode) and the official Python SDK list
//! the tools of each selection and call tools with and without an editor
//! (tests/clients/check.mjs and check.py; each test installs its SDK first).
//! And a shim started with only the environment Codex passes finds an
//! editor whose discovery file is under `/run/user/<uid>`.

use std::path::{Path, PathBuf};
use std::process::Command;

use godot_mcp_e2e::{
    Editor, EditorOptions, Mcp, TestResult, godot_binary, sample_project_copy, shim_binary,
    workspace_root,
};
use godot_mcp_protocol::catalog::Selection;
use serde_json::{Value, json};

use crate::foundation::F;
use crate::{Suite, ensure};

pub async fn run(suite: &mut Suite, filter: Option<&str>) {
    F::run_tests(
        "clients",
        suite,
        filter,
        &[
            ("clients_typescript_sdk_lists_compiles_and_calls", |f| {
                Box::pin(typescript(f))
            }),
            ("clients_python_sdk_lists_and_calls", |f| {
                Box::pin(python(f))
            }),
        ],
    )
    .await;
    let name = "clients_codex_environment_finds_the_editor_under_run_user";
    if filter.is_none_or(|f| name.contains(f)) {
        suite
            .run(&(), name, |_| Box::pin(codex_environment()))
            .await;
    }
}

fn clients_dir() -> PathBuf {
    workspace_root().join("tests/clients")
}

/// Runs a checker script and passes when it exits 0; its lines are shown.
fn run_checker(f: &F, program: &Path, script: &str) -> TestResult {
    let empty = std::env::temp_dir().join(format!("godot-mcp-clients-{}", std::process::id()));
    std::fs::create_dir_all(&empty).map_err(|e| e.to_string())?;
    let expect =
        |selection: Selection| -> Vec<&str> { selection.commands().map(|c| c.name).collect() };
    let expected = json!({
        "default": expect(Selection::default()),
        "all": expect(Selection::all()),
        "read-only": expect(Selection::parse("all", true)?),
    });
    let editor_env = json!({
        "GODOT_MCP_PORT": f.editor.port.to_string(),
        godot_mcp_protocol::discovery::DIR_ENV: f.editor.runtime_dir.display().to_string(),
    });
    let out = Command::new(program)
        .arg(clients_dir().join(script))
        .arg(shim_binary()?)
        .current_dir(clients_dir())
        .env("CHECK_EXPECT", expected.to_string())
        .env("CHECK_EDITOR_ENV", editor_env.to_string())
        .env("CHECK_EMPTY_DIR", &empty)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let _ = std::fs::remove_dir_all(&empty);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with("ok ")) {
        println!("    {line}");
    }
    let checks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    println!("    {checks} checks passed");
    ensure!(
        out.status.success(),
        "{script} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(checks > 20, "too few checks ran: {checks}");
    Ok(())
}

/// `npm ci` into tests/clients, from the committed lock file.
fn install_typescript_sdk() -> TestResult {
    if clients_dir()
        .join("node_modules/@modelcontextprotocol/sdk/package.json")
        .exists()
        && clients_dir().join("node_modules/ajv/package.json").exists()
    {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(clients_dir())
        .status()
        .map_err(|e| format!("cannot run npm (Node.js is needed): {e}"))?;
    ensure!(status.success(), "npm ci failed: {status}");
    Ok(())
}

async fn typescript(f: &F) -> TestResult {
    install_typescript_sdk()?;
    run_checker(f, Path::new("node"), "check.mjs")
}

/// A venv under target/ with the pinned `mcp` from PyPI.
fn install_python_sdk() -> Result<PathBuf, String> {
    let venv = workspace_root().join("target/e2e-python");
    let python = venv.join("bin/python");
    let has_sdk = |python: &Path| {
        Command::new(python)
            .args(["-c", "import mcp.client.stdio"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if python.exists() && has_sdk(&python) {
        return Ok(python);
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    ensure!(status.success(), "python3 -m venv failed: {status}");
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(clients_dir().join("requirements.txt"))
        .status()
        .map_err(|e| e.to_string())?;
    ensure!(status.success(), "pip install failed: {status}");
    Ok(python)
}

async fn python(f: &F) -> TestResult {
    let python = install_python_sdk()?;
    run_checker(f, &python, "check.py")
}

/// The variables Codex passes to a stdio server, and nothing else.
const CODEX_ENV: &[&str] = &[
    "HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ",
];

/// `/run/user/<uid>`, made for the test when the machine has none.
struct RunUser {
    dir: PathBuf,
    made: bool,
}

impl RunUser {
    fn ensure() -> Result<RunUser, String> {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        let uid = std::fs::metadata("/proc/self")
            .map_err(|e| e.to_string())?
            .uid();
        let dir = PathBuf::from(format!("/run/user/{uid}"));
        if dir.is_dir() {
            return Ok(RunUser { dir, made: false });
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        Ok(RunUser { dir, made: true })
    }
}

impl Drop for RunUser {
    fn drop(&mut self) {
        if self.made {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

async fn codex_environment() -> TestResult {
    let run_user = RunUser::ensure()?;
    let project = sample_project_copy("codex")?;
    let options = EditorOptions {
        port: None,
        runtime_dir: Some(run_user.dir.join("godot-mcp")),
        ..EditorOptions::default()
    };
    let mut editor = Editor::start(&godot_binary()?, &project, options)?;
    let mut cmd = tokio::process::Command::new(shim_binary()?);
    cmd.env_clear();
    for key in CODEX_ENV {
        if let Some(value) = std::env::var_os(key).filter(|_| *key != "XDG_RUNTIME_DIR") {
            cmd.env(key, value);
        }
    }
    // Codex starts the server in the user's project; with several editors
    // open, that is how the shim knows which one is meant.
    cmd.current_dir(&project);
    let outcome = async {
        let mcp = Mcp::start_command(cmd).await?;
        let state = mcp.call("get_editor_state", json!({})).await;
        mcp.close().await;
        let state = state.map_err(|e| format!("get_editor_state: {e}"))?;
        let want = std::fs::canonicalize(&project).map_err(|e| e.to_string())?;
        let got = state["project_path"].as_str().map(PathBuf::from);
        let got = got.and_then(|p| std::fs::canonicalize(p).ok());
        ensure!(got.as_deref() == Some(want.as_path()), "{state}");
        ensure!(state["session_id"] != Value::Null, "{state}");
        println!(
            "    found {} under {}",
            state["session_id"],
            run_user.dir.display()
        );
        Ok(())
    }
    .await;
    editor.kill();
    let _ = std::fs::remove_dir_all(&project);
    outcome
}
