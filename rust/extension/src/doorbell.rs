//! The editor's side of the doorbell: one feed of new errors for every
//! source, read when an answer goes out.
//!
//! Errors arrive on whichever thread Godot logs from, so the feed is a
//! global behind a mutex that is never held while calling into Godot.

use std::sync::Mutex;

use godot_mcp_protocol::commands::log::Location;
use godot_mcp_protocol::doorbell::{ErrorNote, ErrorSource, Feed, NewErrors};

static FEED: Mutex<Option<Feed>> = Mutex::new(None);

fn with_feed<R>(f: impl FnOnce(&mut Feed) -> R) -> R {
    let mut feed = FEED.lock().unwrap_or_else(|e| e.into_inner());
    f(feed.get_or_insert_with(Feed::default))
}

/// Records an error for every client's next answer.
pub fn ring(source: ErrorSource, message: &str, at: &Location) {
    let note = ErrorNote {
        source,
        message: message.to_owned(),
        at: at.clone(),
    };
    with_feed(|feed| feed.ring(note));
}

/// What the client on `connection` has not been told yet.
pub fn news_for(connection: u64) -> Option<NewErrors> {
    with_feed(|feed| feed.news_for(connection))
}
