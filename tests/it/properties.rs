//! Properties that must hold for every input, checked on generated ones (proptest): no member
//! path or link target the layout rules accept leads out of the strategy folder, on any
//! platform's separators; backup names format and parse back to themselves, and only ever name
//! one file; and check and restore agree on every archive: one calls it sound exactly when the
//! other restores it, and nothing ever appears outside the destination.

#![cfg(unix)]

use proptest::prelude::*;
use results_backup_testkit::raw_tar::RawTar;
use results_backup_testkit::*;
use std::path::{Component, Path};

use results_backup::format::{check_link_target, classify, MemberPath};
use results_backup::{copy_folder_name, ArchiveFileName, BackupName, StrategyName, Timestamp};

/// Path parts an attacker would try, mixed with ordinary ones.
fn part() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-c]{1,2}".prop_map(String::from),
        1 => Just("..".to_string()),
        1 => Just(".".to_string()),
        1 => Just(String::new()),
        1 => Just("C:".to_string()),
        1 => Just("x\\..".to_string()),
        1 => Just("a:b".to_string()),
        1 => Just(".results-backup".to_string()),
        1 => Just("manifest.json".to_string()),
    ]
}

fn raw_path() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("/"), Just("./"), Just("\\"), Just("//")],
        prop::collection::vec(part(), 1..6),
        prop_oneof![Just(""), Just("/")],
    )
        .prop_map(|(lead, parts, tail)| format!("{lead}{}{tail}", parts.join("/")))
}

/// Where a relative path leads from `start` (folders below the root), or `None` once it climbs
/// above the root.
fn resolve_within(start: &[String], target: &str) -> Option<usize> {
    let mut depth = start.len();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1)?,
            _ => depth += 1,
        }
    }
    Some(depth)
}

/// `cases` generated inputs; a failing one is kept beside this file, in
/// `properties.proptest-regressions`, and tried first next time.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn no_accepted_member_path_leaves_the_strategy_folder(raw in raw_path()) {
        if let Ok(MemberPath::Strategy { strategy, inside }) = classify(raw.as_bytes()) {
            for part in std::iter::once(&strategy).chain(&inside) {
                prop_assert!(!part.is_empty() && part != "." && part != "..", "{raw:?}");
                // Windows' separator is refused on every platform (the archive may travel).
                prop_assert!(!part.contains(['/', '\\', '\0']), "{raw:?}");
                // Windows reads a drive prefix or a ':' anywhere as leaving the folder.
                prop_assert!(!cfg!(windows) || !part.contains(':'), "{raw:?}");
            }
            let first = strategy.as_bytes();
            prop_assert!(!(first.len() >= 2 && first[1] == b':' && first[0].is_ascii_alphabetic()), "{raw:?}");
            // Joined under any root, on this platform, it is one plain relative path.
            let joined = Path::new(&strategy).join(inside.join("/"));
            prop_assert!(joined.components().all(|c| matches!(c, Component::Normal(_))), "{raw:?}");
        }
    }

    #[test]
    fn no_accepted_link_target_leads_out_of_the_strategy_folder(
        link in prop::collection::vec("[a-c]{1,2}", 1..5),
        target in raw_path(),
    ) {
        if check_link_target(&link, target.as_bytes()).is_ok() {
            prop_assert!(!target.starts_with('/') && !target.contains('\\'), "{target:?}");
            let folder = &link[..link.len() - 1];
            prop_assert!(resolve_within(folder, &target).is_some(), "{link:?} -> {target:?}");
        }
    }

    #[test]
    fn backup_names_round_trip_and_name_one_file(
        strategy in "[^/\\\\.\\p{Cc}][^/\\\\\\p{Cc}]{0,40}",
        date in (1970i32..2100, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, 0u32..60),
        sequence in 1u32..=9999,
    ) {
        let Ok(strategy) = StrategyName::new(strategy) else { return Ok(()); };
        let (y, mo, d, h, mi, s) = date;
        let timestamp = Timestamp::new(format!("{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}")).unwrap();
        let name = BackupName::new(strategy.clone(), timestamp.clone(), sequence);
        let file = name.file_name();
        prop_assert_eq!(Path::new(file.as_str()).components().count(), 1);
        prop_assert_eq!(ArchiveFileName::new(file.to_string()), Ok(file.clone()));
        prop_assert_eq!(file.backup_name(), Some(name));
        let copy = copy_folder_name(&strategy, Some(&timestamp));
        prop_assert!(matches!(
            Path::new(&copy).components().collect::<Vec<_>>().as_slice(),
            [Component::Normal(_)]
        ));
    }

    #[test]
    fn timestamps_and_strategy_names_never_carry_a_separator(text in ".{0,30}") {
        for accepted in [
            StrategyName::new(text.clone()).map(String::from),
            Timestamp::new(text.clone()).map(String::from),
        ].into_iter().flatten() {
            prop_assert!(!accepted.contains(['/', '\\']) && accepted != ".." && accepted != ".");
        }
    }
}

/// One member of a generated archive.
#[derive(Clone, Debug)]
enum Member {
    Dir(String),
    File(String, Vec<u8>),
    Link(String, String),
    HardLink(String, String),
    Fifo(String),
    Manifest(Vec<u8>),
}

fn member() -> impl Strategy<Value = Member> {
    let name = prop_oneof![
        6 => prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("l")], 0..3)
            .prop_map(|parts| if parts.is_empty() { "s".to_string() } else { format!("s/{}", parts.join("/")) }),
        1 => raw_path(),
        1 => Just("t/x".to_string()),
    ];
    let target = prop_oneof![
        Just("a"),
        Just("../a"),
        Just(".."),
        Just("."),
        Just("/etc"),
        Just("a/../.."),
        Just("b")
    ];
    prop_oneof![
        3 => name.clone().prop_map(Member::Dir),
        4 => (name.clone(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(n, c)| Member::File(n, c)),
        2 => (name.clone(), target).prop_map(|(n, t)| Member::Link(n, t.to_string())),
        1 => (name.clone(), Just("s/a")).prop_map(|(n, t)| Member::HardLink(n, t.to_string())),
        1 => name.prop_map(Member::Fifo),
        1 => prop_oneof![Just(b"{}".to_vec()), Just(raw_tar::benign_manifest("s", "20240101_120000"))].prop_map(Member::Manifest),
    ]
}

fn build(members: &[Member]) -> Vec<u8> {
    let mut tar = RawTar::new();
    for m in members {
        tar = match m {
            Member::Dir(name) => tar.dir(&format!("{name}/")),
            Member::File(name, content) => tar.file(name, content),
            Member::Link(name, target) => tar.symlink(name, target),
            Member::HardLink(name, target) => tar.hard_link(name, target),
            Member::Fifo(name) => tar.fifo(name),
            Member::Manifest(json) => tar.file(".results-backup/manifest.json", json),
        };
    }
    tar.gzip()
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn check_and_restore_agree_and_nothing_lands_outside(
        members in prop::collection::vec(member(), 1..8)
    ) {
        let verdicts = check_then_restore(&build(&members));
        prop_assert_eq!(
            verdicts.sound,
            verdicts.restored,
            "{}\nmembers: {:?}",
            verdicts.said,
            members
        );
    }
}
