//! Failures reach the analyst in plain words, and the webview can reach only what it was given.

use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "current_thread")]
async fn a_results_folder_removed_while_the_app_is_open_gets_a_plain_error_with_a_hint() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;

    std::fs::remove_dir_all(&results).expect("remove results");
    app.click("backup-all").await;
    let text = app
        .text_of("[data-testid=\"error-banner\"][data-code=\"results_folder_missing\"]")
        .await;
    assert!(text.contains("does not exist"), "plain message: {text}");
    assert!(!app.text("error-hint").await.is_empty(), "says what to do");
    for debug in ["Error {", "Io {", "os error", "{\"code\""] {
        assert!(!text.contains(debug), "no debug strings: {text}");
    }
    assert!(archives_in(&backups).is_empty(), "nothing was written");
    app.screenshot("error-results-missing").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_webview_gets_not_allowed_for_anything_it_was_not_given() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    let settings_before = std::fs::read(app.settings_file()).expect("settings");
    let outside = scratch.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");

    let refused = [
        (
            "backup_details",
            json!({"backup": {"dropped": "/etc/passwd"}}),
        ),
        (
            "backup_details",
            json!({"backup": {"catalog": "../../etc/passwd"}}),
        ),
        (
            "restore_preview",
            json!({"backup": {"catalog": file}, "destination": outside}),
        ),
        (
            "save_settings",
            json!({"results_dir": "/etc", "backups_dir": backups, "compression_level": 6}),
        ),
        ("show_in_folder", json!({"path": "/etc/passwd"})),
        ("open_folder", json!({"path": "/etc"})),
        ("delete_backup", json!({"backup_file": "../results/alpha"})),
    ];
    for (command, args) in refused {
        let error = app
            .invoke(command, args.clone())
            .await
            .expect_err(&format!("{command} {args} must be refused"));
        assert_eq!(error["code"], "not_allowed", "{command} {args}: {error}");
        assert!(error["hint"].as_str().is_some_and(|h| !h.is_empty()));
    }
    // Commands no capability grants are not reachable at all.
    for (command, args) in [
        ("plugin:opener|open_path", json!({"path": "/etc"})),
        ("plugin:fs|read_file", json!({"path": "/etc/passwd"})),
    ] {
        assert!(app.invoke(command, args).await.is_err(), "{command}");
    }
    assert_eq!(
        std::fs::read(app.settings_file()).expect("settings"),
        settings_before
    );
    assert_eq!(archives_in(&backups), vec![file]);
    assert!(std::fs::read_dir(&outside)
        .expect("outside")
        .next()
        .is_none());
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn changing_the_backups_folder_in_settings_shows_that_folders_catalog() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, first) = folders(scratch.path(), &["alpha", "beta"]);
    back_up_with_core(&results, &first, "alpha", LEVEL);
    let second = scratch.path().join("second backups");
    let in_second = [
        back_up_with_core(&results, &second, "alpha", LEVEL),
        back_up_with_core(&results, &second, "beta", LEVEL),
    ];
    let app = App::configured(&results, &first).await;
    app.click("nav-backups").await;
    app.eventually("the first folder's one backup is listed", || async {
        app.count("[data-testid=\"backup-row\"]").await == 1
    })
    .await;

    app.click("nav-settings").await;
    app.pick_next(Some(&second));
    app.click("settings-pick-backups").await;
    app.eventually("the picked folder is shown before saving", || async {
        let field = app.by_id("settings-backups").await;
        let value = field.prop("value").await.ok().flatten().unwrap_or_default();
        let text = field.text().await.unwrap_or_default();
        value.contains("second backups") || text.contains("second backups")
    })
    .await;
    app.screenshot("settings").await;
    app.click("settings-save").await;
    app.click("nav-backups").await;
    for file in &in_second {
        app.wait_for(&backup_row(file)).await;
    }
    assert_eq!(app.count("[data-testid=\"backup-row\"]").await, 2);
    let settings = app.settings();
    assert_eq!(
        settings["backups_dir"].as_str(),
        second.to_str(),
        "the command line shares the new folder"
    );
    app.close().await;
}
