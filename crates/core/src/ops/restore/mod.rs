//! Restoring a backup without ever trusting it. The destination folder is opened once, and every
//! later step works relative to that handle (a path swapped for a link meanwhile changes
//! nothing): members are extracted into a staging folder inside it, each admitted by the layout
//! rules first (see `layout`), checked file by file against the manifest (entries a sidecar does
//! not list, or lists smaller, before a byte of them is written), and only then moved into place
//! under a name built from validated parts. Files are created with their final permissions,
//! masked by the umask, never briefly more open. Free space is checked before the first write.
//! On any failure the staging folder is removed and the destination is exactly as it was.

use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

use super::backup::{back_up, BackupOptions};
use crate::archive::StrategyName;
use crate::error::{Error, IoContext, Result};
use crate::limits::space_needed;
use crate::progress::{CancelToken, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::CatalogEntry;
use crate::store::locate::{timestamp_in_name, LocatedBackup, Locator, Proof};
use crate::store::names::copy_folder_name;
use crate::store::settings::Locations;
use crate::sys::FileIdentity;

mod destination;
mod extract;
mod partial;
#[cfg(unix)]
#[path = "platform_unix.rs"]
mod platform;
#[cfg(not(unix))]
#[path = "platform_other.rs"]
mod platform;
mod preview;
mod selection;
mod single_file;
mod staging;

pub use preview::{preview, RestorePreview};
pub use single_file::{extract_file, extract_file_in, ExtractedFile};

use destination::{free_name, identity_of, Destination};
use extract::{extract_through_index, extract_verified, Extracted};
use selection::Selection;
use staging::{clean_stale_staging, Staging};

/// Inside the staging folder: where the current folder is parked while the restored one moves in.
const PARKING: &str = "previous";
/// Disk space a folder or a small file takes beyond its content, for the free-space estimate.
const BLOCK_PER_ENTRY: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Restore beside the existing folder as `<strategy>_restored_<timestamp>`.
    Copy,
    /// Back up the existing folder first, then swap the restored one in.
    Replace,
    /// Stop with an error.
    Fail,
}

#[derive(Clone, Debug)]
pub struct RestoreOptions {
    /// Where the strategy folder goes; the results folder when `None`.
    pub destination: Option<PathBuf>,
    pub on_conflict: OnConflict,
    /// The identity the destination had when the analyst chose it: a folder that is no longer
    /// that one (moved, replaced by a link) is refused. `None` for a destination typed on the
    /// command line, which is created when missing.
    pub expected_destination: Option<FileIdentity>,
    /// Restore only these files and folders (paths inside the strategy folder, such as
    /// `runs/run_003`), with the folders leading to them; empty restores everything. Into an
    /// existing strategy folder, `Replace` replaces only these (after a safety backup of the
    /// folder) and `Copy` makes a new copy folder holding only these.
    pub only: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct RestoreOutcome {
    pub backup_file: String,
    pub strategy: StrategyName,
    pub restored_to: PathBuf,
    /// Which folder `restored_to` is, so the app can grant exactly it.
    #[serde(skip)]
    pub restored_identity: Option<FileIdentity>,
    pub proof: Proof,
    pub files: u64,
    pub bytes: u64,
    /// True when an existing folder was replaced (after `safety_backup` was made of it).
    pub replaced: bool,
    pub safety_backup: Option<CatalogEntry>,
    pub warnings: Vec<String>,
}

pub fn restore(
    locations: &Locations,
    wanted: &Locator,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    let store = BackupsStore::folder(&locations.backups);
    restore_in(locations, &store, wanted, options, progress, cancel)
}

/// Restores a backup of `store`, a folder or an S3 store (an object is streamed through the
/// same staged, verified restore). A safety backup made by `Replace` goes to the backups folder
/// of `locations`, whichever store the backup came from.
pub fn restore_in(
    locations: &Locations,
    store: &BackupsStore,
    wanted: &Locator,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    // A path that can never be restored is refused before anything is opened or created.
    let selection = Selection::parse(&options.only, false)?;
    let located = store.locate(wanted, progress)?;
    restore_located(
        locations,
        &located,
        selection.as_ref(),
        options,
        progress,
        cancel,
    )
}

fn restore_located(
    locations: &Locations,
    located: &LocatedBackup,
    selection: Option<&Selection>,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    let destination = options
        .destination
        .clone()
        .unwrap_or_else(|| locations.results.clone());
    // Folders this restore creates for the destination go again if it fails: a refused archive
    // leaves no trace, not even an empty folder. A chosen destination is never created.
    let created = match options.expected_destination {
        Some(_) => Vec::new(),
        None => missing_folders(&destination),
    };
    if options.expected_destination.is_none() {
        crate::sys::ensure_dir(&destination)?;
    }
    let result = Destination::open(&destination, options.expected_destination).and_then(|dest| {
        restore_into(
            locations, located, &dest, options, selection, progress, cancel,
        )
    });
    if result.is_err() {
        for folder in &created {
            let _ = fs::remove_dir(folder);
        }
    }
    result
}

/// `path` and those of its ancestors that do not exist yet, deepest first.
fn missing_folders(path: &Path) -> Vec<PathBuf> {
    path.ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// With `--on-conflict fail` and a strategy the manifest or catalog already names, a conflict is
/// reported before anything (even a staging folder) is created in the destination.
fn refuse_known_conflict_early(
    located: &LocatedBackup,
    dest: &Destination,
    options: &RestoreOptions,
) -> Result<()> {
    if options.on_conflict != OnConflict::Fail {
        return Ok(());
    }
    let known_strategy = located
        .sidecar
        .as_ref()
        .map(|m| m.strategy.clone())
        .or_else(|| located.catalog_entry.as_ref().map(|e| e.strategy.clone()));
    match known_strategy {
        Some(strategy) if dest.holds(&strategy) => Err(Error::AlreadyExists {
            path: dest.path.join(strategy),
        }),
        _ => Ok(()),
    }
}

/// When the backup says how much it holds, it must fit on the destination's disk (with room to
/// spare) before anything is written; with a selection and a sidecar, what it selects must.
fn refuse_what_will_not_fit(
    located: &LocatedBackup,
    dest: &Destination,
    selection: Option<&Selection>,
) -> Result<()> {
    let listed = located
        .sidecar
        .as_ref()
        .map(|m| match selection {
            None => (m.totals.bytes, m.entries.len() as u64),
            Some(selection) => m
                .entries
                .iter()
                .filter(|e| selection.selects_path(&e.path))
                .fold((0u64, 0u64), |(bytes, count), e| {
                    (bytes.saturating_add(e.size), count + 1)
                }),
        })
        .or_else(|| {
            located
                .catalog_entry
                .as_ref()
                .map(|e| (e.bytes, e.files.saturating_add(1)))
        });
    let (Some((bytes, entries)), Some(available)) = (listed, platform::available_space(&dest.dir))
    else {
        return Ok(());
    };
    let needed = bytes.saturating_add(entries.saturating_mul(BLOCK_PER_ENTRY));
    if space_needed(needed) > available {
        return Err(Error::NotEnoughSpace {
            path: dest.path.clone(),
            needed,
            available,
        });
    }
    Ok(())
}

/// Extracts into a fresh staging folder in `dest` and verifies: everything, or what `selection`
/// picks. A selection from a backup whose sidecar has an index is read through it (only the
/// members holding the chosen entries are inflated); when the index cannot be followed (it
/// points outside the archive, at something that is not our member, at another entry, or what
/// it finds does not match the manifest), a warning says so and the archive is read whole,
/// which proves or refuses it as any restore does. A wrong index costs time, never trust.
fn stage(
    located: &LocatedBackup,
    dest: &Destination,
    selection: Option<&Selection>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(Staging, Extracted)> {
    let mut warnings = Vec::new();
    // The index is followed on a local file by seeking, on an object in a store by ranged reads.
    if let (Some(selection), Some(sidecar)) = (selection, located.sidecar.as_ref()) {
        if let Some(index) = &sidecar.index {
            let staging = Staging::create(dest)?;
            match extract_through_index(
                located, sidecar, index, selection, &staging, progress, cancel,
            ) {
                Ok(extracted) => return Ok((staging, extracted)),
                Err(error) if worth_a_full_read(&error) => {
                    let warning = format!("{error}; the whole archive was read instead.");
                    progress.warn(&warning);
                    warnings.push(warning);
                }
                Err(error) => return Err(error),
            }
        }
    }
    let staging = Staging::create(dest)?;
    let mut extracted = extract_verified(located, &staging, selection, progress, cancel)?;
    warnings.append(&mut extracted.warnings);
    extracted.warnings = warnings;
    Ok((staging, extracted))
}

/// Failures of a read through the index that say the index or the archive is not what the
/// manifest claims: the full read then tells which. Cancellation, a full disk or a refused
/// destination would fail the same way again.
fn worth_a_full_read(error: &Error) -> bool {
    matches!(
        error,
        Error::IndexRefused { .. }
            | Error::CorruptArchive { .. }
            | Error::VerificationFailed { .. }
            | Error::UnsafeEntry { .. }
            | Error::UnsafeArchive { .. }
    )
}

fn restore_into(
    locations: &Locations,
    located: &LocatedBackup,
    dest: &Destination,
    options: &RestoreOptions,
    selection: Option<&Selection>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    if let (Some(selection), Some(sidecar)) = (selection, &located.sidecar) {
        selection.check_against(sidecar)?;
    }
    refuse_known_conflict_early(located, dest, options)?;
    refuse_what_will_not_fit(located, dest, selection)?;
    clean_stale_staging(dest);
    let (staging, extracted) = stage(located, dest, selection, progress, cancel)?;
    let mut warnings = extracted.warnings.clone();
    if extracted.proof == Proof::None {
        let warning = format!(
            "{} was not made by Results Backup: nothing can prove its contents (only the gzip checksum was checked).",
            located.path.display()
        );
        progress.warn(&warning);
        warnings.push(warning);
    }
    cancel.check()?;

    let strategy = extracted.strategy.clone();
    let mut outcome = RestoreOutcome {
        backup_file: located.file_name.clone(),
        strategy: strategy.clone(),
        restored_to: dest.path.join(&strategy),
        restored_identity: None,
        proof: extracted.proof,
        files: extracted.files,
        bytes: extracted.bytes,
        replaced: false,
        safety_backup: None,
        warnings,
    };
    let final_name = if !dest.holds(&strategy) {
        strategy.to_string()
    } else {
        match options.on_conflict {
            OnConflict::Fail => {
                return Err(Error::AlreadyExists {
                    path: dest.path.join(&strategy),
                })
            }
            OnConflict::Copy => {
                let timestamp = extracted
                    .timestamp
                    .clone()
                    .or_else(|| timestamp_in_name(&located.file_name));
                free_name(dest, &copy_folder_name(&strategy, timestamp.as_ref()))
            }
            OnConflict::Replace if selection.is_some() => {
                let placed = partial::replace_chosen(
                    locations,
                    &staging,
                    dest,
                    &strategy,
                    selection.map(Selection::tops).unwrap_or_default(),
                    progress,
                    cancel,
                )?;
                outcome.replaced = placed.replaced;
                outcome.safety_backup = placed.safety_backup;
                outcome.restored_identity = dest
                    .dir
                    .open_dir(strategy.as_str())
                    .ok()
                    .and_then(|dir| identity_of(&dir, &outcome.restored_to).ok());
                return Ok(outcome);
            }
            OnConflict::Replace => {
                let current = Locations {
                    results: dest.path.clone(),
                    backups: locations.backups.clone(),
                    level: locations.level,
                    remote: None,
                };
                let backup_options = BackupOptions {
                    level: locations.level,
                    if_changed: false,
                };
                let safety = back_up(&current, &strategy, &backup_options, progress, cancel)?;
                outcome.safety_backup = safety.backup;
                swap_in(&staging, dest, &strategy)?;
                outcome.replaced = true;
                outcome.restored_identity = dest
                    .dir
                    .open_dir(strategy.as_str())
                    .ok()
                    .and_then(|dir| identity_of(&dir, &outcome.restored_to).ok());
                return Ok(outcome);
            }
        }
    };
    move_into_place(&staging, dest, &strategy, &final_name)?;
    outcome.restored_to = dest.path.join(&final_name);
    outcome.restored_identity = dest
        .dir
        .open_dir(&final_name)
        .ok()
        .and_then(|dir| identity_of(&dir, &outcome.restored_to).ok());
    Ok(outcome)
}

/// Moves the restored strategy folder from the staging folder to `name` in the destination,
/// never over something that is there.
fn move_into_place(
    staging: &Staging,
    dest: &Destination,
    strategy: &str,
    name: &str,
) -> Result<()> {
    let target = dest.path.join(name);
    if dest.holds(name) {
        return Err(Error::AlreadyExists { path: target });
    }
    staging
        .dir
        .rename(strategy, &dest.dir, name)
        .at("move the restored folder to", &target)?;
    dest.sync()
}

/// Swaps the restored folder in for the current one; if the second step fails the current folder
/// is put back, so the analyst never ends up with neither.
fn swap_in(staging: &Staging, dest: &Destination, strategy: &str) -> Result<()> {
    let target = dest.path.join(strategy);
    dest.dir
        .rename(strategy, &staging.dir, PARKING)
        .at("move aside", &target)?;
    if let Err(e) = staging.dir.rename(strategy, &dest.dir, strategy) {
        let _ = staging.dir.rename(PARKING, &dest.dir, strategy);
        return Err(Error::io("move the restored folder to", target, e));
    }
    dest.sync()
}
