//! Checking backups from the window: OK, then damaged on disk, then "Check all"; deleting.

use crate::support::*;

#[tokio::test(flavor = "current_thread")]
async fn a_healthy_backup_checks_ok_and_after_damage_on_disk_it_says_damaged_plainly() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;
    app.open_details(&file).await;
    app.by_id("file-tree").await;
    app.by_id("metrics").await;
    app.screenshot("details").await;

    app.click("details-check").await;
    app.wait_for("[data-testid=\"check-result\"][data-result=\"ok\"]")
        .await;

    let archive = backups.join(&file);
    let mut bytes = std::fs::read(&archive).expect("read archive");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&archive, &bytes).expect("damage archive");

    app.click("details-check").await;
    let text = app
        .text_of("[data-testid=\"check-result\"][data-result=\"damaged\"]")
        .await;
    assert!(
        text.to_lowercase().contains("damaged"),
        "plain words: {text}"
    );
    for debug in ["Error {", "Io {", "kind:", "CorruptArchive"] {
        assert!(!text.contains(debug), "no debug strings: {text}");
    }
    // Where, in plain words: the byte range named holds the byte that was flipped.
    let problems = app.text("problems").await;
    let range = problems
        .split("damaged between bytes ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("a byte range: {problems}"));
    let numbers: Vec<u64> = range
        .split(" and ")
        .map(|n| n.replace(',', "").trim().parse().expect("a number"))
        .collect();
    assert!(
        numbers.len() == 2 && numbers[0] <= middle as u64 && middle as u64 <= numbers[1],
        "byte {middle} is inside {range}"
    );
    // One verdict: nothing after it says the backup is fine, and the next step is offered.
    assert_eq!(app.count(".verdict").await, 1);
    let steps = app.text("next-steps").await;
    assert!(steps.contains("Back up again now"), "{steps}");
    app.eventually("the job card says the check found damage", || async {
        app.count(r#"[data-testid="job"][data-found="damage"]"#)
            .await
            == 1
    })
    .await;
    app.screenshot("check-damaged").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn check_all_records_a_result_on_every_backup() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha", "beta"]);
    let files = [
        back_up_with_core(&results, &backups, "alpha", LEVEL),
        back_up_with_core(&results, &backups, "beta", LEVEL),
    ];
    let app = App::configured(&results, &backups).await;
    app.click("nav-backups").await;
    for file in &files {
        assert_ne!(
            app.attr_of(&backup_row(file), "data-check")
                .await
                .as_deref(),
            Some("ok")
        );
    }
    app.click("check-all").await;
    for file in &files {
        app.eventually(&format!("{file} is marked OK"), || async {
            app.attr_of(&backup_row(file), "data-check")
                .await
                .as_deref()
                == Some("ok")
        })
        .await;
    }
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn delete_asks_first_naming_the_backup_and_then_removes_archive_and_manifest() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let sidecar = backups.join(file.replace(".tar.gz", ".manifest.json"));
    assert!(sidecar.is_file());
    let app = App::configured(&results, &backups).await;
    app.open_details(&file).await;

    app.click("details-delete").await;
    let question = app.text("confirm-dialog").await;
    assert!(
        question.contains(&file),
        "the question names the backup: {question}"
    );
    app.click("confirm-no").await;
    assert!(backups.join(&file).is_file(), "saying no deletes nothing");

    app.click("details-delete").await;
    app.click("confirm-yes").await;
    app.eventually("the backup is gone from the list", || async {
        app.count(&backup_row(&file)).await == 0
    })
    .await;
    assert!(!backups.join(&file).exists());
    assert!(!sidecar.exists());
    assert!(
        results.join("alpha").join("metrics.json").is_file(),
        "results untouched"
    );
    app.close().await;
}
