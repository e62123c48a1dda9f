//! The tokenizer and parser for Godot's text resource format.
//!
//! Works on bytes with one cursor and no backtracking, so time is linear in
//! the input; nesting is capped so hostile input cannot overflow the stack.
//! Every failure carries the line and column where it happened.

use crate::document::{Document, Entry, Header, Section};
use crate::{Error, Value};

/// Deepest nesting of arrays, dictionaries and calls accepted.
const MAX_DEPTH: usize = 256;

pub(crate) struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    pub(crate) fn error(&self, at: usize, message: impl Into<String>) -> Error {
        let at = at.min(self.src.len());
        let before = &self.bytes[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Error::Syntax {
            line,
            column,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    /// Skips whitespace and `;` comments.
    fn skip_trivia(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b';' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), Error> {
        self.skip_trivia();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, what: &str) -> Error {
        let found = match self.src[self.pos.min(self.src.len())..].chars().next() {
            None => "end of file".to_owned(),
            Some(c) => format!("{c:?}"),
        };
        self.error(self.pos, format!("expected {what}, found {found}"))
    }

    fn ident(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    // ---- the file ----

    pub(crate) fn document(mut self) -> Result<Document, Error> {
        let mut sections: Vec<Section> = Vec::new();
        let lead_end = self.trivia_end();
        let leading = self.src[..lead_end].to_owned();
        self.pos = lead_end;
        while self.pos < self.bytes.len() {
            let start = self.pos;
            if self.peek() == Some(b'[') {
                let header = self.header()?;
                let span = start..self.pos;
                let trail = self.trail();
                sections.push(Section::parsed(header, span, trail));
            } else {
                let Some(section) = sections.last_mut() else {
                    return Err(self.error(start, "expected a [section] header"));
                };
                let (key, value) = self.entry()?;
                let span = start..self.pos;
                let trail = self.trail();
                section
                    .entries_mut()
                    .push(Entry::parsed(key, value, span, trail));
            }
        }
        Ok(Document::from_parts(self.src.to_owned(), leading, sections))
    }

    fn trivia_end(&self) -> usize {
        let mut p = Parser::new(self.src);
        p.pos = self.pos;
        p.skip_trivia();
        p.pos
    }

    /// The whitespace and comments after an item, up to the next one.
    fn trail(&mut self) -> String {
        let start = self.pos;
        self.skip_trivia();
        self.src[start..self.pos].to_owned()
    }

    fn header(&mut self) -> Result<Header, Error> {
        self.expect(b'[', "'['")?;
        self.skip_trivia();
        let tag = self.ident();
        if tag.is_empty() {
            return Err(self.unexpected("a section name"));
        }
        let mut header = Header::new(tag);
        loop {
            self.skip_trivia();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(header);
                }
                None => return Err(self.unexpected("']'")),
                _ => {}
            }
            let key_at = self.pos;
            let key = self.ident();
            if key.is_empty() {
                return Err(self.unexpected("an attribute name or ']'"));
            }
            self.expect(b'=', "'=' after the attribute name")?;
            let value = self.value()?;
            if header.attr(key).is_some() {
                return Err(self.error(key_at, format!("attribute {key:?} given twice")));
            }
            header.attrs.push((key.to_owned(), value));
        }
    }

    fn entry(&mut self) -> Result<(String, Value), Error> {
        let key = if self.peek() == Some(b'"') {
            let k = self.string()?;
            self.expect(b'=', "'=' after the property name")?;
            k
        } else {
            let start = self.pos;
            while self.peek().is_some_and(|b| b != b'=' && b != b'\n') {
                self.pos += 1;
            }
            if self.peek() != Some(b'=') {
                return Err(self.error(start, "expected `name = value` or a [section] header"));
            }
            let key = self.src[start..self.pos].trim_end();
            if key.is_empty() {
                return Err(self.error(start, "missing property name before '='"));
            }
            self.pos += 1;
            key.to_owned()
        };
        let value = self.value()?;
        Ok((key, value))
    }

    // ---- values ----

    /// Parses one whole value and checks nothing but trivia follows.
    pub(crate) fn only_value(mut self) -> Result<Value, Error> {
        let v = self.value()?;
        self.skip_trivia();
        if self.pos < self.bytes.len() {
            return Err(self.unexpected("end of value"));
        }
        Ok(v)
    }

    pub(crate) fn value(&mut self) -> Result<Value, Error> {
        self.skip_trivia();
        let start = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.unexpected("a value"));
        };
        match b {
            b'"' => self.string().map(Value::String),
            b'&' | b'^' if self.peek_at(1) == Some(b'"') => {
                self.pos += 1;
                let s = self.string()?;
                Ok(if b == b'&' {
                    Value::StringName(s)
                } else {
                    Value::NodePath(s)
                })
            }
            b'[' => {
                self.pos += 1;
                let items = self.nested(|p| p.list(b']'))?;
                Ok(Value::Array(items))
            }
            b'{' => {
                self.pos += 1;
                let entries = self.nested(Parser::dict)?;
                Ok(Value::Dictionary(entries))
            }
            b'#' => self.html_color(),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number(),
            _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => self.word(),
            _ => Err(self.error(start, format!("unexpected {:?}", self.char_at(start)))),
        }
    }

    fn char_at(&self, at: usize) -> char {
        self.src[at..].chars().next().unwrap_or('\0')
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(self.pos, "values nested too deeply"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Comma-separated values up to `close` (already past the opener).
    fn list(&mut self, close: u8) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        loop {
            self.skip_trivia();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            if !items.is_empty() {
                self.expect(b',', &format!("',' or '{}'", close as char))?;
                self.skip_trivia();
                // Godot accepts a trailing comma.
                if self.peek() == Some(close) {
                    self.pos += 1;
                    return Ok(items);
                }
            }
            items.push(self.value()?);
        }
    }

    fn dict(&mut self) -> Result<Vec<(Value, Value)>, Error> {
        let mut entries = Vec::new();
        loop {
            self.skip_trivia();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(entries);
            }
            if !entries.is_empty() {
                self.expect(b',', "',' or '}'")?;
                self.skip_trivia();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(entries);
                }
            }
            let key = self.value()?;
            self.expect(b':', "':' after the dictionary key")?;
            let value = self.value()?;
            entries.push((key, value));
        }
    }

    fn string(&mut self) -> Result<String, Error> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote or escape in one go.
            let run = self.bytes[self.pos..]
                .iter()
                .position(|b| *b == b'"' || *b == b'\\');
            let Some(n) = run else {
                return Err(self.error(start, "unterminated string"));
            };
            out.push_str(&self.src[self.pos..self.pos + n]);
            self.pos += n;
            if self.bytes[self.pos] == b'"' {
                self.pos += 1;
                return Ok(out);
            }
            let esc_at = self.pos;
            self.pos += 1;
            let Some(c) = self.src[self.pos..].chars().next() else {
                return Err(self.error(start, "unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                'b' => out.push('\u{8}'),
                't' => out.push('\t'),
                'n' => out.push('\n'),
                'f' => out.push('\u{c}'),
                'r' => out.push('\r'),
                'u' | 'U' => {
                    let len = if c == 'u' { 4 } else { 6 };
                    let hex = self.src.get(self.pos..self.pos + len).unwrap_or("");
                    let code = (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| u32::from_str_radix(hex, 16).ok())
                        .flatten()
                        .ok_or_else(|| self.error(esc_at, "malformed unicode escape"))?;
                    self.pos += len;
                    // Lone surrogates cannot be represented; keep them visible.
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            }
        }
    }

    fn html_color(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        self.pos += 1;
        let hex = self.ident();
        crate::color::from_html(hex)
            .map(|c| Value::Call("Color".into(), c.map(f64::from).map(Value::Float).to_vec()))
            .ok_or_else(|| self.error(start, format!("invalid colour #{hex}")))
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
            if self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                let word = self.ident();
                let negative = self.bytes[start] == b'-';
                return match word {
                    "inf" => Ok(Value::Float(if negative {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    })),
                    "nan" => Ok(Value::Float(f64::NAN)),
                    _ => Err(self.error(start, format!("invalid number {:?}", self.span(start)))),
                };
            }
        }
        let mut float = false;
        while let Some(b) = self.peek() {
            match b {
                b'0'..=b'9' => {}
                b'.' => float = true,
                b'e' | b'E' => {
                    float = true;
                    if matches!(self.peek_at(1), Some(b'+' | b'-')) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        let text = self.span(start);
        let parsed = if float {
            text.parse::<f64>().ok().map(Value::Float)
        } else {
            // Integers beyond 64 bits become floats, as in Godot.
            text.parse::<i64>()
                .map(Value::Int)
                .ok()
                .or_else(|| text.parse::<f64>().ok().map(Value::Float))
        };
        parsed.ok_or_else(|| self.error(start, format!("invalid number {text:?}")))
    }

    fn span(&self, start: usize) -> &'a str {
        &self.src[start..self.pos]
    }

    /// An identifier: a keyword, a constructor call, a typed collection or
    /// `Object(...)`.
    fn word(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let name = self.ident();
        match name {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "null" | "nil" => return Ok(Value::Nil),
            "inf" => return Ok(Value::Float(f64::INFINITY)),
            "inf_neg" => return Ok(Value::Float(f64::NEG_INFINITY)),
            "nan" => return Ok(Value::Float(f64::NAN)),
            _ => {}
        }
        self.skip_trivia();
        match self.peek() {
            Some(b'[') if name == "Array" || name == "Dictionary" => {
                self.pos += 1;
                self.nested(|p| p.typed(name, start))
            }
            Some(b'(') => {
                self.pos += 1;
                if name == "Object" {
                    return self.nested(Parser::object);
                }
                let args = self.nested(|p| p.list(b')'))?;
                Ok(match (name, args.as_slice()) {
                    ("NodePath", [Value::String(s)]) => Value::NodePath(s.clone()),
                    ("StringName", [Value::String(s)]) => Value::StringName(s.clone()),
                    _ => Value::Call(name.to_owned(), args),
                })
            }
            _ => Ok(Value::Ident(name.to_owned())),
        }
    }

    /// After `Array[` or `Dictionary[`: the element types, then `(value)`.
    fn typed(&mut self, name: &str, start: usize) -> Result<Value, Error> {
        let mut types = self.list(b']')?;
        self.expect(b'(', "'(' after the element type")?;
        let inner = self.value()?;
        self.expect(b')', "')'")?;
        match (name, inner) {
            ("Array", Value::Array(items)) if types.len() == 1 => {
                Ok(Value::TypedArray(Box::new(types.remove(0)), items))
            }
            ("Dictionary", Value::Dictionary(entries)) if types.len() == 2 => {
                let value = types.remove(1);
                let key = types.remove(0);
                Ok(Value::TypedDictionary(Box::new((key, value)), entries))
            }
            _ => Err(self.error(start, format!("malformed typed {name}"))),
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        self.skip_trivia();
        let class = self.ident().to_owned();
        if class.is_empty() {
            return Err(self.unexpected("a class name"));
        }
        let mut props = Vec::new();
        loop {
            self.skip_trivia();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(Value::Object(class, props));
                }
                Some(b',') => self.pos += 1,
                _ => return Err(self.unexpected("',' or ')'")),
            }
            self.skip_trivia();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a quoted property name"));
            }
            let key = self.string()?;
            self.expect(b':', "':'")?;
            props.push((key, self.value()?));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Value;

    fn v(s: &str) -> Value {
        Value::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn scalars() {
        assert_eq!(v("42"), Value::Int(42));
        assert_eq!(v("-3"), Value::Int(-3));
        assert_eq!(v("2.5"), Value::Float(2.5));
        assert_eq!(v("1e-05"), Value::Float(1e-5));
        assert_eq!(v("6.02e+23"), Value::Float(6.02e23));
        assert_eq!(v("inf"), Value::Float(f64::INFINITY));
        assert_eq!(v("-inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(v("nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(v("true"), Value::Bool(true));
        assert_eq!(v("null"), Value::Nil);
        assert_eq!(
            v("18446744073709551615"),
            Value::Float(18446744073709551615.0)
        );
    }

    #[test]
    fn strings() {
        assert_eq!(v(r#""a\"b\\c\nd""#), Value::String("a\"b\\c\nd".into()));
        assert_eq!(v("\"multi\nline\""), Value::String("multi\nline".into()));
        assert_eq!(v(r#""\u00e9\U01F3AE""#), Value::String("é🎮".into()));
        assert_eq!(v("&\"n\""), Value::StringName("n".into()));
        assert_eq!(v("^\"a/b\""), Value::NodePath("a/b".into()));
        assert_eq!(v("NodePath(\"a:b\")"), Value::NodePath("a:b".into()));
    }

    #[test]
    fn compounds() {
        assert_eq!(
            v("Vector2(1, -2.5)"),
            Value::Call("Vector2".into(), vec![Value::Int(1), Value::Float(-2.5)])
        );
        assert_eq!(
            v("Array[int]([1, 2])"),
            Value::TypedArray(
                Box::new(Value::Ident("int".into())),
                vec![Value::Int(1), Value::Int(2)]
            )
        );
        let d = v("Dictionary[String, int]({\n\"one\": 1\n})");
        assert!(matches!(d, Value::TypedDictionary(_, e) if e.len() == 1));
        let typed_script = v("Array[ExtResource(\"1_a\")]([])");
        assert!(matches!(typed_script, Value::TypedArray(t, _) if t.ext_resource() == Some("1_a")));
        assert_eq!(
            v("Object(Node,\"name\":\"x\")"),
            Value::Object(
                "Node".into(),
                vec![("name".into(), Value::String("x".into()))]
            )
        );
        assert_eq!(v("SubResource(\"X_1\")").sub_resource(), Some("X_1"));
        assert_eq!(
            v("[1, 2,]"),
            Value::Array(vec![Value::Int(1), Value::Int(2)])
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = Value::parse("[1,\n  2 3]").unwrap_err().to_string();
        assert!(e.starts_with("2:5:"), "{e}");
        let e = Value::parse("\"open").unwrap_err().to_string();
        assert!(e.starts_with("1:1:") && e.contains("unterminated"), "{e}");
        let deep = "[".repeat(10_000);
        assert!(
            Value::parse(&deep)
                .unwrap_err()
                .to_string()
                .contains("deeply")
        );
    }
}
