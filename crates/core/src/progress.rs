//! How long operations report progress and learn they should stop. The core only calls the sink;
//! rates, ETAs and throttling belong to whoever draws them (terminal bar, desktop channel).

use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Backup,
    Check,
    Restore,
    Rebuild,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgressUpdate {
    pub operation: Operation,
    /// The strategy or backup being worked on.
    pub item: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
}

/// Receives progress and warnings from the core. Implementations must be cheap: `update` is called
/// often (every block of data), so throttling is the sink's job.
pub trait Progress: Send + Sync {
    fn update(&self, update: &ProgressUpdate);
    /// Something the person should know that did not stop the operation.
    fn warn(&self, message: &str) {
        let _ = message;
    }
}

/// A sink for callers that do not show progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _update: &ProgressUpdate) {}
}

/// Shared flag a caller sets to ask a running operation to stop at its next checkpoint.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Returns `Err(Cancelled)` once cancellation was asked for; called between units of work.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Tracks one operation's counters and forwards them to the sink.
pub struct Tracker<'a> {
    sink: &'a dyn Progress,
    state: ProgressUpdate,
}

impl<'a> Tracker<'a> {
    pub fn new(
        sink: &'a dyn Progress,
        operation: Operation,
        item: &str,
        bytes_total: u64,
        files_total: u64,
    ) -> Self {
        let tracker = Tracker {
            sink,
            state: ProgressUpdate {
                operation,
                item: item.to_string(),
                bytes_done: 0,
                bytes_total,
                files_done: 0,
                files_total,
            },
        };
        tracker.sink.update(&tracker.state);
        tracker
    }

    pub fn add_bytes(&mut self, bytes: u64) {
        self.state.bytes_done += bytes;
        self.sink.update(&self.state);
    }

    pub fn add_file(&mut self) {
        self.state.files_done += 1;
        self.sink.update(&self.state);
    }
}
