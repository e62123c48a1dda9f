//! A node's saved properties under the inspector's names, from the file.
//!
//! The live editor reports what Godot saves for a node, but a few stored
//! properties through the names the inspector shows instead
//! ([`godot_mcp_protocol::stored`]): a `Node3D`'s `transform` as
//! `position`, `rotation` and `scale`, a `Control`'s `offset_*` and
//! `anchor_*` as `position` and `size`. This computes the same from a scene
//! file, the way the engine does (`Basis::get_euler_normalized`,
//! `Control::_size_changed`), so offline reads agree with live ones.

use godot_mcp_protocol::stored;

use crate::{ClassDb, Value};

/// The area a `Control` lays itself out in: what its anchors are fractions of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// Inside a container, which lays the control out itself (Godot stores
    /// no offsets or anchors there).
    Container,
    /// A parent rectangle of this size.
    Size([f64; 2]),
}

/// The default project viewport, which is the area of a scene's top
/// `Control`s in the editor unless the project sets another.
pub const DEFAULT_VIEWPORT: [f64; 2] = [1152.0, 648.0];

/// `class`'s saved `entries` (name, value) as the inspector names them:
/// shown properties as they are, composites through their shown names
/// where those differ from the class default (or as stored when none do).
pub fn shown(
    db: &ClassDb,
    class: &str,
    entries: &[(String, Value)],
    area: Area,
) -> Vec<(String, Value)> {
    let custom_anchors = db.is_a(class, "Control") && custom_anchors(entries, area);
    let mut out = Vec::new();
    let mut composite = Vec::new();
    for (name, value) in entries.iter().filter(|(n, _)| n != "script") {
        let hidden = stored::composite(name).is_some() && !(custom_anchors && name != "transform");
        if hidden {
            composite.push((name.clone(), value.clone()));
        } else {
            out.push((name.clone(), value.clone()));
        }
    }
    if composite.is_empty() {
        return out;
    }
    let twins = if db.is_a(class, "Node3D") {
        node3d_twins(entries)
    } else if db.is_a(class, "Control") {
        match area {
            Area::Size(parent) => {
                let (position, size) = control_rect(entries, parent);
                vec![("position".to_owned(), position), ("size".to_owned(), size)]
                    .into_iter()
                    .filter(|(_, v)| v.iter().any(|c| c.abs() > 1e-5))
                    .map(|(n, v)| (n, vector("Vector2", &v)))
                    .collect()
            }
            Area::Container => Vec::new(),
        }
    } else {
        Vec::new()
    };
    if twins.is_empty() {
        out.extend(composite);
    } else {
        out.extend(twins);
    }
    out
}

/// The area a node gives its `Control` children: a container lays them
/// out; a control gives its own rectangle; another 2D item gives none
/// (`CanvasItem::get_anchorable_rect` is empty); anything else leaves them
/// to the viewport.
pub fn area_for_children(
    db: &ClassDb,
    class: &str,
    entries: &[(String, Value)],
    own: Area,
    viewport: [f64; 2],
) -> Area {
    if db.is_a(class, "Container") {
        Area::Container
    } else if db.is_a(class, "Control") {
        match own {
            // A container child's size is the container's to decide; its
            // saved offsets are what it last was.
            Area::Container => Area::Size(control_rect(entries, [0.0, 0.0]).1),
            Area::Size(parent) => Area::Size(control_rect(entries, parent).1),
        }
    } else if db.is_a(class, "CanvasItem") {
        Area::Size([0.0, 0.0])
    } else {
        Area::Size(viewport)
    }
}

/// Whether the inspector shows the anchors and offsets as they are: a
/// control in anchors (or uncontrolled) layout with the custom preset.
fn custom_anchors(entries: &[(String, Value)], area: Area) -> bool {
    if area == Area::Container {
        return false;
    }
    let int = |name: &str| {
        entries
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                Value::Int(i) => Some(*i),
                _ => None,
            })
    };
    // 1 = anchors, 3 = uncontrolled (a top control); the preset -1 is custom.
    matches!(int("layout_mode"), Some(1 | 3)) && int("anchors_preset") == Some(-1)
}

fn number(entries: &[(String, Value)], name: &str, default: f64) -> f64 {
    entries
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| as_f64(v))
        .unwrap_or(default)
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// A control's position and size within a parent area of `parent` size.
fn control_rect(entries: &[(String, Value)], parent: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let side = |i: usize, name: &str| {
        number(entries, &format!("offset_{name}"), 0.0)
            + number(entries, &format!("anchor_{name}"), 0.0) * parent[i & 1]
    };
    let (left, top, right, bottom) = (
        side(0, "left"),
        side(1, "top"),
        side(2, "right"),
        side(3, "bottom"),
    );
    ([left, top], [right - left, bottom - top])
}

fn vector(class: &str, components: &[f64]) -> Value {
    Value::Call(
        class.to_owned(),
        components.iter().map(|c| Value::Float(*c)).collect(),
    )
}

/// `position`, `rotation` and `scale` of a saved `transform`, those that
/// differ from the defaults. Only the default Euler rotation mode and YXZ
/// order are decomposed; other modes keep `transform`.
fn node3d_twins(entries: &[(String, Value)]) -> Vec<(String, Value)> {
    let euler = number(entries, "rotation_edit_mode", 0.0) == 0.0
        && number(entries, "rotation_order", 2.0) == 2.0;
    let Some(t) = entries
        .iter()
        .find(|(n, _)| n == "transform")
        .and_then(|(_, v)| transform3d(v))
    else {
        return Vec::new();
    };
    if !euler {
        return Vec::new();
    }
    let (rows, origin) = t;
    let column = |i: usize| [rows[0][i], rows[1][i], rows[2][i]];
    let det = determinant(&rows);
    let sign = if det < 0.0 { -1.0 } else { 1.0 };
    let scale: Vec<f64> = (0..3).map(|i| sign * length(column(i))).collect();
    let rotation = euler_yxz(&rotation_part(&rows));
    let mut out = Vec::new();
    let near = |v: &[f64], d: f64| v.iter().all(|c| (c - d).abs() < 1e-5);
    if !near(&origin, 0.0) {
        out.push(("position".to_owned(), vector("Vector3", &origin)));
    }
    if !near(&rotation, 0.0) {
        out.push(("rotation".to_owned(), vector("Vector3", &rotation)));
    }
    if !near(&scale, 1.0) {
        out.push(("scale".to_owned(), vector("Vector3", &scale)));
    }
    out
}

type Rows = [[f64; 3]; 3];

/// The basis rows and origin of `Transform3D(...)`, written row by row.
fn transform3d(v: &Value) -> Option<(Rows, [f64; 3])> {
    let Value::Call(name, args) = v else {
        return None;
    };
    if name != "Transform3D" || args.len() != 12 {
        return None;
    }
    let n: Vec<f64> = args.iter().map(as_f64).collect::<Option<_>>()?;
    let rows = [[n[0], n[1], n[2]], [n[3], n[4], n[5]], [n[6], n[7], n[8]]];
    Some((rows, [n[9], n[10], n[11]]))
}

fn length(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

fn determinant(m: &Rows) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[2][1] * m[1][2])
        - m[1][0] * (m[0][1] * m[2][2] - m[2][1] * m[0][2])
        + m[2][0] * (m[0][1] * m[1][2] - m[1][1] * m[0][2])
}

/// The basis orthonormalized (Gram-Schmidt over the columns) and made a
/// proper rotation, as `Basis::get_euler_normalized` does.
fn rotation_part(m: &Rows) -> Rows {
    let col = |i: usize| [m[0][i], m[1][i], m[2][i]];
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let normalized = |a: [f64; 3]| {
        let l = length(a);
        if l == 0.0 {
            a
        } else {
            [a[0] / l, a[1] / l, a[2] / l]
        }
    };
    let sub =
        |a: [f64; 3], b: [f64; 3], k: f64| [a[0] - b[0] * k, a[1] - b[1] * k, a[2] - b[2] * k];
    let x = normalized(col(0));
    let y = normalized(sub(col(1), x, dot(x, col(1))));
    let z = col(2);
    let z = normalized(sub(sub(z, x, dot(x, z)), y, dot(y, z)));
    let mut r = [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]];
    if determinant(&r) < 0.0 {
        for row in &mut r {
            for c in row.iter_mut() {
                *c = -*c;
            }
        }
    }
    r
}

/// Euler angles in Godot's default YXZ order (`Basis::get_euler`).
fn euler_yxz(r: &Rows) -> Vec<f64> {
    const EPSILON: f64 = 0.00001;
    let m12 = r[1][2];
    if m12 < 1.0 - EPSILON {
        if m12 > -(1.0 - EPSILON) {
            if r[1][0] == 0.0
                && r[0][1] == 0.0
                && r[0][2] == 0.0
                && r[2][0] == 0.0
                && r[0][0] == 1.0
            {
                vec![(-m12).atan2(r[1][1]), 0.0, 0.0]
            } else {
                vec![
                    (-m12).asin(),
                    r[0][2].atan2(r[2][2]),
                    r[1][0].atan2(r[1][1]),
                ]
            }
        } else {
            vec![std::f64::consts::FRAC_PI_2, r[0][1].atan2(r[0][0]), 0.0]
        }
    } else {
        vec![-std::f64::consts::FRAC_PI_2, -r[0][1].atan2(r[0][0]), 0.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, &str)]) -> Vec<(String, Value)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), Value::parse(v).unwrap()))
            .collect()
    }

    fn floats(v: &Value) -> Vec<f64> {
        match v {
            Value::Call(_, args) => args.iter().filter_map(as_f64).collect(),
            _ => panic!("{v:?}"),
        }
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    #[test]
    fn a_node3d_transform_reads_as_position_rotation_scale() {
        let db = ClassDb::get();
        // Rotated 0.5 rad about Y, scaled 2 on X, moved to (9, 1, 2).
        let (s, c) = (0.5f64.sin(), 0.5f64.cos());
        let t = format!(
            "Transform3D({}, 0, {}, 0, 1, 0, {}, 0, {}, 9, 1, 2)",
            2.0 * c,
            s,
            -2.0 * s,
            c
        );
        let e = entries(&[("transform", &t), ("visible", "false")]);
        let view = shown(db, "MeshInstance3D", &e, Area::Size(DEFAULT_VIEWPORT));
        let get = |n: &str| view.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(get("visible"), Some(Value::Bool(false)));
        assert!(close(&floats(&get("position").unwrap()), &[9.0, 1.0, 2.0]));
        assert!(close(&floats(&get("rotation").unwrap()), &[0.0, 0.5, 0.0]));
        assert!(close(&floats(&get("scale").unwrap()), &[2.0, 1.0, 1.0]));
        assert!(get("transform").is_none());

        // Only moved: rotation and scale are at their defaults.
        let e = entries(&[(
            "transform",
            "Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 3, 0)",
        )]);
        let names: Vec<String> = shown(db, "Node3D", &e, Area::Size(DEFAULT_VIEWPORT))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["position"]);
    }

    #[test]
    fn a_pure_x_rotation_has_the_simple_form() {
        let (s, c) = (1.0f64.sin(), 1.0f64.cos());
        let r = [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]];
        assert!(close(&euler_yxz(&r), &[1.0, 0.0, 0.0]));
    }

    #[test]
    fn control_offsets_read_as_position_and_size() {
        let db = ClassDb::get();
        let e = entries(&[
            ("offset_left", "10.0"),
            ("offset_top", "20.0"),
            ("offset_right", "110.0"),
            ("offset_bottom", "60.0"),
            ("text", "\"Hi\""),
        ]);
        let view = shown(db, "Button", &e, Area::Size([0.0, 0.0]));
        let get = |n: &str| view.iter().find(|(k, _)| k == n).map(|(_, v)| floats(v));
        assert!(close(&get("position").unwrap(), &[10.0, 20.0]));
        assert!(close(&get("size").unwrap(), &[100.0, 40.0]));
        assert!(view.iter().all(|(n, _)| !n.starts_with("offset_")));

        // Full rect in a 1152x648 viewport.
        let e = entries(&[
            ("layout_mode", "3"),
            ("anchors_preset", "15"),
            ("anchor_right", "1.0"),
            ("anchor_bottom", "1.0"),
        ]);
        let shown_rect = shown(db, "Control", &e, Area::Size(DEFAULT_VIEWPORT));
        let names: Vec<&str> = shown_rect.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["layout_mode", "anchors_preset", "size"]);
        assert!(close(&floats(&shown_rect[2].1), &[1152.0, 648.0]));

        // Custom anchors are shown as they are.
        let e = entries(&[
            ("layout_mode", "1"),
            ("anchors_preset", "-1"),
            ("anchor_right", "0.5"),
        ]);
        let names: Vec<String> = shown(db, "Control", &e, Area::Size(DEFAULT_VIEWPORT))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["layout_mode", "anchors_preset", "anchor_right"]);
    }

    #[test]
    fn areas_follow_the_parent() {
        let db = ClassDb::get();
        let vp = DEFAULT_VIEWPORT;
        let none: Vec<(String, Value)> = Vec::new();
        assert_eq!(
            area_for_children(db, "VBoxContainer", &none, Area::Size(vp), vp),
            Area::Container
        );
        assert_eq!(
            area_for_children(db, "Node2D", &none, Area::Size(vp), vp),
            Area::Size([0.0, 0.0])
        );
        assert_eq!(
            area_for_children(db, "Node", &none, Area::Size(vp), vp),
            Area::Size(vp)
        );
        let panel = entries(&[("offset_right", "200.0"), ("offset_bottom", "100.0")]);
        assert_eq!(
            area_for_children(db, "Panel", &panel, Area::Size(vp), vp),
            Area::Size([200.0, 100.0])
        );
    }
}
