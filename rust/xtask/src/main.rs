//! `cargo xtask`: the project's own build, run and test commands.
//!
//! - `cargo xtask godot`: print the path of a runnable Godot 4.6+ (provisioning one if needed)
//! - `cargo xtask build`: release shim and extension, library copied into `addons/godot_mcp/bin/`
//! - `cargo xtask run [--demo]`: open the sample project in a real editor and serve MCP
//! - `cargo xtask test`: the whole suite: format, lints, unit tests, end-to-end tests
//! - `cargo xtask bench [--quick | --trees | --play | --windowed]`: latency, throughput and footprint against a real editor (`--trees`: the scene trees only; `--play`: the play-test tools only; `--windowed`: a windowed editor, focused and not, called seconds apart)
//! - `cargo xtask soak [--minutes N] [--headless]`: a mixed workload against a real editor for N minutes, a row of RSS, frame times, latency and errors per minute
//! - `cargo xtask dist`: the release archive `dist/godot-mcp-<version>-<os>-<arch>.tar.gz` (zip on Windows) and its SHA-256 sums
//! - `cargo xtask fuzz [--seconds N] [--target T]`: coverage-guided fuzzing of the decoders and parsers (nightly, cargo-fuzz), N seconds per target
//! - `cargo xtask classes`: regenerate the offline class list from Godot's extension API

#![forbid(unsafe_code)]

mod classes;
mod demo;
mod fuzz;
mod godot;

use godot_mcp_e2e::workspace_root as root;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("godot") => godot::ensure_godot().map(|p| println!("{}", p.display())),
        Some("build") => build().map(drop),
        Some("run") => run(args.iter().any(|a| a == "--demo")),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("dist") => dist(),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("soak") => soak(&args[1..]),
        Some("classes") => godot::ensure_godot().and_then(|g| classes::regenerate(&g)),
        _ => Err(
            "usage: cargo xtask <godot | build | run [--demo] | test [e2e-filter] | bench [--quick | --trees | --play | --windowed] | dist | soak [--minutes N] [--headless] | fuzz [--seconds N] [--target T] | classes>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn status(cmd: &mut Command, what: &str) -> Result {
    let ok = cmd.status().map_err(|e| format!("{what}: {e}"))?.success();
    ok.then_some(()).ok_or_else(|| format!("{what} failed"))
}

/// Paths of the built artefacts.
struct Built {
    shim: PathBuf,
    library: PathBuf,
}

fn build() -> Result<Built> {
    build_with(&[])
}

/// The extension feature the e2e suite needs: a hidden command that panics
/// halfway through an edit. Only the test build has it, and since the suite
/// builds once with it, it costs no second release build.
const TEST_FEATURES: [&str; 2] = ["--features", "godot-mcp-extension/test-panic"];

fn build_with(features: &[&str]) -> Result<Built> {
    let start = Instant::now();
    status(
        cargo()
            .args([
                "build",
                "--release",
                "-p",
                "godot-mcp",
                "-p",
                "godot-mcp-extension",
            ])
            .args(features),
        "cargo build --release",
    )?;
    let target = root().join("target/release");
    let (lib_name, shim_name) = if cfg!(windows) {
        ("godot_mcp.dll", "godot-mcp.exe")
    } else if cfg!(target_os = "macos") {
        ("libgodot_mcp.dylib", "godot-mcp")
    } else {
        ("libgodot_mcp.so", "godot-mcp")
    };
    let bin = root().join("addons/godot_mcp/bin");
    std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    let library = bin.join(lib_name);
    // Copy then rename, so an editor holding the old library mapped is not corrupted.
    let tmp = bin.join(format!(".{lib_name}.tmp"));
    std::fs::copy(target.join(lib_name), &tmp)
        .and_then(|_| std::fs::rename(&tmp, &library))
        .map_err(|e| format!("installing {lib_name}: {e}"))?;
    let built = Built {
        shim: target.join(shim_name),
        library,
    };
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1_048_576.0)
            .unwrap_or(0.0)
    };
    eprintln!(
        "built in {:.1} s: {} ({:.1} MiB), {} ({:.1} MiB)",
        start.elapsed().as_secs_f64(),
        built.shim.display(),
        size(&built.shim),
        built.library.display(),
        size(&built.library)
    );
    Ok(built)
}

/// Builds and packs the release archive into `dist/`.
fn dist() -> Result {
    let built = build()?;
    let out = root().join("dist");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let addon = root().join("addons/godot_mcp");
    let (archive, sums) = godot_mcp_e2e::dist::package(&root(), &built.shim, &addon, &out)?;
    let size = std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "{} ({:.1} MiB), sums in {}",
        archive.display(),
        size as f64 / 1_048_576.0,
        sums.display()
    );
    Ok(())
}

fn run(demo: bool) -> Result {
    let godot = godot::ensure_godot()?;
    let built = build()?;
    demo::run(&godot, &built.shim, demo)
}

/// Runs the benchmark against a real editor; it prints a table and writes
/// `target/bench/latest.json`.
fn bench(args: &[String]) -> Result {
    let godot = godot::ensure_godot()?;
    if args.iter().any(|a| a == "--windowed") {
        godot::ensure_xvfb()?;
        godot::ensure_xdotool()?;
    }
    let built = build()?;
    status(
        cargo()
            .args(["bench", "-p", "godot-mcp-e2e", "--bench", "editor", "--"])
            .args(args)
            .env("GODOT", &godot)
            .env("GODOT_MCP_SHIM", &built.shim),
        "benchmark",
    )
}

/// Drives a real editor through the shim for a while; prints a row a minute
/// and fails on an unexpected error, RSS growth or an unstable p99.
fn soak(args: &[String]) -> Result {
    let godot = godot::ensure_godot()?;
    if !args.iter().any(|a| a == "--headless") {
        godot::ensure_xvfb()?;
    }
    let built = build()?;
    status(
        cargo()
            .args(["bench", "-p", "godot-mcp-e2e", "--bench", "soak", "--"])
            .args(args)
            .env("GODOT", &godot)
            .env("GODOT_MCP_SHIM", &built.shim),
        "soak",
    )
}

fn test(filter: &[String]) -> Result {
    let start = Instant::now();
    status(
        cargo().args(["fmt", "--all", "--", "--check"]),
        "cargo fmt --check",
    )?;
    status(
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy",
    )?;
    let godot = godot::ensure_godot()?;
    godot::ensure_xvfb()?;
    godot::ensure_xdotool()?;
    let built = build_with(&TEST_FEATURES)?;
    status(
        cargo()
            .args(["test", "--workspace", "--release"])
            .args(["--exclude", "godot-mcp-e2e"])
            .args(TEST_FEATURES),
        "unit tests",
    )?;
    status(
        cargo()
            .args([
                "test",
                "--release",
                "-p",
                "godot-mcp-e2e",
                "--test",
                "e2e",
                "--",
            ])
            .args(filter)
            .env("GODOT", &godot)
            .env("GODOT_MCP_SHIM", &built.shim),
        "end-to-end tests",
    )?;
    eprintln!(
        "cargo xtask test: all green in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
