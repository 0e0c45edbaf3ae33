//! Documents written by earlier releases must keep loading. The fixtures in `tests/fixtures/`
//! are hand-written in format version 1 and committed: never regenerate them; add new ones
//! when the format changes.

use std::fs;
use std::path::Path;

use crate::BIN;
use results_backup::NoProgress;
use results_backup::{Catalog, CheckResult};
use results_backup::{EntryKind, Manifest};
use results_backup_testkit::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn manifest_version_1_fixture_still_parses() {
    let path = fixture("manifest_v1.json");
    let bytes = fs::read(&path).unwrap();

    let m = Manifest::from_json(&bytes, &path).unwrap();

    assert_eq!(m.format_version, 1);
    assert_eq!(m.app_version, "0.1.0");
    assert_eq!(m.strategy, "btc_sma_cross");
    assert_eq!(m.timestamp, "20240220_143000");
    assert_eq!(m.created.offset().local_minus_utc(), 3600);
    assert_eq!(m.created.timestamp(), 1_708_435_800);
    assert_eq!(m.source, "/home/analyst/results/btc_sma_cross");
    assert_eq!(
        (
            m.totals.files,
            m.totals.dirs,
            m.totals.symlinks,
            m.totals.bytes
        ),
        (3, 3, 1, 1060)
    );
    let metrics = m.metrics.as_ref().unwrap();
    assert_eq!(metrics["sharpe"], 1.87);
    assert_eq!(metrics["symbol"], "BTC-USD");
    assert_eq!(m.entries.len(), 7);
    let csv = m
        .entries
        .iter()
        .find(|e| e.path == "btc_sma_cross/run résumé/équity curve.csv")
        .unwrap();
    assert_eq!(csv.kind, EntryKind::File);
    assert_eq!((csv.size, csv.mode, csv.mtime), (963, 0o644, 631_152_000));
    let link = m
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::Symlink)
        .unwrap();
    assert_eq!(link.target.as_deref(), Some("run résumé/équity curve.csv"));
    assert!(link.sha256.is_none());
    let archive = m.archive.as_ref().unwrap();
    assert_eq!(archive.file, "btc_sma_cross_20240220_143000.tar.gz");
    assert_eq!(archive.size, 2048);
}

#[test]
fn manifest_version_1_fixture_is_written_back_in_the_same_shape() {
    let path = fixture("manifest_v1.json");
    let bytes = fs::read(&path).unwrap();
    let m = Manifest::from_json(&bytes, &path).unwrap();

    let rewritten: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();

    assert_eq!(rewritten, read_json(&path));
}

#[test]
fn manifest_from_a_newer_format_version_is_refused_with_a_clear_message() {
    let path = fixture("manifest_v1.json");
    let mut doc = read_json(&path);
    doc["format_version"] = 3.into();
    let err = Manifest::from_json(&serde_json::to_vec(&doc).unwrap(), &path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("newer"), "{text}");
}

#[test]
fn catalog_version_1_fixture_still_loads() {
    let ws = Sandbox::new(BIN);
    fs::create_dir_all(&ws.backups).unwrap();
    fs::copy(fixture("catalog_v1.json"), ws.backups.join("catalog.json")).unwrap();

    let catalog = Catalog::load(&ws.backups, &NoProgress).unwrap();

    let list = catalog.list(None);
    let files: Vec<&str> = list.iter().map(|e| e.backup_file.as_str()).collect();
    assert_eq!(
        files,
        vec![
            "eth_mean_revert_20240301_090000.tar.gz",
            "btc_sma_cross_20240220_143000_2.tar.gz",
            "btc_sma_cross_20240220_143000.tar.gz",
        ]
    );
    let eth = &list[0];
    assert!(!eth.has_manifest);
    assert_eq!((eth.files, eth.bytes, eth.size), (12, 81920, 4096));
    assert!(eth.last_checked.is_none() && eth.check_result.is_none());
    assert_eq!(list[1].check_result, Some(CheckResult::Damaged));
    assert_eq!(list[2].check_result, Some(CheckResult::Ok));
    assert_eq!(
        list[2].last_checked.unwrap().to_rfc3339(),
        "2024-02-21T08:00:00+01:00"
    );
    assert_eq!(
        catalog.latest("btc_sma_cross").unwrap().backup_file,
        "btc_sma_cross_20240220_143000_2.tar.gz"
    );
}

#[test]
fn catalog_version_1_fixture_is_written_back_in_the_same_shape() {
    let ws = Sandbox::new(BIN);
    fs::create_dir_all(&ws.backups).unwrap();
    fs::copy(fixture("catalog_v1.json"), ws.backups.join("catalog.json")).unwrap();

    // A no-op update reads and saves the catalog.
    Catalog::update(&ws.backups, &NoProgress, |_| Ok(())).unwrap();

    assert_eq!(
        read_json(&ws.backups.join("catalog.json")),
        read_json(&fixture("catalog_v1.json"))
    );
}

#[test]
fn cli_lists_a_version_1_catalog() {
    let ws = Sandbox::new(BIN);
    fs::create_dir_all(&ws.backups).unwrap();
    fs::copy(fixture("catalog_v1.json"), ws.backups.join("catalog.json")).unwrap();

    let json = ws
        .run(["list", "--strategy", "btc_sma_cross", "--json"])
        .assert_success()
        .json();

    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["check_result"], "damaged");
    assert_eq!(items[1]["check_result"], "ok");
}
