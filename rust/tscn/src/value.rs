//! Godot's text Variant syntax as a tree, and how Godot writes it back.
//!
//! Parsed values are only re-written when an edit replaces them; untouched
//! text is kept verbatim by the document. So formatting here follows what
//! Godot's own writer produces for new values: `8.0` for a lone float,
//! `Vector2(320, 180.5)` inside constructors, multi-line dictionaries, and
//! strings that escape only `"` and `\`.

use std::fmt::{self, Write};

/// One value in a `.tscn`/`.tres` file.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// `&"name"`.
    StringName(String),
    /// `^"path"` or `NodePath("path")`.
    NodePath(String),
    Array(Vec<Value>),
    /// `Array[Type]([...])`; the type is an identifier or a resource reference.
    TypedArray(Box<Value>, Vec<Value>),
    Dictionary(Vec<(Value, Value)>),
    /// `Dictionary[K, V]({...})`.
    TypedDictionary(Box<(Value, Value)>, Vec<(Value, Value)>),
    /// A constructor call: `Vector2(1, 2)`, `PackedInt32Array(...)`,
    /// `ExtResource("1_abc")`, `SubResource("X_abc")`, `Color(...)`, ...
    Call(String, Vec<Value>),
    /// `Object(Class, "property": value, ...)`.
    Object(String, Vec<(String, Value)>),
    /// A bare identifier, as in the type of a typed array (`int`, `Node`).
    Ident(String),
}

impl Value {
    /// `ExtResource("id")`.
    pub fn ext_ref(id: &str) -> Value {
        Value::Call("ExtResource".into(), vec![Value::String(id.to_owned())])
    }

    /// `SubResource("id")`.
    pub fn sub_ref(id: &str) -> Value {
        Value::Call("SubResource".into(), vec![Value::String(id.to_owned())])
    }

    /// The id inside `ExtResource("id")`.
    pub fn ext_resource(&self) -> Option<&str> {
        self.call_string("ExtResource")
    }

    /// The id inside `SubResource("id")`.
    pub fn sub_resource(&self) -> Option<&str> {
        self.call_string("SubResource")
    }

    fn call_string(&self, name: &str) -> Option<&str> {
        match self {
            Value::Call(n, args) if n == name => match args.as_slice() {
                [Value::String(s)] => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// The text of a string-like value (String, StringName, NodePath).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::StringName(s) | Value::NodePath(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Calls `f` on this value and every value nested in it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Value)) {
        f(self);
        match self {
            Value::Array(items) | Value::Call(_, items) => items.iter().for_each(|v| v.walk(f)),
            Value::TypedArray(t, items) => {
                t.walk(f);
                items.iter().for_each(|v| v.walk(f));
            }
            Value::Dictionary(entries) => entries.iter().for_each(|(k, v)| {
                k.walk(f);
                v.walk(f);
            }),
            Value::TypedDictionary(types, entries) => {
                types.0.walk(f);
                types.1.walk(f);
                entries.iter().for_each(|(k, v)| {
                    k.walk(f);
                    v.walk(f);
                });
            }
            Value::Object(_, props) => props.iter().for_each(|(_, v)| v.walk(f)),
            _ => {}
        }
    }
}

/// Constructors whose float arguments are 32-bit (`real_t` and colours), which
/// Godot prints with the shortest single-precision form.
fn single_precision(name: &str) -> bool {
    !matches!(name, "PackedFloat64Array" | "PackedInt64Array")
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self, Context::Scalar)
    }
}

#[derive(Clone, Copy)]
enum Context {
    Scalar,
    /// Inside a constructor: floats lose their `.0`.
    Arg {
        single: bool,
    },
}

fn write_value(out: &mut impl Write, value: &Value, ctx: Context) -> fmt::Result {
    match value {
        Value::Nil => out.write_str("null"),
        Value::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
        Value::Int(i) => write!(out, "{i}"),
        Value::Float(x) => match ctx {
            Context::Scalar => out.write_str(&float_text(*x)),
            Context::Arg { single } => out.write_str(&number_text(*x, single)),
        },
        Value::String(s) => write_string(out, s),
        Value::StringName(s) => {
            out.write_char('&')?;
            write_string(out, s)
        }
        Value::NodePath(s) => {
            out.write_str("NodePath(")?;
            write_string(out, s)?;
            out.write_char(')')
        }
        Value::Array(items) => write_array(out, items),
        Value::TypedArray(t, items) => {
            out.write_str("Array[")?;
            write_value(out, t, Context::Scalar)?;
            out.write_str("](")?;
            write_array(out, items)?;
            out.write_char(')')
        }
        Value::Dictionary(entries) => write_dictionary(out, entries),
        Value::TypedDictionary(types, entries) => {
            out.write_str("Dictionary[")?;
            write_value(out, &types.0, Context::Scalar)?;
            out.write_str(", ")?;
            write_value(out, &types.1, Context::Scalar)?;
            out.write_str("](")?;
            write_dictionary(out, entries)?;
            out.write_char(')')
        }
        Value::Call(name, args) => {
            out.write_str(name)?;
            out.write_char('(')?;
            let inner = Context::Arg {
                single: single_precision(name),
            };
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_value(out, arg, inner)?;
            }
            out.write_char(')')
        }
        Value::Object(class, props) => {
            write!(out, "Object({class}")?;
            for (key, v) in props {
                out.write_char(',')?;
                write_string(out, key)?;
                out.write_char(':')?;
                write_value(out, v, Context::Scalar)?;
            }
            out.write_char(')')
        }
        Value::Ident(name) => out.write_str(name),
    }
}

fn write_array(out: &mut impl Write, items: &[Value]) -> fmt::Result {
    out.write_char('[')?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write_value(out, item, Context::Scalar)?;
    }
    out.write_char(']')
}

fn write_dictionary(out: &mut impl Write, entries: &[(Value, Value)]) -> fmt::Result {
    if entries.is_empty() {
        return out.write_str("{}");
    }
    out.write_str("{\n")?;
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.write_str(",\n")?;
        }
        write_value(out, k, Context::Scalar)?;
        out.write_str(": ")?;
        write_value(out, v, Context::Scalar)?;
    }
    out.write_str("\n}")
}

/// A string literal as Godot writes it: only `"` and `\` are escaped;
/// newlines and tabs stay literal.
pub fn write_string(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// A lone float: always marked as a float (`8.0`), or `inf`/`-inf`/`nan`.
pub fn float_text(x: f64) -> String {
    let mut s = number_text(x, false);
    if x.is_finite() && !s.contains(['.', 'e']) {
        s.push_str(".0");
    }
    s
}

/// A number the way Godot's `num_scientific` prints it: shortest round-trip
/// digits, scientific notation below 1e-4 or from 1e16 up (`1e-05`, `6.02e+23`).
pub fn number_text(x: f64, single: bool) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // `{:e}` gives the shortest round-trip digits; f32 when the engine stores f32.
    let sci = if single && (x as f32) as f64 == x {
        format!("{:e}", x as f32)
    } else {
        format!("{x:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1;
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_godot_prints_them() {
        assert_eq!(float_text(8.0), "8.0");
        assert_eq!(float_text(-12.5), "-12.5");
        assert_eq!(float_text(1e-30), "1e-30");
        assert_eq!(float_text(6.02e23), "6.02e+23");
        assert_eq!(float_text(1e100), "1e+100");
        assert_eq!(float_text(std::f64::consts::PI), "3.141592653589793");
        assert_eq!(float_text(f64::NEG_INFINITY), "-inf");
        assert_eq!(number_text(1e-5, true), "1e-05");
        assert_eq!(number_text(0.0001, true), "0.0001");
        assert_eq!(number_text(320.0, true), "320");
        assert_eq!(number_text(0.1f32 as f64, true), "0.1");
        assert_eq!(number_text(0.87758255f32 as f64, true), "0.87758255");
        assert_eq!(number_text(4294967295.0, false), "4294967295");
    }

    #[test]
    fn compound_values() {
        let v = Value::Call(
            "Vector2".into(),
            vec![Value::Float(320.0), Value::Float(180.5)],
        );
        assert_eq!(v.to_string(), "Vector2(320, 180.5)");
        let d = Value::Dictionary(vec![
            (Value::String("a".into()), Value::Int(1)),
            (
                Value::StringName("b".into()),
                Value::Array(vec![Value::Nil]),
            ),
        ]);
        assert_eq!(d.to_string(), "{\n\"a\": 1,\n&\"b\": [null]\n}");
        let s = Value::String("a\"b\\c\nd".into());
        assert_eq!(s.to_string(), "\"a\\\"b\\\\c\nd\"");
        let t = Value::TypedArray(Box::new(Value::Ident("int".into())), vec![Value::Int(1)]);
        assert_eq!(t.to_string(), "Array[int]([1])");
    }
}
