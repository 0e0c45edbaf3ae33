//! What is kept: how backups are named, the manifest, the catalog, finding a backup someone
//! named, one interface over a backups folder and an S3 store, and the settings shared by the command line and the app. Every document here is read
//! back as untrusted and checked where it is parsed.

pub mod automatic;
pub mod backups_store;
pub mod catalog;
pub mod check_records;
pub mod equity;
pub mod journal;
pub mod locate;
pub mod manifest;
pub mod metrics;
pub mod names;
pub mod query;
pub mod remote;
pub mod retention;
pub mod settings;
