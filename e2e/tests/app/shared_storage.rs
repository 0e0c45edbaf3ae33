//! Shared storage (S3) from the window, against a real S3 server on loopback (moto, started by
//! each test; its AWS_* test keys are in the app's environment): choosing it in Settings,
//! testing the connection (unreachable, a read-only key, connected), the Backups view listing
//! the store, restoring from it, copying this computer's backups into it, backing up into it,
//! comparing two of its backups, copying one to this computer and deleting one, and copying an
//! archive dropped on the window into it.

use crate::support::*;
use results_backup_testkit::proxy::Proxy;
use results_backup_testkit::s3::{free_loopback_port, S3Server, TEST_SECRET_KEY};
use std::path::Path;
use std::process::Command;

const PREFIX: &str = "team";

/// Copies every backup of `backups` into the server's `team` prefix with the command line.
fn copy_with_cli(server: &S3Server, results: &Path, backups: &Path) {
    let output = Command::new(cli_binary())
        .args(["copy", "--all", "--to", &server.address(PREFIX)])
        .args(["--endpoint", &server.endpoint()])
        .env("RESULTS_BACKUP_RESULTS", results)
        .env("RESULTS_BACKUP_BACKUPS", backups)
        .env("RESULTS_BACKUP_SETTINGS", results.join("no-settings.json"))
        .envs(server.env())
        .output()
        .expect("the command line runs");
    assert!(
        output.status.success(),
        "copy failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The app on `results` and `backups`, with the test server's keys in its environment.
async fn launch_beside(server: &S3Server, results: &Path, backups: &Path) -> App {
    App::launch_with_env(
        Setup::Configured {
            results: results.to_path_buf(),
            backups: backups.to_path_buf(),
        },
        server.env(),
    )
    .await
}

async fn type_into(app: &App, testid: &str, text: &str) {
    let input = app.by_id(testid).await;
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

/// Settings › In shared storage, with this endpoint and the test bucket and prefix.
async fn fill_shared_storage(app: &App, server: &S3Server, endpoint: &str) {
    app.click("nav-settings").await;
    app.click("settings-store-s3").await;
    type_into(app, "settings-store-endpoint", endpoint).await;
    type_into(app, "settings-store-bucket", server.bucket()).await;
    type_into(app, "settings-store-prefix", PREFIX).await;
}

/// Scrolls the page so `css` is at the top of the window, for a screenshot of that part.
async fn scroll_to(app: &App, css: &str) {
    let script = format!("document.querySelector('{css}').scrollIntoView({{block: 'center'}})");
    app.client
        .execute(&script, Vec::new())
        .await
        .expect("scroll");
}

async fn connection_message(app: &App, expected: &str) -> String {
    app.click("settings-test-connection").await;
    app.eventually(&format!("the connection test says {expected}"), || async {
        app.text("connection-message").await.contains(expected)
    })
    .await;
    app.text("connection-message").await
}

#[tokio::test(flavor = "current_thread")]
async fn shared_storage_is_tested_saved_listed_and_restored_from() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    // Seeded from another computer's backups folder: the app's own stays empty.
    let elsewhere = scratch.path().join("elsewhere-backups");
    let file = back_up_with_core(&results, &elsewhere, "alpha", LEVEL);
    copy_with_cli(&server, &results, &elsewhere);
    let destination = scratch.path().join("restored here");
    std::fs::create_dir_all(&destination).expect("destination");

    let app = launch_beside(&server, &results, &backups).await;
    assert_eq!(
        app.text("store-indicator").await,
        "Backups on this computer"
    );

    let nothing_there = format!("http://{}", free_loopback_port());
    fill_shared_storage(&app, &server, &nothing_there).await;
    let failed = connection_message(&app, "Cannot reach").await;
    assert!(failed.contains(&nothing_there), "{failed}");
    assert_eq!(
        app.attr_of("[data-testid=\"connection-message\"]", "data-ok")
            .await
            .as_deref(),
        Some("false")
    );
    app.screenshot("settings-shared-storage-unreachable").await;

    // A key that may read the bucket but not write it: the test says so before anything is saved.
    let read_only = Proxy::start(server.socket_address());
    read_only.refuse_writes();
    type_into(&app, "settings-store-endpoint", &read_only.endpoint()).await;
    let cannot_write = connection_message(&app, "not write").await;
    assert!(cannot_write.contains("may read"), "{cannot_write}");
    assert!(
        read_only.writes_refused() > 0,
        "the probe write reached the store"
    );

    type_into(&app, "settings-store-endpoint", &server.endpoint()).await;
    let connected = connection_message(&app, "Connected").await;
    assert!(
        connected.contains(&format!("s3://{}/{PREFIX}", server.bucket())),
        "{connected}"
    );
    scroll_to(&app, ".store-choice").await;
    app.screenshot("settings-shared-storage").await;
    assert!(
        server
            .object_keys(PREFIX)
            .iter()
            .all(|key| !key.contains("connection-test")),
        "the probe object is gone"
    );

    app.click("settings-save").await;
    app.eventually("the header says where backups are kept", || async {
        app.text("store-indicator").await.contains(&format!(
            "Shared storage: s3://{}/{PREFIX}",
            server.bucket()
        ))
    })
    .await;
    let saved = app.settings();
    assert_eq!(saved["backups"]["kind"], "s3", "{saved}");
    assert_eq!(saved["backups"]["bucket"], server.bucket(), "{saved}");
    assert_eq!(saved["backups"]["endpoint"], server.endpoint(), "{saved}");
    assert!(
        !saved.to_string().contains(TEST_SECRET_KEY),
        "no key in the settings"
    );

    // The Backups view lists the store, not the (empty) folder on this computer.
    app.click("nav-backups").await;
    app.wait_for(&backup_row(&file)).await;
    app.screenshot("backups-in-shared-storage").await;

    app.open_details(&file).await;
    // A backup of the store can be deleted there, or copied to this computer.
    app.by_id("details-delete").await;
    app.by_id("details-copy-here").await;
    // Check streams the archive from the store and verifies every file.
    app.click("details-check").await;
    app.wait_for("[data-testid=\"check-result\"][data-result=\"ok\"]")
        .await;
    // The result is recorded in the store: the list behind the details shows it.
    app.eventually("the list shows the backup as checked", || async {
        app.attr_of(&backup_row(&file), "data-check")
            .await
            .as_deref()
            == Some("ok")
    })
    .await;
    assert!(
        server
            .object_keys(&format!("{PREFIX}/checks.d/{file}/"))
            .iter()
            .any(|key| key.ends_with(".ok")),
        "a check record in the store"
    );
    app.click("details-restore").await;
    app.by_id("restore-dialog").await;
    app.pick_restore_destination(&destination).await;
    app.click("restore-confirm").await;
    let result = app.text("restore-result").await;
    assert!(result.contains("alpha"), "{result}");
    assert_same_tree(
        &snapshot(&results.join("alpha")),
        &snapshot(&destination.join("alpha")),
        "the folder restored from shared storage",
    );
    app.close().await;
}

/// The backups the command line lists in the server's `team` prefix (`list --json`).
fn listed_by_cli(server: &S3Server, results: &Path) -> Vec<serde_json::Value> {
    let output = Command::new(cli_binary())
        .args(["--backups", &server.address(PREFIX), "--json", "list"])
        .args(["--endpoint", &server.endpoint()])
        .env("RESULTS_BACKUP_RESULTS", results)
        .env("RESULTS_BACKUP_SETTINGS", results.join("no-settings.json"))
        .envs(server.env())
        .output()
        .expect("the command line runs");
    assert!(
        output.status.success(),
        "list failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout).expect("json") {
        serde_json::Value::Array(entries) => entries,
        other => panic!("not a list: {other}"),
    }
}

fn sha256_of(file: &Path) -> String {
    let output = Command::new("sha256sum")
        .arg(file)
        .output()
        .expect("sha256sum");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "current_thread")]
async fn in_shared_storage_backups_are_copied_made_compared_copied_here_and_deleted() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha", "beta"]);
    let alpha = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let beta = back_up_with_core(&results, &backups, "beta", LEVEL);
    std::fs::write(results.join("alpha").join("late.csv"), "t,p\n3,4\n").expect("write");
    let app = launch_beside(&server, &results, &backups).await;

    fill_shared_storage(&app, &server, &server.endpoint()).await;
    app.click("settings-save").await;
    app.eventually("the copy is offered", || async {
        app.text("copy-to-shared")
            .await
            .starts_with("Copy 2 backups from this computer to shared storage")
    })
    .await;
    scroll_to(&app, "[data-testid=\"copy-to-shared\"]").await;
    app.screenshot("settings-copy-offer").await;
    app.click("copy-to-shared").await;
    let summary = app.text("copy-summary").await;
    assert!(
        summary.starts_with(&format!(
            "Copied 2 backups to s3://{}/{PREFIX}",
            server.bucket()
        )),
        "{summary}"
    );
    let keys = server.object_keys(PREFIX);
    for file in [&alpha, &beta] {
        assert!(
            keys.iter().any(|key| key.ends_with(file.as_str())),
            "{file} in {keys:?}"
        );
    }

    // The strategies are judged against the store: beta as it was backed up, alpha changed since.
    app.click("nav-strategies").await;
    for (strategy, state) in [("beta", "protected"), ("alpha", "changed")] {
        app.eventually(&format!("{strategy} shows as {state}"), || async {
            app.attr_of(&strategy_row(strategy), "data-state")
                .await
                .as_deref()
                == Some(state)
        })
        .await;
    }
    // Back up now goes straight into the store, as a job.
    let alpha_checkbox = format!(
        "{} [data-testid=\"strategy-select\"]",
        strategy_row("alpha")
    );
    app.click_css(&alpha_checkbox, "alpha's checkbox").await;
    app.click("backup-selected").await;
    app.eventually("alpha is protected again", || async {
        app.attr_of(&strategy_row("alpha"), "data-state")
            .await
            .as_deref()
            == Some("protected")
    })
    .await;
    app.screenshot("strategies-in-shared-storage").await;
    let listed = listed_by_cli(&server, &results);
    assert_eq!(listed.len(), 3, "{listed:?}");
    let made = listed
        .iter()
        .filter_map(|entry| entry["backup_file"].as_str())
        .find(|name| *name != alpha && *name != beta)
        .expect("the new backup")
        .to_string();
    assert!(made.starts_with("alpha_"), "{made}");
    assert!(
        !backups.join(&made).exists(),
        "nothing was made on this computer"
    );

    // Its details: compared with the earlier backup, from the sidecars in the store.
    app.click("nav-backups").await;
    app.wait_for(&backup_row(&made)).await;
    app.screenshot("backups-in-shared-storage").await;
    app.open_details(&made).await;
    app.by_id("details-copy-here").await;
    app.screenshot("details-in-shared-storage").await;
    let select = app.by_id("compare-with").await;
    select.select_by_value(&alpha).await.expect("select");
    app.click("compare").await;
    let files = app
        .text_of("[data-testid=\"compare-dialog\"] [data-testid=\"diff-files\"]")
        .await;
    assert!(files.contains("late.csv"), "{files}");
    app.client
        .execute(
            "document.querySelector('[data-testid=\"compare-dialog\"] .dialog-close').click()",
            vec![],
        )
        .await
        .expect("close the comparison");

    // Copy to this computer: into the backups folder, the bytes the store's catalog names.
    app.click("details-copy-here").await;
    let copied = app.text("copy-here-result").await;
    assert!(
        copied.starts_with("Copied to ") && copied.contains(&made),
        "{copied}"
    );
    assert!(copied.contains(&backups.display().to_string()), "{copied}");
    let entry = listed
        .iter()
        .find(|entry| entry["backup_file"] == made.as_str())
        .expect("listed");
    assert_eq!(
        entry["sha256"].as_str(),
        Some(sha256_of(&backups.join(&made)).as_str()),
        "the copy is the catalogued archive"
    );
    app.screenshot("details-copied-to-this-computer").await;

    // Delete removes it from the store (the copy on this computer stays).
    app.click("details-delete").await;
    let question = app.text("confirm-dialog").await;
    assert!(question.contains(&made), "{question}");
    app.click("confirm-yes").await;
    app.eventually("the backup is gone from the list", || async {
        app.count(&backup_row(&made)).await == 0
    })
    .await;
    let keys = server.object_keys(PREFIX);
    assert!(
        keys.iter()
            .all(|key| !key.contains(made.trim_end_matches(".tar.gz"))),
        "{keys:?}"
    );
    assert_eq!(listed_by_cli(&server, &results).len(), 2);
    assert!(backups.join(&made).is_file());
    app.close().await;
}

/// Automatic protection in shared storage: a change is backed up into the store with no click,
/// and nothing goes to the folder on this computer.
#[tokio::test(flavor = "current_thread")]
async fn in_shared_storage_a_change_is_backed_up_into_the_store_with_no_click() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let more = serde_json::json!({
        "backups": {
            "kind": "s3",
            "bucket": server.bucket(),
            "prefix": PREFIX,
            "endpoint": server.endpoint(),
        },
        "automatic": {"all": {"on_change": true, "quiet_seconds": 2}},
    });
    let app = App::launch_with_env(
        Setup::ConfiguredWith {
            results: results.clone(),
            backups: backups.clone(),
            more,
        },
        server.env(),
    )
    .await;
    app.wait_for(&strategy_row("alpha")).await;
    std::fs::write(results.join("alpha").join("late.csv"), b"t,p\n1,2\n").expect("a change");
    app.eventually("the change is backed up into the store", || async {
        listed_by_cli(&server, &results)
            .iter()
            .any(|entry| entry["strategy"] == "alpha")
    })
    .await;
    let local_archives = std::fs::read_dir(&backups)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        local_archives, 0,
        "nothing went to the folder on this computer"
    );
    app.screenshot("automatic-in-shared-storage").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_archive_dropped_on_the_window_is_copied_into_shared_storage() {
    let server = S3Server::start();
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let (file, dropped) = archive_made_elsewhere(scratch.path(), &results, "alpha");
    let app = launch_beside(&server, &results, &backups).await;
    fill_shared_storage(&app, &server, &server.endpoint()).await;
    app.click("settings-save").await;
    app.eventually("the header names the store", || async {
        app.text("store-indicator")
            .await
            .starts_with("Shared storage")
    })
    .await;

    drag_file_onto_app(&dropped, || async {}).await;
    let text = app.text("details").await;
    assert!(
        text.contains(&file),
        "details name the dropped archive: {text}"
    );
    app.click("details-copy-to-shared").await;
    let said = app.text("copy-to-shared-result").await;
    assert!(
        said.starts_with("Copied to shared storage") && said.contains(&file),
        "{said}"
    );
    app.screenshot("dropped-copied-to-shared").await;

    let listed = listed_by_cli(&server, &results);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["backup_file"], file.as_str());
    assert_eq!(
        listed[0]["sha256"].as_str(),
        Some(sha256_of(&dropped).as_str()),
        "the store holds the dropped bytes"
    );
    let sidecar = format!("{PREFIX}/{}", file.replace(".tar.gz", ".manifest.json"));
    assert!(server.object_keys(PREFIX).contains(&sidecar));
    assert!(
        archives_in(&backups).is_empty(),
        "nothing written on this computer"
    );
    // The Backups view lists it from the store now.
    app.client
        .execute(
            "document.querySelector('[data-testid=\"details\"] .dialog-close').click()",
            vec![],
        )
        .await
        .expect("close the details");
    app.click("nav-backups").await;
    app.wait_for(&backup_row(&file)).await;
    app.close().await;
}
