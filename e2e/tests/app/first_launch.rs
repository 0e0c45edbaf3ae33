//! First launch with nothing configured: the welcome, and sample results one click away.

use crate::support::*;

fn sample_strategy_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("samples"))
        .expect("samples folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "current_thread")]
async fn first_launch_welcomes_and_sample_results_are_one_click_away() {
    let app = App::launch(Setup::Fresh).await;
    app.by_id("welcome").await;
    assert!(
        app.count("[data-testid=\"strategy-row\"]").await == 0,
        "nothing is listed before a results folder is chosen"
    );
    app.screenshot("welcome").await;

    app.click("welcome-sample").await;
    let samples = sample_strategy_names();
    assert!(
        samples.len() >= 3,
        "the app ships several sample strategies"
    );
    app.eventually("every sample strategy is listed", || async {
        app.count("[data-testid=\"strategy-row\"]").await == samples.len()
    })
    .await;
    for name in &samples {
        assert_eq!(
            app.attr_of(&strategy_row(name), "data-state")
                .await
                .as_deref(),
            Some("never_backed_up"),
            "{name}"
        );
    }

    let copied = app.data_dir().join("results-backup").join("sample-results");
    for name in &samples {
        assert!(
            copied.join(name).join("metrics.json").is_file(),
            "{name} copied"
        );
    }
    let settings = app.settings();
    assert_eq!(
        settings["results_dir"].as_str(),
        copied.to_str(),
        "the command line sees the same results folder"
    );
    app.screenshot("strategies").await;
    app.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn first_launch_can_pick_an_existing_results_folder_instead() {
    let scratch = tempfile::tempdir().expect("scratch");
    let (results, _) = folders(scratch.path(), &["alpha", "beta"]);
    let app = App::launch(Setup::Fresh).await;
    app.by_id("welcome").await;

    app.pick_next(None);
    app.click("welcome-pick").await;
    app.by_id("welcome").await;
    assert!(
        !app.settings_file().exists(),
        "a cancelled dialog changes nothing"
    );

    app.pick_next(Some(&results));
    app.click("welcome-pick").await;
    app.eventually("both strategies are listed", || async {
        app.count("[data-testid=\"strategy-row\"]").await == 2
    })
    .await;
    let settings = app.settings();
    assert_eq!(settings["results_dir"].as_str(), results.to_str());
    app.close().await;
}
