//! S3 stores, against a real S3 server on loopback (moto, started and stopped by each test):
//! copying backups in and listing them, skipping what is there, the conditional publish that
//! keeps two writers from overwriting each other, interrupted uploads, and plain errors that
//! never show a credential. Nothing here talks to anything off this machine.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::BIN;
use results_backup::{ObjectStore, Publish, S3Credentials, S3Location, PART_BYTES};
use results_backup_testkit::proxy::Proxy;
use results_backup_testkit::s3::{free_loopback_port, S3Server, TEST_ACCESS_KEY, TEST_SECRET_KEY};
use results_backup_testkit::*;
use serde_json::Value;

/// The CLI talking to `server` through `endpoint` (the server itself or a proxy in front of
/// it), with only the test credentials and `env` in its environment.
pub(crate) fn s3_command(
    ws: &Sandbox,
    server: &S3Server,
    endpoint: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> Command {
    let mut command = ws.command(args);
    command.args(["--endpoint", endpoint]);
    for (key, value) in server.env() {
        command.env(key, value);
    }
    command.envs(env.iter().copied());
    command
}

/// The CLI against `server`, with only the test credentials in its environment.
pub(crate) fn run_s3(ws: &Sandbox, server: &S3Server, args: &[&str]) -> Run {
    Run::of(&mut s3_command(ws, server, &server.endpoint(), &[], args))
}

/// `--backups STORE restore ARCHIVE --to DIR`, then `more`, through `endpoint`.
pub(crate) fn restore_from_store(
    ws: &Sandbox,
    server: &S3Server,
    endpoint: &str,
    (store, archive): (&str, &str),
    to: &Path,
    more: &[&str],
) -> Run {
    let to = to.to_string_lossy();
    let mut args = vec!["--backups", store, "restore", archive, "--to", &to];
    args.extend_from_slice(more);
    Run::of(&mut s3_command(ws, server, endpoint, &[], &args))
}

/// `s3://bucket/prefix` on `server`, for opening it in the core.
pub(crate) fn location_of(server: &S3Server, prefix: &str) -> S3Location {
    S3Location::parse(&server.address(prefix))
        .and_then(|l| l.with_endpoint(&server.endpoint()))
        .expect("valid location")
}

/// The test keys, handed over in code: tests must not change the environment others read.
pub(crate) fn test_credentials() -> S3Credentials {
    S3Credentials {
        access_key_id: TEST_ACCESS_KEY.into(),
        secret_access_key: TEST_SECRET_KEY.into(),
        session_token: None,
    }
}

pub(crate) fn store_of(server: &S3Server, prefix: &str) -> ObjectStore {
    ObjectStore::open_with(&location_of(server, prefix), Some(&test_credentials()))
        .expect("open the store")
}

/// `copy --json` succeeded, and its first backup's status is `status`.
pub(crate) fn assert_copied(run: &Run, status: &str) {
    run.assert_success();
    assert_eq!(run.json()[0]["status"], status, "{}", run.describe());
}

pub(crate) fn assert_no_secret(run: &Run) {
    for secret in [TEST_SECRET_KEY, TEST_ACCESS_KEY] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a credential was shown: {}",
            run.describe()
        );
    }
}

#[test]
fn copy_then_list_reads_the_same_backup_back() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let archive = ws.backup_cli("alpha");
    let store = server.address("team/results");

    let copied = run_s3(&ws, &server, &["copy", &archive, "--to", &store, "--json"]);
    assert_copied(&copied, "copied");

    let mut keys = server.object_keys("team/results/");
    keys.sort();
    let stem = archive.trim_end_matches(".tar.gz");
    assert_eq!(
        keys,
        vec![
            format!("team/results/{stem}.manifest.json"),
            format!("team/results/{archive}"),
            format!("team/results/catalog.d/{archive}.json"),
        ]
    );
    assert!(server.open_uploads().is_empty(), "no upload left open");

    let local = ws.run(["list", "--json"]).assert_success().json();
    let remote = run_s3(&ws, &server, &["list", "--backups", &store, "--json"]);
    remote.assert_success();
    let remote = remote.json();
    assert_eq!(remote.as_array().map(Vec::len), Some(1), "{remote}");
    for field in [
        "backup_file",
        "sha256",
        "size",
        "strategy",
        "files",
        "bytes",
    ] {
        assert_eq!(remote[0][field], local[0][field], "{field}");
    }
}

#[test]
fn copying_again_skips_what_the_store_has() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    build_small_strategy(&ws.results, "beta", 2);
    let first = ws.backup_cli("alpha");
    let store = server.address("shared");
    run_s3(&ws, &server, &["copy", &first, "--to", &store]).assert_success();
    let second = ws.backup_cli("beta");

    let run = run_s3(&ws, &server, &["copy", "--all", "--to", &store, "--json"]);
    run.assert_success();
    let statuses: Vec<(String, String)> = run
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            (
                item["backup_file"].as_str().unwrap_or_default().to_string(),
                item["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(first.clone(), "already_there".into())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(second.clone(), "copied".into())),
        "{statuses:?}"
    );

    let text = run_s3(&ws, &server, &["copy", &first, "--to", &store]);
    text.assert_success();
    assert!(text.stdout.contains("Skipped"), "{}", text.describe());
    let listed = run_s3(&ws, &server, &["list", "--backups", &store, "--json"]).json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
}

#[test]
fn a_conditional_publish_never_overwrites_another_writer() {
    let server = S3Server::start();
    let store = store_of(&server, "race");

    // Two streamed uploads of the same name, both under way before either completes.
    let first_bytes = vec![1u8; PART_BYTES + 1000];
    let second_bytes = vec![2u8; PART_BYTES + 2000];
    let mut first = store.writer("backup.tar.gz").expect("first writer");
    let mut second = store.writer("backup.tar.gz").expect("second writer");
    first.write_all(&first_bytes).expect("first writes");
    second.write_all(&second_bytes).expect("second writes");
    assert_eq!(
        first.finish().expect("the first publishes"),
        first_bytes.len() as u64
    );
    let refused = second.finish().expect_err("the second is refused");
    assert_eq!(refused.code(), "store_object_exists", "{refused}");

    assert_eq!(
        store.size_of("backup.tar.gz").expect("head"),
        Some(first_bytes.len() as u64)
    );
    let mut read_back = Vec::new();
    std::io::copy(
        &mut store.reader("backup.tar.gz").expect("reader"),
        &mut read_back,
    )
    .expect("read");
    assert!(
        read_back == first_bytes,
        "the first writer's bytes are kept"
    );
    assert!(
        server.open_uploads().is_empty(),
        "the refused upload was aborted"
    );

    // Small documents (sidecars, catalog entries) are published the same way.
    store
        .put_small("entry.json", b"one".to_vec(), Publish::IfAbsent)
        .expect("first");
    let refused = store
        .put_small("entry.json", b"two".to_vec(), Publish::IfAbsent)
        .expect_err("refused");
    assert_eq!(refused.code(), "store_object_exists");
    assert_eq!(store.read_small("entry.json", 100).expect("read"), b"one");
}

#[test]
fn an_interrupted_upload_leaves_no_visible_object() {
    let server = S3Server::start();
    let store = store_of(&server, "cut");

    // More than one part: the multipart upload has started and sent a part when it is dropped.
    let mut writer = store.writer("half.tar.gz").expect("writer");
    writer
        .write_all(&vec![7u8; PART_BYTES * 2])
        .expect("writes");
    drop(writer);
    assert_eq!(store.size_of("half.tar.gz").expect("head"), None);
    assert!(server.object_keys("cut/").is_empty());
    assert!(
        server.open_uploads().is_empty(),
        "dropping aborted the upload"
    );

    // A process killed mid-upload cannot abort: its upload stays open, and nothing is visible.
    let (status, _) = server.request(
        "POST",
        &format!("/{}/cut/killed.tar.gz?uploads", server.bucket()),
    );
    assert_eq!(status, 200, "moto started an upload");
    assert_eq!(store.size_of("killed.tar.gz").expect("head"), None);
    assert!(server.object_keys("cut/").is_empty());
    assert_eq!(server.open_uploads(), vec!["cut/killed.tar.gz".to_string()]);
}

#[test]
fn an_unreachable_endpoint_is_a_plain_error_soon() {
    let ws = Sandbox::new(BIN);
    let nobody = format!("http://{}", free_loopback_port());
    let started = Instant::now();
    let mut command = ws.command([
        "list",
        "--backups",
        "s3://results-test/x",
        "--endpoint",
        &nobody,
        "--json",
    ]);
    command
        .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY);
    let run = Run::of(&mut command);
    run.assert_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "bounded retries"
    );
    let error: Value = run.json()["error"].clone();
    assert_eq!(error["code"], "store_unreachable", "{}", run.describe());
    assert_no_secret(&run);
}

#[test]
fn a_missing_bucket_is_a_plain_error() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let archive = ws.backup_cli("alpha");

    let listed = run_s3(
        &ws,
        &server,
        &["list", "--backups", "s3://no-such-bucket/x", "--json"],
    );
    listed.assert_code(1);
    // S3 answers NoSuchBucket, which opendal reports as a configuration problem.
    assert_eq!(
        listed.json()["error"]["code"],
        "store_misconfigured",
        "{}",
        listed.describe()
    );
    assert_no_secret(&listed);

    let copied = run_s3(
        &ws,
        &server,
        &["copy", &archive, "--to", "s3://no-such-bucket/x"],
    );
    copied.assert_code(1);
    assert!(
        copied.stderr.contains("s3://no-such-bucket/x"),
        "{}",
        copied.describe()
    );
    assert_no_secret(&copied);
}

#[test]
fn store_addresses_are_checked_before_any_request() {
    let ws = Sandbox::new(BIN);
    for bad in ["s3://UPPER/x", "s3://bucket/../up", "s3://a"] {
        let run = ws.run(["list", "--backups", bad, "--json"]);
        run.assert_code(1);
        assert_eq!(
            run.json()["error"]["code"],
            "invalid_store_address",
            "{bad}"
        );
    }
    let run = ws.run([
        "list",
        "--backups",
        "s3://bucket/x",
        "--endpoint",
        "http://user:hunter2@127.0.0.1:1",
    ]);
    run.assert_code(1);
    assert!(!run.stderr.contains("hunter2"), "{}", run.describe());
}

/// Copies one fresh backup of "alpha" into `prefix` of `server`; returns its file name.
fn one_backup_in_store(ws: &Sandbox, server: &S3Server, prefix: &str) -> String {
    build_small_strategy(&ws.results, "alpha", 1);
    let archive = ws.backup_cli("alpha");
    let store = server.address(prefix);
    run_s3(ws, server, &["copy", &archive, "--to", &store]).assert_success();
    archive
}

/// Flips one byte in the middle of the archive object, keeping its size: only reading the
/// bytes (not a HEAD) can tell.
fn damage_object(server: &S3Server, prefix: &str, archive: &str) {
    let objects = store_of(server, prefix);
    let mut bytes = Vec::new();
    std::io::copy(&mut objects.reader(archive).expect("reader"), &mut bytes).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    objects
        .put_small(archive, bytes, Publish::Replace)
        .expect("overwrite");
}

#[test]
fn check_streams_an_object_from_the_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");

    let full = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &archive, "--json"],
    );
    full.assert_success();
    let report = full.json();
    assert_eq!(report[0]["ok"], true, "{}", full.describe());
    assert_eq!(report[0]["quick"], false, "{}", full.describe());
    assert!(report[0]["files_checked"].as_u64() > Some(0), "{report}");

    let quick = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &archive, "--quick"],
    );
    quick.assert_success();
    let all = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", "--all", "--json"],
    );
    all.assert_success();
    assert_eq!(
        all.json().as_array().map(Vec::len),
        Some(1),
        "{}",
        all.describe()
    );
    assert_no_secret(&all);

    let unknown = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", "nothing_here"],
    );
    unknown.assert_code(1);
    assert_no_secret(&unknown);
}

/// The one backup `store` lists, as `list --json` shows it.
fn listed_one(ws: &Sandbox, server: &S3Server, store: &str) -> Value {
    let run = run_s3(ws, server, &["--backups", store, "list", "--json"]);
    run.assert_success();
    run.json()[0].clone()
}

#[test]
fn a_check_in_a_store_is_recorded_and_the_newest_result_is_listed() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let records = format!("team/checks.d/{archive}/");
    assert_eq!(
        listed_one(&ws, &server, &store)["check_result"],
        Value::Null
    );

    run_s3(&ws, &server, &["--backups", &store, "check", &archive]).assert_success();
    let checked = listed_one(&ws, &server, &store);
    assert_eq!(checked["check_result"], "ok", "{checked}");
    assert!(checked["last_checked"].is_string(), "{checked}");
    let kept = server.object_keys(&records);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].ends_with(".ok"), "{kept:?}");
    // Finding one backup (its details in the app) reads its own records too.
    let remote = results_backup::RemoteStore::open_with(
        &location_of(&server, "team"),
        Some(&test_credentials()),
    )
    .expect("open");
    let located =
        results_backup::locate_remote(&remote, &results_backup::Locator::Name(archive.clone()))
            .expect("found");
    let entry = located.catalog_entry.expect("catalogued");
    assert_eq!(entry.check_result, Some(results_backup::CheckResult::Ok));

    // A later check that finds damage is the newest word, and replaces the earlier record.
    damage_object(&server, "team", &archive);
    run_s3(&ws, &server, &["--backups", &store, "check", &archive]).assert_code(1);
    assert_eq!(listed_one(&ws, &server, &store)["check_result"], "damaged");
    let kept = server.object_keys(&records);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].ends_with(".damaged"), "{kept:?}");
    // A quick check sees only the size (the same): it passes, but cannot clear the damage.
    let quick = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &archive, "--quick"],
    );
    quick.assert_success();
    assert!(
        quick.stderr.contains("stays recorded as damaged"),
        "{}",
        quick.describe()
    );
    assert_eq!(listed_one(&ws, &server, &store)["check_result"], "damaged");
    assert_eq!(server.object_keys(&records), kept);

    // Records read back are untrusted: a name that is not a record, or a record from before
    // the backup was made (an earlier backup of the same name), changes nothing.
    let objects = store_of(&server, "team");
    for planted in [
        format!("checks.d/{archive}/29991231T235959999Z.fine"),
        format!("checks.d/{archive}/notes.txt"),
        format!("checks.d/{archive}/20000101T000000000Z.missing"),
    ] {
        objects
            .put_small(&planted, Vec::new(), Publish::Replace)
            .expect("plant");
    }
    assert_eq!(listed_one(&ws, &server, &store)["check_result"], "damaged");

    // Deleting the backup takes its records with it.
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "delete", &archive, "--yes"],
    )
    .assert_success();
    assert_eq!(server.object_keys(&records), Vec::<String>::new());
}

#[test]
fn a_damaged_object_is_reported_and_never_restored() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    damage_object(&server, "team", &archive);

    let checked = run_s3(&ws, &server, &["--backups", &store, "check", &archive]);
    checked.assert_code(1).assert_no_dump();
    let said = format!("{}{}", checked.stdout, checked.stderr).to_lowercase();
    assert!(said.contains("damaged"), "{}", checked.describe());
    assert_no_secret(&checked);
    // Same size: the quick check (a HEAD) cannot see it, and says nothing else.
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &archive, "--quick"],
    )
    .assert_success();

    let fresh = ws.root.join("restored_here");
    let restored = restore_from_store(
        &ws,
        &server,
        &server.endpoint(),
        (&store, &archive),
        &fresh,
        &[],
    );
    restored.assert_code(1).assert_no_dump();
    assert!(!fresh.exists(), "nothing written: {}", restored.describe());
    assert_no_secret(&restored);
}

#[test]
fn restore_from_the_store_gives_the_same_tree() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team/results");
    let store = server.address("team/results");
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

    // Again into the same folder: the conflict is handled as for a local backup.
    let again = restore_from_store(
        &ws,
        &server,
        &server.endpoint(),
        (&store, &archive),
        &fresh,
        &["--on-conflict", "fail"],
    );
    again.assert_code(1);
    assert_same_folders(&ws.results.join("alpha"), &fresh.join("alpha"));
    assert!(
        !ws.backups.join("s3:").exists(),
        "nothing is written to a folder named after the store"
    );
}

#[test]
fn restore_only_chosen_files_from_the_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let fresh = ws.root.join("fresh");

    restore_from_store(
        &ws,
        &server,
        &server.endpoint(),
        (&store, &archive),
        &fresh,
        &["--only", "sub"],
    )
    .assert_success();
    assert_same_folders(&ws.results.join("alpha/sub"), &fresh.join("alpha/sub"));
    assert!(
        !fresh.join("alpha/equity.csv").exists(),
        "only what was chosen"
    );
}

#[test]
fn a_missing_object_is_reported_missing_by_check() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    store_of(&server, "team").delete(&archive).expect("delete");

    for quick in [false, true] {
        let mut args = vec!["--backups", store.as_str(), "check", &archive, "--json"];
        if quick {
            args.push("--quick");
        }
        let run = run_s3(&ws, &server, &args);
        run.assert_code(1).assert_no_dump();
        assert_eq!(run.json()[0]["result"], "missing", "{}", run.describe());
    }
}

/// The backup file names `list --json` shows for `store`.
pub(crate) fn listed(ws: &Sandbox, server: &S3Server, store: &str) -> Vec<String> {
    let run = run_s3(ws, server, &["--backups", store, "list", "--json"]);
    run.assert_success();
    let mut names: Vec<String> = run
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|item| item["backup_file"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}

/// `count` backups of "alpha" (each after a change), all copied into `prefix`; oldest first.
fn backups_in_store(ws: &Sandbox, server: &S3Server, prefix: &str, count: usize) -> Vec<String> {
    let store = server.address(prefix);
    build_small_strategy(&ws.results, "alpha", 1);
    (0..count)
        .map(|n| {
            std::fs::write(ws.results.join("alpha/run.txt"), format!("run {n}")).expect("write");
            let archive = ws.backup_cli("alpha");
            run_s3(ws, server, &["copy", &archive, "--to", &store]).assert_success();
            archive
        })
        .collect()
}

/// The keys of a backup's three objects under the prefix `team`.
pub(crate) fn objects_of(archive: &str) -> [String; 3] {
    [
        format!("team/catalog.d/{archive}.json"),
        format!("team/{archive}"),
        format!("team/{}.manifest.json", archive.trim_end_matches(".tar.gz")),
    ]
}

/// A settings file naming `server`'s `team` prefix with the AWS profile `profile`.
fn settings_with_profile(ws: &Sandbox, server: &S3Server, profile: &str) {
    let doc = serde_json::json!({
        "format_version": 3,
        "results_dir": ws.results,
        "backups_dir": ws.backups,
        "backups": {
            "kind": "s3",
            "bucket": server.bucket(),
            "prefix": "team",
            "endpoint": server.endpoint(),
            "profile": profile,
        },
    });
    std::fs::write(&ws.settings, serde_json::to_vec_pretty(&doc).expect("json")).expect("write");
}

/// The CLI with no AWS keys in its environment, only the profile files given.
fn run_with_profile_files(ws: &Sandbox, credentials: &std::path::Path, args: &[&str]) -> Run {
    let mut command = ws.command(args);
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    Run::of(&mut command)
}

#[test]
fn a_named_profile_in_the_settings_supplies_the_keys() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let credentials = ws.root.join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n\
             [team]\naws_access_key_id = {TEST_ACCESS_KEY}\naws_secret_access_key = {TEST_SECRET_KEY}\n"
        ),
    )
    .expect("write credentials");
    settings_with_profile(&ws, &server, "team");

    let run = run_with_profile_files(&ws, &credentials, &["list", "--json"]);
    run.assert_success();
    assert_eq!(
        run.json()[0]["backup_file"],
        archive.as_str(),
        "{}",
        run.describe()
    );
    assert_no_secret(&run);

    settings_with_profile(&ws, &server, "absent");
    let missing = run_with_profile_files(&ws, &credentials, &["list"]);
    missing.assert_code(1).assert_no_dump();
    let said = format!("{}{}", missing.stdout, missing.stderr);
    assert!(
        said.contains("absent"),
        "names the profile: {}",
        missing.describe()
    );
    assert!(
        said.contains(&credentials.display().to_string()),
        "names the file: {}",
        missing.describe()
    );
    assert_no_secret(&missing);
}

#[test]
fn show_diff_and_delete_work_on_a_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let names = backups_in_store(&ws, &server, "team", 2);
    let store = server.address("team");
    let (older, newer) = (&names[0], &names[1]);

    let shown = run_s3(
        &ws,
        &server,
        &["--backups", &store, "show", older, "--json"],
    );
    shown.assert_success();
    assert_eq!(shown.json()["strategy"], "alpha", "{}", shown.describe());

    let diff = run_s3(
        &ws,
        &server,
        &["--backups", &store, "diff", older, newer, "--json"],
    );
    diff.assert_success();
    let changed = diff.json().to_string();
    assert!(changed.contains("run.txt"), "{}", diff.describe());
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "diff", newer, "--current"],
    )
    .assert_success();

    run_s3(&ws, &server, &["--backups", &store, "delete", newer]).assert_code(2);
    let deleted = run_s3(
        &ws,
        &server,
        &["--backups", &store, "delete", newer, "--yes", "--json"],
    );
    deleted.assert_success();
    assert_no_secret(&deleted);
    let keys = server.object_keys("team/");
    for gone in objects_of(newer) {
        assert!(
            !keys.contains(&gone),
            "entry, archive and sidecar gone: {keys:?}"
        );
    }
    assert_eq!(listed(&ws, &server, &store), vec![older.clone()]);
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "delete", newer, "--yes"],
    )
    .assert_code(1);
}

#[test]
fn an_interrupted_delete_is_invisible_and_finished_by_deleting_again_or_rebuild() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let names = backups_in_store(&ws, &server, "team", 2);
    let store = server.address("team");
    let objects = store_of(&server, "team");

    // Cut after the first step: the entry is gone, so no listing trusts the rest.
    objects
        .delete(&format!("catalog.d/{}.json", names[0]))
        .expect("delete the entry");
    assert_eq!(listed(&ws, &server, &store), vec![names[1].clone()]);
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "delete", &names[0], "--yes"],
    )
    .assert_success();
    let keys = server.object_keys("team/");
    for gone in objects_of(&names[0]) {
        assert!(
            !keys.contains(&gone),
            "deleting again finished it: {keys:?}"
        );
    }

    // Cut after the second step: only the sidecar is left, and rebuild removes it.
    objects
        .delete(&format!("catalog.d/{}.json", names[1]))
        .expect("delete the entry");
    objects.delete(&names[1]).expect("delete the archive");
    let rebuilt = run_s3(
        &ws,
        &server,
        &["--backups", &store, "catalog", "rebuild", "--json"],
    );
    rebuilt.assert_success();
    assert_eq!(
        rebuilt.json().as_array().map(Vec::len),
        Some(0),
        "{}",
        rebuilt.describe()
    );
    let left: Vec<String> = server
        .object_keys("team/")
        .into_iter()
        .filter(|key| !key.ends_with("catalog.json"))
        .collect();
    assert!(left.is_empty(), "only the cache is left: {left:?}");
}

#[test]
fn catalog_rebuild_recreates_entries_from_sidecars_or_from_the_archives() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let objects = store_of(&server, "team");
    let entry = format!("catalog.d/{archive}.json");
    let sidecar = format!("{}.manifest.json", archive.trim_end_matches(".tar.gz"));

    objects.delete(&entry).expect("delete the entry");
    assert!(listed(&ws, &server, &store).is_empty());
    let rebuilt = run_s3(
        &ws,
        &server,
        &["--backups", &store, "catalog", "rebuild", "--json"],
    );
    rebuilt.assert_success();
    assert_eq!(listed(&ws, &server, &store), vec![archive.clone()]);

    // A forged sidecar (another archive's size) is not believed; the embedded manifest is.
    objects.delete(&entry).expect("delete the entry");
    objects
        .put_small(
            &sidecar,
            b"{\"format\": \"nonsense\"}".to_vec(),
            Publish::Replace,
        )
        .expect("forge the sidecar");
    let refused = run_s3(&ws, &server, &["--backups", &store, "catalog", "rebuild"]);
    refused.assert_success();
    assert!(
        refused.stderr.contains("from-archives") || refused.stderr.contains("manifest"),
        "{}",
        refused.describe()
    );
    assert!(listed(&ws, &server, &store).is_empty());
    run_s3(
        &ws,
        &server,
        &["--backups", &store, "catalog", "rebuild", "--from-archives"],
    )
    .assert_success();
    assert_eq!(listed(&ws, &server, &store), vec![archive.clone()]);
    let checked = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &archive, "--json"],
    );
    checked.assert_success();
    assert_eq!(
        checked.json()[0]["proof"],
        "manifest",
        "{}",
        checked.describe()
    );
}

#[test]
fn forget_on_a_store_keeps_the_newest_and_a_dry_run_deletes_nothing() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let names = backups_in_store(&ws, &server, "team", 3);
    let store = server.address("team");

    let preview = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "forget",
            "--keep-last",
            "1",
            "--dry-run",
            "--json",
        ],
    );
    preview.assert_success();
    assert_eq!(preview.json()["removed"], 2, "{}", preview.describe());
    assert_eq!(listed(&ws, &server, &store).len(), 3);

    run_s3(
        &ws,
        &server,
        &["--backups", &store, "forget", "--keep-last", "1"],
    )
    .assert_success();
    assert_eq!(listed(&ws, &server, &store), vec![names[2].clone()]);
    let keys = server.object_keys("team/");
    assert_eq!(keys.len(), 4, "one triple and the cache: {keys:?}");
}

#[test]
fn the_catalog_cache_is_written_and_a_missing_or_corrupt_one_is_rebuilt() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let objects = store_of(&server, "team");
    let cached = |objects: &ObjectStore| -> Value {
        let bytes = objects
            .read_small("catalog.json", 1 << 20)
            .expect("the cache");
        serde_json::from_slice(&bytes).expect("the cache is JSON")
    };

    assert_eq!(listed(&ws, &server, &store), vec![archive.clone()]);
    let cache = cached(&objects);
    assert_eq!(cache["format"], "results-backup-catalog");
    assert_eq!(cache["backups"][0]["backup_file"], archive.as_str());

    objects
        .put_small("catalog.json", b"{ not json".to_vec(), Publish::Replace)
        .expect("corrupt the cache");
    let run = run_s3(&ws, &server, &["--backups", &store, "list"]);
    run.assert_success();
    assert!(run.stderr.contains("cache"), "said: {}", run.describe());
    assert_eq!(
        cached(&objects)["backups"][0]["backup_file"],
        archive.as_str()
    );

    // A line for a backup catalog.d does not have is never listed, and is dropped.
    let mut planted = cached(&objects);
    let mut ghost = planted["backups"][0].clone();
    ghost["backup_file"] = Value::from("alpha_20200101_000000.tar.gz");
    planted["backups"]
        .as_array_mut()
        .expect("lines")
        .push(ghost);
    objects
        .put_small(
            "catalog.json",
            planted.to_string().into_bytes(),
            Publish::Replace,
        )
        .expect("plant a line");
    assert_eq!(listed(&ws, &server, &store), vec![archive.clone()]);
    assert_eq!(
        cached(&objects)["backups"].as_array().map(Vec::len),
        Some(1)
    );

    objects.delete("catalog.json").expect("delete the cache");
    assert_eq!(listed(&ws, &server, &store), vec![archive.clone()]);
    assert_eq!(
        cached(&objects)["backups"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn two_copies_into_one_store_at_the_same_time_both_appear() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    build_small_strategy(&ws.results, "beta", 2);
    let first = ws.backup_cli("alpha");
    let second = ws.backup_cli("beta");
    let store = server.address("team");
    // The cache exists before, so both writers read and rewrite it.
    assert!(listed(&ws, &server, &store).is_empty());

    let children: Vec<_> = [&first, &second]
        .into_iter()
        .map(|archive| {
            let mut command = ws.command(["copy", archive.as_str(), "--to", store.as_str()]);
            command.args(["--endpoint", &server.endpoint()]);
            for (key, value) in server.env() {
                command.env(key, value);
            }
            command
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start a copy")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("copy finished");
        Run::from_output("copy", output).assert_success();
    }
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(listed(&ws, &server, &store), both);
}

#[test]
fn copy_pulls_a_backup_from_a_store_into_a_folder() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let trip = ws.root.join("trip-backups");
    let trip_arg = trip.to_string_lossy().to_string();

    let pulled = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "copy",
            &archive,
            "--to",
            &trip_arg,
            "--json",
        ],
    );
    assert_copied(&pulled, "copied");
    assert_eq!(
        std::fs::read(trip.join(&archive)).expect("pulled archive"),
        std::fs::read(ws.backups.join(&archive)).expect("original archive")
    );
    let again = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "copy",
            "--all",
            "--to",
            &trip_arg,
            "--json",
        ],
    );
    assert_copied(&again, "already_there");

    let local = ws.run(["--backups", &trip_arg, "check", &archive, "--json"]);
    local.assert_success();
    assert_eq!(local.json()[0]["proof"], "manifest", "{}", local.describe());
    let leftovers: Vec<_> = std::fs::read_dir(&trip)
        .expect("trip folder")
        .flatten()
        .map(|item| item.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_replacing_restore_from_a_store_backs_up_the_current_folder_locally() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    std::fs::write(ws.results.join("alpha/edited.txt"), "after the backup").expect("edit");
    let before = ws.run(["list", "--json"]).json();

    let restored = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "restore",
            &archive,
            "--on-conflict",
            "replace",
            "--json",
        ],
    );
    restored.assert_success();
    let outcome = restored.json();
    assert_eq!(outcome["replaced"], true, "{}", restored.describe());
    assert!(!ws.results.join("alpha/edited.txt").exists(), "replaced");
    let after = ws.run(["list", "--json"]).json();
    assert_eq!(
        after.as_array().map(Vec::len),
        before.as_array().map(|b| b.len() + 1),
        "the safety backup is in the local folder"
    );
}

#[test]
fn restore_only_reads_the_chosen_file_through_the_index_with_ranged_reads() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    // Several MB that do not compress: most of the archive's gzip members hold this file.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: Vec<u8> = (0..6 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(ws.results.join("alpha/big.bin"), noise).expect("write");
    let archive = ws.backup_cli("alpha");
    let store = server.address("team");
    run_s3(&ws, &server, &["copy", &archive, "--to", &store]).assert_success();
    // A byte of big.bin changed in the store: reading the whole object would find it (the
    // block's CRC-32), so a restore of another file that succeeds never read that block.
    damage_object(&server, "team", &archive);

    let fresh = ws.root.join("fresh");
    let restored = restore_from_store(
        &ws,
        &server,
        &server.endpoint(),
        (&store, &archive),
        &fresh,
        &["--only", "sub/trades.csv"],
    );
    restored.assert_success();
    assert!(
        !restored.stderr.contains("whole archive"),
        "through the index: {}",
        restored.describe()
    );
    assert_eq!(
        std::fs::read(fresh.join("alpha/sub/trades.csv")).expect("restored"),
        std::fs::read(ws.results.join("alpha/sub/trades.csv")).expect("original")
    );
    assert!(
        !fresh.join("alpha/big.bin").exists(),
        "only what was chosen"
    );
}

#[test]
fn restoring_many_neighbouring_files_through_the_index_downloads_each_range_once() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    // 300 small files that compress well: many of them share each gzip member.
    for n in 0..300u64 {
        let file = ws.results.join(format!("alpha/runs/run_{n:03}.csv"));
        write_file(&file, csv_bytes(n, 24 * 1024));
        set_mtime(&file, BASE_MTIME);
    }
    set_mtime(&ws.results.join("alpha/runs"), BASE_MTIME);
    let archive = ws.backup_cli("alpha");
    let archive_bytes = std::fs::metadata(ws.backups.join(&archive))
        .expect("archive")
        .len();
    let store = server.address("team");
    run_s3(&ws, &server, &["copy", &archive, "--to", &store]).assert_success();

    let before = proxy.bytes_carried();
    let fresh = ws.root.join("fresh");
    let restored = restore_from_store(
        &ws,
        &server,
        &proxy.endpoint(),
        (&store, &archive),
        &fresh,
        &["--only", "runs"],
    );
    restored.assert_success();
    assert!(
        !restored.stderr.contains("whole archive"),
        "through the index: {}",
        restored.describe()
    );
    assert_same_tree(
        &snapshot(&ws.results.join("alpha/runs")),
        &snapshot(&fresh.join("alpha/runs")),
        "the restored runs",
    );
    // Every file starts in a member a neighbour already fetched: the archive's bytes come over
    // about once (plus the catalog, the sidecar and the HTTP heads), not once per file.
    let carried = proxy.bytes_carried() - before;
    assert!(
        carried < 2 * archive_bytes + 1024 * 1024,
        "{carried} bytes carried for a {archive_bytes}-byte archive"
    );
}

#[test]
fn extract_takes_one_file_out_of_a_backup_in_a_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let store = server.address("team");
    let into = ws.root.join("scratch");
    std::fs::create_dir(&into).expect("scratch folder");

    let run = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &store,
            "extract",
            &archive,
            "sub/trades.csv",
            "--to",
            &into.to_string_lossy(),
            "--json",
        ],
    );
    run.assert_success();
    let extracted = run.json();
    assert_eq!(extracted["random_access"], true, "{}", run.describe());
    let path = extracted["path"].as_str().expect("a path");
    assert_eq!(
        std::fs::read(path).expect("extracted"),
        std::fs::read(ws.results.join("alpha/sub/trades.csv")).expect("original")
    );
    assert_no_secret(&run);
}

#[test]
fn forget_on_a_store_decides_from_the_entries_never_from_an_edited_cache() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let names = backups_in_store(&ws, &server, "team", 3);
    let store = server.address("team");
    let objects = store_of(&server, "team");
    assert_eq!(listed(&ws, &server, &store).len(), 3);

    // The oldest backup's cached line now claims the year 2099: same lengths, so the listing
    // believes it, and a decision taken from it would keep the oldest and remove the newest.
    let bytes = objects
        .read_small("catalog.json", 1 << 20)
        .expect("the cache");
    let mut cache: Value = serde_json::from_slice(&bytes).expect("JSON");
    for line in cache["backups"].as_array_mut().expect("lines") {
        if line["backup_file"] == names[0].as_str() {
            for field in ["timestamp", "created"] {
                let text = line[field].as_str().expect("a string");
                line[field] = Value::from(format!("2099{}", &text[4..]));
            }
        }
    }
    objects
        .put_small(
            "catalog.json",
            cache.to_string().into_bytes(),
            Publish::Replace,
        )
        .expect("edit the cache");

    run_s3(
        &ws,
        &server,
        &["--backups", &store, "forget", "--keep-last", "1"],
    )
    .assert_success();
    assert_eq!(listed(&ws, &server, &store), vec![names[2].clone()]);
}

#[test]
fn copy_from_one_store_into_another() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = one_backup_in_store(&ws, &server, "team");
    let (team, other) = (server.address("team"), server.address("archive/2026"));

    let copied = run_s3(
        &ws,
        &server,
        &[
            "--backups",
            &team,
            "copy",
            "--all",
            "--to",
            &other,
            "--json",
        ],
    );
    assert_copied(&copied, "copied");
    assert_eq!(listed(&ws, &server, &other), vec![archive.clone()]);
    let checked = run_s3(&ws, &server, &["--backups", &other, "check", &archive]);
    checked.assert_success();
    assert_no_secret(&checked);
}

#[test]
fn a_small_object_replaced_between_its_look_up_and_its_read_is_read_whole_in_its_new_version() {
    let server = S3Server::start();
    // Two versions of different sizes, as the catalog cache changes with every backup.
    let (old, new) = (vec![b'a'; 3000], vec![b'b'; 5000]);
    store_of(&server, "team")
        .put_small("catalog.json", old, Publish::Replace)
        .expect("the old version");
    let proxy = Proxy::start(server.socket_address());
    let through_proxy = location_of(&server, "team")
        .with_endpoint(&proxy.endpoint())
        .expect("the proxy's endpoint");
    let reader = ObjectStore::open_with(&through_proxy, Some(&test_credentials()))
        .expect("open the store through the proxy");
    // Another writer replaces the object after the reader's HEAD, before its GET.
    let direct = location_of(&server, "team");
    let replacement = new.clone();
    proxy.before_next_get(move || {
        ObjectStore::open_with(&direct, Some(&test_credentials()))
            .and_then(|writer| writer.put_small("catalog.json", replacement, Publish::Replace))
            .expect("the other writer's new version");
    });

    let read = reader
        .read_small("catalog.json", 1 << 20)
        .expect("read though it was replaced");
    assert!(
        read == new,
        "the new version whole, not {} bytes cut or mixed",
        read.len()
    );
}
