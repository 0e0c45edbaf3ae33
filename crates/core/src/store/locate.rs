//! Turning what a person or the app named into a backup on disk. A name is looked up only in the
//! backups folder (never in the working folder) and opened there without following links; a path
//! is a path someone typed; a file handed over earlier (dropped on the window) must still be the
//! very file that was handed over when it is read.

use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::catalog::{read_embedded, sidecar_path, Catalog, CatalogEntry};
use super::manifest::Manifest;
use super::names::{ArchiveFileName, Timestamp, ARCHIVE_SUFFIX};
use super::remote::RemoteStore;
use crate::archive::{ArchiveFile, RandomAccess, StrategyName};
use crate::error::{Error, Result};
use crate::limits::{allowed_expansion, quoted};
use crate::progress::{CancelToken, Progress};
use crate::sys::s3::ObjectStore;
use crate::sys::FileIdentity;
use std::sync::{Arc, Mutex};

/// How a backup is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Locator {
    /// A file name in the backups folder, with or without `.tar.gz`.
    Name(String),
    /// A path to any `.tar.gz` someone typed.
    Path(PathBuf),
    /// A file handed over earlier (dropped on the window): it must still be that same file.
    Granted {
        path: PathBuf,
        identity: FileIdentity,
    },
}

impl Locator {
    /// What a command-line argument means: a path when it has a folder separator in it (use
    /// `./name.tar.gz` for a file in the working folder), else a name in the backups folder.
    pub fn from_argument(text: &str) -> Locator {
        if text.contains('/') || (cfg!(windows) && text.contains('\\')) {
            Locator::Path(PathBuf::from(text))
        } else {
            Locator::Name(text.to_string())
        }
    }

    /// How the backup is shown in messages.
    pub fn shown(&self) -> String {
        match self {
            Locator::Name(name) => quoted(name),
            Locator::Path(path) | Locator::Granted { path, .. } => {
                quoted(&path.display().to_string())
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct LocatedBackup {
    pub path: PathBuf,
    pub file_name: String,
    /// Set when the archive lives in the backups folder and the catalog knows it.
    pub catalog_entry: Option<CatalogEntry>,
    /// The sidecar manifest, when one sits beside the archive and can be read.
    pub sidecar: Option<Manifest>,
    /// Why a sidecar that sits beside the archive could not be used: restore refuses, check
    /// reports it (a forged sidecar must never be silently replaced by the embedded copy).
    pub sidecar_problem: Option<SidecarProblem>,
    /// False for names from the catalog: a link planted there is never followed.
    follow_links: bool,
    identity: Option<FileIdentity>,
    /// Set when the archive is an object in an S3 store: it is streamed from there.
    remote: Option<RemoteArchive>,
}

/// The store an archive object is read from.
#[derive(Clone)]
pub struct RemoteArchive {
    objects: Arc<ObjectStore>,
}

impl std::fmt::Debug for RemoteArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.objects.shown())
    }
}

/// An archive object read at chosen offsets: each read of the index's member chain becomes
/// ranged GETs of [`RANGE_BYTES`], so one file out of a large archive costs about its own
/// compressed size, not a download of the whole object. The last range fetched is kept: a chain
/// goes on from one member to the next, and neighbouring files share members, so a read that
/// starts inside it is served from memory instead of fetching those bytes again.
pub struct RemoteRanges {
    objects: Arc<ObjectStore>,
    name: String,
    size: u64,
    last: Mutex<Option<FetchedRange>>,
}

/// Bytes of the object from `start` on.
#[derive(Clone)]
struct FetchedRange {
    start: u64,
    bytes: Arc<[u8]>,
}

/// One ranged read: a little more than one of our gzip members (1 MiB of input each).
const RANGE_BYTES: u64 = 1024 * 1024 + 64 * 1024;

impl RemoteRanges {
    /// The kept range, positioned at `offset`, when it holds that byte.
    fn kept_at(&self, offset: u64) -> Option<(std::io::Cursor<Arc<[u8]>>, u64)> {
        let last = self.last.lock().ok()?.clone()?;
        let end = last.start + last.bytes.len() as u64;
        if !(last.start..end).contains(&offset) {
            return None;
        }
        let mut held = std::io::Cursor::new(last.bytes);
        held.set_position(offset - last.start);
        Some((held, end))
    }

    fn fetch(&self, start: u64) -> std::io::Result<Arc<[u8]>> {
        let len = RANGE_BYTES.min(self.size - start);
        let bytes: Arc<[u8]> = self
            .objects
            .read_range(&self.name, start, len)
            .map_err(std::io::Error::other)?
            .into();
        if let Ok(mut last) = self.last.lock() {
            *last = Some(FetchedRange {
                start,
                bytes: Arc::clone(&bytes),
            });
        }
        Ok(bytes)
    }
}

impl RandomAccess for RemoteRanges {
    fn read_from(&self, offset: u64) -> std::io::Result<Box<dyn Read + '_>> {
        let (held, next) = self
            .kept_at(offset)
            .unwrap_or_else(|| (std::io::Cursor::new(Arc::from(Vec::new())), offset));
        Ok(Box::new(RangedReader {
            ranges: self,
            next,
            held,
        }))
    }
}

struct RangedReader<'r> {
    ranges: &'r RemoteRanges,
    /// Offset of the next byte to fetch.
    next: u64,
    held: std::io::Cursor<Arc<[u8]>>,
}

impl Read for RangedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.held.read(buf)?;
        if n > 0 || buf.is_empty() || self.next >= self.ranges.size {
            return Ok(n);
        }
        let bytes = self.ranges.fetch(self.next)?;
        if bytes.is_empty() {
            // The object shrank under us: say so rather than loop.
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the object ended before its recorded size",
            ));
        }
        self.next += bytes.len() as u64;
        self.held = std::io::Cursor::new(bytes);
        self.held.read(buf)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SidecarProblem {
    pub path: PathBuf,
    pub detail: String,
}

impl SidecarProblem {
    pub fn to_error(&self) -> Error {
        Error::InvalidManifest {
            path: self.path.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// The sidecar beside an archive: absent, read, or there but unusable.
fn read_sidecar(path: &Path) -> (Option<Manifest>, Option<SidecarProblem>) {
    if std::fs::symlink_metadata(path).is_err() {
        return (None, None);
    }
    match Manifest::load(path) {
        Ok(manifest) => (Some(manifest), None),
        Err(Error::InvalidManifest { detail, .. }) => (
            None,
            Some(SidecarProblem {
                path: path.to_path_buf(),
                detail,
            }),
        ),
        Err(other) => (
            None,
            Some(SidecarProblem {
                path: path.to_path_buf(),
                detail: other.to_string(),
            }),
        ),
    }
}

impl LocatedBackup {
    /// Opens the archive the way it may be opened (see [`ArchiveFile::open`]); an object in a
    /// store is streamed, never copied to disk first.
    pub fn open(&self) -> Result<ArchiveFile> {
        match &self.remote {
            Some(remote) => {
                let reader = remote.objects.reader(&self.file_name)?;
                let size = reader.size();
                Ok(ArchiveFile::streamed(
                    self.path.clone(),
                    size,
                    Box::new(reader),
                ))
            }
            None => ArchiveFile::open(&self.path, self.follow_links, self.identity),
        }
    }

    /// Ranged reads of the archive object, for following the index (`None` for a local file,
    /// which is read at offsets through its open handle instead).
    pub fn remote_ranges(&self, size: u64) -> Option<RemoteRanges> {
        self.remote.as_ref().map(|remote| RemoteRanges {
            objects: Arc::clone(&remote.objects),
            name: self.file_name.clone(),
            size,
            last: Mutex::new(None),
        })
    }

    /// Whether the archive is an object in an S3 store.
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// The archive's size now, or `None` when it is missing (a HEAD request for an object).
    pub fn current_size(&self) -> Result<Option<u64>> {
        match &self.remote {
            Some(remote) => remote.objects.size_of(&self.file_name),
            None => Ok(std::fs::symlink_metadata(&self.path)
                .ok()
                .map(|meta| meta.len())),
        }
    }

    /// What the archive may inflate to: by the ratio, or what its sidecar lists.
    pub fn expansion_limit(&self, archive_size: u64) -> u64 {
        allowed_expansion(
            archive_size,
            self.sidecar
                .as_ref()
                .map(|m| (m.totals.bytes, m.entries.len() as u64)),
        )
    }
}

pub fn locate(backups: &Path, wanted: &Locator, progress: &dyn Progress) -> Result<LocatedBackup> {
    let catalog = Catalog::load(backups, progress)?;
    locate_in(&catalog, backups, wanted)
}

/// [`locate`] against a catalog the caller already loaded (checking thousands of backups
/// should not read the catalog thousands of times).
pub fn locate_in(catalog: &Catalog, backups: &Path, wanted: &Locator) -> Result<LocatedBackup> {
    match wanted {
        Locator::Name(name) => {
            let unknown = || Error::UnknownBackup {
                name: quoted(name),
                backups: backups.to_path_buf(),
            };
            let with_suffix = if name.ends_with(ARCHIVE_SUFFIX) {
                name.clone()
            } else {
                format!("{name}{ARCHIVE_SUFFIX}")
            };
            let file = ArchiveFileName::new(with_suffix).map_err(|_| unknown())?;
            let entry = catalog.find(&file).ok_or_else(unknown)?;
            Ok(in_backups_folder(backups, entry.clone()))
        }
        Locator::Path(path) => located_by_path(catalog, backups, path, None),
        Locator::Granted { path, identity } => {
            located_by_path(catalog, backups, path, Some(*identity))
        }
    }
}

fn in_backups_folder(backups: &Path, entry: CatalogEntry) -> LocatedBackup {
    let path = backups.join(&entry.backup_file);
    let (sidecar, sidecar_problem) = read_sidecar(&backups.join(entry.backup_file.sidecar_name()));
    LocatedBackup {
        sidecar,
        sidecar_problem,
        file_name: entry.backup_file.to_string(),
        catalog_entry: Some(entry),
        path,
        follow_links: false,
        identity: None,
        remote: None,
    }
}

fn located_by_path(
    catalog: &Catalog,
    backups: &Path,
    path: &Path,
    identity: Option<FileIdentity>,
) -> Result<LocatedBackup> {
    // Opened once here so a folder, a pipe or a missing file gets its plain error now.
    ArchiveFile::open(path, true, identity).map_err(|e| match e {
        Error::NotARegularFile { .. } if path.is_dir() => Error::CorruptArchive {
            path: path.to_path_buf(),
            detail: "it is a folder, not a .tar.gz backup".into(),
        },
        other => other,
    })?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let same_folder = match (
        std::fs::canonicalize(crate::sys::parent_of(path)),
        std::fs::canonicalize(backups),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same_folder && identity.is_none() {
        if let Some(entry) = catalog.find(&file_name) {
            return Ok(in_backups_folder(backups, entry.clone()));
        }
    }
    let (sidecar, sidecar_problem) = read_sidecar(&sidecar_path(path));
    Ok(LocatedBackup {
        sidecar,
        sidecar_problem,
        path: path.to_path_buf(),
        file_name,
        catalog_entry: None,
        follow_links: true,
        identity,
        remote: None,
    })
}

/// A backup in an S3 store, by name only: its catalog entry and sidecar are read from the store
/// (a sidecar there that cannot be read is recorded as a problem, as on disk).
pub fn locate_remote(store: &RemoteStore, wanted: &Locator) -> Result<LocatedBackup> {
    let unknown = || Error::UnknownBackup {
        name: wanted.shown(),
        backups: store.shown().into(),
    };
    let Locator::Name(name) = wanted else {
        return Err(unknown());
    };
    let file = ArchiveFileName::with_suffix(name).map_err(|_| unknown())?;
    let entry = store.entry(&file)?.ok_or_else(unknown)?;
    let entry = store.with_last_check(entry)?;
    let sidecar_shown = PathBuf::from(format!("{}/{}", store.shown(), file.sidecar_name()));
    let (sidecar, sidecar_problem) = match store.sidecar_bytes(&file)? {
        None => (None, None),
        Some(bytes) => match Manifest::from_json(&bytes, &sidecar_shown) {
            Ok(manifest) => (Some(manifest), None),
            Err(err) => {
                let detail = match err {
                    Error::InvalidManifest { detail, .. } => detail,
                    other => other.to_string(),
                };
                (
                    None,
                    Some(SidecarProblem {
                        path: sidecar_shown,
                        detail,
                    }),
                )
            }
        },
    };
    Ok(LocatedBackup {
        path: PathBuf::from(format!("{}/{file}", store.shown())),
        file_name: file.to_string(),
        catalog_entry: Some(entry),
        sidecar,
        sidecar_problem,
        follow_links: false,
        identity: None,
        remote: Some(RemoteArchive {
            objects: store.shared_objects(),
        }),
    })
}

/// What the check could prove the contents against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    /// The sidecar manifest (and the embedded copy, which must agree).
    Manifest,
    /// Only the manifest embedded in the archive (a lone archive).
    EmbeddedManifest,
    /// Nothing: an archive made by another tool; only its gzip and tar structure were checked.
    None,
}

impl Proof {
    /// What a backup's contents can be proved against: its sidecar when it has one (the
    /// embedded copy must then agree), else the manifest embedded in the archive, else nothing.
    pub fn of(sidecar: Option<&Manifest>, embedded: Option<&Manifest>) -> Proof {
        match (sidecar, embedded) {
            (Some(_), _) => Proof::Manifest,
            (None, Some(_)) => Proof::EmbeddedManifest,
            (None, None) => Proof::None,
        }
    }
}

/// Which strategy a backup holds and when it was made: what a restore of it is named after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupIdentity {
    pub strategy: StrategyName,
    /// `None` for an archive made by another tool under a free-form name.
    pub timestamp: Option<Timestamp>,
}

/// What one read of a backup tells: its manifest, if it has one, and its identity.
#[derive(Clone, Debug)]
pub struct Inspection {
    pub manifest: Option<Manifest>,
    pub identity: BackupIdentity,
}

/// The backup's manifest: the sidecar when present, else the copy embedded in the archive.
pub fn manifest_of(located: &LocatedBackup, cancel: &CancelToken) -> Result<Manifest> {
    inspect(located, cancel)?
        .manifest
        .ok_or_else(|| Error::InvalidManifest {
            path: located.path.clone(),
            detail: "the archive was not made by Results Backup and holds no manifest".into(),
        })
}

/// The identity when the sidecar or the catalog knows it, without opening the archive.
pub fn known_identity(located: &LocatedBackup) -> Option<BackupIdentity> {
    if let Some(manifest) = &located.sidecar {
        return Some(identity_from_manifest(manifest));
    }
    located.catalog_entry.as_ref().map(|entry| BackupIdentity {
        strategy: entry.strategy.clone(),
        timestamp: Some(entry.timestamp.clone()),
    })
}

/// The manifest and identity of a backup, reading the archive only when no sidecar sits beside
/// it. An archive made by another tool has no manifest, which is not an error: it can still be
/// shown and restored, only nothing proves its contents. Its strategy is then the folder it
/// holds (what a restore creates), and its timestamp the one in its name, if any. An archive the
/// layout rules refuse is an error here too.
pub fn inspect(located: &LocatedBackup, cancel: &CancelToken) -> Result<Inspection> {
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    if let Some(sidecar) = &located.sidecar {
        return Ok(Inspection {
            manifest: Some(sidecar.clone()),
            identity: identity_from_manifest(sidecar),
        });
    }
    let scan = read_embedded(located.open()?, None, cancel)?;
    let identity = match &scan.manifest {
        Some(manifest) => identity_from_manifest(manifest),
        None => {
            let name = ArchiveFileName::new(located.file_name.clone()).ok();
            let parsed = name.as_ref().and_then(ArchiveFileName::backup_name);
            let strategy = scan
                .strategy
                .or_else(|| parsed.as_ref().map(|n| n.strategy.clone()))
                .ok_or_else(|| Error::CorruptArchive {
                    path: located.path.clone(),
                    detail: "it holds no strategy folder".into(),
                })?;
            BackupIdentity {
                strategy,
                timestamp: parsed.map(|n| n.timestamp),
            }
        }
    };
    Ok(Inspection {
        manifest: scan.manifest,
        identity,
    })
}

/// The timestamp a backup's file name carries, if it is one of ours.
pub(crate) fn timestamp_in_name(file_name: &str) -> Option<Timestamp> {
    ArchiveFileName::new(file_name)
        .ok()?
        .backup_name()
        .map(|n| n.timestamp)
}

fn identity_from_manifest(manifest: &Manifest) -> BackupIdentity {
    BackupIdentity {
        strategy: manifest.strategy.clone(),
        timestamp: Some(manifest.timestamp.clone()),
    }
}
