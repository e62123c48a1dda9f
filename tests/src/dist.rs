//! The release archive: `godot-mcp`, the addon with this platform's
//! library, README and licence in one folder named for the version and
//! platform, packed as `.tar.gz` (`.zip` on Windows) with a SHA-256 sums
//! file beside it. `cargo xtask dist` builds and calls this; the
//! end-to-end suite packs the already built artefacts the same way.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// `godot-mcp-<version>-<os>-<arch>`.
pub fn archive_stem() -> String {
    format!(
        "godot-mcp-{}-{}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The shim's file name on this platform.
pub const SHIM: &str = if cfg!(windows) {
    "godot-mcp.exe"
} else {
    "godot-mcp"
};

/// Packs `shim` and the addon folder `addon` (with its built library) from
/// the repository at `root` into `out`; returns the archive and the sums file.
pub fn package(
    root: &Path,
    shim: &Path,
    addon: &Path,
    out: &Path,
) -> Result<(PathBuf, PathBuf), String> {
    let stem = archive_stem();
    let stage = out.join(&stem);
    let _ = std::fs::remove_dir_all(&stage);
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    std::fs::create_dir_all(&stage).map_err(|e| io("creating the stage", e))?;
    std::fs::copy(shim, stage.join(SHIM)).map_err(|e| io("copying godot-mcp", e))?;
    copy_addon(addon, &stage.join("addons/godot_mcp")).map_err(|e| io("copying the addon", e))?;
    for doc in ["README.md", "LICENSE"] {
        std::fs::copy(root.join(doc), stage.join(doc)).map_err(|e| io(doc, e))?;
    }
    let archive = if cfg!(windows) {
        out.join(format!("{stem}.zip"))
    } else {
        out.join(format!("{stem}.tar.gz"))
    };
    let _ = std::fs::remove_file(&archive);
    // tar ships with Linux, macOS and Windows 10+ (bsdtar writes zip there).
    let mut tar = Command::new("tar");
    if cfg!(windows) {
        tar.arg("-a");
    }
    let status = tar
        .arg(if cfg!(windows) { "-cf" } else { "-czf" })
        .arg(&archive)
        .arg("-C")
        .arg(out)
        .arg(&stem)
        .status()
        .map_err(|e| io("running tar", e))?;
    if !status.success() {
        return Err(format!("tar failed ({status})"));
    }
    std::fs::remove_dir_all(&stage).map_err(|e| io("removing the stage", e))?;
    let sums = out.join(format!("{stem}.sha256"));
    let name = archive.file_name().unwrap_or_default().to_string_lossy();
    std::fs::write(&sums, format!("{}  {name}\n", sha256(&archive)?))
        .map_err(|e| io("writing the sums", e))?;
    Ok((archive, sums))
}

/// The addon's files, without hidden ones (temporaries of a build).
fn copy_addon(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let dst = to.join(entry.file_name());
        if std::fs::metadata(entry.path())?.is_dir() {
            copy_addon(&entry.path(), &dst)?;
        } else {
            std::fs::copy(entry.path(), &dst)?;
        }
    }
    Ok(())
}

/// A file's SHA-256 in lowercase hex.
pub fn sha256(path: &Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
