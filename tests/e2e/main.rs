//! End-to-end suite: a real headless Godot editor, the `godot-mcp` binary,
//! and an MCP client. Run with `cargo xtask test`. Prints one line per test
//! and a closing `N passed, N failed`.

#![forbid(unsafe_code)]

mod authoring;
mod clients;
mod context;
mod debug;
mod durability;
mod foundation;
mod game;
mod hardening;
mod offline;
mod onboarding;
mod play;
mod reads;
mod reliability;
mod see;
mod session;
mod shim_hardening;
mod soak;
mod speed;
mod tools;
mod transport;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Instant;

use futures_util::FutureExt;
use godot_mcp_e2e::TestResult;

pub type TestFn<'a, C> = for<'c> fn(&'c C) -> Pin<Box<dyn Future<Output = TestResult> + 'c>>;

/// Collects results; a test is a named async check.
#[derive(Default)]
pub struct Suite {
    passed: usize,
    failed: Vec<String>,
}

impl Suite {
    /// Runs one test; a panic inside it fails that test with its message,
    /// and the suite goes on.
    pub async fn run<C>(&mut self, ctx: &C, name: &str, test: TestFn<'_, C>) {
        let start = Instant::now();
        let outcome = AssertUnwindSafe(test(ctx))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(&*panic))));
        let ms = start.elapsed().as_millis();
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("test {name} ... ok ({ms} ms)");
            }
            Err(why) => {
                println!(
                    "test {name} ... FAILED ({ms} ms)\n    {}",
                    why.replace('\n', "\n    ")
                );
                self.failed.push(name.to_owned());
            }
        }
    }

    /// Runs the named tests that match `filter`, in order, on one context.
    pub async fn run_all<C>(
        &mut self,
        ctx: &C,
        filter: Option<&str>,
        tests: &[(&str, TestFn<'_, C>)],
    ) {
        for (name, test) in tests {
            if filter.is_none_or(|f| name.contains(f)) {
                self.run(ctx, name, *test).await;
            }
        }
    }

    pub fn fail(&mut self, name: &str, why: &str) {
        println!("test {name} ... FAILED\n    {why}");
        self.failed.push(name.to_owned());
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message")
}

/// Asserts with a message, as a test result.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!("{} (at {}:{})", format!($($msg)+), file!(), line!()));
        }
    };
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let mut suite = Suite::default();
    runtime.block_on(async {
        foundation::run(&mut suite, filter.as_deref()).await;
        transport::run(&mut suite, filter.as_deref()).await;
        hardening::run(&mut suite, filter.as_deref()).await;
        shim_hardening::run(&mut suite, filter.as_deref()).await;
        session::run(&mut suite, filter.as_deref()).await;
        offline::run(&mut suite, filter.as_deref()).await;
        reads::run(&mut suite, filter.as_deref()).await;
        context::run(&mut suite, filter.as_deref()).await;
        durability::run(&mut suite, filter.as_deref()).await;
        tools::run(&mut suite, filter.as_deref()).await;
        authoring::run(&mut suite, filter.as_deref()).await;
        reliability::run(&mut suite, filter.as_deref()).await;
        game::run(&mut suite, filter.as_deref()).await;
        play::run(&mut suite, filter.as_deref()).await;
        debug::run(&mut suite, filter.as_deref()).await;
        speed::run(&mut suite, filter.as_deref()).await;
        soak::run(&mut suite, filter.as_deref()).await;
        see::run(&mut suite, filter.as_deref()).await;
        clients::run(&mut suite, filter.as_deref()).await;
        onboarding::run(&mut suite, filter.as_deref()).await;
    });
    println!();
    if !suite.failed.is_empty() {
        println!("failed: {}", suite.failed.join(", "));
    }
    println!("e2e finished in {:.1} s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", suite.passed, suite.failed.len());
    std::process::exit(if suite.failed.is_empty() { 0 } else { 1 });
}
