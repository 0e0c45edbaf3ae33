//! Looking inside a backup without restoring it: one regular file extracted, verified against
//! the manifest like any restore, into a fresh private folder, so the analyst can open it in
//! its usual app. With an index in the sidecar only the gzip members holding the file are
//! inflated; otherwise the archive is read once, every other member's content skipped.

use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

use super::destination::{sync_dir, Destination};
use super::selection::{canonical, Selection};
use super::stage;
use crate::error::{Error, IoContext, Result};
use crate::progress::{CancelToken, Progress};
use crate::store::backups_store::BackupsStore;
use crate::store::locate::{Locator, Proof};
use crate::store::settings::Locations;
use crate::sys::atomic::first_free_name;

/// Private folders made for extracted files are named `results-backup-<pid>-<n>`.
const PRIVATE_PREFIX: &str = "results-backup-";

/// One file taken out of a backup.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct ExtractedFile {
    pub backup_file: String,
    /// The file's path inside the strategy folder, as asked for.
    pub member: String,
    /// Where it now is: `<private folder>/<its own name>`.
    pub path: PathBuf,
    pub size: u64,
    pub sha256: Option<String>,
    /// What its content was proved against.
    pub proof: Proof,
    /// True when it was reached through the archive's index, inflating only what holds it.
    pub random_access: bool,
    pub warnings: Vec<String>,
}

/// Extracts the regular file `member` (a path inside the strategy folder, such as
/// `runs/run_003/trades.csv`) from the backup `wanted` into a new folder that only the owner
/// may enter, created inside `into` (which must exist), and returns where it is. The file is
/// checked against the manifest (size and SHA-256) before it appears there; folders, links and
/// paths the layout rules refuse are refused. On any failure the new folder is removed.
pub fn extract_file(
    locations: &Locations,
    wanted: &Locator,
    member: &str,
    into: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ExtractedFile> {
    let store = BackupsStore::folder(&locations.backups);
    extract_file_in(&store, wanted, member, into, progress, cancel)
}

/// [`extract_file`] from a backup of `store`, a folder or an S3 store (from a store the file
/// is reached through the archive index by ranged reads when the sidecar has one).
pub fn extract_file_in(
    store: &BackupsStore,
    wanted: &Locator,
    member: &str,
    into: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ExtractedFile> {
    let selection = Selection::parse(&[member.to_string()], true)?;
    let Some(selection) = selection else {
        return Err(Error::InvalidSelection {
            path: String::new(),
            reason: "no file was named".into(),
        });
    };
    let Some(parts) = selection.chosen().first().cloned() else {
        return Err(Error::InvalidSelection {
            path: String::new(),
            reason: "no file was named".into(),
        });
    };
    let located = store.locate(wanted, progress)?;
    if let Some(problem) = &located.sidecar_problem {
        return Err(problem.to_error());
    }
    if let Some(sidecar) = &located.sidecar {
        let path = canonical(sidecar.strategy.as_str(), &parts);
        let kind = sidecar
            .entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.kind);
        Selection::check_is_file(&parts, kind)?;
    }
    let private = create_private_folder(into)?;
    let result = (|| {
        let dest = Destination::open(&private, None)?;
        let (staging, extracted) = stage(&located, &dest, Some(&selection), progress, cancel)?;
        let path = canonical(extracted.strategy.as_str(), &parts);
        let entry = extracted.found.get(&path);
        Selection::check_is_file(&parts, entry.map(|e| e.kind))?;
        let Some(name) = parts.last() else {
            return Err(Error::InvalidSelection {
                path: String::new(),
                reason: "no file was named".into(),
            });
        };
        let mut staged = PathBuf::from(extracted.strategy.as_str());
        staged.extend(&parts);
        let target = private.join(name);
        staging
            .dir
            .rename(&staged, &dest.dir, name)
            .at("move the extracted file to", &target)?;
        sync_dir(&dest.dir, &private)?;
        Ok(ExtractedFile {
            backup_file: located.file_name.clone(),
            member: parts.join("/"),
            path: target,
            size: entry.map_or(0, |e| e.size),
            sha256: entry.and_then(|e| e.sha256.clone()),
            proof: extracted.proof,
            random_access: extracted.through_index,
            warnings: extracted.warnings,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&private);
    }
    let extracted = result?;
    if extracted.proof == Proof::None {
        progress.warn(&format!(
            "{} was not made by Results Backup: nothing can prove this file's contents.",
            located.path.display()
        ));
    }
    Ok(extracted)
}

/// A new folder inside `into` that only its owner may enter (0700 on Unix), never one that
/// existed before.
fn create_private_folder(into: &Path) -> Result<PathBuf> {
    let meta = fs::metadata(into).at("open the folder", into)?;
    if !meta.is_dir() {
        return Err(Error::NotAFolder {
            path: into.to_path_buf(),
        });
    }
    let pid = std::process::id();
    first_free_name("create a folder in", into, |attempt| {
        let path = into.join(format!("{PRIVATE_PREFIX}{pid}-{attempt}"));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).map(|()| Some(path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::backup::{back_up, BackupOptions};
    use crate::ops::restore::extract::extract_through_index;
    use crate::ops::restore::staging::Staging;
    use crate::progress::NoProgress;
    use crate::store::locate::{locate, LocatedBackup};

    struct World {
        _temp: tempfile::TempDir,
        locations: Locations,
        backup: String,
        out: PathBuf,
    }

    /// A strategy with a large file first and a small one last, backed up.
    fn world() -> World {
        let temp = tempfile::tempdir().expect("temp");
        let results = temp.path().join("results");
        let strategy = results.join("strat");
        fs::create_dir_all(strategy.join("runs")).expect("mkdir");
        let big: Vec<u8> = (0..3_000_000u64).map(|i| (i * 7919 % 251) as u8).collect();
        fs::write(strategy.join("a_big.bin"), big).expect("write");
        fs::write(strategy.join("runs/z.csv"), b"time,price\n1,2\n").expect("write");
        let locations = Locations {
            results,
            backups: temp.path().join("backups"),
            level: 1,
            remote: None,
        };
        let options = BackupOptions {
            level: 1,
            if_changed: false,
        };
        let made = back_up(
            &locations,
            "strat",
            &options,
            &NoProgress,
            &CancelToken::new(),
        )
        .expect("backup");
        let backup = made.backup.expect("entry").backup_file.to_string();
        let out = temp.path().join("out");
        fs::create_dir(&out).expect("mkdir");
        World {
            _temp: temp,
            locations,
            backup,
            out,
        }
    }

    fn located(world: &World) -> LocatedBackup {
        locate(
            &world.locations.backups,
            &Locator::Name(world.backup.clone()),
            &NoProgress,
        )
        .expect("locate")
    }

    fn through_index(world: &World, located: &LocatedBackup, member: &str) -> Result<()> {
        let sidecar = located.sidecar.as_ref().expect("sidecar");
        let index = sidecar.index.as_ref().expect("index");
        let selection = Selection::parse(&[member.into()], true)?.expect("selection");
        let dest = Destination::open(&world.out, None)?;
        let staging = Staging::create(&dest)?;
        extract_through_index(
            located,
            sidecar,
            index,
            &selection,
            &staging,
            &NoProgress,
            &CancelToken::new(),
        )
        .map(|_| ())
    }

    fn extract(world: &World, member: &str) -> Result<ExtractedFile> {
        extract_file(
            &world.locations,
            &Locator::Name(world.backup.clone()),
            member,
            &world.out,
            &NoProgress,
            &CancelToken::new(),
        )
    }

    #[test]
    fn one_file_is_read_through_the_index_into_a_private_folder() {
        let world = world();
        let file = extract(&world, "runs/z.csv").expect("extract");
        assert!(file.random_access);
        assert_eq!(file.proof, Proof::Manifest);
        assert!(file.warnings.is_empty(), "{:?}", file.warnings);
        assert_eq!(fs::read(&file.path).expect("read"), b"time,price\n1,2\n");
        assert_eq!(
            file.path.file_name().and_then(|n| n.to_str()),
            Some("z.csv")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let folder = file.path.parent().expect("folder");
            let mode = fs::metadata(folder).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
            // The private folder holds the file and nothing else (no staging left).
            assert_eq!(fs::read_dir(folder).expect("list").count(), 1);
        }
    }

    #[test]
    fn a_sidecar_without_index_is_read_whole() {
        let world = world();
        let sidecar_path = world
            .locations
            .backups
            .join(world.backup.replace(".tar.gz", ".manifest.json"));
        let mut sidecar: serde_json::Value =
            serde_json::from_slice(&fs::read(&sidecar_path).expect("read")).expect("json");
        let object = sidecar.as_object_mut().expect("object");
        object.remove("index");
        object.insert("format_version".into(), 1.into());
        fs::write(&sidecar_path, serde_json::to_vec(&sidecar).expect("json")).expect("write");
        let file = extract(&world, "a_big.bin").expect("extract");
        assert!(!file.random_access);
        assert_eq!(file.size, 3_000_000);
    }

    #[test]
    fn content_not_matching_the_manifest_is_refused_through_the_index() {
        let world = world();
        let mut located = located(&world);
        let sidecar = located.sidecar.as_mut().expect("sidecar");
        for entry in &mut sidecar.entries {
            if entry.path == "strat/runs/z.csv" {
                entry.sha256 = Some("0".repeat(64));
            }
        }
        let error = through_index(&world, &located, "runs/z.csv").unwrap_err();
        assert_eq!(error.code(), "verification_failed", "{error}");
    }

    #[test]
    fn an_index_pointing_at_another_entry_is_refused() {
        let world = world();
        let mut located = located(&world);
        let sidecar = located.sidecar.as_mut().expect("sidecar");
        let index = sidecar.index.as_mut().expect("index");
        let last = index.entries.len() - 1;
        index.entries[last] = index.entries[1];
        let error = through_index(&world, &located, "runs/z.csv").unwrap_err();
        assert_eq!(error.code(), "index_refused", "{error}");
        assert!(error.to_string().contains("a_big.bin"), "{error}");
    }

    #[test]
    fn an_index_pointing_past_the_end_or_into_a_member_is_refused() {
        let world = world();
        let size = located(&world).open().expect("open").size;
        for shift in [size, 3] {
            let mut located = located(&world);
            let sidecar = located.sidecar.as_mut().expect("sidecar");
            let index = sidecar.index.as_mut().expect("index");
            let last = index.members.len() - 1;
            index.members[last][1] = if shift == size {
                size + 1
            } else {
                index.members[last][1] + shift
            };
            let error = through_index(&world, &located, "runs/z.csv").unwrap_err();
            assert_eq!(error.code(), "index_refused", "{error}");
        }
    }

    #[test]
    fn a_refused_index_falls_back_to_a_full_read_with_a_warning() {
        let world = world();
        let sidecar_path = world
            .locations
            .backups
            .join(world.backup.replace(".tar.gz", ".manifest.json"));
        let mut sidecar: serde_json::Value =
            serde_json::from_slice(&fs::read(&sidecar_path).expect("read")).expect("json");
        // The last member now starts 3 bytes late: the index keeps its shape (so the sidecar
        // is still valid) but following it lands inside a member.
        let members = sidecar["index"]["members"].as_array_mut().expect("members");
        let last = members.len() - 1;
        let shifted = members[last][1].as_u64().expect("offset") + 3;
        members[last][1] = shifted.into();
        fs::write(&sidecar_path, serde_json::to_vec(&sidecar).expect("json")).expect("write");
        let file = extract(&world, "runs/z.csv").expect("extract");
        assert!(!file.random_access);
        assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
        assert!(file.warnings[0].contains("index"), "{:?}", file.warnings);
        assert_eq!(fs::read(&file.path).expect("read"), b"time,price\n1,2\n");
    }

    #[test]
    fn an_index_out_of_shape_makes_the_sidecar_invalid() {
        let world = world();
        let sidecar_path = world
            .locations
            .backups
            .join(world.backup.replace(".tar.gz", ".manifest.json"));
        let mut sidecar: serde_json::Value =
            serde_json::from_slice(&fs::read(&sidecar_path).expect("read")).expect("json");
        let entries = sidecar["index"]["entries"].as_array_mut().expect("entries");
        let last = entries.len() - 1;
        entries[last] = entries[1].clone();
        fs::write(&sidecar_path, serde_json::to_vec(&sidecar).expect("json")).expect("write");
        let error = extract(&world, "runs/z.csv").unwrap_err();
        assert_eq!(error.code(), "invalid_manifest", "{error}");
    }

    #[test]
    fn folders_links_and_missing_files_are_refused() {
        let world = world();
        for (member, code) in [
            ("runs", "invalid_selection"),
            ("runs/nope.csv", "invalid_selection"),
            ("../strat/runs/z.csv", "invalid_selection"),
        ] {
            let error = extract(&world, member).unwrap_err();
            assert_eq!(error.code(), code, "{member}: {error}");
        }
        // Nothing was left behind by the refusals.
        assert_eq!(fs::read_dir(&world.out).expect("list").count(), 0);
    }
}
