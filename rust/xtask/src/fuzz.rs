//! `cargo xtask fuzz`: coverage-guided fuzzing of the parsers that take
//! outside input, with cargo-fuzz on the nightly toolchain.
//!
//! The targets live in `rust/fuzz`, a workspace of its own so that stable
//! builds never compile them. Corpora, artifacts and logs stay under
//! `target/fuzz`, seeded from the sample project and a few valid frames, so
//! a run leaves nothing in the source tree. A finding is an input libFuzzer
//! saved as a crash, timeout, leak or out-of-memory; any finding fails the
//! command after every target has had its turn.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Result, root, status};

/// Every target, in the order they run.
const TARGETS: [&str; 4] = ["wire", "hello", "value", "tscn"];

/// A few valid inputs per target, so the fuzzer starts from the real shapes.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let text = |items: &[&str]| items.iter().map(|s| s.as_bytes().to_vec()).collect();
    match target {
        "wire" => text(&[
            r#"{"id":12,"action":"add_node","params":{"type":"Node2D","name":"A"}}"#,
            r#"{"id":1,"success":true,"result":{"a":[1,2]},"readiness":"ready"}"#,
            r#"{"id":2,"success":false,"error":{"code":"NODE_NOT_FOUND","message":"m","hint":"h"}}"#,
            r#"{"event":"scene_changed","data":{"path":"res://a.tscn"}}"#,
            "\u{7}0 {\"token\":\"t\"}\n3 {\"ok\":true}\n",
        ]),
        "hello" => text(&[
            &format!(
                r#"{{"protocol_version":{},"client_name":"c","client_version":"1","token":"0123456789abcdef0123456789abcdef","nonce":"n"}}"#,
                godot_mcp_protocol::PROTOCOL_VERSION
            ),
            r#"{"protocol_version":1,"editor_version":"4.6","proof":"p"}"#,
        ]),
        // The first byte picks the Variant kind (by ordinal) and the hint.
        "value" => text(&[
            "\u{5}Vector2(1, 2)",
            "\u{5}[10, 20]",
            "\u{5}{\"x\": 1, \"y\": 2}",
            "\u{14}\"#ff0000\"",
            "\u{14}Color(1, 0, 0, 1)",
            "\u{12}Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0)",
            "\u{1b}[{\"k\": Vector2(1, 2)}, Array[int]([1, 2]), &\"sn\", NodePath(\"a:b\")]",
            "\u{22}PackedVector2Array(1, 2, 3, 4)",
            "\u{a2}\"A|C\"",
        ]),
        _ => project_files(&root().join("godot_project")),
    }
}

fn project_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with(".godot") {
            out.extend(project_files(&path));
        } else if path.extension().is_some_and(|e| e == "tscn" || e == "tres") {
            out.extend(std::fs::read(&path));
        }
    }
    out
}

/// `--seconds N` (default 60) per target; `--target T` for one only.
pub fn run(args: &[String]) -> Result {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let seconds: u64 = match value("--seconds") {
        Some(s) => s
            .parse()
            .map_err(|_| format!("--seconds {s}: not a number"))?,
        None => 60,
    };
    let targets: Vec<&str> = match value("--target") {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => {
            return Err(format!(
                "no fuzz target {t}; targets: {}",
                TARGETS.join(", ")
            ));
        }
        None => TARGETS.to_vec(),
    };
    ensure_cargo_fuzz()?;
    let work = root().join("target/fuzz");
    let mut findings_total = 0;
    let mut lines = Vec::new();
    for target in targets {
        let line = fuzz_one(target, seconds, &work)?;
        findings_total += line.findings;
        eprintln!("{}", line.text);
        lines.push(line.text);
    }
    println!("fuzz, {seconds} s per target:");
    for line in &lines {
        println!("  {line}");
    }
    match findings_total {
        0 => Ok(()),
        n => Err(format!(
            "{n} finding(s): inputs in {}",
            work.join("artifacts").display()
        )),
    }
}

/// cargo-fuzz from crates.io when `cargo fuzz` is missing.
fn ensure_cargo_fuzz() -> Result {
    // The rustup proxy, not the toolchain's cargo this runs under, takes `+nightly`.
    let present = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    eprintln!("installing cargo-fuzz");
    status(
        Command::new("cargo").args(["install", "cargo-fuzz"]),
        "cargo install cargo-fuzz",
    )
}

struct Summary {
    findings: usize,
    text: String,
}

fn fuzz_one(target: &str, seconds: u64, work: &Path) -> Result<Summary> {
    let corpus = work.join("corpus").join(target);
    let artifacts = work.join("artifacts").join(target);
    let logs = work.join("logs");
    for dir in [&corpus, &artifacts, &logs] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    if std::fs::read_dir(&corpus).map_or(true, |mut d| d.next().is_none()) {
        for (i, seed) in seeds(target).iter().enumerate() {
            std::fs::write(corpus.join(format!("seed-{i}")), seed).map_err(|e| e.to_string())?;
        }
    }
    let before = artifact_count(&artifacts);
    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let ran = Command::new("cargo")
        .current_dir(root())
        .args(["+nightly", "fuzz", "run", "--fuzz-dir", "rust/fuzz"])
        .arg("--target-dir")
        .arg(work.join("build"))
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048"])
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .status()
        .map_err(|e| format!("cargo fuzz run {target}: {e}"))?;
    let elapsed = start.elapsed().as_secs();
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |name: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .next_back()
            .map(|v| v.trim().to_owned())
    };
    let findings = artifact_count(&artifacts).saturating_sub(before);
    let executions = stat("number_of_executed_units");
    if executions.is_none() && findings == 0 && !ran.success() {
        return Err(format!(
            "cargo fuzz run {target} failed before fuzzing; see {}",
            log_path.display()
        ));
    }
    let findings = findings.max(usize::from(!ran.success()));
    let corpus_size = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
    Ok(Summary {
        findings,
        text: format!(
            "{target}: {} executions in {elapsed} s ({}/s), {findings} finding(s), corpus {corpus_size}, log {}",
            executions.as_deref().unwrap_or("?"),
            stat("average_exec_per_sec").as_deref().unwrap_or("?"),
            log_path.display()
        ),
    })
}

fn artifact_count(dir: &PathBuf) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}
