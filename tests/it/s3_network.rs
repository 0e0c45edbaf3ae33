//! S3 stores over a network that fails: connections cut mid-upload and mid-download, a storm of
//! 503 Slow Down, a slow server, a silent one, a deleted bucket, refused credentials, a key
//! that may read but not write, and the
//! multipart uploads a killed run leaves behind. Each ends in a plain error (or a retry that
//! succeeds) within a bounded time, never in a partial backup or a partial restore. The server
//! is moto on loopback; the misbehaving network is the test kit's proxy in front of it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::s3::{assert_copied, assert_no_secret, restore_from_store, s3_command, store_of};
use crate::BIN;
use results_backup::PART_BYTES;
use results_backup_testkit::proxy::Proxy;
use results_backup_testkit::s3::S3Server;
use results_backup_testkit::*;
use serde_json::Value;

/// Seconds one try may take in the tests that wait on a silent or throttling server
/// (`RESULTS_BACKUP_S3_TIMEOUT_SECONDS`), so they take seconds rather than minutes.
const SHORT_TIMEOUT: &str = "2";
/// What any failing run here must finish within: four tries of [`SHORT_TIMEOUT`] and the
/// backoff between them, plus starting the process, with room for a loaded machine. A bound
/// on a hang, not a speed test.
const GIVES_UP_WITHIN: Duration = Duration::from_secs(60);

fn run_via(
    ws: &Sandbox,
    server: &S3Server,
    endpoint: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> Run {
    Run::of(&mut s3_command(ws, server, endpoint, env, args))
}

/// Every `"code"` in a `--json` document, wherever the command put its errors.
fn error_codes(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| match (key.as_str(), value) {
                ("code", Value::String(code)) => vec![code.clone()],
                _ => error_codes(value),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(error_codes).collect(),
        _ => Vec::new(),
    }
}

fn assert_failed_with(run: &Run, code: &str) {
    run.assert_code(1).assert_no_dump();
    assert_eq!(
        error_codes(&run.json()),
        vec![code.to_string()],
        "{}",
        run.describe()
    );
    assert_no_secret(run);
}

/// A backup of "alpha" holding `bytes` of incompressible data (the archive is about as large);
/// returns its file name.
fn backup_of_size(ws: &Sandbox, bytes: u64) -> String {
    build_small_strategy(&ws.results, "alpha", 1);
    write_noise(&ws.results.join("alpha/data/prices.bin"), bytes, 7);
    ws.backup_cli("alpha")
}

fn copy_directly(ws: &Sandbox, server: &S3Server, archive: &str, prefix: &str) {
    run_via(
        ws,
        server,
        &server.endpoint(),
        &[],
        &["copy", archive, "--to", &server.address(prefix)],
    )
    .assert_success();
}

#[test]
fn an_upload_cut_mid_way_publishes_nothing_and_a_rerun_completes_it() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 20_000_000);
    let store = server.address("team");

    // Less than one part: every try of the first part is cut, whatever connection it uses.
    proxy.cut_after(PART_BYTES as u64 / 3);
    let cut = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["copy", &archive, "--to", &store, "--json"],
    );
    assert!(proxy.connections_cut() > 0, "the proxy cut the upload");
    assert_failed_with(&cut, "store_unreachable");
    assert!(
        cut.stdout
            .contains("the connection was lost part-way through"),
        "{}",
        cut.describe()
    );
    assert!(
        !server
            .object_keys("team/")
            .iter()
            .any(|key| key.ends_with(".tar.gz") || key.ends_with(".json")),
        "nothing was published: {:?}",
        server.object_keys("team/")
    );

    proxy.heal();
    let again = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["copy", &archive, "--to", &store, "--json"],
    );
    again.assert_success();
    assert_eq!(again.json()[0]["status"], "copied", "{}", again.describe());
    assert!(server
        .object_keys("team/")
        .contains(&format!("team/{archive}")));
    assert!(server.open_uploads().is_empty(), "no upload left open");
}

#[test]
fn a_killed_upload_is_aborted_by_the_next_run_and_others_are_left_alone() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 20_000_000);
    build_small_strategy(&ws.results, "beta", 2);
    let other = ws.backup_cli("beta");
    let store = server.address("team");
    // Not one of our archives: never touched, however old.
    server.leave_upload_open("team/notes.bin");

    // Slow answers keep the copy mid-upload long enough to kill it there.
    proxy.delay(Duration::from_millis(500));
    let mut copying = s3_command(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["copy", &archive, "--to", &store],
    )
    .spawn()
    .expect("start the copy");
    let killed_key = format!("team/{archive}");
    let started = Instant::now();
    // Killed once a part is stored: a live-looking upload (moto dates every upload's start in
    // 2010, so the parts' times are what tells a live upload from a leftover here).
    while server.open_upload_parts(&killed_key) == 0 {
        assert!(
            copying.try_wait().expect("poll the copy").is_none(),
            "the copy ended before its upload was seen"
        );
        assert!(
            started.elapsed() < GIVES_UP_WITHIN,
            "the upload never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    copying.kill().expect("kill the copy");
    let _ = copying.wait();
    proxy.heal();
    let mut open = server.open_uploads();
    open.sort();
    assert_eq!(open, vec![killed_key.clone(), "team/notes.bin".to_string()]);
    assert!(server.object_keys("team/").is_empty(), "nothing visible");

    // The next upload into the store looks for stale uploads: this one stored a part seconds
    // ago, so another analyst could still be sending it. It stays. (notes.bin is not ours.)
    copy_directly(&ws, &server, &other, "team");
    let mut open = server.open_uploads();
    open.sort();
    assert_eq!(open, vec![killed_key.clone(), "team/notes.bin".to_string()]);

    // Once it counts as stale (the threshold shortened for the test), the next run aborts it,
    // and its own upload completes.
    let again = run_via(
        &ws,
        &server,
        &server.endpoint(),
        &[("RESULTS_BACKUP_S3_STALE_UPLOAD_SECONDS", "0")],
        &["copy", &archive, "--to", &store, "--json"],
    );
    again.assert_success();
    assert_eq!(again.json()[0]["status"], "copied", "{}", again.describe());
    assert_eq!(server.open_uploads(), vec!["team/notes.bin".to_string()]);
    assert!(server.object_keys("team/").contains(&killed_key));
}

#[test]
fn a_leaked_writer_is_aborted_once_stale_and_kept_while_fresh() {
    let server = S3Server::start();
    let store = store_of(&server, "team");
    let mut leaked = store
        .writer("alpha_20261130_101500.tar.gz")
        .expect("writer");
    // Three parts and more: the client starts the multipart upload only at the second part
    // (one part alone is sent as a plain put) and holds the last full part until more follows.
    std::io::Write::write_all(&mut leaked, &vec![3u8; 3 * PART_BYTES + 10]).expect("writes");
    // As a killed process would: no abort, no completion.
    std::mem::forget(leaked);
    let leaked_key = "team/alpha_20261130_101500.tar.gz";
    // The part is sent concurrently: it is stored once the runtime has run it (any next call).
    let started = Instant::now();
    while server.open_upload_parts(leaked_key) == 0 {
        assert!(store.size_of("anything").expect("head").is_none());
        assert!(
            started.elapsed() < GIVES_UP_WITHIN,
            "the part was never stored: {:?}",
            server.open_uploads()
        );
    }
    server.leave_upload_open("team/catalog.d/alpha_20261130_101500.tar.gz.json");
    assert_eq!(server.open_uploads().len(), 2);

    assert_eq!(
        store
            .abort_stale_uploads(Duration::from_secs(3600))
            .expect("listed"),
        0,
        "a fresh upload is left alone"
    );
    assert_eq!(server.open_uploads().len(), 2);
    assert_eq!(
        store.abort_stale_uploads(Duration::ZERO).expect("listed"),
        1,
        "only our archive's upload counts"
    );
    assert_eq!(
        server.open_uploads(),
        vec!["team/catalog.d/alpha_20261130_101500.tar.gz.json".to_string()]
    );
}

#[test]
fn a_download_cut_during_check_is_the_stores_failure_not_damage() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 3_000_000);
    copy_directly(&ws, &server, &archive, "team");
    let store = server.address("team");

    // A third of the archive gets through, then the network is gone for good.
    proxy.go_down_after(1_000_000);
    let text = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "check", &archive],
    );
    assert!(proxy.connections_cut() > 0, "the proxy cut the download");
    text.assert_code(1).assert_no_dump();
    let said = format!("{}{}", text.stdout, text.stderr);
    assert!(said.contains("Could not download"), "{}", text.describe());
    assert!(
        said.contains("the connection was lost part-way through"),
        "{}",
        text.describe()
    );
    assert!(
        !said.to_lowercase().contains("damaged"),
        "a cut connection is not damage: {}",
        text.describe()
    );
    assert_no_secret(&text);

    proxy.heal();
    proxy.go_down_after(1_000_000);
    let json = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "check", &archive, "--json"],
    );
    assert_failed_with(&json, "store_unreachable");

    proxy.heal();
    run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "check", &archive],
    )
    .assert_success();
}

#[test]
fn a_download_cut_during_restore_writes_nothing() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 3_000_000);
    copy_directly(&ws, &server, &archive, "team");
    let store = server.address("team");
    // A third of the archive gets through, then the network is gone for good.
    proxy.go_down_after(1_000_000);

    let fresh = ws.root.join("fresh");
    let into_fresh = restore_from_store(
        &ws,
        &server,
        &proxy.endpoint(),
        (&store, &archive),
        &fresh,
        &["--json"],
    );
    assert_failed_with(&into_fresh, "store_unreachable");
    assert!(
        !fresh.exists() || names_in(&fresh).is_empty(),
        "nothing written: {:?}",
        names_in(&fresh)
    );

    // Over the strategy folder itself: everything in the results folder is left exactly as it
    // was (the folder's own time changes: the staging folder came and went in it).
    proxy.heal();
    proxy.go_down_after(1_000_000);
    let before = snapshot(&ws.results).without_root();
    let over = restore_from_store(
        &ws,
        &server,
        &proxy.endpoint(),
        (&store, &archive),
        &ws.results,
        &["--on-conflict", "replace", "--json"],
    );
    assert_failed_with(&over, "store_unreachable");
    assert_same_tree(
        &before,
        &snapshot(&ws.results).without_root(),
        "the results folder",
    );
}

#[test]
fn a_short_storm_of_slow_downs_is_ridden_out() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    let store = server.address("team");

    // Fewer than the retries of one request.
    proxy.throttle(2);
    let copied = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["copy", &archive, "--to", &store, "--json"],
    );
    copied.assert_success();
    assert_eq!(proxy.requests_throttled(), 2);
    assert_copied(&copied, "copied");
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_long_storm_of_slow_downs_ends_in_a_plain_error() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let store = server.address("team");

    proxy.throttle(usize::MAX);
    let started = Instant::now();
    let listed = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[("RESULTS_BACKUP_S3_TIMEOUT_SECONDS", SHORT_TIMEOUT)],
        &["list", "--backups", &store, "--json"],
    );
    assert!(started.elapsed() < GIVES_UP_WITHIN, "bounded retries");
    assert_failed_with(&listed, "store_unreachable");
    assert!(
        listed.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("slow down")),
        "{}",
        listed.describe()
    );
    // The first try and three retries.
    assert_eq!(proxy.requests_throttled(), 4);
}

#[test]
fn a_slow_server_is_waited_for() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    let store = server.address("team");

    proxy.delay(Duration::from_millis(300));
    run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["copy", &archive, "--to", &store],
    )
    .assert_success();
    run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "check", &archive],
    )
    .assert_success();
}

#[test]
fn a_silent_server_is_given_up_on_in_bounded_time() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    let store = server.address("team");

    proxy.blackhole();
    for args in [
        vec!["list", "--backups", &store, "--json"],
        vec!["copy", &archive, "--to", &store, "--json"],
    ] {
        let started = Instant::now();
        let run = run_via(
            &ws,
            &server,
            &proxy.endpoint(),
            &[("RESULTS_BACKUP_S3_TIMEOUT_SECONDS", SHORT_TIMEOUT)],
            &args,
        );
        assert!(started.elapsed() < GIVES_UP_WITHIN, "bounded: {args:?}");
        assert_failed_with(&run, "store_unreachable");
    }
}

#[test]
fn a_closed_port_is_a_plain_error_for_every_command() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    let nobody = format!(
        "http://{}",
        results_backup_testkit::s3::free_loopback_port()
    );
    let store = server.address("team");
    for args in [
        vec!["copy", archive.as_str(), "--to", &store, "--json"],
        vec!["--backups", &store, "check", &archive, "--json"],
    ] {
        let run = run_via(&ws, &server, &nobody, &[], &args);
        assert_failed_with(&run, "store_unreachable");
    }
}

#[test]
fn a_deleted_bucket_is_named_plainly() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    copy_directly(&ws, &server, &archive, "team");
    let store = server.address("team");
    server.delete_bucket();

    for args in [
        vec!["list", "--backups", &store],
        vec!["copy", &archive, "--to", &store],
        vec!["--backups", &store, "check", &archive],
    ] {
        let run = run_via(&ws, &server, &server.endpoint(), &[], &args);
        run.assert_code(1).assert_no_dump();
        assert!(
            run.stderr
                .contains("the bucket \"results-test\" does not exist"),
            "{args:?}: {}",
            run.describe()
        );
        assert_no_secret(&run);
    }
    let json = run_via(
        &ws,
        &server,
        &server.endpoint(),
        &[],
        &["list", "--backups", &store, "--json"],
    );
    assert_failed_with(&json, "store_misconfigured");
}

#[test]
fn refused_credentials_are_said_plainly_and_never_shown() {
    let server = S3Server::start_with_auth();
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    let store = server.address("team");

    for args in [
        vec!["list", "--backups", &store, "--json"],
        vec!["copy", &archive, "--to", &store, "--json"],
    ] {
        let run = run_via(&ws, &server, &server.endpoint(), &[], &args);
        assert_failed_with(&run, "store_access_denied");
        assert!(
            run.stdout.contains("refused the credentials"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn a_key_that_may_only_read_restores_but_writes_nothing_and_is_told_why() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    let archive = backup_of_size(&ws, 100_000);
    copy_directly(&ws, &server, &archive, "team");
    let before = server.object_keys("team/");
    let store = server.address("team");
    proxy.refuse_writes();

    // Reading works as with any key: list, check, restore.
    let listed = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "list", "--json"],
    );
    listed.assert_success();
    assert_eq!(listed.json()[0]["backup_file"], archive.as_str());
    let to = ws.root.join("restored");
    restore_from_store(
        &ws,
        &server,
        &proxy.endpoint(),
        (&store, &archive),
        &to,
        &[],
    )
    .assert_success();
    assert_eq!(
        std::fs::read(to.join("alpha/data/prices.bin")).expect("restored"),
        std::fs::read(ws.results.join("alpha/data/prices.bin")).expect("original"),
        "restored with a read-only key"
    );

    // A check reads only: it succeeds, and says its result could not be recorded.
    let checked = run_via(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "check", &archive],
    );
    checked.assert_success();
    assert!(
        checked.stderr.contains("was not recorded"),
        "{}",
        checked.describe()
    );

    // Every write is refused by the store; each says so plainly and leaves the store as it was.
    build_small_strategy(&ws.results, "beta", 2);
    let beta = ws.backup_cli("beta");
    for args in [
        vec!["--backups", &store, "backup", "alpha", "--json"],
        vec!["copy", &beta, "--to", &store, "--json"],
        vec!["--backups", &store, "delete", &archive, "--yes", "--json"],
    ] {
        let run = run_via(&ws, &server, &proxy.endpoint(), &[], &args);
        assert_failed_with(&run, "store_access_denied");
        assert!(
            run.stdout.contains("access was denied"),
            "{}",
            run.describe()
        );
    }
    assert!(proxy.writes_refused() >= 3, "the writes reached the proxy");
    assert_eq!(
        server.object_keys("team/"),
        before,
        "the store is as it was"
    );
    assert!(server.open_uploads().is_empty(), "no upload left open");
}

/// Sends SIGINT, as Ctrl-C in a terminal does.
fn ctrl_c(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill is installed");
    assert!(status.success());
}

#[test]
fn a_second_ctrl_c_stops_at_once_while_the_store_does_not_answer() {
    let server = S3Server::start();
    let proxy = Proxy::start(server.socket_address());
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let store = server.address("team");
    proxy.blackhole();
    let mut child = s3_command(
        &ws,
        &server,
        &proxy.endpoint(),
        &[],
        &["--backups", &store, "backup", "alpha"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("start the CLI");
    let deadline = Instant::now() + GIVES_UP_WITHIN;
    while proxy.connections_accepted() == 0 {
        assert!(Instant::now() < deadline, "the CLI never reached the store");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The first Ctrl-C asks for a stop at the next safe point, which the silent store's
    // request (minutes of timeout) holds back; the second stops at once.
    ctrl_c(&child);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "still waiting for the store after the first Ctrl-C"
    );
    ctrl_c(&child);
    let stopped = Instant::now() + GIVES_UP_WITHIN;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        assert!(
            Instant::now() < stopped,
            "the second Ctrl-C did not stop it"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run::from_output("backup alpha", child.wait_with_output().expect("output"));
    assert_eq!(status.code(), Some(130), "{}", run.describe());
    assert!(
        run.stderr.contains("press Ctrl-C again to stop at once"),
        "{}",
        run.describe()
    );
    run.assert_no_dump();
    proxy.heal();
    assert!(server.object_keys("team/").is_empty(), "nothing published");
}

/// A scripted S3 endpoint that pages its list of open uploads as AWS does (moto returns them
/// all at once): page one ends with another tool's upload and points on to page two. It
/// answers every part listing with no parts, and records each abort.
struct PagingServer {
    endpoint: String,
    aborted: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    listings: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl PagingServer {
    fn start() -> PagingServer {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let aborted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let listings = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (seen, counted) = (aborted.clone(), listings.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let target = head.split(' ').nth(1).unwrap_or_default().to_string();
                let (status, body) = if head.starts_with("DELETE ") {
                    let key = target.split('?').next().unwrap_or_default();
                    seen.lock().unwrap().push(key.to_string());
                    ("204 No Content", String::new())
                } else if target.contains("uploads=") {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let upload = |key: &str, id: &str| {
                        format!("<Upload><Key>{key}</Key><UploadId>{id}</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>")
                    };
                    let page = if target.contains("key-marker=team%2Fnotes.bin&upload-id-marker=u2")
                    {
                        format!(
                            "<IsTruncated>false</IsTruncated>{}",
                            upload("team/beta_20260101_000000.tar.gz", "u3")
                        )
                    } else {
                        format!(
                            "<NextKeyMarker>team/notes.bin</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>{}{}",
                            upload("team/alpha_20260101_000000.tar.gz", "u1"),
                            upload("team/notes.bin", "u2")
                        )
                    };
                    ("200 OK", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult>{page}</ListMultipartUploadsResult>"))
                } else {
                    (
                        "200 OK",
                        "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>"
                            .to_string(),
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        PagingServer {
            endpoint,
            aborted,
            listings,
        }
    }
}

#[test]
fn stale_uploads_are_found_on_every_page_of_the_listing() {
    let server = PagingServer::start();
    let location = results_backup::S3Location::parse("s3://results-test/team")
        .and_then(|location| location.with_endpoint(&server.endpoint))
        .expect("location");
    let store =
        results_backup::ObjectStore::open_with(&location, Some(&crate::s3::test_credentials()))
            .expect("open");

    let aborted = store
        .abort_stale_uploads(Duration::ZERO)
        .expect("the sweep");

    assert_eq!(aborted, 2);
    let mut keys = server.aborted.lock().unwrap().clone();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "/results-test/team/alpha_20260101_000000.tar.gz".to_string(),
            "/results-test/team/beta_20260101_000000.tar.gz".to_string(),
        ],
        "ours on both pages; another tool's upload is left alone"
    );
    assert_eq!(server.listings.load(std::sync::atomic::Ordering::SeqCst), 2);
}
