//! Automatic protection into an S3 store (`--backups s3://... watch`), against a real S3 server
//! on loopback (moto): a change is backed up into the store, a schedule slot too (its state
//! stays on this computer), retention after automatic backups deletes from the store, a store
//! that does not answer makes a plain failure while the watcher keeps running, and the engine
//! retries until the store is back. Each test waits for what it expects with a deadline.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::s3::{listed, objects_of, run_s3, test_credentials};
use crate::BIN;
use results_backup::{
    health, scan_in, spawn_protector, AutomaticPolicy, AutomaticSettings, BackupsStore, NoProgress,
    ProtectionEvent, Protector, ProtectorOptions, RemoteStore, S3Location, ScheduleState, Settings,
    StrategyName, StrategyState, Trigger, WatchOptions,
};
use results_backup_testkit::proxy::Proxy;
use results_backup_testkit::s3::{free_loopback_port, S3Server, TEST_ACCESS_KEY, TEST_SECRET_KEY};
use results_backup_testkit::*;
use serde_json::Value;

/// `results-backup --json watch ...` running against a store, its JSON lines collected.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
}

impl Watch {
    /// Starts `watch` with `args` on the store `store` at `endpoint`, with the test keys and
    /// `env`.
    fn start(
        ws: &Sandbox,
        store: &str,
        endpoint: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Watch {
        let mut command = ws.command([
            "--json",
            "--backups",
            store,
            "--endpoint",
            endpoint,
            "watch",
        ]);
        command
            .args(args)
            .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
            .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws-credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn watch");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let lines: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = Arc::clone(&lines);
        let stdout = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line).expect("one JSON object per line");
                sink.lock().expect("lines").push(value);
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let watch = Watch {
            child,
            lines,
            stdout: Some(stdout),
            stderr: Some(stderr),
        };
        watch.wait_for("watching", Duration::from_secs(20), |w| {
            w.count("watching") > 0
        });
        watch
    }

    fn count(&self, event: &str) -> usize {
        self.events(event).len()
    }

    fn events(&self, event: &str) -> Vec<Value> {
        self.lines
            .lock()
            .expect("lines")
            .iter()
            .filter(|line| line["event"] == event)
            .cloned()
            .collect()
    }

    fn created(&self) -> usize {
        self.events("backup_finished")
            .iter()
            .filter(|line| line["status"] == "created")
            .count()
    }

    fn wait_for(&self, what: &str, timeout: Duration, ready: impl Fn(&Watch) -> bool) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if ready(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.lines.lock().expect("lines")
        );
    }

    /// Ctrl-C; returns the exit code and everything printed, after checking that no
    /// credential was.
    fn stop(mut self) -> (Option<i32>, String) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill is installed");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let code = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("watch did not stop within 20 seconds of Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(reader) = self.stdout.take() {
            reader.join().expect("stdout reader");
        }
        let stderr = self
            .stderr
            .take()
            .map(|reader| reader.join().expect("stderr reader"))
            .unwrap_or_default();
        let printed = format!("{:?}\n{stderr}", self.lines.lock().expect("lines"));
        for secret in [TEST_SECRET_KEY, TEST_ACCESS_KEY] {
            assert!(
                !printed.contains(secret),
                "a credential was shown: {printed}"
            );
        }
        (code, printed)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // A failed assertion must not leave the process behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_on_a_store_backs_up_a_change_into_the_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let store = server.address("team");
    run_s3(&ws, &server, &["--backups", &store, "backup", "alpha"]).assert_success();
    assert_eq!(listed(&ws, &server, &store).len(), 1);

    let watch = Watch::start(
        &ws,
        &store,
        &server.endpoint(),
        &["--on-change", "--quiet", "2s"],
        &[],
    );
    // The start-up catch-up compares with the store's latest backup: nothing new.
    watch.wait_for("the start-up comparison", Duration::from_secs(20), |w| {
        w.count("backup_finished") == 1
    });
    assert_eq!(watch.created(), 0, "unchanged since the store's backup");
    write_file(&ws.results.join("alpha").join("late.csv"), b"t,p\n9,9\n");
    watch.wait_for("the automatic backup", Duration::from_secs(30), |w| {
        w.created() == 1
    });
    let (code, printed) = watch.stop();
    assert_eq!(code, Some(0), "{printed}");

    let names = listed(&ws, &server, &store);
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        for key in objects_of(name) {
            assert!(server.object_keys("team/").contains(&key), "{key}");
        }
    }
    assert!(server.open_uploads().is_empty(), "no upload left open");
    assert!(
        !ws.backups.exists(),
        "nothing was backed up on this computer"
    );
}

#[test]
fn a_scheduled_run_backs_up_into_the_store_and_its_state_stays_on_this_computer() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let store = server.address("team");
    let state_file = ScheduleState::path_beside(&ws.settings);
    assert!(!state_file.exists());

    // Never run: the hourly schedule is due at once.
    let watch = Watch::start(
        &ws,
        &store,
        &server.endpoint(),
        &["--every", "hour", "--quiet", "2s"],
        &[],
    );
    watch.wait_for("the scheduled backup", Duration::from_secs(30), |w| {
        w.created() == 1
    });
    let started = watch.events("backup_started");
    assert_eq!(started[0]["trigger"], "schedule", "{started:?}");
    let (code, printed) = watch.stop();
    assert_eq!(code, Some(0), "{printed}");

    let names = listed(&ws, &server, &store);
    assert_eq!(names.len(), 1, "{names:?}");
    // Besides the backup's objects, at most the catalog cache a listing writes.
    let mut keys = server.object_keys("team/");
    keys.retain(|key| key != "team/catalog.json");
    keys.sort();
    let mut expected = objects_of(&names[0]).to_vec();
    expected.sort();
    assert_eq!(
        keys, expected,
        "the store holds the backup and nothing else"
    );
    let state = ScheduleState::load(&state_file).expect("the schedule state, beside the settings");
    assert!(state
        .last_scheduled_run
        .contains_key(&StrategyName::new("alpha").expect("name")));
    assert!(
        !ws.backups.exists(),
        "nothing was backed up on this computer"
    );
}

#[test]
fn retention_after_automatic_backups_forgets_in_the_store() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let store = server.address("team");
    let mut settings = Settings::load(&ws.settings).expect("the sandbox's settings");
    settings.retention = serde_json::from_value(serde_json::json!({
        "all": {"keep_last": 2},
        "apply_after_automatic": true,
    }))
    .expect("a retention policy");
    settings.save(&ws.settings).expect("save settings");

    let watch = Watch::start(
        &ws,
        &store,
        &server.endpoint(),
        &["--on-change", "--quiet", "2s"],
        &[],
    );
    // The first automatic backup is the start-up catch-up (never backed up); two changes make
    // the second and the third.
    watch.wait_for("the first automatic backup", Duration::from_secs(30), |w| {
        w.created() == 1
    });
    for n in 2..=3 {
        write_file(
            &ws.results.join("alpha").join("run.txt"),
            format!("run {n}"),
        );
        watch.wait_for("the next automatic backup", Duration::from_secs(30), |w| {
            w.created() == n
        });
    }
    // Retention runs right after the backup it follows; give it the time of a listing.
    let created: Vec<String> = watch
        .events("backup_finished")
        .iter()
        .filter_map(|line| line["backup"]["backup_file"].as_str().map(String::from))
        .collect();
    assert_eq!(created.len(), 3, "{created:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while listed(&ws, &server, &store).len() != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, printed) = watch.stop();
    assert_eq!(code, Some(0), "{printed}");
    assert!(!printed.contains("after_backup_failed"), "{printed}");

    let mut kept = created.clone();
    kept.sort();
    let forgotten = kept.remove(0);
    assert_eq!(listed(&ws, &server, &store), kept);
    let keys = server.object_keys("team/");
    for key in objects_of(&forgotten) {
        assert!(!keys.contains(&key), "{key} is gone: {keys:?}");
    }
    for name in &kept {
        for key in objects_of(name) {
            assert!(keys.contains(&key), "{key} is kept");
        }
    }
}

#[test]
fn an_unreachable_store_fails_plainly_and_the_watcher_keeps_running() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let nobody = format!("http://{}", free_loopback_port());
    let started = Instant::now();
    let watch = Watch::start(
        &ws,
        "s3://results-test/team",
        &nobody,
        &["--on-change", "--quiet", "2s"],
        &[("RESULTS_BACKUP_S3_TIMEOUT_SECONDS", "1")],
    );
    watch.wait_for("the failed backup", Duration::from_secs(60), |w| {
        w.count("backup_failed") == 1
    });
    assert!(started.elapsed() < Duration::from_secs(60), "bounded");
    let failure = watch.events("backup_failed").remove(0);
    assert_eq!(failure["error"]["code"], "store_unreachable", "{failure}");
    assert!(
        failure["retry_in_seconds"].as_u64().is_some_and(|s| s > 0),
        "{failure}"
    );
    let message = failure["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("s3://results-test/team"), "{message}");

    // Still watching: a later change is seen.
    let changes = watch.count("strategy_changed");
    write_file(&ws.results.join("alpha").join("late.csv"), b"1\n");
    watch.wait_for("the change seen", Duration::from_secs(20), |w| {
        w.count("strategy_changed") > changes
    });
    let (code, printed) = watch.stop();
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        !ws.backups.exists(),
        "nothing was backed up on this computer"
    );
}

#[test]
fn a_store_that_went_down_is_retried_and_the_backup_lands_when_it_is_back() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 1);
    let proxy = Proxy::start(server.socket_address());
    // Every connection is cut at its first byte until healed.
    proxy.go_down_after(0);
    let location = S3Location::parse(&server.address("team"))
        .and_then(|l| l.with_endpoint(&proxy.endpoint()))
        .expect("valid location");
    let store =
        RemoteStore::open_with(&location, Some(&test_credentials())).expect("open the store");
    let automatic = AutomaticSettings {
        all: Some(AutomaticPolicy {
            on_change: true,
            quiet_seconds: 2,
            schedule: None,
        }),
        ..AutomaticSettings::default()
    };
    let options = ProtectorOptions {
        watch: WatchOptions {
            force_polling: false,
            poll_interval: Duration::from_millis(200),
            presence_interval: Duration::from_millis(200),
        },
        retry_delays: vec![Duration::from_secs(1)],
        ..ProtectorOptions::default()
    };
    let events: Arc<Mutex<Vec<ProtectionEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let protector = Protector::with_store(
        ws.locations(),
        BackupsStore::S3(store.clone()),
        automatic.clone(),
        options,
    );
    let thread = spawn_protector(protector, move |event| {
        sink.lock().expect("events").push(event)
    });
    let failures = || {
        events
            .lock()
            .expect("events")
            .iter()
            .filter_map(|e| match e {
                ProtectionEvent::BackupFailed { error, .. } => Some(error.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while failures().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen = failures();
    assert!(
        seen.len() >= 2,
        "failed, then failed again on retry: {seen:?}"
    );
    assert!(
        seen.iter().all(|e| e.code == "store_unreachable"),
        "{seen:?}"
    );
    proxy.heal();
    let created = || {
        events
            .lock()
            .expect("events")
            .iter()
            .any(|e| matches!(e, ProtectionEvent::BackupFinished { .. }))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !created() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    thread.stop().expect("stops cleanly");
    let list = events.lock().expect("events");
    let finished = list.iter().find_map(|e| match e {
        ProtectionEvent::BackupFinished {
            trigger, backup, ..
        } => Some((*trigger, backup.clone())),
        _ => None,
    });
    let Some((trigger, Some(backup))) = finished else {
        panic!("the retry made the backup: {list:?}");
    };
    assert_eq!(trigger, Trigger::Retry);
    assert_eq!(
        listed(&ws, &server, &server.address("team")),
        vec![backup.backup_file.to_string()]
    );
    assert!(server.open_uploads().is_empty(), "no upload left open");
    assert!(
        !ws.backups.exists(),
        "nothing was backed up on this computer"
    );
    // The summary is built from the store's catalog: the strategy is protected there.
    let statuses =
        scan_in(&ws.locations(), &BackupsStore::S3(store), &NoProgress).expect("scan the store");
    let summary = health(&statuses, &automatic, &BTreeMap::new(), chrono::Utc::now());
    assert_eq!(statuses[0].state, StrategyState::Protected);
    assert!(summary.all_well, "{}", summary.sentence);
}
