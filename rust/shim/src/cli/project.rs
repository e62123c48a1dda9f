//! Facts about a Godot project and about the addon this binary ships with:
//! where the project is, which Godot it was made for, and where the addon
//! and the library for this platform are.

use std::path::{Path, PathBuf};

/// The oldest Godot the extension loads in.
pub const MIN_GODOT: (u32, u32) = (4, 6);

/// The addon's folder inside a project.
pub const ADDON_DIR: &str = "addons/godot_mcp";

/// The file Godot loads the extension through.
pub const GDEXTENSION: &str = "godot_mcp.gdextension";

/// The extension library's file name on this platform.
pub const LIBRARY: &str = if cfg!(windows) {
    "godot_mcp.dll"
} else if cfg!(target_os = "macos") {
    "libgodot_mcp.dylib"
} else {
    "libgodot_mcp.so"
};

/// The nearest folder holding a `project.godot`, from `start` upwards.
pub fn containing(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("project.godot").is_file())
        .map(Path::to_path_buf)
}

/// The project folder a command works on: `given` when it holds a
/// `project.godot`, else (with nothing given) the one containing the
/// current folder, `GODOT_MCP_PROJECT` or `CLAUDE_PROJECT_DIR`.
pub fn resolve(given: Option<&str>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        let dir = absolute(Path::new(dir));
        return if dir.join("project.godot").is_file() {
            Ok(dir.canonicalize().unwrap_or(dir))
        } else {
            Err(format!(
                "{} has no project.godot; give the folder of a Godot project",
                dir.display()
            ))
        };
    }
    let mut starts: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    for var in ["GODOT_MCP_PROJECT", "CLAUDE_PROJECT_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|d| !d.is_empty()) {
            starts.push(PathBuf::from(dir));
        }
    }
    starts
        .iter()
        .find_map(|s| containing(s))
        .map(|d| d.canonicalize().unwrap_or(d))
        .ok_or_else(|| {
            "no project.godot in this folder or above it; run inside your Godot project or give its folder".into()
        })
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The Godot version a `project.godot` says it was made for: the first
/// `major.minor` in `config/features`; `None` when it names none.
/// `config_version` below 5 is a Godot 3 project.
pub fn made_for(settings: &str) -> Option<(u32, u32)> {
    for line in settings.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("config_version=") {
            if v.trim().parse::<u32>().is_ok_and(|v| v < 5) {
                return Some((3, 0));
            }
        } else if let Some(list) = line.strip_prefix("config/features=") {
            return list.split('"').skip(1).step_by(2).find_map(version);
        }
    }
    None
}

fn version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The addon this binary installs: beside it (the release archive), or in
/// the repository it was built in (`target/release/godot-mcp`), with the
/// library for this platform in its `bin/`.
pub fn source_addon() -> Result<PathBuf, String> {
    let exe = super::this_binary()?;
    let found = exe.ancestors().skip(1).take(4).find_map(|dir| {
        let addon = dir.join(ADDON_DIR);
        (addon.join(GDEXTENSION).is_file() && addon.join("bin").join(LIBRARY).is_file())
            .then_some(addon)
    });
    found.ok_or_else(|| {
        format!(
            "no {ADDON_DIR}/ with bin/{LIBRARY} beside {} or in its repository; \
             unpack the whole release archive, or run `cargo xtask build` first",
            exe.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_godot_version_comes_from_the_features() {
        let godot46 = "config_version=5\n[application]\nconfig/features=PackedStringArray(\"4.6\", \"Forward Plus\")\n";
        assert_eq!(made_for(godot46), Some((4, 6)));
        let godot43 = "config_version=5\nconfig/features=PackedStringArray(\"4.3\", \"Mobile\")\n";
        assert_eq!(made_for(godot43), Some((4, 3)));
        assert_eq!(made_for("config_version=4\n[application]\n"), Some((3, 0)));
        assert_eq!(made_for("config_version=5\n"), None);
        assert_eq!(
            made_for("config/features=PackedStringArray(\"Forward Plus\", \"4.10\")"),
            Some((4, 10))
        );
    }
}
