//! Bad input meets a clear error and loses nothing. Every case runs the CLI as a process and
//! checks: the exit status (1, or 2 for usage errors); stderr is one plain sentence naming the
//! file plus a hint, never a panic or a debug dump; the results folder is unchanged and the
//! backups folder holds nothing new but what should be there.
//!
//! Permission denied is real here even though the tests run as root: the CLI child runs under
//! `setpriv` without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. A full disk is a 1 MiB tmpfs mounted
//! as the backups folder inside a private mount namespace (`unshare --mount`, or
//! `unshare --map-root-user --mount` when not root).

#![cfg(unix)]

use crate::BIN;
use results_backup_testkit::raw_tar::gzip;
use results_backup_testkit::*;
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A sandbox with two strategies already backed up once, and snapshots of both folders taken
/// right before the bad input arrives.
struct Scene {
    sandbox: Sandbox,
    results_before: Tree,
    backups_before: Tree,
}

impl Scene {
    fn new() -> Scene {
        let sandbox = Sandbox::new(BIN);
        let results = sandbox.results.clone();
        write_file(
            &results.join("btc_sma/trades.csv"),
            b"date,pnl\n2024-01-02,12.5\n",
        );
        write_file(
            &results.join("btc_sma/metrics.json"),
            b"{\"sharpe\": 1.4, \"max_drawdown\": -0.12}\n",
        );
        write_file(
            &results.join("btc_sma/runs/r1/equity.csv"),
            noise(20_000, 1),
        );
        write_file(
            &results.join("eth_rsi/trades.csv"),
            b"date,pnl\n2024-01-03,-3.0\n",
        );
        sandbox.run(["backup", "--all"]).assert_success();
        let mut scene = Scene {
            sandbox,
            results_before: Tree::new(),
            backups_before: Tree::new(),
        };
        scene.remember();
        scene
    }

    /// Takes the "before" snapshots again (after the test arranged its bad input).
    fn remember(&mut self) {
        self.results_before = snapshot(&self.sandbox.results).without_root();
        self.backups_before = snapshot(&self.sandbox.backups).without_root();
    }

    fn backup_of(&self, strategy: &str) -> String {
        visible_archives(&self.sandbox.backups)
            .into_iter()
            .find(|n| n.starts_with(&format!("{strategy}_")))
            .unwrap_or_else(|| panic!("a backup of {strategy}"))
    }

    /// The results folder is exactly as it was and the backups folder holds nothing new
    /// (`catalog.json` may only gain check results, compared separately where it matters).
    fn assert_nothing_lost(&self, after_what: &str) {
        assert_same_tree(
            &self.results_before,
            &snapshot(&self.sandbox.results).without_root(),
            &format!("the results folder after {after_what}"),
        );
        assert_same_tree(
            &self.backups_before,
            &snapshot(&self.sandbox.backups).without_root(),
            &format!("the backups folder after {after_what}"),
        );
    }
}

fn s(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn a_missing_results_folder_is_named() {
    let sandbox = Sandbox::empty(BIN);
    let results = s(&sandbox.results);
    for args in [&["backup", "btc_sma"][..], &["backup", "--all"], &["scan"]] {
        sandbox
            .run(args)
            .assert_plain_error(1, &[&results, "does not exist"]);
    }
    assert_eq!(
        names_in(&sandbox.root),
        Vec::<String>::new(),
        "nothing was created"
    );
}

#[test]
fn a_results_folder_that_is_a_file_is_named() {
    let sandbox = Sandbox::empty(BIN);
    write_file(&sandbox.results, b"not a folder\n");
    let results = s(&sandbox.results);
    for args in [&["backup", "btc_sma"][..], &["backup", "--all"], &["scan"]] {
        sandbox
            .run(args)
            .assert_plain_error(1, &[&results, "is a file, not a folder"]);
    }
    assert_eq!(fs::read(&sandbox.results).unwrap(), b"not a folder\n");
    assert_eq!(names_in(&sandbox.root), vec!["results".to_string()]);
}

#[test]
fn an_unknown_strategy_is_named() {
    let scene = Scene::new();
    scene
        .sandbox
        .run(["backup", "no_such_strategy"])
        .assert_plain_error(1, &["\"no_such_strategy\"", &s(&scene.sandbox.results)]);
    scene.assert_nothing_lost("backing up an unknown strategy");
}

#[test]
fn a_strategy_name_with_a_slash_or_dot_dot_is_refused() {
    let scene = Scene::new();
    // Something a name could reach if it were joined unchecked.
    write_file(&scene.sandbox.path("elsewhere/secret.txt"), b"secret\n");
    for name in [
        "btc_sma/runs",
        "..",
        "../elsewhere",
        "btc_sma/../eth_rsi",
        ".",
        "btc_sma\\runs",
        "/etc",
    ] {
        scene
            .sandbox
            .run(["backup", name])
            .assert_plain_error(1, &[&format!("\"{name}\" is not a valid strategy name")]);
    }
    scene.assert_nothing_lost("backing up strategy names with slashes");
}

#[test]
fn an_unreadable_file_fails_the_backup_with_permission_denied() {
    let mut scene = Scene::new();
    let secret = scene.sandbox.results.join("btc_sma/runs/r1/secret.csv");
    write_file(&secret, b"classified\n");
    set_mode(&secret, 0o000);
    scene.remember();
    let run = scene
        .sandbox
        .run_wrapped(&without_permission_override(), ["backup", "btc_sma"]);
    run.assert_plain_error(1, &[&s(&secret), "permission denied"]);
    scene.assert_nothing_lost("a backup that met an unreadable file");
    set_mode(&secret, 0o644);
}

#[test]
fn an_unreadable_folder_fails_the_backup_with_permission_denied() {
    let mut scene = Scene::new();
    let locked = scene.sandbox.results.join("btc_sma/locked");
    write_file(&locked.join("inside.csv"), b"1\n");
    set_mode(&locked, 0o000);
    scene.remember();
    let run = scene
        .sandbox
        .run_wrapped(&without_permission_override(), ["backup", "btc_sma"]);
    run.assert_plain_error(1, &[&s(&locked), "permission denied"]);
    scene.assert_nothing_lost("a backup that met an unreadable folder");
    set_mode(&locked, 0o755);
}

#[test]
fn a_backups_folder_that_is_not_writable_fails_with_permission_denied() {
    let scene = Scene::new();
    let backups = scene.sandbox.backups.clone();
    set_mode(&backups, 0o555);
    write_file(&scene.sandbox.results.join("btc_sma/new.csv"), b"new\n");
    let results_now = snapshot(&scene.sandbox.results).without_root();
    let run = scene
        .sandbox
        .run_wrapped(&without_permission_override(), ["backup", "btc_sma"]);
    set_mode(&backups, 0o755);
    run.assert_plain_error(1, &[&s(&backups), "permission denied"]);
    assert_same_tree(
        &scene.backups_before,
        &snapshot(&backups).without_root(),
        "the read-only backups folder",
    );
    assert_same_tree(
        &results_now,
        &snapshot(&scene.sandbox.results).without_root(),
        "results",
    );
    // Once writable again the same backup works.
    scene.sandbox.run(["backup", "btc_sma"]).assert_success();
}

/// Runs `backup <strategy> --level 1` and, once it has written `threshold` bytes of archive
/// (so it is reading the big file), calls `strike`. Returns the run, or `None` when the backup
/// finished before the strike could land.
fn backup_and_strike(sandbox: &Sandbox, strategy: &str, strike: impl FnOnce()) -> Option<Run> {
    let threshold = 1024 * 1024;
    let mut child = sandbox
        .command(["backup", strategy, "--level", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the CLI");
    let backups = sandbox.backups.clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut strike = Some(strike);
    while Instant::now() < deadline {
        if child.try_wait().expect("poll the CLI").is_some() {
            break;
        }
        let written: u64 = names_in(&backups)
            .iter()
            .filter(|n| n.ends_with(".partial") && n.contains(".tar.gz."))
            .filter_map(|n| fs::metadata(backups.join(n)).ok())
            .map(|m| m.len())
            .sum();
        if written >= threshold {
            (strike.take().unwrap())();
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let output = child.wait_with_output().expect("wait for the CLI");
    let run = Run::from_output(format!("{BIN} backup {strategy} --level 1"), output);
    if strike.is_some() || run.code == Some(0) {
        return None;
    }
    Some(run)
}

/// Big enough that a debug build needs a good fraction of a second to pack it.
const BIG: usize = 24 * 1024 * 1024;

#[test]
fn a_file_that_shrinks_mid_backup_is_reported_as_changed() {
    let big_content = noise(BIG, 7);
    for attempt in 1..=5 {
        let sandbox = Sandbox::new(BIN);
        let big = sandbox.results.join("live/big.bin");
        write_file(&big, &big_content);
        write_file(&sandbox.results.join("live/z.txt"), b"small\n");
        let Some(run) = backup_and_strike(&sandbox, "live", || {
            OpenOptions::new()
                .write(true)
                .open(&big)
                .and_then(|f| f.set_len(1000))
                .expect("truncate the file being backed up");
        }) else {
            eprintln!("attempt {attempt}: the backup finished before the truncation; retrying");
            continue;
        };
        run.assert_plain_error(1, &[&s(&big), "changed while it was being backed up"]);
        assert_eq!(
            names_in(&sandbox.backups),
            Vec::<String>::new(),
            "no archive, partial file or catalog is left by the failed backup"
        );
        return;
    }
    panic!("the truncation never landed while the backup was reading the file");
}

#[test]
fn a_file_that_vanishes_mid_backup_is_reported_as_changed() {
    let big_content = noise(BIG, 8);
    for attempt in 1..=5 {
        let sandbox = Sandbox::new(BIN);
        write_file(&sandbox.results.join("live/a_big.bin"), &big_content);
        let doomed = sandbox.results.join("live/z_doomed.csv");
        write_file(&doomed, b"soon gone\n");
        let Some(run) = backup_and_strike(&sandbox, "live", || {
            fs::remove_file(&doomed).expect("delete a file about to be backed up");
        }) else {
            eprintln!("attempt {attempt}: the backup finished before the deletion; retrying");
            continue;
        };
        run.assert_plain_error(1, &[&s(&doomed), "changed while it was being backed up"]);
        assert_eq!(names_in(&sandbox.backups), Vec::<String>::new());
        return;
    }
    panic!("the deletion never landed while the backup was running");
}

/// The shell script run inside a private mount namespace: a 1 MiB tmpfs becomes the backups
/// folder, a small backup seeds it, a big one must fail, and what the tmpfs held afterwards is
/// copied out (the mount vanishes with the namespace).
const DISK_FULL_SCRIPT: &str = r#"
set -u
mount -t tmpfs -o size=1m rb-test-full "$B" || exit 90
"$BIN" --results "$R" --backups "$B" backup small >"$O/seed.out" 2>"$O/seed.err" || exit 91
mkdir "$O/before" && cp -a "$B/." "$O/before/" || exit 92
"$BIN" --results "$R" --backups "$B" backup big >"$O/full.out" 2>"$O/full.err"
echo $? >"$O/full.code"
mkdir "$O/after" && cp -a "$B/." "$O/after/" || exit 93
"$BIN" --results "$R" --backups "$B" check --all >"$O/check.out" 2>"$O/check.err"
echo $? >"$O/check.code"
exit 0
"#;

#[test]
fn a_full_disk_is_reported_and_nothing_is_left_half_written() {
    require_tool("unshare", "util-linux");
    let sandbox = Sandbox::new(BIN);
    let results = sandbox.results.clone();
    write_file(&results.join("small/a.txt"), b"tiny\n");
    for i in 0..3 {
        write_file(
            &results.join(format!("big/part{i}.bin")),
            noise(1024 * 1024, 30 + i),
        );
    }
    let backups = sandbox.backups.clone();
    fs::create_dir_all(&backups).unwrap();
    let observed = sandbox.path("observed");
    fs::create_dir_all(&observed).unwrap();
    let results_before = snapshot(&results).without_root();

    let mut command = Command::new("unshare");
    if !is_root() {
        command.arg("--map-root-user");
    }
    command.args(["--mount", "sh", "-c", DISK_FULL_SCRIPT]);
    sandbox.isolate(&mut command);
    command
        .env("BIN", BIN)
        .env("R", &results)
        .env("B", &backups)
        .env("O", &observed);
    let script = Run::of(&mut command);
    let read = |name: &str| fs::read_to_string(observed.join(name)).unwrap_or_default();
    assert_eq!(
        script.code,
        Some(0),
        "the disk-full setup failed (90: tmpfs mount, 91: seed backup, 92/93: copying the tmpfs out)\n{}\nseed stderr: {}",
        script.describe(),
        read("seed.err")
    );

    let full = Run {
        code: read("full.code").trim().parse().ok(),
        stdout: read("full.out"),
        stderr: read("full.err"),
        command: "backup big (on a 1 MiB tmpfs)".into(),
    };
    full.assert_plain_error(1, &[&s(&backups), "the disk is full"]);
    let before = snapshot(&observed.join("before")).without_root();
    assert!(
        before
            .keys()
            .any(|n| n.starts_with("small_") && n.ends_with(".tar.gz")),
        "the seed backup was made: {before:?}"
    );
    assert_same_tree(
        &before,
        &snapshot(&observed.join("after")).without_root(),
        "the full backups folder (no partial file, catalog intact)",
    );
    assert_eq!(
        read("check.code").trim(),
        "0",
        "check: {}",
        read("check.out")
    );
    assert_same_tree(
        &results_before,
        &snapshot(&results).without_root(),
        "the results folder",
    );
    assert_eq!(
        names_in(&backups),
        Vec::<String>::new(),
        "the tmpfs is gone"
    );
}

#[test]
fn a_corrupt_catalog_is_rebuilt_with_a_warning_and_no_backup_is_lost() {
    let scene = Scene::new();
    let backups = scene.sandbox.backups.clone();
    let catalog = backups.join("catalog.json");
    let archives = visible_archives(&backups);
    assert_eq!(archives.len(), 2);
    fs::write(
        &catalog,
        b"{\"format\": \"results-backup-catalog\", \"backu\x00\xff garbage",
    )
    .unwrap();
    // One sidecar lost too: the rebuild must fall back on the archive's embedded manifest.
    fs::remove_file(backups.join(archives[0].replace(".tar.gz", ".manifest.json"))).unwrap();

    let run = scene.sandbox.run(["list"]);
    run.assert_success();
    assert!(
        run.stderr.contains("warning: ") && run.stderr.contains(&s(&catalog)),
        "the rebuild is announced\n{}",
        run.describe()
    );
    for archive in &archives {
        assert!(
            run.stdout.contains(archive.as_str()),
            "{archive} listed\n{}",
            run.describe()
        );
    }
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&catalog).unwrap())
        .expect("the rebuilt catalog is valid JSON");
    assert_eq!(doc["backups"].as_array().unwrap().len(), 2);
    assert_eq!(visible_archives(&backups), archives, "no archive lost");
    let run = scene.sandbox.run(["check", "--all"]);
    run.assert_success();
    scene.assert_nothing_lost_in_results();
}

impl Scene {
    fn assert_nothing_lost_in_results(&self) {
        assert_same_tree(
            &self.results_before,
            &snapshot(&self.sandbox.results).without_root(),
            "the results folder",
        );
    }
}

/// A destination that holds an analyst's work; restores that fail must leave it as it is.
fn destination(sandbox: &Sandbox) -> PathBuf {
    let dest = sandbox.path("restore-here");
    write_file(&dest.join("mine.txt"), b"mine\n");
    write_file(&dest.join("btc_sma/trades.csv"), b"my own edits\n");
    dest
}

/// `restore <given> --to <dest>` fails with a plain error naming `mentions`, and neither the
/// destination nor a not-yet-existing destination is touched.
fn assert_restore_refused(scene: &Scene, given: &str, mentions: &[&str]) {
    let dest = destination(&scene.sandbox);
    let before = snapshot(&dest).without_root();
    let run = scene.sandbox.run(["restore", given, "--to", &s(&dest)]);
    run.assert_plain_error(1, mentions);
    assert_same_tree(
        &before,
        &snapshot(&dest).without_root(),
        "the restore destination",
    );
    let fresh = scene.sandbox.path("new-place/deeper");
    let run = scene.sandbox.run(["restore", given, "--to", &s(&fresh)]);
    run.assert_plain_error(1, mentions);
    assert!(
        !scene.sandbox.path("new-place").exists(),
        "a failed restore created its destination {}",
        fresh.display()
    );
}

/// `check <given>` exits 1 and reports `word` (DAMAGED / MISSING) with `detail`.
fn assert_check_reports(scene: &Scene, given: &str, word: &str, detail: &str) {
    let run = scene.sandbox.run(["check", given]);
    assert_eq!(run.code, Some(1), "check fails\n{}", run.describe());
    run.assert_no_dump();
    assert!(
        run.stdout.contains(word) && run.stdout.contains(detail),
        "check reports {word} with {detail:?}\n{}",
        run.describe()
    );
}

#[test]
fn a_missing_archive_is_reported_by_check_and_restore() {
    let mut scene = Scene::new();
    let name = scene.backup_of("btc_sma");
    let archive = scene.sandbox.backups.join(&name);
    fs::remove_file(&archive).unwrap();
    scene.remember();
    assert_check_reports(&scene, &name, "MISSING", "the archive file is missing");
    assert_restore_refused(&scene, &name, &[&s(&archive), "does not exist"]);
    scene.assert_nothing_lost_in_results();
}

/// A minimal, valid zip holding one stored file (what a person might rename by mistake).
fn tiny_zip() -> Vec<u8> {
    let name = b"btc_sma/trades.csv";
    let data = b"date,pnl\n";
    let crc = crc32fast::hash(data);
    let mut z = Vec::new();
    let u16le = |z: &mut Vec<u8>, v: u16| z.extend_from_slice(&v.to_le_bytes());
    let u32le = |z: &mut Vec<u8>, v: u32| z.extend_from_slice(&v.to_le_bytes());
    u32le(&mut z, 0x0403_4b50);
    for v in [20, 0, 0, 0, 0x21] {
        u16le(&mut z, v);
    }
    for v in [crc, data.len() as u32, data.len() as u32] {
        u32le(&mut z, v);
    }
    u16le(&mut z, name.len() as u16);
    u16le(&mut z, 0);
    z.extend_from_slice(name);
    z.extend_from_slice(data);
    let directory = z.len() as u32;
    u32le(&mut z, 0x0201_4b50);
    for v in [20, 20, 0, 0, 0, 0x21] {
        u16le(&mut z, v);
    }
    for v in [crc, data.len() as u32, data.len() as u32] {
        u32le(&mut z, v);
    }
    for v in [name.len() as u16, 0, 0, 0, 0] {
        u16le(&mut z, v);
    }
    u32le(&mut z, 0);
    u32le(&mut z, 0);
    z.extend_from_slice(name);
    let directory_size = z.len() as u32 - directory;
    u32le(&mut z, 0x0605_4b50);
    for v in [0, 0, 1, 1] {
        u16le(&mut z, v);
    }
    u32le(&mut z, directory_size);
    u32le(&mut z, directory);
    u16le(&mut z, 0);
    z
}

/// Files that are not `.tar.gz` backups at all, dropped in beside the backups.
fn wrong_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let text = b"date,pnl\n2024-01-02,12.5\n".repeat(40);
    vec![
        (
            "not_gzip.tar.gz",
            text.clone(),
            "it is not compressed with gzip",
        ),
        (
            "gzip_not_tar.tar.gz",
            gzip(&text),
            "it does not contain a tar archive",
        ),
        ("renamed_zip.tar.gz", tiny_zip(), "it is a zip file"),
        ("empty.tar.gz", Vec::new(), "it is empty"),
    ]
}

#[test]
fn files_that_are_not_backups_are_refused_by_check_and_restore() {
    let mut scene = Scene::new();
    let incoming = scene.sandbox.path("incoming");
    for (name, bytes, _) in wrong_files() {
        write_file(&incoming.join(name), &bytes);
    }
    scene.remember();
    for (name, _, detail) in wrong_files() {
        let given = s(&incoming.join(name));
        assert_check_reports(&scene, &given, "DAMAGED", detail);
        assert_restore_refused(&scene, &given, &[&given, detail]);
    }
    scene.assert_nothing_lost("checking and restoring files that are not backups");
}

#[test]
fn a_truncated_archive_is_refused_by_check_and_restore() {
    let mut scene = Scene::new();
    let name = scene.backup_of("btc_sma");
    let archive = scene.sandbox.backups.join(&name);
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    scene.remember();
    assert_check_reports(&scene, &name, "DAMAGED", "truncated");
    assert_restore_refused(&scene, &name, &[&s(&archive), "truncated"]);
    scene.assert_nothing_lost_in_results();
    assert_eq!(fs::read(&archive).unwrap(), &bytes[..bytes.len() / 2]);
}

#[test]
fn an_archive_with_one_flipped_bit_is_refused_by_check_and_restore() {
    let mut scene = Scene::new();
    let name = scene.backup_of("btc_sma");
    let archive = scene.sandbox.backups.join(&name);
    let mut bytes = fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    fs::write(&archive, &bytes).unwrap();
    scene.remember();
    assert_check_reports(&scene, &name, "DAMAGED", &name);
    assert_restore_refused(&scene, &name, &[&s(&archive), "damaged"]);
    scene.assert_nothing_lost_in_results();
}

#[test]
fn delete_without_yes_is_a_usage_error_and_deletes_nothing() {
    let scene = Scene::new();
    let name = scene.backup_of("btc_sma");
    let run = scene.sandbox.run(["delete", &name]);
    run.assert_usage_error();
    assert!(run.stderr.contains("--yes"), "{}", run.describe());
    scene.assert_nothing_lost("delete without --yes");
}

#[test]
fn unknown_subcommands_and_bad_flags_are_usage_errors() {
    let scene = Scene::new();
    for args in [
        &["frobnicate"][..],
        &["backup", "btc_sma", "--no-such-flag"],
        &["backup", "btc_sma", "--level", "12"],
        &["backup", "btc_sma", "--level", "fast"],
        &["backup"],
        &["restore"],
        &["restore", "x", "--on-conflict", "overwrite"],
        &["--bogus", "scan"],
        // Options but no subcommand. (A bare `results-backup` prints the full help instead; the
        // old runner always added `--results` and `--backups`, so this is what `[]` tested.)
        &["--results", "results", "--backups", "backups"],
    ] {
        scene.sandbox.run(args).assert_usage_error();
    }
    scene.assert_nothing_lost("usage errors");
}
