//! Finding, comparing and recovering runs by their metrics: `list --where/--sort`, the catalog's
//! metrics summary (filled at backup time and by `catalog rebuild`, hostile ones dropped), and
//! `diff` of two backups or of a backup against its folder now.
//!
//! The `--json` outputs are compared exactly with `tests/it/golden/*.json`; run with
//! `UPDATE_GOLDEN=1` to rewrite them after an intended change (and review the diff).
//! The golden corpus is built from fixed sidecar manifests beside stand-in archives that are
//! not archives at all: listing, filtering and diffing must never need to open one.

use std::fs;
use std::path::PathBuf;

use crate::BIN;
use results_backup_testkit::*;
use serde_json::{json, Value};

/// Compares `actual` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{} differs (run with UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// One backup of the golden corpus: a stand-in archive and a real, valid sidecar.
struct Fixed {
    strategy: &'static str,
    timestamp: &'static str,
    created: &'static str,
    metrics: Value,
    /// Path below the strategy folder, size, checksum letter.
    files: &'static [(&'static str, u64, char)],
}

fn fixed_corpus() -> Vec<Fixed> {
    vec![
        Fixed {
            strategy: "btc_sma",
            timestamp: "20240214_091500",
            created: "2024-02-14T09:15:00+01:00",
            metrics: json!({"strategy": "btc_sma", "Sharpe Ratio": 1.8, "max_drawdown": -0.125,
                "total_return": 0.452, "num_trades": 412, "final_equity": 145519.4,
                "symbol": "BTC-USD", "lookback": 60}),
            files: &[
                ("equity.csv", 100, 'a'),
                ("params.json", 10, 'c'),
                ("trades.csv", 50, 'b'),
            ],
        },
        Fixed {
            strategy: "btc_sma",
            timestamp: "20240220_143000",
            created: "2024-02-20T14:30:00+01:00",
            metrics: json!({"sharpe": 1.2, "max_drawdown_pct": -22.5, "return": 0.31,
                "trades": 390, "final_equity": 131000.0, "lookback": 90}),
            files: &[
                ("equity.csv", 120, 'd'),
                ("report/summary.txt", 20, 'e'),
                ("trades.csv", 50, 'b'),
            ],
        },
        Fixed {
            strategy: "eth_rsi",
            timestamp: "20240218_100000",
            created: "2024-02-18T10:00:00+01:00",
            metrics: json!({"sharpe_ratio": 2.05, "maxdd": -0.08, "total_return_pct": 12.0,
                "n_trades": 57}),
            files: &[("equity.csv", 80, 'f')],
        },
        Fixed {
            strategy: "spx_mom",
            timestamp: "20240219_080000",
            created: "2024-02-19T08:00:00+01:00",
            metrics: Value::Null,
            files: &[("equity.csv", 70, '0')],
        },
    ]
}

fn archive_name(fixed: &Fixed) -> String {
    format!("{}_{}.tar.gz", fixed.strategy, fixed.timestamp)
}

/// Writes the corpus into the backups folder, with an old catalog (no metrics) naming it.
fn write_fixed_corpus(ws: &Sandbox) {
    fs::create_dir_all(&ws.backups).unwrap();
    let mut lines = Vec::new();
    for fixed in fixed_corpus() {
        let archive = archive_name(&fixed);
        let stand_in = format!("not an archive: {archive}");
        write_file(&ws.backups.join(&archive), &stand_in);
        let sha = sha256_hex(stand_in.as_bytes());
        let mut entries = vec![
            json!({"path": fixed.strategy, "kind": "dir", "size": 0, "mode": 493, "mtime": 1700000000}),
        ];
        let mut folders: Vec<&str> = fixed
            .files
            .iter()
            .filter_map(|(p, _, _)| p.rsplit_once('/').map(|(d, _)| d))
            .collect();
        folders.dedup();
        for folder in &folders {
            entries.push(
                json!({"path": format!("{}/{folder}", fixed.strategy), "kind": "dir",
                "size": 0, "mode": 493, "mtime": 1700000000}),
            );
        }
        for (path, size, letter) in fixed.files {
            entries.push(
                json!({"path": format!("{}/{path}", fixed.strategy), "kind": "file",
                "size": size, "mode": 420, "mtime": 1700000000,
                "sha256": letter.to_string().repeat(64)}),
            );
        }
        let mut manifest = json!({
            "format": "results-backup-manifest", "format_version": 1, "app_version": "0.1.0",
            "strategy": fixed.strategy, "timestamp": fixed.timestamp, "created": fixed.created,
            "source": format!("/home/ana/results/{}", fixed.strategy),
            "totals": {"files": fixed.files.len(), "dirs": 1 + folders.len(), "symlinks": 0,
                "bytes": fixed.files.iter().map(|f| f.1).sum::<u64>()},
            "entries": entries,
            "archive": {"file": archive, "size": stand_in.len(), "sha256": sha},
        });
        if !fixed.metrics.is_null() {
            manifest["metrics"] = fixed.metrics.clone();
        }
        write_file(
            &sidecar_of(&ws.backups, &archive),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        );
        lines.push(
            json!({"strategy": fixed.strategy, "timestamp": fixed.timestamp,
            "backup_file": archive, "size": stand_in.len(), "created": fixed.created,
            "sha256": sha, "files": fixed.files.len(),
            "bytes": fixed.files.iter().map(|f| f.1).sum::<u64>(),
            "last_checked": null, "check_result": null, "has_manifest": true}),
        );
    }
    let catalog =
        json!({"format": "results-backup-catalog", "format_version": 1, "backups": lines});
    write_file(
        &ws.backups.join("catalog.json"),
        serde_json::to_vec(&catalog).unwrap(),
    );
}

/// The golden corpus with its catalog rebuilt, so every line carries its metrics.
fn golden_sandbox() -> Sandbox {
    let ws = Sandbox::new(BIN);
    write_fixed_corpus(&ws);
    ws.run(["catalog", "rebuild"]).assert_success();
    ws
}

fn files_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["backup_file"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_where_and_sort_give_the_golden_json() {
    let ws = golden_sandbox();
    let run = ws.run([
        "list",
        "--where",
        "sharpe >= 1.5 and max_drawdown > -20",
        "--sort",
        "-sharpe",
        "--json",
    ]);
    run.assert_success();
    assert_eq!(
        files_of(&run.json()),
        [
            "eth_rsi_20240218_100000.tar.gz",
            "btc_sma_20240214_091500.tar.gz"
        ]
    );
    assert_golden("list_where_sort.json", &run.stdout);

    // Ascending, and the backup without the metric comes last.
    let run = ws.run(["list", "--sort", "max_drawdown_pct", "--json"]);
    run.assert_success();
    assert_eq!(
        files_of(&run.json()),
        [
            "btc_sma_20240220_143000.tar.gz",
            "btc_sma_20240214_091500.tar.gz",
            "eth_rsi_20240218_100000.tar.gz",
            "spx_mom_20240219_080000.tar.gz"
        ]
    );
    assert_golden("list_sort_missing_last.json", &run.stdout);
}

#[test]
fn list_where_understands_or_not_parentheses_spellings_and_percent() {
    let ws = golden_sandbox();
    let files = |expr: &str| {
        files_of(
            &ws.run(["list", "--where", expr, "--json"])
                .assert_success()
                .json(),
        )
    };
    assert_eq!(
        files("\"Sharpe Ratio\" < 1.5 or total_return < 20%"),
        [
            "btc_sma_20240220_143000.tar.gz",
            "eth_rsi_20240218_100000.tar.gz"
        ]
    );
    assert_eq!(
        files("not (trades > 100) and sharpe > 0"),
        ["eth_rsi_20240218_100000.tar.gz"]
    );
    assert_eq!(files("lookback = 60"), ["btc_sma_20240214_091500.tar.gz"]);
    assert!(files("sharpe > 99").is_empty());
    // The strategy filter and the expression add up.
    let btc = ws
        .run([
            "list",
            "--strategy",
            "btc_sma",
            "--where",
            "trades >= 390",
            "--json",
        ])
        .assert_success()
        .json();
    assert_eq!(files_of(&btc).len(), 2);
}

#[test]
fn list_text_shows_the_key_metrics_as_an_analyst_reads_them() {
    let ws = golden_sandbox();
    let run = ws.run(["list", "--sort", "-sharpe"]);
    run.assert_success();
    let text = &run.stdout;
    let header = text.lines().next().unwrap();
    for column in ["TOTAL RETURN", "SHARPE RATIO", "MAX DRAWDOWN", "TRADES"] {
        assert!(header.contains(column), "{text}");
    }
    let btc = text
        .lines()
        .find(|l| l.starts_with("btc_sma_20240214_091500"))
        .unwrap();
    for shown in ["45.2 %", "1.80", "-12.5 %", "412"] {
        assert!(btc.contains(shown), "{shown} not in {btc:?}");
    }
    let spx = text.lines().last().unwrap();
    assert!(spx.starts_with("spx_mom"), "{text}");
    // A metric named by the filter gets its column too.
    let run = ws.run(["list", "--where", "final_equity > 140000"]);
    assert!(
        run.assert_success().stdout.contains("145,519.40"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FINAL EQUITY"), "{}", run.stdout);
}

#[test]
fn a_malformed_expression_is_a_plain_error_pointing_at_the_column() {
    let ws = golden_sandbox();
    let run = ws.run(["list", "--where", "sharpe => 1.5"]);
    run.assert_code(2).assert_no_dump();
    assert!(run.stdout.is_empty(), "{}", run.describe());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.describe());
    assert!(
        lines[0].starts_with("error: The filter \"sharpe => 1.5\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("unknown operator `=>` at column 8; use >="),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with('.'), "{}", lines[0]);
    assert_eq!(lines[1], "  sharpe => 1.5");
    assert_eq!(lines[2], "         ^");
    assert!(lines[3].starts_with("hint: "), "{}", lines[3]);

    for (expr, column) in [
        ("sharpe >= 1.5 and", 18),
        ("(sharpe > 1", 1),
        ("sharpe >= 1.5x", 14),
        ("1.5 <= sharpe", 1),
        ("sharpe > 1 && trades > 3", 12),
    ] {
        let run = ws.run(["list", "--where", expr, "--json"]);
        run.assert_code(2).assert_no_dump();
        let error = &run.json()["error"];
        assert_eq!(error["code"], "invalid_query", "{expr}");
        assert_eq!(error["position"], column, "{expr}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains(&format!("column {column}")),
            "{expr}: {error}"
        );
    }
    let run = ws.run(["list", "--sort", "-"]);
    run.assert_code(2).assert_no_dump();
    assert!(run.stderr.contains("sort key"), "{}", run.describe());
}

#[test]
fn a_backup_records_its_metrics_in_the_catalog() {
    let ws = Sandbox::new(BIN);
    build_small_strategy(&ws.results, "alpha", 7);
    let file = ws.backup_cli("alpha");
    let list = ws.run(["list", "--json"]).assert_success().json();
    let entry = &list[0];
    assert_eq!(entry["backup_file"], file.as_str());
    assert_eq!(
        entry["metrics"]["sharpe"],
        json!({"name": "sharpe", "value": 1.7})
    );
    assert_eq!(entry["metrics"]["trades"]["value"], 107.0);
    let catalog = fs::read_to_string(ws.backups.join("catalog.json")).unwrap();
    assert!(catalog.contains("\"metrics\":{\"sharpe\""), "{catalog}");
}

#[test]
fn catalog_rebuild_fills_the_metrics_of_an_old_catalog() {
    let ws = Sandbox::new(BIN);
    write_fixed_corpus(&ws);
    let before = ws.run(["list", "--json"]).assert_success().json();
    assert!(before
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("metrics").is_none()));
    assert!(files_of(&ws.run(["list", "--where", "sharpe > 0", "--json"]).json()).is_empty());

    ws.run(["catalog", "rebuild"]).assert_success();
    let after = ws.run(["list", "--json"]).assert_success().json();
    let btc = after
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["backup_file"] == "btc_sma_20240214_091500.tar.gz")
        .unwrap();
    assert_eq!(
        btc["metrics"]["sharpe"],
        json!({"name": "Sharpe Ratio", "value": 1.8})
    );
    assert_eq!(btc["metrics"]["max_drawdown"]["value"], -12.5);
    assert_eq!(btc["metrics"]["trades"]["name"], "num_trades");
    assert!(btc["metrics"].get("strategy").is_none());
    assert!(btc["metrics"].get("symbol").is_none());
    assert_eq!(
        files_of(&ws.run(["list", "--where", "sharpe > 0", "--json"]).json()).len(),
        3
    );
}

#[test]
fn hostile_metrics_in_a_catalog_line_are_dropped_with_a_warning_and_the_line_kept() {
    let ws = golden_sandbox();
    let path = ws.backups.join("catalog.json");
    let mut doc = read_json(&path);
    let many: serde_json::Map<String, Value> = (0..100)
        .map(|i| (format!("m{i}"), json!({"name": "m", "value": i})))
        .collect();
    let hostile = [
        json!({"sharpe": {"name": "Sharpe", "value": "1e999"}}),
        Value::Object(many),
        json!({"x".repeat(300): {"name": "x", "value": 1}}),
        json!("not an object"),
    ];
    let lines = doc["backups"].as_array_mut().unwrap();
    for (line, metrics) in lines.iter_mut().zip(hostile) {
        line["metrics"] = metrics;
    }
    let kept = lines[3]["backup_file"].as_str().unwrap().to_string();
    lines[3]["metrics"] = json!({"sharpe": {"name": "sharpe", "value": 0.5}});
    write_file(&path, serde_json::to_vec(&doc).unwrap());

    let run = ws.run(["list", "--json"]);
    run.assert_success();
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 4, "{}", run.describe());
    for entry in list.as_array().unwrap() {
        if entry["backup_file"] == kept.as_str() {
            assert_eq!(entry["metrics"]["sharpe"]["value"], 0.5);
        } else {
            assert!(entry.get("metrics").is_none(), "{entry}");
        }
    }
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("metrics for") && l.contains("left out"))
        .collect();
    assert_eq!(warnings.len(), 3, "{}", run.describe());
    assert!(run.stderr.contains("catalog rebuild"), "{}", run.describe());
}

#[test]
fn diff_of_two_backups_reads_only_their_manifests() {
    let ws = golden_sandbox();
    let run = ws.run([
        "diff",
        "btc_sma_20240214_091500",
        "btc_sma_20240220_143000.tar.gz",
        "--json",
    ]);
    run.assert_success();
    assert_golden("diff_two_backups.json", &run.stdout);
    let report = run.json();
    assert_eq!(report["unchanged_count"], 1);
    let sharpe = &report["metrics"][1];
    assert_eq!(sharpe["key"], "sharpe");
    assert_eq!(sharpe["better"], false);

    let text = ws
        .run(["diff", "btc_sma_20240214_091500", "btc_sma_20240220_143000"])
        .assert_success()
        .stdout
        .clone();
    for line in [
        "M    equity.csv  (100 B -> 120 B)",
        "-    params.json",
        "+    report/",
        "+    report/summary.txt",
        "2 added, 1 removed, 1 modified, 0 type changed; 1 unchanged.",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    let sharpe_row = text
        .lines()
        .find(|l| l.starts_with("Sharpe ratio"))
        .unwrap();
    assert!(
        sharpe_row.contains("1.80") && sharpe_row.contains("1.20"),
        "{text}"
    );
    assert!(sharpe_row.contains("-0.60 (worse)"), "{text}");
    let drawdown_row = text
        .lines()
        .find(|l| l.starts_with("Max drawdown"))
        .unwrap();
    assert!(drawdown_row.contains("-10.0 % (worse)"), "{text}");

    // Two strategies compare too; a backup that is not there is the usual plain error.
    ws.run(["diff", "btc_sma_20240214_091500", "eth_rsi_20240218_100000"])
        .assert_success();
    ws.run(["diff", "btc_sma_20240214_091500", "nope"])
        .assert_plain_error(1, &["nope"]);
}

#[test]
fn diff_needs_a_sidecar_and_one_thing_to_compare_with() {
    let ws = golden_sandbox();
    fs::remove_file(sidecar_of(&ws.backups, "eth_rsi_20240218_100000.tar.gz")).unwrap();
    ws.run(["diff", "eth_rsi_20240218_100000", "btc_sma_20240214_091500"])
        .assert_plain_error(1, &["no manifest", "catalog rebuild"]);
    ws.run(["diff", "btc_sma_20240214_091500"])
        .assert_usage_error();
    ws.run([
        "diff",
        "btc_sma_20240214_091500",
        "btc_sma_20240220_143000",
        "--current",
    ])
    .assert_usage_error();
    ws.run(["diff", "btc_sma_20240214_091500", "x", "--verify"])
        .assert_usage_error();
}

/// A real backup of a small strategy, then edits: one file changed in size, one deleted, one
/// added. Returns the backup's file name.
fn edited_since_backup(ws: &Sandbox) -> String {
    let dir = build_small_strategy(&ws.results, "alpha", 3);
    let file = ws.backup_cli("alpha");
    write_file(&dir.join("equity.csv"), "much shorter now\n");
    fs::remove_file(dir.join("sub/trades.csv")).unwrap();
    write_file(&dir.join("notes.txt"), "new\n");
    write_file(
        &dir.join("metrics.json"),
        "{\"sharpe\": 1.5, \"trades\": 90}\n",
    );
    file
}

#[test]
fn diff_current_shows_edits_deletions_and_additions() {
    let ws = Sandbox::new(BIN);
    let file = edited_since_backup(&ws);
    let text = ws
        .run(["diff", &file, "--current"])
        .assert_success()
        .stdout
        .clone();
    for line in [
        "M    equity.csv",
        "M    metrics.json",
        "-    sub/trades.csv",
        "+    notes.txt",
        "as it is now",
        "--verify compares contents",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    assert!(!text.contains("latest.csv"), "{text}");

    let run = ws.run(["diff", &file, "--current", "--json"]);
    run.assert_success();
    let mut report = run.json();
    // What varies between runs: the backup's name and time, and the sandbox's path.
    report["a"]["backup_file"] = json!("<backup>");
    report["a"]["timestamp"] = json!("<timestamp>");
    report["a"]["created"] = json!("<created>");
    let normalised = serde_json::to_string_pretty(&report)
        .unwrap()
        .replace(ws.root.to_str().unwrap(), "<root>");
    assert_golden("diff_current.json", &format!("{normalised}\n"));
}

#[test]
fn diff_current_verify_catches_an_edit_that_kept_size_and_time() {
    let ws = Sandbox::new(BIN);
    let dir = build_small_strategy(&ws.results, "alpha", 4);
    let file = ws.backup_cli("alpha");
    let equity = dir.join("equity.csv");
    let mut bytes = fs::read(&equity).unwrap();
    let mtime = fs::metadata(&equity)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    bytes[0] ^= 0x20;
    fs::write(&equity, &bytes).unwrap();
    set_mtime(&equity, mtime);

    let quick = ws
        .run(["diff", &file, "--current", "--json"])
        .assert_success()
        .json();
    assert_eq!(quick["files"], json!([]), "{quick}");
    assert_eq!(quick["contents_compared"], false);
    let verified = ws
        .run(["diff", &file, "--current", "--verify", "--json"])
        .assert_success()
        .json();
    assert_eq!(
        verified["files"],
        json!([{"path": "equity.csv", "kind": "file",
                "change": {"type": "modified", "size_before": bytes.len(), "size_after": bytes.len()}}])
    );
    assert_eq!(verified["contents_compared"], true);
    let text = ws
        .run(["diff", &file, "--current", "--verify"])
        .assert_success()
        .stdout
        .clone();
    assert!(text.contains("M    equity.csv"), "{text}");
    assert!(text.contains("Contents compared."), "{text}");
}

#[test]
fn show_lists_metrics_by_importance_formatted_without_the_strategy_name() {
    let ws = golden_sandbox();
    let text = ws
        .run(["show", "btc_sma_20240214_091500"])
        .assert_success()
        .stdout
        .clone();
    let start = text.find("Metrics:").unwrap();
    let block: Vec<&str> = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    let labels: Vec<&str> = block
        .iter()
        .map(|l| l.split("  ").next().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Total return",
            "Sharpe ratio",
            "Max drawdown",
            "Trades",
            "Final equity",
            "lookback",
            "symbol"
        ],
        "{text}"
    );
    assert!(block[0].ends_with("45.2 %"), "{block:?}");
    assert!(block[1].ends_with("1.80"), "{block:?}");
    assert!(block[4].ends_with("145,519.40"), "{block:?}");
    assert!(!block.iter().any(|l| l.contains("btc_sma")), "{block:?}");
}
