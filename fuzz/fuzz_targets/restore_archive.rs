//! The bytes gzipped into an archive, checked and then restored into an empty `dest`. Whatever
//! the archive holds: nothing outside `dest` changes; a refused archive leaves `dest` empty; a
//! restored one leaves exactly one folder there, whose links all lead to somewhere inside it;
//! and check calls the archive sound exactly when restore restores it.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use results_backup::check;
use results_backup::Locator;
use results_backup::{restore, OnConflict, RestoreOptions};
use results_backup::{CancelToken, Locations, NoProgress};
use results_backup_fuzz::{gzip, snapshot, temp_dir, Node};

fuzz_target!(|data: &[u8]| {
    let (_guard, tmp) = temp_dir();
    let root = tmp.join("root");
    let dest = root.join("dest");
    let incoming = root.join("incoming");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::create_dir_all(&incoming).unwrap();
    let archive = incoming.join("fuzzed.tar.gz");
    std::fs::write(&archive, gzip(data)).unwrap();
    let locations = Locations::new(root.join("results"), root.join("backups"));
    let wanted = Locator::Path(archive);
    let skip = Path::new("dest");
    let before = snapshot(&root, Some(skip));

    let report = check(&locations, &wanted, false, &NoProgress, &CancelToken::new());
    let sound = matches!(&report, Ok(r) if r.ok);
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

    let after = snapshot(&root, Some(skip));
    assert_eq!(before, after, "something outside the destination changed");
    let left: Vec<_> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    match &restored {
        Err(_) => assert!(left.is_empty(), "a refused restore left {left:?}"),
        Ok(outcome) => {
            assert_eq!(
                left,
                vec![outcome.restored_to.clone()],
                "a restore leaves one folder"
            );
            let folder = &outcome.restored_to;
            let canonical = folder.canonicalize().unwrap();
            for (path, node) in snapshot(folder, None) {
                if let Node::Symlink { .. } = node {
                    // A link may dangle; one that resolves stays inside the restored folder.
                    if let Ok(resolved) = folder.join(&path).canonicalize() {
                        assert!(
                            resolved.starts_with(&canonical),
                            "{path:?} leads to {resolved:?}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(
        sound,
        restored.is_ok(),
        "check and restore disagree\ncheck: {:?}\nrestore: {:?}",
        report.as_ref().map(|r| &r.problems),
        restored.as_ref().map(|o| &o.restored_to)
    );
});
