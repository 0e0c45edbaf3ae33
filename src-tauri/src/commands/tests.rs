//! Every command, called through IPC on tauri's mock runtime the way a compromised webview
//! would call it: with paths never picked, files never dropped, `../` names, strategies the scan
//! did not find. Each must answer `not_allowed` and touch nothing. These run in milliseconds,
//! without a window or WebDriver.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

use super::jobs::JobRequest;
use super::Shell;
use crate::app_builder;

/// The commands read the settings file named by the environment, which is the process's: the
/// tests take turns.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

/// One test's private world: results with one strategy, a backups folder, a settings file
/// naming both, an app on the mock runtime with its main window.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _turn: MutexGuard<'static, ()>,
}

impl World {
    fn new() -> World {
        let turn = ENVIRONMENT.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let results = root.join("results");
        std::fs::create_dir_all(results.join("alpha/runs")).expect("mkdir");
        std::fs::write(results.join("alpha/metrics.json"), br#"{"sharpe": 1.5}"#).expect("write");
        std::fs::write(results.join("alpha/runs/trades.csv"), b"t,p\n1,2\n").expect("write");
        std::fs::create_dir_all(root.join("backups")).expect("mkdir");
        std::fs::create_dir_all(root.join("elsewhere")).expect("mkdir");
        let settings = root.join("settings.json");
        std::fs::write(
            &settings,
            serde_json::to_vec(&json!({
                "format_version": 1,
                "results_dir": results,
                "backups_dir": root.join("backups"),
            }))
            .expect("json"),
        )
        .expect("write");
        std::env::set_var("RESULTS_BACKUP_SETTINGS", &settings);
        std::env::remove_var("RESULTS_BACKUP_RESULTS");
        std::env::remove_var("RESULTS_BACKUP_BACKUPS");
        std::env::remove_var(crate::picker::E2E_PICKS_ENV);
        // Keys for the shared-store tests: requests are signed before they are sent.
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIATESTKEYDONOTSHOW");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret-never-shown");
        let app = app_builder(mock_builder())
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("main window");
        World {
            _dir: dir,
            root,
            app,
            window,
            _turn: turn,
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Backs the world's strategy up with the core; returns the archive's file name.
    fn back_up_alpha(&self) -> String {
        let locations = results_backup::Locations::new(self.path("results"), self.path("backups"));
        let options = results_backup::BackupOptions {
            level: 1,
            if_changed: false,
        };
        let outcome = results_backup::back_up(
            &locations,
            "alpha",
            &options,
            &results_backup::NoProgress,
            &results_backup::CancelToken::new(),
        )
        .expect("backup");
        outcome
            .backup
            .expect("a catalog entry")
            .backup_file
            .to_string()
    }

    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: command.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
    }

    /// The command must be refused as `not_allowed`.
    fn refused(&self, command: &str, args: Value) {
        let started = std::time::Instant::now();
        match self.invoke(command, args.clone()) {
            Err(error) => assert_eq!(
                error["code"], "not_allowed",
                "{command} {args}: refused for another reason: {error}"
            ),
            Ok(answer) => panic!("{command} {args} was allowed: {answer}"),
        }
        assert!(started.elapsed().as_secs() < 5, "{command} took too long");
    }

    fn job(&self, job: Value) -> Result<Value, Value> {
        self.invoke(
            "run_job",
            json!({"job_id": format!("j{}", rand_id()), "job": job, "on_event": "__CHANNEL__:7"}),
        )
    }

    /// Picks a folder through the dialog's test seam, as the analyst would.
    fn pick(&self, folder: &Path) -> Result<Value, Value> {
        let answers = self.path("picks");
        std::fs::write(&answers, folder.to_str().expect("utf-8")).expect("write");
        std::env::set_var(crate::picker::E2E_PICKS_ENV, &answers);
        let answer = self.invoke("pick_folder", json!({"purpose": "destination"}));
        std::env::remove_var(crate::picker::E2E_PICKS_ENV);
        answer
    }

    fn backup_alpha(&self) -> String {
        let done = self
            .job(json!({"kind": "backup", "strategy": "alpha"}))
            .expect("backup of a scanned strategy");
        done["outcome"]["backup"]["backup_file"]
            .as_str()
            .expect("a file name")
            .to_string()
    }

    fn tree(&self) -> Vec<String> {
        let mut names: Vec<String> = walk(&self.root)
            .into_iter()
            .filter(|p| !p.ends_with("picks"))
            .collect();
        names.sort();
        names
    }
}

fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(
                path.strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
            );
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    out
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

const HOSTILE_NAMES: [&str; 6] = [
    "../../etc/passwd",
    "/etc/passwd",
    "sub/alpha.tar.gz",
    ".catalog.lock",
    "",
    "alpha_20260101_120000.tar.gz",
];

#[test]
fn backups_are_named_only_by_catalogued_file_names() {
    let w = World::new();
    for name in HOSTILE_NAMES {
        w.refused("backup_details", json!({"backup": {"catalog": name}}));
        w.refused(
            "restore_preview",
            json!({"backup": {"catalog": name}, "destination": null}),
        );
        w.refused("delete_backup", json!({"backup_file": name}));
        w.refused("run_job", json!({"job_id": "c", "job": {"kind": "check", "backup": {"catalog": name}}, "on_event": "__CHANNEL__:1"}));
    }
}

#[test]
fn a_dropped_path_is_usable_only_once_it_was_dropped() {
    let w = World::new();
    let file = w.backup_alpha();
    let archive = w.path("backups").join(&file);
    let copy = w.path("elsewhere/copy.tar.gz");
    std::fs::copy(&archive, &copy).expect("copy");
    for path in [&copy, &archive, &w.path("backups/catalog.json")] {
        w.refused("backup_details", json!({"backup": {"dropped": path}}));
        w.refused(
            "run_job",
            json!({"job_id": "d", "job": {"kind": "restore", "backup": {"dropped": path}, "destination": null, "on_conflict": "copy"}, "on_event": "__CHANNEL__:1"}),
        );
    }
    let shell = w.app.state::<Shell>();
    assert!(shell.grants.grant_file(&copy));
    let details = w
        .invoke("backup_details", json!({"backup": {"dropped": copy}}))
        .expect("a dropped archive opens");
    assert_eq!(details["manifest"]["strategy"], "alpha");
}

#[test]
fn strategies_are_only_those_the_scan_found() {
    let w = World::new();
    std::fs::create_dir_all(w.path("results/.hidden")).expect("mkdir");
    for name in [
        "../results/alpha",
        "missing",
        ".hidden",
        "",
        "alpha/runs",
        "/",
    ] {
        w.refused(
            "run_job",
            json!({"job_id": "b", "job": {"kind": "backup", "strategy": name}, "on_event": "__CHANNEL__:1"}),
        );
    }
    assert!(w
        .path("backups")
        .read_dir()
        .expect("listing")
        .next()
        .is_none());
}

#[test]
fn folders_are_only_those_picked_or_configured() {
    let w = World::new();
    let file = w.backup_alpha();
    let before = w.tree();
    let never_picked = w.path("elsewhere");
    w.refused(
        "restore_preview",
        json!({"backup": {"catalog": file}, "destination": never_picked}),
    );
    w.refused(
        "run_job",
        json!({"job_id": "r", "job": {"kind": "restore", "backup": {"catalog": file}, "destination": never_picked, "on_conflict": "copy"}, "on_event": "__CHANNEL__:1"}),
    );
    for path in [
        never_picked.clone(),
        w.path("results/alpha"),
        PathBuf::from("/"),
    ] {
        w.refused("open_folder", json!({"path": path}));
    }
    w.refused(
        "show_in_folder",
        json!({"path": w.path("backups/catalog.json")}),
    );
    w.refused("show_in_folder", json!({"path": "/etc/passwd"}));
    w.refused(
        "save_settings",
        json!({"results_dir": never_picked, "backups_dir": w.path("backups"), "compression_level": 6}),
    );
    w.refused(
        "save_settings",
        json!({"results_dir": w.path("results"), "backups_dir": never_picked, "compression_level": 6}),
    );
    assert_eq!(before, w.tree(), "nothing was written anywhere");
}

#[cfg(unix)]
#[test]
fn picking_a_link_grants_the_link_never_its_target() {
    let w = World::new();
    let file = w.backup_alpha();
    let target = w.path("elsewhere");
    let link = w.path("link-to-elsewhere");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    assert_eq!(w.pick(&link).expect("picked"), json!(link));
    w.invoke(
        "restore_preview",
        json!({"backup": {"catalog": file}, "destination": link}),
    )
    .expect("the picked path itself is allowed");
    w.refused(
        "restore_preview",
        json!({"backup": {"catalog": file}, "destination": target}),
    );
    w.refused("open_folder", json!({"path": target}));
}

#[cfg(unix)]
#[test]
fn a_restore_destination_swapped_after_it_was_queued_is_refused_when_the_job_runs() {
    let w = World::new();
    let file = w.backup_alpha();
    let picked = w.path("picked");
    std::fs::create_dir(&picked).expect("mkdir");
    w.pick(&picked).expect("picked");
    let locations = super::current_locations().expect("locations");
    let request: JobRequest = serde_json::from_value(json!({
        "kind": "restore", "backup": {"catalog": file}, "destination": picked, "on_conflict": "copy"
    }))
    .expect("request");
    let work = super::jobs::prepare(
        w.app.handle(),
        locations,
        crate::store::Store::Folder,
        request,
    )
    .expect("allowed when queued");
    // Between queueing and running, the picked folder becomes a link to somewhere else.
    std::fs::rename(&picked, w.path("picked-moved")).expect("move");
    std::os::unix::fs::symlink(w.path("elsewhere"), &picked).expect("symlink");
    let error = match work(
        &results_backup::NoProgress,
        &results_backup::CancelToken::new(),
        &|| {},
    ) {
        Ok(_) => panic!("the restore ran into a swapped folder"),
        Err(error) => error,
    };
    assert_eq!(error.code, "changed_since_chosen", "{error:?}");
    assert!(w
        .path("elsewhere")
        .read_dir()
        .expect("listing")
        .next()
        .is_none());
}

#[test]
fn a_restored_folder_is_granted_exactly_and_only_folders_open() {
    let w = World::new();
    let file = w.backup_alpha();
    let picked = w.path("picked");
    std::fs::create_dir(&picked).expect("mkdir");
    w.pick(&picked).expect("picked");
    let done = w
        .job(json!({"kind": "restore", "backup": {"catalog": file}, "destination": picked, "on_conflict": "copy"}))
        .expect("restored");
    let restored = PathBuf::from(done["outcome"]["restored_to"].as_str().expect("path"));
    assert_eq!(restored, picked.join("alpha"));
    let shell = w.app.state::<Shell>();
    assert!(
        shell.grants.folder(&restored).is_some(),
        "the restored folder"
    );
    assert!(
        shell.grants.folder(&restored.join("runs")).is_none(),
        "not what is inside"
    );
    // Replaced by a file of the same name, it is no longer a folder to open.
    std::fs::remove_dir_all(&restored).expect("remove");
    std::fs::write(&restored, b"<html>").expect("write");
    w.refused("open_folder", json!({"path": restored}));
}

#[test]
fn saving_a_new_results_folder_keeps_the_backups_folder_that_was_shown() {
    let w = World::new();
    let new_results = w.path("new/results");
    std::fs::create_dir_all(&new_results).expect("mkdir");
    w.pick(&new_results).expect("picked");
    let shown_backups = w.path("backups");
    let overview = w
        .invoke(
            "save_settings",
            json!({"results_dir": new_results, "backups_dir": shown_backups, "compression_level": 6}),
        )
        .expect("saved");
    assert_eq!(overview["backups_dir"], json!(shown_backups));
    assert!(
        !w.path("new/backups").exists(),
        "never a folder beside the new results that nobody chose"
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(w.path("settings.json")).expect("read settings"))
            .expect("json");
    assert_eq!(saved["backups_dir"], json!(shown_backups));
}

/// A dropped archive whose embedded manifest names a timestamp that climbs out of the folder:
/// restoring it "as a copy" must fail before anything is moved, and grant nothing.
#[test]
fn a_dropped_archive_with_a_climbing_timestamp_restores_nowhere() {
    let w = World::new();
    let made = w.path("made");
    std::fs::create_dir_all(made.join("alpha")).expect("mkdir");
    std::fs::write(made.join("alpha/ok.txt"), b"x\n").expect("write");
    std::fs::create_dir_all(made.join(".results-backup")).expect("mkdir");
    std::fs::write(
        made.join(".results-backup/manifest.json"),
        serde_json::to_vec(&json!({
            "format": "results-backup-manifest", "format_version": 1, "app_version": "0.1.0",
            "strategy": "alpha", "timestamp": "x/../../../escaped",
            "created": "2026-01-01T00:00:00+00:00", "source": "/elsewhere/alpha",
            "totals": {"files": 1, "dirs": 1, "symlinks": 0, "bytes": 2},
            "entries": [],
        }))
        .expect("json"),
    )
    .expect("write");
    let archive = w.path("dropped.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(&made)
        .args(["alpha", ".results-backup/manifest.json"])
        .status()
        .expect("GNU tar");
    assert!(status.success());
    let shell = w.app.state::<Shell>();
    assert!(shell.grants.grant_file(&archive));
    let picked = w.path("picked");
    std::fs::create_dir_all(picked.join("alpha")).expect("an existing alpha");
    w.pick(&picked).expect("picked");
    let before = w.tree();
    let error = w
        .job(json!({"kind": "restore", "backup": {"dropped": archive}, "destination": picked, "on_conflict": "copy"}))
        .expect_err("refused");
    assert_eq!(error["code"], "invalid_manifest", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("timestamp"),
        "{error}"
    );
    assert_eq!(before, w.tree(), "nothing moved anywhere");
    assert!(
        !w.path("escaped").exists() && !w.root.parent().expect("parent").join("escaped").exists()
    );
}

#[test]
fn automatic_settings_from_the_webview_get_the_settings_files_checks() {
    let w = World::new();
    let settings = w.path("settings.json");
    let before = std::fs::read(&settings).expect("settings");
    for bad in [
        json!({"all": {"on_change": true, "quiet_seconds": 1}}),
        json!({"all": {"on_change": false, "schedule": {"every": "day", "at": "24:61"}}}),
        json!({"strategies": {"../outside": {"on_change": true}}}),
    ] {
        let error = w
            .invoke(
                "save_automatic",
                json!({"automatic": bad, "notify_success": false}),
            )
            .expect_err("refused");
        assert_eq!(error["code"], "invalid_settings", "{bad}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("These settings cannot be used: automatic."),
            "names the key: {error}"
        );
        assert_eq!(
            std::fs::read(&settings).expect("settings"),
            before,
            "{bad}: nothing saved"
        );
    }
    let saved = w
        .invoke(
            "save_automatic",
            json!({"automatic": {"all": {"on_change": true, "quiet_seconds": 30}}, "notify_success": false}),
        )
        .expect("a good policy is saved");
    assert_eq!(saved["automatic"]["all"]["quiet_seconds"], 30);
    let written: Value =
        serde_json::from_slice(&std::fs::read(&settings).expect("settings")).expect("json");
    assert_eq!(written["automatic"]["all"]["on_change"], true);
    assert_eq!(
        written["results_dir"],
        json!(w.path("results")),
        "the folders stay as they were"
    );
}

#[test]
fn retention_from_the_webview_refuses_empty_or_zero_policies_and_spares_backups_in_use() {
    let w = World::new();
    let settings = w.path("settings.json");
    let before = std::fs::read(&settings).expect("settings");
    for bad in [
        json!({"all": {}}),
        json!({"all": {"keep_last": 0}}),
        json!({"all": {"keep_within": "soon"}}),
        json!({"strategies": {"a/b": {"keep_last": 1}}}),
    ] {
        let error = w
            .invoke("save_retention", json!({"policies": bad}))
            .expect_err("refused");
        assert_eq!(error["code"], "invalid_settings", "{bad}: {error}");
        assert_eq!(std::fs::read(&settings).expect("settings"), before);
    }

    let made: Vec<String> = (0..3).map(|_| w.back_up_alpha()).collect();
    let oldest = made[0].clone();
    let shell = w.app.state::<Shell>();
    let hold = shell.in_use.hold(&oldest);

    let policy = json!({"all": {"keep_last": 1}});
    let preview = w
        .invoke("preview_retention", json!({"policies": policy}))
        .expect("preview");
    assert_eq!(preview["removed"], 1, "{preview}");
    let listed = |name: &str| w.path("backups").join(name).exists();
    assert!(
        made.iter().all(|name| listed(name)),
        "a preview deletes nothing"
    );

    let applied = w
        .invoke("apply_retention", json!({"policies": policy}))
        .expect("apply");
    assert_eq!(applied["removed"], 1, "{applied}");
    assert!(listed(&oldest), "the backup a job uses is kept");
    assert!(listed(&made[2]), "the newest is kept");
    assert!(!listed(&made[1]), "the rest goes");
    drop(hold);
}

#[test]
fn the_trays_back_up_now_backs_up_changed_strategies_and_pause_is_written_for_the_cli() {
    let w = World::new();
    w.app.manage(crate::protection::Protection::new());
    let protection = w.app.state::<crate::protection::Protection>();
    let archives = || {
        std::fs::read_dir(w.path("backups"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
                    .count()
            })
            .unwrap_or(0)
    };
    protection.back_up_now(w.app.handle());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while archives() < 1 {
        assert!(std::time::Instant::now() < deadline, "no backup was made");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Unchanged since: a second "Back up now" makes nothing new.
    std::thread::sleep(std::time::Duration::from_millis(300));
    protection.back_up_now(w.app.handle());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        archives(),
        1,
        "an unchanged strategy is not backed up again"
    );

    protection
        .set_paused(w.app.handle(), true)
        .expect("pause is saved");
    let written: Value =
        serde_json::from_slice(&std::fs::read(w.path("settings.json")).expect("settings"))
            .expect("json");
    assert_eq!(written["automatic"]["paused"], true, "{written}");
    assert!(protection.paused());
    protection.stop();
}

#[test]
fn a_metric_expression_is_read_by_the_cores_parser_and_a_mistake_names_its_column() {
    let w = World::new();
    w.back_up_alpha();
    let kept = w
        .invoke(
            "filter_backups",
            json!({"expression": "sharpe_ratio >= 1.5"}),
        )
        .expect("a good expression");
    assert_eq!(kept["matching"].as_array().map(Vec::len), Some(1), "{kept}");
    let none = w
        .invoke("filter_backups", json!({"expression": "sharpe > 2"}))
        .expect("a good expression");
    assert_eq!(none["matching"].as_array().map(Vec::len), Some(0), "{none}");
    let error = w
        .invoke("filter_backups", json!({"expression": "sharpe => 1.5"}))
        .expect_err("refused");
    assert_eq!(error["code"], "invalid_query", "{error}");
    assert!(
        error["message"].as_str().unwrap_or("").contains("column 8"),
        "{error}"
    );
    let long = "sharpe > 1 and ".repeat(200);
    let error = w
        .invoke("filter_backups", json!({"expression": long}))
        .expect_err("too long");
    assert_eq!(error["code"], "invalid_query", "{error}");
}

/// A shared store on a loopback port nothing listens on: every request fails as unreachable.
fn nothing_listening() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    format!("http://127.0.0.1:{port}")
}

fn save_shared(w: &World, store: Value) -> Result<Value, Value> {
    w.invoke(
        "save_settings",
        json!({"results_dir": w.path("results"), "backups_dir": w.path("backups"),
               "compression_level": 6, "backups": store}),
    )
}

#[test]
fn a_refused_store_value_is_reported_at_its_field_and_nothing_is_saved() {
    let w = World::new();
    let before = std::fs::read(w.path("settings.json")).expect("settings");
    let cases = [
        (json!({"kind": "s3", "bucket": "Not A Bucket"}), "bucket"),
        (
            json!({"kind": "s3", "bucket": "team", "prefix": "a/../b"}),
            "prefix",
        ),
        (
            json!({"kind": "s3", "bucket": "team", "endpoint": "ftp://host"}),
            "endpoint",
        ),
        (
            json!({"kind": "s3", "bucket": "team", "region": "EU West"}),
            "region",
        ),
        (
            json!({"kind": "s3", "bucket": "team", "profile": "a b"}),
            "profile",
        ),
    ];
    for (store, field) in cases {
        for command in ["test_connection", "save_settings"] {
            let error = match command {
                "test_connection" => w.invoke(command, json!({"backups": store})),
                _ => save_shared(&w, store.clone()),
            }
            .expect_err("refused");
            assert_eq!(
                error["code"], "invalid_store_address",
                "{command} {store}: {error}"
            );
            assert_eq!(error["field"], field, "{command} {store}: {error}");
        }
    }
    assert_eq!(
        before,
        std::fs::read(w.path("settings.json")).expect("settings")
    );
}

#[test]
fn an_endpoint_with_a_password_is_never_echoed() {
    let w = World::new();
    let store = json!({"kind": "s3", "bucket": "team",
                       "endpoint": "https://analyst:hunter2@s3.example.com"});
    for error in [
        w.invoke("test_connection", json!({"backups": store})),
        save_shared(&w, store.clone()),
    ] {
        let error = error.expect_err("refused");
        assert_eq!(error["field"], "endpoint", "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}

#[test]
fn unknown_fields_such_as_keys_are_refused_in_a_store() {
    let w = World::new();
    let before = std::fs::read(w.path("settings.json")).expect("settings");
    let store = json!({"kind": "s3", "bucket": "team", "secret_access_key": "never-stored"});
    let error = save_shared(&w, store.clone()).expect_err("refused");
    assert!(!error.to_string().contains("never-stored"), "{error}");
    w.invoke("test_connection", json!({"backups": store}))
        .expect_err("refused");
    assert_eq!(
        before,
        std::fs::read(w.path("settings.json")).expect("settings")
    );
}

#[test]
fn a_connection_test_against_nothing_says_it_cannot_reach_the_endpoint() {
    let w = World::new();
    let endpoint = nothing_listening();
    let answer = w
        .invoke(
            "test_connection",
            json!({"backups": {"kind": "s3", "bucket": "team", "endpoint": endpoint}}),
        )
        .expect("a failed connection is an answer");
    assert_eq!(answer["outcome"], "failed", "{answer}");
    assert_eq!(answer["problem"], "unreachable", "{answer}");
}

#[test]
fn with_shared_storage_saved_the_app_never_works_on_the_local_folder() {
    let w = World::new();
    let local = w.back_up_alpha();
    let endpoint = nothing_listening();
    let overview = save_shared(
        &w,
        json!({"kind": "s3", "bucket": "team", "prefix": " /quant/ ", "endpoint": endpoint}),
    )
    .expect("saved");
    assert_eq!(overview["store"]["kind"], "shared", "{overview}");
    assert_eq!(
        overview["store"]["address"], "s3://team/quant",
        "{overview}"
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(w.path("settings.json")).expect("settings"))
            .expect("json");
    assert_eq!(saved["backups"]["kind"], "s3", "{saved}");
    assert_eq!(saved["backups"]["prefix"], "quant", "tidied: {saved}");

    // Listing asks the store (unreachable here), never the folder's catalog.
    let error = w
        .invoke("list_backups", json!({}))
        .expect_err("store unreachable");
    assert_eq!(error["code"], "store_unreachable", "{error}");
    // Backing up, deleting and retention go to the store too: it does not answer here, and
    // the folder on this computer is never used in its place.
    let error = w
        .job(json!({"kind": "backup", "strategy": "alpha"}))
        .expect_err("store unreachable");
    assert_eq!(error["code"], "store_unreachable", "{error}");
    let error = w
        .invoke("delete_backup", json!({"backup_file": local}))
        .expect_err("store unreachable");
    assert_eq!(error["code"], "store_unreachable", "{error}");
    let error = w
        .invoke(
            "apply_retention",
            json!({"policies": {"all": {"keep_last": 1}}}),
        )
        .expect_err("store unreachable");
    assert_eq!(error["code"], "store_unreachable", "{error}");
    assert!(
        w.path("backups").join(&local).is_file(),
        "the local backup is untouched"
    );
    let backups: Vec<_> = std::fs::read_dir(w.path("backups"))
        .expect("backups folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
        .collect();
    assert_eq!(backups.len(), 1, "no backup was made on this computer");

    // Back on this computer, the folder's backups are listed again.
    let overview = save_shared(&w, json!({"kind": "folder"})).expect("saved");
    assert_eq!(overview["store"]["kind"], "folder", "{overview}");
    let list = w.invoke("list_backups", json!({})).expect("listed");
    assert_eq!(list["backups"][0]["backup_file"], json!(local), "{list}");
}

#[test]
fn in_shared_storage_only_a_plain_archive_name_is_accepted_and_refused_before_any_request() {
    let w = World::new();
    // Made on this computer before the store was chosen; one copy of it is dropped later.
    let file = w.backup_alpha();
    let archive = w.path("backups").join(&file);
    let dropped = w.path("inbox").join(&file);
    std::fs::create_dir_all(w.path("inbox")).expect("inbox");
    std::fs::copy(&archive, &dropped).expect("copy");
    save_shared(
        &w,
        json!({"kind": "s3", "bucket": "team", "endpoint": nothing_listening()}),
    )
    .expect("saved");
    // Nothing listens at the endpoint: a refusal other than `not_allowed` would mean a request
    // was attempted.
    for name in [
        "../../etc/passwd",
        "team/alpha_20260101_120000.tar.gz",
        "",
        "alpha_20260101_120000.tar.gz/../x.tar.gz",
        "catalog.json",
    ] {
        let backup = json!({"catalog": name});
        w.refused("backup_details", json!({"backup": backup}));
        w.refused("delete_backup", json!({"backup_file": name}));
        w.refused("compare_backups", json!({"a": backup, "b": backup}));
        w.refused("changes_since", json!({"backup": backup, "verify": false}));
        w.refused("backup_equity_curve", json!({"backup": backup}));
        w.refused(
            "open_backup_file",
            json!({"backup": backup, "member": "alpha/metrics.json"}),
        );
        for job in [
            json!({"kind": "check", "backup": backup}),
            json!({"kind": "copy_to_this_computer", "backup_file": name}),
            json!({"kind": "restore", "backup": backup, "on_conflict": "copy", "only": ["a.csv"]}),
        ] {
            let error = w.job(job.clone()).expect_err("refused");
            assert_eq!(error["code"], "not_allowed", "{job}: {error}");
        }
    }
    let error = w
        .job(json!({"kind": "backup", "strategy": "../alpha"}))
        .expect_err("refused");
    assert_eq!(error["code"], "not_allowed", "{error}");
    // Only a file handed over by a drop is copied into the store: never a path the webview
    // makes up, not even one inside the backups folder.
    for path in [&archive, &dropped, &w.path("backups/catalog.json")] {
        let error = w
            .job(json!({"kind": "copy_dropped_to_shared", "dropped": path}))
            .expect_err("refused");
        assert_eq!(error["code"], "not_allowed", "{error}");
    }
    assert!(w.app.state::<Shell>().grants.grant_file(&dropped));
    // Copying needs a store chosen; without one there is nothing to offer.
    save_shared(&w, json!({"kind": "folder"})).expect("saved");
    let offer = w.invoke("copy_offer", json!({})).expect("an answer");
    assert_eq!(offer["missing"], 0, "{offer}");
    w.refused(
        "run_job",
        json!({"job_id": "j-copy", "job": {"kind": "copy_to_shared"}, "on_event": "__CHANNEL__:7"}),
    );
    w.refused(
        "run_job",
        json!({"job_id": "j-here", "job": {"kind": "copy_to_this_computer", "backup_file": "alpha_20260101_120000.tar.gz"}, "on_event": "__CHANNEL__:7"}),
    );
    w.refused(
        "run_job",
        json!({"job_id": "j-drop", "job": {"kind": "copy_dropped_to_shared", "dropped": dropped}, "on_event": "__CHANNEL__:7"}),
    );
}
