//! Looking inside backups in the real app: the equity curve drawn from a backup, two backups
//! compared, what changed since a backup, and a partial restore of chosen files.

use crate::support::*;

fn write_curve(strategy: &std::path::Path, days: u32, start: f64) {
    let mut csv = String::from("date,equity,drawdown_pct\n");
    for day in 0..days {
        let value = start * (1.0 + 0.001 * day as f64) - if day % 17 == 0 { 900.0 } else { 0.0 };
        csv.push_str(&format!(
            "2025-{:02}-{:02},{value:.2},0\n",
            1 + day / 28 % 12,
            1 + day % 28
        ));
    }
    std::fs::write(strategy.join("equity_curve.csv"), csv).expect("equity curve");
}

#[tokio::test(flavor = "current_thread")]
async fn the_equity_curve_is_drawn_from_the_backup_without_restoring_it() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    write_curve(&results.join("alpha"), 300, 100_000.0);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;
    app.open_details(&file).await;
    let chart = app.wait_for("[data-testid=\"equity-chart\"]").await;
    let points: usize = app
        .attr(&chart, "data-points")
        .await
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    assert_eq!(
        points, 300,
        "one point per row (fewer than the chart's limit)"
    );
    let words = app.attr(&chart, "aria-label").await.unwrap_or_default();
    assert!(words.contains("300 rows from equity_curve.csv"), "{words}");
    assert!(
        !results.join("alpha_restored").exists()
            && std::fs::read_dir(&results).unwrap().count() == 1,
        "nothing was restored into the results folder"
    );
    app.screenshot("equity-curve").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn two_backups_compare_side_by_side_and_changes_since_a_backup_are_listed() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let alpha = results.join("alpha");
    std::fs::write(
        alpha.join("metrics.json"),
        r#"{"total_return": 0.12, "sharpe": 1.2, "max_drawdown": -0.08, "trades": 140}"#,
    )
    .unwrap();
    let first = back_up_with_core(&results, &backups, "alpha", LEVEL);
    std::fs::write(
        alpha.join("metrics.json"),
        r#"{"total_return": 0.18, "sharpe": 1.8, "max_drawdown": -0.125, "trades": 152}"#,
    )
    .unwrap();
    std::fs::write(alpha.join("new_run.csv"), "t,p\n1,2\n").unwrap();
    std::fs::remove_file(alpha.join("sub").join("trades.csv")).unwrap();
    let second = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let app = App::configured(&results, &backups).await;

    app.open_details(&second).await;
    let select = app.by_id("compare-with").await;
    select.select_by_value(&first).await.unwrap();
    app.click("compare").await;
    app.wait_for("[data-testid=\"compare-dialog\"] [data-testid=\"diff-summary\"]")
        .await;
    let summary = app
        .text_of("[data-testid=\"compare-dialog\"] [data-testid=\"diff-summary\"]")
        .await;
    assert!(
        summary.contains("1 file added") && summary.contains("1 file removed"),
        "{summary}"
    );
    let sharpe = app
        .text_of("[data-testid=\"compare-dialog\"] [data-metric=\"sharpe\"]")
        .await;
    assert!(
        sharpe.contains("1.20") && sharpe.contains("1.80") && sharpe.contains("better"),
        "{sharpe}"
    );
    let drawdown = app
        .text_of("[data-testid=\"compare-dialog\"] [data-metric=\"max_drawdown\"]")
        .await;
    assert!(
        drawdown.contains("-12.5 %") && drawdown.contains("worse"),
        "{drawdown}"
    );
    let files = app
        .text_of("[data-testid=\"compare-dialog\"] [data-testid=\"diff-files\"]")
        .await;
    assert!(
        files.contains("new_run.csv") && files.contains("sub/trades.csv"),
        "{files}"
    );
    app.screenshot("compare").await;
    app.client
        .execute(
            "document.querySelector('[data-testid=\"compare-dialog\"] .dialog-close').click()",
            vec![],
        )
        .await
        .unwrap();

    // Now the folder moves on: what changed since the second backup?
    std::fs::write(alpha.join("late.log"), "later\n").unwrap();
    app.click("changes-since").await;
    app.wait_for("[data-testid=\"changes-dialog\"] [data-testid=\"diff-files\"]")
        .await;
    let changed = app
        .text_of("[data-testid=\"changes-dialog\"] [data-testid=\"diff-files\"]")
        .await;
    assert!(
        changed.contains("late.log") && changed.contains("added"),
        "{changed}"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn chosen_files_are_restored_alone_into_a_picked_folder() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, backups) = folders(scratch.path(), &["alpha"]);
    let file = back_up_with_core(&results, &backups, "alpha", LEVEL);
    let destination = scratch.path().join("only these");
    std::fs::create_dir_all(&destination).unwrap();
    let app = App::configured(&results, &backups).await;
    app.open_details(&file).await;
    // The tree shows the strategy folder open: tick metrics.json.
    app.click_css(
        "[role=treeitem][data-path=\"alpha/metrics.json\"] [data-testid=\"tree-select\"]",
        "the metrics.json box",
    )
    .await;
    app.click("restore-selected").await;
    app.by_id("restore-dialog").await;
    let only = app.text("restore-only").await;
    assert!(only.contains("metrics.json"), "{only}");
    app.pick_restore_destination(&destination).await;
    app.click("restore-confirm").await;
    app.by_id("restore-result").await;
    let restored = destination.join("alpha");
    assert_eq!(
        std::fs::read(restored.join("metrics.json")).unwrap(),
        std::fs::read(results.join("alpha").join("metrics.json")).unwrap()
    );
    let mut names: Vec<String> = std::fs::read_dir(&restored)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["metrics.json".to_string()],
        "only the chosen file"
    );
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn backups_sort_by_a_metric_and_filter_by_a_range() {
    let scratch = tempfile::tempdir().expect("scratch");
    let names = ["alpha", "beta", "gamma"];
    let (results, backups) = folders(scratch.path(), &names);
    for (name, sharpe) in names.iter().zip(["1.2", "2.4", "1.7"]) {
        std::fs::write(
            results.join(name).join("metrics.json"),
            format!(r#"{{"total_return": 0.1, "Sharpe Ratio": {sharpe}, "max_drawdown_pct": -9.5, "num_trades": 120}}"#),
        )
        .unwrap();
        back_up_with_core(&results, &backups, name, LEVEL);
    }
    let app = App::configured(&results, &backups).await;
    app.click("nav-backups").await;
    app.eventually("three backups are listed", || async {
        app.count("[data-testid=\"backup-row\"]").await == 3
    })
    .await;
    app.click_css(
        "[data-testid=\"sort-by\"][data-key=\"sharpe\"]",
        "Sort by Sharpe",
    )
    .await;
    let in_order = || async {
        let mut rows = Vec::new();
        for row in app.all("[data-testid=\"backup-row\"]").await {
            let index: usize = app
                .attr(&row, "data-index")
                .await
                .and_then(|i| i.parse().ok())
                .unwrap_or(99);
            let file = app.attr(&row, "data-backup-file").await.unwrap_or_default();
            rows.push((index, file.split('_').next().unwrap_or("").to_string()));
        }
        rows.sort();
        rows.into_iter().map(|(_, name)| name).collect::<Vec<_>>()
    };
    app.eventually("highest Sharpe first", || async {
        in_order().await == ["beta", "gamma", "alpha"]
    })
    .await;
    app.by_id("range-metric")
        .await
        .select_by_value("sharpe")
        .await
        .unwrap();
    app.by_id("range-min").await.send_keys("1.5").await.unwrap();
    app.click("range-add").await;
    app.eventually("only Sharpe at least 1.5", || async {
        in_order().await == ["beta", "gamma"]
    })
    .await;
    let chip = app.text("range-chip").await;
    assert!(chip.contains("Sharpe ratio at least 1.50"), "{chip}");
    app.screenshot("backups-metrics").await;
    app.close().await;
}
