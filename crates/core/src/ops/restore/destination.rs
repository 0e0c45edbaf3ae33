//! The destination folder, opened once: every later step of a restore works relative to this
//! handle, so a path swapped for a link meanwhile changes nothing.

use cap_std::fs::Dir;
use std::path::{Path, PathBuf};

use super::platform;
use crate::error::{Error, IoContext, Result};
use crate::sys::FileIdentity;

/// The destination folder, opened once.
pub(super) struct Destination {
    pub(super) path: PathBuf,
    pub(super) dir: Dir,
}

impl Destination {
    pub(super) fn open(path: &Path, expected: Option<FileIdentity>) -> Result<Destination> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())
            .at("open the folder", path)?;
        if let Some(expected) = expected {
            if identity_of(&dir, path)? != expected {
                return Err(Error::ChangedSinceChosen {
                    path: path.to_path_buf(),
                });
            }
        }
        Ok(Destination {
            path: path.to_path_buf(),
            dir,
        })
    }

    pub(super) fn holds(&self, name: &str) -> bool {
        self.dir.symlink_metadata(name).is_ok()
    }

    /// Makes the renames inside it durable.
    pub(super) fn sync(&self) -> Result<()> {
        sync_dir(&self.dir, &self.path)
    }
}

pub(super) fn identity_of(dir: &Dir, path: &Path) -> Result<FileIdentity> {
    let file = dir.try_clone().at("open the folder", path)?.into_std_file();
    FileIdentity::of_file(&file).at("read", path)
}

pub(super) fn sync_dir(dir: &Dir, path: &Path) -> Result<()> {
    platform::sync_dir(dir).at("save", path)
}

/// `<base>`, or `<base>_2`, `<base>_3`... whichever the destination does not hold yet.
pub(super) fn free_name(dest: &Destination, base: &str) -> String {
    let mut candidate = base.to_string();
    let mut n = 2;
    while dest.holds(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    candidate
}
