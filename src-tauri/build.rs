// Our commands are declared to tauri-build so that each needs an explicit permission: the
// webview may call only what capabilities/main.json grants.
fn main() {
    // The sample results are compiled into the binary (see src/samples.rs).
    println!("cargo:rerun-if-changed=../samples");
    let commands = &[
        "app_overview",
        "use_sample_results",
        "pick_folder",
        "save_settings",
        "test_connection",
        "copy_offer",
        "scan_strategies",
        "list_backups",
        "filter_backups",
        "backup_details",
        "restore_preview",
        "run_job",
        "cancel_job",
        "delete_backup",
        "show_in_folder",
        "open_folder",
        "close_to_tray",
        "quit_app",
        "start_at_login",
        "set_start_at_login",
        "listen_live",
        "protection_health",
        "acknowledge_failure",
        "automatic_settings",
        "save_automatic",
        "set_paused",
        "retention_settings",
        "preview_retention",
        "save_retention",
        "apply_retention",
        "compare_backups",
        "changes_since",
        "backup_equity_curve",
        "open_backup_file",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}
