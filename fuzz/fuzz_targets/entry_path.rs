//! The member-safety rules on a path and a link target (the input split at its first 0xFF byte,
//! which can never be part of valid UTF-8). An accepted path is made of plain parts only (none
//! empty, `.`, `..`, or holding `/`, `\` or NUL) and joins to a plain relative path; an accepted
//! link target never leads, read lexically from the link's folder, above the strategy folder.
//! The same must hold for a symlink member the layout rules admit.

#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use results_backup::format::{check_link_target, classify, Admitted, Layout, MemberPath};
use results_backup::format::{MemberHeader, MemberKind};
use results_backup::EntryKind;
use results_backup_fuzz::resolve_within;

fn assert_plain_part(part: &str, raw: &[u8]) {
    assert!(
        !part.is_empty() && part != "." && part != "..",
        "{part:?} from {raw:?}"
    );
    assert!(!part.contains(['/', '\\', '\0']), "{part:?} from {raw:?}");
    assert!(part.len() <= 255, "{part:?} from {raw:?}");
}

/// Checks an accepted link target: relative, no backslash or NUL, never above the strategy
/// folder when read from the folder `inside` (the link's own path, minus its name) names.
fn assert_link_stays_inside(inside: &[String], target: &[u8]) {
    let text = std::str::from_utf8(target).expect("an accepted target is UTF-8");
    assert!(!text.is_empty(), "{inside:?} -> {text:?}");
    assert!(!text.starts_with('/'), "{inside:?} -> {text:?}");
    assert!(!text.contains(['\\', '\0']), "{inside:?} -> {text:?}");
    let first = text.as_bytes();
    assert!(
        !(first.len() >= 2 && first[0].is_ascii_alphabetic() && first[1] == b':'),
        "{inside:?} -> {text:?}"
    );
    let folder = inside.split_last().map_or(&[][..], |(_, folder)| folder);
    assert!(
        resolve_within(folder, text).is_some(),
        "{inside:?} -> {text:?} leaves the strategy folder"
    );
}

fuzz_target!(|data: &[u8]| {
    let (path, target) = match data.iter().position(|&b| b == 0xff) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };

    let classified = classify(path);
    if let Ok(MemberPath::Strategy { strategy, inside }) = &classified {
        for part in std::iter::once(strategy).chain(inside) {
            assert_plain_part(part, path);
        }
        let joined = Path::new(strategy).join(inside.join("/"));
        assert!(
            joined
                .components()
                .all(|c| matches!(c, Component::Normal(_))),
            "{path:?} joins to {joined:?}"
        );
        if check_link_target(inside, target).is_ok() {
            assert_link_stays_inside(inside, target);
        }
    }
    // The link rules alone, from a folder that does not depend on the path being accepted.
    let depth = path.len() % 4;
    let link: Vec<String> = (0..=depth).map(|i| format!("d{i}")).collect();
    if check_link_target(&link, target).is_ok() {
        assert_link_stays_inside(&link, target);
    }

    // The same through the layout rules, as restore and check apply them.
    let header = MemberHeader {
        raw_path: path.to_vec(),
        kind: MemberKind::Symlink,
        size: 0,
        mode: 0o777,
        mtime: 0,
        link_target: Some(target.to_vec()),
    };
    if let Ok(admitted) = Layout::new(None).admit(&header) {
        let Admitted::Entry(entry) = admitted else {
            panic!("a link admitted as {admitted:?}");
        };
        assert_eq!(entry.kind, EntryKind::Symlink);
        assert!(!entry.inside.is_empty(), "a link at the top: {path:?}");
        assert_eq!(
            Ok(MemberPath::Strategy {
                strategy: entry.canonical.split('/').next().unwrap().to_string(),
                inside: entry.inside.clone(),
            }),
            classified
        );
        assert_link_stays_inside(&entry.inside, target);
    }
});
