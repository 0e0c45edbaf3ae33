//! Our archives are ordinary `.tar.gz` files: GNU tar, gzip, sha256sum and Python's tarfile read
//! them; and we read, restore and check archives that GNU tar made. These tools are required: a
//! missing one fails the test loudly (the CI installs them).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::BIN;
use results_backup_testkit::raw_tar::archive_members;
use results_backup_testkit::*;
use serde_json::Value;

/// Python 3: the system one when present, else whatever `python3` is on PATH.
fn python() -> std::process::Command {
    if Path::new("/usr/bin/python3").exists() {
        tool("/usr/bin/python3", "python3")
    } else {
        tool("python3", "python3")
    }
}

/// The full awkward corpus plus a file over 1 MB, so the gzip stream spans several blocks.
fn corpus(ws: &Sandbox, name: &str, seed: u64) -> PathBuf {
    let dir = build_strategy(&ws.results, name, seed);
    let big = dir.join("big/minute bars.csv");
    write_file(&big, csv_bytes(seed ^ 0xB16, 1_600 * 1024));
    set_mode(&big, 0o644);
    set_mode(&dir.join("big"), 0o755);
    set_mtime(&big, BASE_MTIME);
    set_mtime(&dir.join("big"), BASE_MTIME);
    set_mtime(&dir, BASE_MTIME);
    dir
}

/// Member names as GNU tar prints them (folders end in `/`), from our own reading.
fn expected_names(archive: &Path) -> Vec<String> {
    archive_members(archive)
        .into_iter()
        .map(|m| {
            if m.entry_type.is_dir() && !m.path.ends_with('/') {
                format!("{}/", m.path)
            } else {
                m.path
            }
        })
        .collect()
}

/// `path -> sha256` of every file entry in a manifest.
fn manifest_hashes(manifest: &Value) -> BTreeMap<String, String> {
    manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "file")
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn gnu_tar_lists_every_member_including_long_and_unicode_names() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "btc résumé", 1);
    let file = ws.backup_cli("btc résumé");
    let archive = ws.backups.join(&file);

    let listing = run_ok(
        tool("tar", "GNU tar")
            .args(["--quoting-style=literal", "-tzf"])
            .arg(&archive),
    );

    let listed: Vec<String> = listing.lines().map(str::to_string).collect();
    assert_eq!(listed, expected_names(&archive));
    let long = format!("btc résumé/{}", deep_file_rel());
    assert!(long.len() > 255);
    for name in [
        long.as_str(),
        "btc résumé/run résumé/équity curve.csv",
        "btc résumé/回测结果/净值曲线.csv",
        "btc résumé/empty folder/",
        "btc résumé/latest.csv",
        ".results-backup/manifest.json",
    ] {
        assert!(
            listed.iter().any(|l| l == name),
            "tar does not list {name}:\n{listing}"
        );
    }
    assert_eq!(listed.last().unwrap(), ".results-backup/manifest.json");
}

#[test]
fn gnu_tar_extracts_our_archive_into_the_same_tree_and_sha256sum_agrees_with_the_manifest() {
    let ws = Sandbox::new(BIN);
    let source = corpus(&ws, "eth", 2);
    let before = snapshot(&source);
    let file = ws.backup_cli("eth");
    let manifest = read_json(&sidecar_of(&ws.backups, &file));
    let out = ws.dir("gnu-out");

    run_ok(
        tool("tar", "GNU tar")
            .args(["-xzpf"])
            .arg(ws.backups.join(&file))
            .arg("-C")
            .arg(&out),
    );

    assert_same_tree(
        &before,
        &snapshot(&out.join("eth")),
        "the folder GNU tar extracted",
    );
    assert_eq!(names_in(&out), vec![".results-backup", "eth"]);
    // The embedded manifest comes out as an ordinary file, equal to the sidecar minus the
    // archive's own identity.
    let mut sidecar = manifest.clone();
    sidecar.as_object_mut().unwrap().remove("archive");
    sidecar.as_object_mut().unwrap().remove("index");
    assert_eq!(
        read_json(&out.join(".results-backup/manifest.json")),
        sidecar
    );

    // sha256sum, run on every extracted file, agrees with the manifest.
    let expected = manifest_hashes(&manifest);
    let mut cmd = tool("sha256sum", "coreutils");
    cmd.current_dir(&out).arg("--");
    for path in expected.keys() {
        cmd.arg(path);
    }
    let sums = run_ok(&mut cmd);
    let mut got = BTreeMap::new();
    for line in sums.lines() {
        let (hash, path) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("odd sha256sum line {line:?}"));
        assert!(!hash.starts_with('\\'), "escaped name in {line:?}");
        got.insert(path.to_string(), hash.to_string());
    }
    assert_eq!(got, expected);
    assert!(got.len() >= 12);
}

#[test]
fn gzip_accepts_our_archive_and_decompresses_it_to_a_plain_tar() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "gz", 3);
    let file = ws.backup_cli("gz");
    let archive = ws.backups.join(&file);

    run_ok(tool("gzip", "gzip").arg("-t").arg(&archive));

    // The decompressed stream is a tar GNU tar reads without gzip's help.
    let tar_bytes = run_ok_bytes(tool("gzip", "gzip").arg("-dc").arg(&archive));
    let plain = ws.root.join("plain.tar");
    fs::write(&plain, &tar_bytes).unwrap();
    let listing = run_ok(
        tool("tar", "GNU tar")
            .args(["--quoting-style=literal", "-tf"])
            .arg(&plain),
    );
    assert_eq!(
        listing.lines().map(str::to_string).collect::<Vec<_>>(),
        expected_names(&archive)
    );
    // Tar streams are whole 512-byte records.
    assert_eq!(tar_bytes.len() % 512, 0);
}

fn run_ok_bytes(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const PY_READ: &str = r#"
import hashlib, json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t.getmembers():
        item = {"name": m.name, "type": "dir" if m.isdir() else "file" if m.isfile() else "symlink" if m.issym() else "other",
                "mode": m.mode, "mtime": int(m.mtime), "size": m.size}
        if m.issym():
            item["target"] = m.linkname
        if m.isfile():
            item["sha256"] = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        out.append(item)
json.dump(out, sys.stdout, ensure_ascii=True)
"#;

#[test]
fn python_tarfile_reads_every_name_link_mode_time_and_content() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "py 回测", 4);
    let file = ws.backup_cli("py 回测");
    let manifest = read_json(&sidecar_of(&ws.backups, &file));

    let stdout = run_ok(
        python()
            .arg("-c")
            .arg(PY_READ)
            .arg(ws.backups.join(&file))
            .env("PYTHONIOENCODING", "utf-8"),
    );

    let members: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let last = members.last().unwrap();
    assert_eq!(last["name"], ".results-backup/manifest.json");
    let by_name: BTreeMap<&str, &Value> = members
        .iter()
        .map(|m| (m["name"].as_str().unwrap().trim_end_matches('/'), m))
        .collect();
    let entries = manifest["entries"].as_array().unwrap();
    assert_eq!(members.len(), entries.len() + 1, "{stdout}");
    for e in entries {
        let path = e["path"].as_str().unwrap();
        let m = by_name
            .get(path)
            .unwrap_or_else(|| panic!("python does not see {path}"));
        assert_eq!(m["type"], e["kind"], "{path}");
        assert_eq!(m["mtime"], e["mtime"], "{path}");
        if e["kind"] != "symlink" {
            assert_eq!(m["mode"], e["mode"], "{path}");
        }
        assert_eq!(m["sha256"], e["sha256"], "{path}");
        if e["kind"] == "symlink" {
            assert_eq!(m["target"], e["target"], "{path}");
        }
        if e["kind"] == "file" {
            assert_eq!(m["size"], e["size"], "{path}");
        }
    }
    let long = format!("py 回测/{}", deep_file_rel());
    assert!(by_name.contains_key(long.as_str()));
    assert!(by_name.contains_key("py 回测/run résumé/équity curve.csv"));
}

/// Makes `<dir>/<strategy>_20240102_030405.tar.gz` with GNU tar in the given format.
pub(crate) fn gnu_tar_archive(ws: &Sandbox, strategy: &str, format: &str, dir: &Path) -> PathBuf {
    let archive = dir.join(format!("{strategy}_20240102_030405.tar.gz"));
    run_ok(
        tool("tar", "GNU tar")
            .arg(format!("--format={format}"))
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&ws.results)
            .arg(strategy),
    );
    archive
}

#[test]
fn we_restore_an_archive_made_by_gnu_tar_with_a_warning_that_nothing_proves_it() {
    for format in ["gnu", "pax"] {
        let ws = Sandbox::new(BIN);
        let source = corpus(&ws, "foreign", 5);
        let before = snapshot(&source);
        let archive = gnu_tar_archive(&ws, "foreign", format, &ws.dir("inbox"));
        let dest = ws.root.join("restored");

        let run = ws.run([
            "restore",
            archive.to_str().unwrap(),
            "--to",
            dest.to_str().unwrap(),
            "--json",
        ]);
        run.assert_success();

        assert!(
            run.stderr.contains("warning") && run.stderr.contains("nothing can prove"),
            "{format}: no warning on stderr: {}",
            run.stderr
        );
        let json = run.json();
        assert_eq!(json["proof"], "none", "{format}");
        assert_eq!(json["strategy"], "foreign");
        assert!(!json["warnings"].as_array().unwrap().is_empty());
        assert_same_tree(
            &before,
            &snapshot(&dest.join("foreign")),
            "the restored folder",
        );
        assert_eq!(names_in(&dest), vec!["foreign"], "{format}");
    }
}

#[test]
fn a_gnu_tar_archive_under_any_name_is_known_by_the_folder_it_holds_before_restoring() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "foreign", 4);
    let inbox = ws.dir("inbox");
    let archive = inbox.join("export from the old server.tar.gz");
    fs::rename(gnu_tar_archive(&ws, "foreign", "pax", &inbox), &archive).unwrap();
    let dest = ws.dir("restored");
    fs::create_dir(dest.join("foreign")).unwrap();

    let catalog = results_backup::Catalog::load(&ws.backups, &results_backup::NoProgress).unwrap();
    let located = results_backup::locate_in(
        &catalog,
        &ws.backups,
        &results_backup::Locator::Path(archive.clone()),
    )
    .unwrap();
    assert_eq!(results_backup::known_identity(&located), None);
    let inspection =
        results_backup::inspect(&located, &results_backup::CancelToken::new()).unwrap();
    assert!(inspection.manifest.is_none(), "GNU tar writes no manifest");
    let identity = inspection.identity;
    assert_eq!(
        identity.strategy, "foreign",
        "the folder inside, not the file name"
    );
    assert_eq!(identity.timestamp, None, "a free-form name carries no time");

    let preview = results_backup::preview(&identity.strategy, identity.timestamp.as_ref(), &dest);
    assert!(preview.target_exists);
    let json = ws
        .run([
            "restore",
            archive.to_str().unwrap(),
            "--to",
            dest.to_str().unwrap(),
            "--on-conflict",
            "copy",
            "--json",
        ])
        .assert_success()
        .json();
    assert_eq!(
        json["restored_to"].as_str().unwrap(),
        preview.copy_target.to_str().unwrap(),
        "the restore lands where the preview said"
    );
}

#[test]
fn we_check_an_archive_made_by_gnu_tar_structure_ok_proof_none() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "foreign", 6);
    let archive = gnu_tar_archive(&ws, "foreign", "gnu", &ws.dir("inbox"));

    let json = ws
        .run(["check", archive.to_str().unwrap(), "--json"])
        .assert_success()
        .json();

    let report = &json[0];
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["result"], "ok");
    assert_eq!(report["proof"], "none");
    let text = ws
        .run(["check", archive.to_str().unwrap()])
        .assert_success()
        .stdout
        .clone();
    assert!(text.contains("no manifest"), "{text}");
}

#[test]
fn a_gnu_tar_archive_dropped_into_the_backups_folder_is_cataloged_without_proof() {
    let ws = Sandbox::new(BIN);
    corpus(&ws, "dropped", 7);
    fs::create_dir_all(&ws.backups).unwrap();
    let archive = gnu_tar_archive(&ws, "dropped", "gnu", &ws.backups);
    let file = archive.file_name().unwrap().to_str().unwrap().to_string();

    let run = ws.run(["list", "--json"]);
    run.assert_success();

    assert!(run.stderr.contains("nothing can prove"), "{}", run.stderr);
    let list = run.json();
    let entry = &list[0];
    assert_eq!(entry["backup_file"], file.as_str());
    assert_eq!(entry["strategy"], "dropped");
    assert_eq!(entry["timestamp"], "20240102_030405");
    assert_eq!(entry["has_manifest"], false);
    assert_eq!(entry["sha256"], sha256_file(&archive).as_str());
    let snap = snapshot(&ws.results.join("dropped"));
    assert_eq!(
        entry["files"],
        snap.values().filter(|n| n.kind == Kind::File).count()
    );
    // Restoring it by name works, with the same warning.
    let dest = ws.root.join("out");
    let run = ws.run(["restore", &file, "--to", dest.to_str().unwrap()]);
    run.assert_success();
    assert!(run.stderr.contains("nothing can prove"), "{}", run.stderr);
    assert_same_folders(&ws.results.join("dropped"), &dest.join("dropped"));
    let names: BTreeSet<String> = names_in(&ws.backups).into_iter().collect();
    assert!(names.contains(&file));
}
