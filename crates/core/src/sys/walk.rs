//! Walking a strategy folder in a stable order, turning each item into what the archive and the
//! manifest will record. Links are never followed.

use std::path::{Path, PathBuf};

use super::{platform, EntryKind};
use crate::error::{Error, Result};
use crate::limits::{MAX_ENTRIES, MAX_PATH_BYTES};
use crate::progress::Progress;

#[derive(Clone, Debug)]
pub struct SourceEntry {
    /// `strategy/a/b`, as stored in the archive and the manifest.
    pub archive_path: String,
    /// The parts below the strategy folder (`["a", "b"]`).
    pub inside: Vec<String>,
    pub absolute: PathBuf,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub mtime: i64,
    pub link_target: Option<String>,
}

/// Lists the strategy folder itself and everything below it, sorted by name at every level.
/// Sockets, FIFOs and devices cannot be kept in a backup; they are skipped with a warning. A
/// folder restore would refuse (too many entries, a path too long) is refused here already.
pub fn walk_strategy(
    dir: &Path,
    strategy: &str,
    progress: &dyn Progress,
) -> Result<Vec<SourceEntry>> {
    let mut entries = Vec::new();
    for item in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let item = item.map_err(|e| walk_error(dir, e))?;
        let relative = item.path().strip_prefix(dir).unwrap_or(item.path());
        let mut archive_path = strategy.to_string();
        let mut inside = Vec::new();
        for part in relative.components() {
            let name = part
                .as_os_str()
                .to_str()
                .ok_or_else(|| Error::InvalidFileName {
                    path: item.path().to_path_buf(),
                })?;
            archive_path.push('/');
            archive_path.push_str(name);
            inside.push(name.to_string());
        }
        let meta = item
            .path()
            .symlink_metadata()
            .map_err(|e| Error::io("read", item.path(), e))?;
        let file_type = meta.file_type();
        let (kind, size, link_target) = if file_type.is_dir() {
            (EntryKind::Dir, 0, None)
        } else if file_type.is_file() {
            (EntryKind::File, meta.len(), None)
        } else if file_type.is_symlink() {
            let target =
                std::fs::read_link(item.path()).map_err(|e| Error::io("read", item.path(), e))?;
            let target = target
                .to_str()
                .ok_or_else(|| Error::InvalidFileName {
                    path: item.path().to_path_buf(),
                })?
                .replace(std::path::MAIN_SEPARATOR, "/");
            (EntryKind::Symlink, 0, Some(target))
        } else {
            progress.warn(&format!(
                "Skipped {}: it is a special file (socket, pipe or device) that a backup cannot hold.",
                item.path().display()
            ));
            continue;
        };
        if archive_path.len() > MAX_PATH_BYTES {
            return Err(Error::TooLarge {
                path: item.path().to_path_buf(),
                detail: format!("its path is longer than {MAX_PATH_BYTES} bytes"),
            });
        }
        if entries.len() == MAX_ENTRIES {
            return Err(Error::TooLarge {
                path: dir.to_path_buf(),
                detail: format!("it holds more than {MAX_ENTRIES} files, folders and links"),
            });
        }
        entries.push(SourceEntry {
            archive_path,
            inside,
            absolute: item.path().to_path_buf(),
            kind,
            size,
            mode: file_mode(&meta),
            mtime: mtime_seconds(&meta),
            link_target,
        });
    }
    Ok(entries)
}

fn walk_error(root: &Path, err: walkdir::Error) -> Error {
    let path = err
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.to_path_buf());
    match err.into_io_error() {
        Some(io) => Error::io("read", path, io),
        None => Error::io(
            "read",
            path,
            std::io::Error::other("a folder loop was found"),
        ),
    }
}

pub fn file_mode(meta: &std::fs::Metadata) -> u32 {
    platform::file_mode(meta)
}

pub fn mtime_seconds(meta: &std::fs::Metadata) -> i64 {
    let mtime = filetime::FileTime::from_last_modification_time(meta);
    mtime.unix_seconds()
}
