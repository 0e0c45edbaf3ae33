//! Placing a partial restore into an existing strategy folder ("replace"): only the chosen files
//! and folders are swapped in, each replacing what stands under its name, after a safety backup
//! of the whole folder whenever anything would be overwritten. What was not chosen is left alone.
//!
//! The existing folder is walked one level at a time with handles that never follow a link, so
//! a link planted in it cannot send a restored file elsewhere. Everything is planned before the
//! first move: a folder of the backup that the existing tree has as a file or link stops the
//! restore before anything changed.

use cap_fs_ext::DirExt;
use cap_std::fs::Dir;
use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;

use super::destination::{sync_dir, Destination};
use super::staging::Staging;
use crate::error::{Error, IoContext, Result};
use crate::ops::backup::{back_up, BackupOptions};
use crate::progress::{CancelToken, Progress};
use crate::store::catalog::CatalogEntry;
use crate::store::settings::Locations;

/// Inside the staging folder: where replaced items wait until the staging folder is removed.
const PARKING: &str = "replaced";

/// What placing the chosen entries did.
pub(super) struct Placed {
    /// True when at least one existing file or folder was replaced.
    pub(super) replaced: bool,
    /// The backup of the strategy folder made before anything in it was replaced.
    pub(super) safety_backup: Option<CatalogEntry>,
}

/// One move: the staged item at `parts` goes to the same place in the existing folder, after
/// whatever stands there (when `replace`) is moved aside.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Move {
    parts: Vec<String>,
    replace: bool,
}

pub(super) fn replace_chosen(
    locations: &Locations,
    staging: &Staging,
    dest: &Destination,
    strategy: &str,
    tops: Vec<&[String]>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Placed> {
    let folder = dest.path.join(strategy);
    let current = dest
        .dir
        .open_dir_nofollow(strategy)
        .map_err(|_| Error::AlreadyExists {
            path: folder.clone(),
        })?;
    let moves = plan(&current, &folder, &tops)?;
    let replacing = moves.iter().any(|m| m.replace);
    let mut placed = Placed {
        replaced: false,
        safety_backup: None,
    };
    if replacing {
        let current_locations = Locations {
            results: dest.path.clone(),
            backups: locations.backups.clone(),
            level: locations.level,
            remote: None,
        };
        let options = BackupOptions {
            level: locations.level,
            if_changed: false,
        };
        placed.safety_backup =
            back_up(&current_locations, strategy, &options, progress, cancel)?.backup;
    }
    cancel.check()?;
    staging
        .dir
        .create_dir(PARKING)
        .at("create a folder in", &staging.path)?;
    let parking = staging
        .dir
        .open_dir(PARKING)
        .at("open the folder", staging.path.join(PARKING))?;
    for (number, step) in moves.iter().enumerate() {
        let Some((name, above)) = step.parts.split_last() else {
            continue;
        };
        let shown = above
            .iter()
            .fold(folder.clone(), |p, part| p.join(part))
            .join(name);
        let target = open_nofollow(&current, above).at("open the folder", &shown)?;
        let mut staged_path = PathBuf::from(strategy);
        staged_path.extend(above);
        let staged = staging
            .dir
            .open_dir(&staged_path)
            .at("open the folder", staging.path.join(&staged_path))?;
        if step.replace {
            let parked = number.to_string();
            target
                .rename(name, &parking, &parked)
                .at("move aside", &shown)?;
            if let Err(e) = staged.rename(name, &target, name) {
                // Put back what was there: the analyst never ends up with neither.
                let _ = parking.rename(&parked, &target, name);
                return Err(Error::io("move the restored file to", &shown, e));
            }
            placed.replaced = true;
        } else {
            if target.symlink_metadata(name).is_ok() {
                return Err(Error::AlreadyExists { path: shown });
            }
            staged
                .rename(name, &target, name)
                .at("move the restored file to", &shown)?;
        }
        sync_dir(&target, &shown)?;
    }
    Ok(placed)
}

/// What to move for each chosen top-level path: the first folder on its way the existing tree
/// lacks (with everything staged below it), or the item itself, replacing what is there. A file
/// or link where the backup has a folder is refused.
fn plan(current: &Dir, folder: &std::path::Path, tops: &[&[String]]) -> Result<Vec<Move>> {
    let mut moves = BTreeSet::new();
    for top in tops {
        let mut dir = current.try_clone().at("open the folder", folder)?;
        let mut shown = folder.to_path_buf();
        for (depth, part) in top.iter().enumerate() {
            shown.push(part);
            let last = depth + 1 == top.len();
            match dir.symlink_metadata(part) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    moves.insert(Move {
                        parts: top[..=depth].to_vec(),
                        replace: false,
                    });
                    break;
                }
                Err(e) => return Err(Error::io("read", &shown, e)),
                Ok(_) if last => {
                    moves.insert(Move {
                        parts: top.to_vec(),
                        replace: true,
                    });
                }
                Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => {
                    dir = dir.open_dir_nofollow(part).at("open the folder", &shown)?;
                }
                Ok(_) => return Err(Error::AlreadyExists { path: shown }),
            }
        }
    }
    Ok(moves.into_iter().collect())
}

/// The folder `parts` below `root`, each level opened without following a link.
fn open_nofollow(root: &Dir, parts: &[String]) -> io::Result<Dir> {
    let mut dir = root.try_clone()?;
    for part in parts {
        dir = dir.open_dir_nofollow(part)?;
    }
    Ok(dir)
}
