//! Where backups are kept now: the backups folder on this computer, or a shared S3 store. Every
//! command that reads or changes backups asks `current_store()` and dispatches on the answer
//! here, so the app never works on the local folder while the settings choose shared storage:
//! a `Store` gives the core's `BackupsStore` for the same place, and the operations take that.

use results_backup::scan_in;
use results_backup::StrategyStatus;
use results_backup::{BackupsStore, Catalog, CatalogEntry, LocatedBackup, Locator};
use results_backup::{Locations, NoProgress, Progress, RemoteStore};
use serde::Serialize;
use std::sync::Arc;

use crate::access::{self, BackupRef, Grants};
use crate::commands::settings::settings_and_locations;
use crate::error::CommandResult;

pub enum Store {
    /// The backups folder of `Locations::backups`.
    Folder,
    /// Shared with the backups located in it, which stream their archives from it.
    Shared(Arc<RemoteStore>),
}

/// The folders and the store the settings and the environment choose now.
pub fn current_store() -> CommandResult<(Locations, Store)> {
    let (_, _, locations) = settings_and_locations()?;
    let store = open_store(&locations)?;
    Ok((locations, store))
}

/// The store `locations` names (as `Locations::resolve` gives them).
pub fn open_store(locations: &Locations) -> CommandResult<Store> {
    Ok(match &locations.remote {
        None => Store::Folder,
        Some(choice) => Store::Shared(Arc::new(RemoteStore::open_choice(choice)?)),
    })
}

/// Where backups are kept, as the window shows it.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreShown {
    Folder,
    Shared {
        /// `s3://bucket/prefix`.
        address: String,
    },
}

impl StoreShown {
    pub fn of(locations: &Locations) -> StoreShown {
        match &locations.remote {
            None => StoreShown::Folder,
            Some(choice) => StoreShown::Shared {
                address: choice.location.shown(),
            },
        }
    }
}

impl Store {
    /// The core's interface to the same place: the backups folder, or the shared store.
    pub fn backups(&self, locations: &Locations) -> BackupsStore {
        match self {
            Store::Folder => BackupsStore::folder(&locations.backups),
            Store::Shared(remote) => BackupsStore::S3(remote.as_ref().clone()),
        }
    }

    /// Each strategy of the results folder, protected or changed against the backups kept here.
    pub fn scan(&self, locations: &Locations) -> results_backup::Result<Vec<StrategyStatus>> {
        scan_in(locations, &self.backups(locations), &NoProgress)
    }

    /// Every backup the store holds, newest first (the folder's catalog, or the store's
    /// complete entries).
    pub fn list(
        &self,
        locations: &Locations,
        progress: &dyn Progress,
    ) -> CommandResult<Vec<CatalogEntry>> {
        Ok(self.backups(locations).list(None, progress)?)
    }

    /// Where a reference the webview sent is read from, and what the core's operations take for
    /// it, refusing anything not handed over before any request: a name the store lists (in a
    /// shared store, a plain archive file name with a catalog entry there), or a dropped file,
    /// read from this computer whatever the store.
    pub fn resolve(
        &self,
        grants: &Grants,
        locations: &Locations,
        backup: &BackupRef,
    ) -> CommandResult<(BackupsStore, Locator)> {
        match (self, backup) {
            (Store::Shared(remote), BackupRef::Catalog(name)) => Ok((
                self.backups(locations),
                access::shared_backup(remote, name)?,
            )),
            _ => {
                let catalog = Catalog::load(&locations.backups, &NoProgress)?;
                Ok((
                    BackupsStore::folder(&locations.backups),
                    access::backup(grants, &catalog, backup)?,
                ))
            }
        }
    }

    /// The backup a reference names, found where it is kept.
    pub fn locate(
        &self,
        grants: &Grants,
        locations: &Locations,
        backup: &BackupRef,
    ) -> CommandResult<LocatedBackup> {
        let (store, wanted) = self.resolve(grants, locations, backup)?;
        Ok(store.locate(&wanted, &NoProgress)?)
    }
}
