//! Where backups are kept now: the backups folder on this computer, or a shared S3 store. Every
//! command that reads or changes backups asks `current_store()` and dispatches on the answer
//! here, so the app never works on the local folder while the settings choose shared storage,
//! and an operation the core cannot do on S3 yet is refused in plain words in one place (when
//! the core learns it, its arm of `Store` gains the call).

use results_backup::{locate_in, locate_remote, Catalog, CatalogEntry, LocatedBackup, Locator};
use results_backup::{Locations, Progress, RemoteStore};
use serde::Serialize;
use std::sync::Arc;

use crate::access::{self, BackupRef, Grants};
use crate::commands::settings::settings_and_locations;
use crate::error::{CommandResult, IpcError};

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
        /// Why "Back up" is not offered while shared storage is chosen.
        backup_not_yet: String,
        /// Why automatic backups are off while shared storage is chosen.
        automatic_not_yet: String,
    },
}

impl StoreShown {
    pub fn of(locations: &Locations) -> StoreShown {
        match &locations.remote {
            None => StoreShown::Folder,
            Some(choice) => StoreShown::Shared {
                address: choice.location.shown(),
                backup_not_yet: NotYet::BackUp.message().to_string(),
                automatic_not_yet: NotYet::Automatic.message().to_string(),
            },
        }
    }
}

/// What the core cannot do in a shared store yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotYet {
    BackUp,
    /// Automatic protection backs up into the folder on this computer only.
    Automatic,
    Delete,
    Retention,
    /// Comparing, changes since, the equity curve, opening one file.
    LookInside,
}

impl NotYet {
    fn message(self) -> &'static str {
        match self {
            NotYet::BackUp => {
                "Backing up straight to shared storage arrives in the next version; your backups on this computer keep working."
            }
            NotYet::Automatic => {
                "Automatic backups into shared storage arrive in the next version; they are off while backups are kept there, and your choices below are kept."
            }
            NotYet::Delete => {
                "Deleting backups in shared storage arrives in the next version; nothing was deleted."
            }
            NotYet::Retention => {
                "Cleaning up old backups in shared storage arrives in the next version; nothing was deleted."
            }
            NotYet::LookInside => {
                "Comparing and opening files of backups in shared storage arrives in the next version; Check and Restore work now."
            }
        }
    }

    /// Said as a calm refusal: nothing went wrong and nothing was touched.
    pub fn refusal(self) -> IpcError {
        IpcError {
            code: "not_in_shared_storage_yet".into(),
            message: self.message().into(),
            hint: "To use it now, choose \"On this computer\" in Settings.".into(),
            field: None,
        }
    }
}

impl Store {
    /// Refuses `what` in a shared store; a folder can do everything.
    pub fn can(&self, what: NotYet) -> CommandResult<()> {
        match self {
            Store::Folder => Ok(()),
            Store::Shared(_) => Err(what.refusal()),
        }
    }

    /// Every backup the store holds, newest first (the folder's catalog, or the store's
    /// complete entries).
    pub fn list(
        &self,
        locations: &Locations,
        progress: &dyn Progress,
    ) -> CommandResult<Vec<CatalogEntry>> {
        Ok(match self {
            Store::Folder => Catalog::load(&locations.backups, progress)?.list(None),
            Store::Shared(remote) => remote.list(None, progress)?,
        })
    }

    /// What the core's `locate` takes for a reference the webview sent, refusing anything not
    /// handed over: a name the store lists, or a dropped file (read from this computer whatever
    /// the store).
    pub fn allowed(
        &self,
        grants: &Grants,
        locations: &Locations,
        backup: &BackupRef,
    ) -> CommandResult<Locator> {
        match (self, backup) {
            (Store::Shared(remote), BackupRef::Catalog(name)) => {
                access::shared_backup(remote, name)
            }
            _ => access::backup(
                grants,
                &Catalog::load(&locations.backups, &results_backup::NoProgress)?,
                backup,
            ),
        }
    }

    /// The backup a reference names, found where it is kept.
    pub fn locate(
        &self,
        grants: &Grants,
        locations: &Locations,
        backup: &BackupRef,
    ) -> CommandResult<LocatedBackup> {
        match (self, backup) {
            (Store::Shared(remote), BackupRef::Catalog(name)) => {
                let wanted = access::shared_backup(remote, name)?;
                Ok(locate_remote(remote, &wanted)?)
            }
            _ => {
                let catalog = Catalog::load(&locations.backups, &results_backup::NoProgress)?;
                let wanted = access::backup(grants, &catalog, backup)?;
                Ok(locate_in(&catalog, &locations.backups, &wanted)?)
            }
        }
    }
}
