//! The sample results shipped inside the app, so an analyst can try every flow within seconds
//! of the first launch. They are compiled into the binary (no resource paths that differ between
//! a development build, the tests and the installed package) and copied into the data folder.

use include_dir::{include_dir, Dir, DirEntry};
use std::path::Path;

static SAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../samples");

/// Copies every sample strategy folder into `results`. Files already there are left alone, so
/// trying the samples again never undoes what the analyst changed in them.
pub fn install_samples(results: &Path) -> results_backup::Result<usize> {
    results_backup::ensure_dir(results)?;
    let mut strategies = 0;
    for entry in SAMPLES.entries() {
        if let DirEntry::Dir(strategy) = entry {
            copy_dir(strategy, results)?;
            strategies += 1;
        }
    }
    Ok(strategies)
}

fn copy_dir(dir: &Dir<'_>, results: &Path) -> results_backup::Result<()> {
    results_backup::ensure_dir(&results.join(dir.path()))?;
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(inner) => copy_dir(inner, results)?,
            DirEntry::File(file) => {
                let target = results.join(file.path());
                if std::fs::symlink_metadata(&target).is_err() {
                    results_backup::write_atomically(&target, file.contents())?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_install_as_strategy_folders_and_never_overwrite_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let results = dir.path().join("sample results");
        let count = install_samples(&results).expect("installs");
        assert!(count >= 3, "several sample strategies, got {count}");
        let strategies: Vec<_> = std::fs::read_dir(&results)
            .expect("listing")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(strategies.len(), count);
        for strategy in &strategies {
            assert!(strategy.is_dir());
            assert!(
                strategy.join("metrics.json").is_file(),
                "{} has metrics",
                strategy.display()
            );
        }

        let metrics = strategies[0].join("metrics.json");
        std::fs::write(&metrics, b"{\"edited\": true}").expect("edit");
        install_samples(&results).expect("installs again");
        assert_eq!(
            std::fs::read(&metrics).expect("read"),
            b"{\"edited\": true}"
        );
    }
}
