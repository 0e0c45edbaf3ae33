//! Backing up one strategy folder: one streaming pass that walks, reads, hashes, tars and
//! compresses in parallel, then publishes the archive, its sidecar manifest and its catalog entry.

use chrono::Local;
use serde::Serialize;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::scan;
use crate::archive::layout::check_link_target;
use crate::archive::tar_write::{ArchiveWriter, WrittenArchive};
use crate::archive::StrategyName;
use crate::error::{Error, Result};
use crate::limits::MAX_MANIFEST_BYTES;
use crate::progress::{CancelToken, Operation, Progress, Tracker};
use crate::store::catalog::{Catalog, CatalogEntry};
use crate::store::manifest::{
    self, ArchiveInfo, Manifest, Totals, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION,
};
use crate::store::names::{ArchiveFileName, BackupName, Timestamp, MAX_SEQUENCE};
use crate::store::settings::{validate_level, Locations};
use crate::sys::walk::{walk_strategy, SourceEntry};
use crate::sys::{self, EntryKind, PartialFile};

#[derive(Clone, Debug)]
pub struct BackupOptions {
    pub level: u32,
    /// Skip the strategy when nothing changed since its latest backup.
    pub if_changed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Created,
    Unchanged,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct BackupOutcome {
    pub strategy: StrategyName,
    pub status: BackupStatus,
    /// The new backup's catalog entry, or for `Unchanged` the latest existing one.
    pub backup: Option<CatalogEntry>,
    pub path: Option<PathBuf>,
}

/// Backs up `strategy` from the results folder into the backups folder.
pub fn back_up(
    locations: &Locations,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupOutcome> {
    let level = validate_level(options.level)?;
    let (strategy, strategy_dir) = scan::strategy_folder(&locations.results, strategy)?;
    let entries = walk_strategy(&strategy_dir, &strategy, progress)?;
    refuse_links_that_leave(&entries)?;
    let backups = &locations.backups;

    if options.if_changed {
        let catalog = Catalog::load(backups, progress)?;
        if let Some(latest) = catalog.latest(&strategy) {
            if !scan::changed_since(&entries, backups, latest) {
                return Ok(BackupOutcome {
                    strategy,
                    status: BackupStatus::Unchanged,
                    backup: Some(latest.clone()),
                    path: Some(backups.join(&latest.backup_file)),
                });
            }
        }
    }

    sys::ensure_dir(backups)?;
    sys::atomic::clean_stale_partials(backups);
    let created = Local::now();
    let timestamp = Timestamp::of(&created);
    let mut manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        format_version: MANIFEST_FORMAT_VERSION,
        app_version: crate::APP_VERSION.into(),
        strategy: strategy.clone(),
        timestamp: timestamp.clone(),
        created: created.fixed_offset(),
        // Absolute: a relative path means nothing once the manifest travels.
        source: std::path::absolute(&strategy_dir)
            .unwrap_or_else(|_| strategy_dir.clone())
            .display()
            .to_string(),
        totals: Totals::default(),
        metrics: manifest::metrics_summary(&strategy_dir),
        entries: Vec::with_capacity(entries.len()),
        archive: None,
        index: None,
    };

    let first_name = BackupName::new(strategy.clone(), timestamp.clone(), 1).file_name();
    let mut partial = PartialFile::create(&backups.join(&first_name))?;
    let bytes_total = entries.iter().map(|e| e.size).sum();
    let files_total = entries.iter().filter(|e| e.kind == EntryKind::File).count() as u64;
    let mut tracker = Tracker::new(
        progress,
        Operation::Backup,
        &strategy,
        bytes_total,
        files_total,
    );
    let archive_path = backups.join(&first_name);
    let written = write_archive(
        partial.file(),
        &archive_path,
        &entries,
        &mut manifest,
        level,
        &mut tracker,
        cancel,
    )?;
    cancel.check()?;

    // Flushed before taking the lock, so the lock is held only for renames and small writes.
    partial.sync()?;
    // Archive, sidecar and catalog entry appear under one lock: other processes never see the
    // archive alone and "recreate" a sidecar that is about to be written.
    let lock = Catalog::lock_reporting(backups, progress)?;
    let backup_file = publish_unique(&mut partial, backups, &strategy, &timestamp)?;
    let archive = ArchiveInfo {
        file: backup_file.clone(),
        size: written.size,
        sha256: written.sha256,
    };
    manifest.archive = Some(archive.clone());
    // Like `archive`, the index describes the archive's own bytes, known only now: sidecar only.
    manifest.index = Some(written.index);
    let sidecar = backups.join(backup_file.sidecar_name());
    sys::write_atomically(&sidecar, &manifest.to_json())?;
    let entry = CatalogEntry::from_manifest(&manifest, &archive);
    Catalog::update_locked(backups, &lock, progress, |entries| {
        entries.retain(|e| e.backup_file != backup_file);
        entries.push(entry.clone());
        Ok(())
    })?;
    Ok(BackupOutcome {
        strategy,
        status: BackupStatus::Created,
        path: Some(backups.join(&backup_file)),
        backup: Some(entry),
    })
}

/// Moves the finished archive to `<strategy>_<timestamp>.tar.gz`, or `..._2.tar.gz` and so on when
/// a backup made in the same second already has that name. Never overwrites.
fn publish_unique(
    partial: &mut PartialFile,
    backups: &Path,
    strategy: &StrategyName,
    timestamp: &Timestamp,
) -> Result<ArchiveFileName> {
    for n in 1..=MAX_SEQUENCE {
        let name = BackupName::new(strategy.clone(), timestamp.clone(), n).file_name();
        match partial.publish_new(&backups.join(&name)) {
            Ok(()) => return Ok(name),
            Err(Error::AlreadyExists { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::AlreadyExists {
        path: backups.join(format!("{strategy}_{timestamp}")),
    })
}

/// Streams every entry into the compressed tar, filling in the manifest, then appends the
/// manifest as the last member. Returns the archive's SHA-256 and size.
fn write_archive(
    file: &File,
    archive_path: &Path,
    entries: &[SourceEntry],
    manifest: &mut Manifest,
    level: u32,
    tracker: &mut Tracker,
    cancel: &CancelToken,
) -> Result<WrittenArchive> {
    let mut writer = ArchiveWriter::new(file, archive_path, level)?;
    for entry in entries {
        cancel.check()?;
        let recorded = writer.append(entry, tracker, cancel)?;
        match recorded.kind {
            EntryKind::File => {
                manifest.totals.files += 1;
                manifest.totals.bytes += recorded.size;
                tracker.add_file();
            }
            EntryKind::Dir => manifest.totals.dirs += 1,
            EntryKind::Symlink => manifest.totals.symlinks += 1,
        }
        manifest.entries.push(recorded);
    }
    let json = manifest.to_json();
    if json.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(Error::TooLarge {
            path: PathBuf::from(&manifest.source),
            detail: format!("its manifest would be larger than {MAX_MANIFEST_BYTES} bytes"),
        });
    }
    writer.finish(&json, manifest.created.timestamp())
}

/// A link pointing outside the strategy folder stops the backup: restore would refuse it.
fn refuse_links_that_leave(entries: &[SourceEntry]) -> Result<()> {
    for entry in entries {
        if let Some(target) = &entry.link_target {
            check_link_target(&entry.inside, target.as_bytes()).map_err(|reason| {
                Error::UnsafeLink {
                    path: entry.absolute.clone(),
                    reason,
                }
            })?;
        }
    }
    Ok(())
}
