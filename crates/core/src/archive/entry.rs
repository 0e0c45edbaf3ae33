//! What an archive records for each entry, as its manifest lists it.

use serde::{Deserialize, Serialize};

use crate::sys::EntryKind;

/// One folder, file or link of a backup: what the archive holds and the manifest lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ManifestEntry {
    /// Path inside the archive, `/`-separated, starting with the strategy folder.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes of content (0 for folders and links).
    pub size: u64,
    /// Permission bits, e.g. 0o644 (stored as a number).
    pub mode: u32,
    /// Seconds since 1970-01-01 UTC.
    pub mtime: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sha256: Option<String>,
    /// Where a symbolic link points, exactly as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target: Option<String>,
}
