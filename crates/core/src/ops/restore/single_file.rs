//! Looking inside a backup without restoring it: one regular file extracted, verified against
//! the manifest like any restore, into a fresh private folder, so the analyst can open it in
//! its usual app. With an index in the sidecar only the gzip members holding the file are
//! inflated; otherwise the archive is read once, every other member's content skipped.

use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

use super::destination::{sync_dir, Destination};
use super::selection::{canonical, Selection};
use super::stage;
use crate::error::{Error, IoContext, Result};
use crate::progress::{CancelToken, Progress};
use crate::store::locate::{locate, Locator, Proof};
use crate::store::settings::Locations;
use crate::sys::atomic::first_free_name;

/// Private folders made for extracted files are named `results-backup-<pid>-<n>`.
const PRIVATE_PREFIX: &str = "results-backup-";

/// One file taken out of a backup.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct ExtractedFile {
    pub backup_file: String,
    /// The file's path inside the strategy folder, as asked for.
    pub member: String,
    /// Where it now is: `<private folder>/<its own name>`.
    pub path: PathBuf,
    pub size: u64,
    pub sha256: Option<String>,
    /// What its content was proved against.
    pub proof: Proof,
    /// True when it was reached through the archive's index, inflating only what holds it.
    pub random_access: bool,
    pub warnings: Vec<String>,
}

/// Extracts the regular file `member` (a path inside the strategy folder, such as
/// `runs/run_003/trades.csv`) from the backup `wanted` into a new folder that only the owner
/// may enter, created inside `into` (which must exist), and returns where it is. The file is
/// checked against the manifest (size and SHA-256) before it appears there; folders, links and
/// paths the layout rules refuse are refused. On any failure the new folder is removed.
pub fn extract_file(
    locations: &Locations,
    wanted: &Locator,
    member: &str,
    into: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ExtractedFile> {
    let selection = Selection::parse(&[member.to_string()], true)?;
    let Some(selection) = selection else {
        return Err(Error::InvalidSelection {
            path: String::new(),
            reason: "no file was named".into(),
        });
    };
    let Some(parts) = selection.chosen().first().cloned() else {
        return Err(Error::InvalidSelection {
            path: String::new(),
            reason: "no file was named".into(),
        });
    };
    let located = locate(&locations.backups, wanted, progress)?;
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    if let Some(sidecar) = &located.sidecar {
        let path = canonical(sidecar.strategy.as_str(), &parts);
        let kind = sidecar
            .entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.kind);
        Selection::check_is_file(&parts, kind)?;
    }
    let private = create_private_folder(into)?;
    let result = (|| {
        let dest = Destination::open(&private, None)?;
        let (staging, extracted) = stage(&located, &dest, Some(&selection), progress, cancel)?;
        let path = canonical(extracted.strategy.as_str(), &parts);
        let entry = extracted.found.get(&path);
        Selection::check_is_file(&parts, entry.map(|e| e.kind))?;
        let Some(name) = parts.last() else {
            return Err(Error::InvalidSelection {
                path: String::new(),
                reason: "no file was named".into(),
            });
        };
        let mut staged = PathBuf::from(extracted.strategy.as_str());
        staged.extend(&parts);
        let target = private.join(name);
        staging
            .dir
            .rename(&staged, &dest.dir, name)
            .at("move the extracted file to", &target)?;
        sync_dir(&dest.dir, &private)?;
        Ok(ExtractedFile {
            backup_file: located.file_name.clone(),
            member: parts.join("/"),
            path: target,
            size: entry.map_or(0, |e| e.size),
            sha256: entry.and_then(|e| e.sha256.clone()),
            proof: extracted.proof,
            random_access: extracted.through_index,
            warnings: extracted.warnings,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&private);
    }
    let extracted = result?;
    if extracted.proof == Proof::None {
        progress.warn(&format!(
            "{} was not made by Results Backup: nothing can prove this file's contents.",
            located.path.display()
        ));
    }
    Ok(extracted)
}

/// A new folder inside `into` that only its owner may enter (0700 on Unix), never one that
/// existed before.
fn create_private_folder(into: &Path) -> Result<PathBuf> {
    let meta = fs::metadata(into).at("open the folder", into)?;
    if !meta.is_dir() {
        return Err(Error::NotAFolder {
            path: into.to_path_buf(),
        });
    }
    let pid = std::process::id();
    first_free_name("create a folder in", into, |attempt| {
        let path = into.join(format!("{PRIVATE_PREFIX}{pid}-{attempt}"));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).map(|()| Some(path))
    })
}
