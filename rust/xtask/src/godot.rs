//! Finds, or if there is none, provisions a Godot 4.6+ editor for the tooling.
//!
//! The integration tests and dev tooling need a real Godot 4.6+ editor. Fresh
//! CI machines and containers usually have no Godot, and stable distributions
//! ship older ones. Making every contributor install it by hand is friction,
//! so `cargo xtask godot` looks for one (`$GODOT`, then `godot`/`godot4` on
//! `PATH`). If it finds none, it bootstraps a private Debian sid root
//! filesystem, which packages Godot 4.6, into the user's cache directory. A
//! small launcher script then runs sid's binary against sid's libraries. No
//! chroot is used at run time, so the editor still sees the host's files,
//! display and GPU devices.

use std::env;
use std::ffi::OsString;
use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

type Version = (u32, u32, u32);

const MIN_VERSION: Version = (4, 6, 0);
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
const LOCK_STALE_AFTER: Duration = Duration::from_secs(30 * 60);
const PROGRESS_EVERY: Duration = Duration::from_secs(15);
const HOST_PACKAGES: [&str; 4] = ["debootstrap", "patchelf", "xvfb", "xauth"];
const SYSROOT_PACKAGES: &str = "godot,libgl1-mesa-dri,libgl1,libegl1";
/// debootstrap lives in sbin, which is often missing from a user's `PATH`.
const SBIN_DIRS: [&str; 3] = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/// Returns an absolute path to an executable that runs Godot 4.6+ (a real binary or a launcher shell script).
/// Logs progress to stderr. Idempotent and cached: second call is instant.
pub fn ensure_godot() -> Result<PathBuf, String> {
    if let Some(godot) = env::var_os("GODOT").filter(|v| !v.is_empty()) {
        return check_explicit(Path::new(&godot));
    }
    if let Some(godot) = find_on_path() {
        return Ok(godot);
    }
    provision(Layout::new(cache_root()?))
}

/// Parses the output of `godot --version` (e.g. "4.6.3.stable.debian" or "4.6.stable.official.abc123") into (major, minor, patch).
///
/// Multi-line output is accepted: the last line that looks like a version
/// wins, in case anything is logged before it.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    s.lines().rev().find_map(parse_version_line)
}

fn parse_version_line(line: &str) -> Option<Version> {
    let mut parts = line.trim().split('.');
    let major = parse_number(parts.next()?)?;
    let minor = parse_number(parts.next()?)?;
    // "4.6.stable" has no patch component: that's 4.6.0.
    let patch = parts.next().and_then(parse_number).unwrap_or(0);
    Some((major, minor, patch))
}

fn parse_number(s: &str) -> Option<u32> {
    let all_digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| s.parse().ok()).flatten()
}

fn show(v: Version) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

fn log(msg: impl Display) {
    eprintln!("[xtask godot] {msg}");
}

// ---------------------------------------------------------------------------
// Existing installations
// ---------------------------------------------------------------------------

/// `$GODOT` is an explicit user choice, so a bad value is an error rather
/// than a reason to silently fall back to something else.
fn check_explicit(godot: &Path) -> Result<PathBuf, String> {
    let godot =
        std::path::absolute(godot).map_err(|e| format!("GODOT={}: {e}", godot.display()))?;
    let shown = godot.display();
    if !is_executable(&godot) {
        return Err(format!(
            "GODOT={shown} is not an executable file; point GODOT at a Godot 4.6+ editor, or unset it to auto-detect"
        ));
    }
    match probe_version(&godot) {
        Ok(v) if v >= MIN_VERSION => {
            log(format_args!("using Godot {} from GODOT={shown}", show(v)));
            Ok(godot)
        }
        Ok(v) => Err(format!(
            "GODOT={shown} is Godot {}, but 4.6+ is required; point GODOT at a newer editor, or unset it to auto-detect",
            show(v)
        )),
        Err(e) => Err(format!(
            "GODOT={shown}: {e}; point GODOT at a working Godot 4.6+ editor, or unset it to auto-detect"
        )),
    }
}

fn find_on_path() -> Option<PathBuf> {
    for name in ["godot", "godot4"] {
        let Some(godot) = which(name, &[]) else {
            continue;
        };
        match probe_version(&godot) {
            Ok(v) if v >= MIN_VERSION => {
                log(format_args!(
                    "using Godot {} at {}",
                    show(v),
                    godot.display()
                ));
                return Some(godot);
            }
            Ok(v) => log(format_args!(
                "ignoring {}: it is Godot {}, 4.6+ is required",
                godot.display(),
                show(v)
            )),
            Err(e) => log(format_args!("ignoring {}: {e}", godot.display())),
        }
    }
    None
}

/// Searches `PATH`, then `extra` directories, for an executable file.
fn which(name: &str, extra: &[&str]) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(extra.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .and_then(|found| std::path::absolute(found).ok())
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `<exe> --headless --version`, killing it if it hangs. A broken GPU
/// stack or a wrapper that waits for input must not stall the whole tool.
fn probe_version(exe: &Path) -> Result<Version, String> {
    let mut child = Command::new(exe)
        .args(["--headless", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group, so a timeout also kills whatever a wrapper
        // script started.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;

    // Read stdout on a thread so that a chatty child can't block on a full pipe.
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut out) = stdout {
            let _ = out.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });

    let Some(status) = wait_with_timeout(&mut child, PROBE_TIMEOUT)? else {
        return Err(format!(
            "`{} --headless --version` did not finish within {} s",
            exe.display(),
            PROBE_TIMEOUT.as_secs()
        ));
    };
    // A grandchild could keep the pipe open forever; don't wait on it long.
    let output = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    let output = String::from_utf8_lossy(&output);
    parse_version(&output).ok_or_else(|| {
        format!(
            "`{} --headless --version` printed no version ({status}); output: {:?}",
            exe.display(),
            output.trim()
        )
    })
}

/// Returns `None` (after killing the child's process group) if it outlives
/// `timeout`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if Instant::now() >= deadline => {
                godot_mcp_e2e::signal_group(child.id(), "KILL");
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for child process: {e}")),
        }
    }
}

// ---------------------------------------------------------------------------
// Cache layout
// ---------------------------------------------------------------------------

fn cache_root() -> Result<PathBuf, String> {
    let root = cache_root_from(|key| env::var_os(key)).ok_or(
        "cannot pick a cache directory: set GODOT_MCP_CACHE (or HOME), or install Godot 4.6+ and set GODOT",
    )?;
    std::path::absolute(&root).map_err(|e| format!("cache directory {}: {e}", root.display()))
}

/// `$GODOT_MCP_CACHE`, else `${XDG_CACHE_HOME:-$HOME/.cache}/godot-mcp`.
fn cache_root_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |key: &str| var(key).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("GODOT_MCP_CACHE").or_else(|| {
        var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|home| home.join(".cache")))
            .map(|cache| cache.join("godot-mcp"))
    })
}

/// Everything provisioning creates, all under one cache directory.
struct Layout {
    cache: PathBuf,
    sysroot: PathBuf,
    partial: PathBuf,
    complete: PathBuf,
    binary: PathBuf,
    launcher: PathBuf,
    lock: PathBuf,
    log: PathBuf,
}

impl Layout {
    fn new(cache: PathBuf) -> Self {
        let sysroot = cache.join("sid-sysroot");
        Self {
            partial: cache.join("sid-sysroot.partial"),
            complete: sysroot.join(".complete"),
            binary: cache.join("godot-bin"),
            launcher: cache.join("godot"),
            lock: cache.join("provision.lock"),
            log: cache.join("debootstrap.log"),
            sysroot,
            cache,
        }
    }

    /// `.complete` is written only after the launcher passed its version check.
    fn is_complete(&self) -> bool {
        self.launcher.is_file() && self.complete.is_file()
    }
}

/// Debian multiarch names for the host architecture.
struct Arch {
    triplet: &'static str,
    /// Dynamic loader, relative to the sysroot.
    interpreter: &'static str,
}

fn host_arch() -> Result<Arch, String> {
    let (triplet, interpreter) = match env::consts::ARCH {
        "x86_64" => ("x86_64-linux-gnu", "lib64/ld-linux-x86-64.so.2"),
        "aarch64" => ("aarch64-linux-gnu", "lib/ld-linux-aarch64.so.1"),
        other => {
            return Err(format!(
                "no Godot 4.6+ found and auto-provisioning does not support {other}; install Godot 4.6+ and set GODOT=/path/to/godot"
            ));
        }
    };
    Ok(Arch {
        triplet,
        interpreter,
    })
}

// ---------------------------------------------------------------------------
// Provisioning
// ---------------------------------------------------------------------------

fn provision(layout: Layout) -> Result<PathBuf, String> {
    if layout.is_complete() {
        log(format_args!(
            "using cached Godot at {}",
            layout.launcher.display()
        ));
        return Ok(layout.launcher);
    }
    let arch = host_arch()?;
    if !is_root() {
        return Err(format!(
            "no Godot 4.6+ found ($GODOT unset; no suitable `godot` or `godot4` on PATH), and setting up a private copy in {} needs root (apt-get, debootstrap). Install Godot 4.6+ and set GODOT=/path/to/godot, or rerun as root.",
            layout.cache.display()
        ));
    }
    fs::create_dir_all(&layout.cache).map_err(|e| {
        format!(
            "cannot create cache directory {}: {e}",
            layout.cache.display()
        )
    })?;

    let Some(_lock) = acquire_lock(&layout)? else {
        log(format_args!(
            "another run provisioned Godot at {}",
            layout.launcher.display()
        ));
        return Ok(layout.launcher);
    };
    let started = Instant::now();
    install_host_packages()?;
    bootstrap_sysroot(&layout)?;
    install_binary(&layout, &arch)?;
    write_launcher(&layout, &arch)?;
    let version = verify(&layout)?;
    File::create(&layout.complete)
        .map_err(|e| format!("cannot write {}: {e}", layout.complete.display()))?;
    log(format_args!(
        "provisioned Godot {} at {} in {} s",
        show(version),
        layout.launcher.display(),
        started.elapsed().as_secs()
    ));
    Ok(layout.launcher)
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| effective_uid(&status))
        == Some(0)
}

/// Effective uid from `/proc/self/status` ("Uid: real effective saved fs").
fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Host tools: debootstrap and patchelf to build the sysroot, and Xvfb/xauth
/// so the tooling can run the editor with a (virtual) display.
fn install_host_packages() -> Result<(), String> {
    let have = |tool| which(tool, &SBIN_DIRS).is_some();
    let have_builders = have("debootstrap") && have("patchelf");
    if have_builders && have("Xvfb") && have("xauth") {
        return Ok(());
    }
    let apt = which("apt-get", &SBIN_DIRS).ok_or(
        "no Godot 4.6+ found and this host has no apt-get to provision one; install Godot 4.6+ and set GODOT=/path/to/godot",
    )?;
    // Skip the slow index refresh when only the display helpers are missing.
    apt_install(&apt, &HOST_PACKAGES, !have_builders)
}

/// Makes sure Xvfb is installed: the end-to-end tests that take screenshots
/// run a rendering editor on a private Xvfb display. A machine that got Godot
/// some other way than [`provision`] may lack it.
pub fn ensure_xvfb() -> Result<(), String> {
    if which("Xvfb", &SBIN_DIRS).is_some() {
        return Ok(());
    }
    let apt = which("apt-get", &SBIN_DIRS).filter(|_| is_root()).ok_or(
        "the rendering end-to-end tests need Xvfb; install it (e.g. `apt-get install xvfb`)",
    )?;
    apt_install(&apt, &["xvfb", "xauth"], false)
}

/// Makes sure `xdotool` (and `xwininfo`) are installed: the windowed
/// benchmark moves the keyboard focus away from the editor with them, and
/// the end-to-end tests press the editor dock's buttons.
pub fn ensure_xdotool() -> Result<(), String> {
    if which("xdotool", &SBIN_DIRS).is_some() && which("xwininfo", &SBIN_DIRS).is_some() {
        return Ok(());
    }
    let apt = which("apt-get", &SBIN_DIRS).filter(|_| is_root()).ok_or(
        "the windowed benchmark and the dock tests need xdotool and xwininfo; install them (e.g. `apt-get install xdotool x11-utils`)",
    )?;
    apt_install(&apt, &["xdotool", "x11-utils"], false)
}

/// Installs `packages`, refreshing the package index first when asked, or
/// else once if the install fails on a stale index.
fn apt_install(apt: &Path, packages: &[&str], refresh_first: bool) -> Result<(), String> {
    let update = || {
        log("running apt-get update");
        run_to_stderr(Command::new(apt).arg("update"), "apt-get update")
    };
    let install = || {
        log(format_args!(
            "installing host packages: {}",
            packages.join(" ")
        ));
        run_to_stderr(
            Command::new(apt)
                .args(["install", "-y"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            "apt-get install",
        )
    };
    if refresh_first {
        update()?;
        return install();
    }
    install().or_else(|_| {
        update()?;
        install()
    })
}

/// Debootstraps into a scratch directory and renames it into place on
/// success, so a `sid-sysroot` directory always holds a finished bootstrap.
fn bootstrap_sysroot(layout: &Layout) -> Result<(), String> {
    if layout.sysroot.join("usr/bin/godot").is_file() {
        log(format_args!("reusing sysroot {}", layout.sysroot.display()));
        return Ok(());
    }
    remove_tree(&layout.sysroot)?;
    remove_tree(&layout.partial)?;
    let debootstrap = which("debootstrap", &SBIN_DIRS)
        .ok_or("debootstrap is not installed; run `apt-get install debootstrap`")?;
    log(format_args!(
        "debootstrapping Debian sid into {} (takes a few minutes, ~900 MB; log: {})",
        layout.sysroot.display(),
        layout.log.display()
    ));
    let include = format!("--include={SYSROOT_PACKAGES}");
    run_logged(
        Command::new(debootstrap)
            .args(["--variant=minbase", include.as_str(), "sid"])
            .arg(&layout.partial),
        &layout.log,
        "debootstrap",
    )?;
    fs::rename(&layout.partial, &layout.sysroot).map_err(|e| {
        format!(
            "cannot move {} to {}: {e}",
            layout.partial.display(),
            layout.sysroot.display()
        )
    })
}

/// The editor re-executes itself to launch the game, so it must be directly
/// executable: point its ELF interpreter at sid's loader instead of wrapping
/// it in an `ld.so` invocation. The copy keeps the sysroot pristine.
fn install_binary(layout: &Layout, arch: &Arch) -> Result<(), String> {
    let source = layout.sysroot.join("usr/bin/godot");
    let staged = layout.cache.join("godot-bin.tmp");
    fs::copy(&source, &staged).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            source.display(),
            staged.display()
        )
    })?;
    let patchelf = which("patchelf", &SBIN_DIRS)
        .ok_or("patchelf is not installed; run `apt-get install patchelf`")?;
    run_to_stderr(
        Command::new(patchelf)
            .arg("--set-interpreter")
            .arg(layout.sysroot.join(arch.interpreter))
            .arg(&staged),
        "patchelf",
    )?;
    fs::rename(&staged, &layout.binary)
        .map_err(|e| format!("cannot move {} into place: {e}", staged.display()))
}

/// Written to a temporary file and renamed, so that a concurrent reader never
/// sees a half-written script.
fn write_launcher(layout: &Layout, arch: &Arch) -> Result<(), String> {
    let script = launcher_script(&layout.sysroot, &layout.binary, arch.triplet);
    let staged = layout.cache.join("godot.tmp");
    let write = || -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o755)
            .open(&staged)?;
        file.write_all(script.as_bytes())?;
        // The umask may have stripped bits from the mode above.
        file.set_permissions(fs::Permissions::from_mode(0o755))?;
        fs::rename(&staged, &layout.launcher)
    };
    write().map_err(|e| format!("cannot write launcher {}: {e}", layout.launcher.display()))
}

fn launcher_script(sysroot: &Path, binary: &Path, triplet: &str) -> String {
    let root = sh_quote(&sysroot.to_string_lossy());
    let binary = sh_quote(&binary.to_string_lossy());
    let lib = format!("$R/usr/lib/{triplet}");
    format!(
        "#!/bin/sh\n\
         # Generated by `cargo xtask godot`: runs Godot from a private Debian sid sysroot.\n\
         R={root}\n\
         export LD_LIBRARY_PATH=\"{lib}:$R/lib/{triplet}:{lib}/pulseaudio${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\"\n\
         export LIBGL_DRIVERS_PATH=\"{lib}/dri\"\n\
         export __EGL_VENDOR_LIBRARY_DIRS=\"$R/usr/share/glvnd/egl_vendor.d\"\n\
         exec {binary} \"$@\"\n"
    )
}

/// Single-quotes `s` for POSIX sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn verify(layout: &Layout) -> Result<Version, String> {
    let retry = format!(
        "delete {} and retry, or install Godot 4.6+ and set GODOT=/path/to/godot",
        layout.cache.display()
    );
    match probe_version(&layout.launcher) {
        Ok(v) if v >= MIN_VERSION => Ok(v),
        Ok(v) => Err(format!(
            "Debian sid provided Godot {}, but 4.6+ is required; {retry}",
            show(v)
        )),
        Err(e) => Err(format!("the provisioned Godot does not run: {e}; {retry}")),
    }
}

// ---------------------------------------------------------------------------
// Locking: only one process may debootstrap into the cache at a time
// ---------------------------------------------------------------------------

/// Removes the lock file when provisioning ends, whether it succeeded or not.
struct ProvisionLock(PathBuf);

impl Drop for ProvisionLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Takes the provisioning lock, waiting while another run holds it. Returns
/// `None` if provisioning was completed by someone else in the meantime.
fn acquire_lock(layout: &Layout) -> Result<Option<ProvisionLock>, String> {
    let mut announced = false;
    loop {
        if layout.is_complete() {
            return Ok(None);
        }
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&layout.lock)
        {
            Ok(mut file) => {
                let lock = ProvisionLock(layout.lock.clone());
                let _ = writeln!(file, "{}", lock_owner(std::process::id(), &hostname()));
                // Another run may have finished between our check and create.
                return Ok((!layout.is_complete()).then_some(lock));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if lock_is_stale(&layout.lock) {
                    log(format_args!(
                        "removing stale lock {}",
                        layout.lock.display()
                    ));
                    let _ = fs::remove_file(&layout.lock);
                    continue;
                }
                if !announced {
                    log(format_args!(
                        "waiting for another run to finish provisioning (lock: {}; delete it if no such run exists)",
                        layout.lock.display()
                    ));
                    announced = true;
                }
                thread::sleep(Duration::from_secs(2));
            }
            Err(e) => return Err(format!("cannot create lock {}: {e}", layout.lock.display())),
        }
    }
}

fn lock_owner(pid: u32, host: &str) -> String {
    format!("pid {pid} on {host}")
}

fn parse_lock_owner(s: &str) -> Option<(u32, &str)> {
    let (pid, host) = s.trim().strip_prefix("pid ")?.split_once(" on ")?;
    Some((pid.parse().ok()?, host))
}

/// A lock is stale when it is older than any real provisioning run, or when
/// its owner was on this host and has exited (e.g. it was interrupted with
/// Ctrl-C, so its `Drop` never ran).
fn lock_is_stale(lock: &Path) -> bool {
    let Ok(meta) = fs::metadata(lock) else {
        return false; // Vanished: the caller simply retries.
    };
    let age = meta.modified().ok().and_then(|t| t.elapsed().ok());
    if age.is_some_and(|age| age > LOCK_STALE_AFTER) {
        return true;
    }
    let contents = fs::read_to_string(lock).unwrap_or_default();
    parse_lock_owner(&contents).is_some_and(|(pid, host)| {
        host == hostname() && !Path::new(&format!("/proc/{pid}")).exists()
    })
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Cleaning up half-built sysroots
// ---------------------------------------------------------------------------

/// Deletes a possibly half-built root filesystem. debootstrap mounts /proc and
/// /sys, and may bind-mount host /dev nodes, inside its target. A killed run
/// can leave those mounted, and deleting through them would destroy host
/// files, so they are unmounted first.
fn remove_tree(dir: &Path) -> Result<(), String> {
    if fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    let mut mounts = mounts_under(dir);
    // Deepest first, so that parents are no longer busy.
    mounts.sort_by_key(|m| std::cmp::Reverse(m.as_os_str().len()));
    for mount in &mounts {
        log(format_args!("unmounting leftover {}", mount.display()));
        let _ = Command::new("umount").arg("-l").arg(mount).status();
    }
    if !mounts_under(dir).is_empty() {
        return Err(format!(
            "{} still has filesystems mounted inside it (see /proc/mounts); unmount them, then retry",
            dir.display()
        ));
    }
    log(format_args!("removing {}", dir.display()));
    fs::remove_dir_all(dir).map_err(|e| {
        format!(
            "cannot remove {}: {e}; delete it by hand, then retry",
            dir.display()
        )
    })
}

fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    // /proc/mounts lists resolved paths, so compare against the resolved dir.
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let table = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mount_points(&table)
        .into_iter()
        .filter(|m| m.starts_with(&dir))
        .collect()
}

/// Mount points from a `/proc/mounts`-style table.
fn mount_points(table: &str) -> Vec<PathBuf> {
    table
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|field| PathBuf::from(unescape_mount_field(field)))
        .collect()
}

/// The kernel writes space, tab, newline and backslash in mount paths as
/// 3-digit octal escapes (`\040`).
fn unescape_mount_field(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Running external tools
// ---------------------------------------------------------------------------

/// Runs a command with all its output on our stderr: stdout is reserved for
/// the path that `cargo xtask godot` prints.
fn run_to_stderr(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .stdin(Stdio::null())
        .stdout(io::stderr())
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({status}); see the output above, or install Godot 4.6+ and set GODOT=/path/to/godot"
        ))
    }
}

/// Runs a long, verbose command with its output in `log_path`, printing a
/// one-line progress note now and then and the log's tail if it fails.
fn run_logged(cmd: &mut Command, log_path: &Path, what: &str) -> Result<(), String> {
    let open_log = || -> io::Result<(File, File)> {
        let file = File::create(log_path)?;
        let dup = file.try_clone()?;
        Ok((file, dup))
    };
    let (out, err) =
        open_log().map_err(|e| format!("cannot create log {}: {e}", log_path.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;

    let started = Instant::now();
    let mut last_note = started;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
        if last_note.elapsed() >= PROGRESS_EVERY {
            last_note = Instant::now();
            let log_text = read_lossy(log_path);
            let latest = tail_lines(&log_text, 1);
            log(format_args!(
                "{what} {} s: {latest}",
                started.elapsed().as_secs()
            ));
        }
        thread::sleep(Duration::from_millis(500));
    };
    if status.success() {
        return Ok(());
    }
    let log_text = read_lossy(log_path);
    Err(format!(
        "{what} failed ({status}); last lines of {}:\n{}\nFix the cause and retry, or install Godot 4.6+ and set GODOT=/path/to/godot",
        log_path.display(),
        tail_lines(&log_text, 30)
    ))
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The last `n` non-blank lines of `text`, joined with newlines.
fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_versions() {
        assert_eq!(parse_version("4.6.3.stable.debian"), Some((4, 6, 3)));
        assert_eq!(parse_version("4.6.stable.official.abc123"), Some((4, 6, 0)));
        // Debian's build appends its package version without a separator.
        assert_eq!(
            parse_version("4.6.3.stable.debian4.6.3+ds-3\n"),
            Some((4, 6, 3))
        );
        assert_eq!(parse_version("4.10.12.rc1.custom_build"), Some((4, 10, 12)));
        assert_eq!(parse_version("3.5.3.stable.debian\n"), Some((3, 5, 3)));
        assert_eq!(parse_version("  4.6  "), Some((4, 6, 0)));
    }

    #[test]
    fn takes_last_version_line() {
        let output = "WARNING: something odd\n4.6.1.stable.official.deadbeef\n\n";
        assert_eq!(parse_version(output), Some((4, 6, 1)));
    }

    #[test]
    fn rejects_non_versions() {
        for bad in [
            "",
            "4",
            "godot",
            "v4.6.stable",
            "4.x.1",
            "-4.6",
            "4.6a.1",
            "Error: 4",
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn non_numeric_patch_is_zero() {
        assert_eq!(parse_version("4.6.beta2.official"), Some((4, 6, 0)));
    }

    #[test]
    fn version_ordering_matches_minimum() {
        assert!((4, 6, 0) >= MIN_VERSION);
        assert!((4, 10, 0) >= MIN_VERSION);
        assert!((5, 0, 0) >= MIN_VERSION);
        assert!((4, 5, 99) < MIN_VERSION);
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.into())
    }

    #[test]
    fn cache_root_precedence() {
        let all = [
            ("GODOT_MCP_CACHE", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_root_from(vars(&all)), Some("/c".into()));
        assert_eq!(
            cache_root_from(vars(&all[1..])),
            Some("/x/godot-mcp".into())
        );
        assert_eq!(
            cache_root_from(vars(&all[2..])),
            Some("/h/.cache/godot-mcp".into())
        );
        assert_eq!(cache_root_from(vars(&[])), None);
    }

    #[test]
    fn empty_cache_vars_are_ignored() {
        let env = [
            ("GODOT_MCP_CACHE", ""),
            ("XDG_CACHE_HOME", ""),
            ("HOME", "/h"),
        ];
        assert_eq!(
            cache_root_from(vars(&env)),
            Some("/h/.cache/godot-mcp".into())
        );
    }

    #[test]
    fn layout_paths() {
        let layout = Layout::new("/c".into());
        assert_eq!(layout.launcher, Path::new("/c/godot"));
        assert_eq!(layout.binary, Path::new("/c/godot-bin"));
        assert_eq!(layout.complete, Path::new("/c/sid-sysroot/.complete"));
        assert_eq!(layout.partial, Path::new("/c/sid-sysroot.partial"));
    }

    #[test]
    fn reads_effective_uid() {
        let status = "Name:\tcargo\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Name:\tx\n"), None);
    }

    #[test]
    fn quotes_for_sh() {
        assert_eq!(sh_quote("/plain/path"), "'/plain/path'");
        assert_eq!(sh_quote("it's here"), r"'it'\''s here'");
    }

    #[test]
    fn launcher_script_contents() {
        let script = launcher_script(
            Path::new("/c/sid-sysroot"),
            Path::new("/c/godot-bin"),
            "x86_64-linux-gnu",
        );
        let expected = "#!/bin/sh\n\
            # Generated by `cargo xtask godot`: runs Godot from a private Debian sid sysroot.\n\
            R='/c/sid-sysroot'\n\
            export LD_LIBRARY_PATH=\"$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu:$R/usr/lib/x86_64-linux-gnu/pulseaudio${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"\n\
            export LIBGL_DRIVERS_PATH=\"$R/usr/lib/x86_64-linux-gnu/dri\"\n\
            export __EGL_VENDOR_LIBRARY_DIRS=\"$R/usr/share/glvnd/egl_vendor.d\"\n\
            exec '/c/godot-bin' \"$@\"\n";
        assert_eq!(script, expected);
    }

    #[test]
    fn lock_owner_round_trip() {
        let owner = lock_owner(4242, "build-box");
        assert_eq!(parse_lock_owner(&owner), Some((4242, "build-box")));
        assert_eq!(
            parse_lock_owner(&format!("{owner}\n")),
            Some((4242, "build-box"))
        );
        assert_eq!(parse_lock_owner(""), None);
        assert_eq!(parse_lock_owner("pid x on y"), None);
    }

    #[test]
    fn parses_mount_table() {
        let table = "proc /proc proc rw 0 0\n\
                     tmpfs /tmp/my\\040cache/dev tmpfs rw 0 0\n\
                     /dev/null /a\\134b/dev/null devtmpfs rw 0 0\n";
        assert_eq!(
            mount_points(table),
            vec![
                PathBuf::from("/proc"),
                PathBuf::from("/tmp/my cache/dev"),
                PathBuf::from("/a\\b/dev/null"),
            ]
        );
    }

    #[test]
    fn unescape_leaves_odd_backslashes() {
        assert_eq!(unescape_mount_field(r"a\b"), r"a\b");
        assert_eq!(unescape_mount_field(r"a\09"), r"a\09");
        assert_eq!(unescape_mount_field("tail\\"), "tail\\");
    }

    #[test]
    fn tails_non_blank_lines() {
        assert_eq!(tail_lines("a\nb\n\nc\n\n", 2), "b\nc");
        assert_eq!(tail_lines("only\n", 5), "only");
        assert_eq!(tail_lines("", 3), "");
    }
}
