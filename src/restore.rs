//! Restoring a backup without ever trusting it: members are extracted into a staging folder on the
//! destination's disk, refused outright if any could escape (absolute, `..`, backslash, drive
//! prefix, outside the single strategy folder, links leading out, hard links, devices, FIFOs,
//! duplicates), checked file by file against the manifest (entries a sidecar does not list, or
//! lists smaller, before a byte of them is written), and only then moved into place.
//! On any failure the staging folder is removed and the destination is exactly as it was.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::{archive_tracker, read_members, read_piece, MemberHeader};
use crate::background::{ContentHasher, FileSyncer};
use crate::backup::{back_up, BackupOptions};
use crate::catalog::CatalogEntry;
use crate::check::{manifest_differences, Proof};
use crate::entry_path::{check_link_target, classify, MemberPath};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::locate::{locate, timestamp_in_name, LocatedBackup};
use crate::manifest::{EntryKind, Manifest, ManifestEntry};
use crate::progress::{CancelToken, Operation, Progress};
use crate::settings::Locations;

/// Staging folders are hidden siblings of what they will become, so the final move is a rename
/// on the same disk.
const STAGING_PREFIX: &str = ".results-backup-staging-";
const STAGING_LOCK: &str = ".lock";
const COPY_BUFFER: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Clone, Debug, Serialize)]
pub struct RestoreOutcome {
    pub backup_file: String,
    pub strategy: String,
    pub restored_to: PathBuf,
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
    given: &str,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    let located = locate(&locations.backups, given, progress)?;
    let destination = options
        .destination
        .clone()
        .unwrap_or_else(|| locations.results.clone());
    // Folders this restore creates for the destination go again if it fails: a refused archive
    // leaves no trace, not even an empty folder.
    let created = missing_folders(&destination);
    fsutil::ensure_dir(&destination)?;
    let result = restore_into(locations, &located, &destination, options, progress, cancel);
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

/// With `--on-conflict fail` and a strategy the manifest or catalog already names, a conflict is
/// reported before anything (even a staging folder) is created in the destination.
fn refuse_known_conflict_early(
    located: &LocatedBackup,
    destination: &Path,
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
        Some(strategy) if fs::symlink_metadata(destination.join(&strategy)).is_ok() => {
            Err(Error::AlreadyExists {
                path: destination.join(strategy),
            })
        }
        _ => Ok(()),
    }
}

fn restore_into(
    locations: &Locations,
    located: &LocatedBackup,
    destination: &Path,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreOutcome> {
    let destination = destination.to_path_buf();
    refuse_known_conflict_early(located, &destination, options)?;
    clean_stale_staging(&destination);
    let staging = Staging::create(&destination)?;

    let extracted = extract_verified(located, &staging.path, progress, cancel)?;
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
    let staged = staging.path.join(&strategy);
    let target = destination.join(&strategy);
    let mut outcome = RestoreOutcome {
        backup_file: located.file_name.clone(),
        strategy: strategy.clone(),
        restored_to: target.clone(),
        proof: extracted.proof,
        files: extracted.files,
        bytes: extracted.bytes,
        replaced: false,
        safety_backup: None,
        warnings,
    };
    if fs::symlink_metadata(&target).is_err() {
        move_into_place(&staged, &target)?;
        return Ok(outcome);
    }
    match options.on_conflict {
        OnConflict::Fail => Err(Error::AlreadyExists { path: target }),
        OnConflict::Copy => {
            let timestamp = extracted
                .timestamp
                .clone()
                .unwrap_or_else(|| timestamp_in_name(&located.file_name));
            let copy = copy_target(&destination, &strategy, &timestamp);
            move_into_place(&staged, &copy)?;
            outcome.restored_to = copy;
            Ok(outcome)
        }
        OnConflict::Replace => {
            let current = Locations {
                results: destination.clone(),
                backups: locations.backups.clone(),
                level: locations.level,
            };
            let options = BackupOptions {
                level: locations.level,
                if_changed: false,
            };
            let safety = back_up(&current, &strategy, &options, progress, cancel)?;
            outcome.safety_backup = safety.backup;
            swap_in(&staged, &target, &staging.path.join("previous"))?;
            outcome.replaced = true;
            Ok(outcome)
        }
    }
}

/// What the extraction produced and proved.
struct Extracted {
    strategy: String,
    timestamp: Option<String>,
    proof: Proof,
    files: u64,
    bytes: u64,
}

/// Folder times are applied last: creating files inside a folder would move them again.
struct PendingDirTime {
    path: PathBuf,
    mtime: i64,
    mode: u32,
}

fn extract_verified(
    located: &LocatedBackup,
    staging: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Extracted> {
    let archive = &located.path;
    let mut tracker = archive_tracker(archive, progress, Operation::Restore, &located.file_name);
    let mut state = ExtractState {
        archive,
        staging,
        strategy: None,
        expected_strategy: located.sidecar.as_ref().map(|m| m.strategy.clone()),
        listed: located.sidecar.as_ref().map(|m| {
            m.entries
                .iter()
                .map(|e| (e.path.clone(), (e.kind, e.size)))
                .collect()
        }),
        seen: BTreeSet::new(),
        links: BTreeSet::new(),
        found: BTreeMap::new(),
        dir_times: Vec::new(),
        embedded: None,
        hasher: ContentHasher::start(),
        syncer: FileSyncer::start(),
    };
    let stats = read_members(archive, cancel, Some(&mut tracker), |header, content| {
        state.extract_member(header, content, cancel)
    })?;
    state.collect_digests();
    state.finish_syncing()?;

    state.apply_dir_times()?;
    let strategy = state
        .strategy
        .clone()
        .ok_or_else(|| Error::CorruptArchive {
            path: archive.to_path_buf(),
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
                path: archive.to_path_buf(),
                detail: "the archive's SHA-256 differs from the one recorded when it was made"
                    .into(),
            });
        }
    }
    if let (Some(sidecar), Some(embedded)) = (&located.sidecar, &state.embedded) {
        if sidecar.entries != embedded.entries {
            return Err(Error::VerificationFailed {
                path: archive.to_path_buf(),
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
                path: archive.to_path_buf(),
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
    staging: &'a Path,
    strategy: Option<String>,
    expected_strategy: Option<String>,
    /// Kind and size of every entry the sidecar lists, known before reading: an entry it does
    /// not list, or one larger than listed, is refused before a byte of it reaches the disk.
    listed: Option<BTreeMap<String, (EntryKind, u64)>>,
    seen: BTreeSet<String>,
    links: BTreeSet<Vec<String>>,
    found: BTreeMap<String, ManifestEntry>,
    dir_times: Vec<PendingDirTime>,
    embedded: Option<Manifest>,
    hasher: ContentHasher,
    syncer: FileSyncer,
}

impl ExtractState<'_> {
    fn refuse(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafeEntry {
            path: self.archive.to_path_buf(),
            entry: String::from_utf8_lossy(entry).into_owned(),
            reason: reason.into(),
        }
    }

    fn extract_member(
        &mut self,
        header: &MemberHeader,
        content: &mut dyn Read,
        cancel: &CancelToken,
    ) -> Result<()> {
        let raw = &header.raw_path;
        if header.entry_type == tar::EntryType::XGlobalHeader {
            return Ok(());
        }
        let member = classify(raw).map_err(|reason| self.refuse(raw, reason))?;
        let inside = match member {
            MemberPath::ManifestFolder => return Ok(()),
            MemberPath::EmbeddedManifest => {
                let mut bytes = Vec::new();
                content
                    .read_to_end(&mut bytes)
                    .map_err(|e| damaged(self.archive, e))?;
                self.embedded = Some(Manifest::from_json(&bytes, self.archive)?);
                return Ok(());
            }
            MemberPath::Strategy {
                ref strategy,
                ref inside,
            } => {
                self.check_strategy(raw, strategy)?;
                inside.clone()
            }
        };
        let canonical = member.canonical();
        if !self.seen.insert(canonical.clone()) {
            return Err(self.refuse(raw, "appears twice in the archive"));
        }
        self.check_listed(&canonical, header)?;
        for depth in 1..inside.len() {
            if self.links.contains(&inside[..depth]) {
                return Err(self.refuse(
                    raw,
                    "lies inside a link, which could lead out of the folder",
                ));
            }
        }
        let strategy = self.strategy.clone().unwrap_or_default();
        let mut target = self.staging.join(&strategy);
        for part in &inside {
            target.push(part);
        }
        let mode = header.mode & 0o777;
        let mut recorded = ManifestEntry {
            path: canonical,
            kind: EntryKind::File,
            size: 0,
            mode: header.mode & 0o7777,
            mtime: header.mtime,
            sha256: None,
            target: None,
        };
        match header.entry_type {
            tar::EntryType::Directory => {
                fs::create_dir_all(&target).at("create the folder", &target)?;
                recorded.kind = EntryKind::Dir;
                self.dir_times.push(PendingDirTime {
                    path: target,
                    mtime: header.mtime,
                    mode,
                });
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                self.make_parent(&target)?;
                // The digest arrives from the background hasher once the archive is read.
                self.write_file(&target, &recorded.path, content, header, cancel)?;
                recorded.size = header.size;
            }
            tar::EntryType::Symlink => {
                let link = header.link_target.clone().unwrap_or_default();
                check_link_target(&inside, &link).map_err(|reason| self.refuse(raw, reason))?;
                self.make_parent(&target)?;
                let link_text = String::from_utf8_lossy(&link).into_owned();
                make_symlink(&link_text, &target)?;
                let time = filetime::FileTime::from_unix_time(header.mtime, 0);
                // Some systems cannot set a link's own time; the link itself is what matters.
                let _ = filetime::set_symlink_file_times(&target, time, time);
                self.links.insert(inside.clone());
                recorded.kind = EntryKind::Symlink;
                recorded.target = Some(link_text);
            }
            tar::EntryType::Link => {
                return Err(self.refuse(raw, "is a hard link, which backups never contain"))
            }
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(self.refuse(raw, "is a device file"))
            }
            tar::EntryType::Fifo => return Err(self.refuse(raw, "is a FIFO (named pipe)")),
            other => {
                return Err(self.refuse(raw, format!("is an unsupported kind of entry ({other:?})")))
            }
        }
        self.found.insert(recorded.path.clone(), recorded);
        Ok(())
    }

    fn check_listed(&self, canonical: &str, header: &MemberHeader) -> Result<()> {
        let Some(listed) = &self.listed else {
            return Ok(());
        };
        let refused = |detail: String| Error::VerificationFailed {
            path: self.archive.to_path_buf(),
            detail: format!("\"{canonical}\" {detail} (stopped before writing it)"),
        };
        let Some(&(kind, size)) = listed.get(canonical) else {
            return Err(refused("is in the archive but not in the manifest".into()));
        };
        let is_file = matches!(
            header.entry_type,
            tar::EntryType::Regular | tar::EntryType::Continuous
        );
        if is_file && kind == EntryKind::File && header.size != size {
            return Err(refused(format!(
                "is {} bytes in the archive but the manifest says {size}",
                header.size
            )));
        }
        Ok(())
    }

    /// Every member must sit in the one strategy folder, the one the manifest names.
    fn check_strategy(&mut self, raw: &[u8], strategy: &str) -> Result<()> {
        if strategy.starts_with('.') {
            return Err(self.refuse(raw, "is in a hidden folder, not a strategy folder"));
        }
        match &self.strategy {
            None => {
                if let Some(expected) = &self.expected_strategy {
                    if expected != strategy {
                        return Err(self.refuse(
                            raw,
                            format!(
                                "is outside the strategy folder \"{expected}\" the manifest names"
                            ),
                        ));
                    }
                }
                self.strategy = Some(strategy.to_string());
                Ok(())
            }
            Some(first) if first == strategy => Ok(()),
            Some(first) => Err(self.refuse(
                raw,
                format!("leaves the strategy folder \"{first}\" (an archive holds one strategy)"),
            )),
        }
    }

    fn make_parent(&self, target: &Path) -> Result<()> {
        let parent = fsutil::parent_of(target);
        fs::create_dir_all(parent).at("create the folder", parent)
    }

    /// Writes one file's content, hands each piece to the background hasher and the finished
    /// file to the background syncer.
    fn write_file(
        &mut self,
        target: &Path,
        canonical: &str,
        content: &mut dyn Read,
        header: &MemberHeader,
        cancel: &CancelToken,
    ) -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
            .at("create", target)?;
        self.hasher.begin(canonical);
        loop {
            cancel.check()?;
            let piece = read_piece(content, COPY_BUFFER).map_err(|e| damaged(self.archive, e))?;
            if piece.is_empty() {
                break;
            }
            file.write_all(&piece).at("write", target)?;
            self.hasher.bytes(piece);
        }
        self.hasher.end();
        set_mode(&file, header.mode & 0o777, target)?;
        // Times before 1970 are negative: they count back from the epoch.
        let offset = std::time::Duration::from_secs(header.mtime.unsigned_abs());
        let time = if header.mtime >= 0 {
            std::time::UNIX_EPOCH.checked_add(offset)
        } else {
            std::time::UNIX_EPOCH.checked_sub(offset)
        }
        .unwrap_or(std::time::UNIX_EPOCH);
        file.set_modified(time).at("set the time of", target)?;
        self.syncer.sync(file, target.to_path_buf());
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

    fn apply_dir_times(&mut self) -> Result<()> {
        // Deepest first, so setting a child's time does not disturb its parent's.
        self.dir_times.sort_by(|a, b| b.path.cmp(&a.path));
        for pending in &self.dir_times {
            set_dir_mode(&pending.path, pending.mode)?;
            let time = filetime::FileTime::from_unix_time(pending.mtime, 0);
            filetime::set_file_mtime(&pending.path, time).at("set the time of", &pending.path)?;
        }
        Ok(())
    }
}

fn damaged(archive: &Path, err: io::Error) -> Error {
    Error::CorruptArchive {
        path: archive.to_path_buf(),
        detail: format!("a member's content is damaged ({err})"),
    }
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
        .at("set the permissions of", path)
}

#[cfg(not(unix))]
fn set_mode(file: &File, mode: u32, path: &Path) -> Result<()> {
    let mut permissions = file.metadata().at("read", path)?.permissions();
    permissions.set_readonly(mode & 0o200 == 0);
    file.set_permissions(permissions)
        .at("set the permissions of", path)
}

#[cfg(unix)]
fn set_dir_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // A folder we could not enter again would make the restore impossible to finish or clean.
    fs::set_permissions(path, fs::Permissions::from_mode(mode | 0o700))
        .at("set the permissions of", path)
}

#[cfg(not(unix))]
fn set_dir_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &str, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link).at("create the link", link)
}

#[cfg(windows)]
fn make_symlink(target: &str, link: &Path) -> Result<()> {
    let target = target.replace('/', "\\");
    std::os::windows::fs::symlink_file(&target, link).at("create the link", link)
}

fn move_into_place(staged: &Path, target: &Path) -> Result<()> {
    if fs::symlink_metadata(target).is_ok() {
        return Err(Error::AlreadyExists {
            path: target.to_path_buf(),
        });
    }
    fs::rename(staged, target).at("move the restored folder to", target)?;
    fsutil::sync_dir(fsutil::parent_of(target))
}

/// Swaps the restored folder in for the current one; if the second step fails the current folder
/// is put back, so the analyst never ends up with neither.
fn swap_in(staged: &Path, target: &Path, parking: &Path) -> Result<()> {
    fs::rename(target, parking).at("move aside", target)?;
    if let Err(e) = fs::rename(staged, target) {
        let _ = fs::rename(parking, target);
        return Err(Error::io("move the restored folder to", target, e));
    }
    fsutil::sync_dir(fsutil::parent_of(target))
}

/// What a restore of `strategy` into `destination` would do, told before anything is written.
#[derive(Clone, Debug, Serialize)]
pub struct RestorePreview {
    pub strategy: String,
    pub destination: PathBuf,
    /// The folder the strategy would be restored as.
    pub target: PathBuf,
    /// When true the analyst chooses: a copy beside it, or replacing it (after a safety backup).
    pub target_exists: bool,
    /// Where "restore as a copy" would put it.
    pub copy_target: PathBuf,
}

pub fn preview(strategy: &str, timestamp: &str, destination: &Path) -> RestorePreview {
    let target = destination.join(strategy);
    RestorePreview {
        strategy: strategy.to_string(),
        destination: destination.to_path_buf(),
        target_exists: fs::symlink_metadata(&target).is_ok(),
        target,
        copy_target: copy_target(destination, strategy, timestamp),
    }
}

fn copy_target(destination: &Path, strategy: &str, timestamp: &str) -> PathBuf {
    free_name(destination, &format!("{strategy}_restored_{timestamp}"))
}

/// `<base>`, or `<base>_2`, `<base>_3`... whichever does not exist yet.
fn free_name(dir: &Path, base: &str) -> PathBuf {
    let mut candidate = dir.join(base);
    let mut n = 2;
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = dir.join(format!("{base}_{n}"));
        n += 1;
    }
    candidate
}

/// The staging folder: removed with everything in it when dropped. A lock file inside tells a
/// later run whether its owner is still alive.
struct Staging {
    path: PathBuf,
    _lock: File,
}

impl Staging {
    fn create(destination: &Path) -> Result<Staging> {
        let pid = std::process::id();
        for attempt in 0..1000u32 {
            let path = destination.join(format!("{STAGING_PREFIX}{pid}-{attempt}"));
            match fs::create_dir(&path) {
                Ok(()) => {
                    let lock_path = path.join(STAGING_LOCK);
                    let lock = File::create(&lock_path).at("create", &lock_path)?;
                    let _ = lock.try_lock();
                    return Ok(Staging { path, _lock: lock });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create a folder in", destination, e)),
            }
        }
        Err(Error::io(
            "create a folder in",
            destination,
            io::Error::other("too many staging folders"),
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Removes staging folders left by restores that were killed.
fn clean_stale_staging(destination: &Path) {
    let Ok(entries) = fs::read_dir(destination) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            continue;
        }
        let lock_path = entry.path().join(STAGING_LOCK);
        let abandoned = match OpenOptions::new().write(true).open(&lock_path) {
            Ok(lock) => lock.try_lock().is_ok(),
            Err(_) => true,
        };
        if abandoned {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
