//! A real OS drag and drop onto the app window: an archive opens like a catalogued backup and
//! can be restored; anything else gets a kind explanation.

use crate::support::*;

#[tokio::test(flavor = "current_thread")]
async fn dropping_an_archive_opens_it_with_its_proof_and_it_restores() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    // Its proof is the embedded manifest: only the archive travelled.
    let (file, dropped) = archive_made_elsewhere(scratch.path(), &results, "alpha");
    let original = snapshot(&results.join("alpha"));

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
    app.pick_restore_destination(&destination).await;
    app.click("restore-confirm").await;
    app.by_id("restore-result").await;
    assert_same_tree(
        &original,
        &snapshot(&destination.join("alpha")),
        "the restored folder",
    );
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

/// An archive made with GNU tar holding `members` (paths relative to `dir`).
fn gnu_tar(dir: &std::path::Path, archive: &std::path::Path, members: &[&str]) {
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(archive)
        .arg("-C")
        .arg(dir)
        .args(members)
        .status()
        .expect("GNU tar runs");
    assert!(status.success(), "tar czf {}", archive.display());
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_archive_that_is_not_one_strategy_folder_is_refused_in_plain_words() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let loose = scratch.path().join("loose");
    std::fs::create_dir_all(&loose).expect("loose");
    std::fs::write(loose.join("report.html"), "<html>open me</html>").expect("report");
    let dropped = scratch.path().join("report.tar.gz");
    gnu_tar(&loose, &dropped, &["report.html"]);

    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    drag_file_onto_app(&dropped, || async {}).await;
    let message = app
        .text_of("[data-testid=\"error-banner\"][data-code=\"unsafe_entry\"]")
        .await;
    assert!(
        message.contains("report.html"),
        "names the member: {message}"
    );
    assert!(
        message.contains("top of the archive"),
        "says why in plain words: {message}"
    );
    assert_eq!(app.count("[data-testid=\"details-restore\"]").await, 0);
    assert_eq!(app.count("[data-testid=\"restore-open-folder\"]").await, 0);
    app.screenshot("dropped-unsafe").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_archive_replaced_before_its_restore_runs_is_refused() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let elsewhere = scratch.path().join("made elsewhere");
    let file = back_up_with_core(&results, &elsewhere, "alpha", LEVEL);
    let inbox = scratch.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let dropped = inbox.join(&file);
    std::fs::copy(elsewhere.join(&file), &dropped).expect("copy archive");

    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    drag_file_onto_app(&dropped, || async {}).await;
    app.by_id("file-tree").await;

    // While the analyst looks at it, someone swaps the file for another archive.
    let other = scratch.path().join("other");
    std::fs::create_dir_all(other.join("alpha")).expect("other");
    std::fs::write(other.join("alpha/planted.txt"), "not what was dropped").expect("planted");
    let swapped = scratch.path().join("swapped.tar.gz");
    gnu_tar(&other, &swapped, &["alpha"]);
    std::fs::remove_file(&dropped).expect("remove");
    std::fs::rename(&swapped, &dropped).expect("swap");

    let destination = scratch.path().join("restore here");
    std::fs::create_dir_all(&destination).expect("destination");
    app.click("details-restore").await;
    app.by_id("restore-dialog").await;
    app.pick_restore_destination(&destination).await;
    app.click("restore-confirm").await;
    let message = app
        .text_of("[data-testid=\"error-banner\"][data-code=\"not_allowed\"], [data-testid=\"error-banner\"][data-code=\"changed_since_chosen\"]")
        .await;
    assert!(message.contains(&file), "names the archive: {message}");
    assert!(
        std::fs::read_dir(&destination)
            .expect("listing")
            .next()
            .is_none(),
        "nothing restored from the swapped file"
    );
    app.close().await;
}
