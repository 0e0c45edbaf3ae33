//! The operations, one file each: scan the results folder, back up a strategy, check backups,
//! restore one, delete one.

pub mod backup;
pub mod check;
pub mod delete;
pub mod restore;
pub mod scan;
