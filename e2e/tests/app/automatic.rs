//! Automatic protection in the real app: the window follows the disk with no click, backs up on
//! change after a quiet period, shows one banner while the results folder is gone, keeps
//! protecting from the tray when closed, notifies failures, and previews and applies retention.

use crate::support::*;
use serde_json::json;
use std::path::Path;

fn archives_of(backups: &Path, strategy: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(backups)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&format!("{strategy}_")) && n.ends_with(".tar.gz"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn on_change(quiet_seconds: u32) -> serde_json::Value {
    json!({"automatic": {"all": {"on_change": true, "quiet_seconds": quiet_seconds}}})
}

async fn state_of(app: &App, strategy: &str) -> Option<String> {
    app.attr_of(&strategy_row(strategy), "data-state").await
}

#[tokio::test(flavor = "current_thread")]
async fn turning_on_automatic_backups_makes_changes_show_and_get_backed_up_with_no_click() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha", "beta"]);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    app.click("backup-all").await;
    app.eventually("both strategies are protected", || async {
        state_of(&app, "alpha").await.as_deref() == Some("protected")
            && state_of(&app, "beta").await.as_deref() == Some("protected")
    })
    .await;
    let summary = app.text("protection-summary").await;
    assert!(
        summary.contains("2 strategies without automatic backups"),
        "{summary}"
    );

    app.click("nav-settings").await;
    app.click("auto-on-change").await;
    let quiet = app.by_id("auto-quiet").await;
    quiet.clear().await.unwrap();
    quiet.send_keys("2").await.unwrap();
    app.by_id("auto-quiet-unit")
        .await
        .select_by_value("seconds")
        .await
        .unwrap();
    app.click("auto-save").await;
    app.eventually(
        "the policy is in the settings file the CLI reads",
        || async { app.settings()["automatic"]["all"]["quiet_seconds"] == 2 },
    )
    .await;
    app.click("nav-strategies").await;
    app.eventually(
        "the summary says every strategy is protected automatically",
        || async {
            app.attr_of("[data-testid=\"protection-summary\"]", "data-all-well")
                .await
                .as_deref()
                == Some("true")
        },
    )
    .await;
    app.screenshot("automatic-protection").await;

    // A backtest writes for a while: the window shows the change at once, and one backup follows
    // once the folder has been quiet.
    let before = archives_of(&backups, "alpha");
    for i in 0..10 {
        std::fs::write(
            results.join("alpha").join(format!("run_{i}.csv")),
            format!("t,p\n{i},1\n"),
        )
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    app.eventually(
        "alpha shows its unprotected change with no click",
        || async { state_of(&app, "alpha").await.as_deref() == Some("changed") },
    )
    .await;
    app.eventually("an automatic backup protects alpha again", || async {
        state_of(&app, "alpha").await.as_deref() == Some("protected")
    })
    .await;
    let after = archives_of(&backups, "alpha");
    assert_eq!(
        after.len(),
        before.len() + 1,
        "ten writes, one backup: {after:?}"
    );
    assert_eq!(
        archives_of(&backups, "beta").len(),
        1,
        "beta did not change"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_results_folder_that_goes_away_shows_one_banner_and_comes_back_by_itself() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha", "beta", "gamma", "delta"]);
    let app = App::launch(Setup::ConfiguredWith {
        results: results.clone(),
        backups: backups.clone(),
        more: on_change(2),
    })
    .await;
    app.wait_for(&strategy_row("delta")).await;
    let gone = home.path().join("unplugged");
    std::fs::rename(&results, &gone).unwrap();
    app.eventually("the window notices with no click", || async {
        app.count("[data-testid=\"error-banner\"]").await == 1
    })
    .await;
    assert_eq!(
        app.attr_of("[data-testid=\"error-banner\"]", "data-code")
            .await
            .as_deref(),
        Some("results_folder_missing")
    );
    let hint = app.text("error-hint").await;
    assert!(hint.contains("Reconnect") && !hint.contains("--"), "{hint}");
    assert_eq!(
        app.count("[data-testid=\"backup-all\"]").await,
        0,
        "no backups can be started"
    );
    assert_eq!(
        app.count("[data-testid=\"job\"]").await,
        0,
        "no job was started"
    );
    app.screenshot("results-folder-gone").await;

    std::fs::rename(&gone, &results).unwrap();
    app.eventually("the strategies come back by themselves", || async {
        app.count("[data-testid=\"strategy-row\"]").await == 4
            && app.count("[data-testid=\"error-banner\"]").await == 0
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_automatic_backup_is_notified_and_stays_until_seen() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha"]);
    let app = App::launch(Setup::ConfiguredWith {
        results: results.clone(),
        backups: backups.clone(),
        more: on_change(2),
    })
    .await;
    app.wait_for(&strategy_row("alpha")).await;
    // The backups "folder" becomes a file: every backup into it fails.
    let _ = std::fs::remove_dir_all(&backups);
    std::fs::write(&backups, b"not a folder").unwrap();
    std::fs::write(results.join("alpha").join("new.csv"), b"t,p\n").unwrap();
    app.eventually("the failure is on alpha's row", || async {
        app.count("[data-testid=\"strategy-failure\"]").await == 1
    })
    .await;
    app.eventually("a system notification says so", || async {
        app.notifications()
            .iter()
            .any(|n| n.starts_with("Automatic backup of alpha failed"))
    })
    .await;
    let failed: Vec<String> = app
        .notifications()
        .into_iter()
        .filter(|n| n.contains("failed"))
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "one notification, not one per retry: {failed:?}"
    );
    app.screenshot("automatic-backup-failed").await;
    app.click("failure-seen").await;
    app.eventually("the failure leaves once seen", || async {
        app.count("[data-testid=\"strategy-failure\"]").await == 0
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn closing_the_window_keeps_protecting_and_launching_again_brings_it_back() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha"]);
    let app = App::launch(Setup::ConfiguredWith {
        results: results.clone(),
        backups: backups.clone(),
        more: on_change(2),
    })
    .await;
    app.wait_for(&strategy_row("alpha")).await;
    app.close_window_as_the_analyst();
    app.wait_for("[data-testid=\"first-close-dialog\"]").await;
    let words = app.text("first-close-dialog").await;
    assert!(words.contains("keeps watching your results"), "{words}");
    app.click("first-close-keep").await;
    app.eventually("the window is hidden", || async { !app.window_visible() })
        .await;

    std::fs::write(results.join("alpha").join("late.csv"), b"t,p\n9,9\n").unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while archives_of(&backups, "alpha").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no backup while the window was closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let second = app.launch_again();
    assert!(second.success(), "{second}");
    app.eventually("the first window is shown again", || async {
        app.window_visible()
    })
    .await;
    app.close_window_as_the_analyst();
    app.eventually("closing again hides it without asking", || async {
        !app.window_visible()
    })
    .await;
    assert_eq!(app.count("[data-testid=\"first-close-dialog\"]").await, 0);
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn retention_is_previewed_before_anything_goes_and_then_applied() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha", "beta"]);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    for round in 0..3 {
        app.click("backup-all").await;
        app.eventually("this round's backups exist", || async {
            archives_of(&backups, "alpha").len() == round + 1
                && archives_of(&backups, "beta").len() == round + 1
        })
        .await;
    }
    let alpha = archives_of(&backups, "alpha");
    app.click("nav-settings").await;
    app.click("retention-last").await;
    let n = app.by_id("retention-last-n").await;
    n.clear().await.unwrap();
    n.send_keys("1").await.unwrap();
    app.click("retention-preview").await;
    app.wait_for("[data-testid=\"retention-summary\"]").await;
    let summary = app.text("retention-summary").await;
    assert!(
        summary.starts_with("4 backups would be deleted"),
        "{summary}"
    );
    let listed: Vec<String> = {
        let mut names = Vec::new();
        for el in app.all("[data-testid=\"retention-removed\"]").await {
            names.push(app.attr(&el, "data-file").await.unwrap_or_default());
        }
        names
    };
    assert!(
        listed.contains(&alpha[0]) && listed.contains(&alpha[1]),
        "{listed:?}"
    );
    assert!(!listed.contains(&alpha[2]), "the newest stays: {listed:?}");
    assert_eq!(
        archives_of(&backups, "alpha").len(),
        3,
        "the preview deleted nothing"
    );
    let _ = app
        .client
        .execute(
            "document.querySelector('[data-testid=\"retention-preview-result\"]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await;
    app.screenshot("retention-preview").await;

    app.click("retention-apply").await;
    // The app reports the deletion only once every step (entries, archives, sidecars) is done.
    app.eventually("the app says the old backups are deleted", || async {
        app.text("retention-preview-area")
            .await
            .contains("Deleted 4 backups")
    })
    .await;
    assert_eq!(archives_of(&backups, "alpha"), vec![alpha[2].clone()]);
    assert_eq!(archives_of(&backups, "beta").len(), 1);
    for name in &alpha[..2] {
        let sidecar = backups.join(name.replace(".tar.gz", ".manifest.json"));
        assert!(!sidecar.exists(), "its manifest went with it");
    }
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backups.join("catalog.json")).unwrap()).unwrap();
    assert_eq!(
        catalog["backups"].as_array().map(Vec::len),
        Some(2),
        "{catalog}"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn success_notifications_are_opt_in_and_one_per_batch() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha", "beta"]);
    let app = App::launch(Setup::ConfiguredWith {
        results: results.clone(),
        backups: backups.clone(),
        more: on_change(2),
    })
    .await;
    app.wait_for(&strategy_row("alpha")).await;
    std::fs::write(results.join("alpha").join("first.csv"), b"t,p\n").unwrap();
    app.eventually("alpha is backed up", || async {
        archives_of(&backups, "alpha").len() == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(
        app.notifications().is_empty(),
        "successes are quiet unless asked: {:?}",
        app.notifications()
    );

    app.click("nav-settings").await;
    let notify = app.by_id("auto-notify-success").await;
    app.eventually("the form is loaded", || async {
        app.attr(&notify, "disabled").await.is_none()
    })
    .await;
    notify.click().await.unwrap();
    app.click("auto-save").await;
    app.eventually("the choice is remembered", || async {
        std::fs::read_to_string(app.data_dir().join("results-backup").join("app-state.json"))
            .is_ok_and(|text| text.contains("\"notify_success\": true"))
    })
    .await;
    // The restarted engine looks at every strategy once; let that settle first.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (alpha, beta) = (
        archives_of(&backups, "alpha").len(),
        archives_of(&backups, "beta").len(),
    );
    let earlier = app.notifications().len();
    for strategy in ["alpha", "beta"] {
        std::fs::write(results.join(strategy).join("second.csv"), b"t,p\n2,2\n").unwrap();
    }
    app.eventually("both are backed up", || async {
        archives_of(&backups, "alpha").len() == alpha + 1
            && archives_of(&backups, "beta").len() == beta + 1
    })
    .await;
    app.eventually("one summary notification", || async {
        app.notifications().len() > earlier
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let shown = app.notifications()[earlier..].to_vec();
    assert_eq!(shown.len(), 1, "one notification for the batch: {shown:?}");
    assert!(
        shown[0].starts_with("Backed up 2 strategies")
            && shown[0].contains("alpha")
            && shown[0].contains("beta"),
        "{shown:?}"
    );
    app.close().await;
}
