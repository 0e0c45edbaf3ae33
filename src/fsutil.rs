//! File-system building blocks that make every write crash-safe: temporary files in the target
//! folder that vanish unless published, durable renames, and an inter-process lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

#[cfg(unix)]
#[path = "fsutil_unix.rs"]
mod platform;
#[cfg(not(unix))]
#[path = "fsutil_other.rs"]
mod platform;

/// Prefix and suffix of every temporary file we create; a name of this shape never looks finished,
/// and `clean_stale_partials` removes the ones whose writer died.
pub const PARTIAL_PREFIX: &str = ".";
pub const PARTIAL_SUFFIX: &str = ".partial";

/// A file being written under a hidden temporary name in its final folder. It is deleted when
/// dropped unless `publish` moved it to its final name. While it lives, it holds an exclusive lock
/// on itself so that a later run can tell a dead writer's leftovers from a live writer's work.
pub struct PartialFile {
    path: PathBuf,
    file: File,
    /// Set once the file has its final name: from then on dropping it removes nothing.
    published: bool,
}

impl PartialFile {
    /// Creates `.<final name>.<pid>.<n>.partial` beside `final_path`.
    pub fn create(final_path: &Path) -> Result<Self> {
        let dir = parent_of(final_path);
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pid = std::process::id();
        for attempt in 0..1000u32 {
            let path = dir.join(format!(
                "{PARTIAL_PREFIX}{name}.{pid}.{attempt}{PARTIAL_SUFFIX}"
            ));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    // Between creating and locking, another process's `clean_stale_partials`
                    // may take the file for a dead writer's and delete it: if it holds the lock,
                    // or the name is already gone, leave the file to it and take the next name.
                    // Any other lock failure (no locking on this disk) only weakens cleanup.
                    match file.try_lock() {
                        Err(std::fs::TryLockError::WouldBlock) => continue,
                        _ if fs::symlink_metadata(&path).is_err() => continue,
                        _ => {}
                    }
                    return Ok(PartialFile {
                        path,
                        file,
                        published: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create a file in", dir, e)),
            }
        }
        Err(Error::io(
            "create a file in",
            dir,
            io::Error::other("too many temporary files"),
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Flushes to disk and moves the file to `final_path`, refusing to replace an existing file.
    /// On `AlreadyExists` the partial file stays intact so the caller can try another name.
    pub fn publish_new(&mut self, final_path: &Path) -> Result<()> {
        self.sync()?;
        rename_no_replace(&self.path, final_path)?;
        self.published = true;
        sync_dir(parent_of(final_path))
    }

    /// Flushes to disk and moves the file over `final_path`, replacing what was there atomically.
    pub fn publish_replacing(mut self, final_path: &Path) -> Result<()> {
        self.sync()?;
        fs::rename(&self.path, final_path).at("save", final_path)?;
        self.published = true;
        sync_dir(parent_of(final_path))
    }

    /// Flushes the content to disk (publishing does it too; calling it first is cheap).
    pub fn sync(&mut self) -> Result<()> {
        self.file.flush().at("write", &self.path)?;
        self.file.sync_all().at("save", &self.path)
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Renames without ever replacing: a hard link fails if the target exists, which makes the
/// "does it exist?" question and the publish one atomic step. File systems without hard links
/// fall back to a checked rename.
pub fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            fs::remove_file(from).at("remove", from)?;
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::AlreadyExists {
            path: to.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::StorageFull => Err(Error::io("save", to, e)),
        Err(_) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(Error::AlreadyExists {
                    path: to.to_path_buf(),
                });
            }
            fs::rename(from, to).at("save", to)
        }
    }
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename, fsync of the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = PartialFile::create(path)?;
    let tmp = partial.path().to_path_buf();
    partial.file().write_all(bytes).at("write", &tmp)?;
    partial.publish_replacing(path)
}

/// Makes a rename durable: the folder entry itself must reach the disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    platform::sync_dir(dir).at("save", dir)
}

pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Removes temporary files left by writers that died (killed, power cut) in `dir`. A live writer
/// holds a lock on its file, so its work is never touched.
pub fn clean_stale_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(PARTIAL_PREFIX) && name.ends_with(PARTIAL_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        let mut options = OpenOptions::new();
        options.write(true);
        if let Ok(file) = open_no_follow(&mut options, &path) {
            if file.try_lock().is_ok() {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// An exclusive lock on `<dir>/<name>` held until dropped; serializes catalog updates between
/// processes (two analysts' scripts backing up at once both land). The lock file is opened
/// without following links and must be a regular file: a link planted in its place on a shared
/// disk cannot make us create or lock a file elsewhere.
pub struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path, name: &str) -> Result<Self> {
        let path = dir.join(name);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        let file = open_no_follow(&mut options, &path)?;
        file.lock().at("lock", &path)?;
        Ok(DirLock { _file: file })
    }
}

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

/// Creates `dir` (and parents) if needed, with a clear error if something else is in the way.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotAFolder {
            path: dir.to_path_buf(),
        }),
        Err(_) => fs::create_dir_all(dir).at("create the folder", dir),
    }
}
