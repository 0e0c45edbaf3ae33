//! Back up, then restore: the restored folder must be the backed-up folder, exactly (content,
//! modes, times, links as links, empty folders), and restoring over an existing folder must
//! follow the analyst's choice without ever losing anything.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::BIN;
use results_backup::Locator;
use results_backup::{restore, OnConflict, RestoreOptions};
use results_backup::{CancelToken, NoProgress};
use results_backup::{StrategyName, Timestamp};
use results_backup_testkit::*;

fn restore_lib(ws: &Sandbox, given: &str, to: &Path, on_conflict: OnConflict) {
    restore(
        &ws.locations(),
        &Locator::from_argument(given),
        &RestoreOptions {
            destination: Some(to.to_path_buf()),
            on_conflict,
            expected_destination: None,
            only: Vec::new(),
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_or_else(|e| panic!("restore of {given} failed: {e}"));
}

/// The timestamp an archive file name of ours carries.
fn timestamp_of(file: &str) -> Timestamp {
    results_backup::ArchiveFileName::new(file)
        .unwrap()
        .backup_name()
        .unwrap()
        .timestamp
}

#[test]
fn library_backup_then_restore_into_fresh_folder_reproduces_the_tree_exactly() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "btc_sma", 1);
    let before = snapshot(&source);
    let file = ws.backup_lib("btc_sma");
    let dest = ws.dir("restored");

    let outcome = restore(
        &ws.locations(),
        &Locator::Name(file.clone()),
        &RestoreOptions {
            destination: Some(dest.clone()),
            on_conflict: OnConflict::Fail,
            expected_destination: None,
            only: Vec::new(),
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();

    let restored = dest.join("btc_sma");
    assert_eq!(outcome.restored_to, restored);
    assert!(!outcome.replaced);
    assert!(outcome.safety_backup.is_none());
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert_same_tree(&before, &snapshot(&restored), "the restored folder");
    // The source was only read.
    assert_same_tree(&before, &snapshot(&source), "the source folder");
    // Nothing but the strategy folder lands in the destination (no staging leftovers).
    assert_eq!(names_in(&dest), vec!["btc_sma"]);
}

#[test]
fn restored_tree_keeps_each_awkward_case_explicitly() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "eth mean-revert", 2);
    let file = ws.backup_lib("eth mean-revert");
    let dest = ws.dir("out");
    restore_lib(&ws, &file, &dest, OnConflict::Fail);
    let r = dest.join("eth mean-revert");

    // Unicode, spaces, CJK and very long names survive byte for byte.
    assert_eq!(
        fs::read(r.join(paths::EQUITY_CSV)).unwrap(),
        csv_bytes(2, 300 * 1024)
    );
    assert!(r.join(paths::CJK_FILE).is_file());
    let deep = r.join(deep_file_rel());
    assert!(deep.as_os_str().len() > 255);
    assert_eq!(fs::read(&deep).unwrap(), csv_bytes(2 ^ 0x20, 1024));
    // Empty file and empty folders.
    assert_eq!(fs::metadata(r.join(paths::EMPTY_FILE)).unwrap().len(), 0);
    assert_eq!(names_in(&r.join(paths::EMPTY_DIR)), Vec::<String>::new());
    assert!(r.join(paths::NESTED_EMPTY_DIR).is_dir());
    // Links are links with the same target, never copies of what they point to.
    for (link, target) in [
        (paths::FILE_LINK, paths::FILE_LINK_TARGET),
        (paths::DIR_LINK, paths::DIR_LINK_TARGET),
        (paths::UP_LINK, paths::UP_LINK_TARGET),
    ] {
        let meta = fs::symlink_metadata(r.join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is not a link");
        assert_eq!(fs::read_link(r.join(link)).unwrap(), Path::new(target));
    }
    // Modes and old times.
    let mode = |p: &str| fs::metadata(r.join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(paths::SCRIPT), 0o755);
    assert_eq!(mode(paths::READ_ONLY), 0o444);
    let mtime = |p: &str| {
        filetime::FileTime::from_last_modification_time(&fs::metadata(r.join(p)).unwrap())
            .unix_seconds()
    };
    assert_eq!(mtime(paths::OLD_1990), MTIME_1990);
    assert_eq!(mtime(paths::OLD_EPOCH), 1);
    assert_eq!(mtime(paths::BEFORE_1970), MTIME_BEFORE_1970);
}

#[test]
fn cli_backup_then_restore_to_fresh_folder_reproduces_the_tree_exactly() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "spx_momentum", 3);
    let before = snapshot(&source);
    let file = ws.backup_cli("spx_momentum");
    let dest = ws.root.join("fresh");

    let run = ws.run(["restore", &file, "--to", dest.to_str().unwrap(), "--json"]);
    run.assert_success();
    let json = run.json();
    assert_eq!(json["proof"], "manifest");
    assert_eq!(json["replaced"], false);
    assert_eq!(
        json["restored_to"].as_str().unwrap(),
        dest.join("spx_momentum").to_str().unwrap()
    );
    assert_same_tree(
        &before,
        &snapshot(&dest.join("spx_momentum")),
        "the restored folder",
    );
}

#[test]
fn restore_without_destination_puts_a_deleted_strategy_back_in_the_results_folder() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "gone", 4);
    let before = snapshot(&source);
    let file = ws.backup_cli("gone");
    set_mode(&source.join(paths::READ_ONLY), 0o644);
    fs::remove_dir_all(&source).unwrap();

    ws.run(["restore", &file]).assert_success();

    assert_same_tree(&before, &snapshot(&source), "the source folder");
    assert_eq!(names_in(&ws.results), vec!["gone"]);
}

#[test]
fn restore_over_existing_folder_with_copy_lands_beside_it_and_leaves_the_original_untouched() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "alpha", 5);
    let backed_up = snapshot(&source);
    let file = ws.backup_cli("alpha");
    write_file(&source.join("after backup.txt"), "new work");
    let current = snapshot(&source);

    let json = ws
        .run(["restore", &file, "--on-conflict", "copy", "--json"])
        .assert_success()
        .json();

    let timestamp = timestamp_of(&file);
    let copy = ws.results.join(format!("alpha_restored_{timestamp}"));
    assert_eq!(
        json["restored_to"].as_str().unwrap(),
        copy.to_str().unwrap()
    );
    assert_same_tree(&backed_up, &snapshot(&copy), "the restored copy");
    assert_same_tree(&current, &snapshot(&source), "the source folder");
    assert_eq!(
        names_in(&ws.results),
        vec!["alpha".to_string(), format!("alpha_restored_{timestamp}")]
    );
}

#[test]
fn restore_preview_tells_beforehand_where_a_copy_or_a_fresh_restore_would_land() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 3);
    let file = ws.backup_cli("alpha");
    let timestamp = timestamp_of(&file);
    let alpha = StrategyName::new("alpha").unwrap();
    let before = snapshot(&ws.results);

    let over = results_backup::preview(&alpha, Some(&timestamp), &ws.results);
    assert!(over.target_exists);
    assert_eq!(over.target, ws.results.join("alpha"));
    assert_eq!(
        over.copy_target,
        ws.results.join(format!("alpha_restored_{timestamp}"))
    );
    assert_same_tree(&before, &snapshot(&ws.results), "the results folder");

    let json = ws
        .run(["restore", &file, "--on-conflict", "copy", "--json"])
        .assert_success()
        .json();
    assert_eq!(
        json["restored_to"].as_str().unwrap(),
        over.copy_target.to_str().unwrap()
    );
    let second = results_backup::preview(&alpha, Some(&timestamp), &ws.results);
    assert_eq!(
        second.copy_target,
        ws.results.join(format!("alpha_restored_{timestamp}_2"))
    );

    let fresh = ws.dir("fresh");
    let elsewhere = results_backup::preview(&alpha, Some(&timestamp), &fresh);
    assert!(!elsewhere.target_exists);
    assert_eq!(elsewhere.target, fresh.join("alpha"));
}

#[test]
fn restore_copy_is_the_default_choice_and_a_second_copy_gets_its_own_name() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "alpha", 6);
    let backed_up = snapshot(&source);
    let file = ws.backup_cli("alpha");

    ws.run(["restore", &file]).assert_success();
    ws.run(["restore", &file]).assert_success();

    let names = names_in(&ws.results);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[1].starts_with("alpha_restored_"));
    assert!(names[2].starts_with(&names[1]) && names[2].ends_with("_2"));
    for name in &names {
        assert_same_tree(
            &backed_up,
            &snapshot(&ws.results.join(name)),
            "a restored copy",
        );
    }
}

#[test]
fn restore_with_replace_backs_up_the_current_folder_first_then_swaps_in_the_backup() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "gold", 7);
    let backed_up = snapshot(&source);
    let file = ws.backup_cli("gold");
    // The analyst keeps working: edit, add and delete.
    write_file(&source.join(paths::NOTES), "rewritten after the backup\n");
    write_file(&source.join("new result.csv"), csv_bytes(70, 2048));
    fs::remove_file(source.join(paths::EMPTY_FILE)).unwrap();
    let current = snapshot(&source);

    let json = ws
        .run(["restore", &file, "--on-conflict", "replace", "--json"])
        .assert_success()
        .json();

    assert_eq!(json["replaced"], true);
    let safety = json["safety_backup"]["backup_file"]
        .as_str()
        .expect("safety backup reported")
        .to_string();
    assert_ne!(safety, file);
    // The folder now equals the backup.
    assert_same_tree(&backed_up, &snapshot(&source), "the source folder");
    // The safety backup is in the catalog, on disk, and holds the folder as it was.
    let list = ws.run(["list", "--json"]).assert_success().json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["backup_file"].as_str().unwrap())
        .collect();
    assert!(names.contains(&safety.as_str()), "{names:?}");
    assert!(names.contains(&file.as_str()), "{names:?}");
    assert!(ws.backups.join(&safety).is_file());
    let check = ws.dir("check");
    restore_lib(&ws, &safety, &check, OnConflict::Fail);
    // The analyst's edits have sub-second times; the archive keeps whole seconds.
    assert_same_tree(
        &current.whole_seconds(),
        &snapshot(&check.join("gold")),
        "the safety backup, restored",
    );
    // No staging or previous-folder leftovers beside the strategy.
    assert_eq!(names_in(&ws.results), vec!["gold"]);
}

#[test]
fn restore_with_fail_exits_1_and_changes_nothing() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "beta", 8);
    let file = ws.backup_cli("beta");
    write_file(&source.join("edited.txt"), "keep me");
    // The results folder's own time may move (a staging folder came and went); everything in
    // it must stay exactly as it was.
    let results_before = snapshot(&ws.results).without_root();
    let backups_before = snapshot(&ws.backups);

    let run = ws.run(["restore", &file, "--on-conflict", "fail"]);
    run.assert_code(1);

    assert!(
        run.stderr.contains("beta"),
        "error should name the folder: {}",
        run.stderr
    );
    assert_same_tree(
        &results_before,
        &snapshot(&ws.results).without_root(),
        "the results folder",
    );
    assert_same_tree(
        &backups_before,
        &snapshot(&ws.backups),
        "the backups folder",
    );

    // Scripts get the same refusal as one JSON document.
    let json = ws
        .run(["restore", &file, "--on-conflict", "fail", "--json"])
        .assert_code(1)
        .json();
    assert!(json["error"]["code"].is_string(), "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("beta"));
    assert_same_tree(
        &results_before,
        &snapshot(&ws.results).without_root(),
        "the results folder",
    );
    assert_same_tree(
        &backups_before,
        &snapshot(&ws.backups),
        "the backups folder",
    );
}

#[test]
fn restore_finds_a_backup_by_catalog_name_with_or_without_suffix_and_by_path() {
    let ws = Sandbox::new(BIN);
    let source = build_small_strategy(&ws.results, "gamma", 9);
    let backed_up = snapshot(&source);
    let file = ws.backup_cli("gamma");
    let stem = file.trim_end_matches(".tar.gz").to_string();
    let full_path = ws.backups.join(&file);

    for (i, given) in [file.clone(), stem, full_path.to_str().unwrap().to_string()]
        .iter()
        .enumerate()
    {
        let dest = ws.root.join(format!("dest{i}"));
        let json = ws
            .run(["restore", given, "--to", dest.to_str().unwrap(), "--json"])
            .assert_success()
            .json();
        assert_eq!(json["backup_file"], file.as_str(), "given {given}");
        assert_eq!(json["proof"], "manifest", "given {given}");
        assert_same_tree(
            &backed_up,
            &snapshot(&dest.join("gamma")),
            "the restored folder",
        );
    }
}

#[test]
fn a_lone_archive_copied_elsewhere_without_its_sidecar_restores_against_its_embedded_manifest() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "lone", 10);
    let backed_up = snapshot(&source);
    let file = ws.backup_lib("lone");
    let mailbox = ws.dir("mailbox");
    let lone = mailbox.join(&file);
    fs::copy(ws.backups.join(&file), &lone).unwrap();
    // Nothing of the original backups folder is left to lean on.
    set_mode(&source.join(paths::READ_ONLY), 0o644);
    fs::remove_dir_all(&ws.backups).unwrap();
    fs::remove_dir_all(&source).unwrap();
    let dest = ws.root.join("restored");

    // It checks against its embedded manifest too, without touching any catalog.
    let check = ws
        .run(["check", lone.to_str().unwrap(), "--json"])
        .assert_success()
        .json();
    assert_eq!(check[0]["ok"], true, "{check}");
    assert_eq!(check[0]["proof"], "embedded_manifest");
    assert!(!ws.backups.exists());

    let run = ws.run([
        "restore",
        lone.to_str().unwrap(),
        "--to",
        dest.to_str().unwrap(),
        "--json",
    ]);
    run.assert_success();

    let json = run.json();
    assert_eq!(json["proof"], "embedded_manifest");
    assert_eq!(json["warnings"].as_array().unwrap().len(), 0);
    assert_same_tree(
        &backed_up,
        &snapshot(&dest.join("lone")),
        "the restored folder",
    );
    // The lone archive is only read.
    assert_eq!(names_in(&mailbox), vec![file]);
}

#[test]
fn an_empty_strategy_folder_round_trips() {
    let ws = Sandbox::new(BIN);
    let source = ws.results.join("empty");
    fs::create_dir(&source).unwrap();
    set_mode(&source, 0o750);
    set_mtime(&source, MTIME_1990);
    let before = snapshot(&source);
    let file = ws.backup_cli("empty");
    let dest = ws.root.join("out");

    let json = ws
        .run(["restore", &file, "--to", dest.to_str().unwrap(), "--json"])
        .assert_success()
        .json();

    assert_eq!(json["files"], 0);
    assert_same_tree(
        &before,
        &snapshot(&dest.join("empty")),
        "the restored folder",
    );
}
