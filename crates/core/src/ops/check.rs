//! Proving a backup unchanged: the archive's SHA-256 against the manifest (quick), and by default
//! also the gzip and tar structure and every file's size and SHA-256, with nothing missing and
//! nothing extra. Damage is a finding in the report, not an error: the caller decides what to do.

use chrono::{DateTime, FixedOffset, Local};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::archive::{
    archive_tracker, content_error, read_members, Admitted, Layout, ManifestEntry, MemberHeader,
    EMBEDDED_MANIFEST_PATH,
};
use crate::error::{Error, Result};
use crate::limits::{quoted, quoted_bytes};
use crate::progress::{CancelToken, Operation, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::catalog::{Catalog, CheckResult};
use crate::store::check_records::CheckRecord;
use crate::store::locate::{locate, locate_in, locate_remote, LocatedBackup, Locator, Proof};
use crate::store::manifest::Manifest;
use crate::store::names::ArchiveFileName;
use crate::store::remote::RemoteStore;
use crate::store::settings::Locations;
use crate::sys::background::ContentHasher;
use crate::sys::pipe::read_piece;
use crate::sys::EntryKind;

/// Content handed to the background hasher at a time.
const HASH_PIECE: usize = 256 * 1024;

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Problem {
    /// The archive member concerned, when the problem is about one.
    pub path: Option<String>,
    pub issue: String,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct CheckReport {
    pub backup_file: String,
    pub path: PathBuf,
    pub ok: bool,
    pub result: CheckResult,
    pub quick: bool,
    pub proof: Proof,
    pub files_checked: u64,
    pub checked_at: DateTime<FixedOffset>,
    pub problems: Vec<Problem>,
    /// Whether the result belongs in the catalog (the backup lives in the backups folder).
    #[serde(skip)]
    pub in_catalog: bool,
    /// The result recorded before this check, if any.
    #[serde(skip)]
    pub recorded_before: Option<CheckResult>,
}

impl CheckReport {
    /// Whether this result may replace the one recorded in a store, where a quick check sees
    /// only the object's size: its pass never clears damage a full check found (said, with what
    /// to do). On this computer a quick check proves the archive's SHA-256, so its pass may.
    fn may_replace_recorded(&self, progress: &dyn Progress) -> bool {
        let keeps_damage = self.quick
            && self.result == CheckResult::Ok
            && self.recorded_before == Some(CheckResult::Damaged);
        if keeps_damage {
            progress.warn(&format!(
                "{} stays recorded as damaged: a quick check sees only its size. Run a full check to prove it again.",
                quoted(&self.backup_file)
            ));
        }
        !keeps_damage
    }
}

/// Checks one backup and records the result in the catalog when the backup is in it.
pub fn check(
    locations: &Locations,
    wanted: &Locator,
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CheckReport> {
    let located = locate(&locations.backups, wanted, progress)?;
    let report = check_located(&located, quick, progress, cancel)?;
    record_results(&locations.backups, std::slice::from_ref(&report), progress)?;
    Ok(report)
}

/// Checks several backups, then records every result in the catalog with one update (a catalog
/// of thousands of backups is rewritten once, not once per backup). Stops early on cancel.
pub fn check_many(
    locations: &Locations,
    wanted: &[Locator],
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<(String, Result<CheckReport>)>> {
    let store = BackupsStore::folder(&locations.backups);
    check_in(&store, wanted, quick, progress, cancel)
}

/// Checks backups of `store`: in a folder, every result is then recorded in its catalog with
/// one update; in an S3 store each archive is streamed (never written to disk) and each result
/// is recorded as it comes, as a check record beside the catalog (its entries are published
/// once). Stops early on cancel.
pub fn check_in(
    store: &BackupsStore,
    wanted: &[Locator],
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<(String, Result<CheckReport>)>> {
    match store {
        BackupsStore::Folder(backups) => {
            let catalog = Catalog::load(backups, progress)?;
            check_many_in(&catalog, backups, wanted, quick, progress, cancel)
        }
        BackupsStore::S3(remote) => check_each(
            wanted,
            quick,
            progress,
            cancel,
            |locator| locate_remote(remote, locator),
            |report| record_in_store(remote, report, progress),
        ),
    }
}

/// Checks every backup `store` lists ("check all").
pub fn check_all_in(
    store: &BackupsStore,
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<(String, Result<CheckReport>)>> {
    let wanted: Vec<Locator> = store
        .list(None, progress)?
        .into_iter()
        .map(|e| Locator::Name(e.backup_file.to_string()))
        .collect();
    check_in(store, &wanted, quick, progress, cancel)
}

/// Checks every backup the catalog lists ("check all"): names come from the catalog only, each
/// already checked to be a single archive file name in the backups folder.
pub fn check_all(
    locations: &Locations,
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<(String, Result<CheckReport>)>> {
    let catalog = Catalog::load(&locations.backups, progress)?;
    let wanted: Vec<Locator> = catalog
        .list(None)
        .into_iter()
        .map(|e| Locator::Name(e.backup_file.to_string()))
        .collect();
    check_many_in(
        &catalog,
        &locations.backups,
        &wanted,
        quick,
        progress,
        cancel,
    )
}

/// Checks each backup `locate` finds, in order, reporting each under its name; stops at the
/// first cancellation (a local folder and an S3 store differ only in how a backup is found).
fn check_each(
    wanted: &[Locator],
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
    locate: impl Fn(&Locator) -> Result<LocatedBackup>,
    checked: impl Fn(&CheckReport),
) -> Result<Vec<(String, Result<CheckReport>)>> {
    let mut results = Vec::new();
    for locator in wanted {
        cancel.check()?;
        let result =
            locate(locator).and_then(|located| check_located(&located, quick, progress, cancel));
        if let Ok(report) = &result {
            checked(report);
        }
        let stop = matches!(result, Err(Error::Cancelled));
        let name = match (&result, locator) {
            (Ok(report), _) => report.backup_file.clone(),
            (Err(_), Locator::Name(name)) => name.clone(),
            (Err(_), other) => other.shown(),
        };
        results.push((name, result));
        if stop {
            break;
        }
    }
    Ok(results)
}

fn check_many_in(
    catalog: &Catalog,
    backups: &Path,
    wanted: &[Locator],
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<(String, Result<CheckReport>)>> {
    let results = check_each(
        wanted,
        quick,
        progress,
        cancel,
        |locator| locate_in(catalog, backups, locator),
        |_| {},
    )?;
    let reports: Vec<CheckReport> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().cloned())
        .collect();
    record_results(backups, &reports, progress)?;
    Ok(results)
}

/// Records a check of a backup the store catalogues. A key that may read but not write can
/// still check: the result is then reported and said not to be recorded.
fn record_in_store(remote: &RemoteStore, report: &CheckReport, progress: &dyn Progress) {
    let Some(archive) = report
        .in_catalog
        .then(|| ArchiveFileName::new(report.backup_file.as_str()).ok())
        .flatten()
    else {
        return;
    };
    if !report.may_replace_recorded(progress) {
        return;
    }
    let record = CheckRecord::new(archive, report.checked_at, report.result);
    if let Err(err) = remote.record_check(&record) {
        progress.warn(&format!(
            "The result of checking {} was not recorded in {}: {err}",
            quoted(&report.backup_file),
            remote.shown()
        ));
    }
}

fn record_results(backups: &Path, reports: &[CheckReport], progress: &dyn Progress) -> Result<()> {
    let recorded: Vec<&CheckReport> = reports.iter().filter(|r| r.in_catalog).collect();
    if recorded.is_empty() {
        return Ok(());
    }
    Catalog::update(backups, progress, |entries| {
        for report in recorded {
            for entry in entries
                .iter_mut()
                .filter(|e| e.backup_file == report.backup_file)
            {
                entry.last_checked = Some(report.checked_at);
                entry.check_result = Some(report.result);
            }
        }
        Ok(())
    })
}

pub fn check_located(
    located: &LocatedBackup,
    quick: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CheckReport> {
    let mut report = CheckReport {
        backup_file: located.file_name.clone(),
        path: located.path.clone(),
        ok: true,
        result: CheckResult::Ok,
        quick,
        proof: if located.sidecar.is_some() {
            Proof::Manifest
        } else {
            Proof::EmbeddedManifest
        },
        files_checked: 0,
        checked_at: Local::now().fixed_offset(),
        problems: Vec::new(),
        in_catalog: located.catalog_entry.is_some(),
        recorded_before: located
            .catalog_entry
            .as_ref()
            .and_then(|entry| entry.check_result),
    };
    let Some(current_size) = located.current_size()? else {
        report.add(None, "the archive file is missing".into());
        report.result = CheckResult::Missing;
        return Ok(report);
    };
    if let Some(problem) = &located.sidecar_problem {
        report.add(
            None,
            format!(
                "the manifest beside it ({}) cannot be trusted: {}",
                problem.path.display(),
                problem.detail
            ),
        );
    }
    let recorded = recorded_archive_identity(located);
    if quick && located.is_remote() {
        // Reading an object means downloading it: the quick check of a store is its size (HEAD).
        if let Some((recorded_size, _)) = &recorded {
            if *recorded_size != current_size {
                report.add(
                    None,
                    format!(
                        "the archive has changed since it was made: it is {current_size} bytes, it was {recorded_size} bytes"
                    ),
                );
            }
        }
    } else if quick && recorded.is_some() {
        quick_check(located, recorded, &mut report, progress, cancel)?;
    } else {
        report.quick = false;
        full_check(located, recorded, &mut report, progress, cancel)?;
    }
    Ok(report)
}

impl CheckReport {
    fn add(&mut self, path: Option<String>, issue: String) {
        self.ok = false;
        self.result = CheckResult::Damaged;
        self.problems.push(Problem { path, issue });
    }
}

/// The archive's size and SHA-256 as recorded when it was made (sidecar first, catalog second).
fn recorded_archive_identity(located: &LocatedBackup) -> Option<(u64, String)> {
    if let Some(info) = located.sidecar.as_ref().and_then(|m| m.archive.as_ref()) {
        return Some((info.size, info.sha256.clone()));
    }
    located
        .catalog_entry
        .as_ref()
        .filter(|e| e.has_manifest && !e.sha256.is_empty())
        .map(|e| (e.size, e.sha256.clone()))
}

fn quick_check(
    located: &LocatedBackup,
    recorded: Option<(u64, String)>,
    report: &mut CheckReport,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<()> {
    let archive = located.open()?;
    let mut tracker = archive_tracker(archive.size, progress, Operation::Check, &located.file_name);
    let (sha256, size) = archive.hash(cancel, |n| tracker.add_bytes(n))?;
    compare_archive_identity(recorded, &sha256, size, report);
    Ok(())
}

fn compare_archive_identity(
    recorded: Option<(u64, String)>,
    sha256: &str,
    size: u64,
    report: &mut CheckReport,
) {
    if let Some((recorded_size, recorded_sha)) = recorded {
        if recorded_size != size {
            report.add(
                None,
                format!(
                    "the archive has changed since it was made: it is {size} bytes, it was {recorded_size} bytes"
                ),
            );
        } else if recorded_sha != sha256 {
            report.add(
                None,
                "the archive has changed since it was made: its SHA-256 fingerprint differs from the one recorded then".into(),
            );
        }
    }
}

fn full_check(
    located: &LocatedBackup,
    recorded: Option<(u64, String)>,
    report: &mut CheckReport,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<()> {
    let archive = located.open()?;
    let limit = located.expansion_limit(archive.size);
    let mut tracker = archive_tracker(archive.size, progress, Operation::Check, &located.file_name);
    let expected_strategy = located.sidecar.as_ref().map(|m| m.strategy.clone());
    let mut findings = Findings::new(&located.path, Layout::new(expected_strategy));
    let outcome = read_members(
        archive,
        limit,
        cancel,
        Some(&mut tracker),
        |header, content| findings.inspect(header, content, cancel),
    );
    let Findings {
        mut found,
        embedded,
        problems,
        layout,
        mut hasher,
        ..
    } = findings;
    for problem in problems {
        report.add(problem.path, problem.issue);
    }
    match outcome {
        Ok(stats) => {
            compare_archive_identity(recorded, &stats.sha256, stats.size, report);
            let digests = hasher.finish();
            for entry in found.values_mut().filter(|e| e.kind == EntryKind::File) {
                entry.sha256 = digests.get(&entry.path).cloned();
            }
        }
        Err(Error::Cancelled) => return Err(Error::Cancelled),
        Err(Error::CorruptArchive { detail, .. }) | Err(Error::UnsafeArchive { detail, .. }) => {
            report.add(None, detail);
            let hashed = located
                .open()
                .and_then(|archive| archive.hash(cancel, |_| {}));
            match hashed {
                Ok((sha256, size)) => compare_archive_identity(recorded, &sha256, size, report),
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(_) => {}
            }
            return Ok(());
        }
        Err(Error::UnsafeEntry { entry, reason, .. }) => {
            report.add(Some(entry), format!("unsafe entry: it {reason}"));
            return Ok(());
        }
        Err(other) => return Err(other),
    }

    // Restore refuses an archive that names no strategy folder (nothing to restore): so does check.
    if layout.strategy().is_none() {
        report.add(None, "it holds no strategy folder".into());
    }
    report.files_checked = found.values().filter(|f| f.kind == EntryKind::File).count() as u64;
    let expected = match (&located.sidecar, &embedded) {
        (Some(sidecar), Some(inside)) => {
            if !sidecar.agrees_with(inside) {
                report.add(
                    None,
                    "the manifest inside the archive differs from the one beside it".into(),
                );
            }
            Some(sidecar)
        }
        (Some(sidecar), None) => {
            report.add(None, "the archive has lost its embedded manifest".into());
            Some(sidecar)
        }
        (None, Some(inside)) => Some(inside),
        (None, None) => None,
    };
    report.proof = Proof::of(located.sidecar.as_ref(), embedded.as_ref());
    if let Some(manifest) = expected {
        for problem in manifest_differences(manifest, &found) {
            report.add(problem.path, problem.issue);
        }
    }
    Ok(())
}

/// What a full check has found so far while walking the archive.
struct Findings<'a> {
    archive: &'a std::path::Path,
    found: BTreeMap<String, ManifestEntry>,
    embedded: Option<Manifest>,
    problems: Vec<Problem>,
    layout: Layout,
    hasher: ContentHasher,
}

impl<'a> Findings<'a> {
    fn new(archive: &'a std::path::Path, layout: Layout) -> Self {
        Findings {
            archive,
            found: BTreeMap::new(),
            embedded: None,
            problems: Vec::new(),
            layout,
            hasher: ContentHasher::start(),
        }
    }

    fn problem(&mut self, path: String, issue: String) {
        self.problems.push(Problem {
            path: Some(path),
            issue,
        });
    }

    /// Records one member: reports what the layout rules refuse (restore would refuse the same),
    /// reads the embedded manifest, hashes file content.
    fn inspect(
        &mut self,
        header: &MemberHeader,
        content: &mut dyn Read,
        cancel: &CancelToken,
    ) -> Result<()> {
        let archive = self.archive;
        let admitted = match self.layout.admit(header) {
            Ok(admitted) => admitted,
            Err(reason) => {
                let shown = quoted_bytes(&header.raw_path);
                self.problem(shown, format!("unsafe entry: it {reason}"));
                return Ok(());
            }
        };
        match admitted {
            Admitted::ManifestFolder => Ok(()),
            Admitted::EmbeddedManifest => {
                let mut bytes = Vec::new();
                content
                    .take(header.size)
                    .read_to_end(&mut bytes)
                    .map_err(|e| content_error(archive, e))?;
                match Manifest::from_json(&bytes, archive) {
                    Ok(m) => self.embedded = Some(m),
                    Err(e) => self.problem(
                        EMBEDDED_MANIFEST_PATH.into(),
                        format!("the embedded manifest is unreadable ({e})"),
                    ),
                }
                Ok(())
            }
            Admitted::Entry(entry) => {
                let path = entry.canonical;
                // The digest arrives from the background hasher once the archive is read.
                if entry.kind == EntryKind::File {
                    stream_content(content, archive, &path, &self.hasher, cancel)?;
                }
                let recorded = ManifestEntry {
                    path: path.clone(),
                    kind: entry.kind,
                    size: if entry.kind == EntryKind::File {
                        header.size
                    } else {
                        0
                    },
                    mode: header.mode & 0o7777,
                    mtime: header.mtime,
                    sha256: None,
                    target: header
                        .link_target
                        .as_ref()
                        .map(|t| String::from_utf8_lossy(t).into_owned()),
                };
                self.found.insert(path, recorded);
                Ok(())
            }
        }
    }
}

/// Streams a file's content to the background hasher in pieces it can own.
fn stream_content(
    content: &mut dyn Read,
    archive: &std::path::Path,
    path: &str,
    hasher: &ContentHasher,
    cancel: &CancelToken,
) -> Result<()> {
    hasher.begin(path);
    loop {
        cancel.check()?;
        let piece = read_piece(content, HASH_PIECE).map_err(|e| content_error(archive, e))?;
        if piece.is_empty() {
            break;
        }
        hasher.bytes(piece);
    }
    hasher.end();
    Ok(())
}

/// Every way the entries found in an archive differ from its manifest.
pub fn manifest_differences(
    manifest: &Manifest,
    found: &BTreeMap<String, ManifestEntry>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: &str, issue: String| {
        problems.push(Problem {
            path: Some(path.to_string()),
            issue,
        })
    };
    let expected: BTreeMap<&str, &ManifestEntry> = manifest
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for (path, want) in &expected {
        let Some(got) = found.get(*path) else {
            add(path, "is missing from the archive".into());
            continue;
        };
        if got.kind != want.kind {
            add(
                path,
                format!(
                    "is a {} but the manifest says {}",
                    kind_word(got.kind),
                    kind_word(want.kind)
                ),
            );
        } else if got.size != want.size {
            add(
                path,
                format!("is {} bytes but the manifest says {}", got.size, want.size),
            );
        } else if got.sha256 != want.sha256 {
            add(
                path,
                "has changed: its content no longer matches the fingerprint (SHA-256) recorded when it was backed up".into(),
            );
        } else if got.target != want.target {
            add(
                path,
                "the link points somewhere else than the manifest says".into(),
            );
        } else if got.mode != want.mode || got.mtime != want.mtime {
            add(
                path,
                "its permissions or modification time differ from the manifest".into(),
            );
        }
    }
    for path in found.keys() {
        if !expected.contains_key(path.as_str()) {
            add(path, "is in the archive but not in the manifest".into());
        }
    }
    problems
}

fn kind_word(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "folder",
        EntryKind::Symlink => "link",
    }
}
