//! Writes that crash cannot leave half-done: temporary files in the target folder that vanish
//! unless published, durable renames, an inter-process lock, and the one loop that finds a free
//! temporary name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::open::open_no_follow;
use super::platform;
use crate::error::{Error, IoContext, Result};

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
        first_free_name("create a file in", dir, |attempt| {
            let path = dir.join(format!(
                "{PARTIAL_PREFIX}{name}.{pid}.{attempt}{PARTIAL_SUFFIX}"
            ));
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            // Between creating and locking, another process's `clean_stale_partials` may take the
            // file for a dead writer's and delete it: if it holds the lock, or the name is already
            // gone, leave the file to it and take the next name. Any other lock failure (no
            // locking on this disk) only weakens cleanup.
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                _ if fs::symlink_metadata(&path).is_err() => Ok(None),
                _ => Ok(Some(PartialFile {
                    path,
                    file,
                    published: false,
                })),
            }
        })
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

/// How many temporary names are tried before giving up (a thousand live writers in one folder
/// means something else is wrong).
const NAME_ATTEMPTS: u32 = 1000;

/// The one loop that finds a free temporary name in `dir`: `attempt(n)` creates the n-th name,
/// answering `Ok(None)` or an "already exists" error when it is taken.
/// `action` names what failed in messages ("create a file in").
pub fn first_free_name<T>(
    action: &'static str,
    dir: &Path,
    mut attempt: impl FnMut(u32) -> io::Result<Option<T>>,
) -> Result<T> {
    for n in 0..NAME_ATTEMPTS {
        match attempt(n) {
            Ok(Some(made)) => return Ok(made),
            Ok(None) => continue,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(action, dir, e)),
        }
    }
    Err(Error::io(
        action,
        dir,
        io::Error::other("too many temporary names taken"),
    ))
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
