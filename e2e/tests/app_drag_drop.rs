//! A real OS drag and drop onto the app window: an archive opens like a catalogued backup and
//! can be restored; anything else gets a kind explanation.

mod support;

use support::*;

#[tokio::test(flavor = "current_thread")]
async fn dropping_an_archive_opens_it_with_its_proof_and_it_restores() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let elsewhere = scratch.path().join("made elsewhere");
    let file = back_up_with_core(&results, &elsewhere, "alpha");
    // Only the archive travels (mailed, copied from a share): its proof is the embedded manifest.
    let inbox = scratch.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let dropped = inbox.join(&file);
    std::fs::copy(elsewhere.join(&file), &dropped).expect("copy archive");
    let original = tree(&results.join("alpha"));

    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;

    drag_file_onto_app(&dropped, || async {
        app.eventually("the window shows the drop highlight", || async {
            match app.all("[data-testid=\"drop-overlay\"]").await.first() {
                Some(overlay) => overlay.is_displayed().await.unwrap_or(false),
                None => false,
            }
        })
        .await;
        screenshot_screen("drop-highlight");
    })
    .await;

    let text = app.text("details").await;
    assert!(
        text.contains(&file),
        "details name the dropped archive: {text}"
    );
    app.by_id("file-tree").await;
    app.screenshot("dropped-details").await;
    assert_eq!(
        app.count("[data-testid=\"details-delete\"]").await,
        0,
        "a dropped archive outside the catalog cannot be deleted from here"
    );

    let destination = scratch.path().join("restore of the dropped one");
    std::fs::create_dir_all(&destination).expect("destination");
    app.click("details-restore").await;
    app.by_id("restore-dialog").await;
    app.pick_next(Some(&destination));
    app.click("restore-pick-destination").await;
    app.eventually("the dialog shows the picked folder", || async {
        app.text("restore-destination")
            .await
            .contains("restore of the dropped one")
    })
    .await;
    app.click("restore-confirm").await;
    app.by_id("restore-result").await;
    assert_eq!(tree(&destination.join("alpha")), original);
    assert!(
        archives_in(&backups).is_empty(),
        "the catalog was not touched"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_something_else_explains_what_the_window_accepts() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let notes = scratch.path().join("notes.txt");
    std::fs::write(&notes, "not a backup").expect("notes");
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;

    drag_file_onto_app(&notes, || async {}).await;
    let message = app
        .text_of("[data-testid=\"error-banner\"][data-code=\"not_an_archive\"]")
        .await;
    assert!(message.contains("notes.txt"), "{message}");
    assert!(
        message.contains(".tar.gz"),
        "says what it accepts: {message}"
    );
    assert_eq!(app.count("[data-testid=\"details\"]").await, 0);
    app.close().await;
}
