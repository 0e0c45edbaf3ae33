//! Opening files read back from disks others may write to: never through a link where none may
//! be, never blocking on a pipe, only regular files; and identities, to tell later whether a path
//! still leads to what it led to.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

use super::platform;
use crate::error::{Error, IoContext, Result};

/// Opens `path` with `options`, never through a link and never blocking on a pipe, and insists
/// on a regular file.
pub fn open_no_follow(options: &mut OpenOptions, path: &Path) -> Result<File> {
    let file = platform::open_no_follow(options, path).map_err(|e| refused_or_io(path, e))?;
    must_be_regular(file, path)
}

/// Opens an existing file for reading, never blocking on a pipe, and insists on a regular file.
/// `follow_links` is false for names read from a shared folder (the catalog's), true for a path
/// a person gave.
pub fn open_regular(path: &Path, follow_links: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    let opened = if follow_links {
        platform::open_no_block(&mut options, path)
    } else {
        platform::open_no_follow(&mut options, path)
    };
    must_be_regular(opened.map_err(|e| refused_or_io(path, e))?, path)
}

/// Reads a small document we keep (settings, schedule state), bounded before allocating:
/// `None` when there is no such file, else at most `max + 1` bytes (more than `max` means the
/// caller should refuse it as too large). Same link rule as [`open_regular`].
pub fn read_bounded(path: &Path, follow_links: bool, max: u64) -> Result<Option<Vec<u8>>> {
    let file = match open_regular(path, follow_links) {
        Ok(file) => file,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(file, max + 1), &mut bytes).at("read", path)?;
    Ok(Some(bytes))
}

fn must_be_regular(file: File, path: &Path) -> Result<File> {
    let meta = file.metadata().at("read", path)?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(Error::NotARegularFile {
            path: path.to_path_buf(),
        })
    }
}

/// A link met where none may be reads as "not a regular file", not as a system error code.
fn refused_or_io(path: &Path, error: io::Error) -> Error {
    if platform::is_link_refusal(&error) {
        Error::NotARegularFile {
            path: path.to_path_buf(),
        }
    } else {
        Error::io("open", path, error)
    }
}

/// Which file or folder a path led to when it was checked, to tell later whether it still leads
/// there (a path swapped for a link in between leads elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity(platform::Identity);

impl FileIdentity {
    /// The identity of what an open file or folder is.
    pub fn of_file(file: &File) -> io::Result<FileIdentity> {
        platform::identity(&file.metadata()?).map(FileIdentity)
    }

    /// The identity of what `path` leads to now (following links).
    pub fn of_path(path: &Path) -> io::Result<FileIdentity> {
        platform::identity(&fs::metadata(path)?).map(FileIdentity)
    }

    pub fn of_metadata(meta: &fs::Metadata) -> io::Result<FileIdentity> {
        platform::identity(meta).map(FileIdentity)
    }
}
