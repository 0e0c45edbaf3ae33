//! The app as a resident of the desktop: one running instance, start at login.

use crate::support::*;

#[tokio::test(flavor = "current_thread")]
async fn a_second_launch_hands_over_to_the_running_app_and_exits() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha"]);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    assert!(app.window_visible(), "the window is on screen");

    let second = app.launch_again();
    assert!(
        second.success(),
        "the second launch exits cleanly: {second}"
    );
    // Still the one app, still answering.
    app.click("nav-backups").await;
    app.wait_for("#backups-title").await;
    assert!(app.window_visible(), "the first window is still there");
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn start_at_login_is_opt_in_and_starts_hidden() {
    let home = tempfile::tempdir().unwrap();
    let (results, backups) = folders(home.path(), &["alpha"]);
    let app = App::configured(&results, &backups).await;
    let autostart = app.home.path().join(".config").join("autostart");
    let login_items = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&autostart)
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    app.click("nav-settings").await;
    let checkbox = app.by_id("settings-start-at-login").await;
    app.eventually("the login item state is shown", || async {
        app.attr(&checkbox, "disabled").await.is_none()
    })
    .await;
    assert!(
        !checkbox.is_selected().await.unwrap(),
        "off until the analyst turns it on"
    );
    assert!(login_items().is_empty(), "nothing written before opting in");

    checkbox.click().await.unwrap();
    app.eventually("the login item is written", || async {
        login_items().len() == 1
    })
    .await;
    let entry = std::fs::read_to_string(&login_items()[0]).unwrap();
    let exec = entry
        .lines()
        .find(|line| line.starts_with("Exec="))
        .expect("an Exec line");
    assert!(exec.contains("results-backup-app"), "{exec}");
    assert!(exec.contains("--hidden"), "starts hidden: {exec}");

    checkbox.click().await.unwrap();
    app.eventually("the login item is removed", || async {
        login_items().is_empty()
    })
    .await;
    app.close().await;
}
