//! The name types on any text. An accepted strategy name, timestamp or archive file name is
//! exactly one normal path component; a backup name parsed from a stem formats back to that very
//! stem and parses again to itself, through `file_name()` and `ArchiveFileName::backup_name()`.

#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use results_backup::{
    copy_folder_name, ArchiveFileName, BackupName, StrategyName, Timestamp, ARCHIVE_SUFFIX,
};

fn assert_one_component(name: &str) {
    assert_plain_component(name);
    assert!(
        name.len() <= 255,
        "{name:?} is longer than a file name may be"
    );
}

/// One plain component, whatever its length.
fn assert_plain_component(name: &str) {
    assert!(
        matches!(
            Path::new(name).components().collect::<Vec<_>>().as_slice(),
            [Component::Normal(part)] if *part == name
        ),
        "{name:?} is not one plain component"
    );
    assert!(!name.contains(['/', '\\', '\0']), "{name:?}");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let strategy = StrategyName::new(text);
    if let Ok(strategy) = &strategy {
        assert_one_component(strategy);
        assert_eq!(strategy.as_str(), text);
        let copy = copy_folder_name(strategy, None);
        assert!(Path::new(&copy).components().count() == 1, "{copy:?}");
    }
    if let Ok(timestamp) = Timestamp::new(text) {
        assert_one_component(&timestamp);
        assert!(timestamp.len() >= 15 && timestamp.is_ascii());
        let _ = timestamp.local_time();
        if let Ok(strategy) = &strategy {
            let copy = copy_folder_name(strategy, Some(&timestamp));
            assert!(Path::new(&copy).components().count() == 1, "{copy:?}");
        }
    }
    if let Ok(file) = ArchiveFileName::new(text) {
        assert_one_component(&file);
        assert!(file.ends_with(ARCHIVE_SUFFIX));
        // Not always a usable file name: an archive name of 249 bytes or more gives a sidecar
        // name longer than 255 (reported, not changed: such a sidecar is simply never found).
        assert_plain_component(&file.sidecar_name());
        let as_strategy = file.stem_as_strategy();
        assert_eq!(StrategyName::new(as_strategy.as_str()), Ok(as_strategy));
        if let Some(name) = file.backup_name() {
            assert_eq!(name.file_name(), file, "{name:?}");
        }
    }
    if let Some(name) = BackupName::parse_stem(text) {
        let file = name.file_name();
        assert_eq!(file.stem(), text, "{name:?}");
        assert_eq!(file.backup_name(), Some(name.clone()));
        assert_one_component(name.strategy.as_str());
        assert_one_component(name.timestamp.as_str());
        assert_eq!(name.timestamp.len(), 15);
        assert!((1..=9999).contains(&name.sequence));
        // A stem that can be a file name's (the name at most 255 bytes) gives a valid file name.
        if text.len() + ARCHIVE_SUFFIX.len() <= 255 {
            assert_eq!(ArchiveFileName::new(file.as_str()), Ok(file.clone()));
        }
    }
});
