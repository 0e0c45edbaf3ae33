//! The lowest layer: files and folders on the local disk. Crash-safe writes, opening what others
//! may have planted, walking a folder, hashing, the background threads that hash and flush, and
//! the pipe pieces the archive readers stream through. Platform-specific code lives in `unix.rs`
//! and `other.rs`. Nothing here knows about archives, backups or catalogs.

pub mod atomic;
pub mod aws_profile;
pub mod background;
pub mod hashing;
pub mod name_rules;
pub mod open;
pub mod pipe;
pub mod s3;
pub mod walk;
pub mod watch;

#[cfg(unix)]
#[path = "unix.rs"]
mod platform;
#[cfg(not(unix))]
#[path = "other.rs"]
mod platform;

pub use atomic::{ensure_dir, parent_of, write_atomically, DirLock, PartialFile};
pub use name_rules::{component_problem, NameError};
pub use open::{open_regular, read_bounded, FileIdentity};

use serde::{Deserialize, Serialize};

/// What an item on disk or in an archive is. Devices, pipes and sockets are never backed up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
}

/// Threads for CPU-bound work (compressing, inflating): one per core.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
