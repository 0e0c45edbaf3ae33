//! A full check of the bytes gzipped into an archive (and of the bytes as they are, when they
//! already start with the gzip magic), never panicking. The gzipped archive is checked twice: by
//! its path from elsewhere, and by name inside the backups folder, where the catalog first
//! describes it (reading its embedded manifest, recreating the sidecar from it); both checks
//! must reach the same verdict.

#![no_main]

use libfuzzer_sys::fuzz_target;
use results_backup::check;
use results_backup::Locator;
use results_backup::{CancelToken, Locations, NoProgress};
use results_backup_fuzz::{gzip, starts_with_gzip_magic, temp_dir};

const NAME: &str = "fuzzed_20240101_120000.tar.gz";

fuzz_target!(|data: &[u8]| {
    let (_guard, root) = temp_dir();
    let incoming = root.join("incoming");
    let backups = root.join("backups");
    std::fs::create_dir_all(&incoming).unwrap();
    std::fs::create_dir_all(&backups).unwrap();
    let locations = Locations::new(root.join("results"), &backups);
    let run = |locator: Locator| {
        check(
            &locations,
            &locator,
            false,
            &NoProgress,
            &CancelToken::new(),
        )
    };

    let archive = gzip(data);
    let by_path = incoming.join("gzipped.tar.gz");
    std::fs::write(&by_path, &archive).unwrap();
    let outside = run(Locator::Path(by_path));

    std::fs::write(backups.join(NAME), &archive).unwrap();
    let inside = run(Locator::Name(NAME.to_string()));
    let verdict = |r: &results_backup::Result<results_backup::CheckReport>| {
        r.as_ref().ok().map(|report| report.ok)
    };
    assert_eq!(
        verdict(&outside),
        verdict(&inside),
        "by path: {:?}\nby name: {:?}",
        outside.as_ref().map(|r| &r.problems),
        inside.as_ref().map(|r| &r.problems)
    );

    if starts_with_gzip_magic(data) {
        let raw = incoming.join("raw.tar.gz");
        std::fs::write(&raw, data).unwrap();
        let _ = run(Locator::Path(raw));
    }
});
