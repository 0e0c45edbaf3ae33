//! The deletion journal, `<backups>/.forget-journal.json`: the names of the backups a delete or
//! forget is removing, written before the first file goes. A removal is several steps (catalog
//! entry, archive, sidecar, for each backup); the journal turns them into one that a crash
//! cannot split: whoever takes the catalog lock next finds the journal and finishes the
//! removal (rolls it forward) before doing anything else, and the journal goes last. So every
//! backup is either whole (archive, sidecar, catalog entry) or, once anyone looks, gone.
//! (`Catalog::remove_locked` and `finish_pending_removal` in `catalog.rs` do the steps.)
//!
//! Read back, the journal is untrusted like every document here: a regular file of bounded
//! size, a known format, and each name a valid archive file name (one visible component in the
//! backups folder, ending in `.tar.gz`); names that are not are skipped with a warning.

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::names::ArchiveFileName;
use crate::error::{Error, IoContext, Result};
use crate::limits::{quoted, MAX_JOURNAL_BYTES};
use crate::sys;

pub const JOURNAL_FILE: &str = ".forget-journal.json";
const JOURNAL_FORMAT: &str = "results-backup-deletion-journal";
const JOURNAL_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct JournalDocument {
    format: String,
    format_version: u32,
    /// Archive file names in the backups folder; their sidecars go with them.
    backups: Vec<String>,
}

/// What a journal left in the backups folder asks for.
pub(crate) enum Pending {
    /// No journal: nothing was interrupted.
    Nothing,
    /// An interrupted removal of these backups; `skipped` says which names were refused.
    Removal {
        files: Vec<ArchiveFileName>,
        skipped: Vec<String>,
    },
    /// A journal that cannot be read as ours (not written by us: ours are written atomically).
    Unreadable(String),
    /// A journal from a newer version of the app, which this one must not guess at.
    Newer(u32),
}

pub(crate) fn journal_path(backups: &Path) -> PathBuf {
    backups.join(JOURNAL_FILE)
}

/// True when a journal (or anything else under its name) is in the backups folder.
pub(crate) fn exists(backups: &Path) -> bool {
    std::fs::symlink_metadata(journal_path(backups)).is_ok()
}

/// Records, atomically, that `files` are about to be removed.
pub(crate) fn write(backups: &Path, files: &[ArchiveFileName]) -> Result<()> {
    let path = journal_path(backups);
    let document = JournalDocument {
        format: JOURNAL_FORMAT.into(),
        format_version: JOURNAL_FORMAT_VERSION,
        backups: files.iter().map(|f| f.to_string()).collect(),
    };
    let json = serde_json::to_vec_pretty(&document)
        .map_err(|e| Error::io("write", &path, std::io::Error::other(e)))?;
    sys::write_atomically(&path, &json)
}

/// Reads the journal left by an interrupted removal, if any.
pub(crate) fn read(backups: &Path) -> Pending {
    let path = journal_path(backups);
    let file = match sys::open_regular(&path, false) {
        Ok(file) => file,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Pending::Nothing
        }
        Err(e) => return Pending::Unreadable(e.to_string()),
    };
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_JOURNAL_BYTES + 1).read_to_end(&mut bytes) {
        return Pending::Unreadable(e.to_string());
    }
    if bytes.len() as u64 > MAX_JOURNAL_BYTES {
        return Pending::Unreadable(format!("it is larger than {MAX_JOURNAL_BYTES} bytes"));
    }
    let document: JournalDocument = match serde_json::from_slice(&bytes) {
        Ok(document) => document,
        Err(e) => return Pending::Unreadable(quoted(&e.to_string())),
    };
    if document.format != JOURNAL_FORMAT {
        return Pending::Unreadable(format!("it is a \"{}\" document", quoted(&document.format)));
    }
    if document.format_version > JOURNAL_FORMAT_VERSION {
        return Pending::Newer(document.format_version);
    }
    let mut files = Vec::with_capacity(document.backups.len());
    let mut skipped = Vec::new();
    for name in document.backups {
        match ArchiveFileName::new(name) {
            Ok(file) if !files.contains(&file) => files.push(file),
            Ok(_) => {}
            Err(e) => skipped.push(e.to_string()),
        }
    }
    Pending::Removal { files, skipped }
}

/// Removes the journal once its removal is complete (or it was found unusable), durably.
pub(crate) fn remove(backups: &Path) -> Result<()> {
    let path = journal_path(backups);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).at("delete", &path),
    }
    sys::atomic::sync_dir(backups)
}
