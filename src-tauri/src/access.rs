//! What the webview may touch, and the one place where everything it hands in is resolved. The
//! webview is untrusted: it may name only strategies the scan found, backups the catalog lists (by
//! file name, never a path), files the analyst dropped on the window, folders the analyst picked
//! in a dialog (or a restore created), and the configured results and backups folders.
//!
//! A grant is exact: the path as it was picked or dropped, and which file or folder it led to at
//! that moment. Nothing else is granted with it (not the target of a link, not a parent, not a
//! child), and a path that now leads somewhere else (swapped for a link, replaced) is refused.
//! The identity travels with the request to the moment of use, where the core checks it again.

use results_backup::strategy_names;
use results_backup::Catalog;
use results_backup::FileIdentity;
use results_backup::Locator;
use results_backup::{ArchiveFileName, StrategyName};
use results_backup::{Locations, NoProgress};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::error::{CommandResult, IpcError};

#[derive(Default)]
pub struct Grants {
    folders: Mutex<HashMap<PathBuf, FileIdentity>>,
    files: Mutex<HashMap<PathBuf, FileIdentity>>,
}

impl Grants {
    /// Grants the folder a dialog returned. Returns false (granting nothing) when it is not an
    /// absolute path to a folder.
    pub fn grant_folder(&self, path: &Path) -> bool {
        match identity_if(path, |meta| meta.is_dir()) {
            Some(identity) => {
                self.grant_folder_as(path, identity);
                true
            }
            None => false,
        }
    }

    /// Grants `path` as the folder `identity` (a folder a restore just created, known by its
    /// open handle rather than by looking the path up again).
    pub fn grant_folder_as(&self, path: &Path, identity: FileIdentity) {
        if plain_absolute(path) {
            lock(&self.folders).insert(path.to_path_buf(), identity);
        }
    }

    /// Grants a file dropped on the window. Returns false when it is not a regular file.
    pub fn grant_file(&self, path: &Path) -> bool {
        match identity_if(path, |meta| meta.is_file()) {
            Some(identity) => {
                lock(&self.files).insert(path.to_path_buf(), identity);
                true
            }
            None => false,
        }
    }

    /// The identity of a granted folder, when `path` is exactly a granted path that still leads
    /// to the folder it led to when granted.
    pub fn folder(&self, path: &Path) -> Option<FileIdentity> {
        still_the_same(&lock(&self.folders), path, |meta| meta.is_dir())
    }

    /// The identity of a granted file, on the same terms.
    pub fn file(&self, path: &Path) -> Option<FileIdentity> {
        still_the_same(&lock(&self.files), path, |meta| meta.is_file())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Absolute, with no `.` or `..` to reinterpret.
fn plain_absolute(path: &Path) -> bool {
    path.is_absolute()
        && path
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
}

fn identity_if(path: &Path, kind: impl Fn(&std::fs::Metadata) -> bool) -> Option<FileIdentity> {
    if !plain_absolute(path) {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    if !kind(&meta) {
        return None;
    }
    FileIdentity::of_metadata(&meta).ok()
}

fn still_the_same(
    granted: &HashMap<PathBuf, FileIdentity>,
    path: &Path,
    kind: impl Fn(&std::fs::Metadata) -> bool,
) -> Option<FileIdentity> {
    let recorded = *granted.get(path)?;
    (identity_if(path, kind)? == recorded).then_some(recorded)
}

/// A backup as the webview names it: a catalog file name, or an archive dropped on the window.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupRef {
    Catalog(String),
    Dropped(PathBuf),
}

/// What the core's `locate` takes for a reference, refusing anything not handed over: a catalog
/// reference is a single archive file name the catalog lists; a dropped one is a granted file,
/// which must still be that same file when the core opens it.
pub fn backup(grants: &Grants, catalog: &Catalog, backup: &BackupRef) -> CommandResult<Locator> {
    match backup {
        BackupRef::Catalog(name) => match ArchiveFileName::new(name.as_str()) {
            Ok(file) if catalog.find(&file).is_some() => Ok(Locator::Name(file.into())),
            _ => Err(IpcError::not_allowed(format!("the backup \"{name}\""))),
        },
        BackupRef::Dropped(path) => match grants.file(path) {
            Some(identity) => Ok(Locator::Granted {
                path: path.clone(),
                identity,
            }),
            None => Err(IpcError::not_allowed(path.display())),
        },
    }
}

/// A backup of the shared store, by the archive file name its listing showed: one name the
/// store has a catalog entry for, nothing else (never a path, never a prefix).
pub fn shared_backup(store: &results_backup::RemoteStore, name: &str) -> CommandResult<Locator> {
    match ArchiveFileName::new(name) {
        Ok(file) if store.entry(&file)?.is_some() => Ok(Locator::Name(file.into())),
        _ => Err(IpcError::not_allowed(format!("the backup \"{name}\""))),
    }
}

/// A strategy the scan of the results folder finds, by the scan's own rules.
pub fn strategy(locations: &Locations, name: &str) -> CommandResult<StrategyName> {
    let found = strategy_names(locations, &NoProgress)?;
    found
        .into_iter()
        .find(|s| s == name)
        .ok_or_else(|| IpcError::not_allowed(format!("the strategy \"{name}\"")))
}

/// A restore destination: the results folder, or a folder the analyst picked. Returned with the
/// identity it has now, which the core checks again when the job runs.
pub fn destination(
    grants: &Grants,
    locations: &Locations,
    asked: Option<PathBuf>,
) -> CommandResult<(PathBuf, FileIdentity)> {
    let path = asked.unwrap_or_else(|| absolute(&locations.results));
    if let Some(identity) = grants.folder(&path) {
        return Ok((path, identity));
    }
    if same_place(&path, &locations.results) {
        let identity = FileIdentity::of_path(&path)
            .map_err(|e| IpcError::from(results_backup::Error::io("open", &path, e)))?;
        return Ok((path, identity));
    }
    Err(IpcError::not_allowed(path.display()))
}

/// A folder the app may show in the file manager: a granted one, or the configured results or
/// backups folder; in every case a real folder, never a file or a link to one.
pub fn folder_to_open(grants: &Grants, locations: &Locations, path: &Path) -> CommandResult<()> {
    let is_folder = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let allowed = grants.folder(path).is_some()
        || same_place(path, &locations.results)
        || same_place(path, &locations.backups);
    if allowed && is_folder {
        Ok(())
    } else {
        Err(IpcError::not_allowed(path.display()))
    }
}

/// An archive the app may reveal in the file manager: one dropped on the window, or one the
/// catalog lists in the backups folder.
pub fn archive_to_reveal(
    grants: &Grants,
    locations: &Locations,
    catalog: &Catalog,
    path: &Path,
) -> CommandResult<()> {
    if grants.file(path).is_some() {
        return Ok(());
    }
    let listed = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|name| catalog.find(name).is_some());
    let in_backups = path
        .parent()
        .is_some_and(|parent| same_place(parent, &locations.backups));
    if listed && in_backups && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        Ok(())
    } else {
        Err(IpcError::not_allowed(path.display()))
    }
}

/// A folder the analyst may save as the results or backups folder: the one configured now (as
/// the Settings view shows it), or one picked in the dialog.
pub fn settings_folder(grants: &Grants, asked: &Path, current: &Path) -> CommandResult<PathBuf> {
    if grants.folder(asked).is_some() || same_place(asked, current) {
        Ok(absolute(asked))
    } else {
        Err(IpcError::not_allowed(asked.display()))
    }
}

pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The same configured folder, spelled as the shell spells it (absolute, not resolved through
/// links: a link put in place of the results folder is not the results folder).
pub fn same_place(a: &Path, b: &Path) -> bool {
    plain_absolute(a) && absolute(a) == absolute(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_granted_absolute_paths_are_allowed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let picked = dir.path().join("picked");
        std::fs::create_dir(&picked).expect("mkdir");
        let grants = Grants::default();
        assert!(grants.folder(&picked).is_none());
        assert!(grants.grant_folder(&picked));
        assert!(grants.folder(&picked).is_some());
        assert!(
            grants.file(&picked).is_none(),
            "folders and files are separate"
        );
        assert!(grants.folder(dir.path()).is_none(), "not the parent");
        assert!(
            grants.folder(&picked.join("inner")).is_none(),
            "not a child"
        );
        assert!(grants.folder(&picked.join("..").join("picked")).is_none());
        assert!(grants.folder(Path::new("picked")).is_none(), "relative");
        assert!(!grants.grant_folder(Path::new("relative")));
    }

    #[cfg(unix)]
    #[test]
    fn a_granted_path_replaced_by_a_link_elsewhere_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let picked = dir.path().join("picked");
        let secret = dir.path().join("secret");
        std::fs::create_dir(&picked).expect("mkdir");
        std::fs::create_dir(&secret).expect("mkdir");
        let grants = Grants::default();
        grants.grant_folder(&picked);
        std::fs::remove_dir(&picked).expect("rmdir");
        std::os::unix::fs::symlink(&secret, &picked).expect("symlink");
        assert!(grants.folder(&picked).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn granting_a_link_grants_the_link_not_the_folder_it_points_to() {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("secret");
        std::fs::create_dir(&secret).expect("mkdir");
        let link = dir.path().join("picked-link");
        std::os::unix::fs::symlink(&secret, &link).expect("symlink");
        let grants = Grants::default();
        assert!(grants.grant_folder(&link));
        assert!(grants.folder(&link).is_some(), "what was picked");
        assert!(grants.folder(&secret).is_none(), "never its target");
    }

    #[cfg(unix)]
    #[test]
    fn a_dropped_file_replaced_by_a_link_to_another_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let archive = dir.path().join("a.tar.gz");
        let other = dir.path().join("b.tar.gz");
        std::fs::write(&archive, b"one").expect("write");
        std::fs::write(&other, b"two").expect("write");
        let grants = Grants::default();
        assert!(grants.grant_file(&archive));
        assert!(grants.file(&archive).is_some());
        std::fs::remove_file(&archive).expect("remove");
        std::os::unix::fs::symlink(&other, &archive).expect("symlink");
        assert!(grants.file(&archive).is_none());
    }
}
