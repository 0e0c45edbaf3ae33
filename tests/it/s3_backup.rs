//! Backing up straight into an S3 store (`--backups s3://bucket/prefix backup`), against a real
//! S3 server on loopback (moto): the backup proves itself from the store and restores the same
//! files, any gzip/tar reader opens the object, `--if-changed` and `scan` compare with the store's
//! latest backup, concurrent writers neither lose entries nor overwrite each other, and a cancel
//! leaves nothing, not even an open multipart upload.

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::cancel::{build_large_strategy, interrupt_when};
use crate::s3::{
    assert_no_secret, location_of, restore_from_store, run_s3, store_of, test_credentials,
};
use crate::BIN;
use results_backup::{
    back_up_each_in, back_up_in_handing_over, back_up_into_store, BackupOptions, BackupOutcome,
    BackupStatus, BackupsStore, CancelToken, Error, Locations, Progress, ProgressUpdate,
    RemoteStore, ARCHIVE_SUFFIX, PART_BYTES,
};
use results_backup_testkit::s3::S3Server;
use results_backup_testkit::*;
use serde_json::Value;

/// A small strategy plus an incompressible file larger than one upload part, so its archive
/// goes up as a real multipart upload.
fn build_strategy_of_several_parts(ws: &Sandbox, name: &str, seed: u64) {
    let dir = build_small_strategy(&ws.results, name, seed);
    write_file(
        &dir.join("plots/equity.png"),
        Rng::new(seed).bytes(PART_BYTES + PART_BYTES / 2),
    );
    // Whole-second times, as an archive keeps them.
    fix_modes(&dir);
    fix_times(&dir);
}

/// The CLI backing up `args` into `store`, started and not waited for.
fn spawn_backup(ws: &Sandbox, server: &S3Server, store: &str, args: &[&str]) -> Child {
    let mut command = ws.command(["--backups", store, "--endpoint", &server.endpoint()]);
    command.arg("backup").args(args).arg("--json");
    for (key, value) in server.env() {
        command.env(key, value);
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the CLI")
}

fn finished(child: Child) -> Run {
    Run::from_output(
        "results-backup backup",
        child.wait_with_output().expect("wait"),
    )
}

/// The backup file names a `backup --json` run reports as created.
fn created_names(run: &Run) -> Vec<String> {
    run.json()
        .as_array()
        .expect("a list")
        .iter()
        .filter(|item| item["status"] == "created")
        .filter_map(|item| item["backup"]["backup_file"].as_str().map(String::from))
        .collect()
}

fn listed_names(ws: &Sandbox, server: &S3Server, store: &str) -> Vec<String> {
    let listed = run_s3(ws, server, &["--backups", store, "list", "--json"]);
    listed.assert_success();
    let mut names: Vec<String> = listed
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|entry| entry["backup_file"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}

fn assert_all_verified(ws: &Sandbox, server: &S3Server, store: &str, count: usize) {
    let checked = run_s3(
        ws,
        server,
        &["--backups", store, "check", "--all", "--json"],
    );
    checked.assert_success();
    let reports = checked.json();
    assert_eq!(reports.as_array().map(Vec::len), Some(count), "{reports}");
    for report in reports.as_array().into_iter().flatten() {
        assert_eq!(report["ok"], true, "{}", checked.describe());
        assert_eq!(report["quick"], false, "{}", checked.describe());
    }
}

#[test]
fn backup_into_the_store_then_check_and_restore_give_the_same_files() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_strategy_of_several_parts(&ws, "alpha", 1);
    let store = server.address("team/results");

    let run = run_s3(
        &ws,
        &server,
        &["--backups", &store, "backup", "alpha", "--json"],
    );
    run.assert_success();
    assert_no_secret(&run);
    let created = &run.json()[0];
    assert_eq!(created["status"], "created", "{}", run.describe());
    let archive = created["backup"]["backup_file"]
        .as_str()
        .expect("a file name")
        .to_string();
    assert!(archive.starts_with("alpha_") && archive.ends_with(ARCHIVE_SUFFIX));
    assert_eq!(
        created["path"],
        format!("{store}/{archive}"),
        "{}",
        run.describe()
    );

    let stem = archive.trim_end_matches(ARCHIVE_SUFFIX);
    let mut keys = server.object_keys("team/results/");
    keys.sort();
    assert_eq!(
        keys,
        vec![
            format!("team/results/{stem}.manifest.json"),
            format!("team/results/{archive}"),
            format!("team/results/catalog.d/{archive}.json"),
        ]
    );
    assert!(server.open_uploads().is_empty(), "no upload left open");
    assert!(
        !ws.backups.exists(),
        "nothing was written to a local folder"
    );

    // The sidecar is the local backup's: the archive's checksum and its index included.
    let objects = store_of(&server, "team/results");
    let sidecar: Value = serde_json::from_slice(
        &objects
            .read_small(&format!("{stem}.manifest.json"), 1 << 20)
            .expect("the sidecar"),
    )
    .expect("JSON");
    assert_eq!(sidecar["archive"]["file"], archive.as_str());
    assert_eq!(sidecar["archive"]["sha256"], created["backup"]["sha256"]);
    assert_eq!(
        sidecar["archive"]["size"].as_u64(),
        objects.size_of(&archive).expect("head")
    );
    assert!(
        sidecar["index"]["members"].as_array().map(Vec::len) > Some(1),
        "{sidecar}"
    );

    assert_all_verified(&ws, &server, &store, 1);
    let fresh = ws.root.join("fresh");
    let restored = restore_from_store(
        &ws,
        &server,
        &server.endpoint(),
        (&store, &archive),
        &fresh,
        &[],
    );
    restored.assert_success();
    assert_same_folders(&ws.results.join("alpha"), &fresh.join("alpha"));

    // The text output is the local backup's.
    build_small_strategy(&ws.results, "beta", 2);
    let text = run_s3(&ws, &server, &["--backups", &store, "backup", "beta"]);
    text.assert_success();
    assert!(
        text.stdout.starts_with("Backed up beta: beta_"),
        "{}",
        text.describe()
    );
    assert_no_secret(&text);
}

#[test]
fn an_archive_made_in_the_store_opens_with_gnu_tar() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_strategy_of_several_parts(&ws, "alpha", 3);
    let store = server.address("team");
    let run = run_s3(
        &ws,
        &server,
        &["--backups", &store, "backup", "alpha", "--json"],
    );
    run.assert_success();
    let archive = created_names(&run).pop().expect("one backup");

    let (status, bytes) = server.get_object(&format!("team/{archive}"));
    assert_eq!(status, 200, "a plain GET of the archive");
    let downloaded = ws.root.join("downloaded.tar.gz");
    write_file(&downloaded, &bytes);
    let out = ws.dir("gnu");
    let tar = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&downloaded)
        .arg("-C")
        .arg(&out)
        .output()
        .expect("GNU tar runs");
    assert!(
        tar.status.success(),
        "tar xzf: {}",
        String::from_utf8_lossy(&tar.stderr)
    );
    assert_same_folders(&ws.results.join("alpha"), &out.join("alpha"));
    assert!(out.join(".results-backup/manifest.json").is_file());
}

fn statuses(run: &Run) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = run
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            let field = |name: &str| item[name].as_str().unwrap_or_default().to_string();
            // `scan` names a strategy `name` and says its `state`; `backup` says `status`.
            match item.get("state") {
                Some(_) => (field("name"), field("state")),
                None => (field("strategy"), field("status")),
            }
        })
        .collect();
    pairs.sort();
    pairs
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn if_changed_and_scan_compare_with_the_latest_backup_in_the_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    build_small_strategy(&ws.results, "beta", 2);
    let store = server.address("team");

    let scanned = run_s3(&ws, &server, &["--backups", &store, "scan", "--json"]);
    scanned.assert_success();
    assert_eq!(
        statuses(&scanned),
        pairs(&[("alpha", "never_backed_up"), ("beta", "never_backed_up")])
    );
    let first = run_s3(
        &ws,
        &server,
        &["--backups", &store, "backup", "--all", "--json"],
    );
    first.assert_success();
    assert_eq!(created_names(&first).len(), 2, "{}", first.describe());

    let again = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "backup",
            "--all",
            "--if-changed",
            "--json",
        ],
    );
    again.assert_success();
    assert_eq!(
        statuses(&again),
        pairs(&[("alpha", "unchanged"), ("beta", "unchanged")])
    );

    write_file(&ws.results.join("beta/trades_2.csv"), "time,price\n1,2\n");
    let scanned = run_s3(&ws, &server, &["--backups", &store, "scan", "--json"]);
    assert_eq!(
        statuses(&scanned),
        pairs(&[("alpha", "protected"), ("beta", "changed")])
    );
    let text = run_s3(
        &ws,
        &server,
        &["--backups", &store, "backup", "--all", "--if-changed"],
    );
    text.assert_success();
    assert!(
        text.stdout
            .contains("Skipped alpha: unchanged since alpha_")
            && text.stdout.contains("Backed up beta: beta_"),
        "{}",
        text.describe()
    );
    assert_no_secret(&text);
    let scanned = run_s3(&ws, &server, &["--backups", &store, "scan", "--json"]);
    assert_eq!(
        statuses(&scanned),
        pairs(&[("alpha", "protected"), ("beta", "protected")])
    );
    assert_eq!(listed_names(&ws, &server, &store).len(), 3);
}

#[test]
fn two_processes_backing_up_different_strategies_lose_no_entry() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_strategy_of_several_parts(&ws, "alpha", 1);
    build_strategy_of_several_parts(&ws, "beta", 2);
    let store = server.address("shared");

    let first = spawn_backup(&ws, &server, &store, &["alpha"]);
    let second = spawn_backup(&ws, &server, &store, &["beta"]);
    let (first, second) = (finished(first), finished(second));
    first.assert_success();
    second.assert_success();
    let mut made = [created_names(&first), created_names(&second)].concat();
    made.sort();
    assert_eq!(made.len(), 2);

    assert_eq!(listed_names(&ws, &server, &store), made);
    let entries: Vec<String> = server
        .object_keys("shared/catalog.d/")
        .into_iter()
        .map(|key| key.trim_start_matches("shared/catalog.d/").to_string())
        .collect();
    assert_eq!(
        entries,
        made.iter()
            .map(|name| format!("{name}.json"))
            .collect::<Vec<_>>()
    );
    assert_all_verified(&ws, &server, &store, 2);
    assert!(server.open_uploads().is_empty());
}

#[test]
fn backups_of_one_strategy_at_the_same_time_get_distinct_names_and_none_is_overwritten() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let store = server.address("shared");

    let children: Vec<Child> = (0..3)
        .map(|_| spawn_backup(&ws, &server, &store, &["alpha"]))
        .collect();
    let mut made: Vec<String> = Vec::new();
    for child in children {
        let run = finished(child);
        run.assert_success();
        made.extend(created_names(&run));
    }
    made.sort();
    let mut distinct = made.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{made:?}");
    assert_eq!(listed_names(&ws, &server, &store), made);
    // Every entry's checksum is its object's: nothing was replaced after it was recorded.
    assert_all_verified(&ws, &server, &store, 3);
    assert!(server.open_uploads().is_empty());
}

/// A progress sink that runs `on_update` on every update and keeps the warnings.
struct Watching<F> {
    on_update: F,
    warnings: Mutex<Vec<String>>,
}

impl<F> Watching<F> {
    fn new(on_update: F) -> Watching<F> {
        Watching {
            on_update,
            warnings: Mutex::new(Vec::new()),
        }
    }
}

impl<F: Fn(&ProgressUpdate) + Send + Sync> Progress for Watching<F> {
    fn update(&self, update: &ProgressUpdate) {
        (self.on_update)(update);
    }
    fn warn(&self, message: &str) {
        self.warnings
            .lock()
            .expect("warnings")
            .push(message.to_string());
    }
}

/// Another writer that publishes an object under the name of the upload in progress, once the
/// upload has sent a part.
struct OtherWriter<'s> {
    server: &'s S3Server,
    took: Mutex<Option<String>>,
}

impl<'s> OtherWriter<'s> {
    fn new(server: &'s S3Server) -> OtherWriter<'s> {
        OtherWriter {
            server,
            took: Mutex::new(None),
        }
    }

    fn takes_the_open_upload_name(&self, update: &ProgressUpdate) {
        let mut took = self.took.lock().expect("took");
        if took.is_some() || update.bytes_done < PART_BYTES as u64 {
            return;
        }
        if let Some(key) = self.server.open_uploads().pop() {
            let path = format!("/{}/{key}", self.server.bucket());
            let (status, _) = self.server.request("PUT", &path);
            assert_eq!(status, 200, "the other writer's object");
            *took = Some(key);
        }
    }

    /// The archive name it took, without the store's `prefix`.
    fn taken(&self, prefix: &str) -> String {
        let took = self.took.lock().expect("took").clone();
        let key = took.expect("the other writer published first");
        key.trim_start_matches(prefix).to_string()
    }
}

fn open_store(server: &S3Server, prefix: &str) -> RemoteStore {
    RemoteStore::open_with(&location_of(server, prefix), Some(&test_credentials()))
        .expect("open the store")
}

/// A strategy of four incompressible files of one part each: its upload is open well before
/// its last file is read.
fn build_four_part_strategy(results: &Path, name: &str) {
    let mut rng = Rng::new(7);
    for i in 0..4 {
        write_file(
            &results.join(format!("{name}/plot_{i}.png")),
            rng.bytes(PART_BYTES),
        );
    }
}

#[test]
fn a_name_another_writer_publishes_meanwhile_is_never_overwritten() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_four_part_strategy(&ws.results, "big");
    let store = open_store(&server, "team");
    let other_writer = OtherWriter::new(&server);
    let progress =
        Watching::new(|update: &ProgressUpdate| other_writer.takes_the_open_upload_name(update));
    let options = BackupOptions {
        level: 1,
        if_changed: false,
    };
    let outcome = back_up_into_store(
        &Locations::new(&ws.results, &ws.backups),
        &store,
        "big",
        &options,
        &progress,
        &CancelToken::new(),
    )
    .expect("backed up under the next name");

    let taken = other_writer.taken("team/");
    let made = created_file(&Ok(outcome));
    assert_eq!(
        made,
        taken.replace(ARCHIVE_SUFFIX, &format!("_2{ARCHIVE_SUFFIX}")),
        "the next name in the sequence"
    );
    assert_eq!(
        store.objects().size_of(&taken).expect("head"),
        Some(0),
        "the other writer's object is kept as it was"
    );
    assert!(progress
        .warnings
        .lock()
        .expect("warnings")
        .iter()
        .any(|w| w.contains("published by another backup")));
    assert!(
        server.open_uploads().is_empty(),
        "the refused upload was aborted"
    );
    assert_eq!(
        listed_names(&ws, &server, &server.address("team")),
        vec![made]
    );
}

#[test]
fn a_cancelled_backup_into_the_store_leaves_nothing() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_four_part_strategy(&ws.results, "big");
    let store = open_store(&server, "team");
    let cancel = CancelToken::new();
    let upload_was_open = AtomicBool::new(false);
    let progress = Watching::new(|update: &ProgressUpdate| {
        if update.bytes_done >= PART_BYTES as u64
            && !cancel.is_cancelled()
            && !server.open_uploads().is_empty()
        {
            upload_was_open.store(true, Ordering::SeqCst);
            cancel.cancel();
        }
    });
    let options = BackupOptions {
        level: 6,
        if_changed: false,
    };
    let outcome = back_up_into_store(
        &Locations::new(&ws.results, &ws.backups),
        &store,
        "big",
        &options,
        &progress,
        &cancel,
    );
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    assert!(
        upload_was_open.load(Ordering::SeqCst),
        "cancelled mid-upload"
    );
    assert!(server.object_keys("team/").is_empty());
    assert!(server.open_uploads().is_empty(), "the upload was aborted");
}

#[test]
fn a_backup_that_handed_over_is_published_even_if_cancelled_and_a_folder_never_hands_over() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_strategy_of_several_parts(&ws, "alpha", 1);
    let options = BackupOptions {
        level: 6,
        if_changed: false,
    };
    let locations = Locations::new(&ws.results, &ws.backups);
    let cancel = CancelToken::new();
    let handed_over = AtomicBool::new(false);
    let store = BackupsStore::S3(open_store(&server, "team"));
    // The app's next job may start now: a cancel from here on changes nothing.
    let outcome = back_up_in_handing_over(
        &locations,
        &store,
        "alpha",
        &options,
        &results_backup::NoProgress,
        &cancel,
        &|| {
            assert!(
                server.object_keys("team/").is_empty(),
                "handed over before anything is published"
            );
            handed_over.store(true, Ordering::SeqCst);
            cancel.cancel();
        },
    )
    .expect("published although cancelled after handing over");
    assert!(handed_over.load(Ordering::SeqCst));
    assert_eq!(outcome.status, BackupStatus::Created);
    let archive = outcome.backup.expect("an entry").backup_file.to_string();
    assert!(server
        .object_keys("team/")
        .contains(&format!("team/catalog.d/{archive}.json")));

    let folder = BackupsStore::folder(&ws.backups);
    let made = back_up_in_handing_over(
        &locations,
        &folder,
        "alpha",
        &options,
        &results_backup::NoProgress,
        &CancelToken::new(),
        &|| panic!("a backup into a folder never hands over"),
    )
    .expect("backed up into the folder");
    assert_eq!(made.status, BackupStatus::Created);
}

#[test]
fn ctrl_c_during_a_backup_into_the_store_leaves_nothing() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_large_strategy(&ws, "big");
    let store = server.address("team");
    let mut child = spawn_backup(&ws, &server, &store, &["big"]);
    assert!(
        interrupt_when(&mut child, || !server.open_uploads().is_empty()),
        "the backup finished before it could be interrupted"
    );
    let run = finished(child);
    run.assert_code(130).assert_no_dump();
    assert_no_secret(&run);
    assert!(server.object_keys("team/").is_empty(), "{}", run.describe());
    assert!(server.open_uploads().is_empty(), "the upload was aborted");
}

/// Backs up `strategies` in turn into `store`, as `backup --all` does, collecting each outcome
/// with what the progress had seen when it was reported.
fn back_up_each(
    ws: &Sandbox,
    store: RemoteStore,
    strategies: &[&str],
    progress: &Watching<impl Fn(&ProgressUpdate) + Send + Sync>,
    cancel: &CancelToken,
    seen: &Mutex<Vec<String>>,
) -> Vec<(String, Result<BackupOutcome, Error>)> {
    let names: Vec<String> = strategies.iter().map(|s| s.to_string()).collect();
    let mut outcomes = Vec::new();
    back_up_each_in(
        &Locations::new(&ws.results, &ws.backups),
        &BackupsStore::S3(store),
        &names,
        &BackupOptions {
            level: 1,
            if_changed: false,
        },
        progress,
        cancel,
        &mut |strategy, outcome| {
            seen.lock().expect("seen").push(format!("done {strategy}"));
            outcomes.push((strategy.to_string(), outcome));
        },
    );
    outcomes
}

/// The file of a backup that was made.
fn created_file(outcome: &Result<BackupOutcome, Error>) -> String {
    let outcome = outcome.as_ref().expect("backed up");
    assert_eq!(outcome.status, BackupStatus::Created);
    let entry = outcome.backup.as_ref().expect("its catalog entry");
    entry.backup_file.to_string()
}

/// The first time progress names a strategy, in order.
fn note_start(seen: &Mutex<Vec<String>>, update: &ProgressUpdate) {
    let mut seen = seen.lock().expect("seen");
    let started = format!("start {}", update.item);
    if !seen.contains(&started) {
        seen.push(started);
    }
}

#[test]
fn backing_up_several_strategies_overlaps_each_publish_with_the_next_compression() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    for name in ["alpha", "beta", "gamma"] {
        build_four_part_strategy(&ws.results, name);
    }
    let seen = Mutex::new(Vec::new());
    let progress = Watching::new(|update: &ProgressUpdate| note_start(&seen, update));
    let outcomes = back_up_each(
        &ws,
        open_store(&server, "team"),
        &["alpha", "beta", "gamma"],
        &progress,
        &CancelToken::new(),
        &seen,
    );

    // Outcomes come in the order asked, each told once the next one is compressing.
    assert_eq!(
        seen.into_inner().expect("seen"),
        [
            "start alpha",
            "start beta",
            "done alpha",
            "start gamma",
            "done beta",
            "done gamma"
        ]
    );
    let made: Vec<String> = outcomes
        .iter()
        .map(|(strategy, outcome)| {
            let made = created_file(outcome);
            assert!(made.starts_with(&format!("{strategy}_")), "{made}");
            made
        })
        .collect();
    let mut listed = listed_names(&ws, &server, &server.address("team"));
    listed.sort();
    assert_eq!(listed, made);
    assert_all_verified(&ws, &server, &server.address("team"), 3);
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_cancel_while_one_backup_publishes_finishes_it_and_leaves_nothing_of_the_next() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_four_part_strategy(&ws.results, "alpha");
    build_four_part_strategy(&ws.results, "beta");
    build_four_part_strategy(&ws.results, "gamma");
    let cancel = CancelToken::new();
    let seen = Mutex::new(Vec::new());
    let progress = Watching {
        // beta is compressing (alpha is being published) when the cancel comes.
        on_update: |update: &ProgressUpdate| {
            note_start(&seen, update);
            if update.item == "beta" && update.bytes_done >= PART_BYTES as u64 {
                cancel.cancel();
            }
        },
        warnings: Mutex::new(Vec::new()),
    };
    let outcomes = back_up_each(
        &ws,
        open_store(&server, "team"),
        &["alpha", "beta", "gamma"],
        &progress,
        &cancel,
        &seen,
    );

    assert_eq!(outcomes.len(), 2, "gamma is never started: {outcomes:?}");
    let alpha = created_file(&outcomes[0].1);
    assert!(
        matches!(outcomes[1], (ref name, Err(Error::Cancelled)) if name == "beta"),
        "{outcomes:?}"
    );
    assert_eq!(
        listed_names(&ws, &server, &server.address("team")),
        vec![alpha]
    );
    assert_all_verified(&ws, &server, &server.address("team"), 1);
    assert!(
        server.open_uploads().is_empty(),
        "beta's upload was aborted"
    );
    assert!(server
        .object_keys("team/")
        .iter()
        .all(|key| !key.contains("beta")));
}

#[test]
fn a_name_taken_while_a_backup_publishes_in_the_background_is_made_again_under_the_next() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_four_part_strategy(&ws.results, "alpha");
    build_four_part_strategy(&ws.results, "beta");
    let other_writer = OtherWriter::new(&server);
    let seen = Mutex::new(Vec::new());
    let progress = Watching {
        // While alpha's parts go up (beta has not started), alpha's name is taken.
        on_update: |update: &ProgressUpdate| {
            if update.item == "alpha" {
                other_writer.takes_the_open_upload_name(update);
            }
        },
        warnings: Mutex::new(Vec::new()),
    };
    let outcomes = back_up_each(
        &ws,
        open_store(&server, "team"),
        &["alpha", "beta"],
        &progress,
        &CancelToken::new(),
        &seen,
    );

    let taken = other_writer.taken("team/");
    let names: Vec<String> = outcomes
        .iter()
        .map(|(_, outcome)| created_file(outcome))
        .collect();
    assert_eq!(
        names[0],
        taken.replace(ARCHIVE_SUFFIX, &format!("_2{ARCHIVE_SUFFIX}")),
        "alpha, made again under the next name"
    );
    assert!(names[1].starts_with("beta_"));
    assert!(progress
        .warnings
        .lock()
        .expect("warnings")
        .iter()
        .any(|w| w.contains("published by another backup")));
    let mut listed = listed_names(&ws, &server, &server.address("team"));
    listed.sort();
    assert_eq!(listed, names);
    assert!(server.open_uploads().is_empty());
}
