//! Extracting an archive into the staging folder: each member admitted by the layout rules
//! first, checked against the sidecar's list before a byte of it is written, created with its
//! final permissions, hashed in the background and flushed to disk; then every file checked
//! against the manifest.

use cap_fs_ext::{DirExt, SystemTimeSpec};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::platform;
use super::selection::{canonical, Selection};
use super::staging::Staging;
use crate::archive::{
    archive_tracker, content_error, read_members, Admitted, ArchiveIndex, IndexedMember, Layout,
    ManifestEntry, MemberHeader, RandomAccess, StrategyName,
};
use crate::error::{Error, IoContext, Result};
use crate::limits::{quoted_bytes, space_needed};
use crate::ops::check::manifest_differences;
use crate::progress::{CancelToken, Operation, Progress, Tracker};
use crate::store::locate::{LocatedBackup, Proof};
use crate::store::manifest::Manifest;
use crate::store::names::Timestamp;
use crate::sys::background::{ContentHasher, FileSyncer};
use crate::sys::pipe::read_piece;
use crate::sys::EntryKind;

const COPY_BUFFER: usize = 256 * 1024;

/// What the extraction produced and proved.
pub(super) struct Extracted {
    pub(super) strategy: StrategyName,
    pub(super) timestamp: Option<Timestamp>,
    pub(super) proof: Proof,
    pub(super) files: u64,
    pub(super) bytes: u64,
    /// What was extracted, by manifest path, with each file's SHA-256.
    pub(super) found: BTreeMap<String, ManifestEntry>,
    /// True when the entries were reached through the archive's index.
    pub(super) through_index: bool,
    pub(super) warnings: Vec<String>,
}

/// Folder times and permissions are applied last: creating files inside a folder would move
/// its time again, and a read-only folder could not be filled.
pub(super) struct PendingDir {
    pub(super) relative: PathBuf,
    pub(super) mtime: i64,
    pub(super) mode: u32,
}

/// Extracts the whole archive, or with a `selection` only what it selects (the rest is read and
/// checked by the layout rules, its content skipped, never written), in one sequential pass.
pub(super) fn extract_verified(
    located: &LocatedBackup,
    staging: &Staging,
    selection: Option<&Selection>,
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
        selection: selection.cloned(),
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
    if let Some(selection) = selection {
        // Without a manifest beforehand, a chosen path is known to be missing only now; the
        // staging folder goes, and nothing reached the destination.
        for parts in selection.chosen() {
            if !state
                .found
                .contains_key(&canonical(strategy.as_str(), parts))
            {
                return Err(Error::InvalidSelection {
                    path: crate::limits::quoted(&parts.join("/")),
                    reason: "the backup holds no such file or folder".into(),
                });
            }
        }
    }
    let proof = Proof::of(located.sidecar.as_ref(), state.embedded.as_ref());
    let expected = located.sidecar.as_ref().or(state.embedded.as_ref());
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
        verify_against(manifest, selection, &state.found, &archive_path)?;
    }
    Ok(extracted(
        strategy,
        expected.map(|m| m.timestamp.clone()),
        proof,
        state.found,
        false,
    ))
}

fn extracted(
    strategy: StrategyName,
    timestamp: Option<Timestamp>,
    proof: Proof,
    found: BTreeMap<String, ManifestEntry>,
    through_index: bool,
) -> Extracted {
    let files = found.values().filter(|e| e.kind == EntryKind::File);
    Extracted {
        strategy,
        timestamp,
        proof,
        files: files.clone().count() as u64,
        bytes: files.map(|e| e.size).sum(),
        found,
        through_index,
        warnings: Vec::new(),
    }
}

/// Every entry the manifest lists (or, with a selection, every one it selects) must have been
/// found exactly as listed, and nothing else.
fn verify_against(
    manifest: &Manifest,
    selection: Option<&Selection>,
    found: &BTreeMap<String, ManifestEntry>,
    archive_path: &Path,
) -> Result<()> {
    let chosen;
    let expected = match selection {
        None => manifest,
        Some(selection) => {
            chosen = Manifest {
                entries: manifest
                    .entries
                    .iter()
                    .filter(|e| selection.selects_path(&e.path))
                    .cloned()
                    .collect(),
                ..manifest.clone()
            };
            &chosen
        }
    };
    let problems = manifest_differences(expected, found);
    if let Some(first) = problems.first() {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more problems)", n - 1),
        };
        return Err(Error::VerificationFailed {
            path: archive_path.to_path_buf(),
            detail: format!(
                "\"{}\" {}{more}",
                first.path.clone().unwrap_or_default(),
                first.issue
            ),
        });
    }
    Ok(())
}

/// Extracts only what `selection` picks, going straight to each entry through the sidecar's
/// index: only the gzip members holding them are inflated. Each entry's header must name it
/// (see [`IndexedMember::open`]) and its size is checked against the sidecar before a byte is
/// written; every file's SHA-256 is compared with the sidecar's afterwards. The archive's own
/// SHA-256 cannot be checked without reading all of it: `check` does that. Any refusal comes
/// back as an error and the caller reads the archive whole instead.
pub(super) fn extract_through_index(
    located: &LocatedBackup,
    sidecar: &Manifest,
    index: &ArchiveIndex,
    selection: &Selection,
    staging: &Staging,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Extracted> {
    let archive = located.open()?;
    let archive_path = archive.path.clone();
    let refused = |detail: String| Error::IndexRefused {
        path: archive_path.clone(),
        detail,
    };
    // A local file is read at offsets through its handle; an object in a store by ranged reads.
    let remote = located.remote_ranges(archive.size);
    let file: &dyn RandomAccess = match (archive.file(), &remote) {
        (Some(file), _) => file,
        (None, Some(ranges)) => ranges,
        (None, None) => {
            return Err(refused(
                "it is read as a stream, without random access".into(),
            ))
        }
    };
    if let Some(info) = &sidecar.archive {
        if info.size != archive.size {
            return Err(refused(format!(
                "the archive is {} bytes but its manifest says {}",
                archive.size, info.size
            )));
        }
    }
    let chosen: Vec<(usize, &ManifestEntry)> = sidecar
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| selection.selects_path(&e.path))
        .collect();
    let files = chosen.iter().filter(|(_, e)| e.kind == EntryKind::File);
    let mut tracker = Tracker::new(
        progress,
        Operation::Restore,
        &located.file_name,
        files.clone().map(|(_, e)| e.size).sum(),
        files.count() as u64,
    );
    let mut state = ExtractState {
        archive: &archive_path,
        staging,
        layout: Layout::new(Some(sidecar.strategy.clone())),
        listed: Some(
            sidecar
                .entries
                .iter()
                .map(|e| (e.path.clone(), (e.kind, e.size)))
                .collect(),
        ),
        found: BTreeMap::new(),
        dirs: Vec::new(),
        embedded: None,
        hasher: ContentHasher::start(),
        syncer: FileSyncer::start(),
        selection: None,
    };
    for (number, entry) in chosen {
        cancel.check()?;
        let position = index
            .position(number)
            .ok_or_else(|| refused(format!("it does not cover \"{}\"", entry.path)))?;
        let mut member = IndexedMember::open(file, archive.size, position, &entry.path)
            .map_err(|refusal| refused(refusal.0))?;
        let header = member.header.clone();
        state.extract_member(&header, &mut member.content(), cancel)?;
        if entry.kind == EntryKind::File {
            tracker.add_bytes(header.size);
            tracker.add_file();
        }
    }
    state.collect_digests();
    state.finish_syncing()?;
    state.apply_dir_attributes()?;
    verify_against(sidecar, Some(selection), &state.found, &archive_path)?;
    Ok(extracted(
        sidecar.strategy.clone(),
        Some(sidecar.timestamp.clone()),
        Proof::Manifest,
        state.found,
        true,
    ))
}

pub(super) struct ExtractState<'a> {
    pub(super) archive: &'a Path,
    pub(super) staging: &'a Staging,
    pub(super) layout: Layout,
    /// Kind and size of every entry the sidecar lists, known before reading: an entry it does
    /// not list, or one larger than listed, is refused before a byte of it reaches the disk.
    pub(super) listed: Option<BTreeMap<String, (EntryKind, u64)>>,
    pub(super) found: BTreeMap<String, ManifestEntry>,
    pub(super) dirs: Vec<PendingDir>,
    pub(super) embedded: Option<Manifest>,
    pub(super) hasher: ContentHasher,
    pub(super) syncer: FileSyncer,
    /// With a selection, entries it does not pick are checked by the layout rules and the
    /// sidecar's list like any other, then skipped: never written.
    pub(super) selection: Option<Selection>,
}

impl ExtractState<'_> {
    pub(super) fn refuse(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafeEntry {
            path: self.archive.to_path_buf(),
            entry: quoted_bytes(entry),
            reason: reason.into(),
        }
    }

    pub(super) fn extract_member(
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
        if let Some(selection) = &self.selection {
            if !selection.selects(&entry.inside) {
                return Ok(());
            }
        }
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

    pub(super) fn check_listed(
        &self,
        canonical: &str,
        kind: EntryKind,
        header: &MemberHeader,
    ) -> Result<()> {
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
    pub(super) fn refuse_if_disk_fills(&self, size: u64) -> Result<()> {
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

    pub(super) fn make_parent(&self, relative: &Path) -> Result<()> {
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
    pub(super) fn write_file(
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
    pub(super) fn collect_digests(&mut self) {
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
    pub(super) fn finish_syncing(&mut self) -> Result<()> {
        self.syncer
            .finish()
            .map_err(|(path, e)| Error::io("save", path, e))
    }

    pub(super) fn apply_dir_attributes(&mut self) -> Result<()> {
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
pub(super) fn system_time(mtime: i64) -> std::time::SystemTime {
    let offset = std::time::Duration::from_secs(mtime.unsigned_abs());
    if mtime >= 0 {
        std::time::UNIX_EPOCH.checked_add(offset)
    } else {
        std::time::UNIX_EPOCH.checked_sub(offset)
    }
    .unwrap_or(std::time::UNIX_EPOCH)
}

pub(super) fn time_spec(mtime: i64) -> SystemTimeSpec {
    SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(system_time(mtime)))
}
