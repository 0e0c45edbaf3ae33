//! Inputs that made the fuzz targets (`fuzz/fuzz_targets`, run with `scripts/fuzz`) fail, fed
//! through the same code path as the target, so each bug stays fixed without a nightly
//! toolchain. Each test says where its input came from: a minimized crash, or the seed (in
//! `fuzz/seeds`) that crashed the target as it was.

use results_backup_testkit::raw_tar::{gzip, pax_record, RawHeader};
use results_backup_testkit::{check_then_restore, Verdicts};

/// A header block of `type_byte` for `name`, claiming `size` bytes.
fn header(name: &[u8], type_byte: u8, size: usize) -> [u8; 512] {
    RawHeader::new(name, type_byte, size as u64).encode()
}

/// Found by `restore_archive` on its very first input, the empty one (minimized: 0 bytes). An
/// archive with no strategy folder in it (nothing at all, or only our manifest's folder) was
/// called sound by check, while restore refuses it ("it holds no strategy folder"): check said a
/// backup was fine that could never be restored.
#[test]
fn an_archive_without_a_strategy_folder_is_not_sound() {
    let mut manifest_folder_only = header(b".results-backup/", b'5', 0).to_vec();
    manifest_folder_only.extend_from_slice(&[0u8; 1024]);
    for (what, tar) in [
        ("an empty tar stream", Vec::new()),
        ("only the end-of-archive marker", vec![0u8; 1024]),
        ("only the manifest's folder", manifest_folder_only),
    ] {
        let Verdicts {
            sound,
            restored,
            said,
        } = check_then_restore(&gzip(&tar));
        assert!(!restored, "{what}: restore cannot restore it\n{said}");
        assert!(!sound, "{what}: check must not call it sound\n{said}");
        assert!(
            said.contains("it holds no strategy folder"),
            "{what}: check says why\n{said}"
        );
    }
}

/// A PAX `x` header carrying one record, padded to whole blocks.
fn pax(key: &str, value: &[u8]) -> Vec<u8> {
    let record = pax_record(key, value);
    let mut out = header(b"PaxHeaders/x", b'x', record.len()).to_vec();
    out.extend_from_slice(&record);
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

/// A strategy folder holding one link whose target (given by a PAX `linkpath`) is `len` bytes
/// of plain names: nothing climbs, only the length matters.
fn archive_with_link_of(len: usize) -> Vec<u8> {
    let mut target = Vec::new();
    while target.len() < len {
        if !target.is_empty() {
            target.push(b'/');
        }
        let part = (len - target.len()).min(200);
        target.extend(std::iter::repeat_n(b't', part));
    }
    assert_eq!(target.len(), len);
    let mut tar = header(b"s/", b'5', 0).to_vec();
    tar.extend(pax("linkpath", &target));
    tar.extend_from_slice(&header(b"s/l", b'2', 0));
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

/// Found by running the `restore_archive` target on a hand-made input, kept as the seed
/// `hostile_link_target_4096.tar`: a link target of exactly 4096 bytes passed the tar reader and
/// the rules (at most `MAX_PATH_BYTES`, then 4096), so check called the archive sound, but the
/// system refuses to create such a link (PATH_MAX counts the terminating NUL), so restore failed
/// with "File name too long". The limit is now 4095 bytes, in the tar reader and in the rules
/// (which also read manifests), for check, restore and backup alike.
#[cfg(target_os = "linux")]
#[test]
fn a_link_target_the_system_cannot_create_is_refused_by_check_and_restore() {
    use results_backup::format::check_link_target;
    let link = vec!["l".to_string()];
    let longest = vec![b'x'; 4095];
    assert!(check_link_target(&link, &longest).is_ok());
    assert!(check_link_target(&link, &[b'x'; 4096]).is_err());

    let Verdicts {
        sound,
        restored,
        said,
    } = check_then_restore(&gzip(&archive_with_link_of(4096)));
    assert!(!restored, "{said}");
    assert!(!sound, "check and restore must agree\n{said}");

    let Verdicts {
        sound,
        restored,
        said,
    } = check_then_restore(&gzip(&archive_with_link_of(4095)));
    assert!(
        restored && sound,
        "the longest target the system allows restores\n{said}"
    );
}

/// A member header as the tar reader hands it to the layout rules.
fn member(
    path: &str,
    kind: results_backup::format::MemberKind,
) -> results_backup::format::MemberHeader {
    results_backup::format::MemberHeader {
        raw_path: path.as_bytes().to_vec(),
        kind,
        size: 0,
        mode: 0o755,
        mtime: 0,
        link_target: None,
    }
}

/// `s/<top>/a/a/.../a` as deep as a path may go (4095 bytes: about 2045 folders below `s`).
fn deepest_path(top: &str) -> String {
    let mut path = format!("s/{top}");
    while path.len() + 2 <= 4095 {
        path.push_str("/a");
    }
    path
}

/// Found while writing seeds for `tar_stream`: run on a hand-made input of 16 members whose
/// paths are 2045 folders deep, each under a top folder of its own, the target took 76 s and
/// 2.8 GB, past the 2 GB libFuzzer is given (the seed `hostile_deep_paths.tar` has 8). The layout
/// rules kept every folder above every member as its own list of names, so each such member cost
/// about 2045²/2 strings: `results-backup check` of a 1.3 KB archive of 64 of them took 34 s and
/// 7.3 GB of memory. And restore would create every implied folder (130,000 from those 1.3 KB)
/// while `MAX_ENTRIES` counted one entry per member. The rules now keep one node per
/// path and count the folders a member implies as entries: that archive is refused in
/// milliseconds.
#[test]
fn folders_a_member_implies_count_as_entries() {
    use results_backup::format::Layout;
    use results_backup::format::MemberKind;
    use results_backup::format::MAX_ENTRIES;

    let mut layout = Layout::new(None);
    layout.admit(&member("s/", MemberKind::Dir)).unwrap();
    // Each `s/d<i>/f` is two entries: the folder it implies, and itself.
    let fit = (MAX_ENTRIES - 1) / 2;
    for i in 0..fit {
        layout
            .admit(&member(&format!("s/d{i}/f"), MemberKind::File))
            .unwrap_or_else(|e| panic!("member {i}: {e}"));
    }
    let error = layout
        .admit(&member(&format!("s/d{fit}/f"), MemberKind::File))
        .unwrap_err();
    assert!(error.contains("one entry too many"), "{error}");

    // Members as deep as a path goes, each under a folder of its own: refused once their folders
    // pass the limit, quickly (this loop took minutes and gigabytes before).
    let mut layout = Layout::new(None);
    let started = std::time::Instant::now();
    let refused = (0..100)
        .position(|i| {
            let path = deepest_path(&i.to_string());
            layout.admit(&member(&path, MemberKind::Dir)).is_err()
        })
        .expect("deep members are refused once they imply too many folders");
    assert_eq!(
        refused,
        MAX_ENTRIES / 2045,
        "refused at the member past the limit"
    );
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

/// Companion to the test above (it passed before the change too): the rules that a member lies
/// neither inside a file or link nor where a folder already is still hold at any depth, for
/// check and restore alike, now that the layout rules keep paths as a tree.
#[test]
fn the_shape_rules_hold_as_deep_as_a_path_goes() {
    use results_backup::format::Layout;
    use results_backup::format::MemberKind;

    let deep = deepest_path("top");
    let mut layout = Layout::new(None);
    layout.admit(&member(&deep, MemberKind::File)).unwrap();
    let parent = &deep[..deep.len() - 2];
    let error = layout.admit(&member(parent, MemberKind::File)).unwrap_err();
    assert!(error.contains("already has a folder"), "{error}");
    let error = layout
        .admit(&member(&format!("{deep}/x"), MemberKind::File))
        .unwrap_err();
    assert!(error.contains("inside a file"), "{error}");
    // A folder named after the members that imply it is fine.
    let mut layout = Layout::new(None);
    layout.admit(&member(&deep, MemberKind::File)).unwrap();
    layout.admit(&member(parent, MemberKind::Dir)).unwrap();

    let mut tar = Vec::new();
    tar.extend(pax("path", deep.as_bytes()));
    tar.extend_from_slice(&header(b"placeholder", b'0', 0));
    tar.extend(pax("path", parent.as_bytes()));
    tar.extend_from_slice(&header(b"placeholder", b'0', 0));
    tar.extend_from_slice(&[0u8; 1024]);
    let Verdicts {
        sound,
        restored,
        said,
    } = check_then_restore(&gzip(&tar));
    assert!(!sound && !restored, "{said}");
    assert!(said.contains("already has a folder"), "{said}");
}

/// `s/ttt.../ttt` of `len` bytes, in parts of at most 250 bytes.
fn path_of(len: usize) -> Vec<u8> {
    let mut path = b"s".to_vec();
    while path.len() < len {
        path.push(b'/');
        let part = (len - path.len()).clamp(1, 250);
        path.extend(std::iter::repeat_n(b't', part));
    }
    assert_eq!(path.len(), len);
    path
}

/// Found by `restore_archive` on the seed `long_path_4096.tar` (the crash file was that seed
/// unchanged, already minimal for the bug: one member whose path is exactly 4096 bytes, given by
/// a PAX record, the only way to spell it). A file whose path was exactly 4096 bytes passed
/// the tar reader (at most `MAX_PATH_BYTES`, then 4096), so check called the archive sound, but
/// restore could not create it ("File name too long": PATH_MAX counts the terminating NUL). The
/// limit is now 4095 bytes, for paths and link targets, in the reader, the rules and backup.
#[cfg(target_os = "linux")]
#[test]
fn a_path_the_system_cannot_create_is_refused_by_check_and_restore() {
    for (len, restorable) in [(4096, false), (4095, true)] {
        let mut tar = pax("path", &path_of(len));
        tar.extend_from_slice(&header(b"placeholder", b'0', 3));
        tar.extend_from_slice(b"hi\n");
        tar.resize(tar.len().next_multiple_of(512), 0);
        tar.extend_from_slice(&[0u8; 1024]);
        let Verdicts {
            sound,
            restored,
            said,
        } = check_then_restore(&gzip(&tar));
        assert_eq!(restored, restorable, "a {len}-byte path\n{said}");
        assert_eq!(
            sound, restored,
            "check and restore agree on a {len}-byte path\n{said}"
        );
    }
}
