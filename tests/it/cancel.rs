//! Ctrl-C (SIGINT) stops a backup or a restore at its next checkpoint and leaves nothing behind:
//! no partial archive, no catalog entry, no staging folder, no half-restored strategy.

use crate::BIN;
use results_backup_testkit::*;
use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A strategy large enough that backing it up or restoring it takes a noticeable moment.
pub(crate) fn build_large_strategy(ws: &Sandbox, name: &str) {
    let dir = ws.results.join(name);
    let mut rng = Rng::new(99);
    for i in 0..6 {
        write_file(
            &dir.join(format!("plot_{i}.png")),
            rng.bytes(12 * 1024 * 1024),
        );
    }
    write_file(&dir.join("metrics.json"), METRICS_JSON);
}

fn has_hidden_work_file(dir: &Path, prefix: &str) -> bool {
    names_in(dir).iter().any(|n| n.starts_with(prefix))
}

/// Waits until `ready` holds (the child is mid-job), then sends SIGINT. Returns false when the
/// child finished before it could be interrupted.
pub(crate) fn interrupt_when(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if child.try_wait().expect("poll child").is_some() {
            return false;
        }
        if ready() {
            let status = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill is installed");
            assert!(status.success());
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("the job never reached the point where it could be interrupted");
}

#[test]
fn ctrl_c_during_backup_leaves_no_partial_archive_and_no_catalog_entry() {
    let ws = Sandbox::new(BIN);
    build_large_strategy(&ws, "big");
    let before = snapshot(&ws.results);
    let mut child = ws
        .command(["backup", "big"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let backups = ws.backups.clone();
    let interrupted = interrupt_when(&mut child, || {
        backups.is_dir() && has_hidden_work_file(&backups, ".big_")
    });
    assert!(
        interrupted,
        "the backup finished before Ctrl-C could be sent"
    );
    let run = Run::from_output("backup big", child.wait_with_output().expect("wait"));
    run.assert_code(130);
    assert!(run.stderr.contains("cancelled"), "{}", run.stderr);
    assert!(archives_in(&ws.backups).is_empty());
    assert!(
        !has_hidden_work_file(&ws.backups, ".big_"),
        "partial file left"
    );
    if let Ok(catalog) = fs::read_to_string(ws.backups.join("catalog.json")) {
        assert!(!catalog.contains("\"big\""), "{catalog}");
    }
    assert_same_tree(&before, &snapshot(&ws.results), "the results folder");
    // The next run works as if nothing had happened.
    ws.run(["backup", "big"]).assert_success();
    ws.run(["check", "--all"]).assert_success();
}

#[test]
fn ctrl_c_during_restore_leaves_the_destination_as_it_was() {
    let ws = Sandbox::new(BIN);
    build_large_strategy(&ws, "big");
    let backup = ws.backup_lib("big");
    let destination = ws.dir("restore-here");
    write_file(&destination.join("keep.txt"), b"already here");
    let before = snapshot(&destination);
    let mut child = ws
        .command(["restore", &backup, "--to"])
        .arg(&destination)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let watched = destination.clone();
    let interrupted = interrupt_when(&mut child, || {
        has_hidden_work_file(&watched, ".results-backup-staging-")
    });
    assert!(
        interrupted,
        "the restore finished before Ctrl-C could be sent"
    );
    let run = Run::from_output("restore big", child.wait_with_output().expect("wait"));
    run.assert_code(130);
    assert!(run.stderr.contains("cancelled"), "{}", run.stderr);
    assert!(
        !destination.join("big").exists(),
        "a half-restored folder was left"
    );
    assert!(
        !has_hidden_work_file(&destination, ".results-backup-staging-"),
        "staging folder left"
    );
    // Everything inside is unchanged; only the folder's own time moved (staging was created
    // and removed in it).
    assert_same_tree(
        &before.without_root(),
        &snapshot(&destination).without_root(),
        "the destination",
    );
}
