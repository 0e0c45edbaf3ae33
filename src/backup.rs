//! Backing up one strategy folder: one streaming pass that walks, reads, hashes, tars and
//! compresses in parallel, then publishes the archive, its sidecar manifest and its catalog entry.

use chrono::Local;
use serde::Serialize;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, CatalogEntry};
use crate::compress::{default_threads, ParallelGzEncoder};
use crate::error::{Error, Result};
use crate::fsutil::{self, PartialFile};
use crate::hashing::BackgroundHashingWriter;
use crate::limits::MAX_MANIFEST_BYTES;
use crate::manifest::{
    self, ArchiveInfo, EntryKind, Manifest, ManifestEntry, Totals, EMBEDDED_MANIFEST_PATH,
    MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION,
};
use crate::names::{ArchiveFileName, BackupName, StrategyName, Timestamp, MAX_SEQUENCE};
use crate::progress::{CancelToken, Operation, Progress, Tracker};
use crate::scan;
use crate::settings::{validate_level, Locations};
use crate::walk::{walk_strategy, SourceEntry};

/// Read size for source files; small enough to report progress and notice cancel quickly.
const READ_CHUNK: usize = 256 * 1024;
/// The ustar header's name and link fields hold this many bytes; longer or non-ASCII names go
/// into a PAX record.
const USTAR_NAME_MAX: usize = 100;

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

    fsutil::ensure_dir(backups)?;
    fsutil::clean_stale_partials(backups);
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
    let (sha256, size) = write_archive(
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
    let lock = Catalog::lock(backups)?;
    let backup_file = publish_unique(&mut partial, backups, &strategy, &timestamp)?;
    let archive = ArchiveInfo {
        file: backup_file.clone(),
        size,
        sha256,
    };
    manifest.archive = Some(archive.clone());
    let sidecar = backups.join(backup_file.sidecar_name());
    fsutil::write_atomically(&sidecar, &manifest.to_json())?;
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
) -> Result<(String, u64)> {
    let write_error = |e: io::Error| Error::io("write the backup", archive_path, e);
    let output = BackgroundHashingWriter::new(file.try_clone().map_err(write_error)?);
    let compressor = ParallelGzEncoder::new(output, level, default_threads());
    let mut builder = tar::Builder::new(compressor);

    for entry in entries {
        cancel.check()?;
        let recorded = append_entry(&mut builder, entry, tracker, cancel, archive_path)?;
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
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(json.len() as u64);
    header.set_mtime(manifest.created.timestamp().max(0) as u64);
    write_member(
        &mut builder,
        &mut header,
        EMBEDDED_MANIFEST_PATH,
        None,
        0,
        &json[..],
    )
    .map_err(write_error)?;

    let compressor = builder.into_inner().map_err(write_error)?;
    let output = compressor.finish().map_err(write_error)?;
    output.finish().map_err(write_error)
}

/// Appends one walked item and returns what the manifest records for it.
fn append_entry<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &SourceEntry,
    tracker: &mut Tracker,
    cancel: &CancelToken,
    archive_path: &Path,
) -> Result<ManifestEntry> {
    let write_error = |e: io::Error| Error::io("write the backup", archive_path, e);
    let mut header = tar::Header::new_ustar();
    header.set_mode(entry.mode);
    header.set_mtime(entry.mtime.max(0) as u64);
    let mut recorded = ManifestEntry {
        path: entry.archive_path.clone(),
        kind: entry.kind,
        size: 0,
        mode: entry.mode,
        mtime: entry.mtime,
        sha256: None,
        target: None,
    };
    match entry.kind {
        EntryKind::Dir => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            let name = format!("{}/", entry.archive_path);
            write_member(builder, &mut header, &name, None, entry.mtime, io::empty())
                .map_err(write_error)?;
        }
        EntryKind::Symlink => {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            let target = entry.link_target.clone().unwrap_or_default();
            write_member(
                builder,
                &mut header,
                &entry.archive_path,
                Some(&target),
                entry.mtime,
                io::empty(),
            )
            .map_err(write_error)?;
            recorded.target = Some(target);
        }
        EntryKind::File => {
            let file = open_source(&entry.absolute)?;
            // The size is taken from the open file: it is what will be read and recorded.
            let size = file
                .metadata()
                .map_err(|e| Error::io("read", &entry.absolute, e))?
                .len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(size);
            // The header goes through the builder (it adds PAX records when needed); the content
            // is streamed by hand with large reads instead of `io::copy`'s small buffer.
            write_member(
                builder,
                &mut header,
                &entry.archive_path,
                None,
                entry.mtime,
                io::empty(),
            )
            .map_err(write_error)?;
            let sha256 = copy_source(
                file,
                size,
                &entry.absolute,
                builder.get_mut(),
                tracker,
                cancel,
            )
            .map_err(|failure| match failure {
                CopyFailure::Source(error) => error,
                CopyFailure::Output(e) => write_error(e),
            })?;
            recorded.size = size;
            recorded.sha256 = Some(sha256);
        }
    }
    Ok(recorded)
}

fn open_source(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::ChangedDuringBackup {
            path: path.to_path_buf(),
        },
        _ => Error::io("read", path, e),
    })
}

/// Writes a header (with a PAX record first when the name, link or time does not fit ustar) and
/// the member's content.
fn write_member<W: Write>(
    builder: &mut tar::Builder<W>,
    header: &mut tar::Header,
    name: &str,
    link_target: Option<&str>,
    mtime: i64,
    content: impl Read,
) -> io::Result<()> {
    let mut pax: Vec<(&str, Vec<u8>)> = Vec::new();
    if !fits_ustar(name) {
        pax.push(("path", name.as_bytes().to_vec()));
    }
    if let Some(target) = link_target {
        if !fits_ustar(target) {
            pax.push(("linkpath", target.as_bytes().to_vec()));
        }
        set_field(&mut header.as_old_mut().linkname, target);
    }
    if mtime < 0 {
        pax.push(("mtime", mtime.to_string().into_bytes()));
    }
    if !pax.is_empty() {
        builder.append_pax_extensions(pax.iter().map(|(k, v)| (*k, v.as_slice())))?;
    }
    set_field(&mut header.as_old_mut().name, name);
    header.set_cksum();
    builder.append(header, content)
}

fn fits_ustar(text: &str) -> bool {
    text.is_ascii() && text.len() <= USTAR_NAME_MAX
}

/// Fills a fixed-size header field; a name too long or not ASCII gets an ASCII stand-in (readers
/// use the PAX record instead).
fn set_field(field: &mut [u8], text: &str) {
    field.fill(0);
    for (slot, byte) in field.iter_mut().zip(text.bytes()) {
        *slot = if byte.is_ascii() && byte != 0 {
            byte
        } else {
            b'_'
        };
    }
}

enum CopyFailure {
    /// The source file could not be read, shrank or vanished, or the job was cancelled.
    Source(Error),
    /// The archive could not be written.
    Output(io::Error),
}

/// Copies exactly `size` bytes of a source file into the tar stream, hashing them, then pads to
/// the 512-byte tar block. A file that shrank mid-read is an error: the member would otherwise
/// be shorter than its header says.
fn copy_source(
    mut file: File,
    size: u64,
    path: &Path,
    out: &mut impl Write,
    tracker: &mut Tracker,
    cancel: &CancelToken,
) -> std::result::Result<String, CopyFailure> {
    let mut hasher = crate::hashing::Sha256::new();
    let mut buf = vec![0u8; READ_CHUNK.min(size.max(1) as usize)];
    let mut remaining = size;
    while remaining > 0 {
        if cancel.is_cancelled() {
            return Err(CopyFailure::Source(Error::Cancelled));
        }
        let want = buf.len().min(remaining as usize);
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(CopyFailure::Source(Error::ChangedDuringBackup {
                    path: path.to_path_buf(),
                }))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyFailure::Source(Error::io("read", path, e))),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(CopyFailure::Output)?;
        remaining -= n as u64;
        tracker.add_bytes(n as u64);
    }
    let padding = (512 - (size % 512) as usize) % 512;
    out.write_all(&[0u8; 512][..padding])
        .map_err(CopyFailure::Output)?;
    Ok(hasher.finish_hex())
}
