//! The staging folder a restore extracts into, inside the destination (so the final move is a
//! rename on the same disk), and the clean-up of those left by restores that were killed.

use cap_std::fs::Dir;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::destination::Destination;
use super::platform;
use crate::error::{IoContext, Result};
use crate::sys::atomic::first_free_name;

/// Staging folders are hidden siblings of what they will become, so the final move is a rename
/// on the same disk.
const STAGING_PREFIX: &str = ".results-backup-staging-";
const STAGING_LOCK: &str = ".lock";

/// The staging folder inside the destination: removed, through the destination's handle, with
/// everything in it when dropped. A lock file inside tells a later run whether its owner is
/// still alive.
pub(super) struct Staging {
    pub(super) parent: Dir,
    pub(super) parent_path: PathBuf,
    pub(super) name: String,
    pub(super) dir: Dir,
    /// Shown in messages; every access goes through `dir`.
    pub(super) path: PathBuf,
    pub(super) _lock: File,
}

impl Staging {
    pub(super) fn create(dest: &Destination) -> Result<Staging> {
        let pid = std::process::id();
        let name = first_free_name("create a folder in", &dest.path, |attempt| {
            let name = format!("{STAGING_PREFIX}{pid}-{attempt}");
            dest.dir.create_dir(&name).map(|()| Some(name))
        })?;
        let path = dest.path.join(&name);
        let parent = dest.dir.try_clone().at("open the folder", &dest.path)?;
        let dir = dest.dir.open_dir(&name).at("open the folder", &path)?;
        let lock_path = path.join(STAGING_LOCK);
        let lock =
            platform::create_file(&dir, Path::new(STAGING_LOCK), 0o600).at("create", &lock_path)?;
        let _ = lock.try_lock();
        Ok(Staging {
            parent,
            parent_path: dest.path.clone(),
            name,
            dir,
            path,
            _lock: lock,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = self.parent.remove_dir_all(&self.name);
    }
}

/// Removes staging folders left by restores that were killed. Only real folders with our name
/// are considered (never a link), and only when no live restore holds their lock.
pub(super) fn clean_stale_staging(dest: &Destination) {
    let Ok(entries) = dest.dir.entries() else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(STAGING_PREFIX) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(staging) = dest.dir.open_dir(&name) else {
            continue;
        };
        let abandoned = match platform::open_lock(&staging, STAGING_LOCK) {
            Ok(lock) => lock.try_lock().is_ok(),
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        };
        if abandoned {
            let _ = dest.dir.remove_dir_all(&name);
        }
    }
}
