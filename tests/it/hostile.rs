//! Restoring an archive that tries to escape, smuggle a link, a device or a duplicate, or whose
//! content was altered: every one is refused with exit 1 and an error naming the entry, by the CLI
//! and by the library, and the destination, its parent and the places the attack aims at are left
//! exactly as they were. `check` reports every one of them as damaged without writing anything.

use crate::BIN;
use results_backup_testkit::raw_tar::{benign_start, tamper_content, RawTar};
use results_backup_testkit::*;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use results_backup::{restore, OnConflict, RestoreOptions};
use results_backup::{CancelToken, Error, NoProgress};

/// From a member of the strategy folder inside the staging folder
/// (`home/dest/.results-backup-staging-*/strat/`), this climbs to the sandbox root, so an
/// extraction that obeyed it would land in `outside/`, a folder the tests watch.
const UP_TO_SANDBOX: &str = "../../../..";

/// The sandbox of one hostile test: a destination that already holds an analyst's work, a
/// watched folder outside it, and an `incoming/` folder where the archives are dropped.
struct World {
    sandbox: Sandbox,
    dest: PathBuf,
    outside: PathBuf,
    incoming: PathBuf,
}

impl World {
    fn new() -> World {
        let sandbox = Sandbox::new(BIN);
        let dest = sandbox.path("home/dest");
        write_file(&dest.join("notes.txt"), b"my notes\n");
        write_file(&dest.join("existing/kept.csv"), b"a,b\n1,2\n");
        std::os::unix::fs::symlink("kept.csv", dest.join("existing/latest")).unwrap();
        let outside = sandbox.path("outside");
        write_file(&outside.join("precious.txt"), b"do not touch\n");
        write_file(&sandbox.results.join("strat/data.csv"), b"x\n");
        let incoming = sandbox.path("incoming");
        fs::create_dir_all(&incoming).unwrap();
        World {
            sandbox,
            dest,
            outside,
            incoming,
        }
    }

    /// An absolute path into the watched folder, for absolute-path attacks.
    fn outside_abs(&self, name: &str) -> String {
        format!("{}/{name}", self.outside.display())
    }
}

/// One hostile archive and the entry the refusal must name: restore and check name it alike,
/// as the archive spells it.
struct Attack {
    label: &'static str,
    archive: Vec<u8>,
    entry: String,
}

fn attack(label: &'static str, tar: RawTar, entry: impl Into<String>) -> Attack {
    Attack {
        label,
        archive: tar.gzip(),
        entry: entry.into(),
    }
}

fn absolute_paths(w: &World) -> Vec<Attack> {
    let abs = w.outside_abs("abs_evil");
    vec![attack(
        "absolute path",
        benign_start("strat").file(&abs, b"evil\n"),
        abs,
    )]
}

fn dot_dot(_: &World) -> Vec<Attack> {
    let far = format!("strat/{UP_TO_SANDBOX}/outside/dotdot_evil");
    vec![
        attack(
            "dot-dot into the destination",
            benign_start("strat").file("strat/../../evil", b"evil\n"),
            "strat/../../evil",
        ),
        attack(
            "dot-dot out of the destination",
            benign_start("strat").file(&far, b"evil\n"),
            far,
        ),
        attack(
            "dot-dot hidden in the ustar prefix field",
            benign_start("strat").file_with_prefix(
                &format!("strat/{UP_TO_SANDBOX}"),
                "outside/prefix_evil",
                b"evil\n",
            ),
            format!("strat/{UP_TO_SANDBOX}/outside/prefix_evil"),
        ),
    ]
}

fn backslashes(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "backslash dot-dot",
            benign_start("strat").file("strat\\..\\evil", b"evil\n"),
            "strat\\..\\evil",
        ),
        attack(
            "backslash climbing far",
            benign_start("strat").file("strat\\..\\..\\..\\..\\outside\\evil", b"evil\n"),
            "strat\\..\\..\\..\\..\\outside\\evil",
        ),
    ]
}

fn drive_prefixes(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "drive with slash",
            benign_start("strat").file("C:/evil", b"evil\n"),
            "C:/evil",
        ),
        attack(
            "drive-relative",
            benign_start("strat").file("c:evil", b"evil\n"),
            "c:evil",
        ),
    ]
}

fn outside_the_strategy(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "second top-level folder",
            benign_start("strat").file("other/evil.txt", b"evil\n"),
            "other/evil.txt",
        ),
        attack(
            "top-level file",
            benign_start("strat").file("evil.txt", b"evil\n"),
            "evil.txt",
        ),
        attack(
            "inside our own hidden manifest folder",
            benign_start("strat").file(".results-backup/evil.txt", b"evil\n"),
            ".results-backup/evil.txt",
        ),
    ]
}

fn symlinks_out(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "relative link out",
            benign_start("strat").symlink("strat/link", "../../outside"),
            "strat/link",
        ),
        attack(
            "absolute link",
            benign_start("strat").symlink("strat/etc", "/etc"),
            "strat/etc",
        ),
        attack(
            "link out hidden in a PAX linkpath",
            benign_start("strat").pax_linkpath_symlink("strat/link", "ok.txt", "../../outside"),
            "strat/link",
        ),
        attack(
            "link out hidden in a GNU long link",
            benign_start("strat").gnu_long_link_symlink(
                "strat/link",
                "ok.txt",
                &format!("../{}/outside", "./".repeat(60)),
            ),
            "strat/link",
        ),
    ]
}

fn through_symlinks(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "file through a link to the folder itself",
            benign_start("strat")
                .symlink("strat/link", ".")
                .file("strat/link/evil.txt", b"evil\n"),
            "strat/link/evil.txt",
        ),
        attack(
            "file through a link to the parent folder",
            benign_start("strat")
                .dir("strat/sub/")
                .symlink("strat/sub/up", "..")
                .file("strat/sub/up/evil.txt", b"evil\n"),
            "strat/sub/up/evil.txt",
        ),
        attack(
            "file through a link that leaves",
            benign_start("strat")
                .symlink("strat/dir", "../")
                .file("strat/dir/file", b"evil\n"),
            "strat/dir",
        ),
        attack(
            "folder entry over a link",
            benign_start("strat")
                .symlink("strat/link", ".")
                .dir("strat/link/"),
            "strat/link/",
        ),
    ]
}

fn links_and_specials(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "hard link inside",
            benign_start("strat").hard_link("strat/hard", "strat/ok.txt"),
            "strat/hard",
        ),
        attack(
            "hard link to a system file",
            benign_start("strat").hard_link("strat/passwd", "/etc/passwd"),
            "strat/passwd",
        ),
        attack(
            "character device",
            benign_start("strat").char_device("strat/null"),
            "strat/null",
        ),
        attack(
            "block device",
            benign_start("strat").block_device("strat/disk"),
            "strat/disk",
        ),
        attack(
            "FIFO",
            benign_start("strat").fifo("strat/pipe"),
            "strat/pipe",
        ),
    ]
}

fn duplicates(_: &World) -> Vec<Attack> {
    vec![
        attack(
            "same name twice",
            benign_start("strat").file("strat/ok.txt", b"replaced!\n"),
            "strat/ok.txt",
        ),
        attack(
            "same entry spelled with ./",
            benign_start("strat").file("./strat/ok.txt", b"replaced!\n"),
            "./strat/ok.txt",
        ),
        attack(
            "same entry spelled with //",
            benign_start("strat").file("strat//ok.txt", b"replaced!\n"),
            "strat//ok.txt",
        ),
    ]
}

fn long_name_records(_: &World) -> Vec<Attack> {
    let pax = format!("strat/{UP_TO_SANDBOX}/outside/pax_evil");
    let gnu = format!("strat/{UP_TO_SANDBOX}/outside/{}gnu_evil", "x".repeat(100));
    vec![
        attack(
            "PAX path escapes",
            benign_start("strat").pax_path_file("strat/harmless.txt", &pax, b"evil\n"),
            pax,
        ),
        attack(
            "GNU long name escapes",
            benign_start("strat").gnu_long_name_file("strat/harmless.txt", &gnu, b"evil\n"),
            gnu,
        ),
    ]
}

/// Archives whose every name is harmless but whose shape is not the one backup folder restore
/// accepts: a file or a link where the strategy folder belongs, members under a link that points
/// back into its own folder or under a file, a second manifest, members after the manifest, a
/// strategy folder named to rewrite the terminal.
fn archive_shapes(_: &World) -> Vec<Attack> {
    let manifest = raw_tar::benign_manifest("strat", "20231114_221320");
    vec![
        attack(
            "a lone file where the strategy folder belongs",
            RawTar::new().file("report.html", b"<html>open me</html>\n"),
            "report.html",
        ),
        attack(
            "a link at the top pointing to itself, then a file through it",
            RawTar::new()
                .symlink("rl", ".")
                .file("rl/through.txt", b"evil\n"),
            "rl",
        ),
        attack(
            "a link to its own folder, then a file through it",
            benign_start("strat")
                .symlink("strat/rl", ".")
                .file("strat/rl/through.txt", b"evil\n"),
            "strat/rl/through.txt",
        ),
        attack(
            "a file under a file",
            benign_start("strat").file("strat/ok.txt/inner.txt", b"evil\n"),
            "strat/ok.txt/inner.txt",
        ),
        attack(
            "a second embedded manifest",
            benign_start("strat")
                .file(".results-backup/manifest.json", &manifest)
                .file(".results-backup/manifest.json", &manifest),
            ".results-backup/manifest.json",
        ),
        attack(
            "a member after the embedded manifest",
            benign_start("strat")
                .file(".results-backup/manifest.json", &manifest)
                .file("strat/late.txt", b"unverified\n"),
            "strat/late.txt",
        ),
        attack(
            "a strategy folder named with a terminal escape",
            RawTar::new()
                .dir("s\u{1b}[2Jx/")
                .file("s\u{1b}[2Jx/a.txt", b"x\n"),
            "s\\u{1b}[2Jx/",
        ),
    ]
}

type AttackFamily = fn(&World) -> Vec<Attack>;

const EVERY_FAMILY: [AttackFamily; 11] = [
    archive_shapes,
    absolute_paths,
    dot_dot,
    backslashes,
    drive_prefixes,
    outside_the_strategy,
    symlinks_out,
    through_symlinks,
    links_and_specials,
    duplicates,
    long_name_records,
];

/// Everything a restore or check could have touched: the whole sandbox without folder times
/// (the destination's own time moves when its staging folder comes and goes), and the
/// destination strictly.
struct Before {
    everything: Tree,
    dest: Tree,
}

fn before(w: &World) -> Before {
    Before {
        everything: snapshot_loose(&w.sandbox.root),
        dest: snapshot(&w.dest).without_root(),
    }
}

fn assert_untouched(w: &World, before: &Before, after_what: &str) {
    assert_same_tree(
        &before.dest,
        &snapshot(&w.dest).without_root(),
        &format!("the destination after {after_what}"),
    );
    assert_same_tree(
        &before.everything,
        &snapshot_loose(&w.sandbox.root),
        &format!("the sandbox after {after_what}"),
    );
    let staging: Vec<String> = names_in(&w.dest)
        .into_iter()
        .filter(|n| n.starts_with(".results-backup"))
        .collect();
    assert!(
        staging.is_empty(),
        "left behind after {after_what}: {staging:?}"
    );
}

fn lib_restore(w: &World, given: &str) -> Result<(), Error> {
    let locations = w.sandbox.locations();
    let options = RestoreOptions {
        destination: Some(w.dest.clone()),
        on_conflict: OnConflict::Fail,
        expected_destination: None,
        only: Vec::new(),
    };
    restore(
        &locations,
        &results_backup::Locator::from_argument(given),
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .map(|_| ())
}

fn cli_restore(w: &World, given: &str) -> Run {
    let dest = w.dest.to_string_lossy().into_owned();
    w.sandbox.run(["restore", given, "--to", &dest])
}

/// The heart of this file: the CLI and the library both refuse `attack`, naming its entry, and
/// `check` calls it damaged; after each, nothing anywhere in the sandbox changed.
fn assert_refused(w: &World, attack: &Attack) {
    let file = w
        .incoming
        .join(format!("{}.tar.gz", attack.label.replace([' ', '/'], "_")));
    fs::write(&file, &attack.archive).unwrap();
    let given = file.to_string_lossy().into_owned();
    let before = before(w);
    let what = format!("the {} attack", attack.label);

    let run = cli_restore(w, &given);
    run.assert_plain_error(1, &[&format!("entry \"{}\"", attack.entry), &given]);
    assert!(
        run.stdout.is_empty(),
        "{what}: nothing is reported restored\n{}",
        run.describe()
    );
    assert_untouched(w, &before, &format!("the CLI restore of {what}"));

    // Without --to the destination is the results folder itself.
    let results_before = snapshot(&w.sandbox.results).without_root();
    w.sandbox
        .run(["restore", &given])
        .assert_plain_error(1, &[&format!("entry \"{}\"", attack.entry)]);
    assert_same_tree(
        &results_before,
        &snapshot(&w.sandbox.results).without_root(),
        &format!("the results folder after restoring {what} there"),
    );
    assert_untouched(
        w,
        &before,
        &format!("the CLI restore of {what} into results"),
    );

    match lib_restore(w, &given) {
        Err(Error::UnsafeEntry { entry, path, .. }) => {
            assert_eq!(entry, attack.entry, "{what}: the library names the entry");
            assert_eq!(path, file);
        }
        other => panic!("{what}: the library should refuse with UnsafeEntry, got {other:?}"),
    }
    assert_untouched(w, &before, &format!("the library restore of {what}"));

    let run = w.sandbox.run(["check", &given]);
    assert_eq!(run.code, Some(1), "{what}: check fails\n{}", run.describe());
    run.assert_no_dump();
    assert!(
        run.stdout.contains("DAMAGED") && run.stdout.contains(attack.entry.as_str()),
        "{what}: check reports the entry as damaged\n{}",
        run.describe()
    );
    assert_untouched(w, &before, &format!("the check of {what}"));
    fs::remove_file(&file).unwrap();
}

fn refuse_family(family: AttackFamily) {
    let w = World::new();
    for attack in family(&w) {
        assert_refused(&w, &attack);
    }
}

#[test]
fn restore_refuses_absolute_paths() {
    refuse_family(absolute_paths);
}

#[test]
fn restore_refuses_dot_dot_climbing_out() {
    refuse_family(dot_dot);
}

#[test]
fn restore_refuses_backslash_separators() {
    refuse_family(backslashes);
}

#[test]
fn restore_refuses_drive_prefixes() {
    refuse_family(drive_prefixes);
}

#[test]
fn restore_refuses_entries_outside_the_single_strategy_folder() {
    refuse_family(outside_the_strategy);
}

#[test]
fn restore_refuses_symlinks_pointing_outside() {
    refuse_family(symlinks_out);
}

#[test]
fn restore_refuses_writing_through_a_symlink() {
    refuse_family(through_symlinks);
}

#[test]
fn restore_refuses_hard_links_devices_and_fifos() {
    refuse_family(links_and_specials);
}

#[test]
fn restore_refuses_the_same_entry_twice() {
    refuse_family(duplicates);
}

#[test]
fn restore_refuses_archives_not_shaped_as_one_strategy_folder() {
    refuse_family(archive_shapes);
}

#[test]
fn restore_refuses_pax_and_gnu_long_names_that_escape() {
    refuse_family(long_name_records);
}

/// The refusals above are about the hostile members, not about malformed bytes: the same
/// crafting makes an archive that restores, and GNU tar reads every hostile one.
#[test]
fn crafted_archives_are_well_formed() {
    let w = World::new();
    let benign = benign_start("strat")
        .dir("strat/runs/")
        .file("strat/runs/r1.csv", b"1,2,3\n")
        .symlink("strat/latest", "runs/r1.csv")
        .pax_path_file("strat/harmless.txt", "strat/é long name.txt", b"pax\n")
        .gnu_long_name_file(
            "strat/h2.txt",
            &format!("strat/{}", "n".repeat(120)),
            b"gnu\n",
        );
    let file = w.incoming.join("benign.tar.gz");
    fs::write(&file, benign.gzip()).unwrap();
    let run = cli_restore(&w, &file.to_string_lossy());
    run.assert_success();
    assert!(
        run.stderr.contains("not made by Results Backup"),
        "{}",
        run.describe()
    );
    let restored = w.dest.join("strat");
    assert_eq!(
        fs::read(restored.join("ok.txt")).unwrap(),
        b"harmless content\n"
    );
    assert_eq!(fs::read(restored.join("latest")).unwrap(), b"1,2,3\n");
    assert_eq!(
        fs::read(restored.join("é long name.txt")).unwrap(),
        b"pax\n"
    );
    assert_eq!(fs::read(restored.join("n".repeat(120))).unwrap(), b"gnu\n");

    require_tool("tar", "GNU tar");
    for family in EVERY_FAMILY {
        for attack in family(&w) {
            let path = w.incoming.join("listed.tar.gz");
            fs::write(&path, &attack.archive).unwrap();
            let listing = Run::of(
                Command::new("tar")
                    .args(["--quoting-style=literal", "-tzf"])
                    .arg(&path),
            );
            assert_eq!(
                listing.code,
                Some(0),
                "{}: {}",
                attack.label,
                listing.describe()
            );
            // Messages show control characters escaped; GNU tar lists them raw.
            let raw = attack.entry.replace("\\u{1b}", "\u{1b}");
            let shown = raw.trim_start_matches('/').trim_end_matches('/');
            assert!(
                listing.stdout.contains(shown),
                "{}: GNU tar lists {shown:?}\n{}",
                attack.label,
                listing.describe()
            );
        }
    }
}

/// Backs up `strat` with the CLI and returns the name of its one archive.
fn back_up_strat(world: &World) -> String {
    world.sandbox.run(["backup", "strat"]).assert_success();
    let archives: Vec<String> = names_in(&world.sandbox.backups)
        .into_iter()
        .filter(|n| n.ends_with(".tar.gz") && !n.starts_with('.'))
        .collect();
    assert_eq!(archives.len(), 1, "one backup made: {archives:?}");
    archives[0].clone()
}

/// Rewrites the sidecar's record of the archive's own size and SHA-256 to match `archive`, as an
/// attacker who can write the backups folder would.
fn forge_sidecar_checksum(world: &World, backup_file: &str, archive: &[u8]) {
    let sidecar = world
        .sandbox
        .backups
        .join(backup_file.replace(".tar.gz", ".manifest.json"));
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&sidecar).unwrap()).unwrap();
    manifest["archive"]["sha256"] = sha256_hex(archive).into();
    manifest["archive"]["size"] = (archive.len() as u64).into();
    fs::write(&sidecar, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// A real backup whose `trades.csv` holds a marker the tampering rewrites.
struct Tampered {
    world: World,
    backup_file: String,
    original: Vec<u8>,
}

const MARKER: &[u8] = b"TAMPER-ME-0123456789";
const REWRITTEN: &[u8] = b"TAMPER-ME-9876543210";

fn tampered_backup() -> Tampered {
    let world = World::new();
    let results = world.sandbox.results.clone();
    let mut trades = b"date,pnl\n".to_vec();
    trades.extend_from_slice(MARKER);
    trades.extend_from_slice(b",42\n");
    write_file(&results.join("strat/trades.csv"), &trades);
    write_file(
        &results.join("strat/runs/r1/metrics.json"),
        b"{\"sharpe\": 1.5}\n",
    );
    let backup_file = back_up_strat(&world);
    let backups = world.sandbox.backups.clone();
    let path = backups.join(&backup_file);
    let original = fs::read(&path).unwrap();
    fs::write(&path, tamper_content(&original, MARKER, REWRITTEN)).unwrap();
    Tampered {
        world,
        backup_file,
        original,
    }
}

fn assert_tamper_refused(w: &World, given: &str, mentions: &[&str]) {
    let before = before(w);
    let run = cli_restore(w, given);
    run.assert_plain_error(1, mentions);
    assert_untouched(w, &before, "restoring a tampered archive");
    match lib_restore(w, given) {
        Err(Error::VerificationFailed { .. }) => {}
        other => panic!("the library should refuse with VerificationFailed, got {other:?}"),
    }
    assert_untouched(w, &before, "restoring a tampered archive with the library");
}

#[test]
fn restore_refuses_an_archive_whose_content_was_altered_against_its_sidecar() {
    let t = tampered_backup();
    let w = &t.world;
    assert_tamper_refused(w, &t.backup_file, &[&t.backup_file, "SHA-256"]);

    let catalog = fs::read(w.sandbox.backups.join("catalog.json")).unwrap();
    let run = w.sandbox.run(["check", &t.backup_file]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert!(run.stdout.contains("DAMAGED"), "{}", run.describe());
    assert!(
        run.stdout.contains("strat/trades.csv"),
        "{}",
        run.describe()
    );
    // The check result is recorded, nothing else about the catalog changes.
    let after: serde_json::Value =
        serde_json::from_slice(&fs::read(w.sandbox.backups.join("catalog.json")).unwrap()).unwrap();
    let before: serde_json::Value = serde_json::from_slice(&catalog).unwrap();
    assert_eq!(after["backups"].as_array().unwrap().len(), 1);
    assert_eq!(
        after["backups"][0]["sha256"],
        before["backups"][0]["sha256"]
    );
    assert_eq!(after["backups"][0]["check_result"], "damaged");
}

#[test]
fn restore_refuses_an_altered_archive_even_when_its_sidecar_checksum_was_forged() {
    let t = tampered_backup();
    let w = &t.world;
    let backups = w.sandbox.backups.clone();
    let archive = backups.join(&t.backup_file);
    let tampered = fs::read(&archive).unwrap();
    assert_ne!(tampered, t.original);
    forge_sidecar_checksum(w, &t.backup_file, &tampered);

    assert_tamper_refused(w, &t.backup_file, &["strat/trades.csv", "SHA-256"]);
    let run = w.sandbox.run(["check", &t.backup_file]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("strat/trades.csv"),
        "{}",
        run.describe()
    );
}

#[test]
fn restore_refuses_a_lone_altered_archive_against_its_embedded_manifest() {
    let t = tampered_backup();
    let w = &t.world;
    let lone = w.incoming.join(&t.backup_file);
    fs::copy(w.sandbox.backups.join(&t.backup_file), &lone).unwrap();
    let given = lone.to_string_lossy().into_owned();

    assert_tamper_refused(w, &given, &[&given, "strat/trades.csv", "SHA-256"]);
    let before = before(w);
    let run = w.sandbox.run(["check", &given]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("strat/trades.csv"),
        "{}",
        run.describe()
    );
    assert_untouched(w, &before, "checking a lone tampered archive");

    // The untampered archive restores from the same place: the refusal was the tampering's.
    fs::write(&lone, &t.original).unwrap();
    cli_restore(w, &given).assert_success();
    assert_eq!(
        fs::read(w.dest.join("strat/trades.csv")).unwrap(),
        fs::read(w.sandbox.results.join("strat/trades.csv")).unwrap()
    );
}

/// A real backup whose archive is then replaced by `hostile`, with the sidecar's checksum forged to
/// match, so only the manifest's list of entries stands between the archive and the disk.
fn backup_replaced_by(hostile: &RawTar) -> (World, String) {
    let world = World::new();
    let backup_file = back_up_strat(&world);
    let backups = world.sandbox.backups.clone();
    let archive = hostile.gzip();
    fs::write(backups.join(&backup_file), &archive).unwrap();
    forge_sidecar_checksum(&world, &backup_file, &archive);
    (world, backup_file)
}

/// Both ways to the library and the CLI: refused as unverifiable before the entry is written.
fn assert_refused_before_writing(w: &World, given: &str, mentions: &[&str]) {
    let before = before(w);
    let mut expected = vec![given, "stopped before writing it"];
    expected.extend_from_slice(mentions);
    cli_restore(w, given).assert_plain_error(1, &expected);
    assert_untouched(w, &before, "restoring a swollen archive");
    match lib_restore(w, given) {
        Err(Error::VerificationFailed { detail, .. }) => {
            for mention in mentions {
                assert!(detail.contains(mention), "{detail} names {mention}");
            }
        }
        other => panic!("the library should refuse with VerificationFailed, got {other:?}"),
    }
    assert_untouched(w, &before, "restoring a swollen archive with the library");
}

#[test]
fn restore_refuses_a_file_larger_than_its_manifest_says_before_writing_it() {
    // 2 MB claimed where the manifest lists 2 bytes: refused at the member's header.
    let claimed: u64 = 2_000_000;
    let hostile = RawTar::new()
        .dir("strat/")
        .file("strat/data.csv", &vec![b'x'; claimed as usize]);
    let (w, backup_file) = backup_replaced_by(&hostile);
    assert_refused_before_writing(
        &w,
        &backup_file,
        &[
            "strat/data.csv",
            &format!("{claimed} bytes"),
            "manifest says 2",
        ],
    );
}

#[test]
fn restore_refuses_a_file_claiming_more_than_the_archive_can_hold_before_writing_it() {
    // 8 GB claimed, a few bytes present: extracting it first would fail only at the end of the
    // stream, after filling the disk with whatever the archive holds.
    let claimed: u64 = 8_000_000_000;
    let hostile =
        RawTar::new()
            .dir("strat/")
            .truncated_file("strat/data.csv", claimed, b"x\n and much more");
    let (w, backup_file) = backup_replaced_by(&hostile);
    let before = before(&w);
    cli_restore(&w, &backup_file).assert_plain_error(
        1,
        &[
            &backup_file,
            "strat/data.csv",
            &format!("claims {claimed} bytes"),
            "Nothing was written",
        ],
    );
    assert_untouched(&w, &before, "restoring a swollen archive");
    match lib_restore(&w, &backup_file) {
        Err(Error::UnsafeArchive { detail, .. }) => assert!(detail.contains("decompression bomb")),
        other => panic!("the library should refuse with UnsafeArchive, got {other:?}"),
    }
    assert_untouched(&w, &before, "restoring a swollen archive with the library");
}

#[test]
fn restore_refuses_a_file_its_manifest_does_not_list_before_writing_it() {
    let hostile = RawTar::new()
        .dir("strat/")
        .file("strat/data.csv", b"x\n")
        .file("strat/smuggled.bin", &vec![0u8; 4 << 20]);
    let (w, backup_file) = backup_replaced_by(&hostile);
    assert_refused_before_writing(
        &w,
        &backup_file,
        &["strat/smuggled.bin", "not in the manifest"],
    );
}
