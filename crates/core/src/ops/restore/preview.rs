//! What a restore would do, told before anything is written.

use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

use super::destination::{free_name, Destination};
use crate::archive::StrategyName;
use crate::store::names::{copy_folder_name, Timestamp};

/// What a restore of `strategy` into `destination` would do, told before anything is written.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct RestorePreview {
    pub strategy: StrategyName,
    pub destination: PathBuf,
    /// The folder the strategy would be restored as.
    pub target: PathBuf,
    /// When true the analyst chooses: a copy beside it, or replacing it (after a safety backup).
    pub target_exists: bool,
    /// Where "restore as a copy" would put it.
    pub copy_target: PathBuf,
}

pub fn preview(
    strategy: &StrategyName,
    timestamp: Option<&Timestamp>,
    destination: &Path,
) -> RestorePreview {
    let target = destination.join(strategy);
    let copy = copy_folder_name(strategy, timestamp);
    let copy_target = match Destination::open(destination, None) {
        Ok(dest) => dest.path.join(free_name(&dest, &copy)),
        Err(_) => destination.join(copy),
    };
    RestorePreview {
        strategy: strategy.clone(),
        destination: destination.to_path_buf(),
        target_exists: fs::symlink_metadata(&target).is_ok(),
        target,
        copy_target,
    }
}
