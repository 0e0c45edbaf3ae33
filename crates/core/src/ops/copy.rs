//! Copying backups from the backups folder into an S3 store, verified by SHA-256 (never by
//! ETag) and skipping what the store already has. The publish order is the store's protocol
//! (`docs/FORMAT.md`, "S3 stores"): archive (conditional, streamed) -> sidecar -> catalog entry,
//! so a copy cut short at any step leaves nothing a reader takes for a finished backup, and
//! running it again completes it.

use serde::Serialize;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, RemoteReason, Result};
use crate::limits::MAX_MANIFEST_BYTES;
use crate::progress::{CancelToken, Progress};
use crate::store::catalog::{sidecar_path, CatalogEntry};
use crate::store::locate::{locate, Locator};
use crate::store::remote::RemoteStore;
use crate::sys::hashing::{hash_reader, Sha256};
use crate::sys::s3::{ObjectStore, PART_BYTES};
use crate::sys::{open_regular, read_bounded};

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

/// Copies one backup of the backups folder `backups` into `target`.
pub fn copy_backup(
    backups: &Path,
    wanted: &Locator,
    target: &RemoteStore,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyOutcome> {
    let located = locate(backups, wanted, progress)?;
    let Some(entry) = located.catalog_entry.clone() else {
        return Err(Error::UnknownBackup {
            name: wanted.shown(),
            backups: backups.to_path_buf(),
        });
    };
    let outcome = |status| CopyOutcome {
        backup_file: entry.backup_file.to_string(),
        status,
        size: entry.size,
        sha256: entry.sha256.clone(),
    };
    let objects = target.objects();
    let archive = entry.backup_file.as_str();

    if let Some(there) = target.entry(&entry.backup_file)? {
        if there.sha256 == entry.sha256 && objects.size_of(archive)? == Some(entry.size) {
            return Ok(outcome(CopyStatus::AlreadyThere));
        }
        return Err(target.different_backup(archive));
    }

    let sidecar_file = sidecar_path(&located.path);
    let sidecar = read_bounded(&sidecar_file, false, MAX_MANIFEST_BYTES)?.ok_or_else(|| {
        Error::ManifestMissing {
            path: located.path.clone(),
        }
    })?;

    cancel.check()?;
    match objects.size_of(archive)? {
        // A copy cut short after the archive was published, or another writer's: it is ours
        // only if its bytes are.
        Some(_) => verify_remote(objects, &entry, cancel)?,
        None => match upload_archive(objects, &located.path, &entry, cancel) {
            Ok(()) => verify_remote(objects, &entry, cancel)?,
            Err(Error::Remote {
                reason: RemoteReason::AlreadyExists,
                ..
            }) => verify_remote(objects, &entry, cancel)?,
            Err(err) => return Err(err),
        },
    }
    target.publish_documents(sidecar, &entry, cancel)?;
    Ok(outcome(CopyStatus::Copied))
}

/// Streams the local archive up, hashing what is sent: bytes that no longer match the catalog
/// abort the upload before anything becomes visible.
fn upload_archive(
    objects: &ObjectStore,
    path: &Path,
    entry: &CatalogEntry,
    cancel: &CancelToken,
) -> Result<()> {
    let mut file = open_regular(path, false)?;
    let mut writer = objects.writer(entry.backup_file.as_str())?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; PART_BYTES.min(1024 * 1024)];
    loop {
        // Dropping the writer on any error or cancel aborts the multipart upload.
        cancel.check()?;
        let read = file
            .read(&mut buffer)
            .map_err(|source| Error::io("read", path, source))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        writer.push(&buffer[..read])?;
    }
    if hasher.finish_hex() != entry.sha256 || writer.written() != entry.size {
        writer.abort()?;
        return Err(Error::VerificationFailed {
            path: path.to_path_buf(),
            detail: "its SHA-256 or size is not the one the catalog recorded; nothing was copied"
                .into(),
        });
    }
    writer.finish().map(|_| ())
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
