//! The last calls the editor answered, for the dock.
//!
//! The dispatcher records each answered request here (command, time taken,
//! error code or none); the dock shows them, newest first. A version number
//! changes with every record, so the dock redraws only when something was
//! called, and reading it each frame costs one integer compare.

use std::collections::VecDeque;
use std::time::Duration;

use godot_mcp_protocol::ErrorCode;

/// Calls kept.
pub const KEEP: usize = 20;

/// One answered call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub action: String,
    pub took: Duration,
    /// `None` when it succeeded.
    pub error: Option<ErrorCode>,
}

impl Call {
    /// The dock's row: `open_scene 3 ms SCENE_NOT_FOUND`, or `... ok`.
    pub fn row(&self) -> String {
        let outcome = self
            .error
            .map_or_else(|| "ok".to_owned(), ErrorCode::as_str);
        format!("{} {} ms {outcome}", self.action, self.took.as_millis())
    }
}

#[derive(Debug, Default)]
pub struct CallLog {
    calls: VecDeque<Call>,
    version: u64,
}

impl CallLog {
    pub fn record(&mut self, action: &str, took: Duration, error: Option<ErrorCode>) {
        if self.calls.len() == KEEP {
            self.calls.pop_back();
        }
        self.calls.push_front(Call {
            action: action.to_owned(),
            took,
            error,
        });
        self.version += 1;
    }

    /// Newest first.
    pub fn recent(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter()
    }

    /// Changes whenever a call is recorded.
    pub fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_twenty_newest_first() {
        let mut log = CallLog::default();
        for i in 0..25 {
            log.record(&format!("c{i}"), Duration::from_millis(i), None);
        }
        let names: Vec<&str> = log.recent().map(|c| c.action.as_str()).collect();
        assert_eq!(names.len(), KEEP);
        assert_eq!((names[0], names[KEEP - 1]), ("c24", "c5"));
        assert_eq!(log.version(), 25);
    }

    #[test]
    fn rows_say_the_time_and_the_error_code() {
        let mut log = CallLog::default();
        log.record("get_editor_state", Duration::from_micros(1500), None);
        log.record(
            "open_scene",
            Duration::from_millis(3),
            Some(ErrorCode::SceneNotFound),
        );
        let rows: Vec<String> = log.recent().map(Call::row).collect();
        assert_eq!(
            rows,
            [
                "open_scene 3 ms SCENE_NOT_FOUND",
                "get_editor_state 1 ms ok"
            ]
        );
    }
}
