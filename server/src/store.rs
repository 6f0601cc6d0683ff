//! The bounds of the store's tables (see [`crate::db`], which enforces them).

use std::time::Duration;

/// The bounds of one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Most entries kept.
    pub max_entries: usize,
    /// Most bytes kept (the sum of the entries' sizes).
    pub max_bytes: usize,
    /// An entry unused for this long is dropped.
    pub ttl: Duration,
}
