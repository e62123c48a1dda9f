//! A bounded log with cursors.
//!
//! Readers keep the sequence number after the last entry they saw and ask
//! for what came since; the oldest entries fall out when the log is full,
//! and a reader that fell behind is told how many it missed rather than
//! silently skipping them.

use std::collections::VecDeque;

use godot_mcp_protocol::commands::log::Cursor;

pub struct Ring<T> {
    entries: VecDeque<T>,
    /// Sequence number of the front entry.
    first: u64,
    capacity: usize,
}

/// Entries after a cursor.
pub struct Page<'a, T> {
    pub entries: Vec<(u64, &'a T)>,
    pub cursor: Cursor,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity.min(256)),
            first: 0,
            capacity: capacity.max(1),
        }
    }

    /// Appends an entry and returns its sequence number.
    pub fn push(&mut self, entry: T) -> u64 {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.first += 1;
        }
        self.entries.push_back(entry);
        self.end() - 1
    }

    /// The sequence number the next entry will get.
    pub fn end(&self) -> u64 {
        self.first + self.entries.len() as u64
    }

    /// Up to `limit` entries from `since` on that `keep` accepts.
    pub fn read(&self, since: u64, limit: usize, keep: impl Fn(&T) -> bool) -> Page<'_, T> {
        let missed = self.first.saturating_sub(since);
        let start = since.max(self.first);
        let mut entries = Vec::new();
        let mut next = self.end().max(since);
        let mut more = false;
        for (seq, entry) in (start..).zip(self.entries.iter().skip((start - self.first) as usize)) {
            if !keep(entry) {
                continue;
            }
            if entries.len() == limit {
                next = seq;
                more = true;
                break;
            }
            entries.push((seq, entry));
        }
        Page {
            entries,
            cursor: Cursor { next, missed, more },
        }
    }

    /// The last `n` entries, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = &T> {
        self.entries
            .iter()
            .skip(self.entries.len().saturating_sub(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs<T>(page: &Page<'_, T>) -> Vec<u64> {
        page.entries.iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn cursors_return_only_what_is_new() {
        let mut ring = Ring::new(10);
        for i in 0..3 {
            assert_eq!(ring.push(i), i as u64);
        }
        let page = ring.read(0, 100, |_| true);
        assert_eq!(seqs(&page), [0, 1, 2]);
        assert_eq!(
            page.cursor,
            Cursor {
                next: 3,
                missed: 0,
                more: false
            }
        );
        let page = ring.read(3, 100, |_| true);
        assert!(page.entries.is_empty());
        assert_eq!(page.cursor.next, 3);
        ring.push(3);
        assert_eq!(seqs(&ring.read(3, 100, |_| true)), [3]);
    }

    #[test]
    fn overflow_drops_the_oldest_and_counts_what_a_reader_missed() {
        let mut ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        let page = ring.read(1, 100, |_| true);
        assert_eq!(seqs(&page), [2, 3, 4]);
        assert_eq!(page.cursor.missed, 1);
        assert_eq!(*page.entries[0].1, 2);
        assert_eq!(ring.read(4, 100, |_| true).cursor.missed, 0);
    }

    #[test]
    fn limit_and_filter_leave_a_cursor_to_continue_from() {
        let mut ring = Ring::new(100);
        for i in 0..10 {
            ring.push(i);
        }
        let even = |n: &i32| n % 2 == 0;
        let page = ring.read(0, 2, even);
        assert_eq!(seqs(&page), [0, 2]);
        assert!(page.cursor.more);
        let page = ring.read(page.cursor.next, 2, even);
        assert_eq!(seqs(&page), [4, 6]);
        let page = ring.read(page.cursor.next, 2, even);
        assert_eq!(seqs(&page), [8]);
        assert!(!page.cursor.more);
        assert_eq!(page.cursor.next, 10);
    }

    #[test]
    fn a_cursor_from_the_future_stays_put() {
        let mut ring = Ring::new(4);
        ring.push(1);
        let page = ring.read(7, 10, |_| true);
        assert!(page.entries.is_empty());
        assert_eq!(page.cursor.next, 7);
    }

    #[test]
    fn tail_is_oldest_first() {
        let mut ring = Ring::new(4);
        for i in 0..6 {
            ring.push(i);
        }
        assert_eq!(ring.tail(2).copied().collect::<Vec<_>>(), [4, 5]);
        assert_eq!(ring.tail(9).count(), 4);
    }
}
