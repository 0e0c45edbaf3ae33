//! A catalog of thousands of backups stays a short DOM list that filters; the window can be
//! used from the keyboard alone (rows open with Enter, dialogs close with Escape).

use crate::support::*;
use fantoccini::key::Key;
use serde_json::json;

/// A catalog document of `count` backups (their archives need not exist to be listed).
fn write_big_catalog(backups: &std::path::Path, count: usize) {
    std::fs::create_dir_all(backups).expect("backups folder");
    let strategies = ["momentum", "carry", "value", "pairs", "trend"];
    let entries: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let strategy = strategies[i % strategies.len()];
            let day = 1 + (i / 200) % 28;
            let (hour, minute, second) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
            let timestamp = format!("202610{day:02}_{hour:02}{minute:02}{second:02}");
            json!({
                "strategy": strategy,
                "timestamp": timestamp,
                "backup_file": format!("{strategy}_{timestamp}.tar.gz"),
                "size": 1000 + i,
                "created": format!("2026-10-{day:02}T{hour:02}:{minute:02}:{second:02}+00:00"),
                "sha256": format!("{i:064x}"),
                "files": 3,
                "bytes": 5000 + i,
                "last_checked": null,
                "check_result": null,
                "has_manifest": true
            })
        })
        .collect();
    let document = json!({
        "format": "results-backup-catalog",
        "format_version": 1,
        "backups": entries,
    });
    std::fs::write(
        backups.join("catalog.json"),
        serde_json::to_vec(&document).expect("json"),
    )
    .expect("write catalog");
}

#[tokio::test(flavor = "current_thread")]
async fn five_thousand_backups_render_as_a_short_list_that_filters_and_scrolls() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["momentum"]);
    write_big_catalog(&backups, 5000);
    let app = App::configured(&results, &backups).await;
    app.click("nav-backups").await;
    app.eventually("the count says 5,000 backups", || async {
        match app.all(".list-count").await.first() {
            Some(count) => count.text().await.unwrap_or_default().contains("5,000"),
            None => false,
        }
    })
    .await;
    let in_dom = app.count("[data-testid=\"backup-row\"]").await;
    assert!(
        (1..100).contains(&in_dom),
        "only a screenful of rows is in the page, not 5,000: {in_dom}"
    );

    let search = app.by_id("backup-search").await;
    search.send_keys("carry_20261003").await.expect("type");
    app.eventually("the search narrows the list", || async {
        let rows = app.all("[data-testid=\"backup-row\"]").await;
        if rows.is_empty() {
            return false;
        }
        for row in &rows {
            let file = app.attr(row, "data-backup-file").await.unwrap_or_default();
            if !file.starts_with("carry_20261003") {
                return false;
            }
        }
        true
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_backup_opens_with_enter_and_its_dialog_closes_with_escape() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;
    app.click("nav-backups").await;
    // Focus the row the way Tab would land on it, then use only keys. The script finds the row
    // itself, so a re-render of the list in between cannot hand it a stale element.
    app.eventually("the backup's row has the focus", || async {
        let script = "const row = document.querySelector(arguments[0]);
                      if (row) row.focus();
                      return row !== null && document.activeElement === row;";
        app.client
            .execute(script, vec![json!(backup_row(&file))])
            .await
            .map(|focused| focused == json!(true))
            .unwrap_or(false)
    })
    .await;
    app.client
        .active_element()
        .await
        .expect("the focused row")
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    let details = app.by_id("details").await;
    details
        .send_keys(&Key::Escape.to_string())
        .await
        .expect("Escape");
    app.eventually("Escape closes the details", || async {
        app.count("[data-testid=\"details\"]").await == 0
    })
    .await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn at_200_percent_zoom_nothing_runs_off_the_side_of_the_window() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha", "beta_with_a_rather_long_name"]);
    back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;
    app.wait_for(&strategy_row("alpha")).await;
    app.invoke("plugin:webview|set_webview_zoom", json!({"value": 2.0}))
        .await
        .expect("zoom is allowed (Ctrl and + does the same)");
    for view in ["nav-strategies", "nav-backups", "nav-settings"] {
        app.click(view).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let overflow = app
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("measure");
        assert!(
            overflow.as_i64().unwrap_or(i64::MAX) <= 1,
            "{view} at 200% scrolls sideways by {overflow}px"
        );
        app.screenshot(&format!("zoom-200-{view}")).await;
    }
    app.close().await;
}
