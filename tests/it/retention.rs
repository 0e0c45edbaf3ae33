//! Retention (`forget`): which backups a policy keeps, through the core with an injected clock
//! and through the command line as a process; what bad policies get; crash safety of the
//! removal (the states an interrupted run leaves, then any command); re-applying a policy keeps
//! everything it kept; and, where Debian's `restic` is installed, restic itself as an
//! independent oracle for the period rules.

use crate::BIN;
use chrono::NaiveDateTime;
use proptest::prelude::*;
use results_backup::{
    apply_policy, forget, ArchiveFileName, CancelToken, Catalog, ForgetRequest, KeepWithin,
    NoProgress, RetentionPolicies, RetentionPolicy, Timestamp, JOURNAL_FILE,
};
use results_backup_testkit::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

/// A backups folder holding `stamps` of `strategy` as the catalog knows them: an archive file
/// (not a real archive: retention never opens one), its sidecar and its catalog line, each
/// archive `size` bytes. Returns the archive file names.
fn planted_backups(backups: &Path, strategy: &str, stamps: &[&str], size: usize) -> Vec<String> {
    fs::create_dir_all(backups).unwrap();
    let catalog = backups.join("catalog.json");
    let mut lines: Vec<serde_json::Value> = if catalog.exists() {
        read_json(&catalog)["backups"].as_array().unwrap().clone()
    } else {
        Vec::new()
    };
    let mut files = Vec::new();
    for stamp in stamps {
        let file = format!("{strategy}_{stamp}.tar.gz");
        let time = Timestamp::new(*stamp).unwrap().wall_clock();
        fs::write(backups.join(&file), vec![b'x'; size]).unwrap();
        fs::write(sidecar_of(backups, &file), b"{}").unwrap();
        lines.push(serde_json::json!({
            "strategy": strategy,
            "timestamp": stamp,
            "backup_file": file,
            "size": size,
            "created": time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            "sha256": "",
            "files": 1,
            "bytes": size,
        }));
        files.push(file);
    }
    let document = serde_json::json!({
        "format": "results-backup-catalog",
        "format_version": 1,
        "backups": lines,
    });
    fs::write(&catalog, serde_json::to_vec(&document).unwrap()).unwrap();
    files
}

/// The archive names the catalog lists.
fn catalogued(backups: &Path) -> BTreeSet<String> {
    Catalog::load(backups, &NoProgress)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.backup_file.to_string())
        .collect()
}

/// Whole: archive, sidecar and catalog line. Gone: none of them.
fn assert_whole_or_gone(backups: &Path, whole: &[String], gone: &[String]) {
    let listed = catalogued(backups);
    for file in whole {
        assert!(backups.join(file).is_file(), "{file}: archive kept");
        assert!(sidecar_of(backups, file).is_file(), "{file}: sidecar kept");
        assert!(listed.contains(file), "{file}: still catalogued");
    }
    for file in gone {
        assert!(!backups.join(file).exists(), "{file}: archive gone");
        assert!(!sidecar_of(backups, file).exists(), "{file}: sidecar gone");
        assert!(!listed.contains(file), "{file}: no catalog line");
    }
    assert!(!backups.join(JOURNAL_FILE).exists(), "no journal left");
}

/// restic's documentation: one backup every Sunday at 11:00 for 12 weeks.
const SUNDAYS: [&str; 12] = [
    "20190901_110000",
    "20190908_110000",
    "20190915_110000",
    "20190922_110000",
    "20190929_110000",
    "20191006_110000",
    "20191013_110000",
    "20191020_110000",
    "20191027_110000",
    "20191103_110000",
    "20191110_110000",
    "20191117_110000",
];

fn names(strategy: &str, stamps: &[&str]) -> Vec<String> {
    stamps
        .iter()
        .map(|s| format!("{strategy}_{s}.tar.gz"))
        .collect()
}

#[test]
fn forget_on_the_command_line_keeps_restics_documented_table_and_deletes_the_rest() {
    let sandbox = Sandbox::new(BIN);
    planted_backups(&sandbox.backups, "btc", &SUNDAYS, 1000);
    let text = sandbox.run(["forget", "--keep-daily", "4"]);
    text.assert_success().assert_no_dump();
    for expected in [
        "btc: keep daily 4",
        "daily 2019-11-17",
        "daily: 4 kept",
        "4 backups kept, 8 removed, 8.0 KB freed.",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected}\n{}",
            text.describe()
        );
    }
    let kept = names("btc", &SUNDAYS[8..]);
    let removed = names("btc", &SUNDAYS[..8]);
    assert_whole_or_gone(&sandbox.backups, &kept, &removed);
    // Re-applied, the policy keeps everything it kept.
    let again = sandbox.run(["forget", "--keep-daily", "4", "--json"]);
    let json = again.assert_success().json();
    assert_eq!(json["removed"], 0, "{json}");
    assert_eq!(json["kept"], 4);
}

#[test]
fn a_dry_run_reports_the_same_and_deletes_nothing() {
    let sandbox = Sandbox::new(BIN);
    planted_backups(&sandbox.backups, "btc", &SUNDAYS, 10);
    let before = snapshot(&sandbox.backups);
    let run = sandbox.run([
        "forget",
        "--keep-last",
        "2",
        "--keep-monthly",
        "2",
        "--dry-run",
        "--json",
    ]);
    let json = run.assert_success().json();
    assert_eq!(json["dry_run"], true);
    let strategy = &json["strategies"][0];
    let kept: Vec<&str> = strategy["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["backup_file"].as_str().unwrap())
        .collect();
    // last 2 (11-17, 11-10), monthly 2 (11-17 and 10-27, the newest of October).
    assert_eq!(
        kept,
        names(
            "btc",
            &["20191117_110000", "20191110_110000", "20191027_110000"]
        )
    );
    assert_eq!(
        strategy["kept"][2]["reasons"],
        serde_json::json!(["monthly 2019-10"])
    );
    assert_eq!(json["removed"], 9);
    assert_eq!(json["bytes_freed"], 90);
    assert_same_tree(&before, &snapshot(&sandbox.backups), "a dry run");
    let text = sandbox.run(["forget", "--keep-last", "2", "--dry-run"]);
    assert!(text.stdout.contains("would remove"), "{}", text.describe());
    assert!(text.stdout.contains("Dry run: nothing was deleted."));
    assert_same_tree(&before, &snapshot(&sandbox.backups), "a dry run");
}

#[test]
fn an_empty_negative_zero_or_malformed_policy_is_refused_and_nothing_is_deleted() {
    let sandbox = Sandbox::new(BIN);
    planted_backups(&sandbox.backups, "btc", &SUNDAYS[..3], 10);
    let before = snapshot(&sandbox.backups);
    sandbox
        .run(["forget"])
        .assert_plain_error(1, &["No retention policy", "--keep-daily 7"]);
    for (args, says) in [
        (
            vec!["--keep-last", "-1"],
            "--keep-last must be at least 1, not -1",
        ),
        (
            vec!["--keep-daily", "0"],
            "--keep-daily must be at least 1, not 0",
        ),
        (
            vec!["--keep-weekly", "seven"],
            "--keep-weekly must be a whole number",
        ),
        (
            vec!["--keep-yearly", "99999999999999999999"],
            "--keep-yearly must be at most",
        ),
        (
            vec!["--keep-within", "-3d"],
            "keep_within \"-3d\" is negative",
        ),
        (vec!["--keep-within", "0d"], "is zero"),
        (vec!["--keep-within", "3w"], "unknown unit"),
    ] {
        let mut full = vec!["forget"];
        full.extend(&args);
        sandbox.run(&full).assert_plain_error(1, &[says]);
        full.push("--json");
        let json = sandbox.run(&full).json();
        assert_eq!(json["error"]["code"], "invalid_policy", "{args:?}");
    }
    sandbox
        .run(["forget", "--keep-last", "1", "--strategy", "../x"])
        .assert_plain_error(1, &["not a valid strategy name"]);
    assert_same_tree(&before, &snapshot(&sandbox.backups), "refused policies");
}

#[test]
fn without_flags_the_settings_policies_apply_per_strategy() {
    let sandbox = Sandbox::new(BIN);
    planted_backups(&sandbox.backups, "btc", &SUNDAYS[..4], 10);
    planted_backups(&sandbox.backups, "eth", &SUNDAYS[..4], 10);
    planted_backups(&sandbox.backups, "sol", &SUNDAYS[..4], 10);
    let mut settings = read_json(&sandbox.settings);
    settings["retention"] = serde_json::json!({
        "strategies": {"btc": {"keep_last": 1}, "eth": {"keep_within": "8d"}},
    });
    fs::write(&sandbox.settings, settings.to_string()).unwrap();
    let json = sandbox.run(["forget", "--json"]).assert_success().json();
    assert_eq!(json["without_policy"], serde_json::json!(["sol"]));
    assert_whole_or_gone(
        &sandbox.backups,
        &[
            names("btc", &SUNDAYS[3..4]),
            names("eth", &SUNDAYS[2..4]),
            names("sol", &SUNDAYS[..4]),
        ]
        .concat(),
        &[names("btc", &SUNDAYS[..3]), names("eth", &SUNDAYS[..2])].concat(),
    );
    // Flags replace the settings for every strategy; --strategy narrows to one.
    sandbox
        .run(["forget", "--keep-last", "1", "--strategy", "sol"])
        .assert_success();
    assert_eq!(catalogued(&sandbox.backups).len(), 1 + 2 + 1);
}

#[test]
fn a_bad_policy_in_the_settings_is_refused_naming_its_key() {
    let sandbox = Sandbox::new(BIN);
    planted_backups(&sandbox.backups, "btc", &SUNDAYS[..3], 10);
    let before = snapshot(&sandbox.backups);
    for (retention, says) in [
        (
            serde_json::json!({"all": {"keep_daily": -1}}),
            "retention.all: keep_daily must be at least 1, not -1",
        ),
        (
            serde_json::json!({"strategies": {"btc": {}}}),
            "retention.strategies.btc: it is empty",
        ),
        (
            serde_json::json!({"strategies": {".hidden": {"keep_last": 1}}}),
            "retention.strategies",
        ),
    ] {
        let mut settings = read_json(&sandbox.settings);
        settings["retention"] = retention;
        fs::write(&sandbox.settings, settings.to_string()).unwrap();
        sandbox
            .run(["forget"])
            .assert_plain_error(1, &["settings file", says]);
    }
    assert_same_tree(&before, &snapshot(&sandbox.backups), "bad settings");
}

#[test]
fn the_newest_and_backups_in_use_are_never_removed() {
    let sandbox = Sandbox::new(BIN);
    let files = planted_backups(&sandbox.backups, "btc", &SUNDAYS, 10);
    let in_use = [
        ArchiveFileName::new(files[0].clone()).unwrap(),
        ArchiveFileName::new(files[5].clone()).unwrap(),
    ];
    // keep_within 1h keeps only the newest; a clock years later changes nothing (restic
    // anchors the window on the newest backup).
    let now = Timestamp::new("20300101_000000").unwrap().wall_clock();
    let request = ForgetRequest {
        strategy: None,
        policies: RetentionPolicies::for_all(RetentionPolicy {
            keep_within: Some(KeepWithin::parse("1h").unwrap()),
            ..Default::default()
        }),
        dry_run: false,
        in_use: &in_use,
    };
    let report = forget(
        &sandbox.locations(),
        &request,
        now,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!((report.kept, report.removed), (3, 9));
    let kept = [files[11].clone(), files[5].clone(), files[0].clone()];
    let gone: Vec<String> = files
        .iter()
        .filter(|f| !kept.contains(f))
        .cloned()
        .collect();
    assert_whole_or_gone(&sandbox.backups, &kept, &gone);
    assert_eq!(report.strategies[0].kept[1].reasons, ["in use"]);
}

/// The states an interrupted removal of `doomed` leaves, one per step reached, written the way
/// the core writes them (journal first, then catalog, archives, sidecars).
fn leave_interrupted_removal(backups: &Path, doomed: &[String], steps_done: usize) {
    let journal = serde_json::json!({
        "format": "results-backup-deletion-journal",
        "format_version": 1,
        "backups": doomed,
    });
    fs::write(backups.join(JOURNAL_FILE), journal.to_string()).unwrap();
    if steps_done >= 1 {
        let path = backups.join("catalog.json");
        let mut catalog = read_json(&path);
        catalog["backups"]
            .as_array_mut()
            .unwrap()
            .retain(|line| !doomed.iter().any(|d| line["backup_file"] == d.as_str()));
        fs::write(&path, catalog.to_string()).unwrap();
    }
    for file in doomed {
        if steps_done >= 2 {
            fs::remove_file(backups.join(file)).unwrap();
        }
        if steps_done >= 3 {
            fs::remove_file(sidecar_of(backups, file)).unwrap();
        }
    }
}

#[test]
fn an_interrupted_forget_is_finished_by_whatever_command_comes_next() {
    for steps_done in 0..=3 {
        for next in [vec!["list"], vec!["check", "--all"], vec!["backup", "btc"]] {
            let sandbox = Sandbox::new(BIN);
            build_small_strategy(&sandbox.results, "btc", 7);
            let files: Vec<String> = (0..3).map(|_| sandbox.backup_lib("btc")).collect();
            let doomed = files[..2].to_vec();
            leave_interrupted_removal(&sandbox.backups, &doomed, steps_done);
            let run = sandbox.run(&next);
            run.assert_success().assert_no_dump();
            assert!(
                run.stderr
                    .contains("was interrupted; it is being finished now"),
                "{}",
                run.describe()
            );
            let mut whole = vec![files[2].clone()];
            let mut gone = doomed.clone();
            if next[0] == "backup" {
                // Made in the same second, the new backup may take a freed name: the removal
                // was finished before it was published.
                let new = find_backup_file(&sandbox.run(["list", "--json"]).json())
                    .expect("the new backup is listed first");
                gone.retain(|f| *f != new);
                whole.push(new);
            }
            assert_whole_or_gone(&sandbox.backups, &whole, &gone);
            sandbox.run(["check", "--all"]).assert_success();
        }
    }
}

#[test]
fn a_hostile_or_garbled_journal_deletes_nothing_outside_the_backups() {
    let sandbox = Sandbox::new(BIN);
    build_small_strategy(&sandbox.results, "btc", 7);
    let file = sandbox.backup_lib("btc");
    let outside = sandbox.path("outside.tar.gz");
    fs::write(&outside, b"precious").unwrap();
    let journal = serde_json::json!({
        "format": "results-backup-deletion-journal",
        "format_version": 1,
        "backups": ["../outside.tar.gz", "/etc/passwd.tar.gz", ".catalog.lock", "catalog.json", "\u{1b}[2J.tar.gz"],
    });
    fs::write(sandbox.backups.join(JOURNAL_FILE), journal.to_string()).unwrap();
    let run = sandbox.run(["list"]);
    run.assert_success().assert_no_dump();
    assert!(run.stderr.contains("left alone"), "{}", run.describe());
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escaped: {}",
        run.describe()
    );
    assert!(outside.is_file());
    assert!(sandbox.backups.join("catalog.json").is_file());
    assert_whole_or_gone(&sandbox.backups, std::slice::from_ref(&file), &[]);
    // Garbage, or a huge document: warned about, removed, nothing deleted.
    for garbage in [b"not json".to_vec(), vec![b' '; 70 * 1024 * 1024]] {
        fs::write(sandbox.backups.join(JOURNAL_FILE), garbage).unwrap();
        let run = sandbox.run(["list"]);
        run.assert_success();
        assert!(run.stderr.contains("cannot be read"), "{}", run.describe());
        assert_whole_or_gone(&sandbox.backups, std::slice::from_ref(&file), &[]);
    }
}

/// A timestamp from proptest: 2019..2027, any second.
fn stamp() -> impl Strategy<Value = Timestamp> {
    (0i64..8 * 365 * 86_400).prop_map(|offset| {
        let base = Timestamp::new("20190101_000000").unwrap().wall_clock();
        Timestamp::of_wall_clock(&(base + chrono::TimeDelta::seconds(offset)))
    })
}

fn policy() -> impl Strategy<Value = RetentionPolicy> {
    let count = || prop::option::of(1u32..6);
    (
        count(),
        count(),
        count(),
        count(),
        count(),
        count(),
        prop::option::of((0u32..2, 0u32..3, 0u32..40, 0u32..30)),
    )
        .prop_map(
            |(last, hourly, daily, weekly, monthly, yearly, within)| RetentionPolicy {
                keep_last: last,
                keep_hourly: hourly,
                keep_daily: daily,
                keep_weekly: weekly,
                keep_monthly: monthly,
                keep_yearly: yearly,
                keep_within: within
                    .map(|(years, months, days, hours)| KeepWithin {
                        years,
                        months,
                        days,
                        hours,
                    })
                    .filter(|w| !w.is_zero()),
            },
        )
        .prop_filter("a policy with a rule", |p| !p.is_empty())
}

fn kept_set(stamps: &[Timestamp], policy: &RetentionPolicy, now: NaiveDateTime) -> Vec<Timestamp> {
    let mut kept: Vec<Timestamp> = apply_policy(stamps, policy, now)
        .into_iter()
        .filter(|d| d.keep)
        .map(|d| stamps[d.index].clone())
        .collect();
    kept.sort();
    kept
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn applying_a_policy_twice_keeps_what_it_kept_once(
        stamps in prop::collection::btree_set(stamp(), 1..60),
        policy in policy(),
    ) {
        let stamps: Vec<Timestamp> = stamps.into_iter().collect();
        let now = Timestamp::new("20300101_000000").unwrap().wall_clock();
        let once = kept_set(&stamps, &policy, now);
        let newest = stamps.iter().max().unwrap();
        prop_assert!(once.contains(newest), "the newest is kept");
        let twice = kept_set(&once, &policy, now);
        prop_assert_eq!(&once, &twice);
    }
}

/// restic 0.14 (Debian's) as an oracle: snapshots made with `--time` at random moments, and
/// `forget --dry-run --json` with several policies, compared with ours. Our rules include
/// restic 0.16's "keep the oldest while a rule has count left", which 0.14 lacks, so a backup
/// kept only for that reason counts as removed in the comparison.
#[test]
fn restic_itself_agrees_on_which_backups_each_policy_keeps() {
    if Command::new("restic").arg("version").output().is_err() {
        eprintln!(
            "SKIPPED restic_itself_agrees_on_which_backups_each_policy_keeps: restic is not installed (apt-get install restic)"
        );
        return;
    }
    let sandbox = Sandbox::new(BIN);
    let repo = sandbox.path("restic-repo");
    let data = sandbox.path("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join("file.txt"), b"retention oracle").unwrap();
    let restic = |args: &[&str]| {
        let output = Command::new("restic")
            .args(["--repo", repo.to_str().unwrap(), "--no-cache", "--quiet"])
            .args(args)
            .env("RESTIC_PASSWORD", "oracle")
            // Times are wall-clock on both sides: no offsets, no daylight saving.
            .env("TZ", "UTC")
            .output()
            .expect("run restic");
        assert!(
            output.status.success(),
            "restic {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    restic(&["init"]);
    // 36 moments over three years, denser recently, all distinct, some on shared days and
    // hours and around the new year (ISO week 53 of 2020).
    let mut rng = results_backup_testkit::Rng::new(2026);
    let mut stamps: BTreeSet<String> = [
        "20201231_230000",
        "20210101_010000",
        "20210103_120000",
        "20210104_000001",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let base = Timestamp::new("20200601_000000").unwrap().wall_clock();
    while stamps.len() < 36 {
        let span = if rng.below(2) == 0 {
            40 * 86_400
        } else {
            1000 * 86_400
        };
        let offset = 1000 * 86_400 - rng.below(span) as i64;
        let time = base + chrono::TimeDelta::seconds(offset);
        stamps.insert(time.format("%Y%m%d_%H%M%S").to_string());
    }
    for stamp in &stamps {
        let time = Timestamp::new(stamp.as_str()).unwrap().wall_clock();
        let when = time.format("%Y-%m-%d %H:%M:%S").to_string();
        restic(&[
            "backup",
            "--host",
            "oracle",
            "--time",
            &when,
            data.to_str().unwrap(),
        ]);
    }
    let ours: Vec<Timestamp> = stamps
        .iter()
        .map(|s| Timestamp::new(s.as_str()).unwrap())
        .collect();
    let now = Timestamp::new("20300101_000000").unwrap().wall_clock();
    let mut policies: Vec<Vec<String>> = vec![
        vec!["--keep-daily".into(), "4".into()],
        vec![
            "--keep-last".into(),
            "3".into(),
            "--keep-hourly".into(),
            "5".into(),
        ],
        vec![
            "--keep-daily".into(),
            "7".into(),
            "--keep-weekly".into(),
            "5".into(),
            "--keep-monthly".into(),
            "12".into(),
            "--keep-yearly".into(),
            "3".into(),
        ],
        vec!["--keep-weekly".into(), "30".into()],
        vec!["--keep-within".into(), "1m10d".into()],
        vec![
            "--keep-within".into(),
            "2d12h".into(),
            "--keep-monthly".into(),
            "6".into(),
        ],
        vec!["--keep-yearly".into(), "10".into()],
    ];
    for _ in 0..6 {
        let mut args = Vec::new();
        for flag in [
            "--keep-last",
            "--keep-hourly",
            "--keep-daily",
            "--keep-weekly",
            "--keep-monthly",
            "--keep-yearly",
        ] {
            if rng.below(3) == 0 {
                args.push(flag.to_string());
                args.push((1 + rng.below(8)).to_string());
            }
        }
        if rng.below(3) == 0 {
            args.push("--keep-within".into());
            args.push(format!("{}m{}d", rng.below(3), 1 + rng.below(20)));
        }
        if args.is_empty() {
            args = vec!["--keep-monthly".into(), "2".into()];
        }
        policies.push(args);
    }
    let mut compared_removals = 0;
    for args in policies {
        let mut full: Vec<&str> = vec!["forget", "--dry-run", "--json"];
        full.extend(args.iter().map(String::as_str));
        let json: serde_json::Value = serde_json::from_str(&restic(&full)).unwrap();
        let restic_kept: BTreeSet<String> = json[0]["keep"]
            .as_array()
            .unwrap()
            .iter()
            .map(|snapshot| {
                let time = snapshot["time"].as_str().unwrap();
                let naive =
                    NaiveDateTime::parse_from_str(&time[..19], "%Y-%m-%dT%H:%M:%S").unwrap();
                naive.format("%Y%m%d_%H%M%S").to_string()
            })
            .collect();
        let policy = policy_from_flags(&args);
        let our_kept: BTreeSet<String> = apply_policy(&ours, &policy, now)
            .into_iter()
            .filter(|d| d.keep && d.reasons.iter().any(|r| !r.starts_with("oldest ")))
            .map(|d| ours[d.index].to_string())
            .collect();
        assert_eq!(our_kept, restic_kept, "policy {args:?}");
        assert!(!restic_kept.is_empty(), "restic answered for {args:?}");
        compared_removals += stamps.len() - restic_kept.len();
    }
    assert!(
        compared_removals > 0,
        "the policies removed something to compare"
    );
}

fn policy_from_flags(args: &[String]) -> RetentionPolicy {
    let mut policy = RetentionPolicy::default();
    for pair in args.chunks(2) {
        let value = &pair[1];
        let count = || Some(value.parse::<u32>().unwrap());
        match pair[0].as_str() {
            "--keep-last" => policy.keep_last = count(),
            "--keep-hourly" => policy.keep_hourly = count(),
            "--keep-daily" => policy.keep_daily = count(),
            "--keep-weekly" => policy.keep_weekly = count(),
            "--keep-monthly" => policy.keep_monthly = count(),
            "--keep-yearly" => policy.keep_yearly = count(),
            "--keep-within" => policy.keep_within = Some(KeepWithin::parse(value).unwrap()),
            other => panic!("{other}"),
        }
    }
    policy
}
