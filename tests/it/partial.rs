//! Partial restore (`restore --only`) and looking inside a backup (`extract`): only the chosen
//! files and folders are written, verified like any restore, with the same conflict choices;
//! a path that cannot be restored is a plain error before anything is written; archives
//! without an index (GNU tar's) are read whole; an index that cannot be followed costs a full
//! read and a warning, never a wrong file. Timing is the benchmark's business, not asserted.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::BIN;
use results_backup::{restore, CancelToken, Locator, NoProgress, OnConflict, RestoreOptions};
use results_backup_testkit::raw_tar::{archive_members, tamper_content};
use results_backup_testkit::*;

fn restore_only(
    ws: &Sandbox,
    backup: &str,
    only: &[&str],
    to: &Path,
    on_conflict: OnConflict,
) -> results_backup::Result<results_backup::RestoreOutcome> {
    restore(
        &ws.locations(),
        &Locator::from_argument(backup),
        &RestoreOptions {
            destination: Some(to.to_path_buf()),
            on_conflict,
            expected_destination: None,
            only: only.iter().map(|s| s.to_string()).collect(),
        },
        &NoProgress,
        &CancelToken::new(),
    )
}

fn sidecar(ws: &Sandbox, backup: &str) -> std::path::PathBuf {
    sidecar_of(&ws.backups, backup)
}

#[test]
fn partial_restore_of_a_file_writes_only_it_and_the_folders_leading_to_it() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 1);
    let backup = ws.backup_lib("btc");
    let dest = ws.dir("out");

    let outcome = restore_only(&ws, &backup, &["sub/trades.csv"], &dest, OnConflict::Fail).unwrap();

    assert_eq!(outcome.files, 1);
    assert_eq!(outcome.restored_to, dest.join("btc"));
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert_eq!(names_in(&dest), vec!["btc"]);
    assert_eq!(names_in(&dest.join("btc")), vec!["sub"]);
    assert_eq!(
        fs::read(dest.join("btc/sub/trades.csv")).unwrap(),
        fs::read(source.join("sub/trades.csv")).unwrap()
    );
}

#[test]
fn partial_restore_of_a_folder_as_a_copy_leaves_the_existing_folder_alone() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 2);
    let backup = ws.backup_lib("btc");
    write_file(&source.join("sub/trades.csv"), "changed since\n");
    let before = snapshot(&source);

    let run = ws.run([
        "restore",
        &backup,
        "--only",
        "sub",
        "--on-conflict",
        "copy",
        "--json",
    ]);
    run.assert_success();
    let json = run.json();
    let copy = Path::new(json["restored_to"].as_str().unwrap()).to_path_buf();

    assert_ne!(copy, source);
    assert!(copy
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("btc_restored_"));
    assert_eq!(names_in(&copy), vec!["sub"]);
    assert_ne!(
        fs::read(copy.join("sub/trades.csv")).unwrap(),
        b"changed since\n"
    );
    assert_same_tree(&before, &snapshot(&source), "the existing folder");
    assert_eq!(json["replaced"], false);
}

#[test]
fn partial_replace_swaps_in_only_the_chosen_items_after_a_safety_backup() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 3);
    let backup = ws.backup_lib("btc");
    let original_trades = fs::read(source.join("sub/trades.csv")).unwrap();
    write_file(&source.join("sub/trades.csv"), "changed since\n");
    write_file(&source.join("sub/new.csv"), "made after the backup\n");
    write_file(&source.join("equity.csv"), "also changed\n");

    // A file: only it is replaced; its new neighbour and the other changed file stay.
    let run = ws.run([
        "restore",
        &backup,
        "--only",
        "sub/trades.csv",
        "--on-conflict",
        "replace",
        "--json",
    ]);
    run.assert_success();
    let json = run.json();
    assert_eq!(json["replaced"], true);
    let safety = json["safety_backup"]["backup_file"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        fs::read(source.join("sub/trades.csv")).unwrap(),
        original_trades
    );
    assert_eq!(
        fs::read(source.join("sub/new.csv")).unwrap(),
        b"made after the backup\n"
    );
    assert_eq!(
        fs::read(source.join("equity.csv")).unwrap(),
        b"also changed\n"
    );
    // The safety backup holds what was overwritten.
    let members = archive_members(&ws.backups.join(&safety));
    let saved = members
        .iter()
        .find(|m| m.path == "btc/sub/trades.csv")
        .unwrap();
    assert_eq!(saved.content, b"changed since\n");

    // A folder: it becomes the backup's folder (what was added since is in the safety backup).
    let run = ws.run([
        "restore",
        &backup,
        "--only",
        "sub",
        "--on-conflict",
        "replace",
        "--json",
    ]);
    run.assert_success();
    assert_eq!(names_in(&source.join("sub")), vec!["trades.csv"]);
    assert_eq!(
        fs::read(source.join("equity.csv")).unwrap(),
        b"also changed\n"
    );
    let safety = run.json()["safety_backup"]["backup_file"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(archive_members(&ws.backups.join(safety))
        .iter()
        .any(|m| m.path == "btc/sub/new.csv"));
    // No staging folder is left beside the strategy.
    assert!(
        names_in(&ws.results).iter().all(|n| !n.starts_with('.')),
        "{:?}",
        names_in(&ws.results)
    );
}

#[test]
fn partial_replace_of_a_missing_item_writes_it_without_a_safety_backup() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 4);
    let backup = ws.backup_lib("btc");
    fs::remove_dir_all(source.join("sub")).unwrap();
    let run = ws.run([
        "restore",
        &backup,
        "--only",
        "sub/trades.csv",
        "--on-conflict",
        "replace",
        "--json",
    ]);
    run.assert_success();
    let json = run.json();
    assert_eq!(json["replaced"], false);
    assert!(json["safety_backup"].is_null());
    assert!(source.join("sub/trades.csv").is_file());
    assert_eq!(visible_archives(&ws.backups).len(), 1);
}

#[test]
fn only_naming_a_missing_or_climbing_path_is_a_plain_error_and_nothing_is_written() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "btc", 5);
    let backup = ws.backup_lib("btc");
    let dest = ws.root.join("never-made");
    for (only, mention) in [
        ("nope.csv", "nope.csv"),
        ("../x", "../x"),
        ("/etc/passwd", "/etc/passwd"),
        ("sub/../../x", "sub/../../x"),
    ] {
        let run = ws.run([
            "restore",
            &backup,
            "--only",
            "sub",
            "--only",
            only,
            "--to",
            dest.to_str().unwrap(),
        ]);
        run.assert_plain_error(1, &[mention]);
        assert!(!dest.exists(), "{only}: the destination was created");
    }
    let json = ws
        .run(["restore", &backup, "--only", "nope.csv", "--json"])
        .json();
    assert_eq!(json["error"]["code"], "invalid_selection");
    // The results folder holds only the strategy: no copy, no staging folder.
    assert_eq!(names_in(&ws.results), vec!["btc"]);
}

#[test]
fn extract_takes_one_verified_file_into_a_private_folder() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "eth", 6);
    let backup = ws.backup_lib("eth");
    let into = ws.dir("peek");

    let run = ws.run([
        "extract",
        &backup,
        "reports/summary.txt",
        "--to",
        into.to_str().unwrap(),
        "--json",
    ]);
    run.assert_success();
    let json = run.json();
    assert_eq!(json["random_access"], true);
    assert_eq!(json["proof"], "manifest");
    let path = Path::new(json["path"].as_str().unwrap()).to_path_buf();
    assert_eq!(path.file_name().unwrap(), "summary.txt");
    assert_eq!(
        fs::read(&path).unwrap(),
        fs::read(source.join("reports/summary.txt")).unwrap()
    );
    assert_eq!(json["sha256"], sha256_file(&path));
    let folder = path.parent().unwrap();
    assert_eq!(folder.parent().unwrap(), into);
    assert_eq!(
        fs::metadata(folder).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(names_in(folder), vec!["summary.txt"]);

    // Text mode prints the path alone on stdout, for `open "$(...)"`.
    let run = ws.run([
        "extract",
        &backup,
        "reports/summary.txt",
        "--to",
        into.to_str().unwrap(),
    ]);
    run.assert_success();
    assert!(Path::new(run.stdout.trim()).is_file(), "{}", run.describe());

    // Folders, links and paths outside are refused; nothing is left behind.
    let before = names_in(&into);
    for member in [
        "reports",
        paths::FILE_LINK,
        "../eth/reports/summary.txt",
        "missing.csv",
    ] {
        ws.run(["extract", &backup, member, "--to", into.to_str().unwrap()])
            .assert_plain_error(1, &[]);
    }
    assert_eq!(names_in(&into), before);
}

#[test]
fn a_gnu_tar_archive_restores_partially_and_extracts_through_a_full_read() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "foreign", 7);
    let inbox = ws.dir("inbox");
    let archive = inbox.join("foreign_20240102_030405.tar.gz");
    run_ok(
        tool("tar", "GNU tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&ws.results)
            .arg("foreign"),
    );
    let dest = ws.root.join("restored");
    let run = ws.run([
        "restore",
        archive.to_str().unwrap(),
        "--only",
        "sub",
        "--to",
        dest.to_str().unwrap(),
        "--json",
    ]);
    run.assert_success();
    assert_eq!(run.json()["proof"], "none");
    assert_eq!(names_in(&dest.join("foreign")), vec!["sub"]);
    assert_eq!(
        fs::read(dest.join("foreign/sub/trades.csv")).unwrap(),
        fs::read(source.join("sub/trades.csv")).unwrap()
    );

    let run = ws.run([
        "extract",
        archive.to_str().unwrap(),
        "equity.csv",
        "--to",
        inbox.to_str().unwrap(),
        "--json",
    ]);
    run.assert_success();
    let json = run.json();
    assert_eq!(json["random_access"], false);
    let path = json["path"].as_str().unwrap();
    assert_eq!(
        fs::read(path).unwrap(),
        fs::read(source.join("equity.csv")).unwrap()
    );

    // A path the foreign archive lacks is found missing after the read: still nothing written.
    let dest = ws.root.join("again");
    ws.run([
        "restore",
        archive.to_str().unwrap(),
        "--only",
        "nope",
        "--to",
        dest.to_str().unwrap(),
    ])
    .assert_plain_error(1, &["nope"]);
    assert!(!dest.exists());
}

#[test]
fn a_tampered_sidecar_index_costs_a_full_read_with_a_warning_never_a_wrong_file() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 8);
    let backup = ws.backup_lib("btc");
    let path = sidecar(&ws, &backup);
    let mut manifest = read_json(&path);
    let trades = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["path"] == "btc/sub/trades.csv")
        .unwrap();
    // One tar block later: inside the file's own content. The index keeps its shape (offsets
    // still increase, on tar blocks), so the sidecar is valid; following it finds no header.
    let offsets = manifest["index"]["entries"].as_array_mut().unwrap();
    let moved = offsets[trades].as_u64().unwrap() + 512;
    assert!(offsets
        .get(trades + 1)
        .is_none_or(|next| next.as_u64().unwrap() > moved));
    offsets[trades] = moved.into();
    fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();

    let dest = ws.root.join("out");
    let run = ws.run([
        "restore",
        &backup,
        "--only",
        "sub/trades.csv",
        "--to",
        dest.to_str().unwrap(),
        "--json",
    ]);
    run.assert_success();
    assert!(run.stderr.contains("index"), "{}", run.describe());
    let warnings = run.json()["warnings"].as_array().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        fs::read(dest.join("btc/sub/trades.csv")).unwrap(),
        fs::read(source.join("sub/trades.csv")).unwrap()
    );

    let into = ws.dir("peek");
    let json = ws
        .run([
            "extract",
            &backup,
            "sub/trades.csv",
            "--to",
            into.to_str().unwrap(),
            "--json",
        ])
        .json();
    assert_eq!(json["random_access"], false);
    assert_eq!(json["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn a_damaged_archive_is_refused_by_a_partial_restore_and_nothing_is_written() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "btc", 9);
    let backup = ws.backup_lib("btc");
    let archive = ws.backups.join(&backup);
    let trades = fs::read(source.join("sub/trades.csv")).unwrap();
    let marker = &trades[..16];
    let mut replacement = marker.to_vec();
    replacement[0] ^= 0x20;
    fs::write(
        &archive,
        tamper_content(&fs::read(&archive).unwrap(), marker, &replacement),
    )
    .unwrap();

    let dest = ws.root.join("out");
    ws.run([
        "restore",
        &backup,
        "--only",
        "sub/trades.csv",
        "--to",
        dest.to_str().unwrap(),
    ])
    .assert_plain_error(1, &[&backup]);
    assert!(!dest.exists());
    let into = ws.dir("peek");
    ws.run([
        "extract",
        &backup,
        "sub/trades.csv",
        "--to",
        into.to_str().unwrap(),
    ])
    .assert_plain_error(1, &[&backup]);
    assert!(names_in(&into).is_empty());
}
