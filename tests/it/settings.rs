//! Where the results and backups folders come from: command-line flag, then environment, then
//! the settings file shared with the desktop app, then the original scripts' defaults.

use crate::BIN;
use results_backup_testkit::*;
use std::fs;
use std::path::Path;

/// A results folder holding one strategy whose name says where the folder came from.
fn results_named(root: &Path, folder: &str, strategy: &str) {
    write_file(
        &root.join(folder).join(strategy).join("metrics.json"),
        b"{}",
    );
}

fn scanned_names(run: &Run) -> Vec<String> {
    run.json()
        .as_array()
        .expect("scan --json gives an array")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Runs `scan --json` in `root` with the given settings file and environment.
fn scan_with(root: &Path, settings: &Path, env_results: Option<&Path>, flag: Option<&Path>) -> Run {
    let mut cmd = std::process::Command::new(BIN);
    cmd.current_dir(root)
        .env("RESULTS_BACKUP_SETTINGS", settings)
        .env_remove("RESULTS_BACKUP_RESULTS")
        .env_remove("RESULTS_BACKUP_BACKUPS");
    if let Some(dir) = env_results {
        cmd.env("RESULTS_BACKUP_RESULTS", dir);
    }
    if let Some(dir) = flag {
        cmd.arg("--results").arg(dir);
    }
    cmd.args(["--json", "scan"]);
    let run = Run::of(&mut cmd);
    run.assert_success();
    run
}

#[test]
fn flag_beats_environment_beats_settings_file_beats_default() {
    let ws = Sandbox::new(BIN);
    let root = ws.dir("precedence");
    results_named(&root, "results", "from_default");
    results_named(&root, "from_settings_dir", "from_settings");
    results_named(&root, "from_env_dir", "from_env");
    results_named(&root, "from_flag_dir", "from_flag");
    let settings = root.join("settings.json");
    let with_results =
        serde_json::json!({"format_version": 1, "results_dir": root.join("from_settings_dir")});
    fs::write(&settings, serde_json::to_vec(&with_results).unwrap()).unwrap();
    let env = root.join("from_env_dir");
    let flag = root.join("from_flag_dir");

    assert_eq!(
        scanned_names(&scan_with(&root, &settings, Some(&env), Some(&flag))),
        ["from_flag"]
    );
    assert_eq!(
        scanned_names(&scan_with(&root, &settings, Some(&env), None)),
        ["from_env"]
    );
    assert_eq!(
        scanned_names(&scan_with(&root, &settings, None, None)),
        ["from_settings"]
    );
    let no_settings = root.join("no-such-settings.json");
    assert_eq!(
        scanned_names(&scan_with(&root, &no_settings, None, None)),
        ["from_default"]
    );
}

#[test]
fn default_backups_folder_is_backups_beside_the_working_directory() {
    let ws = Sandbox::new(BIN);
    let root = ws.dir("defaults");
    results_named(&root, "results", "btc");
    Run::of(
        std::process::Command::new(BIN)
            .current_dir(&root)
            .env("RESULTS_BACKUP_SETTINGS", root.join("absent.json"))
            .env_remove("RESULTS_BACKUP_RESULTS")
            .env_remove("RESULTS_BACKUP_BACKUPS")
            .args(["backup", "btc"]),
    )
    .assert_success();
    assert_eq!(archives_in(&root.join("backups")).len(), 1);
}

#[test]
fn without_a_configured_backups_folder_backups_go_beside_the_results_folder() {
    let ws = Sandbox::new(BIN);
    let root = ws.dir("elsewhere");
    results_named(&root, "my results", "btc");
    Run::of(
        std::process::Command::new(BIN)
            .current_dir(ws.dir("cwd"))
            .env("RESULTS_BACKUP_SETTINGS", root.join("absent.json"))
            .env_remove("RESULTS_BACKUP_RESULTS")
            .env_remove("RESULTS_BACKUP_BACKUPS")
            .arg("--results")
            .arg(root.join("my results"))
            .args(["backup", "btc"]),
    )
    .assert_success();
    assert_eq!(archives_in(&root.join("backups")).len(), 1);
    assert!(!ws.dir("cwd").join("backups").exists());
}

#[test]
fn compression_level_comes_from_the_settings_file_unless_given() {
    let ws = Sandbox::new(BIN);
    write_file(
        &ws.results.join("btc").join("trades.csv"),
        csv_bytes(7, 400_000),
    );
    let doc = serde_json::json!({
        "format_version": 1,
        "results_dir": ws.results,
        "backups_dir": ws.backups,
        "compression_level": 1,
    });
    fs::write(&ws.settings, serde_json::to_vec(&doc).unwrap()).unwrap();
    let fast = ws.run(["--json", "backup", "btc"]).assert_success().json();
    let smallest = ws
        .run(["--json", "backup", "btc", "--level", "9"])
        .assert_success()
        .json();
    let size = |v: &serde_json::Value| v[0]["backup"]["size"].as_u64().expect("size");
    assert!(
        size(&fast) > size(&smallest),
        "level 1 from settings ({}) should be larger than --level 9 ({})",
        size(&fast),
        size(&smallest)
    );
}

#[test]
fn an_unreadable_settings_file_is_a_plain_error_naming_it() {
    let ws = Sandbox::new(BIN);
    fs::write(&ws.settings, b"{ not json").unwrap();
    let run = ws.run(["scan"]);
    run.assert_code(1);
    assert!(run.stderr.contains("settings.json"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_missing_backups_folder_is_created_by_the_first_backup() {
    let ws = Sandbox::new(BIN);
    write_file(&ws.results.join("eth").join("a.csv"), b"x,y\n1,2\n");
    assert!(!ws.backups.exists());
    ws.run(["backup", "eth"]).assert_success();
    assert_eq!(archives_in(&ws.backups).len(), 1);
}
