//! Backing up one strategy folder: one streaming pass that walks, reads, hashes, tars and
//! compresses in parallel, then publishes the archive, its sidecar manifest and its catalog entry,
//! into the backups folder or straight into an S3 store (the same pass, another output).

use chrono::{DateTime, Local};
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::scan;
use crate::archive::layout::check_link_target;
use crate::archive::tar_write::{ArchiveOutput, ArchiveWriter, WrittenArchive};
use crate::archive::StrategyName;
use crate::error::{Error, RemoteReason, Result};
use crate::limits::MAX_MANIFEST_BYTES;
use crate::progress::{CancelToken, Operation, Progress, Tracker};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::{Catalog, CatalogEntry};
use crate::store::manifest::{
    self, ArchiveInfo, Manifest, Totals, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION,
};
use crate::store::names::{ArchiveFileName, BackupName, Timestamp, MAX_SEQUENCE};
use crate::store::remote::RemoteStore;
use crate::store::settings::{validate_level, Locations};
use crate::sys::hashing::HashingWriter;
use crate::sys::s3::ObjectWriter;
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
    back_up_into_folder(
        &locations.results,
        &locations.backups,
        strategy,
        options,
        progress,
        cancel,
    )
}

/// Backs up `strategy` from the results folder into `store`: a backups folder ([`back_up`]) or
/// an S3 store ([`back_up_into_store`]), with the same if-changed rule against that store's
/// latest backup. Automatic protection backs up through this.
pub fn back_up_in(
    locations: &Locations,
    store: &BackupsStore,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupOutcome> {
    match store {
        BackupsStore::Folder(backups) => back_up_into_folder(
            &locations.results,
            backups,
            strategy,
            options,
            progress,
            cancel,
        ),
        BackupsStore::S3(remote) => {
            back_up_into_store(locations, remote, strategy, options, progress, cancel)
        }
    }
}

fn back_up_into_folder(
    results: &Path,
    backups: &Path,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupOutcome> {
    let level = validate_level(options.level)?;
    let source = Source::walk(results, strategy, progress)?;

    if options.if_changed {
        let catalog = Catalog::load(backups, progress)?;
        if let Some(latest) = catalog.latest(&source.strategy) {
            let manifest = Manifest::load(&backups.join(latest.backup_file.sidecar_name())).ok();
            if !scan::changed_since(&source.entries, manifest.as_ref()) {
                let path = backups.join(&latest.backup_file);
                return Ok(source.unchanged(latest.clone(), path));
            }
        }
    }

    sys::ensure_dir(backups)?;
    sys::atomic::clean_stale_partials(backups);
    let created = Local::now();
    let timestamp = Timestamp::of(&created);
    let mut manifest = source.manifest(&created);

    let first_name = BackupName::new(source.strategy.clone(), timestamp.clone(), 1).file_name();
    let mut partial = PartialFile::create(&backups.join(&first_name))?;
    let archive_path = backups.join(&first_name);
    let writer = ArchiveWriter::to_file(partial.file(), &archive_path, level)?;
    let written = source.write_archive(writer, &mut manifest, progress, cancel)?;
    cancel.check()?;

    // Flushed before taking the lock, so the lock is held only for renames and small writes.
    partial.sync()?;
    // Archive, sidecar and catalog entry appear under one lock: other processes never see the
    // archive alone and "recreate" a sidecar that is about to be written.
    let lock = Catalog::lock_reporting(backups, progress)?;
    let backup_file = publish_unique(&mut partial, backups, &source.strategy, &timestamp)?;
    let entry = record_archive(&mut manifest, backup_file.clone(), written);
    let sidecar = backups.join(backup_file.sidecar_name());
    sys::write_atomically(&sidecar, &manifest.to_json())?;
    Catalog::update_locked(backups, &lock, progress, |entries| {
        entries.retain(|e| e.backup_file != backup_file);
        entries.push(entry.clone());
        Ok(())
    })?;
    Ok(BackupOutcome {
        strategy: source.strategy,
        status: BackupStatus::Created,
        path: Some(backups.join(&backup_file)),
        backup: Some(entry),
    })
}

/// Backs up `strategy` from the results folder straight into an S3 store: the archive is
/// compressed into a streamed multipart upload, completed only if its name is still free, then
/// its sidecar and catalog entry are published (`docs/FORMAT.md`, "S3 stores"). Nothing is
/// written to the local disk; a cancel or failure aborts the upload, leaving nothing visible.
pub fn back_up_into_store(
    locations: &Locations,
    store: &RemoteStore,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupOutcome> {
    into_store(locations, store, strategy, options, progress, cancel, None)
}

/// [`back_up_in`], telling `handed_over` when what is left needs neither the results folder
/// nor much of the processor: into an S3 store, once every byte of the archive is with its
/// upload (completing it and publishing the sidecar and entry remain). From then on the backup
/// is finished even if a cancel comes, so the caller may start its next backup meanwhile, as
/// [`back_up_each_in`] does. A backup into a folder never hands over (its end is disk work).
pub fn back_up_in_handing_over(
    locations: &Locations,
    store: &BackupsStore,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
    handed_over: &dyn Fn(),
) -> Result<BackupOutcome> {
    match store {
        BackupsStore::S3(remote) => into_store(
            locations,
            remote,
            strategy,
            options,
            progress,
            cancel,
            Some(handed_over),
        ),
        BackupsStore::Folder(_) => {
            back_up_in(locations, store, strategy, options, progress, cancel)
        }
    }
}

/// A backup into a store; with `handed_over`, it is told once every byte is sent, and from
/// then on a cancel no longer stops the backup.
fn into_store(
    locations: &Locations,
    store: &RemoteStore,
    strategy: &str,
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
    handed_over: Option<&dyn Fn()>,
) -> Result<BackupOutcome> {
    match StoreBackup::begin(locations, store, strategy, options, progress, cancel)? {
        Begun::Unchanged(outcome) => Ok(outcome),
        Begun::Uploaded(backup, sent) => {
            cancel.check()?;
            let finishing = CancelToken::new();
            let cancel = match handed_over {
                Some(handed_over) => {
                    handed_over();
                    &finishing
                }
                None => cancel,
            };
            backup.published_or_again(sent.publish(cancel), progress, cancel)
        }
    }
}

/// Backs up each of `strategies` into `store` in turn, telling `done` each outcome in order as
/// soon as it is known, and stops after a cancel. Into an S3 store, one backup's completion and
/// publishing (the server assembling the object, a few round trips) overlap the next one's
/// compression; at most two uploads are open, so memory stays bounded. A backup handed over
/// that way is finished even when a cancel comes meanwhile: all its bytes were sent.
pub fn back_up_each_in(
    locations: &Locations,
    store: &BackupsStore,
    strategies: &[String],
    options: &BackupOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
    done: &mut dyn FnMut(&str, Result<BackupOutcome>),
) {
    let remote = match store {
        BackupsStore::S3(remote) => remote,
        BackupsStore::Folder(_) => {
            for strategy in strategies {
                let outcome = back_up_in(locations, store, strategy, options, progress, cancel);
                if report(done, strategy, outcome) {
                    return;
                }
            }
            return;
        }
    };
    std::thread::scope(|scope| {
        let mut publishing: Option<Publishing<'_, '_>> = None;
        for strategy in strategies {
            let begun = StoreBackup::begin(locations, remote, strategy, options, progress, cancel)
                .and_then(|begun| cancel.check().map(|()| begun));
            if let Some(earlier) = publishing.take() {
                let strategy = earlier.backup.strategy;
                if report(done, strategy, earlier.outcome(progress, cancel)) {
                    return;
                }
            }
            match begun {
                Ok(Begun::Uploaded(backup, sent)) => {
                    let uncancelled = CancelToken::new();
                    let task = scope.spawn(move || sent.publish(&uncancelled));
                    publishing = Some(Publishing { backup, task });
                }
                Ok(Begun::Unchanged(outcome)) => done(strategy, Ok(outcome)),
                Err(err) => {
                    if report(done, strategy, Err(err)) {
                        return;
                    }
                }
            }
        }
        if let Some(last) = publishing.take() {
            let strategy = last.backup.strategy;
            done(strategy, last.outcome(progress, cancel));
        }
    });
}

/// Tells `done` the outcome; `true` when it was a cancel, after which nothing more is done.
fn report(
    done: &mut dyn FnMut(&str, Result<BackupOutcome>),
    strategy: &str,
    outcome: Result<BackupOutcome>,
) -> bool {
    let cancelled = matches!(outcome, Err(Error::Cancelled));
    done(strategy, outcome);
    cancelled
}

/// How many times a backup into a store is made again under the next free name when another
/// writer published the name it chose first (two backups of one strategy in the same second).
/// Each try reads and compresses the strategy again: the upload cannot be renamed.
const STORE_PUBLISH_ATTEMPTS: u32 = 3;

/// One backup into a store of a strategy walked once: `created` names it on every attempt.
struct StoreBackup<'a> {
    store: &'a RemoteStore,
    strategy: &'a str,
    source: Source,
    level: u32,
    created: DateTime<Local>,
}

/// How far [`StoreBackup::begin`] got.
// One per backup, moved once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Begun<'a> {
    /// Nothing changed since the store's latest backup (with `if_changed`).
    Unchanged(BackupOutcome),
    /// Every byte of the archive is handed to its upload, which is not completed yet.
    Uploaded(StoreBackup<'a>, SentArchive<'a>),
}

impl<'a> StoreBackup<'a> {
    /// Walks the strategy, and unless it is unchanged, compresses it into an upload under the
    /// next free name.
    fn begin(
        locations: &Locations,
        store: &'a RemoteStore,
        strategy: &'a str,
        options: &BackupOptions,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<Begun<'a>> {
        let level = validate_level(options.level)?;
        let source = Source::walk(&locations.results, strategy, progress)?;
        if options.if_changed {
            if let Some(latest) = store.latest(&source.strategy, progress)? {
                let manifest = store.sidecar(&latest.backup_file)?;
                if !scan::changed_since(&source.entries, manifest.as_ref()) {
                    let path = shown_in(store, &latest.backup_file);
                    return Ok(Begun::Unchanged(source.unchanged(latest, path)));
                }
            }
        }
        let backup = StoreBackup {
            store,
            strategy,
            source,
            level,
            created: Local::now(),
        };
        let sent = backup.send(progress, cancel)?;
        Ok(Begun::Uploaded(backup, sent))
    }

    /// Compresses the strategy into an upload under the next free name. Returning early drops
    /// the upload, which aborts it.
    fn send(&self, progress: &dyn Progress, cancel: &CancelToken) -> Result<SentArchive<'a>> {
        let store = self.store;
        let source = &self.source;
        let name = store.free_backup_name(&source.strategy, &Timestamp::of(&self.created))?;
        let mut manifest = source.manifest(&self.created);
        let mut upload = store.objects().writer(name.as_str())?;
        let writer = ArchiveWriter::new(
            HashingWriter::new(&mut upload),
            &shown_in(store, &name),
            self.level,
        );
        let written = source
            .write_archive(writer, &mut manifest, progress, cancel)
            .map_err(Error::surfaced)?;
        Ok(SentArchive {
            store,
            strategy: source.strategy.clone(),
            name,
            manifest,
            written,
            upload,
        })
    }

    /// `published`, the outcome of the first try's publish; when another writer took its name,
    /// the backup is made again under the next free name, at most [`STORE_PUBLISH_ATTEMPTS`]
    /// tries in all.
    fn published_or_again(
        &self,
        published: Result<BackupOutcome>,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<BackupOutcome> {
        let mut outcome = published;
        let mut attempt = 1;
        loop {
            match outcome {
                Err(err) if attempt < STORE_PUBLISH_ATTEMPTS && name_taken(&err, progress) => {
                    attempt += 1;
                    let sent = self.send(progress, cancel)?;
                    cancel.check()?;
                    outcome = sent.publish(cancel);
                }
                outcome => return outcome,
            }
        }
    }
}

/// Whether `err` says another writer published the chosen name first; warns that the backup is
/// made again under the next name.
fn name_taken(err: &Error, progress: &dyn Progress) -> bool {
    let Error::Remote {
        reason: RemoteReason::AlreadyExists,
        object,
        ..
    } = err
    else {
        return false;
    };
    progress.warn(&format!(
        "{object} was published by another backup meanwhile; backing up again under the next name"
    ));
    true
}

/// An archive whose bytes are all with its upload: completing it (the server may take a while
/// to assemble a large object) and publishing its documents need no more reading or
/// compressing, so they can overlap the next strategy's backup.
struct SentArchive<'s> {
    store: &'s RemoteStore,
    strategy: StrategyName,
    name: ArchiveFileName,
    manifest: Manifest,
    written: WrittenArchive,
    upload: ObjectWriter<'s>,
}

impl SentArchive<'_> {
    /// Completes the upload, only if its name is still free ([`RemoteReason::AlreadyExists`]
    /// when another writer took it, and then nothing of ours is visible), then publishes the
    /// sidecar and the catalog entry.
    fn publish(mut self, cancel: &CancelToken) -> Result<BackupOutcome> {
        self.upload.finish()?;
        let entry = record_archive(&mut self.manifest, self.name.clone(), self.written);
        self.store
            .publish_documents(self.manifest.to_json(), &entry, cancel)?;
        Ok(BackupOutcome {
            strategy: self.strategy,
            status: BackupStatus::Created,
            path: Some(shown_in(self.store, &self.name)),
            backup: Some(entry),
        })
    }
}

/// A backup whose upload is being completed and published on a thread of its own.
struct Publishing<'scope, 'a> {
    backup: StoreBackup<'a>,
    task: std::thread::ScopedJoinHandle<'scope, Result<BackupOutcome>>,
}

impl Publishing<'_, '_> {
    /// The backup's outcome once published, made again under the next name as
    /// [`back_up_into_store`] does when another writer took its name meanwhile.
    fn outcome(self, progress: &dyn Progress, cancel: &CancelToken) -> Result<BackupOutcome> {
        match self.task.join() {
            Ok(published) => self.backup.published_or_again(published, progress, cancel),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

fn shown_in(store: &RemoteStore, name: &ArchiveFileName) -> PathBuf {
    PathBuf::from(format!("{}/{name}", store.shown()))
}

/// A strategy folder, walked and checked, ready to be written into an archive.
struct Source {
    strategy: StrategyName,
    dir: PathBuf,
    entries: Vec<SourceEntry>,
}

impl Source {
    fn walk(results: &Path, strategy: &str, progress: &dyn Progress) -> Result<Source> {
        let (strategy, dir) = scan::strategy_folder(results, strategy)?;
        let entries = walk_strategy(&dir, &strategy, progress)?;
        refuse_links_that_leave(&entries)?;
        Ok(Source {
            strategy,
            dir,
            entries,
        })
    }

    /// The outcome when nothing changed since `latest` (found at `path`).
    fn unchanged(self, latest: CatalogEntry, path: PathBuf) -> BackupOutcome {
        BackupOutcome {
            strategy: self.strategy,
            status: BackupStatus::Unchanged,
            backup: Some(latest),
            path: Some(path),
        }
    }

    /// The manifest before any entry is written: entries and totals fill in as they are.
    fn manifest(&self, created: &DateTime<Local>) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            format_version: MANIFEST_FORMAT_VERSION,
            app_version: crate::APP_VERSION.into(),
            strategy: self.strategy.clone(),
            timestamp: Timestamp::of(created),
            created: created.fixed_offset(),
            // Absolute: a relative path means nothing once the manifest travels.
            source: std::path::absolute(&self.dir)
                .unwrap_or_else(|_| self.dir.clone())
                .display()
                .to_string(),
            totals: Totals::default(),
            metrics: manifest::metrics_summary(&self.dir),
            entries: Vec::with_capacity(self.entries.len()),
            archive: None,
            index: None,
        }
    }

    /// Streams every entry into the compressed tar, filling in the manifest, then appends the
    /// manifest as the last member. Returns the archive's SHA-256, size and index.
    fn write_archive<O: ArchiveOutput>(
        &self,
        mut writer: ArchiveWriter<O>,
        manifest: &mut Manifest,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<WrittenArchive> {
        let bytes_total = self.entries.iter().map(|e| e.size).sum();
        let files_total = self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .count() as u64;
        let mut tracker = Tracker::new(
            progress,
            Operation::Backup,
            &self.strategy,
            bytes_total,
            files_total,
        );
        for entry in &self.entries {
            cancel.check()?;
            let recorded = writer.append(entry, &mut tracker, cancel)?;
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

/// Records the finished archive in its manifest (its file, size and SHA-256, and the index: they
/// describe the archive's own bytes, known only now, so the sidecar has them and the embedded copy
/// does not) and returns its catalog entry.
fn record_archive(
    manifest: &mut Manifest,
    file: ArchiveFileName,
    written: WrittenArchive,
) -> CatalogEntry {
    let archive = ArchiveInfo {
        file,
        size: written.size,
        sha256: written.sha256,
    };
    manifest.index = Some(written.index);
    let entry = CatalogEntry::from_manifest(manifest, &archive);
    manifest.archive = Some(archive);
    entry
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
