//! `cargo xtask soak --minutes N [--headless]`: the mixed workload of
//! [`godot_mcp_e2e::soak`] against one real editor (rendering under Xvfb
//! unless `--headless`, so screenshots are part of it), a row per minute,
//! then the verdict: no unexpected error, editor RSS growth after the
//! warm-up at most 2 MiB, a stable p99. Exits non-zero when it fails.

#![forbid(unsafe_code)]

use godot_mcp_e2e::godot_binary;
use godot_mcp_e2e::soak::{self, Minute};

/// RSS allowed to grow after the warm-up.
const MAX_GROWTH_KIB: u64 = 2048;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes: u64 = args
        .iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .and_then(|m| m.parse().ok())
        .unwrap_or(5);
    let render = !args.iter().any(|a| a == "--headless");
    // Five minutes for a long run, a third of a short one.
    let warmup = if minutes >= 15 {
        5
    } else {
        (minutes / 3) as usize
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcome = runtime.block_on(async {
        let godot = godot_binary()?;
        println!(
            "soak: {minutes} min against a {} editor, warm-up {warmup} min",
            if render { "rendering" } else { "headless" }
        );
        println!("{}", Minute::HEADER);
        let rows = soak::run(&godot, minutes, render, |m| {
            println!("{}", m.row());
            for what in &m.unexpected {
                println!("     unexpected: {what}");
            }
        })
        .await?;
        soak::verdict(&rows, warmup, MAX_GROWTH_KIB)
    });
    match outcome {
        Ok(summary) => println!("soak passed: {summary}"),
        Err(why) => {
            println!("soak FAILED: {why}");
            std::process::exit(1);
        }
    }
}
