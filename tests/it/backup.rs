//! Making backups: names, manifests (beside and inside the archive), compression levels,
//! `--if-changed`, `--all`, `--json`, and a backups folder that never holds half-written files.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::BIN;
use chrono::{DateTime, Local};
use results_backup::{back_up, BackupOptions, BackupStatus};
use results_backup::{CancelToken, NoProgress};
use results_backup_testkit::raw_tar::archive_members;
use results_backup_testkit::*;

/// `<strategy>_<YYYYmmdd>_<HHMMSS>[_N].tar.gz` -> (`YYYYmmdd_HHMMSS`, suffix).
fn split_name<'a>(strategy: &str, file: &'a str) -> (&'a str, Option<&'a str>) {
    let rest = file
        .strip_prefix(&format!("{strategy}_"))
        .and_then(|r| r.strip_suffix(".tar.gz"))
        .unwrap_or_else(|| panic!("{file} is not <{strategy}>_<timestamp>.tar.gz"));
    let (ts, suffix) = if rest.len() > 15 {
        (&rest[..15], Some(&rest[16..]))
    } else {
        (rest, None)
    };
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y%m%d_%H%M%S").is_ok(),
        "{ts} is not YYYYmmdd_HHMMSS in {file}"
    );
    (ts, suffix)
}

/// Asserts the backups folder holds only finished files: archives, their sidecars, the catalog
/// (and the catalog's lock file), nothing partial or temporary.
fn assert_only_finished_files(ws: &Sandbox) {
    let names = names_in(&ws.backups);
    let archives: BTreeSet<String> = archives_in(&ws.backups).into_iter().collect();
    for name in &names {
        let ok = archives.contains(name)
            || name == "catalog.json"
            || name == ".catalog.lock"
            || name
                .strip_suffix(".manifest.json")
                .is_some_and(|stem| archives.contains(&format!("{stem}.tar.gz")));
        assert!(ok, "unexpected file {name} in backups folder: {names:?}");
    }
    for archive in &archives {
        assert!(
            sidecar_of(&ws.backups, archive).is_file(),
            "{archive} has no sidecar"
        );
    }
}

#[test]
fn backup_file_is_named_strategy_and_local_timestamp_with_tar_gz_suffix() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "btc_sma_cross", 1);
    let before = Local::now().format("%Y%m%d_%H%M%S").to_string();
    let file = ws.backup_cli("btc_sma_cross");
    let after = Local::now().format("%Y%m%d_%H%M%S").to_string();

    let (ts, suffix) = split_name("btc_sma_cross", &file);
    assert_eq!(suffix, None);
    assert!(
        before.as_str() <= ts && ts <= after.as_str(),
        "{ts} not within {before}..{after}"
    );
    assert!(ws.backups.join(&file).is_file());
    assert!(sidecar_of(&ws.backups, &file).is_file());
    assert_eq!(archives_in(&ws.backups), vec![file]);
}

#[test]
fn backups_made_in_the_same_second_get_numbered_suffixes_and_never_overwrite() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "fast", 2);
    let options = BackupOptions {
        level: 1,
        if_changed: false,
    };
    for _attempt in 0..5 {
        // Start right after a second boundary so three small backups fit in one second.
        let millis = Local::now().timestamp_subsec_millis() as u64;
        std::thread::sleep(Duration::from_millis(1000 - millis.min(999)));
        let files: Vec<String> = (0..3)
            .map(|_| {
                back_up(
                    &ws.locations(),
                    "fast",
                    &options,
                    &NoProgress,
                    &CancelToken::new(),
                )
                .unwrap()
                .backup
                .unwrap()
                .backup_file
                .into()
            })
            .collect();
        let stamps: Vec<&str> = files.iter().map(|f| split_name("fast", f).0).collect();
        if stamps.iter().any(|s| *s != stamps[0]) {
            continue; // crossed a second boundary on a slow machine: try again
        }
        let (ts, _) = split_name("fast", &files[0]);
        let base = format!("fast_{ts}");
        let expected_names = [
            format!("{base}.tar.gz"),
            format!("{base}_2.tar.gz"),
            format!("{base}_3.tar.gz"),
        ];
        assert_eq!(files, expected_names);
        // Each archive is still the one its own sidecar describes: nothing was overwritten.
        for file in &files {
            let sidecar = read_json(&sidecar_of(&ws.backups, file));
            assert_eq!(sidecar["archive"]["file"], file.as_str());
            assert_eq!(
                sidecar["archive"]["sha256"],
                sha256_file(&ws.backups.join(file)).as_str()
            );
        }
        let catalog = read_json(&ws.backups.join("catalog.json"));
        let listed: BTreeSet<&str> = catalog["backups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["backup_file"].as_str().unwrap())
            .collect();
        for file in &files {
            assert!(listed.contains(file.as_str()), "{file} not in catalog");
        }
        return;
    }
    panic!("could not make three backups within one second in five attempts");
}

#[test]
fn sidecar_manifest_records_the_backup_its_entries_its_archive_and_a_metrics_summary() {
    let ws = Sandbox::new(BIN);
    let source = build_strategy(&ws.results, "btc_sma", 3);
    let snap = snapshot(&source);
    let before = Local::now().timestamp();
    let file = ws.backup_cli("btc_sma");
    let after = Local::now().timestamp();
    let m = read_json(&sidecar_of(&ws.backups, &file));

    assert_eq!(m["format"], "results-backup-manifest");
    assert_eq!(m["format_version"], 2);
    // Where each entry starts in the archive, one offset per entry (random access).
    assert_eq!(
        m["index"]["entries"].as_array().unwrap().len(),
        m["entries"].as_array().unwrap().len()
    );
    assert_eq!(m["app_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["strategy"], "btc_sma");
    assert_eq!(m["timestamp"], split_name("btc_sma", &file).0);
    let created = m["created"].as_str().unwrap();
    let parsed = DateTime::parse_from_rfc3339(created)
        .unwrap_or_else(|e| panic!("created {created} is not RFC 3339: {e}"));
    assert!(
        created.ends_with('Z') || created[created.len() - 6..].starts_with(['+', '-']),
        "created {created} carries no offset"
    );
    assert!((before..=after).contains(&parsed.timestamp()));
    assert_eq!(m["source"], source.to_str().unwrap());

    // Totals agree with the folder on disk.
    let count = |k: Kind| snap.values().filter(|n| n.kind == k).count() as u64;
    let bytes: u64 = snap.values().map(|n| n.size).sum();
    assert_eq!(m["totals"]["files"], count(Kind::File));
    assert_eq!(m["totals"]["dirs"], count(Kind::Dir));
    assert_eq!(m["totals"]["symlinks"], count(Kind::Symlink));
    assert_eq!(m["totals"]["bytes"], bytes);

    // One entry per path, each agreeing with the file on disk.
    let entries = m["entries"].as_array().unwrap();
    assert_eq!(entries.len(), snap.len());
    for e in entries {
        let path = e["path"].as_str().unwrap();
        let rel = match path.strip_prefix("btc_sma/") {
            Some(rel) => rel,
            None if path == "btc_sma" => ".",
            None => panic!("entry {path} is not under the strategy folder"),
        };
        let node = snap
            .get(rel)
            .unwrap_or_else(|| panic!("manifest has {path}, disk does not"));
        let kind = match node.kind {
            Kind::Dir => "dir",
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::Other => "other",
        };
        assert_eq!(e["kind"], kind, "{path}");
        assert_eq!(e["size"], node.size, "{path}");
        assert_eq!(e["mtime"], node.mtime_secs(), "{path}");
        if node.kind != Kind::Symlink {
            assert_eq!(e["mode"], node.mode, "{path}");
        }
        match &node.sha256 {
            Some(sha) => assert_eq!(e["sha256"], sha.as_str(), "{path}"),
            None => assert!(e.get("sha256").is_none_or(|v| v.is_null()), "{path}"),
        }
        match &node.link_target {
            Some(t) => assert_eq!(e["target"], t.as_str(), "{path}"),
            None => assert!(e.get("target").is_none_or(|v| v.is_null()), "{path}"),
        }
    }
    let epoch = entries
        .iter()
        .find(|e| e["path"] == format!("btc_sma/{}", paths::OLD_EPOCH))
        .unwrap();
    assert_eq!(epoch["mtime"], 1);
    let script = entries
        .iter()
        .find(|e| e["path"] == format!("btc_sma/{}", paths::SCRIPT))
        .unwrap();
    assert_eq!(script["mode"], 0o755);

    // The archive's own identity matches the file.
    let archive = ws.backups.join(&file);
    assert_eq!(m["archive"]["file"], file.as_str());
    assert_eq!(m["archive"]["size"], fs::metadata(&archive).unwrap().len());
    assert_eq!(m["archive"]["sha256"], sha256_file(&archive).as_str());

    // A summary of metrics.json: its scalar fields only.
    let metrics = m["metrics"].as_object().expect("metrics summary");
    let keys: BTreeSet<&str> = metrics.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["sharpe", "max_drawdown", "trades", "symbol", "final"])
    );
    assert_eq!(metrics["sharpe"], 1.87);
    assert_eq!(metrics["trades"], 412);
    assert_eq!(metrics["symbol"], "BTC-USD");
    assert_eq!(metrics["final"], true);
}

#[test]
fn strategy_without_metrics_file_has_no_metrics_summary() {
    let ws = Sandbox::new(BIN);
    let dir = build_small_strategy(&ws.results, "plain", 4);
    fs::remove_file(dir.join("metrics.json")).unwrap();
    let file = ws.backup_lib("plain");
    let m = read_json(&sidecar_of(&ws.backups, &file));
    assert!(m.get("metrics").is_none_or(|v| v.is_null()), "{m}");
}

#[test]
fn embedded_manifest_is_the_archives_last_member_and_agrees_with_the_sidecar() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "eth", 5);
    let file = ws.backup_lib("eth");
    let members = archive_members(&ws.backups.join(&file));

    let last = members.last().unwrap();
    assert_eq!(last.path, ".results-backup/manifest.json");
    assert!(last.entry_type.is_file());
    for m in &members[..members.len() - 1] {
        assert!(
            m.path == "eth" || m.path == "eth/" || m.path.starts_with("eth/"),
            "member {} is outside the strategy folder",
            m.path
        );
    }
    let embedded: serde_json::Value = serde_json::from_slice(&last.content).unwrap();
    let mut sidecar = read_json(&sidecar_of(&ws.backups, &file));
    // Only the sidecar knows the archive's own size, hash and index.
    assert!(embedded.get("archive").is_none_or(|v| v.is_null()));
    assert!(embedded.get("index").is_none_or(|v| v.is_null()));
    sidecar.as_object_mut().unwrap().remove("archive");
    sidecar.as_object_mut().unwrap().remove("index");
    assert_eq!(embedded, sidecar);
    let parsed = results_backup::Manifest::from_json(&last.content, &ws.backups).unwrap();
    assert_eq!(parsed.strategy, "eth");
}

#[test]
fn compression_levels_1_and_9_both_make_backups_that_check_ok() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "lvl", 6);
    let mut sizes = Vec::new();
    for level in ["1", "9"] {
        let json = ws
            .run(["backup", "lvl", "--level", level, "--json"])
            .assert_success()
            .json();
        let file = find_backup_file(&json).unwrap();
        let check = ws.run(["check", &file, "--json"]).assert_success().json();
        assert_eq!(check[0]["ok"], true, "level {level}: {check}");
        assert_eq!(check[0]["result"], "ok");
        sizes.push(fs::metadata(ws.backups.join(&file)).unwrap().len());
    }
    assert!(
        sizes[1] <= sizes[0],
        "level 9 ({}) should not be larger than level 1 ({})",
        sizes[1],
        sizes[0]
    );
}

#[test]
fn compression_levels_0_and_10_are_usage_errors_that_create_nothing() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "lvl", 7);
    for level in ["0", "10"] {
        let run = ws.run(["backup", "lvl", "--level", level]);
        run.assert_code(2);
        assert!(run.stderr.contains(level), "{}", run.stderr);
    }
    assert!(!ws.backups.exists(), "backups folder was created");
}

#[test]
fn if_changed_skips_an_unchanged_strategy_and_backs_up_after_a_touch_or_an_addition() {
    let ws = Sandbox::new(BIN);
    let dir = build_small_strategy(&ws.results, "watch", 8);
    let first = ws.backup_cli("watch");

    let json = ws
        .run(["backup", "watch", "--if-changed", "--json"])
        .assert_success()
        .json();
    assert_eq!(json[0]["status"], "unchanged", "{json}");
    assert_eq!(json[0]["backup"]["backup_file"], first.as_str());
    assert_eq!(archives_in(&ws.backups), vec![first.clone()]);

    // Touched: same content, new time.
    set_mtime(&dir.join("equity.csv"), BASE_MTIME + 100_000);
    let json = ws
        .run(["backup", "watch", "--if-changed", "--json"])
        .assert_success()
        .json();
    assert_eq!(json[0]["status"], "created", "{json}");
    let second = find_backup_file(&json).unwrap();
    assert_ne!(second, first);
    assert_eq!(archives_in(&ws.backups).len(), 2);

    // Unchanged again after that backup.
    let json = ws
        .run(["backup", "watch", "--if-changed", "--json"])
        .assert_success()
        .json();
    assert_eq!(json[0]["status"], "unchanged", "{json}");

    // A new file.
    write_file(&dir.join("sub/new.csv"), "a,b\n1,2\n");
    let json = ws
        .run(["backup", "watch", "--if-changed", "--json"])
        .assert_success()
        .json();
    assert_eq!(json[0]["status"], "created", "{json}");
    assert_eq!(archives_in(&ws.backups).len(), 3);
}

#[test]
fn if_changed_through_the_library_reports_unchanged_with_the_latest_backup() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "lib", 9);
    let first = ws.backup_lib("lib");
    let outcome = back_up(
        &ws.locations(),
        "lib",
        &BackupOptions {
            level: 6,
            if_changed: true,
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(outcome.status, BackupStatus::Unchanged);
    assert_eq!(outcome.backup.unwrap().backup_file, first);
    assert_eq!(outcome.path.unwrap(), ws.backups.join(&first));
}

#[test]
fn all_backs_up_every_strategy_but_not_hidden_folders_or_loose_files() {
    let ws = Sandbox::new(BIN);
    for (i, name) in ["alpha", "beta", "gamma ✓"].iter().enumerate() {
        build_small_strategy(&ws.results, name, 10 + i as u64);
    }
    build_small_strategy(&ws.results, ".hidden", 20);
    write_file(&ws.results.join("README.txt"), "not a strategy");

    let json = ws
        .run(["backup", "--all", "--json"])
        .assert_success()
        .json();

    let items = json.as_array().unwrap();
    let strategies: Vec<&str> = items
        .iter()
        .map(|i| i["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, vec!["alpha", "beta", "gamma ✓"]);
    for item in items {
        assert_eq!(item["status"], "created");
        let file = item["backup"]["backup_file"].as_str().unwrap();
        assert!(ws.backups.join(file).is_file());
        assert_eq!(item["path"], ws.backups.join(file).to_str().unwrap());
    }
    assert_eq!(archives_in(&ws.backups).len(), 3);
}

#[test]
fn json_output_of_a_multi_strategy_backup_is_exactly_one_document() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "one", 30);
    build_small_strategy(&ws.results, "two", 31);

    let run = ws.run(["backup", "one", "two", "--json"]);
    run.assert_success();

    // serde_json::from_str rejects trailing content, so this proves a single document.
    let json = run.json();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, name) in items.iter().zip(["one", "two"]) {
        assert_eq!(item["strategy"], name);
        assert_eq!(item["status"], "created");
        let b = &item["backup"];
        for field in ["backup_file", "sha256", "created", "timestamp"] {
            assert!(b[field].is_string(), "{field} missing in {b}");
        }
        assert!(b["files"].as_u64().unwrap() >= 3);
        assert!(b["size"].as_u64().unwrap() > 0);
    }
}

#[test]
fn backups_folder_holds_no_temporary_or_partial_files_after_backups() {
    let ws = Sandbox::new(BIN);
    build_strategy(&ws.results, "full", 40);
    build_small_strategy(&ws.results, "small", 41);
    ws.backup_cli("full");
    ws.run(["backup", "--all", "--level", "1"]).assert_success();
    ws.run(["backup", "--all", "--if-changed"]).assert_success();
    ws.backup_lib("small");

    assert_eq!(archives_in(&ws.backups).len(), 4);
    assert_only_finished_files(&ws);
    // And nothing was left in the results folder either.
    assert_eq!(names_in(&ws.results), vec!["full", "small"]);
}

#[test]
fn manifest_source_is_an_absolute_folder_even_when_given_a_relative_results_path() {
    let ws = Sandbox::new(BIN);
    let dir = build_small_strategy(&ws.results, "rel", 50);

    // Working directory is the workspace root: `results` and `backups` are relative here.
    let json = ws
        .run([
            "backup",
            "rel",
            "--results",
            "results",
            "--backups",
            "backups",
            "--json",
        ])
        .assert_success()
        .json();

    let file = find_backup_file(&json).unwrap();
    let m = read_json(&sidecar_of(&ws.backups, &file));
    let source = m["source"].as_str().unwrap();
    assert!(
        Path::new(source).is_absolute(),
        "source {source} is relative"
    );
    assert_eq!(
        fs::canonicalize(source).unwrap(),
        fs::canonicalize(&dir).unwrap()
    );
}

#[test]
fn counts_in_text_output_agree_with_their_nouns() {
    let ws = Sandbox::new(BIN);
    write_file(&ws.results.join("one/metrics.json"), b"{}");
    let backed_up = ws.run(["backup", "one"]).assert_success().stdout.clone();
    assert!(backed_up.contains("(1 file, "), "{backed_up}");
    let file = archives_in(&ws.backups).pop().expect("a backup");

    let shown = ws.run(["show", &file]).assert_success().stdout.clone();
    assert!(
        shown.contains("Contents:  1 file, 1 folder, 0 links,"),
        "{shown}"
    );
    let checked = ws.run(["check", &file]).assert_success().stdout.clone();
    assert!(checked.contains("(1 file verified"), "{checked}");
    let target = ws.root.join("restored");
    let restored = ws
        .run(["restore", &file, "--to", target.to_str().expect("utf-8")])
        .assert_success()
        .stdout
        .clone();
    assert!(restored.contains("(1 file, "), "{restored}");
}
