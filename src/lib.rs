//! Results Backup core: finds strategy result folders, packs each into a verified `.tar.gz`,
//! keeps a catalog, checks backups byte for byte and restores them safely.
//!
//! The core knows nothing about terminals or windows: long operations take a [`progress::Progress`]
//! sink and a [`progress::CancelToken`], and every failure is one [`error::Error`] with a stable
//! code, a plain-language message and a hint.

pub mod archive;
pub mod background;
pub mod backup;
pub mod catalog;
pub mod check;
pub mod compress;
pub mod delete;
pub mod error;
pub mod fsutil;
pub mod hashing;
pub mod layout;
pub mod limits;
pub mod locate;
pub mod manifest;
pub mod members;
pub mod names;
pub mod progress;
pub mod restore;
pub mod scan;
pub mod settings;
pub mod tar_reader;
pub mod walk;

pub use error::{human_bytes, Error, Result};
pub use progress::{CancelToken, NoProgress, Progress, ProgressUpdate};
pub use settings::Locations;

/// The version written into every manifest, so a backup says which app made it.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
