//! What Godot records about a project's files beside scenes: the resource
//! type and uid an `ext_resource` names for a file, and what a GDScript
//! declares (the class it extends, its exported variables).
//!
//! Offline edits write `ext_resource` lines and check properties the way
//! the editor would; this is the knowledge of Godot's file conventions they
//! need, kept apart from any file system access so it is tested on text.

use std::path::Path;

/// Where the editor keeps a file's uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UidSource {
    /// In the file's own header (`.tscn`, `.tres`).
    Header,
    /// In a `<file>.uid` sidecar (scripts, shaders).
    UidFile,
    /// In the `<file>.import` sidecar (imported assets).
    ImportFile,
}

/// The `ext_resource` type Godot records for a file, by its extension
/// (`None` for `.tres`, whose header names it), and where its uid lives.
pub fn resource_kind(res_path: &str) -> (Option<&'static str>, UidSource) {
    let ext = res_path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "tscn" => (Some("PackedScene"), UidSource::Header),
        "tres" => (None, UidSource::Header),
        "gd" | "cs" => (Some("Script"), UidSource::UidFile),
        "gdshader" => (Some("Shader"), UidSource::UidFile),
        "png" | "jpg" | "jpeg" | "webp" | "svg" | "bmp" | "tga" | "exr" | "hdr" => {
            (Some("Texture2D"), UidSource::ImportFile)
        }
        "wav" | "ogg" | "mp3" => (Some("AudioStream"), UidSource::ImportFile),
        "ttf" | "otf" | "woff" | "woff2" => (Some("FontFile"), UidSource::ImportFile),
        "glb" | "gltf" | "fbx" | "blend" => (Some("PackedScene"), UidSource::ImportFile),
        _ => (Some("Resource"), UidSource::ImportFile),
    }
}

/// The `type` and `uid` in the header of a `.tscn` or `.tres` text.
pub fn header_type_and_uid(text: &str) -> (Option<String>, Option<String>) {
    crate::Document::parse(text)
        .ok()
        .and_then(|d| d.sections().first().map(|s| s.header().clone()))
        .map(|h| {
            (
                h.str("type").map(str::to_owned),
                h.str("uid").map(str::to_owned),
            )
        })
        .unwrap_or_default()
}

/// The uid in a `.uid` file (`uid://...`) or an `.import` file (`uid="uid://..."`).
pub fn sidecar_uid(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix("uid=\"")
                .and_then(|r| r.strip_suffix('"'))
                .or_else(|| l.starts_with("uid://").then_some(l))
        })
        .map(str::to_owned)
}

/// The `ext_resource` type and uid of the file at `res_path` (found on disk
/// at `file`), as the editor would record them. Unreadable files give the
/// type by extension and no uid.
pub fn resource_type_and_uid(res_path: &str, file: &Path) -> (String, Option<String>) {
    let (class, source) = resource_kind(res_path);
    let read = |suffix: &str| {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        std::fs::read_to_string(path).ok()
    };
    match source {
        UidSource::Header => {
            let (header_class, uid) = header_type_and_uid(&read("").unwrap_or_default());
            let class = class
                .map(str::to_owned)
                .or(header_class)
                .unwrap_or_else(|| "PackedScene".into());
            (class, uid)
        }
        UidSource::UidFile => (
            class.unwrap_or_default().into(),
            read(".uid").as_deref().and_then(sidecar_uid),
        ),
        UidSource::ImportFile => (
            class.unwrap_or_default().into(),
            read(".import").as_deref().and_then(sidecar_uid),
        ),
    }
}

/// The class a GDScript `extends`, when it names one (not a path).
pub fn script_base(source: &str) -> Option<String> {
    source.lines().map(str::trim).find_map(|l| {
        let rest = l.strip_prefix("extends ")?;
        let name = rest.split_whitespace().next()?;
        (!name.starts_with('"')).then(|| name.to_owned())
    })
}

/// Names of a GDScript's `@export` variables.
pub fn script_exports(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = false;
    for line in source.lines().map(str::trim) {
        let exported = pending || line.starts_with("@export");
        pending = false;
        if !exported {
            continue;
        }
        match line.split_once("var ") {
            Some((_, rest)) => out.push(
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            // An annotation on a line of its own applies to the next one.
            None => pending = true,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_kinds_follow_the_extension() {
        assert_eq!(
            resource_kind("res://a.TSCN"),
            (Some("PackedScene"), UidSource::Header)
        );
        assert_eq!(resource_kind("res://a.tres"), (None, UidSource::Header));
        assert_eq!(
            resource_kind("res://p.gd"),
            (Some("Script"), UidSource::UidFile)
        );
        assert_eq!(
            resource_kind("res://i.png"),
            (Some("Texture2D"), UidSource::ImportFile)
        );
        assert_eq!(
            resource_kind("res://m.glb"),
            (Some("PackedScene"), UidSource::ImportFile)
        );
        assert_eq!(
            resource_kind("res://noext"),
            (Some("Resource"), UidSource::ImportFile)
        );
    }

    #[test]
    fn headers_and_sidecars_give_uids() {
        let tres = "[gd_resource type=\"CircleShape2D\" format=3 uid=\"uid://abc\"]\n\n[resource]\nradius = 3.0\n";
        assert_eq!(
            header_type_and_uid(tres),
            (Some("CircleShape2D".into()), Some("uid://abc".into()))
        );
        assert_eq!(header_type_and_uid("not a resource ["), (None, None));
        assert_eq!(sidecar_uid("uid://xyz\n").as_deref(), Some("uid://xyz"));
        let import =
            "[remap]\n\nimporter=\"texture\"\nuid=\"uid://img\"\npath=\"res://.godot/x\"\n";
        assert_eq!(sidecar_uid(import).as_deref(), Some("uid://img"));
        assert_eq!(sidecar_uid("[remap]\n"), None);
    }

    #[test]
    fn files_on_disk_give_type_and_uid() {
        let dir = std::env::temp_dir().join(format!("tscn-project-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tres = dir.join("shape.tres");
        std::fs::write(
            &tres,
            "[gd_resource type=\"CircleShape2D\" format=3 uid=\"uid://s\"]\n",
        )
        .unwrap();
        let script = dir.join("p.gd");
        std::fs::write(&script, "extends Node\n").unwrap();
        std::fs::write(dir.join("p.gd.uid"), "uid://p\n").unwrap();
        assert_eq!(
            resource_type_and_uid("res://shape.tres", &tres),
            ("CircleShape2D".into(), Some("uid://s".into()))
        );
        assert_eq!(
            resource_type_and_uid("res://p.gd", &script),
            ("Script".into(), Some("uid://p".into()))
        );
        assert_eq!(
            resource_type_and_uid("res://gone.tscn", &dir.join("gone.tscn")),
            ("PackedScene".into(), None)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn scripts_declare_base_and_exports() {
        let src = "@tool\nextends CharacterBody2D\n\n@export var speed := 3.0\n@export_range(0, 10)\nvar jumps: int = 2\nvar hidden = 1\n";
        assert_eq!(script_base(src).as_deref(), Some("CharacterBody2D"));
        assert_eq!(script_base("extends \"res://base.gd\"\n"), None);
        assert_eq!(script_base("var x = 1\n"), None);
        assert_eq!(script_exports(src), ["speed", "jumps"]);
    }
}
