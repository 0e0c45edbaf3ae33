//! Copying backups between stores (a folder or an S3 store, either way), verified by SHA-256
//! (never by ETag) and skipping what the target already has. Into an S3 store the publish order
//! is the store's protocol (`docs/FORMAT.md`, "S3 stores"): archive (conditional, streamed) ->
//! sidecar -> catalog entry; into a folder, the archive is written under a temporary name and
//! published with its sidecar and catalog entry under the folder's lock, as a backup is. A copy
//! cut short at any step leaves nothing a reader takes for a finished backup, and running it
//! again completes it.

use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, RemoteReason, Result};
use crate::progress::{CancelToken, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::{read_embedded, sidecar_path, Catalog, CatalogEntry};
use crate::store::locate::{LocatedBackup, Locator};
use crate::store::manifest::{ArchiveInfo, Manifest};
use crate::store::names::ArchiveFileName;
use crate::store::remote::RemoteStore;
use crate::sys::hashing::{hash_reader, Sha256};
use crate::sys::s3::ObjectStore;
use crate::sys::{ensure_dir, open_regular, write_atomically, PartialFile};

/// Bytes moved per read while copying: the memory a copy holds besides an upload's parts.
const COPY_BUFFER_BYTES: usize = 1024 * 1024;

/// What copying one backup did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyStatus {
    /// Uploaded now and verified.
    Copied,
    /// The store already had it, with the same SHA-256.
    AlreadyThere,
}

#[derive(Clone, Debug, Serialize)]
pub struct CopyOutcome {
    pub backup_file: String,
    pub status: CopyStatus,
    pub size: u64,
    pub sha256: String,
}

/// Copies one backup of `source` into `target`, each a folder or an S3 store: pushing offline
/// backups to the team store, or pulling some into a folder for a trip. Verified by SHA-256
/// against the source's catalog entry; what the target already has is skipped. A backup file
/// outside any catalog (a path, or an archive dropped on the window) is described by its
/// sidecar, else by its embedded manifest, and copied only when that description holds.
pub fn copy_between(
    source: &BackupsStore,
    wanted: &Locator,
    target: &BackupsStore,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyOutcome> {
    let located = source.locate(wanted, progress)?;
    let (mut entry, sidecar) = match &located.catalog_entry {
        Some(entry) => (entry.clone(), catalogued_sidecar(source, &located, entry)?),
        None => described_outside_catalog(&located, cancel)?,
    };
    // A check result belongs to the copy it was made on.
    entry.last_checked = None;
    entry.check_result = None;
    // A catalogued archive is opened by its name in the source, never through a link; a file
    // outside the catalog as it was located (a dropped one must still be the same file).
    let open = || -> Result<Box<dyn Read + Send>> {
        match &located.catalog_entry {
            Some(_) => source.open_raw(&entry.backup_file),
            None => Ok(located.open()?.into_reader()),
        }
    };
    match target {
        BackupsStore::S3(remote) => copy_into_store(&open, &entry, sidecar, remote, cancel),
        BackupsStore::Folder(folder) => {
            copy_into_folder(&open, &entry, &sidecar, folder, progress, cancel)
        }
    }
}

/// The sidecar of a catalogued backup, byte for byte: read back from a store, it is checked
/// first, so a forged one is never copied into a folder as if it were the backup's proof.
fn catalogued_sidecar(
    source: &BackupsStore,
    located: &LocatedBackup,
    entry: &CatalogEntry,
) -> Result<Vec<u8>> {
    let sidecar =
        source
            .sidecar_bytes(&entry.backup_file)?
            .ok_or_else(|| Error::ManifestMissing {
                path: located.path.clone(),
            })?;
    let manifest = Manifest::from_json(&sidecar, &sidecar_path(&located.path))?;
    let describes_it = manifest.archive.as_ref().is_some_and(|info| {
        info.file == entry.backup_file && info.size == entry.size && info.sha256 == entry.sha256
    });
    if !describes_it {
        return Err(Error::InvalidManifest {
            path: sidecar_path(&located.path),
            detail: "it does not describe the archive its catalog entry names".into(),
        });
    }
    Ok(sidecar)
}

/// The catalog entry and sidecar a backup file outside any catalog would have: from the sidecar
/// beside it, else from its embedded manifest (its SHA-256 taken while the archive's layout is
/// checked). Its name must be a backup's name that agrees with the manifest, as a store's
/// readers expect. The copy is then verified against this description like any other.
fn described_outside_catalog(
    located: &LocatedBackup,
    cancel: &CancelToken,
) -> Result<(CatalogEntry, Vec<u8>)> {
    let refuse = |detail: &str| Error::NotCopyable {
        path: located.path.clone(),
        detail: detail.into(),
    };
    let named = ArchiveFileName::new(located.file_name.clone())
        .ok()
        .and_then(|file| file.backup_name().map(|name| (file, name)));
    let Some((file, name)) = named else {
        return Err(refuse(
            "its name is not a backup's name (strategy_YYYYmmdd_HHMMSS.tar.gz)",
        ));
    };
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    let manifest = match &located.sidecar {
        Some(manifest) => {
            if manifest
                .archive
                .as_ref()
                .is_none_or(|info| info.file != file)
            {
                return Err(Error::InvalidManifest {
                    path: sidecar_path(&located.path),
                    detail: "it describes another archive than the one beside it".into(),
                });
            }
            manifest.clone()
        }
        None => {
            let scan = read_embedded(located.open()?, None, cancel)?;
            let Some(mut manifest) = scan.manifest else {
                return Err(refuse(
                    "it was made by another tool and carries no manifest, so nothing could prove the copy",
                ));
            };
            manifest.archive = Some(ArchiveInfo {
                file: file.clone(),
                size: scan.stats.size,
                sha256: scan.stats.sha256,
            });
            manifest
        }
    };
    if manifest.strategy != name.strategy || manifest.timestamp != name.timestamp {
        return Err(refuse(
            "its manifest names another strategy or time than its file name",
        ));
    }
    let Some(archive) = &manifest.archive else {
        return Err(refuse("its manifest records no archive"));
    };
    Ok((
        CatalogEntry::from_manifest(&manifest, archive),
        manifest.to_json(),
    ))
}

/// Opens the archive being copied, as stored, each time its bytes are needed.
type OpenArchive<'a> = dyn Fn() -> Result<Box<dyn Read + Send>> + 'a;

fn outcome(entry: &CatalogEntry, status: CopyStatus) -> CopyOutcome {
    CopyOutcome {
        backup_file: entry.backup_file.to_string(),
        status,
        size: entry.size,
        sha256: entry.sha256.clone(),
    }
}

/// The store's publish protocol: archive (conditional, streamed, read back) -> sidecar ->
/// catalog entry.
fn copy_into_store(
    open: &OpenArchive,
    entry: &CatalogEntry,
    sidecar: Vec<u8>,
    target: &RemoteStore,
    cancel: &CancelToken,
) -> Result<CopyOutcome> {
    let objects = target.objects();
    let archive = entry.backup_file.as_str();

    if let Some(there) = target.entry(&entry.backup_file)? {
        if there.sha256 == entry.sha256 && objects.size_of(archive)? == Some(entry.size) {
            return Ok(outcome(entry, CopyStatus::AlreadyThere));
        }
        return Err(target.different_backup(archive));
    }

    cancel.check()?;
    match objects.size_of(archive)? {
        // A copy cut short after the archive was published, or another writer's: it is ours
        // only if its bytes are.
        Some(_) => verify_remote(objects, entry, cancel)?,
        None => match upload_archive(objects, open, entry, cancel) {
            Ok(()) => verify_remote(objects, entry, cancel)?,
            Err(Error::Remote {
                reason: RemoteReason::AlreadyExists,
                ..
            }) => verify_remote(objects, entry, cancel)?,
            Err(err) => return Err(err),
        },
    }
    target.publish_documents(sidecar, entry, cancel)?;
    Ok(outcome(entry, CopyStatus::Copied))
}

/// Into a backups folder as a local backup appears: the archive is written under a temporary
/// name while hashed, and moved into place (never over another file), with its sidecar and
/// catalog entry, under the folder's catalog lock.
fn copy_into_folder(
    open: &OpenArchive,
    entry: &CatalogEntry,
    sidecar: &[u8],
    folder: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyOutcome> {
    let file = &entry.backup_file;
    let final_path = folder.join(file);
    if let Some(there) = Catalog::load(folder, progress)?.find(file) {
        return if there.sha256 == entry.sha256 && there.size == entry.size {
            Ok(outcome(entry, CopyStatus::AlreadyThere))
        } else {
            Err(different_in_folder(&final_path))
        };
    }
    ensure_dir(folder)?;
    let mut partial = PartialFile::create(&final_path)?;
    // Dropping the partial file on any error or cancel removes it.
    stream_verified(open, entry, cancel, |bytes| {
        partial
            .file()
            .write_all(bytes)
            .map_err(|source| Error::io("write", &final_path, source))
    })?;
    partial.sync()?;
    let lock = Catalog::lock_reporting(folder, progress)?;
    match partial.publish_new(&final_path) {
        Ok(()) => {}
        // Another process put a file there since: it is this backup only if its bytes are.
        Err(Error::AlreadyExists { .. }) => {
            let there = open_regular(&final_path, false)?;
            let (sha256, size) = hash_reader(there, &final_path, cancel, |_| {})?;
            if sha256 != entry.sha256 || size != entry.size {
                return Err(different_in_folder(&final_path));
            }
        }
        Err(err) => return Err(err),
    }
    write_atomically(&folder.join(file.sidecar_name()), sidecar)?;
    Catalog::update_locked(folder, &lock, progress, |entries| {
        entries.retain(|e| e.backup_file != *file);
        entries.push(entry.clone());
        Ok(())
    })?;
    Ok(outcome(entry, CopyStatus::Copied))
}

fn source_shown(entry: &CatalogEntry) -> PathBuf {
    PathBuf::from(entry.backup_file.as_str())
}

fn different_in_folder(path: &Path) -> Error {
    Error::VerificationFailed {
        path: path.to_path_buf(),
        detail: "the folder holds a different backup under this name; nothing was overwritten"
            .into(),
    }
}

/// Streams the source's archive up, hashing what is sent: bytes that no longer match the
/// catalog abort the upload before anything becomes visible.
fn upload_archive(
    objects: &ObjectStore,
    open: &OpenArchive,
    entry: &CatalogEntry,
    cancel: &CancelToken,
) -> Result<()> {
    let mut writer = objects.writer(entry.backup_file.as_str())?;
    // Dropping the writer on any error or cancel aborts the multipart upload.
    stream_verified(open, entry, cancel, |bytes| writer.push(bytes))?;
    writer.finish().map(|_| ())
}

/// Streams the source's archive into `sink`, hashing it: bytes that are not the ones the
/// catalog entry records are an error before the caller publishes anything.
fn stream_verified(
    open: &OpenArchive,
    entry: &CatalogEntry,
    cancel: &CancelToken,
    mut sink: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut reader = open()?;
    let mut hasher = Sha256::new();
    let mut streamed = 0u64;
    let mut buffer = vec![0u8; COPY_BUFFER_BYTES];
    loop {
        cancel.check()?;
        let read = reader
            .read(&mut buffer)
            .map_err(|source| Error::io("read", source_shown(entry), source))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        streamed += read as u64;
        sink(&buffer[..read])?;
    }
    if hasher.finish_hex() != entry.sha256 || streamed != entry.size {
        return Err(Error::VerificationFailed {
            path: source_shown(entry),
            detail:
                "its SHA-256 or size is not the one its catalog entry recorded; nothing was copied"
                    .into(),
        });
    }
    Ok(())
}

/// Reads the published archive back and hashes it: the store's own checksums are not trusted.
fn verify_remote(objects: &ObjectStore, entry: &CatalogEntry, cancel: &CancelToken) -> Result<()> {
    let name = entry.backup_file.as_str();
    let shown = Path::new(name);
    let reader = objects.reader(name)?;
    let (sha256, size) = hash_reader(reader, shown, cancel, |_| {})?;
    if sha256 != entry.sha256 || size != entry.size {
        return Err(Error::VerificationFailed {
            path: format!("{}/{name}", objects.shown()).into(),
            detail: "the copy in the store does not have the archive's SHA-256 and size".into(),
        });
    }
    Ok(())
}
