//! Restoring a backup without ever trusting it. The destination folder is opened once, and every
//! later step works relative to that handle (a path swapped for a link meanwhile changes
//! nothing): members are extracted into a staging folder inside it, each admitted by the layout
//! rules first (see `layout`), checked file by file against the manifest (entries a sidecar does
//! not list, or lists smaller, before a byte of them is written), and only then moved into place
//! under a name built from validated parts. Files are created with their final permissions,
//! masked by the umask, never briefly more open. Free space is checked before the first write.
//! On any failure the staging folder is removed and the destination is exactly as it was.

use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::{archive_tracker, content_error, read_members, read_piece};
use crate::background::{ContentHasher, FileSyncer};
use crate::backup::{back_up, BackupOptions};
use crate::catalog::CatalogEntry;
use crate::check::{manifest_differences, Proof};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::FileIdentity;
use crate::layout::{Admitted, Layout};
use crate::limits::{quoted_bytes, space_needed};
use crate::locate::{locate, timestamp_in_name, LocatedBackup, Locator};
use crate::manifest::{EntryKind, Manifest, ManifestEntry};
use crate::names::{copy_folder_name, StrategyName, Timestamp};
use crate::progress::{CancelToken, Operation, Progress};
use crate::settings::Locations;
use crate::tar_reader::MemberHeader;

#[cfg(unix)]
#[path = "restore_unix.rs"]
mod platform;
#[cfg(not(unix))]
#[path = "restore_other.rs"]
mod platform;

/// Staging folders are hidden siblings of what they will become, so the final move is a rename
/// on the same disk.
const STAGING_PREFIX: &str = ".results-backup-staging-";
const STAGING_LOCK: &str = ".lock";
/// Inside the staging folder: where the current folder is parked while the restored one moves in.
const PARKING: &str = "previous";
const COPY_BUFFER: usize = 256 * 1024;
/// Disk space a folder or a small file takes beyond its content, for the free-space estimate.
const BLOCK_PER_ENTRY: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Restore beside the existing folder as `<strategy>_restored_<timestamp>`.
    Copy,
    /// Back up the existing folder first, then swap the restored one in.
    Replace,
    /// Stop with an error.
    Fail,
}

#[derive(Clone, Debug)]
pub struct RestoreOptions {
    /// Where the strategy folder goes; the results folder when `None`.
    pub destination: Option<PathBuf>,
    pub on_conflict: OnConflict,
    /// The identity the destination had when the analyst chose it: a folder that is no longer
    /// that one (moved, replaced by a link) is refused. `None` for a destination typed on the
    /// command line, which is created when missing.
    pub expected_destination: Option<FileIdentity>,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct RestoreOutcome {
    pub backup_file: String,
    pub strategy: StrategyName,
    pub restored_to: PathBuf,
    /// Which folder `restored_to` is, so the app can grant exactly it.
    #[serde(skip)]
    pub restored_identity: Option<FileIdentity>,
    pub proof: Proof,
    pub files: u64,
    pub bytes: u64,
    /// True when an existing folder was replaced (after `safety_backup` was made of it).
    pub replaced: bool,
    pub safety_backup: Option<CatalogEntry>,
    pub warnings: Vec<String>,
}

pub fn restore(
    locations: &Locations,
    wanted: &Locator,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    let located = locate(&locations.backups, wanted, progress)?;
    let destination = options
        .destination
        .clone()
        .unwrap_or_else(|| locations.results.clone());
    // Folders this restore creates for the destination go again if it fails: a refused archive
    // leaves no trace, not even an empty folder. A chosen destination is never created.
    let created = match options.expected_destination {
        Some(_) => Vec::new(),
        None => missing_folders(&destination),
    };
    if options.expected_destination.is_none() {
        crate::fsutil::ensure_dir(&destination)?;
    }
    let result = Destination::open(&destination, options.expected_destination)
        .and_then(|dest| restore_into(locations, &located, &dest, options, progress, cancel));
    if result.is_err() {
        for folder in &created {
            let _ = fs::remove_dir(folder);
        }
    }
    result
}

/// `path` and those of its ancestors that do not exist yet, deepest first.
fn missing_folders(path: &Path) -> Vec<PathBuf> {
    path.ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// The destination folder, opened once.
struct Destination {
    path: PathBuf,
    dir: Dir,
}

impl Destination {
    fn open(path: &Path, expected: Option<FileIdentity>) -> Result<Destination> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())
            .at("open the folder", path)?;
        if let Some(expected) = expected {
            if identity_of(&dir, path)? != expected {
                return Err(Error::ChangedSinceChosen {
                    path: path.to_path_buf(),
                });
            }
        }
        Ok(Destination {
            path: path.to_path_buf(),
            dir,
        })
    }

    fn holds(&self, name: &str) -> bool {
        self.dir.symlink_metadata(name).is_ok()
    }

    /// Makes the renames inside it durable.
    fn sync(&self) -> Result<()> {
        sync_dir(&self.dir, &self.path)
    }
}

fn identity_of(dir: &Dir, path: &Path) -> Result<FileIdentity> {
    let file = dir.try_clone().at("open the folder", path)?.into_std_file();
    FileIdentity::of_file(&file).at("read", path)
}

fn sync_dir(dir: &Dir, path: &Path) -> Result<()> {
    platform::sync_dir(dir).at("save", path)
}

/// With `--on-conflict fail` and a strategy the manifest or catalog already names, a conflict is
/// reported before anything (even a staging folder) is created in the destination.
fn refuse_known_conflict_early(
    located: &LocatedBackup,
    dest: &Destination,
    options: &RestoreOptions,
) -> Result<()> {
    if options.on_conflict != OnConflict::Fail {
        return Ok(());
    }
    let known_strategy = located
        .sidecar
        .as_ref()
        .map(|m| m.strategy.clone())
        .or_else(|| located.catalog_entry.as_ref().map(|e| e.strategy.clone()));
    match known_strategy {
        Some(strategy) if dest.holds(&strategy) => Err(Error::AlreadyExists {
            path: dest.path.join(strategy),
        }),
        _ => Ok(()),
    }
}

/// When the backup says how much it holds, it must fit on the destination's disk (with room to
/// spare) before anything is written.
fn refuse_what_will_not_fit(located: &LocatedBackup, dest: &Destination) -> Result<()> {
    let listed = located
        .sidecar
        .as_ref()
        .map(|m| (m.totals.bytes, m.entries.len() as u64))
        .or_else(|| {
            located
                .catalog_entry
                .as_ref()
                .map(|e| (e.bytes, e.files.saturating_add(1)))
        });
    let (Some((bytes, entries)), Some(available)) = (listed, platform::available_space(&dest.dir))
    else {
        return Ok(());
    };
    let needed = bytes.saturating_add(entries.saturating_mul(BLOCK_PER_ENTRY));
    if space_needed(needed) > available {
        return Err(Error::NotEnoughSpace {
            path: dest.path.clone(),
            needed,
            available,
        });
    }
    Ok(())
}

fn restore_into(
    locations: &Locations,
    located: &LocatedBackup,
    dest: &Destination,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    refuse_known_conflict_early(located, dest, options)?;
    refuse_what_will_not_fit(located, dest)?;
    clean_stale_staging(dest);
    let staging = Staging::create(dest)?;

    let extracted = extract_verified(located, &staging, progress, cancel)?;
    let mut warnings = Vec::new();
    if extracted.proof == Proof::None {
        let warning = format!(
            "{} was not made by Results Backup: nothing can prove its contents (only the gzip checksum was checked).",
            located.path.display()
        );
        progress.warn(&warning);
        warnings.push(warning);
    }
    cancel.check()?;

    let strategy = extracted.strategy.clone();
    let mut outcome = RestoreOutcome {
        backup_file: located.file_name.clone(),
        strategy: strategy.clone(),
        restored_to: dest.path.join(&strategy),
        restored_identity: None,
        proof: extracted.proof,
        files: extracted.files,
        bytes: extracted.bytes,
        replaced: false,
        safety_backup: None,
        warnings,
    };
    let final_name = if !dest.holds(&strategy) {
        strategy.to_string()
    } else {
        match options.on_conflict {
            OnConflict::Fail => {
                return Err(Error::AlreadyExists {
                    path: dest.path.join(&strategy),
                })
            }
            OnConflict::Copy => {
                let timestamp = extracted
                    .timestamp
                    .clone()
                    .or_else(|| timestamp_in_name(&located.file_name));
                free_name(dest, &copy_folder_name(&strategy, timestamp.as_ref()))
            }
            OnConflict::Replace => {
                let current = Locations {
                    results: dest.path.clone(),
                    backups: locations.backups.clone(),
                    level: locations.level,
                };
                let backup_options = BackupOptions {
                    level: locations.level,
                    if_changed: false,
                };
                let safety = back_up(&current, &strategy, &backup_options, progress, cancel)?;
                outcome.safety_backup = safety.backup;
                swap_in(&staging, dest, &strategy)?;
                outcome.replaced = true;
                outcome.restored_identity = dest
                    .dir
                    .open_dir(strategy.as_str())
                    .ok()
                    .and_then(|dir| identity_of(&dir, &outcome.restored_to).ok());
                return Ok(outcome);
            }
        }
    };
    move_into_place(&staging, dest, &strategy, &final_name)?;
    outcome.restored_to = dest.path.join(&final_name);
    outcome.restored_identity = dest
        .dir
        .open_dir(&final_name)
        .ok()
        .and_then(|dir| identity_of(&dir, &outcome.restored_to).ok());
    Ok(outcome)
}

/// What the extraction produced and proved.
struct Extracted {
    strategy: StrategyName,
    timestamp: Option<Timestamp>,
    proof: Proof,
    files: u64,
    bytes: u64,
}

/// Folder times and permissions are applied last: creating files inside a folder would move
/// its time again, and a read-only folder could not be filled.
struct PendingDir {
    relative: PathBuf,
    mtime: i64,
    mode: u32,
}

fn extract_verified(
    located: &LocatedBackup,
    staging: &Staging,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Extracted> {
    let archive = located.open()?;
    let limit = located.expansion_limit(archive.size);
    let mut tracker = archive_tracker(
        archive.size,
        progress,
        Operation::Restore,
        &located.file_name,
    );
    let archive_path = archive.path.clone();
    let mut state = ExtractState {
        archive: &archive_path,
        staging,
        layout: Layout::new(located.sidecar.as_ref().map(|m| m.strategy.clone())),
        listed: located.sidecar.as_ref().map(|m| {
            m.entries
                .iter()
                .map(|e| (e.path.clone(), (e.kind, e.size)))
                .collect()
        }),
        found: BTreeMap::new(),
        dirs: Vec::new(),
        embedded: None,
        hasher: ContentHasher::start(),
        syncer: FileSyncer::start(),
    };
    let stats = read_members(
        archive,
        limit,
        cancel,
        Some(&mut tracker),
        |header, content| state.extract_member(header, content, cancel),
    )?;
    state.collect_digests();
    state.finish_syncing()?;
    state.apply_dir_attributes()?;

    let strategy = state
        .layout
        .strategy()
        .cloned()
        .ok_or_else(|| Error::CorruptArchive {
            path: archive_path.clone(),
            detail: "it holds no strategy folder".into(),
        })?;
    let (expected, proof) = match (&located.sidecar, &state.embedded) {
        (Some(sidecar), _) => (Some(sidecar), Proof::Manifest),
        (None, Some(embedded)) => (Some(embedded), Proof::EmbeddedManifest),
        (None, None) => (None, Proof::None),
    };
    if let Some(info) = located.sidecar.as_ref().and_then(|m| m.archive.as_ref()) {
        if info.sha256 != stats.sha256 || info.size != stats.size {
            return Err(Error::VerificationFailed {
                path: archive_path,
                detail: "the archive's SHA-256 differs from the one recorded when it was made"
                    .into(),
            });
        }
    }
    if let (Some(sidecar), Some(embedded)) = (&located.sidecar, &state.embedded) {
        if !sidecar.agrees_with(embedded) {
            return Err(Error::VerificationFailed {
                path: archive_path,
                detail: "the manifest inside the archive differs from the one beside it".into(),
            });
        }
    }
    if let Some(manifest) = expected {
        let problems = manifest_differences(manifest, &state.found);
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more problems)", n - 1),
            };
            return Err(Error::VerificationFailed {
                path: archive_path,
                detail: format!(
                    "\"{}\" {}{more}",
                    first.path.clone().unwrap_or_default(),
                    first.issue
                ),
            });
        }
    }
    let files = state.found.values().filter(|e| e.kind == EntryKind::File);
    Ok(Extracted {
        strategy,
        timestamp: expected.map(|m| m.timestamp.clone()),
        proof,
        files: files.clone().count() as u64,
        bytes: files.map(|e| e.size).sum(),
    })
}

struct ExtractState<'a> {
    archive: &'a Path,
    staging: &'a Staging,
    layout: Layout,
    /// Kind and size of every entry the sidecar lists, known before reading: an entry it does
    /// not list, or one larger than listed, is refused before a byte of it reaches the disk.
    listed: Option<BTreeMap<String, (EntryKind, u64)>>,
    found: BTreeMap<String, ManifestEntry>,
    dirs: Vec<PendingDir>,
    embedded: Option<Manifest>,
    hasher: ContentHasher,
    syncer: FileSyncer,
}

impl ExtractState<'_> {
    fn refuse(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafeEntry {
            path: self.archive.to_path_buf(),
            entry: quoted_bytes(entry),
            reason: reason.into(),
        }
    }

    fn extract_member(
        &mut self,
        header: &MemberHeader,
        content: &mut dyn Read,
        cancel: &CancelToken,
    ) -> Result<()> {
        let admitted = self
            .layout
            .admit(header)
            .map_err(|reason| self.refuse(&header.raw_path, reason))?;
        let entry = match admitted {
            Admitted::ManifestFolder => return Ok(()),
            Admitted::EmbeddedManifest => {
                let mut bytes = Vec::new();
                content
                    .take(header.size)
                    .read_to_end(&mut bytes)
                    .map_err(|e| content_error(self.archive, e))?;
                self.embedded = Some(Manifest::from_json(&bytes, self.archive)?);
                return Ok(());
            }
            Admitted::Entry(entry) => entry,
        };
        self.check_listed(&entry.canonical, entry.kind, header)?;
        // Validated parts only: the strategy (a checked name) and the parts below it.
        let mut relative = PathBuf::from(entry.canonical.split('/').next().unwrap_or_default());
        relative.extend(&entry.inside);
        let mut recorded = ManifestEntry {
            path: entry.canonical,
            kind: entry.kind,
            size: 0,
            mode: header.mode & 0o7777,
            mtime: header.mtime,
            sha256: None,
            target: None,
        };
        let dir = &self.staging.dir;
        let shown = || self.staging.path.join(&relative);
        match entry.kind {
            EntryKind::Dir => {
                platform::create_dir_all(dir, &relative, header.mode & 0o777)
                    .at("create the folder", shown())?;
                self.dirs.push(PendingDir {
                    relative,
                    mtime: header.mtime,
                    mode: header.mode & 0o777,
                });
            }
            EntryKind::File => {
                self.make_parent(&relative)?;
                self.refuse_if_disk_fills(header.size)?;
                // The digest arrives from the background hasher once the archive is read.
                self.write_file(&relative, &recorded.path, content, header, cancel)?;
                recorded.size = header.size;
            }
            EntryKind::Symlink => {
                let link = header.link_target.clone().unwrap_or_default();
                self.make_parent(&relative)?;
                let link_text = String::from_utf8_lossy(&link).into_owned();
                platform::symlink(dir, &link_text, &relative).at("create the link", shown())?;
                // Some systems cannot set a link's own time; the link itself is what matters.
                let _ = dir.set_symlink_times(&relative, None, Some(time_spec(header.mtime)));
                recorded.target = Some(link_text);
            }
        }
        self.found.insert(recorded.path.clone(), recorded);
        Ok(())
    }

    fn check_listed(&self, canonical: &str, kind: EntryKind, header: &MemberHeader) -> Result<()> {
        let Some(listed) = &self.listed else {
            return Ok(());
        };
        let refused = |detail: String| Error::VerificationFailed {
            path: self.archive.to_path_buf(),
            detail: format!("\"{canonical}\" {detail} (stopped before writing it)"),
        };
        let Some(&(listed_kind, size)) = listed.get(canonical) else {
            return Err(refused("is in the archive but not in the manifest".into()));
        };
        if kind == EntryKind::File && listed_kind == EntryKind::File && header.size != size {
            return Err(refused(format!(
                "is {} bytes in the archive but the manifest says {size}",
                header.size
            )));
        }
        Ok(())
    }

    /// Without a manifest read beforehand nothing says how large the restore is: each file must
    /// leave the reserve free, so an archive that would fill the disk stops first.
    fn refuse_if_disk_fills(&self, size: u64) -> Result<()> {
        if self.listed.is_some() {
            return Ok(());
        }
        if let Some(available) = platform::available_space(&self.staging.dir) {
            if space_needed(size) > available {
                return Err(Error::NotEnoughSpace {
                    path: self.staging.parent_path.clone(),
                    needed: size,
                    available,
                });
            }
        }
        Ok(())
    }

    fn make_parent(&self, relative: &Path) -> Result<()> {
        match relative.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => {
                platform::create_dir_all(&self.staging.dir, parent, 0o777)
                    .at("create the folder", self.staging.path.join(parent))
            }
            _ => Ok(()),
        }
    }

    /// Writes one file's content, hands each piece to the background hasher and the finished
    /// file to the background syncer. The file is created with its final permission bits, which
    /// the umask narrows, and never exists with wider ones.
    fn write_file(
        &mut self,
        relative: &Path,
        canonical: &str,
        content: &mut dyn Read,
        header: &MemberHeader,
        cancel: &CancelToken,
    ) -> Result<()> {
        let shown = self.staging.path.join(relative);
        let mut file: File =
            platform::create_file(&self.staging.dir, relative, header.mode & 0o777)
                .at("create", &shown)?;
        self.hasher.begin(canonical);
        loop {
            cancel.check()?;
            let piece =
                read_piece(content, COPY_BUFFER).map_err(|e| content_error(self.archive, e))?;
            if piece.is_empty() {
                break;
            }
            file.write_all(&piece).at("write", &shown)?;
            self.hasher.bytes(piece);
        }
        self.hasher.end();
        file.set_modified(system_time(header.mtime))
            .at("set the time of", &shown)?;
        self.syncer.sync(file, shown);
        Ok(())
    }

    /// Puts each file's SHA-256 from the background hasher into what was found.
    fn collect_digests(&mut self) {
        let digests = self.hasher.finish();
        for entry in self
            .found
            .values_mut()
            .filter(|e| e.kind == EntryKind::File)
        {
            entry.sha256 = digests.get(&entry.path).cloned();
        }
    }

    /// Waits until every extracted file is on disk, so a crash right after the restored folder
    /// is moved into place cannot leave it with empty files.
    fn finish_syncing(&mut self) -> Result<()> {
        self.syncer
            .finish()
            .map_err(|(path, e)| Error::io("save", path, e))
    }

    fn apply_dir_attributes(&mut self) -> Result<()> {
        // Deepest first, so setting a child's time does not disturb its parent's.
        self.dirs.sort_by(|a, b| b.relative.cmp(&a.relative));
        let dir = &self.staging.dir;
        for pending in &self.dirs {
            let shown = self.staging.path.join(&pending.relative);
            platform::narrow_dir_mode(dir, &pending.relative, pending.mode)
                .at("set the permissions of", &shown)?;
            dir.set_mtime(&pending.relative, time_spec(pending.mtime))
                .at("set the time of", &shown)?;
        }
        Ok(())
    }
}

/// Times before 1970 are negative: they count back from the epoch.
fn system_time(mtime: i64) -> std::time::SystemTime {
    let offset = std::time::Duration::from_secs(mtime.unsigned_abs());
    if mtime >= 0 {
        std::time::UNIX_EPOCH.checked_add(offset)
    } else {
        std::time::UNIX_EPOCH.checked_sub(offset)
    }
    .unwrap_or(std::time::UNIX_EPOCH)
}

fn time_spec(mtime: i64) -> SystemTimeSpec {
    SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(system_time(mtime)))
}

/// Moves the restored strategy folder from the staging folder to `name` in the destination,
/// never over something that is there.
fn move_into_place(
    staging: &Staging,
    dest: &Destination,
    strategy: &str,
    name: &str,
) -> Result<()> {
    let target = dest.path.join(name);
    if dest.holds(name) {
        return Err(Error::AlreadyExists { path: target });
    }
    staging
        .dir
        .rename(strategy, &dest.dir, name)
        .at("move the restored folder to", &target)?;
    dest.sync()
}

/// Swaps the restored folder in for the current one; if the second step fails the current folder
/// is put back, so the analyst never ends up with neither.
fn swap_in(staging: &Staging, dest: &Destination, strategy: &str) -> Result<()> {
    let target = dest.path.join(strategy);
    dest.dir
        .rename(strategy, &staging.dir, PARKING)
        .at("move aside", &target)?;
    if let Err(e) = staging.dir.rename(strategy, &dest.dir, strategy) {
        let _ = staging.dir.rename(PARKING, &dest.dir, strategy);
        return Err(Error::io("move the restored folder to", target, e));
    }
    dest.sync()
}

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

/// `<base>`, or `<base>_2`, `<base>_3`... whichever the destination does not hold yet.
fn free_name(dest: &Destination, base: &str) -> String {
    let mut candidate = base.to_string();
    let mut n = 2;
    while dest.holds(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    candidate
}

/// The staging folder inside the destination: removed, through the destination's handle, with
/// everything in it when dropped. A lock file inside tells a later run whether its owner is
/// still alive.
struct Staging {
    parent: Dir,
    parent_path: PathBuf,
    name: String,
    dir: Dir,
    /// Shown in messages; every access goes through `dir`.
    path: PathBuf,
    _lock: File,
}

impl Staging {
    fn create(dest: &Destination) -> Result<Staging> {
        let pid = std::process::id();
        for attempt in 0..1000u32 {
            let name = format!("{STAGING_PREFIX}{pid}-{attempt}");
            match dest.dir.create_dir(&name) {
                Ok(()) => {
                    let path = dest.path.join(&name);
                    let parent = dest.dir.try_clone().at("open the folder", &dest.path)?;
                    let dir = dest.dir.open_dir(&name).at("open the folder", &path)?;
                    let lock_path = path.join(STAGING_LOCK);
                    let lock = platform::create_file(&dir, Path::new(STAGING_LOCK), 0o600)
                        .at("create", &lock_path)?;
                    let _ = lock.try_lock();
                    return Ok(Staging {
                        parent,
                        parent_path: dest.path.clone(),
                        name,
                        dir,
                        path,
                        _lock: lock,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create a folder in", &dest.path, e)),
            }
        }
        Err(Error::io(
            "create a folder in",
            &dest.path,
            io::Error::other("too many staging folders"),
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = self.parent.remove_dir_all(&self.name);
    }
}

/// Removes staging folders left by restores that were killed. Only real folders with our name
/// are considered (never a link), and only when no live restore holds their lock.
fn clean_stale_staging(dest: &Destination) {
    let Ok(entries) = dest.dir.entries() else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(STAGING_PREFIX) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(staging) = dest.dir.open_dir(&name) else {
            continue;
        };
        let abandoned = match platform::open_lock(&staging, STAGING_LOCK) {
            Ok(lock) => lock.try_lock().is_ok(),
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        };
        if abandoned {
            let _ = dest.dir.remove_dir_all(&name);
        }
    }
}
