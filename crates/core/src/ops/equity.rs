//! A backup's equity curve, for drawing without restoring: the curve file is found in the
//! manifest, taken out alone (through the archive's index when it has one, verified against the
//! manifest), read with a size cap and parsed; nothing is left behind.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::ops::restore::extract_file_in;
use crate::progress::{CancelToken, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::equity::{equity_file, parse_equity_csv, EquityCurve};
use crate::store::locate::{manifest_of, Locator};
use crate::store::settings::Locations;
use crate::sys::EntryKind;

/// An equity curve file larger than this is not read (a chart shows 2,000 points anyway).
pub const MAX_CURVE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The backup's equity curve, or `None` when it holds no file with a usual name. `scratch` is a
/// folder the file may be taken out into for the moment it is read.
pub fn equity_curve(
    locations: &Locations,
    wanted: &Locator,
    scratch: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<EquityCurve>> {
    let store = BackupsStore::folder(&locations.backups);
    equity_curve_in(&store, wanted, scratch, progress, cancel)
}

/// [`equity_curve`] of a backup of `store`, a folder or an S3 store.
pub fn equity_curve_in(
    store: &BackupsStore,
    wanted: &Locator,
    scratch: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<EquityCurve>> {
    let located = store.locate(wanted, progress)?;
    let manifest = manifest_of(&located, cancel)?;
    let prefix = format!("{}/", manifest.strategy);
    let files: Vec<&str> = manifest
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.size <= MAX_CURVE_FILE_BYTES)
        .filter_map(|e| e.path.strip_prefix(&prefix))
        .collect();
    let Some(member) = equity_file(files) else {
        return Ok(None);
    };
    let member = member.to_string();
    let extracted = extract_file_in(store, wanted, &member, scratch, progress, cancel)?;
    let folder = extracted.path.parent().map(Path::to_path_buf);
    let read = std::fs::File::open(&extracted.path)
        .and_then(|file| {
            let mut bytes = Vec::new();
            file.take(MAX_CURVE_FILE_BYTES).read_to_end(&mut bytes)?;
            Ok(bytes)
        })
        .map_err(|e| Error::io("read", &extracted.path, e));
    // The private folder extract_file made is ours to remove, whatever happened.
    if let Some(folder) = folder {
        let _ = std::fs::remove_dir_all(folder);
    }
    parse_equity_csv(&member, &read?).map(Some)
}
