//! Automatic protection on real files: the engine (`Protector`) run in-process with short quiet
//! periods, and `results-backup watch` run as a process. Each test waits for the state it
//! expects with a deadline instead of sleeping blindly, so it is as fast as the machine.

use crate::BIN;
use results_backup::{
    spawn_protector, AutomaticPolicy, AutomaticSettings, BackupStatus, Catalog, Locations,
    NoProgress, ProtectionEvent, Protector, ProtectorOptions, ProtectorThread, Schedule,
    ScheduleState, Settings, StrategyName, Trigger, WatchMode, WatchOptions,
};
use results_backup_testkit::*;
use std::fs;
use std::io::BufRead;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Events = Arc<Mutex<Vec<ProtectionEvent>>>;

fn on_change(quiet_seconds: u32) -> AutomaticSettings {
    AutomaticSettings {
        all: Some(AutomaticPolicy {
            on_change: true,
            quiet_seconds,
            schedule: None,
        }),
        ..AutomaticSettings::default()
    }
}

fn fast_options(force_polling: bool) -> ProtectorOptions {
    ProtectorOptions {
        watch: WatchOptions {
            force_polling,
            poll_interval: Duration::from_millis(200),
            presence_interval: Duration::from_millis(200),
        },
        retry_delays: vec![Duration::from_secs(1)],
        ..ProtectorOptions::default()
    }
}

/// Starts the engine on a thread; its events collect in the returned list.
fn start(
    locations: Locations,
    automatic: AutomaticSettings,
    options: ProtectorOptions,
) -> (ProtectorThread, Events) {
    let events: Events = Arc::default();
    let sink = Arc::clone(&events);
    let protector = Protector::new(locations, automatic, options);
    let thread = spawn_protector(protector, move |event| {
        sink.lock().expect("events").push(event)
    });
    (thread, events)
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn count(events: &Events, matches: impl Fn(&ProtectionEvent) -> bool) -> usize {
    events
        .lock()
        .expect("events")
        .iter()
        .filter(|e| matches(e))
        .count()
}

fn created(events: &Events, strategy: &str) -> usize {
    count(
        events,
        |e| matches!(e, ProtectionEvent::BackupFinished { strategy: s, status: BackupStatus::Created, .. } if s.as_str() == strategy),
    )
}

fn backups_of(backups: &Path, strategy: &str) -> usize {
    Catalog::load(backups, &NoProgress)
        .map(|c| c.list(Some(strategy)).len())
        .unwrap_or(0)
}

fn wait_watching(events: &Events) {
    wait_for("watching", Duration::from_secs(10), || {
        count(events, |e| matches!(e, ProtectionEvent::Watching { .. })) > 0
    });
}

/// The strategy exists and is backed up before the engine starts, so its start-up catch-up
/// finds nothing new and every backup counted below comes from the writes.
fn backed_up_strategy(ws: &Sandbox, name: &str) {
    write_file(&ws.results.join(name).join("metrics.json"), b"{}");
    back_up_with_core(&ws.results, &ws.backups, name, 1);
}

#[test]
fn a_hundred_writes_over_three_seconds_give_exactly_one_backup() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    let (thread, events) = start(ws.locations(), on_change(1), fast_options(false));
    wait_watching(&events);
    for i in 0..100 {
        write_file(
            &ws.results.join("alpha").join(format!("part_{}.csv", i % 7)),
            format!("row {i}\n"),
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    wait_for(
        "the backup after the quiet period",
        Duration::from_secs(15),
        || backups_of(&ws.backups, "alpha") == 2,
    );
    // Well past another quiet period: still one new backup, not one per write.
    std::thread::sleep(Duration::from_millis(2500));
    thread.stop().expect("stops cleanly");
    assert_eq!(backups_of(&ws.backups, "alpha"), 2);
    assert_eq!(created(&events, "alpha"), 1);
    assert!(
        count(&events, |e| matches!(
            e,
            ProtectionEvent::StrategyChanged { .. }
        )) >= 1
    );
}

#[test]
fn writes_to_two_strategies_give_one_backup_each() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    backed_up_strategy(&ws, "beta");
    let (thread, events) = start(ws.locations(), on_change(1), fast_options(false));
    wait_watching(&events);
    for i in 0..20 {
        write_file(&ws.results.join("alpha").join("a.csv"), format!("{i}"));
        write_file(
            &ws.results.join("beta/deep/er").join("b.csv"),
            format!("{i}"),
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for("a backup of each", Duration::from_secs(15), || {
        backups_of(&ws.backups, "alpha") == 2 && backups_of(&ws.backups, "beta") == 2
    });
    std::thread::sleep(Duration::from_millis(1500));
    thread.stop().expect("stops cleanly");
    assert_eq!(
        (created(&events, "alpha"), created(&events, "beta")),
        (1, 1)
    );
}

#[test]
fn a_results_folder_removed_and_brought_back_is_noticed_once_and_protection_resumes() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    let (thread, events) = start(ws.locations(), on_change(1), fast_options(false));
    wait_watching(&events);
    let away = ws.root.join("results-away");
    fs::rename(&ws.results, &away).expect("move the results folder away");
    wait_for("missing", Duration::from_secs(5), || {
        count(&events, |e| {
            matches!(e, ProtectionEvent::ResultsFolderMissing { .. })
        }) == 1
    });
    // Changed while away; nothing may start while the folder is missing.
    write_file(&away.join("alpha").join("late.csv"), b"1,2\n");
    std::thread::sleep(Duration::from_millis(1500));
    let started_while_missing = count(&events, |e| {
        matches!(e, ProtectionEvent::BackupStarted { .. })
    });
    assert_eq!(
        started_while_missing,
        0,
        "{:?}",
        events.lock().expect("events")
    );
    fs::rename(&away, &ws.results).expect("bring the results folder back");
    wait_for("back and backed up", Duration::from_secs(15), || {
        backups_of(&ws.backups, "alpha") == 2
    });
    thread.stop().expect("stops cleanly");
    assert_eq!(
        count(&events, |e| matches!(
            e,
            ProtectionEvent::ResultsFolderMissing { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, |e| matches!(
            e,
            ProtectionEvent::ResultsFolderBack { .. }
        )),
        1
    );
    assert_eq!(created(&events, "alpha"), 1);
}

#[test]
fn forced_polling_says_so_and_still_sees_changes() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    let (thread, events) = start(ws.locations(), on_change(1), fast_options(true));
    wait_watching(&events);
    let polling = count(
        &events,
        |e| matches!(e, ProtectionEvent::Watching { mode: WatchMode::Polling, reason: Some(r), .. } if r.contains("RESULTS_BACKUP_WATCH")),
    );
    assert_eq!(polling, 1, "{:?}", events.lock().expect("events"));
    write_file(&ws.results.join("alpha").join("new.csv"), b"x");
    wait_for(
        "the polled change backed up",
        Duration::from_secs(15),
        || backups_of(&ws.backups, "alpha") == 2,
    );
    thread.stop().expect("stops cleanly");
    assert_eq!(created(&events, "alpha"), 1);
}

#[test]
fn a_failing_backup_is_reported_plainly_and_retried_until_it_succeeds() {
    let ws = Sandbox::new(BIN);
    write_file(&ws.results.join("alpha").join("a.csv"), b"1");
    // The backups folder cannot be created: a file stands where it should be (as when the
    // backup disk is unplugged and its mount point is something else).
    write_file(&ws.backups, b"not a folder");
    let (thread, events) = start(ws.locations(), on_change(1), fast_options(false));
    wait_for("a reported failure", Duration::from_secs(10), || {
        count(&events, |e| {
            matches!(e, ProtectionEvent::BackupFailed { .. })
        }) >= 1
    });
    {
        let list = events.lock().expect("events");
        let failure = list
            .iter()
            .find_map(|e| match e {
                ProtectionEvent::BackupFailed {
                    error,
                    retry_in_seconds,
                    ..
                } => Some((error.clone(), *retry_in_seconds)),
                _ => None,
            })
            .expect("a failure");
        assert_eq!(failure.1, 1);
        assert!(!failure.0.message.contains("Os {"), "{failure:?}");
        assert!(!failure.0.hint.is_empty());
    }
    fs::remove_file(&ws.backups).expect("free the backups folder's place");
    wait_for("the retry succeeding", Duration::from_secs(10), || {
        backups_of(&ws.backups, "alpha") == 1
    });
    thread.stop().expect("stops cleanly");
    assert!(
        count(&events, |e| matches!(
            e,
            ProtectionEvent::BackupStarted {
                trigger: Trigger::Retry,
                ..
            }
        )) >= 1
    );
    assert!(partial_files_in(&ws.backups).is_empty());
}

#[test]
fn a_missed_schedule_runs_once_at_start_and_is_remembered() {
    let ws = Sandbox::new(BIN);
    write_file(&ws.results.join("alpha").join("a.csv"), b"1");
    let state_file = ScheduleState::path_beside(&ws.settings);
    let mut state = ScheduleState::default();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(3);
    state
        .last_scheduled_run
        .insert(StrategyName::new("alpha").expect("name"), long_ago);
    state.save(&state_file).expect("save state");
    let automatic = AutomaticSettings {
        all: Some(AutomaticPolicy {
            on_change: false,
            quiet_seconds: 1,
            schedule: Some(Schedule::Hour { minute: 0 }),
        }),
        ..AutomaticSettings::default()
    };
    let options = ProtectorOptions {
        state_file: Some(state_file.clone()),
        ..fast_options(false)
    };
    let (thread, events) = start(ws.locations(), automatic, options);
    wait_for("the missed run", Duration::from_secs(10), || {
        backups_of(&ws.backups, "alpha") == 1
    });
    std::thread::sleep(Duration::from_millis(1500));
    thread.stop().expect("stops cleanly");
    let scheduled = count(&events, |e| {
        matches!(
            e,
            ProtectionEvent::BackupStarted {
                trigger: Trigger::Schedule,
                ..
            }
        )
    });
    assert_eq!(scheduled, 1, "72 missed hourly slots are one run");
    let saved = ScheduleState::load(&state_file).expect("state reads back");
    let last = saved.last_scheduled_run[&StrategyName::new("alpha").expect("name")];
    assert!(last > long_ago);
}

#[test]
fn a_broken_state_file_is_reported_and_treated_as_never_run() {
    let ws = Sandbox::new(BIN);
    write_file(&ws.results.join("alpha").join("a.csv"), b"1");
    let state_file = ScheduleState::path_beside(&ws.settings);
    fs::write(&state_file, b"{\"last_scheduled_run\": {\"../x\": 5").expect("write");
    assert!(ScheduleState::load(&state_file).is_err());
    let automatic = AutomaticSettings {
        all: Some(AutomaticPolicy {
            quiet_seconds: 1,
            schedule: Some(Schedule::Day { at: "00:00".into() }),
            ..AutomaticPolicy::default()
        }),
        ..AutomaticSettings::default()
    };
    let options = ProtectorOptions {
        state_file: Some(state_file.clone()),
        ..fast_options(false)
    };
    let (thread, events) = start(ws.locations(), automatic, options);
    wait_for("the run", Duration::from_secs(10), || {
        backups_of(&ws.backups, "alpha") == 1
    });
    thread.stop().expect("stops cleanly");
    assert_eq!(
        count(
            &events,
            |e| matches!(e, ProtectionEvent::Warning { message } if message.contains("automatic-state.json"))
        ),
        1
    );
    assert!(ScheduleState::load(&state_file).is_ok(), "rewritten whole");
}

#[test]
fn settings_with_automatic_policies_round_trip_and_version_1_files_still_load() {
    let ws = Sandbox::new(BIN);
    let v1 = br#"{"format_version": 1, "compression_level": 3}"#;
    let loaded = Settings::from_json(v1, &ws.settings).expect("version 1 loads");
    assert_eq!(loaded.automatic, AutomaticSettings::default());
    let doc = br#"{"format_version": 2, "automatic": {
        "all": {"on_change": true, "quiet_seconds": 120},
        "strategies": {"btc": {"schedule": {"every": "week", "on": "friday", "at": "18:30"}}},
        "paused": true}}"#;
    let settings = Settings::from_json(doc, &ws.settings).expect("loads");
    let btc = settings.automatic.policy_for("btc").expect("own policy");
    assert!(
        !btc.on_change,
        "a strategy's own policy replaces the one for all"
    );
    assert_eq!(
        settings
            .automatic
            .policy_for("eth")
            .map(|p| p.quiet_seconds),
        Some(120)
    );
    settings.save(&ws.settings).expect("save");
    // Saving writes the current format version; everything else comes back as it was.
    let mut reloaded = Settings::load(&ws.settings).expect("reload");
    assert!(reloaded.format_version > 2);
    reloaded.format_version = settings.format_version;
    assert_eq!(reloaded, settings);
}

#[test]
fn bad_automatic_settings_give_plain_errors_naming_the_key() {
    let ws = Sandbox::new(BIN);
    let cases: [(&str, &str); 5] = [
        (
            r#"{"all": {"schedule": {"every": "day", "at": "24:61"}}}"#,
            "automatic.all.schedule.at must be a time like 18:30, not \"24:61\"",
        ),
        (
            r#"{"all": {"on_change": true, "quiet_seconds": 0}}"#,
            "automatic.all.quiet_seconds must be between 2 and 86400",
        ),
        (
            r#"{"all": {"schedule": {"every": "hour", "minute": 60}}}"#,
            "automatic.all.schedule.minute",
        ),
        (
            r#"{"strategies": {"../evil": {"on_change": true}}}"#,
            "automatic.strategies",
        ),
        (
            r#"{"all": {"schedule": {"every": "week", "on": "funday", "at": "10:00"}}}"#,
            "funday",
        ),
    ];
    for (automatic, expected) in cases {
        let doc = format!(r#"{{"format_version": 2, "automatic": {automatic}}}"#);
        fs::write(&ws.settings, &doc).expect("write settings");
        let run = ws.run(["watch"]);
        run.assert_plain_error(2, &[expected]);
    }
}

#[test]
fn watch_without_any_policy_says_how_to_set_one() {
    let ws = Sandbox::new(BIN);
    ws.run(["watch"])
        .assert_plain_error(2, &["nothing to back up automatically", "--on-change"]);
    ws.run(["watch", "--every", "day", "--at", "25:00"])
        .assert_usage_error();
    ws.run(["watch", "--on-change", "--quiet", "0s"])
        .assert_usage_error();
}

#[test]
fn cli_watch_backs_up_a_change_and_stops_cleanly_on_ctrl_c() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    let mut child = ws
        .command(["--json", "watch", "--on-change", "--quiet", "2s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = Arc::clone(&lines);
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let value: serde_json::Value =
                serde_json::from_str(&line).expect("one JSON object per line");
            sink.lock().expect("lines").push(value);
        }
    });
    let has = |event: &str| {
        lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l["event"] == event)
    };
    wait_for("watch to start", Duration::from_secs(10), || {
        has("watching")
    });
    write_file(&ws.results.join("alpha").join("new.csv"), b"1,2,3\n");
    wait_for("the automatic backup", Duration::from_secs(15), || {
        backups_of(&ws.backups, "alpha") == 2
    });
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill is installed");
    assert!(status.success());
    let exit = child.wait().expect("watch exits");
    reader.join().expect("reader");
    assert_eq!(exit.code(), Some(0));
    assert!(partial_files_in(&ws.backups).is_empty());
    let finished = lines
        .lock()
        .expect("lines")
        .iter()
        .filter(|l| l["event"] == "backup_finished" && l["status"] == "created")
        .count();
    assert_eq!(finished, 1);
    assert!(lines
        .lock()
        .expect("lines")
        .iter()
        .all(|l| l["time"].is_string()));
}

#[test]
fn watch_applies_the_retention_policy_after_each_automatic_backup_when_asked() {
    let ws = Sandbox::new(BIN);
    backed_up_strategy(&ws, "alpha");
    for _ in 0..2 {
        back_up_with_core(&ws.results, &ws.backups, "alpha", 1);
    }
    assert_eq!(backups_of(&ws.backups, "alpha"), 3);
    let mut settings = Settings::load(&ws.settings).expect("the sandbox's settings");
    settings.automatic = on_change(2);
    settings.retention = serde_json::from_value(serde_json::json!({
        "all": {"keep_last": 2},
        "apply_after_automatic": true,
    }))
    .expect("a retention policy");
    settings.save(&ws.settings).expect("save settings");
    let mut child = ws
        .command(["--json", "watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch");
    // Let the engine start watching before the change.
    std::thread::sleep(Duration::from_millis(1500));
    write_file(&ws.results.join("alpha").join("late.csv"), b"t,p\n9,9\n");
    wait_for(
        "the automatic backup, then the policy applied",
        Duration::from_secs(20),
        || backups_of(&ws.backups, "alpha") == 2,
    );
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert_eq!(child.wait().expect("watch exits").code(), Some(0));
    let catalog = Catalog::load(&ws.backups, &NoProgress).expect("catalog");
    let mut kept: Vec<String> = catalog
        .entries
        .iter()
        .map(|e| e.backup_file.to_string())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let newest = fs::read_dir(&ws.backups)
        .expect("backups")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar.gz"))
        .max()
        .expect("an archive");
    assert!(
        kept.contains(&newest),
        "the automatic backup is kept: {kept:?}"
    );
    for name in &kept {
        assert!(ws.backups.join(name).is_file(), "{name} is whole");
    }
}
