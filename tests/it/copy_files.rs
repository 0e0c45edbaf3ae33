//! Copying a backup file that no catalog knows (mailed, found on a share, dropped on the
//! window) into a store: it travels with a sidecar made from its own manifest, and only when
//! that manifest holds for it. Anything that cannot prove itself is refused with nothing written.

use std::fs;
use std::path::Path;

use crate::interop::gnu_tar_archive;
use crate::s3::{assert_copied, restore_from_store, run_s3};
use crate::BIN;
use results_backup_testkit::s3::S3Server;
use results_backup_testkit::*;
use serde_json::Value;

/// A backup made in the sandbox, copied alone (without its sidecar) into `mailbox`.
fn lone_archive(ws: &Sandbox, strategy: &str, seed: u64) -> (String, std::path::PathBuf) {
    build_small_strategy(&ws.results, strategy, seed);
    let file = ws.backup_lib(strategy);
    let lone = ws.dir("mailbox").join(&file);
    fs::copy(ws.backups.join(&file), &lone).expect("copy the archive alone");
    (file, lone)
}

/// What a folder holds, besides nothing: it must not exist or be empty of backups and leftovers.
fn assert_nothing_written(folder: &Path) {
    let names: Vec<String> = match fs::read_dir(folder) {
        Ok(items) => items
            .flatten()
            .map(|item| item.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    let written: Vec<&String> = names
        .iter()
        .filter(|name| {
            name.contains(".tar.gz") || name.contains(".manifest.json") || name.contains("partial")
        })
        .collect();
    assert!(written.is_empty(), "{written:?} in {}", folder.display());
    if let Ok(bytes) = fs::read(folder.join("catalog.json")) {
        let catalog: Value = serde_json::from_slice(&bytes).expect("catalog JSON");
        assert_eq!(
            catalog["backups"].as_array().map(Vec::len),
            Some(0),
            "{catalog}"
        );
    }
}

#[test]
fn a_lone_archive_goes_into_a_store_with_a_sidecar_from_its_embedded_manifest() {
    let server = S3Server::start();
    let ws = Sandbox::new(BIN);
    let (file, lone) = lone_archive(&ws, "lone", 3);
    let source = snapshot(&ws.results.join("lone"));
    // Nothing of the backups folder it came from is left to lean on.
    fs::remove_dir_all(&ws.backups).expect("remove the backups folder");
    let store = server.address("team");
    let lone_arg = lone.to_string_lossy().to_string();

    let copied = run_s3(&ws, &server, &["copy", &lone_arg, "--to", &store, "--json"]);
    assert_copied(&copied, "copied");
    assert_eq!(copied.json()[0]["sha256"], sha256_file(&lone));

    let (status, bytes) = server.get_object(&format!(
        "team/{}",
        file.replace(".tar.gz", ".manifest.json")
    ));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let sidecar: Value = serde_json::from_slice(&bytes).expect("the sidecar in the store is JSON");
    assert_eq!(sidecar["archive"]["file"], file.as_str());
    assert_eq!(sidecar["archive"]["sha256"], sha256_file(&lone));
    assert_eq!(sidecar["strategy"], "lone");

    let check = run_s3(
        &ws,
        &server,
        &["--backups", &store, "check", &file, "--json"],
    );
    check.assert_success();
    assert_eq!(check.json()[0]["ok"], true, "{}", check.describe());
    assert_eq!(check.json()[0]["proof"], "manifest", "{}", check.describe());
    let to = ws.root.join("restored");
    restore_from_store(&ws, &server, &server.endpoint(), (&store, &file), &to, &[])
        .assert_success();
    assert_same_tree(
        &source,
        &snapshot(&to.join("lone")),
        "restored from the store",
    );

    let again = run_s3(&ws, &server, &["copy", &lone_arg, "--to", &store, "--json"]);
    assert_copied(&again, "already_there");
}

#[test]
fn an_archive_with_its_sidecar_goes_into_a_folder_and_is_catalogued_there() {
    let ws = Sandbox::new(BIN);
    let (file, lone) = lone_archive(&ws, "paired", 4);
    let sidecar = file.replace(".tar.gz", ".manifest.json");
    fs::copy(ws.backups.join(&sidecar), lone.with_file_name(&sidecar)).expect("copy the sidecar");
    let trip = ws.root.join("trip");
    let trip_arg = trip.to_string_lossy().to_string();

    let copied = ws.run(["copy", lone.to_str().unwrap(), "--to", &trip_arg, "--json"]);
    assert_copied(&copied, "copied");
    assert_eq!(
        fs::read(trip.join(&file)).unwrap(),
        fs::read(&lone).unwrap()
    );

    let listed = ws
        .run(["--backups", &trip_arg, "list", "--json"])
        .assert_success()
        .json();
    assert_eq!(listed[0]["backup_file"], file.as_str(), "{listed}");
    let check = ws.run(["--backups", &trip_arg, "check", &file, "--json"]);
    check.assert_success();
    assert_eq!(check.json()[0]["proof"], "manifest", "{}", check.describe());
}

/// Copies `path` into a fresh folder and expects the refusal `code` naming `mentions`.
fn assert_refused(ws: &Sandbox, path: &Path, code: &str, mentions: &str) {
    let target = ws.root.join(format!("target-{code}"));
    let run = ws.run([
        "copy",
        path.to_str().unwrap(),
        "--to",
        target.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let error = &run.json()[0]["error"];
    assert_eq!(error["code"], code, "{}", run.describe());
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains(mentions),
        "{}",
        run.describe()
    );
    assert!(!error["hint"].as_str().unwrap_or_default().is_empty());
    assert_nothing_written(&target);
}

#[test]
fn a_file_that_cannot_prove_itself_is_refused_and_nothing_is_written() {
    let ws = Sandbox::new(BIN);
    let (file, lone) = lone_archive(&ws, "alpha", 5);

    // Renamed: the name no longer says what the manifest inside says.
    let renamed = lone.with_file_name("beta_20240101_000000.tar.gz");
    fs::copy(&lone, &renamed).unwrap();
    assert_refused(&ws, &renamed, "not_copyable", "another strategy or time");

    // Not a backup's name at all.
    let notes = lone.with_file_name("notes.tar.gz");
    fs::copy(&lone, &notes).unwrap();
    assert_refused(&ws, &notes, "not_copyable", "not a backup's name");

    // Made by another tool: no manifest inside, nothing could prove a copy.
    build_small_strategy(&ws.results, "foreign", 6);
    let foreign = gnu_tar_archive(&ws, "foreign", "gnu", &ws.dir("inbox"));
    assert_refused(&ws, &foreign, "not_copyable", "no manifest");

    // Its sidecar describes other bytes than the archive beside it now holds.
    let sidecar = file.replace(".tar.gz", ".manifest.json");
    let tampered_dir = ws.dir("tampered");
    let tampered = tampered_dir.join(&file);
    let mut bytes = fs::read(&lone).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    fs::write(&tampered, bytes).unwrap();
    fs::copy(ws.backups.join(&sidecar), tampered_dir.join(&sidecar)).unwrap();
    assert_refused(&ws, &tampered, "verification_failed", "SHA-256");

    // A sidecar beside it that cannot be read is reported, never replaced by the embedded copy.
    let forged_dir = ws.dir("forged");
    fs::copy(&lone, forged_dir.join(&file)).unwrap();
    fs::write(forged_dir.join(&sidecar), b"{\"format\": 7").unwrap();
    assert_refused(&ws, &forged_dir.join(&file), "invalid_manifest", "manifest");
}
