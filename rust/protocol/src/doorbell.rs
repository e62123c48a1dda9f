//! The doorbell: errors that appeared since a client's previous answer,
//! rung on its next answer, whatever the call.
//!
//! Agent clients mostly ignore resource notifications, so an agent only
//! learns of a new error where it will look anyway: in the answer it is
//! reading. The editor keeps a [`Feed`] of recent errors from every source
//! (script parse errors, the editor's own errors, the game's) and one
//! watermark per connection; each error is announced once. The shim merges
//! what arrives on answers it does not show (resource reads) into the next
//! tool answer.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::commands::log::Location;

/// Errors shown by name in an announcement; the rest are counted.
pub const SHOWN: usize = 2;
/// Errors kept for announcements; older ones are only counted.
const KEPT: usize = 64;
/// An error identical to one announced this recently is a repeat, not news.
const REPEAT_WINDOW: Duration = Duration::from_secs(30);

/// Where an error comes from; each has its own tool that lists them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    /// A project script that no longer parses.
    Script,
    /// An error the editor itself logged.
    Editor,
    /// An error in the running game.
    Game,
}

impl ErrorSource {
    /// The tool that lists every error of this source.
    pub fn tool(self) -> &'static str {
        match self {
            ErrorSource::Script => "get_editor_state (script_errors)",
            ErrorSource::Editor => "get_editor_log level=error",
            ErrorSource::Game => "get_game_errors",
        }
    }
}

/// One error as announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorNote {
    pub source: ErrorSource,
    pub message: String,
    #[serde(flatten)]
    pub at: Location,
}

/// The `new_errors` member of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewErrors {
    /// Errors new since the previous answer.
    pub count: u64,
    /// The first of them.
    pub first: Vec<ErrorNote>,
    /// The tools that list them all.
    pub hint: String,
}

impl NewErrors {
    fn new(count: u64, first: Vec<ErrorNote>) -> Self {
        let mut tools: Vec<&str> = Vec::new();
        for note in &first {
            if !tools.contains(&note.source.tool()) {
                tools.push(note.source.tool());
            }
        }
        let hint = format!("all of them: {}", tools.join(", "));
        NewErrors { count, first, hint }
    }

    /// Adds a later announcement to this one (both are news to the client).
    pub fn merge(self, later: NewErrors) -> NewErrors {
        let mut first = self.first;
        first.extend(later.first);
        first.truncate(SHOWN);
        NewErrors::new(self.count + later.count, first)
    }
}

struct Entry {
    seq: u64,
    note: ErrorNote,
    at: Instant,
}

/// Recent errors and how far each connection has been told.
#[derive(Default)]
pub struct Feed {
    recent: VecDeque<Entry>,
    /// Sequence number of the newest error; 0 before the first.
    head: u64,
    told: HashMap<u64, u64>,
}

impl Feed {
    /// Records an error; a repeat of one recorded moments ago is dropped.
    pub fn ring(&mut self, note: ErrorNote) {
        self.ring_at(note, Instant::now());
    }

    fn ring_at(&mut self, note: ErrorNote, now: Instant) {
        let repeat = self
            .recent
            .iter()
            .rev()
            .take_while(|e| now.duration_since(e.at) < REPEAT_WINDOW)
            .any(|e| e.note == note);
        if repeat {
            return;
        }
        self.head += 1;
        if self.recent.len() == KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(Entry {
            seq: self.head,
            note,
            at: now,
        });
    }

    /// What `connection` has not been told yet, marked as told. A
    /// connection's first answer sets its watermark: nothing is news before
    /// a client's first call.
    pub fn news_for(&mut self, connection: u64) -> Option<NewErrors> {
        let head = self.head;
        let told = self.told.entry(connection).or_insert(head);
        if *told >= head {
            return None;
        }
        let since = std::mem::replace(told, head);
        let first = self
            .recent
            .iter()
            .filter(|e| e.seq > since)
            .take(SHOWN)
            .map(|e| e.note.clone())
            .collect();
        Some(NewErrors::new(head - since, first))
    }

    /// Forgets a closed connection.
    pub fn forget(&mut self, connection: u64) {
        self.told.remove(&connection);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(source: ErrorSource, message: &str, line: i64) -> ErrorNote {
        ErrorNote {
            source,
            message: message.into(),
            at: Location::new("res://a.gd", line, ""),
        }
    }

    #[test]
    fn each_error_is_announced_once_per_connection() {
        let mut feed = Feed::default();
        assert_eq!(feed.news_for(1), None, "the first answer sets the mark");
        feed.ring(note(ErrorSource::Game, "null instance", 3));
        assert_eq!(feed.news_for(2), None, "a new client hears nothing old");
        let news = feed.news_for(1).expect("news");
        assert_eq!(news.count, 1);
        assert_eq!(news.first[0].message, "null instance");
        assert_eq!(news.hint, "all of them: get_game_errors");
        assert_eq!(feed.news_for(1), None, "announced once");
        feed.ring(note(ErrorSource::Editor, "boom", 1));
        assert_eq!(feed.news_for(2).unwrap().count, 1);
        assert_eq!(
            feed.news_for(1).unwrap().first[0].source,
            ErrorSource::Editor
        );
    }

    #[test]
    fn many_errors_are_counted_and_the_first_two_shown() {
        let mut feed = Feed::default();
        feed.news_for(1);
        for line in 1..=100 {
            feed.ring(note(ErrorSource::Script, "parse error", line));
        }
        let news = feed.news_for(1).unwrap();
        assert_eq!(news.count, 100, "counted past what is kept");
        assert_eq!(news.first.len(), SHOWN);
        assert_eq!(news.first[0].at.line, Some(37), "the oldest still kept");
    }

    #[test]
    fn a_repeat_within_the_window_is_not_news() {
        let mut feed = Feed::default();
        feed.news_for(1);
        let t = Instant::now();
        feed.ring_at(note(ErrorSource::Game, "x", 1), t);
        feed.ring_at(note(ErrorSource::Game, "x", 1), t + Duration::from_secs(1));
        assert_eq!(feed.news_for(1).unwrap().count, 1);
        feed.ring_at(note(ErrorSource::Game, "x", 1), t + REPEAT_WINDOW * 2);
        assert_eq!(feed.news_for(1).unwrap().count, 1, "old enough to be news");
    }

    #[test]
    fn merged_announcements_add_up_and_name_every_tool() {
        let a = NewErrors::new(1, vec![note(ErrorSource::Game, "a", 1)]);
        let b = NewErrors::new(3, vec![note(ErrorSource::Script, "b", 2)]);
        let both = a.merge(b);
        assert_eq!(both.count, 4);
        assert_eq!(both.first.len(), 2);
        assert_eq!(
            both.hint,
            "all of them: get_game_errors, get_editor_state (script_errors)"
        );
        let text = serde_json::to_value(&both).unwrap();
        assert_eq!(text["first"][0]["file"], "res://a.gd");
        assert_eq!(text["first"][0]["source"], "game");
    }
}
