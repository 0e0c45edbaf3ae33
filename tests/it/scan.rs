//! Scanning the results folder: which folders are strategies, what they hold, and whether each
//! is protected by its latest backup.

use std::fs;
use std::os::unix::fs::symlink;

use crate::BIN;
use results_backup::NoProgress;
use results_backup::{scan, StrategyState};
use results_backup_testkit::*;
use serde_json::Value;

fn scan_json(ws: &Sandbox) -> Vec<Value> {
    ws.run(["scan", "--json"])
        .assert_success()
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn state_of(ws: &Sandbox, name: &str) -> String {
    scan_json(ws)
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} not scanned"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn scan_lists_strategy_folders_but_not_hidden_folders_or_top_level_files() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "beta", 1);
    build_small_strategy(&ws.results, "alpha", 2);
    build_small_strategy(&ws.results, "résumé 回测", 3);
    build_small_strategy(&ws.results, ".git", 4);
    fs::create_dir_all(ws.results.join(".cache/x")).unwrap();
    write_file(&ws.results.join("notes.txt"), "not a strategy");
    write_file(&ws.results.join(".DS_Store"), "junk");

    let names: Vec<String> = scan_json(&ws)
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();

    assert_eq!(names, vec!["alpha", "beta", "résumé 回测"]);
}

#[test]
fn scan_leaves_out_a_backups_folder_that_sits_inside_the_results_folder() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 5);
    let inside = ws.results.join("backups");
    let inside_str = inside.to_str().unwrap();
    ws.run(["backup", "alpha", "--backups", inside_str])
        .assert_success();

    let json = ws
        .run(["scan", "--backups", inside_str, "--json"])
        .assert_success()
        .json();

    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alpha"]);
    assert_eq!(json[0]["state"], "protected");
}

#[test]
fn scan_reports_file_count_bytes_and_newest_change() {
    let ws = Sandbox::new(BIN);
    let dir = build_strategy(&ws.results, "full", 6);
    let snap = snapshot(&dir);

    let json = scan_json(&ws);

    let s = &json[0];
    assert_eq!(s["name"], "full");
    assert_eq!(s["path"], dir.to_str().unwrap());
    let files = snap.values().filter(|n| n.kind == Kind::File).count();
    let bytes: u64 = snap.values().map(|n| n.size).sum();
    assert_eq!(s["files"], files);
    assert_eq!(s["bytes"], bytes);
    let newest = snap.values().map(|n| n.mtime_secs()).max().unwrap();
    let reported =
        chrono::DateTime::parse_from_rfc3339(s["newest_change"].as_str().unwrap()).unwrap();
    assert_eq!(reported.timestamp(), newest);
    assert!(s["latest_backup"].is_null());

    // A later change moves "newest change" forward.
    set_mtime(&dir.join(paths::OLD_1990), newest + 3600);
    let json = scan_json(&ws);
    let reported =
        chrono::DateTime::parse_from_rfc3339(json[0]["newest_change"].as_str().unwrap()).unwrap();
    assert_eq!(reported.timestamp(), newest + 3600);
}

#[test]
fn scan_of_an_empty_strategy_folder_counts_nothing() {
    let ws = Sandbox::new(BIN);
    fs::create_dir(ws.results.join("empty")).unwrap();
    let json = scan_json(&ws);
    assert_eq!(json[0]["name"], "empty");
    assert_eq!(json[0]["files"], 0);
    assert_eq!(json[0]["bytes"], 0);
    assert_eq!(json[0]["state"], "never_backed_up");
}

#[test]
fn strategy_is_never_backed_up_then_protected_after_its_backup() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "alpha", 7);
    build_small_strategy(&ws.results, "beta", 8);
    assert_eq!(state_of(&ws, "alpha"), "never_backed_up");

    let file = ws.backup_cli("alpha");

    let json = scan_json(&ws);
    assert_eq!(json[0]["state"], "protected");
    assert_eq!(json[0]["latest_backup"]["backup_file"], file.as_str());
    assert_eq!(json[1]["state"], "never_backed_up");
    let text = ws.run(["scan"]).assert_success().stdout.clone();
    assert!(text.contains("protected"), "{text}");
    assert!(text.contains("never backed up"), "{text}");
}

#[test]
fn strategy_becomes_changed_after_editing_adding_deleting_or_relinking() {
    let ws = Sandbox::new(BIN);
    let dir = build_strategy(&ws.results, "alpha", 9);
    ws.backup_cli("alpha");
    assert_eq!(state_of(&ws, "alpha"), "protected");

    type Change = Box<dyn Fn(&std::path::Path)>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "edit a file",
            Box::new(|d| write_file(&d.join(paths::NOTES), "edited notes, longer than before\n")),
        ),
        (
            "add a file",
            Box::new(|d| write_file(&d.join("reports/new report.txt"), "new")),
        ),
        (
            "delete a file",
            Box::new(|d| fs::remove_file(d.join(paths::CJK_FILE)).unwrap()),
        ),
        (
            "change a link",
            Box::new(|d| {
                // Same link time, only the target differs.
                let link = d.join(paths::FILE_LINK);
                let meta = fs::symlink_metadata(&link).unwrap();
                let mtime = filetime::FileTime::from_last_modification_time(&meta);
                fs::remove_file(&link).unwrap();
                symlink("metrics.json", &link).unwrap();
                set_mtime(&link, mtime.unix_seconds());
            }),
        ),
        (
            "add an empty folder",
            Box::new(|d| fs::create_dir(d.join("brand new folder")).unwrap()),
        ),
        (
            "touch an old file",
            Box::new(|d| set_mtime(&d.join(paths::OLD_1990), MTIME_1990 + 1)),
        ),
    ];
    for (what, change) in changes {
        change(&dir);
        assert_eq!(state_of(&ws, "alpha"), "changed", "after: {what}");
        let text = ws.run(["scan"]).assert_success().stdout.clone();
        assert!(text.contains("changed since last backup"), "{what}: {text}");
        // A new backup protects it again.
        ws.backup_cli("alpha");
        assert_eq!(
            state_of(&ws, "alpha"),
            "protected",
            "after backing up: {what}"
        );
    }
}

#[test]
fn library_scan_agrees_with_the_cli() {
    let ws = Sandbox::new(BIN);
    let dir = build_small_strategy(&ws.results, "alpha", 10);
    build_small_strategy(&ws.results, "beta", 11);
    ws.backup_lib("alpha");
    ws.backup_lib("beta");
    write_file(&dir.join("new.csv"), "x\n");

    let statuses = scan(&ws.locations(), &NoProgress).unwrap();

    let states: Vec<(&str, StrategyState)> = statuses
        .iter()
        .map(|s| (s.name.as_str(), s.state))
        .collect();
    assert_eq!(
        states,
        vec![
            ("alpha", StrategyState::Changed),
            ("beta", StrategyState::Protected)
        ]
    );
    let cli: Vec<String> = scan_json(&ws)
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(cli, vec!["changed", "protected"]);
}
