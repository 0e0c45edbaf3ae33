//! Everything read back is untrusted: manifests, sidecars, the catalog, the settings file, the
//! names and lengths inside archives. Each test plants what an attacker with write access to a
//! shared disk (or a mailed archive) would, runs the CLI as a process, and checks that it gets a
//! plain error or a warning, stays within bounded memory, never hangs, and writes nothing where
//! it does not belong.

#![cfg(unix)]

use crate::BIN;
use results_backup_testkit::raw_tar::{
    benign_manifest, benign_start, flag, gzip, with_zeros_after, RawHeader, RawTar,
};
use results_backup_testkit::*;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Peak memory the CLI may use on any hostile archive here (a normal check stays near 30 MB).
const MEMORY_CEILING_KB: u64 = 200 * 1024;

/// A sandbox with `results/strat` backed up once; returns the archive's file name.
fn backed_up(sandbox: &Sandbox) -> String {
    write_file(&sandbox.results.join("strat/data.csv"), b"date,pnl\n1,2\n");
    write_file(
        &sandbox.results.join("strat/metrics.json"),
        b"{\"sharpe\": 1.2}\n",
    );
    sandbox.run(["backup", "strat"]).assert_success();
    visible_archives(&sandbox.backups)
        .pop()
        .expect("one backup made")
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    fs::write(path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

/// Runs the CLI with `args`, killed (and the test failed) if it does not end within a minute:
/// reading a pipe or `/dev/zero` must never hang.
fn run_bounded(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut command = sandbox.command(args);
    let shown = format!("{command:?}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Run::from_output(shown, output)
}

/// Runs the CLI under `/usr/bin/time` and returns the run and its peak resident memory in KB.
fn run_measured(sandbox: &Sandbox, args: &[&str]) -> (Run, u64) {
    let rss = sandbox.path("rss.txt");
    let wrapper: Vec<String> = ["/usr/bin/time", "-f", "%M", "-o"]
        .iter()
        .map(|s| s.to_string())
        .chain([rss.display().to_string()])
        .collect();
    let run = sandbox.run_wrapped(&wrapper, args);
    let peak = fs::read_to_string(&rss)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no memory figure from /usr/bin/time\n{}", run.describe()));
    (run, peak)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

// ---------------------------------------------------------------------------------------------
// Names built into paths

#[test]
fn a_sidecar_timestamp_that_climbs_out_never_names_a_folder() {
    let sandbox = Sandbox::new(BIN);
    let file = backed_up(&sandbox);
    edit_json(&sidecar_of(&sandbox.backups, &file), |m| {
        m["timestamp"] = "x/../../../escaped".into();
    });
    let before = snapshot_loose(&sandbox.root);
    // The strategy folder exists, so "copy" would name a folder after the timestamp.
    sandbox
        .run(["restore", &file, "--on-conflict", "copy"])
        .assert_plain_error(1, &["timestamp", "manifest"]);
    assert_same_tree(&before, &snapshot_loose(&sandbox.root), "the sandbox");
    assert!(!sandbox.path("escaped").exists());
    assert!(!sandbox.root.parent().unwrap().join("escaped").exists());

    let check = sandbox.run(["check", &file]);
    assert_eq!(check.code, Some(1), "{}", check.describe());
    assert!(
        check.stdout.contains("DAMAGED") && check.stdout.contains("cannot be trusted"),
        "{}",
        check.describe()
    );
}

#[test]
fn an_embedded_timestamp_that_climbs_out_never_names_a_folder() {
    let sandbox = Sandbox::new(BIN);
    let dest = sandbox.path("home/dest");
    write_file(&dest.join("strat/mine.txt"), b"my work\n");
    let evil = benign_manifest("strat", "x/../../../escaped");
    let archive = benign_start("strat").file(".results-backup/manifest.json", &evil);
    let lone = sandbox.path("incoming/mailed.tar.gz");
    write_file(&lone, archive.gzip());
    let before = snapshot_loose(&sandbox.root);
    let given = lone.display().to_string();
    let dest_arg = dest.display().to_string();
    sandbox
        .run([
            "restore",
            &given,
            "--to",
            &dest_arg,
            "--on-conflict",
            "copy",
        ])
        .assert_plain_error(1, &["timestamp"]);
    assert_same_tree(&before, &snapshot_loose(&sandbox.root), "the sandbox");
    for name in ["escaped", "home/escaped", "home/dest/escaped"] {
        assert!(!sandbox.path(name).exists(), "{name}");
    }
    sandbox
        .run(["show", &given])
        .assert_plain_error(1, &["timestamp"]);
}

#[test]
fn a_sidecar_naming_another_strategy_folder_is_refused() {
    let sandbox = Sandbox::new(BIN);
    let file = backed_up(&sandbox);
    for bad in ["../results", ".hidden", "a/b", "tab\there"] {
        edit_json(&sidecar_of(&sandbox.backups, &file), |m| {
            m["strategy"] = bad.into()
        });
        let dest = sandbox.path(&format!("dest-{}", bad.len()));
        let dest_arg = dest.display().to_string();
        sandbox
            .run(["restore", &file, "--to", &dest_arg])
            .assert_plain_error(1, &["strategy name"]);
        assert!(!dest.exists() || names_in(&dest).is_empty(), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// The catalog names files

/// Appends to `catalog.json` a copy of its first line with `backup_file` replaced.
fn plant_catalog_lines(sandbox: &Sandbox, names: &[String]) {
    edit_json(&sandbox.backups.join("catalog.json"), |catalog| {
        let first = catalog["backups"][0].clone();
        let lines = catalog["backups"].as_array_mut().unwrap();
        for name in names {
            let mut line = first.clone();
            line["backup_file"] = name.as_str().into();
            lines.push(line);
        }
    });
}

#[test]
fn check_all_reads_only_regular_archives_inside_the_backups_folder() {
    let sandbox = Sandbox::new(BIN);
    let file = backed_up(&sandbox);
    let archive = sandbox.backups.join(&file);
    let outside = sandbox.path("outside/evil.tar.gz");
    write_file(&outside, fs::read(&archive).unwrap());
    std::os::unix::fs::symlink("/dev/zero", sandbox.backups.join("zero.tar.gz")).unwrap();
    std::os::unix::fs::symlink(&outside, sandbox.backups.join("link.tar.gz")).unwrap();
    mkfifo(&sandbox.backups.join("fifo.tar.gz"));
    plant_catalog_lines(
        &sandbox,
        &[
            "../outside/evil.tar.gz".into(),
            outside.display().to_string(),
            "zero.tar.gz".into(),
            "fifo.tar.gz".into(),
            "link.tar.gz".into(),
        ],
    );

    let run = run_bounded(&sandbox, &["check", "--all"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    run.assert_no_dump();
    let checked: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(checked.len(), 1, "only the real backup: {}", run.describe());
    assert!(checked[0].contains(&file), "{}", run.describe());
    for ignored in [
        "outside/evil.tar.gz",
        "zero.tar.gz",
        "fifo.tar.gz",
        "link.tar.gz",
    ] {
        assert!(
            run.stderr.contains(ignored) && run.stderr.contains("ignored"),
            "a warning names {ignored}\n{}",
            run.describe()
        );
    }
    let listed = run_bounded(&sandbox, &["--json", "list"]);
    let entries: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        entries.as_array().unwrap().len(),
        1,
        "{}",
        listed.describe()
    );

    // Each of them named directly: a plain error, no hang, nothing read through the links.
    for name in ["zero.tar.gz", "fifo.tar.gz", "link.tar.gz"] {
        let direct = run_bounded(&sandbox, &["check", name]);
        direct.assert_plain_error(1, &[]);
    }
}

#[test]
fn a_backup_name_is_never_looked_up_in_the_working_folder() {
    let sandbox = Sandbox::new(BIN);
    let file = backed_up(&sandbox);
    // The CLI runs in the sandbox root: a copy there has a plain name but is not a backup.
    fs::copy(sandbox.backups.join(&file), sandbox.path("copy.tar.gz")).unwrap();
    sandbox
        .run(["check", "copy.tar.gz"])
        .assert_plain_error(1, &["There is no backup named \"copy.tar.gz\""]);
    sandbox
        .run(["show", "copy.tar.gz"])
        .assert_plain_error(1, &["There is no backup named"]);
    sandbox.run(["check", "./copy.tar.gz"]).assert_success();
}

// ---------------------------------------------------------------------------------------------
// Lengths read from archives

/// The ways a header can claim a gigabyte, each followed by a real gigabyte of zeros.
fn gigabyte_claims() -> Vec<(&'static str, Vec<u8>)> {
    const GIB: u64 = 1 << 30;
    let manifest = benign_start("strat").bare_header(&RawHeader::new(
        b".results-backup/manifest.json",
        flag::FILE,
        GIB,
    ));
    let pax =
        benign_start("strat").bare_header(&RawHeader::new(b"PaxHeaders/big", flag::PAX_LOCAL, GIB));
    let mut long_name = RawHeader::new(b"././@LongLink", flag::GNU_LONG_NAME, GIB);
    long_name.gnu = true;
    let mut long_link = RawHeader::new(b"././@LongLink", flag::GNU_LONG_LINK, GIB);
    long_link.gnu = true;
    vec![
        ("an embedded manifest", with_zeros_after(&manifest, 1024)),
        ("a PAX header", with_zeros_after(&pax, 1024)),
        (
            "a GNU long name",
            with_zeros_after(&benign_start("strat").bare_header(&long_name), 1024),
        ),
        (
            "a GNU long link",
            with_zeros_after(&benign_start("strat").bare_header(&long_link), 1024),
        ),
    ]
}

#[test]
fn lengths_claiming_a_gigabyte_are_refused_before_anything_is_read() {
    let sandbox = Sandbox::new(BIN);
    let dest = sandbox.path("dest");
    fs::create_dir_all(&dest).unwrap();
    for (what, bytes) in gigabyte_claims() {
        assert!(bytes.len() < 2 << 20, "{what}: a small archive");
        let path = sandbox.path("incoming/bomb.tar.gz");
        write_file(&path, &bytes);
        let given = path.display().to_string();
        let dest_arg = dest.display().to_string();
        for args in [
            vec!["check", given.as_str()],
            vec!["show", given.as_str()],
            vec!["restore", given.as_str(), "--to", dest_arg.as_str()],
        ] {
            let (run, peak_kb) = run_measured(&sandbox, &args);
            assert_eq!(run.code, Some(1), "{what}: {}", run.describe());
            run.assert_no_dump();
            assert!(
                peak_kb < MEMORY_CEILING_KB,
                "{what}: {args:?} used {peak_kb} KB\n{}",
                run.describe()
            );
            assert!(
                (run.stdout.clone() + &run.stderr).contains("1073741824"),
                "{what}: the refusal names the claim\n{}",
                run.describe()
            );
        }
        assert!(names_in(&dest).is_empty(), "{what}: nothing restored");
    }
}

#[test]
fn an_unbounded_name_is_never_repeated_in_full() {
    let sandbox = Sandbox::new(BIN);
    // Under the 4 KiB name limit, so it is refused for what it says, not for its length.
    let long = format!("/{}", "x".repeat(4000));
    let archive = benign_start("strat").pax_path_file("strat/harmless.txt", &long, b"evil\n");
    let path = sandbox.path("incoming/long.tar.gz");
    write_file(&path, archive.gzip());
    let given = path.display().to_string();
    let dest = sandbox.path("dest").display().to_string();
    let restore = sandbox.run(["restore", &given, "--to", &dest]);
    restore.assert_plain_error(1, &["absolute path"]);
    let check = sandbox.run(["check", &given]);
    assert_eq!(check.code, Some(1), "{}", check.describe());
    for text in [&restore.stderr, &check.stdout] {
        assert!(
            text.lines().all(|l| l.len() < 1024),
            "a line repeats the whole name: {} bytes",
            text.len()
        );
    }
}

#[test]
fn a_small_archive_inflating_to_a_gigabyte_is_refused_by_check_and_restore() {
    let sandbox = Sandbox::new(BIN);
    let dest = sandbox.path("dest");
    fs::create_dir_all(&dest).unwrap();
    let one_member =
        benign_start("strat").bare_header(&RawHeader::new(b"strat/zeros.bin", flag::FILE, 1 << 30));
    // Many members each of an honest size, together a gigabyte.
    let mut many = gzip(&benign_start("strat").unfinished());
    for i in 0..1024 {
        let header = RawHeader::new(format!("strat/part{i}.bin").as_bytes(), flag::FILE, 1 << 20);
        many.extend(gzip(&header.encode()));
        many.extend(raw_tar::gzipped_zeros(1));
    }
    many.extend(gzip(&[0u8; 1024]));
    for (what, bytes) in [
        ("one member", with_zeros_after(&one_member, 1024)),
        ("many members", many),
    ] {
        assert!(bytes.len() < 4 << 20, "{what}: small");
        let path = sandbox.path("incoming/zeros.tar.gz");
        write_file(&path, &bytes);
        let given = path.display().to_string();
        let dest_arg = dest.display().to_string();
        let (check, peak) = run_measured(&sandbox, &["check", &given]);
        assert_eq!(check.code, Some(1), "{what}: {}", check.describe());
        assert!(
            check.stdout.contains("decompression bomb"),
            "{what}: {}",
            check.describe()
        );
        assert!(peak < MEMORY_CEILING_KB, "{what}: check used {peak} KB");
        let (restore, peak) = run_measured(&sandbox, &["restore", &given, "--to", &dest_arg]);
        restore.assert_plain_error(1, &["decompression bomb", "Nothing was written"]);
        assert!(peak < MEMORY_CEILING_KB, "{what}: restore used {peak} KB");
        assert!(names_in(&dest).is_empty(), "{what}: nothing left behind");
    }
}

#[test]
fn an_archive_of_more_than_100000_entries_is_refused_and_never_made() {
    let sandbox = Sandbox::new(BIN);
    let mut tar = RawTar::new().dir("strat/");
    for i in 0..100_001 {
        tar = tar.file(&format!("strat/f{i}"), b"");
    }
    let path = sandbox.path("incoming/many.tar.gz");
    write_file(&path, tar.gzip());
    let given = path.display().to_string();
    let dest = sandbox.path("dest");
    fs::create_dir_all(&dest).unwrap();
    let dest_arg = dest.display().to_string();
    sandbox
        .run(["restore", &given, "--to", &dest_arg])
        .assert_plain_error(1, &["100000"]);
    assert!(names_in(&dest).is_empty(), "staging removed");
    let check = sandbox.run(["check", &given]);
    assert_eq!(check.code, Some(1), "{}", check.describe());
    assert!(check.stdout.contains("100000"), "{}", check.describe());

    // A folder that large is refused at backup time too, so no backup is ever unrestorable.
    let big = sandbox.results.join("big");
    fs::create_dir_all(&big).unwrap();
    for i in 0..100_000 {
        fs::File::create(big.join(format!("f{i}"))).unwrap();
    }
    sandbox
        .run(["backup", "big"])
        .assert_plain_error(1, &["too large for one backup", "100000"]);
    assert!(visible_archives(&sandbox.backups).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Files in the backups folder that are not what their names say

#[test]
fn a_lock_file_planted_as_a_link_or_a_pipe_is_refused() {
    let sandbox = Sandbox::new(BIN);
    write_file(&sandbox.results.join("strat/data.csv"), b"x\n");
    fs::create_dir_all(&sandbox.backups).unwrap();
    let lock = sandbox.backups.join(".catalog.lock");
    let aimed_at = sandbox.path("outside/created-through-the-link");
    std::os::unix::fs::symlink(&aimed_at, &lock).unwrap();
    run_bounded(&sandbox, &["backup", "strat"])
        .assert_plain_error(1, &[".catalog.lock", "not a regular file"]);
    assert!(!aimed_at.exists(), "nothing created through the link");
    assert!(!sandbox.path("outside").exists());

    fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    run_bounded(&sandbox, &["backup", "strat"])
        .assert_plain_error(1, &[".catalog.lock", "not a regular file"]);
}

// ---------------------------------------------------------------------------------------------
// What restore creates

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn restored_files_and_folders_get_their_modes_narrowed_by_the_umask() {
    let sandbox = Sandbox::new(BIN);
    let strat = sandbox.results.join("strat");
    write_file(&strat.join("shared.csv"), b"everyone\n");
    write_file(&strat.join("secret.csv"), b"only me\n");
    write_file(&strat.join("open/inner.txt"), b"x\n");
    set_mode(&strat.join("shared.csv"), 0o666);
    set_mode(&strat.join("secret.csv"), 0o600);
    set_mode(&strat.join("open"), 0o777);
    sandbox.run(["backup", "strat"]).assert_success();
    let file = visible_archives(&sandbox.backups).pop().unwrap();
    for (umask, shared, secret, open) in
        [("077", 0o600, 0o600, 0o700), ("022", 0o644, 0o600, 0o755)]
    {
        let dest = sandbox.path(&format!("dest-{umask}"));
        let dest_arg = dest.display().to_string();
        let wrapper: Vec<String> = ["sh", "-c", &format!("umask {umask}; exec \"$0\" \"$@\"")]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sandbox
            .run_wrapped(&wrapper, ["restore", &file, "--to", &dest_arg])
            .assert_success();
        let restored = dest.join("strat");
        assert_eq!(mode(&restored.join("shared.csv")), shared, "umask {umask}");
        assert_eq!(mode(&restored.join("secret.csv")), secret, "umask {umask}");
        assert_eq!(mode(&restored.join("open")), open, "umask {umask}");
    }
}

/// Inside a private mount namespace, a 4 MiB tmpfs becomes the destination; the restore must
/// be refused before anything is written there, and what the tmpfs held is copied out.
const SMALL_DISK_SCRIPT: &str = r#"
set -u
mount -t tmpfs -o size=4m rb-test-small "$D" || exit 90
"$BIN" --results "$R" --backups "$B" restore "$GIVEN" --to "$D" >"$O/out" 2>"$O/err"
echo $? >"$O/code"
ls -A "$D" >"$O/listing"
exit 0
"#;

#[test]
fn a_restore_that_cannot_fit_is_refused_before_anything_is_written() {
    require_tool("unshare", "util-linux");
    let sandbox = Sandbox::new(BIN);
    for i in 0..3 {
        write_file(
            &sandbox.results.join(format!("strat/part{i}.bin")),
            noise(3 << 20, 70 + i),
        );
    }
    sandbox.run(["backup", "strat"]).assert_success();
    let file = visible_archives(&sandbox.backups).pop().unwrap();
    let lone = sandbox.path("incoming/lone.tar.gz");
    write_file(&lone, fs::read(sandbox.backups.join(&file)).unwrap());
    for given in [file.clone(), lone.display().to_string()] {
        let dest = sandbox.path("small-disk");
        fs::create_dir_all(&dest).unwrap();
        let observed = sandbox.path("observed");
        let _ = fs::remove_dir_all(&observed);
        fs::create_dir_all(&observed).unwrap();
        let mut command = Command::new("unshare");
        if !is_root() {
            command.arg("--map-root-user");
        }
        command.args(["--mount", "sh", "-c", SMALL_DISK_SCRIPT]);
        sandbox.isolate(&mut command);
        command
            .env("BIN", BIN)
            .env("R", &sandbox.results)
            .env("B", &sandbox.backups)
            .env("D", &dest)
            .env("O", &observed)
            .env("GIVEN", &given);
        let script = Run::of(&mut command);
        assert_eq!(script.code, Some(0), "{}", script.describe());
        let read = |name: &str| fs::read_to_string(observed.join(name)).unwrap_or_default();
        let run = Run {
            code: read("code").trim().parse().ok(),
            stdout: read("out"),
            stderr: read("err"),
            command: format!("restore {given} onto a 4 MiB disk"),
        };
        run.assert_plain_error(1, &["not enough free space"]);
        assert_eq!(read("listing").trim(), "", "nothing written: {given}");
    }
}

// ---------------------------------------------------------------------------------------------
// What the terminal shows

#[test]
fn names_read_back_are_printed_with_control_characters_escaped() {
    let sandbox = Sandbox::new(BIN);
    let strat = sandbox.results.join("strat");
    let marked = "a\u{1b}[31mred.csv";
    write_file(&strat.join(marked), b"TAMPER-ME-0123456789\n");
    sandbox.run(["backup", "strat"]).assert_success();
    let file = visible_archives(&sandbox.backups).pop().unwrap();
    let archive = sandbox.backups.join(&file);
    let tampered = raw_tar::tamper_content(
        &fs::read(&archive).unwrap(),
        b"TAMPER-ME-0123456789",
        b"TAMPER-ME-9876543210",
    );
    fs::write(&archive, tampered).unwrap();
    let check = sandbox.run(["check", &file]);
    assert_eq!(check.code, Some(1), "{}", check.describe());
    assert!(
        check.stdout.contains("a\\u{1b}[31mred.csv"),
        "{}",
        check.describe()
    );
    // A folder named to rewrite the terminal is skipped by the scan, with its name escaped.
    fs::create_dir_all(sandbox.results.join("evil\u{1b}]0;pwned\u{7}")).unwrap();
    plant_catalog_lines(&sandbox, &["x\u{1b}[2J.tar.gz".to_string()]);
    for args in [vec!["scan"], vec!["list"], vec!["check", "--all"]] {
        let run = sandbox.run(&args);
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains('\u{1b}'),
                "{args:?} printed a raw escape\n{}",
                run.describe()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The settings file

#[test]
fn a_settings_file_with_unusable_values_is_refused_plainly() {
    let sandbox = Sandbox::new(BIN);
    let settings = sandbox.path("settings.json");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "must be an absolute folder path",
            br#"{"format_version": 1, "results_dir": "relative/results"}"#.to_vec(),
        ),
        (
            "not between 1 and 9",
            br#"{"format_version": 1, "compression_level": 42}"#.to_vec(),
        ),
        ("newer than this app", br#"{"format_version": 99}"#.to_vec()),
        ("larger than", vec![b' '; 2 << 20]),
    ];
    for (mention, bytes) in cases {
        fs::write(&settings, bytes).unwrap();
        let mut command = Command::new(BIN);
        sandbox.isolate(&mut command);
        command
            .env("RESULTS_BACKUP_SETTINGS", &settings)
            .arg("scan");
        Run::of(&mut command).assert_plain_error(1, &["settings", mention]);
    }
    fs::remove_file(&settings).unwrap();
    mkfifo(&settings);
    let mut command = Command::new(BIN);
    sandbox.isolate(&mut command);
    command
        .env("RESULTS_BACKUP_SETTINGS", &settings)
        .arg("scan");
    let started = Instant::now();
    Run::of(&mut command).assert_plain_error(1, &["not a regular file"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a pipe never blocks"
    );
}

#[test]
fn names_too_long_for_what_is_built_from_them_are_left_out_with_a_warning() {
    let sandbox = Sandbox::new(BIN);
    // 221 bytes: its backups' sidecar names would pass 255 bytes.
    let long_strategy = "s".repeat(221);
    write_file(&sandbox.results.join(&long_strategy).join("a.csv"), b"x\n");
    write_file(&sandbox.results.join("fine/a.csv"), b"x\n");
    let scan = sandbox.run(["scan"]);
    scan.assert_success();
    assert!(
        scan.stderr.contains("longer than 220 bytes"),
        "{}",
        scan.describe()
    );
    sandbox.run(["backup", "--all"]).assert_success();
    assert_eq!(archives_in(&sandbox.backups).len(), 1, "only the fine one");

    // An archive whose sidecar name could not be written is not catalogued, and says why.
    let copy = sandbox.backups.join(format!("{}.tar.gz", "x".repeat(242)));
    let first = archives_in(&sandbox.backups).pop().expect("a backup");
    fs::copy(sandbox.backups.join(first), &copy).expect("copy");
    let list = sandbox.run(["--json", "list"]);
    assert!(
        list.stderr.contains("left out of the catalog"),
        "{}",
        list.describe()
    );
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(1),
        "{}",
        list.describe()
    );
}
