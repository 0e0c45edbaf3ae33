//! `kill -9` at any moment leaves nothing that looks finished but is not. A backup of a
//! multi-megabyte strategy and a restore of it are killed at fixed moments (20, 50, 100, 200 ms),
//! at moments spread over a measured full run, and just after the temporary archive or staging
//! folder appears, so several kills land while the process is writing however fast it runs.
//! After every kill: each visible `.tar.gz` passes `check`, `catalog.json` parses and every
//! entry's archive exists, and a restore destination holds either no strategy folder or a
//! complete one. Then the next run works and clears what the dead ones left.

#![cfg(unix)]

use crate::BIN;
use results_backup_testkit::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const STRATEGY: &str = "momentum";
/// Fixed moments from the brief; the adaptive ones are fractions of a measured full run, denser
/// near its end, where the archive is published and the sidecar and catalog are written.
const FIXED_DELAYS_MS: [u64; 4] = [20, 50, 100, 200];
const FRACTIONS_OF_FULL_RUN: [f64; 8] = [0.3, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1];
/// Kills that must land while an archive or staging folder was being written.
const WANTED_MID_WRITE: usize = 4;
/// Kills timed from the moment the temporary archive or staging folder is first seen: these land
/// mid-write however fast the machine (or the app) is, where fixed delays may all miss.
const AFTER_WRITING_SEEN_MS: [u64; 4] = [0, 1, 3, 8];

/// About 7 MB: incompressible parts, a compressible CSV, nested folders, a link.
fn make_corpus(sandbox: &Sandbox) {
    let root = sandbox.results.join(STRATEGY);
    for i in 0..4u64 {
        write_file(
            &root.join(format!("runs/r{i}/equity.bin")),
            noise(1_500_000, 100 + i),
        );
    }
    let mut csv = b"date,price,signal\n".to_vec();
    for day in 0..40_000u32 {
        csv.extend_from_slice(
            format!(
                "2024-{:05},{}.{:02},{}\n",
                day,
                day % 977,
                day % 100,
                day % 3
            )
            .as_bytes(),
        );
    }
    write_file(&root.join("trades.csv"), &csv);
    write_file(
        &root.join("metrics.json"),
        b"{\"sharpe\": 2.1, \"trades\": 40000}\n",
    );
    for i in 0..30 {
        write_file(
            &root.join(format!("logs/day{i:02}.log")),
            format!("day {i} ok\n").as_bytes(),
        );
    }
    std::os::unix::fs::symlink("runs/r3/equity.bin", root.join("latest.bin")).unwrap();
}

/// How a killed run ended.
struct Kill {
    /// The process was still running when the signal was sent.
    alive: bool,
    /// ...and had a temporary archive or staging folder on disk at that moment.
    mid_write: bool,
}

/// When a run is killed: a fixed time after it starts, or a time after its temporary archive or
/// staging folder is first seen.
#[derive(Clone, Copy, Debug)]
enum Moment {
    AfterStart(Duration),
    AfterWritingSeen(Duration),
}

/// Starts the CLI with `args`, sends SIGKILL at `moment`, reaps it.
fn kill_at(sandbox: &Sandbox, args: &[&str], moment: Moment, writing: impl Fn() -> bool) -> Kill {
    let mut child = sandbox
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the CLI");
    match moment {
        Moment::AfterStart(delay) => std::thread::sleep(delay),
        Moment::AfterWritingSeen(extra) => {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !writing() && child.try_wait().expect("poll the CLI").is_none() {
                assert!(Instant::now() < deadline, "the CLI never started writing");
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(extra);
        }
    }
    let alive = child.try_wait().expect("poll the CLI").is_none();
    let mid_write = alive && writing();
    let _ = child.kill();
    let _ = child.wait();
    Kill { alive, mid_write }
}

fn has_partial_archive(backups: &Path) -> bool {
    names_in(backups)
        .iter()
        .any(|n| n.starts_with('.') && n.ends_with(".partial") && n.contains(".tar.gz."))
}

fn has_staging(dest: &Path) -> bool {
    names_in(dest)
        .iter()
        .any(|n| n.starts_with(".results-backup-staging-"))
}

/// Moments to try: the fixed delays, fractions of `full`, then moments just after writing began.
fn moments(full: Duration) -> Vec<Moment> {
    let fixed = FIXED_DELAYS_MS.iter().map(|&ms| Duration::from_millis(ms));
    let adaptive = FRACTIONS_OF_FULL_RUN.iter().map(|&f| full.mul_f64(f));
    let observed = AFTER_WRITING_SEEN_MS
        .iter()
        .map(|&ms| Moment::AfterWritingSeen(Duration::from_millis(ms)));
    fixed
        .chain(adaptive)
        .map(Moment::AfterStart)
        .chain(observed)
        .collect()
}

/// Kills a run as soon as it is seen writing, until one dies while `writing()` holds, so the
/// next run has a dead process's temporary files to clear.
fn leave_a_corpse(sandbox: &Sandbox, args: &[&str], full: Duration, writing: impl Fn() -> bool) {
    for _ in 0..5 {
        if kill_at(
            sandbox,
            args,
            Moment::AfterWritingSeen(Duration::ZERO),
            &writing,
        )
        .mid_write
        {
            assert!(writing(), "a killed run leaves its temporary files behind");
            return;
        }
    }
    panic!("no run could be killed while writing (full run: {full:?})");
}

fn timed(run: impl FnOnce() -> Run) -> Duration {
    let start = Instant::now();
    run().assert_success();
    start.elapsed()
}

/// Every visible archive not yet proven passes `check`; the catalog parses and names only
/// archives that exist.
fn assert_backups_consistent(sandbox: &Sandbox, proven: &mut BTreeSet<String>, moment: &str) {
    let backups = sandbox.backups.clone();
    for archive in visible_archives(&backups) {
        if proven.contains(&archive) {
            continue;
        }
        let run = sandbox.run(["check", &backups.join(&archive).to_string_lossy()]);
        assert_eq!(
            run.code,
            Some(0),
            "after a kill at {moment}, {archive} looks finished but fails check\n{}",
            run.describe()
        );
        proven.insert(archive);
    }
    let catalog = backups.join("catalog.json");
    if let Ok(bytes) = fs::read(&catalog) {
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("after a kill at {moment}, catalog.json does not parse: {e}")
        });
        assert_eq!(doc["format"], "results-backup-catalog");
        for entry in doc["backups"].as_array().expect("a list of backups") {
            let file = entry["backup_file"].as_str().expect("a file name");
            assert!(
                backups.join(file).is_file(),
                "after a kill at {moment}, the catalog lists {file}, which does not exist"
            );
        }
    }
}

#[test]
fn a_backup_killed_at_any_moment_leaves_only_finished_backups_and_the_next_run_cleans_up() {
    let sandbox = Sandbox::new(BIN);
    make_corpus(&sandbox);
    let backups = sandbox.backups.clone();
    let full = timed(|| sandbox.run(["backup", STRATEGY]));
    let mut proven = BTreeSet::new();
    let mut mid_write = 0;
    let mut alive = 0;
    for moment in moments(full) {
        let kill = kill_at(&sandbox, &["backup", STRATEGY], moment, || {
            has_partial_archive(&backups)
        });
        alive += kill.alive as usize;
        mid_write += kill.mid_write as usize;
        assert_backups_consistent(&sandbox, &mut proven, &format!("{moment:?}"));
    }

    assert!(
        mid_write >= WANTED_MID_WRITE,
        "only {mid_write} kills landed while the archive was being written (full run: {full:?})"
    );

    eprintln!("backup: full run {full:?}, {alive} kills while running, {mid_write} mid-write");
    // Later runs already cleared what earlier ones left; leave one fresh corpse for the next run.
    leave_a_corpse(&sandbox, &["backup", STRATEGY], full, || {
        has_partial_archive(&backups)
    });
    assert_backups_consistent(&sandbox, &mut proven, "half a run");

    // The next run works, and removes what the killed runs left behind.
    sandbox.run(["backup", STRATEGY]).assert_success();
    let leftovers: Vec<String> = names_in(&backups)
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "left by dead runs and not cleaned: {leftovers:?}"
    );
    sandbox.run(["check", "--all"]).assert_success();
    let listed = sandbox.run(["--json", "list"]);
    listed.assert_success();
    let entries: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let listed: BTreeSet<String> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["backup_file"].as_str().unwrap().to_string())
        .collect();
    let on_disk: BTreeSet<String> = visible_archives(&backups).into_iter().collect();
    assert_eq!(listed, on_disk, "the catalog knows every finished archive");
}

/// What a restored tree must match: kinds, sizes, contents and link targets (modes and times are
/// the round-trip tests' business).
fn contents(folder: &Path) -> Tree {
    snapshot(folder).without_root().contents()
}

#[test]
fn a_restore_killed_at_any_moment_leaves_no_strategy_folder_or_a_complete_one() {
    let sandbox = Sandbox::new(BIN);
    make_corpus(&sandbox);
    sandbox.run(["backup", STRATEGY]).assert_success();
    let backup = visible_archives(&sandbox.backups).remove(0);
    let expected = contents(&sandbox.results.join(STRATEGY));
    let dest = sandbox.path("restore-here");
    let dest_arg = dest.to_string_lossy().into_owned();
    let args = ["restore", backup.as_str(), "--to", dest_arg.as_str()];

    let full = timed(|| sandbox.run(args));
    fs::remove_dir_all(dest.join(STRATEGY)).unwrap();
    let mut mid_write = 0;
    let mut alive = 0;
    let mut complete = 0;
    for moment in moments(full) {
        let kill = kill_at(&sandbox, &args, moment, || has_staging(&dest));
        alive += kill.alive as usize;
        mid_write += kill.mid_write as usize;
        let strategies: Vec<String> = names_in(&dest)
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect();
        match strategies.as_slice() {
            [] => {}
            [one] if one == STRATEGY => {
                assert_same_tree(
                    &expected,
                    &contents(&dest.join(STRATEGY)),
                    &format!("after a kill at {moment:?} the restored folder (incomplete?)"),
                );
                complete += 1;
                fs::remove_dir_all(dest.join(STRATEGY)).unwrap();
            }
            other => panic!("after a kill at {moment:?} the destination holds {other:?}"),
        }
    }
    assert!(
        mid_write >= WANTED_MID_WRITE,
        "only {mid_write} kills landed while the restore was staging (full run: {full:?}, {complete} completed)"
    );

    eprintln!(
        "restore: full run {full:?}, {alive} kills while running, {mid_write} mid-write, {complete} completed"
    );
    leave_a_corpse(&sandbox, &args, full, || has_staging(&dest));
    assert!(
        !dest.join(STRATEGY).exists(),
        "a restore killed while staging has not moved anything into place"
    );

    // The next restore works and clears the staging folders of the dead ones.
    sandbox.run(args).assert_success();
    assert_same_tree(
        &expected,
        &contents(&dest.join(STRATEGY)),
        "the restored folder",
    );
    let leftovers: Vec<String> = names_in(&dest)
        .into_iter()
        .filter(|n| n != STRATEGY)
        .collect();
    assert!(
        leftovers.is_empty(),
        "left by dead restores and not cleaned: {leftovers:?}"
    );
}
