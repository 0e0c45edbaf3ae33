//! The catalog: what it records, listing, check results, rebuilding it from sidecars or from the
//! archives themselves, surviving corruption and concurrent writers, delete and show.

use std::collections::BTreeSet;
use std::fs;

use crate::BIN;
use chrono::{DateTime, Local};
use results_backup_testkit::*;
use serde_json::Value;

fn catalog_entries(ws: &Sandbox) -> Vec<Value> {
    let doc = read_json(&ws.backups.join("catalog.json"));
    assert_eq!(doc["format"], "results-backup-catalog");
    assert_eq!(doc["format_version"], 1);
    doc["backups"].as_array().unwrap().clone()
}

fn entry_for<'a>(entries: &'a [Value], file: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["backup_file"] == file)
        .unwrap_or_else(|| panic!("{file} not in catalog: {entries:?}"))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["backup_file"].as_str().unwrap().to_string())
        .collect()
}

/// The entry without its check fields (which a rebuild legitimately forgets).
fn without_check(entry: &Value) -> Value {
    let mut e = entry.clone();
    let obj = e.as_object_mut().unwrap();
    obj.remove("last_checked");
    obj.remove("check_result");
    e
}

/// Three backups of two strategies, made in order; returns their file names oldest first.
fn three_backups(ws: &Sandbox) -> Vec<String> {
    build_small_strategy(&ws.results, "alpha", 1);
    build_small_strategy(&ws.results, "beta", 2);
    vec![
        ws.backup_cli("alpha"),
        ws.backup_cli("beta"),
        ws.backup_cli("alpha"),
    ]
}

#[test]
fn catalog_entry_records_the_backup_summary_from_its_manifest() {
    let ws = Sandbox::new(BIN);
    let dir = build_strategy(&ws.results, "btc", 3);
    let file = ws.backup_cli("btc");

    let entries = catalog_entries(&ws);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    let m = read_json(&sidecar_of(&ws.backups, &file));
    let snap = snapshot(&dir);
    assert_eq!(e["strategy"], "btc");
    assert_eq!(e["timestamp"], m["timestamp"]);
    assert_eq!(e["backup_file"], file.as_str());
    assert_eq!(
        e["size"],
        fs::metadata(ws.backups.join(&file)).unwrap().len()
    );
    assert_eq!(e["sha256"], sha256_file(&ws.backups.join(&file)).as_str());
    assert_eq!(
        DateTime::parse_from_rfc3339(e["created"].as_str().unwrap()).unwrap(),
        DateTime::parse_from_rfc3339(m["created"].as_str().unwrap()).unwrap()
    );
    assert_eq!(
        e["files"],
        snap.values().filter(|n| n.kind == Kind::File).count()
    );
    assert_eq!(e["bytes"], snap.values().map(|n| n.size).sum::<u64>());
    assert!(e["last_checked"].is_null());
    assert!(e["check_result"].is_null());
}

#[test]
fn list_shows_backups_newest_first_and_filters_by_strategy() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);

    let all = ws.run(["list", "--json"]).assert_success().json();
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(names(&all), newest_first);

    let alpha = ws
        .run(["list", "--strategy", "alpha", "--json"])
        .assert_success()
        .json();
    assert_eq!(names(&alpha), vec![made[2].clone(), made[0].clone()]);
    let none = ws
        .run(["list", "--strategy", "nope", "--json"])
        .assert_success()
        .json();
    assert_eq!(none, serde_json::json!([]));

    let text = ws.run(["list"]).assert_success().stdout.clone();
    let positions: Vec<usize> = newest_first
        .iter()
        .map(|f| {
            text.find(f.as_str())
                .unwrap_or_else(|| panic!("{f} not in {text}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn list_with_a_missing_backups_folder_is_empty_and_does_not_create_it() {
    let ws = Sandbox::new(BIN);
    assert_eq!(
        ws.run(["list", "--json"]).assert_success().json(),
        serde_json::json!([])
    );
    let text = ws.run(["list"]);
    text.assert_success();
    assert!(text.stdout.contains("No backups"), "{}", text.stdout);
    assert!(!ws.backups.exists());
}

#[test]
fn check_records_its_result_and_time_in_the_catalog() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 4);
    let file = ws.backup_cli("alpha");
    let other = ws.backup_cli("alpha");
    let before = Local::now();

    let json = ws.run(["check", &file, "--json"]).assert_success().json();

    let after = Local::now();
    assert_eq!(json[0]["ok"], true);
    assert_eq!(json[0]["result"], "ok");
    assert_eq!(json[0]["proof"], "manifest");
    let entries = catalog_entries(&ws);
    let e = entry_for(&entries, &file);
    assert_eq!(e["check_result"], "ok");
    let checked = DateTime::parse_from_rfc3339(e["last_checked"].as_str().unwrap()).unwrap();
    assert!(
        before.timestamp() <= checked.timestamp() && checked.timestamp() <= after.timestamp(),
        "{checked} not within {before}..{after}"
    );
    // The other backup was not checked.
    assert!(entry_for(&entries, &other)["check_result"].is_null());
    // `list` shows it.
    let list = ws.run(["list", "--json"]).assert_success().json();
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["backup_file"] == file.as_str())
        .unwrap();
    assert_eq!(listed["check_result"], "ok");
}

#[test]
fn check_all_and_quick_check_every_backup_in_the_catalog() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    for args in [
        vec!["check", "--all", "--json"],
        vec!["check", "--all", "--quick", "--json"],
    ] {
        let json = ws.run(&args).assert_success().json();
        let checked: BTreeSet<String> = names(&json).into_iter().collect();
        assert_eq!(checked, made.iter().cloned().collect(), "{args:?}");
        assert!(json.as_array().unwrap().iter().all(|r| r["ok"] == true));
    }
    for e in catalog_entries(&ws) {
        assert_eq!(e["check_result"], "ok");
    }
}

#[test]
fn catalog_rebuild_recreates_it_from_the_sidecars() {
    let ws = Sandbox::new(BIN);
    three_backups(&ws);
    let original = catalog_entries(&ws);
    fs::remove_file(ws.backups.join("catalog.json")).unwrap();

    let json = ws
        .run(["catalog", "rebuild", "--json"])
        .assert_success()
        .json();

    assert_eq!(json.as_array().unwrap().len(), 3);
    let rebuilt = catalog_entries(&ws);
    assert_eq!(rebuilt, original);
}

#[test]
fn catalog_rebuild_keeps_known_check_results() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    ws.run(["check", &made[1]]).assert_success();
    let original = catalog_entries(&ws);

    ws.run(["catalog", "rebuild"]).assert_success();

    assert_eq!(catalog_entries(&ws), original);
    assert_eq!(
        entry_for(&catalog_entries(&ws), &made[1])["check_result"],
        "ok"
    );
}

#[test]
fn catalog_rebuild_uses_embedded_manifests_when_sidecars_are_lost_and_writes_them_again() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let original = catalog_entries(&ws);
    let sidecars: Vec<Value> = made
        .iter()
        .map(|f| read_json(&sidecar_of(&ws.backups, f)))
        .collect();
    for f in &made {
        fs::remove_file(sidecar_of(&ws.backups, f)).unwrap();
    }
    fs::remove_file(ws.backups.join("catalog.json")).unwrap();

    let run = ws.run(["catalog", "rebuild"]);
    run.assert_success();

    assert!(
        run.stderr.contains("warning") && run.stderr.contains("manifest"),
        "expected a warning about recreated manifests: {}",
        run.stderr
    );
    let rebuilt = catalog_entries(&ws);
    let strip = |v: &[Value]| v.iter().map(without_check).collect::<Vec<_>>();
    assert_eq!(strip(&rebuilt), strip(&original));
    // Recreated from the embedded copy: everything but the index, which only the backup that
    // wrote the archive knows (a restore from it reads the archive whole).
    for (f, before) in made.iter().zip(&sidecars) {
        let mut before = before.clone();
        before.as_object_mut().unwrap().remove("index");
        assert_eq!(read_json(&sidecar_of(&ws.backups, f)), before, "{f}");
    }
    // And the recreated sidecars are good enough for a full check.
    let json = ws.run(["check", "--all", "--json"]).assert_success().json();
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["proof"] == "manifest"));
}

#[test]
fn a_corrupt_catalog_is_rebuilt_with_a_warning_and_loses_no_backup() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let original = catalog_entries(&ws);
    let mut rng = Rng::new(99);
    fs::write(ws.backups.join("catalog.json"), rng.bytes(700)).unwrap();

    let run = ws.run(["list", "--json"]);
    run.assert_success();

    assert!(
        run.stderr.contains("warning") && run.stderr.contains("catalog"),
        "expected a warning: {}",
        run.stderr
    );
    let listed: BTreeSet<String> = names(&run.json()).into_iter().collect();
    assert_eq!(listed, made.iter().cloned().collect());
    // The file on disk is whole again.
    let strip = |v: &[Value]| v.iter().map(without_check).collect::<Vec<_>>();
    assert_eq!(strip(&catalog_entries(&ws)), strip(&original));
}

#[test]
fn a_missing_catalog_is_recreated_and_loses_no_backup() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let original = catalog_entries(&ws);
    fs::remove_file(ws.backups.join("catalog.json")).unwrap();

    let list = ws.run(["list", "--json"]).assert_success().json();

    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(names(&list), newest_first);
    assert_eq!(catalog_entries(&ws), original);
}

#[test]
fn library_catalog_load_lists_what_the_cli_made() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let catalog = results_backup::Catalog::load(&ws.backups, &results_backup::NoProgress).unwrap();
    let listed: Vec<String> = catalog
        .list(None)
        .into_iter()
        .map(|e| e.backup_file.into())
        .collect();
    assert_eq!(listed, made.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(catalog.latest("alpha").unwrap().backup_file, made[2]);
    assert_eq!(catalog.latest("beta").unwrap().backup_file, made[1]);
    assert!(catalog.latest("gamma").is_none());
}

#[test]
fn concurrent_cli_backups_of_different_strategies_all_land_in_the_catalog() {
    let ws = Sandbox::new(BIN);
    let strategies = ["north", "south", "east"];
    for (i, s) in strategies.iter().enumerate() {
        build_strategy(&ws.results, s, 50 + i as u64);
    }
    for _round in 0..3 {
        // Three writers and a reader at once.
        let mut commands: Vec<Vec<&str>> = strategies
            .iter()
            .map(|s| vec!["backup", s, "--json"])
            .collect();
        commands.push(vec!["list", "--json"]);
        let children: Vec<_> = commands
            .iter()
            .map(|args| {
                ws.command(args)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let run = Run::from_output("a concurrent CLI", child.wait_with_output().unwrap());
            run.assert_success();
            run.json();
            // Nobody mistakes another process's half-published backup for a damaged or
            // manifest-less one.
            assert!(run.stderr.is_empty(), "unexpected stderr: {}", run.stderr);
        }
    }

    let entries = catalog_entries(&ws);
    assert_eq!(entries.len(), 9, "{entries:?}");
    let on_disk: BTreeSet<String> = archives_in(&ws.backups).into_iter().collect();
    let listed: BTreeSet<String> = entries
        .iter()
        .map(|e| e["backup_file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, on_disk);
    for s in strategies {
        assert_eq!(entries.iter().filter(|e| e["strategy"] == s).count(), 3);
    }
    for e in &entries {
        let file = e["backup_file"].as_str().unwrap();
        let sidecar = read_json(&sidecar_of(&ws.backups, file));
        assert_eq!(sidecar["archive"]["sha256"], e["sha256"], "{file}");
    }
    let check = ws.run(["check", "--all", "--json"]).assert_success().json();
    assert_eq!(check.as_array().unwrap().len(), 9);
    assert!(check.as_array().unwrap().iter().all(|r| r["ok"] == true));
}

#[test]
fn delete_without_yes_is_a_usage_error_and_deletes_nothing() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let before = snapshot(&ws.backups);

    let run = ws.run(["delete", &made[0]]);
    run.assert_code(2);

    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_same_tree(&before, &snapshot(&ws.backups), "the backups folder");
}

#[test]
fn delete_with_yes_removes_archive_sidecar_and_catalog_entry_only() {
    let ws = Sandbox::new(BIN);
    let made = three_backups(&ws);
    let kept: Vec<Value> = catalog_entries(&ws)
        .into_iter()
        .filter(|e| e["backup_file"] != made[0].as_str())
        .collect();

    let json = ws
        .run(["delete", &made[0], "--yes", "--json"])
        .assert_success()
        .json();

    assert_eq!(json["backup_file"], made[0].as_str());
    assert_eq!(json["removed"].as_array().unwrap().len(), 2);
    assert!(!ws.backups.join(&made[0]).exists());
    assert!(!sidecar_of(&ws.backups, &made[0]).exists());
    assert_eq!(catalog_entries(&ws), kept);
    for f in &made[1..] {
        assert!(ws.backups.join(f).is_file());
        assert!(sidecar_of(&ws.backups, f).is_file());
    }
    // Deleting by the name without `.tar.gz` works too.
    let stem = made[1].trim_end_matches(".tar.gz");
    ws.run(["delete", stem, "--yes"]).assert_success();
    assert!(!ws.backups.join(&made[1]).exists());
    assert_eq!(
        names(&ws.run(["list", "--json"]).assert_success().json()),
        vec![made[2].clone()]
    );
}

#[test]
fn show_prints_the_manifest_as_text_and_as_json() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "showme", 6);
    let file = ws.backup_cli("showme");
    let sidecar = read_json(&sidecar_of(&ws.backups, &file));

    let json = ws.run(["show", &file, "--json"]).assert_success().json();
    assert_eq!(json, sidecar);

    let text = ws.run(["show", &file]).assert_success().stdout.clone();
    for needle in [
        "showme",
        file.as_str(),
        paths::EQUITY_CSV,
        paths::CJK_FILE,
        "-> ../metrics.json",
        // Metrics by their labels, formatted (see tests/it/metrics.rs).
        "Sharpe ratio",
        "1.87",
        "-12.3 %",
        "755",
    ] {
        assert!(
            text.contains(needle),
            "show output lacks {needle:?}:\n{text}"
        );
    }
}

#[test]
fn show_falls_back_to_the_embedded_manifest_without_a_sidecar() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "lone", 7);
    let file = ws.backup_cli("lone");
    let mut sidecar = read_json(&sidecar_of(&ws.backups, &file));
    let elsewhere = ws.dir("elsewhere").join(&file);
    fs::copy(ws.backups.join(&file), &elsewhere).unwrap();

    let json = ws
        .run(["show", elsewhere.to_str().unwrap(), "--json"])
        .assert_success()
        .json();

    sidecar.as_object_mut().unwrap().remove("archive");
    sidecar.as_object_mut().unwrap().remove("index");
    assert_eq!(json, sidecar);
}
