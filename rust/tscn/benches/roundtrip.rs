//! Parse and write a generated ~5 MB scene; prints MB/s for each.
//! Run with `cargo bench -p godot-mcp-tscn`.

use std::fmt::Write;
use std::time::Instant;

use godot_mcp_tscn::{Document, Scene, Value};

/// A scene shaped like a big real one: many nodes with typical properties,
/// sub-resources, long packed arrays and multi-line dictionaries.
fn big_scene(target: usize) -> String {
    let mut s = String::from("[gd_scene format=3 uid=\"uid://bench0000001\"]\n\n");
    s.push_str("[ext_resource type=\"Script\" path=\"res://mover.gd\" id=\"1_abcde\"]\n\n");
    let mut i = 0;
    while s.len() < target {
        let _ = write!(
            s,
            "[sub_resource type=\"Curve2D\" id=\"Curve2D_{i}\"]\n_data = {{\n\"points\": PackedVector2Array("
        );
        for k in 0..200 {
            let _ = write!(
                s,
                "{}{}, {}",
                if k > 0 { ", " } else { "" },
                k as f32 * 0.5,
                (k as f32).sin()
            );
        }
        s.push_str(")\n}\npoint_count = 200\n\n");
        let parent = if i == 0 {
            String::new()
        } else {
            " parent=\".\"".into()
        };
        let _ = write!(
            s,
            "[node name=\"Node{i}\" type=\"Path2D\"{parent} unique_id={}]\nposition = Vector2({i}, {}.5)\nmodulate = Color(0.1, 0.2, 0.3, 1)\ncurve = SubResource(\"Curve2D_{i}\")\nscript = ExtResource(\"1_abcde\")\nmetadata/label = \"Ünïcødé \\\"{i}\\\"\"\n\n",
            1000 + i,
            i * 2
        );
        i += 1;
    }
    s
}

fn mb_per_s(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / 1_000_000.0 / seconds
}

fn main() {
    let text = big_scene(5_000_000);
    let mb = text.len() as f64 / 1_000_000.0;
    let runs = 5;
    let (mut parse, mut write, mut edit) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..runs {
        let t = Instant::now();
        let doc = Document::parse(&text).expect("the generated scene parses");
        parse = parse.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let out = doc.write();
        write = write.min(t.elapsed().as_secs_f64());
        assert_eq!(out.len(), text.len());
        let t = Instant::now();
        let mut scene = Scene::parse(&text).expect("a scene");
        scene
            .set_property("Node7", "visible", Value::Bool(false))
            .expect("node exists");
        let edited = scene.write();
        edit = edit.min(t.elapsed().as_secs_f64());
        assert_eq!(edited.len(), text.len() + "visible = false\n".len());
    }
    println!("scene: {mb:.2} MB, best of {runs}");
    println!(
        "parse: {:.1} ms, {:.0} MB/s",
        parse * 1e3,
        mb_per_s(text.len(), parse)
    );
    println!(
        "write: {:.1} ms, {:.0} MB/s",
        write * 1e3,
        mb_per_s(text.len(), write)
    );
    println!("parse + edit one property + write: {:.1} ms", edit * 1e3);
}
