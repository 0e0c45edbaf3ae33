//! Backing up from the window: one strategy, then all; progress, the queue, cancel.

use crate::support::*;

#[tokio::test(flavor = "current_thread")]
async fn backing_up_one_strategy_then_all_updates_states_and_the_catalog() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha", "beta", "gamma"]);
    let app = App::configured(&results, &backups).await;
    app.eventually("three strategies are listed", || async {
        app.count("[data-testid=\"strategy-row\"]").await == 3
    })
    .await;

    let alpha_checkbox = format!(
        "{} [data-testid=\"strategy-select\"]",
        strategy_row("alpha")
    );
    app.click_css(&alpha_checkbox, "alpha's checkbox").await;
    app.click("backup-selected").await;
    app.wait_for("[data-testid=\"job\"][data-state=\"done\"]")
        .await;
    let archives = archives_in(&backups);
    assert_eq!(archives.len(), 1, "{archives:?}");
    assert!(archives[0].starts_with("alpha_"));
    app.eventually("alpha shows as protected", || async {
        app.attr_of(&strategy_row("alpha"), "data-state")
            .await
            .as_deref()
            == Some("protected")
    })
    .await;
    assert_eq!(
        app.attr_of(&strategy_row("beta"), "data-state")
            .await
            .as_deref(),
        Some("never_backed_up")
    );

    app.click("backup-all").await;
    app.eventually("every strategy has a backup", || async {
        archives_in(&backups).len() == 4
    })
    .await;
    for name in ["alpha", "beta", "gamma"] {
        app.eventually(&format!("{name} shows as protected"), || async {
            app.attr_of(&strategy_row(name), "data-state")
                .await
                .as_deref()
                == Some("protected")
        })
        .await;
    }
    app.screenshot("strategies-protected").await;

    app.click("nav-backups").await;
    app.eventually("the catalog lists all four backups", || async {
        app.count("[data-testid=\"backup-row\"]").await == 4
    })
    .await;
    app.screenshot("backups").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn cancelling_a_large_backup_leaves_no_partial_file_while_queued_jobs_wait_their_turn() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["small"]);
    let big = results.join("big");
    std::fs::create_dir_all(&big).expect("big strategy");
    // Incompressible content, so compressing it takes long enough to be cancelled mid-way.
    for part in 0..6 {
        write_noise(&big.join(format!("ticks_{part}.bin")), 160 << 20, part);
    }
    // The slowest compression keeps the large backup running long enough to be seen running,
    // with the other one waiting, and then cancelled, however fast the machine hashes.
    let app = App::launch(Setup::ConfiguredWith {
        results: results.clone(),
        backups: backups.clone(),
        more: serde_json::json!({ "compression_level": 9 }),
    })
    .await;
    app.eventually("both strategies are listed", || async {
        app.count("[data-testid=\"strategy-row\"]").await == 2
    })
    .await;

    app.click("backup-all").await;
    let running = app
        .wait_for("[data-testid=\"job\"][data-state=\"running\"]")
        .await;
    app.wait_for("[data-testid=\"job\"][data-state=\"queued\"]")
        .await;
    app.eventually("the running job shows bytes moving", || async {
        let text = running.text().await.unwrap_or_default();
        text.contains("MB") || text.contains("GB")
    })
    .await;
    app.screenshot("progress").await;

    app.click_css(
        "[data-testid=\"job\"][data-state=\"running\"] [data-testid=\"job-cancel\"]",
        "Cancel",
    )
    .await;
    app.wait_for("[data-testid=\"job\"][data-state=\"cancelled\"]")
        .await;
    app.eventually("the queued job ran after the cancelled one", || async {
        archives_in(&backups)
            .iter()
            .any(|a| a.starts_with("small_"))
    })
    .await;

    let archives = archives_in(&backups);
    assert!(
        archives.iter().all(|a| !a.starts_with("big_")),
        "no archive of the cancelled backup: {archives:?}"
    );
    assert_eq!(
        partial_files_in(&backups),
        Vec::<String>::new(),
        "no partial file left"
    );
    assert_eq!(
        app.attr_of(&strategy_row("big"), "data-state")
            .await
            .as_deref(),
        Some("never_backed_up")
    );
    app.close().await;
}
