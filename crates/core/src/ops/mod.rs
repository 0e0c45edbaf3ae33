//! The operations, one file each: scan the results folder, back up a strategy, check backups,
//! restore one, delete one, forget old ones by a retention policy; and automatic protection
//! (`protect/`), which runs backups by policy.

pub mod backup;
pub mod check;
pub mod connection;
pub mod copy;
pub mod delete;
pub mod diff;
pub mod equity;
pub mod forget;
pub mod protect;
pub mod restore;
pub mod scan;
