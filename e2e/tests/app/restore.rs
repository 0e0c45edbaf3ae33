//! Restoring from the window: into a picked folder, and over an existing folder both ways.

use crate::support::*;

async fn open_restore(app: &App, file: &str) {
    app.open_details(file).await;
    app.click("details-restore").await;
    app.by_id("restore-dialog").await;
}

async fn confirm_restore(app: &App) -> String {
    app.click("restore-confirm").await;
    // Replacing asks once more, in plain words.
    let started = std::time::Instant::now();
    loop {
        if app.count("[data-testid=\"restore-result\"]").await > 0 {
            break;
        }
        if app.count("[data-testid=\"confirm-yes\"]").await > 0 {
            app.click("confirm-yes").await;
        }
        assert!(started.elapsed() < WAIT, "the restore did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.text("restore-result").await
}

/// A strategy backed up, then changed: restoring it meets an existing, newer folder.
struct Changed {
    results: std::path::PathBuf,
    backups: std::path::PathBuf,
    file: String,
    /// The folder as the backup holds it.
    backed_up: Tree,
}

fn backed_up_then_changed(scratch: &std::path::Path) -> Changed {
    let (results, backups) = folders(scratch, &["alpha"]);
    let backed_up = snapshot(&results.join("alpha"));
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    std::fs::write(
        results.join("alpha").join("later.txt"),
        "work after the backup",
    )
    .expect("change");
    Changed {
        results,
        backups,
        file,
        backed_up,
    }
}

#[tokio::test(flavor = "current_thread")]
async fn restoring_into_a_picked_folder_reproduces_every_file() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let destination = scratch.path().join("restored here");
    std::fs::create_dir_all(&destination).expect("destination");
    let app = App::configured(&results, &backups).await;
    open_restore(&app, &file).await;
    app.pick_restore_destination(&destination).await;
    app.screenshot("restore-dialog").await;
    let result = confirm_restore(&app).await;
    assert!(result.contains("alpha"), "{result}");
    app.by_id("restore-open-folder").await;
    app.screenshot("restore-result").await;
    assert_same_tree(
        &snapshot(&results.join("alpha")),
        &snapshot(&destination.join("alpha")),
        "the restored folder",
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn restoring_over_an_existing_folder_as_a_copy_keeps_both() {
    let scratch = tempfile::tempdir().expect("scratch");
    let Changed {
        results,
        backups,
        file,
        backed_up,
    } = backed_up_then_changed(scratch.path());
    let current = snapshot(&results.join("alpha"));
    let app = App::configured(&results, &backups).await;
    open_restore(&app, &file).await;
    app.click("restore-copy").await;
    confirm_restore(&app).await;

    let timestamp = file
        .trim_end_matches(".tar.gz")
        .trim_start_matches("alpha_")
        .to_string();
    let copy = results.join(format!("alpha_restored_{timestamp}"));
    assert_same_tree(&backed_up, &snapshot(&copy), "the restored copy");
    assert_same_tree(
        &current,
        &snapshot(&results.join("alpha")),
        "the original (untouched)",
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn restoring_over_an_existing_folder_with_replace_backs_the_current_one_up_first() {
    let scratch = tempfile::tempdir().expect("scratch");
    let Changed {
        results,
        backups,
        file,
        backed_up,
    } = backed_up_then_changed(scratch.path());
    let app = App::configured(&results, &backups).await;
    open_restore(&app, &file).await;
    app.click("restore-replace").await;
    let result = confirm_restore(&app).await;
    assert!(!result.is_empty());

    assert_same_tree(
        &backed_up,
        &snapshot(&results.join("alpha")),
        "the replaced folder",
    );
    let archives = archives_in(&backups);
    assert_eq!(archives.len(), 2, "a safety backup was made: {archives:?}");
    let safety = archives
        .iter()
        .find(|a| **a != file)
        .expect("safety backup");
    let restored = scratch.path().join("safety check");
    std::fs::create_dir_all(&restored).expect("folder");
    results_backup::restore(
        &results_backup::Locations::new(&results, &backups),
        &results_backup::Locator::Name(safety.clone()),
        &results_backup::RestoreOptions {
            destination: Some(restored.clone()),
            on_conflict: results_backup::OnConflict::Fail,
            expected_destination: None,
            only: Vec::new(),
        },
        &results_backup::NoProgress,
        &results_backup::CancelToken::new(),
    )
    .expect("the safety backup restores");
    assert!(
        restored.join("alpha").join("later.txt").is_file(),
        "the replaced work is in the safety backup"
    );
    app.close().await;
}
