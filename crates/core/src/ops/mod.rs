//! The operations, one file each: scan the results folder, back up a strategy, check backups,
//! restore one, delete one, forget old ones by a retention policy.

pub mod backup;
pub mod check;
pub mod delete;
pub mod forget;
pub mod restore;
pub mod scan;
