//! Check and restore side by side on one archive, through the library: the property the
//! project requires of every archive is that check calls it sound exactly when restore restores
//! it, and that nothing outside the destination ever changes. The property tests and the
//! fuzzing regressions use this one function.

use std::path::Path;

use results_backup::{
    check, restore, CancelToken, Locations, Locator, NoProgress, OnConflict, RestoreOptions,
};

use crate::tree::snapshot_loose;

/// What check and restore said of one archive.
#[derive(Debug)]
pub struct Verdicts {
    /// Check found no problem.
    pub sound: bool,
    /// Restore restored it.
    pub restored: bool,
    /// What each said, for failure messages.
    pub said: String,
}

/// Writes `archive` (a `.tar.gz`'s bytes) into a temporary folder of its own, checks it, and
/// restores it into an empty `dest` beside it. Panics when anything but `dest` changed, or when
/// a refused restore left something in `dest`.
pub fn check_then_restore(archive: &[u8]) -> Verdicts {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let root = scratch.path();
    let incoming = root.join("incoming");
    let dest = root.join("dest");
    std::fs::create_dir_all(&incoming).expect("create incoming/");
    std::fs::create_dir_all(&dest).expect("create dest/");
    let path = incoming.join("checked.tar.gz");
    std::fs::write(&path, archive).expect("write the archive");
    let locations = Locations::new(root.join("results"), root.join("backups"));
    let wanted = Locator::Path(path);
    let outside_before = outside(root);

    let report = check(&locations, &wanted, false, &NoProgress, &CancelToken::new());
    let restored = restore(
        &locations,
        &wanted,
        &RestoreOptions {
            destination: Some(dest.clone()),
            on_conflict: OnConflict::Fail,
            expected_destination: None,
            only: Vec::new(),
        },
        &NoProgress,
        &CancelToken::new(),
    );
    let said = format!(
        "check: {:?}\nrestore: {:?}",
        report.as_ref().map(|r| &r.problems),
        restored.as_ref().map(|o| &o.restored_to)
    );
    assert_eq!(
        outside_before,
        outside(root),
        "something outside the destination changed\n{said}"
    );
    if restored.is_err() {
        let left = std::fs::read_dir(&dest).expect("list dest/").next();
        assert!(
            left.is_none(),
            "a refused restore left {left:?} behind\n{said}"
        );
    }
    Verdicts {
        sound: matches!(&report, Ok(r) if r.ok),
        restored: restored.is_ok(),
        said,
    }
}

/// Everything below `root` but the destination (never entered: a restored path may be longer
/// than the system lets an absolute path be).
fn outside(root: &Path) -> Vec<String> {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(root)
        .expect("list the scratch folder")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "dest" {
            continue;
        }
        seen.push(name.clone());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            for (path, node) in snapshot_loose(&entry.path()).iter() {
                seen.push(format!("{name}/{path}: {node:?}"));
            }
        }
    }
    seen.sort();
    seen
}
