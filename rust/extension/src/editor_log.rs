//! The editor's output as a log agents can read with a cursor.
//!
//! An [`EditorLogger`] registered with `OS.add_logger` hears every print,
//! warning and error of the editor process, with Godot's file and line.
//! Godot calls loggers from whichever thread prints, so the logger touches
//! no Godot object and no per-instance Rust state (its methods take
//! `Gd<Self>` rather than binding `self`); it only appends to a bounded,
//! mutex-guarded [`Ring`] and never calls back into Godot while holding it.
//!
//! Script checks reuse it: while [`hear_script_errors`] runs on the main
//! thread, errors go to the check instead of the log.

// `log_error` has Godot's nine parameters; `gd_self` turns it into an
// inherent method, which the lint (silent on trait methods) then sees.
#![allow(clippy::too_many_arguments)]

use std::cell::RefCell;
use std::sync::Mutex;

use godot::classes::{ILogger, Os, ScriptBacktrace};
use godot::prelude::*;
use godot_mcp_protocol::commands::log::{Cursor, Location, LogEntry, LogLevel};
use godot_mcp_protocol::doorbell::ErrorSource;

use crate::ring::{Page, Ring};

/// Entries kept; older ones are dropped.
const CAPACITY: usize = 2000;

/// A message as Godot logged it, before it gets its sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub level: LogLevel,
    pub kind: Option<&'static str>,
    pub message: String,
    pub at: Location,
}

static LOG: Mutex<Option<Ring<Logged>>> = Mutex::new(None);

thread_local! {
    /// Errors heard while a script check runs on this (the main) thread.
    static HEARD: RefCell<Option<Vec<Logged>>> = const { RefCell::new(None) };
}

fn with_log<R>(f: impl FnOnce(&mut Ring<Logged>) -> R) -> R {
    let mut log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    f(log.get_or_insert_with(|| Ring::new(CAPACITY)))
}

fn record(entry: Logged) {
    let entry = match HEARD.with_borrow_mut(|heard| match heard {
        Some(heard) => {
            heard.push(entry);
            None
        }
        None => Some(entry),
    }) {
        Some(entry) => entry,
        None => return,
    };
    if entry.level == LogLevel::Error {
        let source = match entry.kind {
            Some("script") => ErrorSource::Script,
            _ => ErrorSource::Editor,
        };
        crate::doorbell::ring(source, &entry.message, &entry.at);
    }
    with_log(|log| log.push(entry));
}

/// Up to `limit` entries after `since` at `level` or above.
pub fn read(since: u64, level: LogLevel, limit: usize) -> (Vec<LogEntry>, Cursor) {
    with_log(|log| {
        let Page { entries, cursor } = log.read(since, limit, |e| e.level >= level);
        let entries = entries
            .into_iter()
            .map(|(seq, e)| LogEntry {
                seq,
                level: e.level,
                kind: e.kind.map(str::to_owned),
                message: e.message.clone(),
                at: e.at.clone(),
            })
            .collect();
        (entries, cursor)
    })
}

/// Runs `f` (a script compile) and returns the errors Godot logged on this
/// thread meanwhile; they stay out of the editor log. Needs the logger to
/// be registered (the plugin does that while it runs).
pub fn hear_script_errors<R>(f: impl FnOnce() -> R) -> (R, Vec<Logged>) {
    let outer = HEARD.replace(Some(Vec::new()));
    let result = f();
    let heard = HEARD.replace(outer).unwrap_or_default();
    (result, heard)
}

/// Registers the logger for as long as this lives.
pub struct Logging {
    logger: Gd<EditorLogger>,
}

impl Logging {
    pub fn start() -> Self {
        let logger = EditorLogger::new_gd();
        Os::singleton().add_logger(&logger);
        Self { logger }
    }
}

impl Drop for Logging {
    fn drop(&mut self) {
        Os::singleton().remove_logger(&self.logger);
    }
}

#[derive(GodotClass)]
#[class(base = Logger, init, internal, tool)]
pub struct EditorLogger {}

#[godot_api]
impl ILogger for EditorLogger {
    #[func(gd_self)]
    fn log_error(
        _this: Gd<Self>,
        function: GString,
        file: GString,
        line: i32,
        code: GString,
        rationale: GString,
        _editor_notify: bool,
        error_type: i32,
        _script_backtraces: Array<Gd<ScriptBacktrace>>,
    ) {
        let text = if rationale.is_empty() {
            code
        } else {
            rationale
        };
        record(error_entry(
            error_type,
            text.to_string(),
            file.to_string(),
            line,
            function.to_string(),
        ));
    }

    #[func(gd_self)]
    fn log_message(_this: Gd<Self>, message: GString, error: bool) {
        let message = message.to_string();
        let message = message.trim_end_matches('\n');
        if message.is_empty() {
            return;
        }
        record(Logged {
            level: if error {
                LogLevel::Error
            } else {
                LogLevel::Info
            },
            kind: None,
            message: message.to_owned(),
            at: Location::default(),
        });
    }
}

/// Godot's `Logger.ErrorType`: 0 error, 1 warning, 2 script, 3 shader.
fn error_entry(
    error_type: i32,
    message: String,
    file: String,
    line: i32,
    function: String,
) -> Logged {
    let (level, kind) = match error_type {
        1 => (LogLevel::Warning, None),
        2 => (LogLevel::Error, Some("script")),
        3 => (LogLevel::Error, Some("shader")),
        _ => (LogLevel::Error, None),
    };
    Logged {
        level,
        kind,
        message,
        at: Location::new(&file, i64::from(line), &function),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_map_to_levels() {
        let e = error_entry(
            2,
            "Parse Error: x".into(),
            "res://a.gd".into(),
            3,
            "GDScript::reload".into(),
        );
        assert_eq!((e.level, e.kind), (LogLevel::Error, Some("script")));
        assert_eq!(
            (e.at.file.as_deref(), e.at.line),
            (Some("res://a.gd"), Some(3))
        );
        let w = error_entry(1, "careful".into(), String::new(), 0, String::new());
        assert_eq!(
            (w.level, w.at.file, w.at.line, w.at.function),
            (LogLevel::Warning, None, None, None)
        );
        assert_eq!(
            error_entry(0, "e".into(), String::new(), -1, String::new()).level,
            LogLevel::Error
        );
    }

    #[test]
    fn script_checks_keep_their_errors_out_of_the_log() {
        let before = with_log(|log| log.end());
        let ((), heard) = hear_script_errors(|| {
            record(error_entry(
                2,
                "bad".into(),
                String::new(),
                4,
                String::new(),
            ));
        });
        assert_eq!(heard.len(), 1);
        assert_eq!(heard[0].at.line, Some(4));
        assert_eq!(with_log(|log| log.end()), before);
        record(error_entry(
            0,
            "kept".into(),
            String::new(),
            0,
            String::new(),
        ));
        let (entries, cursor) = read(before, LogLevel::Error, 10);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].message, "kept");
        assert_eq!(cursor.next, before + 1);
    }
}
