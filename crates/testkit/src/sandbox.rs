//! One test's private world, and the CLI run inside it as a real process.
//!
//! A [`Sandbox`] is a temporary folder holding the settings file and the sandbox `root`; `root`
//! holds `results/` (created, empty) and `backups/` (not created), and is the CLI's working
//! directory. The settings file names both folders and lives outside `root`, so `root` holds
//! only what the test and the CLI put there.
//!
//! The CLI binary is handed in ([`Sandbox::new`]`(BIN)`) rather than looked up: only the
//! package that owns the binary can name it (`env!("CARGO_BIN_EXE_results-backup")`), and that
//! path is the one cargo built for this very test run (right profile, target triple and target
//! folder, rebuilt before the tests), where a guess at `target/<profile>/results-backup` could
//! find a stale binary or none.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use results_backup::Locations;

use crate::corpus::back_up_with_core;

/// Text that must never reach a person: panics, backtraces, `Debug` dumps of errors.
pub const FORBIDDEN_IN_OUTPUT: [&str; 4] = ["panicked", "RUST_BACKTRACE", "Os {", "Error {"];

/// A temporary world for one test; dropped = deleted.
pub struct Sandbox {
    _temp: tempfile::TempDir,
    /// The sandbox folder (canonical): the CLI's working directory.
    pub root: PathBuf,
    /// `<root>/results`.
    pub results: PathBuf,
    /// `<root>/backups`, not created: the CLI creates it.
    pub backups: PathBuf,
    /// The settings file the CLI reads (`RESULTS_BACKUP_SETTINGS`): it names `results` and
    /// `backups`. Outside `root`.
    pub settings: PathBuf,
    cli: PathBuf,
}

impl Sandbox {
    /// A sandbox with an empty `results/`, for the CLI at `cli`.
    pub fn new(cli: impl Into<PathBuf>) -> Sandbox {
        let sandbox = Sandbox::empty(cli);
        fs::create_dir_all(&sandbox.results).expect("create the results folder");
        sandbox
    }

    /// A sandbox whose `root` holds nothing at all, not even `results/`.
    pub fn empty(cli: impl Into<PathBuf>) -> Sandbox {
        let temp = tempfile::Builder::new()
            .prefix("rb-test-")
            .tempdir()
            .expect("create a temporary folder");
        let top = temp.path().canonicalize().expect("canonical temp path");
        let root = top.join("sandbox");
        fs::create_dir(&root).expect("create the sandbox folder");
        let results = root.join("results");
        let backups = root.join("backups");
        let settings = top.join("settings.json");
        let doc = serde_json::json!({
            "format_version": 1,
            "results_dir": results,
            "backups_dir": backups,
        });
        fs::write(&settings, serde_json::to_vec_pretty(&doc).expect("json"))
            .expect("write the settings file");
        Sandbox {
            _temp: temp,
            root,
            results,
            backups,
            settings,
            cli: cli.into(),
        }
    }

    /// `<root>/<relative>`, not created.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// A fresh folder `<root>/<name>` (e.g. a restore destination), created.
    pub fn dir(&self, name: &str) -> PathBuf {
        let d = self.root.join(name);
        fs::create_dir_all(&d).expect("create a folder");
        d
    }

    /// The CLI binary this sandbox runs.
    pub fn cli(&self) -> &Path {
        &self.cli
    }

    /// The library's view of this sandbox (default compression level).
    pub fn locations(&self) -> Locations {
        Locations::new(&self.results, &self.backups)
    }

    /// The environment every CLI child gets, on any command (the CLI itself, or a wrapper that
    /// starts it): working directory `root`, this sandbox's settings file, no location variables
    /// inherited from whoever runs the tests, backtraces on (so a panic could not hide), no
    /// input.
    pub fn isolate<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .current_dir(&self.root)
            .env("RESULTS_BACKUP_SETTINGS", &self.settings)
            .env_remove("RESULTS_BACKUP_RESULTS")
            .env_remove("RESULTS_BACKUP_BACKUPS")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
    }

    /// The CLI with `args`, isolated, ready to spawn. Pass `--results` / `--backups` to override
    /// the settings file.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command_wrapped(&[], args)
    }

    /// The same, run through `wrapper` (e.g. `setpriv ...`), which gets the binary and `args`.
    pub fn command_wrapped<I, S>(&self, wrapper: &[String], args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(&self.cli);
                c
            }
            None => Command::new(&self.cli),
        };
        self.isolate(&mut command);
        command.args(args);
        command
    }

    /// Runs the CLI to completion and captures what it said.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::of(&mut self.command(args))
    }

    /// Runs the CLI through `wrapper` to completion.
    pub fn run_wrapped<I, S>(&self, wrapper: &[String], args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::of(&mut self.command_wrapped(wrapper, args))
    }

    /// Backs one strategy up through the library with default options; returns the archive's
    /// file name.
    pub fn backup_lib(&self, strategy: &str) -> String {
        back_up_with_core(
            &self.results,
            &self.backups,
            strategy,
            results_backup::DEFAULT_LEVEL,
        )
    }

    /// Backs one strategy up through the CLI (`backup <strategy> --json`), asserting success;
    /// returns the archive's file name.
    pub fn backup_cli(&self, strategy: &str) -> String {
        let json = self
            .run(["backup", strategy, "--json"])
            .assert_success()
            .json();
        find_backup_file(&json).unwrap_or_else(|| panic!("no backup_file in {json}"))
    }
}

/// Finds the first `"backup_file"` string anywhere in a JSON document.
pub fn find_backup_file(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(s)) = map.get("backup_file") {
                return Some(s.clone());
            }
            map.values().find_map(find_backup_file)
        }
        serde_json::Value::Array(items) => items.iter().find_map(find_backup_file),
        _ => None,
    }
}

/// A finished CLI process (or any process: a wrapper, a shell script).
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// How it was started, for failure messages.
    pub command: String,
}

impl Run {
    /// Runs `command` to completion.
    pub fn of(command: &mut Command) -> Run {
        let shown = format!("{command:?}");
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("could not start {shown}: {e}"));
        Run::from_output(shown, output)
    }

    /// A process already waited for (e.g. `child.wait_with_output()`), started as `command`.
    pub fn from_output(command: impl Into<String>, output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            command: command.into(),
        }
    }

    /// Everything about the run, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    /// Exit 0, and no panic or dump in the output.
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0);
        self.assert_no_dump()
    }

    /// Exit `expected` (whatever the output says).
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "expected exit {expected}\n{}",
            self.describe()
        );
        self
    }

    /// Neither stream holds a panic, a backtrace or a `Debug` dump.
    pub fn assert_no_dump(&self) -> &Self {
        for bad in FORBIDDEN_IN_OUTPUT {
            assert!(
                !self.stderr.contains(bad) && !self.stdout.contains(bad),
                "output contains {bad:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Exit `code`, and stderr is `error: <one sentence>.` + `hint: ...` per failure (warnings
    /// aside), naming everything in `mentions`.
    pub fn assert_plain_error(&self, code: i32, mentions: &[&str]) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "wrong exit status\n{}",
            self.describe()
        );
        self.assert_no_dump();
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning: "))
            .collect();
        assert!(
            !lines.is_empty() && lines.len().is_multiple_of(2),
            "stderr should be error + hint lines\n{}",
            self.describe()
        );
        for pair in lines.chunks(2) {
            assert!(
                pair[0].starts_with("error: ") && pair[0].ends_with('.'),
                "not a plain error sentence: {:?}\n{}",
                pair[0],
                self.describe()
            );
            assert!(
                pair[1].starts_with("hint: ") && pair[1].len() > "hint: ".len(),
                "no hint after the error: {:?}\n{}",
                pair[1],
                self.describe()
            );
        }
        for mention in mentions {
            assert!(
                self.stderr.contains(mention),
                "the error should name {mention:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Exit 2 with clap's usage error, still without dumps.
    pub fn assert_usage_error(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(2),
            "expected a usage error\n{}",
            self.describe()
        );
        self.assert_no_dump();
        assert!(
            self.stderr.starts_with("error:"),
            "a usage error starts with `error:`\n{}",
            self.describe()
        );
        self
    }

    /// Stdout parsed as exactly one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}",
                self.describe()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the CLI: prints its settings file, arguments and working directory.
    fn fake_cli() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fake-cli");
        crate::files::write_file(
            &script,
            "#!/bin/sh\necho \"$RESULTS_BACKUP_SETTINGS|$*|$(pwd)|${RESULTS_BACKUP_RESULTS:-unset}\"\n",
        );
        crate::files::set_mode(&script, 0o755);
        (dir, script)
    }

    #[test]
    fn a_sandbox_holds_results_and_its_settings_name_both_folders() {
        let sandbox = Sandbox::new("/nonexistent/cli");
        assert!(sandbox.results.is_dir());
        assert!(!sandbox.backups.exists());
        assert_eq!(crate::files::names_in(&sandbox.root), ["results"]);
        assert!(!sandbox.settings.starts_with(&sandbox.root));
        let settings = crate::files::read_json(&sandbox.settings);
        assert_eq!(settings["results_dir"], sandbox.results.to_str().unwrap());
        assert_eq!(settings["backups_dir"], sandbox.backups.to_str().unwrap());
        assert!(crate::files::names_in(&Sandbox::empty("/x").root).is_empty());
    }

    #[test]
    fn the_runner_isolates_the_cli_and_reports_what_it_said() {
        let (_keep, cli) = fake_cli();
        let sandbox = Sandbox::new(&cli);
        let mut command = Command::new(&cli);
        command.env("RESULTS_BACKUP_RESULTS", "/leaked");
        sandbox.isolate(&mut command).args(["scan", "--json"]);
        let run = Run::of(&mut command);
        run.assert_success();
        assert_eq!(run.stdout, sandbox.run(["scan", "--json"]).stdout);
        assert_eq!(
            run.stdout.trim(),
            format!(
                "{}|scan --json|{}|unset",
                sandbox.settings.display(),
                sandbox.root.display()
            )
        );
        let wrapped = sandbox.run_wrapped(&["env".to_string()], ["list"]);
        assert!(wrapped.stdout.contains("|list|"), "{}", wrapped.describe());
    }

    #[test]
    fn run_assertions_catch_dumps_and_unplain_errors() {
        let run = |code: i32, stderr: &str| Run {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.to_string(),
            command: "test".into(),
        };
        run(1, "error: the folder x is missing.\nhint: create it\n")
            .assert_plain_error(1, &["folder x"]);
        run(2, "error: unexpected argument\n").assert_usage_error();
        for bad in [
            run(1, "thread 'main' panicked at src/main.rs\n"),
            run(1, "error: Os { code: 2 }.\nhint: x\n"),
            run(1, "error: no hint.\n"),
            run(0, ""),
        ] {
            let failed = std::panic::catch_unwind(|| {
                bad.assert_plain_error(1, &[]);
            });
            assert!(failed.is_err(), "{}", bad.describe());
        }
        assert!(std::panic::catch_unwind(|| {
            run(0, "panicked").assert_success();
        })
        .is_err());
        assert_eq!(
            Run {
                stdout: "{\"a\": 1}".into(),
                ..run(0, "")
            }
            .json()["a"],
            1
        );
    }
}
