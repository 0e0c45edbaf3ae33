//! The bytes as `<backups>/catalog.json`, loaded with `Catalog::load`, never panicking. The lines
//! it keeps are then saved again (a no-op update rewrites the file) and must all load back: a
//! line the catalog accepted must survive the catalog's own rewrite.

#![no_main]

use libfuzzer_sys::fuzz_target;
use results_backup::NoProgress;
use results_backup::{Catalog, CATALOG_FILE};
use results_backup_fuzz::temp_dir;

fuzz_target!(|data: &[u8]| {
    let (_guard, root) = temp_dir();
    let backups = root.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join(CATALOG_FILE), data).unwrap();

    let Ok(first) = Catalog::load(&backups, &NoProgress) else {
        return;
    };
    let listed = first.list(None);
    assert_eq!(listed.len(), first.entries.len());
    for entry in &listed {
        assert!(first.find(&entry.backup_file).is_some());
        assert!(first.latest(&entry.strategy).is_some());
        assert!(!first.list(Some(&entry.strategy)).is_empty());
    }

    Catalog::update(&backups, &NoProgress, |_| Ok(())).expect("rewrite the catalog");
    let second = Catalog::load(&backups, &NoProgress).expect("load the rewritten catalog");
    assert_eq!(listed, second.list(None), "the rewrite changed the catalog");
});
