//! `results-backup`: the command line over the core library, for analysts' terminals and quants'
//! scripts. It only parses arguments, draws progress and prints results; every rule lives in the
//! library.

mod cli_output;
mod terminal_progress;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

use results_backup::{
    back_up_each_in, check_all_in, check_in, copy_between, delete_in, diff_backups_in,
    diff_current_in, extract_file_in, forget_after_automatic, forget_in, manifest_of,
    parse_time_of_day, quoted, restore_in, scan_in, select_backups, strategy_names, validate_level,
    AutomaticPolicy, AutomaticSettings, BackupOptions, BackupsStore, CancelToken, Error,
    ForgetRequest, KeepWithin, Locations, Locator, MetricFilter, MetricSort, OnConflict, Overrides,
    Protector, ProtectorOptions, RemoteChoice, RemoteStore, RestoreOptions, RetentionPolicies,
    RetentionPolicy, S3Location, Schedule, ScheduleState, Settings, StrategyName, WatchOptions,
    Weekday, DEFAULT_QUIET_SECONDS, QUIET_SECONDS_RANGE,
};

use cli_output::Output;
use terminal_progress::TerminalProgress;

#[derive(Parser)]
#[command(
    name = "results-backup",
    version,
    about = "Back up, check and restore trading-strategy results as verified .tar.gz archives"
)]
struct Cli {
    /// Folder whose sub-folders are strategies [env: RESULTS_BACKUP_RESULTS] [default: ./results]
    #[arg(long, global = true, value_name = "DIR")]
    results: Option<PathBuf>,
    /// Folder that holds the backups and catalog.json, or an S3 store s3://bucket/prefix [env: RESULTS_BACKUP_BACKUPS] [default: backups beside the results folder]
    #[arg(long, global = true, value_name = "DIR")]
    backups: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    json: bool,
    /// Endpoint of an S3-compatible server, for an s3:// store (default: AWS)
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    /// Region of an s3:// store [default: us-east-1]
    #[arg(long, global = true, value_name = "REGION")]
    region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the strategies and whether each is protected by its latest backup
    Scan,
    /// Back up strategies into timestamped .tar.gz archives
    #[command(group(clap::ArgGroup::new("which").required(true).args(["strategies", "all"])))]
    Backup {
        /// Strategy folder names (see `scan`)
        #[arg(value_name = "STRATEGY")]
        strategies: Vec<String>,
        /// Back up every strategy
        #[arg(long)]
        all: bool,
        /// Compression level, 1 (fastest) to 9 (smallest) [default: 6]
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=9))]
        level: Option<u32>,
        /// Skip strategies unchanged since their latest backup
        #[arg(long)]
        if_changed: bool,
    },
    /// Copy backups from the current store (the backups folder, or --backups s3://...) into
    /// another: an S3 store (s3://bucket/prefix) or a folder. Verified by SHA-256; what the
    /// target already has is skipped. Credentials come from the AWS environment or ~/.aws.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["names", "all"])))]
    Copy {
        /// Backup file names (see `list`), or paths to backup files (./alpha_....tar.gz)
        #[arg(value_name = "BACKUP")]
        names: Vec<String>,
        /// Copy every backup the current store lists
        #[arg(long)]
        all: bool,
        /// The store to copy into: s3://bucket/prefix (with --endpoint and --region) or a folder
        #[arg(long, value_name = "STORE")]
        to: String,
    },
    /// List backups, newest first, with their key metrics
    List {
        #[arg(long)]
        strategy: Option<String>,
        /// Only backups whose metrics match, e.g. 'sharpe >= 1.5 and max_drawdown > -20'
        /// (and, or, not, parentheses; >= <= > < = !=; percent metrics in percent)
        #[arg(long = "where", value_name = "EXPR")]
        filter: Option<String>,
        /// Order by a metric, lowest first; -KEY for highest first (missing values last)
        #[arg(long, value_name = "[-]KEY", allow_hyphen_values = true)]
        sort: Option<String>,
    },
    /// Compare two backups (metrics and files, from their manifests), or a backup with its
    /// strategy folder as it is now (--current)
    #[command(group(clap::ArgGroup::new("against").required(true).args(["other", "current"])))]
    Diff {
        /// The earlier backup (name as listed, or a path to a .tar.gz)
        backup: String,
        /// The later backup
        other: Option<String>,
        /// Compare with the strategy folder as it is now (sizes and times)
        #[arg(long)]
        current: bool,
        /// With --current: hash files whose size is unchanged, to catch any edit
        #[arg(long)]
        verify: bool,
    },
    /// Show one backup's manifest
    Show { backup: String },
    /// Prove backups unchanged (archive checksum, structure and every file)
    #[command(group(clap::ArgGroup::new("which").required(true).args(["names", "all"])))]
    Check {
        // Not called `backups`: that id belongs to the global `--backups` folder, and clap
        // panics on the clash at parse time.
        /// Backup names (as listed) or paths to .tar.gz files
        #[arg(value_name = "BACKUP")]
        names: Vec<String>,
        #[arg(long)]
        all: bool,
        /// Only compare the archive's SHA-256 with the manifest
        #[arg(long)]
        quick: bool,
    },
    /// Restore a backup into a folder, verifying every file first
    Restore {
        backup: String,
        /// Destination folder [default: the results folder]
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// What to do when the strategy folder already exists there (with --only, replace
        /// swaps in only the chosen files and folders, after backing up the folder)
        #[arg(long, value_enum, default_value_t = ConflictChoice::Copy)]
        on_conflict: ConflictChoice,
        /// Restore only this file or folder (a path inside the strategy folder, e.g.
        /// runs/run_003/trades.csv); repeat for more
        #[arg(long, value_name = "PATH")]
        only: Vec<String>,
    },
    /// Take one file out of a backup, verified, into a new private folder; prints its path
    Extract {
        backup: String,
        /// The file's path inside the strategy folder, e.g. runs/run_003/trades.csv
        #[arg(value_name = "PATH")]
        member: String,
        /// Folder in which the private folder is made [default: the system's temporary folder]
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// Delete a backup: archive, manifest and catalog entry
    Delete {
        backup: String,
        /// Confirm the deletion
        #[arg(long)]
        yes: bool,
    },
    /// Stay in the foreground and back up automatically: when a strategy changed and then was
    /// quiet, and/or on a schedule. Uses the settings file's `automatic` policy unless flags are
    /// given (flags replace it). Ctrl-C stops cleanly.
    Watch {
        /// Back up a strategy when its files change, once they have been quiet for --quiet
        #[arg(long)]
        on_change: bool,
        /// How long a strategy must be quiet before it is backed up: 90s, 5m, 1h [default: 60s]
        #[arg(long, value_name = "DURATION", value_parser = parse_quiet)]
        quiet: Option<u32>,
        /// Back up on a schedule too: every hour, day or week (missed runs run once at start)
        #[arg(long, value_enum)]
        every: Option<Every>,
        /// With --every day or week: the local time, HH:MM [default: 00:00]; with --every hour:
        /// the minute past the hour [default: 0]
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// With --every week: the day, e.g. monday [default: monday]
        #[arg(long, value_name = "DAY")]
        on: Option<String>,
        /// Poll the folder instead of using the system's file watcher (network disks)
        #[arg(long)]
        poll: bool,
    },
    /// Delete old backups by a retention policy (restic's --keep-* rules), per strategy
    ///
    /// For each rule, the newest backup of each period is kept, periods without backups do not
    /// count, and the rules add up. The newest backup of a strategy is always kept. Without any
    /// --keep-* flag, the policy in the settings file applies.
    Forget {
        /// Only this strategy's backups [default: every strategy]
        #[arg(long)]
        strategy: Option<String>,
        /// Keep the N newest backups
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_last: Option<String>,
        /// Keep the newest backup of each of the last N hours that have one
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_hourly: Option<String>,
        /// Keep the newest backup of each of the last N days that have one
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_daily: Option<String>,
        /// Keep the newest backup of each of the last N ISO weeks that have one
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_weekly: Option<String>,
        /// Keep the newest backup of each of the last N months that have one
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_monthly: Option<String>,
        /// Keep the newest backup of each of the last N years that have one
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        keep_yearly: Option<String>,
        /// Keep every backup made within this long before the newest one (e.g. 30d, 6m, 1y2m3d4h)
        #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
        keep_within: Option<String>,
        /// Show what would be kept and removed; delete nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Maintain the catalog
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Recreate the catalog: a folder's catalog.json from the manifests and archives; an S3
    /// store's missing catalog entries from the sidecars (and its cache)
    Rebuild {
        /// In an S3 store, read the manifest embedded in each archive whose sidecar is missing
        /// or unusable (downloads those archives; a folder always does this)
        #[arg(long)]
        from_archives: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Every {
    Hour,
    Day,
    Week,
}

/// `90`, `90s`, `5m`, `1h` as whole seconds, within the quiet period's bounds.
fn parse_quiet(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("\"{text}\" is not a duration like 90s, 5m or 1h")),
    };
    let seconds = digits
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("\"{text}\" is not a duration like 90s, 5m or 1h"))?;
    if QUIET_SECONDS_RANGE.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "the quiet period must be between {} seconds and {} hours, not {seconds} seconds",
            QUIET_SECONDS_RANGE.start(),
            QUIET_SECONDS_RANGE.end() / 3600
        ))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ConflictChoice {
    /// Restore beside it as <strategy>_restored_<timestamp>
    Copy,
    /// Back up the existing folder first, then replace it
    Replace,
    /// Stop with an error
    Fail,
}

/// The `--keep-*` flags as typed: checked here into a policy, so a negative, zero or
/// non-numeric count gets the core's plain message rather than a parser's.
struct PolicyFlags {
    keep_last: Option<String>,
    keep_hourly: Option<String>,
    keep_daily: Option<String>,
    keep_weekly: Option<String>,
    keep_monthly: Option<String>,
    keep_yearly: Option<String>,
    keep_within: Option<String>,
}

impl PolicyFlags {
    /// The policy the flags give, or `None` when no flag was given.
    fn policy(self) -> Result<Option<RetentionPolicy>, Error> {
        let invalid = |detail: String| Error::InvalidPolicy { detail };
        let count = |flag: &str, value: Option<String>| -> Result<Option<u32>, Error> {
            let Some(text) = value else {
                return Ok(None);
            };
            let number: i128 = text.trim().parse().map_err(|_| {
                invalid(format!(
                    "{flag} must be a whole number, not \"{}\"",
                    quoted(&text)
                ))
            })?;
            RetentionPolicy::count(flag, number)
                .map(Some)
                .map_err(invalid)
        };
        let policy = RetentionPolicy {
            keep_last: count("--keep-last", self.keep_last)?,
            keep_hourly: count("--keep-hourly", self.keep_hourly)?,
            keep_daily: count("--keep-daily", self.keep_daily)?,
            keep_weekly: count("--keep-weekly", self.keep_weekly)?,
            keep_monthly: count("--keep-monthly", self.keep_monthly)?,
            keep_yearly: count("--keep-yearly", self.keep_yearly)?,
            keep_within: self
                .keep_within
                .map(|text| KeepWithin::parse(&text).map_err(invalid))
                .transpose()?,
        };
        if policy.is_empty() {
            return Ok(None);
        }
        policy.validate()?;
        Ok(Some(policy))
    }
}

/// Exit statuses scripts rely on.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
/// 128 + SIGINT, what shells report for a command stopped by Ctrl-C, so a script can tell "the
/// person stopped it" from "it failed".
const EXIT_CANCELLED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    // clap's `requires` does not hold against a positional argument of the same group.
    if let Command::Diff {
        verify: true,
        current: false,
        ..
    } = cli.command
    {
        eprintln!("error: --verify compares with the folder as it is now and needs --current.");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Command::Delete { yes: false, .. } = cli.command {
        eprintln!("error: delete needs --yes to confirm; nothing was deleted.");
        return ExitCode::from(EXIT_USAGE);
    }
    let overrides = Overrides {
        results: cli.results.clone(),
        backups: cli.backups.clone(),
        level: match cli.command {
            Command::Backup { level, .. } => level,
            _ => None,
        },
        endpoint: cli.endpoint.clone(),
        region: cli.region.clone(),
    };
    let watching = matches!(cli.command, Command::Watch { .. });
    let cancel = CancelToken::new();
    let handler_token = cancel.clone();
    // Without a handler Ctrl-C would kill us mid-write; with it the core stops at a checkpoint
    // and removes its temporary files. A checkpoint can be minutes away (a request to a store
    // that stopped answering waits for its timeout), so a second Ctrl-C stops at once: what
    // that leaves (a temporary file, an open upload) is cleared by the next run, as after a
    // crash.
    let _ = ctrlc::set_handler(move || {
        if handler_token.is_cancelled() {
            std::process::exit(EXIT_CANCELLED.into());
        }
        handler_token.cancel();
        eprintln!("\nStopping at the next safe point; press Ctrl-C again to stop at once.");
    });
    let progress = TerminalProgress::new();
    let remote = S3Target {
        overrides: overrides.clone(),
    };
    let outcome = Locations::resolve(&overrides).and_then(|locations| match &locations.remote {
        Some(store) => run_on_s3(
            cli.command,
            &locations,
            store,
            &out,
            &progress,
            &cancel,
            &remote,
        ),
        None => run(cli.command, &locations, &out, &progress, &cancel, &remote),
    });
    if let Err(error) = &outcome {
        progress.clear();
        out.error(error);
    }
    match outcome {
        // Ctrl-C is how `watch` is meant to stop: a clean exit.
        Ok(_) if watching => ExitCode::SUCCESS,
        Err(Error::InvalidSettings { .. } | Error::NoAutomaticPolicy { .. }) if watching => {
            ExitCode::from(EXIT_USAGE)
        }
        // A filter that cannot be read is a usage error, like a bad flag.
        Err(Error::InvalidQuery { .. }) => ExitCode::from(EXIT_USAGE),
        // Ctrl-C may arrive between two backups of `--all`, which then reports and stops.
        _ if cancel.is_cancelled() => ExitCode::from(EXIT_CANCELLED),
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) | Err(_) => ExitCode::from(EXIT_FAILED),
    }
}

/// Where a `copy --to` target is: the global --endpoint and --region, else the AWS variables.
struct S3Target {
    overrides: Overrides,
}

impl S3Target {
    /// The store `copy --to` names: an S3 address, else a folder.
    fn store(&self, target: &str) -> Result<BackupsStore, Error> {
        if S3Location::is_address(target) {
            self.open(target).map(BackupsStore::S3)
        } else {
            Ok(BackupsStore::Folder(PathBuf::from(target)))
        }
    }

    /// Endpoint and region as for `--backups s3://...`: the flags, else the AWS variables.
    fn open(&self, address: &str) -> Result<RemoteStore, Error> {
        let choice = RemoteChoice::given(address, &self.overrides, &|k| std::env::var_os(k))?;
        RemoteStore::open_choice(&choice)
    }
}

/// The commands on an S3 store (`--backups s3://...`, `RESULTS_BACKUP_BACKUPS` or the settings'
/// `backups`): `backup` and `scan` with the store opened here, `watch` as on a folder (the
/// engine opens the store), the rest through [`run_on_store`].
fn run_on_s3(
    command: Command,
    locations: &Locations,
    remote: &RemoteChoice,
    out: &Output,
    progress: &TerminalProgress,
    cancel: &CancelToken,
    targets: &S3Target,
) -> Result<bool, Error> {
    match command {
        // The protection engine opens the store itself from `locations.remote`.
        command @ Command::Watch { .. } => run(command, locations, out, progress, cancel, targets),
        other => {
            let store = BackupsStore::S3(RemoteStore::open_choice(remote)?);
            run_on_store(other, locations, &store, out, progress, cancel, targets)
        }
    }
}

/// What `backup` was asked to back up.
struct BackupChoice {
    strategies: Vec<String>,
    all: bool,
    if_changed: bool,
}

/// Backs up each chosen strategy into `store` (the backups folder or an S3 store), reporting
/// each as it ends; a cancel stops the rest. `Ok(false)` when one failed.
fn back_up_each(
    which: BackupChoice,
    locations: &Locations,
    store: &BackupsStore,
    out: &Output,
    progress: &TerminalProgress,
    cancel: &CancelToken,
) -> Result<bool, Error> {
    let options = BackupOptions {
        level: validate_level(locations.level)?,
        if_changed: which.if_changed,
    };
    let names: Vec<String> = if which.all {
        strategy_names(locations, progress)?
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        which.strategies
    };
    let mut results = Vec::new();
    back_up_each_in(
        locations,
        store,
        &names,
        &options,
        progress,
        cancel,
        &mut |name, result| {
            progress.clear();
            out.backup_done(name, &result);
            results.push((name.to_string(), result));
        },
    );
    Ok(out.backups(&results))
}

/// Runs one command; `Ok(false)` means it finished but something failed or was found damaged.
fn run(
    command: Command,
    locations: &Locations,
    out: &Output,
    progress: &TerminalProgress,
    cancel: &CancelToken,
    remote: &S3Target,
) -> Result<bool, Error> {
    match command {
        Command::Watch {
            on_change,
            quiet,
            every,
            at,
            on,
            poll,
        } => {
            let flags = WatchFlags {
                on_change,
                quiet,
                every,
                at,
                on,
            };
            let policy = if flags.given() {
                // Checked before anything runs; a bad flag is a usage error.
                match flags.policy() {
                    Ok(policy) => Some(policy),
                    Err(detail) => {
                        eprintln!("error: {detail}");
                        std::process::exit(EXIT_USAGE.into());
                    }
                }
            } else {
                None
            };
            watch(locations, policy, poll, out, cancel)
        }
        other => {
            let store = BackupsStore::folder(&locations.backups);
            run_on_store(other, locations, &store, out, progress, cancel, remote)
        }
    }
}

/// The commands that work the same on a backups folder and an S3 store: one core call each,
/// given the store.
fn run_on_store(
    command: Command,
    locations: &Locations,
    store: &BackupsStore,
    out: &Output,
    progress: &TerminalProgress,
    cancel: &CancelToken,
    targets: &S3Target,
) -> Result<bool, Error> {
    // On S3 a backup is named by its file name only; in a folder, also by a path.
    let locator = |text: &str| match store {
        BackupsStore::Folder(_) => Locator::from_argument(text),
        BackupsStore::S3(_) => Locator::Name(text.to_string()),
    };
    match command {
        Command::Scan => {
            let strategies = scan_in(locations, store, progress)?;
            out.strategies(&strategies);
            Ok(true)
        }
        Command::Backup {
            strategies,
            all,
            if_changed,
            ..
        } => {
            let which = BackupChoice {
                strategies,
                all,
                if_changed,
            };
            back_up_each(which, locations, store, out, progress, cancel)
        }
        Command::Copy { names, all, to } => {
            let target = targets.store(&to)?;
            let names: Vec<String> = if all {
                store
                    .list(None, progress)?
                    .into_iter()
                    .map(|entry| entry.backup_file.to_string())
                    .collect()
            } else {
                names
            };
            let shown = target.shown().display().to_string();
            let mut results = Vec::new();
            for name in names {
                let result = copy_between(store, &locator(&name), &target, progress, cancel);
                progress.clear();
                out.copy_done(&name, &result, &shown);
                let stop = matches!(result, Err(Error::Cancelled));
                results.push((name, result));
                if stop {
                    break;
                }
            }
            Ok(out.copies(&results))
        }
        Command::List {
            strategy,
            filter,
            sort,
        } => {
            // Read before the catalog: a typo is reported without touching the backups.
            let filter = filter.as_deref().map(MetricFilter::parse).transpose()?;
            let sort = sort.as_deref().map(MetricSort::parse).transpose()?;
            let entries = store.list(strategy.as_deref(), progress)?;
            let chosen = select_backups(entries, filter.as_ref(), sort.as_ref());
            let mut named: Vec<String> = filter
                .as_ref()
                .map(|f| f.keys().into_iter().map(String::from).collect())
                .unwrap_or_default();
            named.extend(sort.map(|s| s.key));
            out.list(&chosen, &named);
            Ok(true)
        }
        Command::Diff {
            backup,
            other,
            current,
            verify,
        } => {
            let first = locator(&backup);
            let report = match other {
                Some(other) if !current => {
                    diff_backups_in(store, &first, &locator(&other), progress)?
                }
                _ => diff_current_in(locations, store, &first, verify, progress, cancel)?,
            };
            progress.clear();
            out.diff(&report);
            Ok(true)
        }
        Command::Check {
            names: given,
            all,
            quick,
        } => {
            let results = if all {
                check_all_in(store, quick, progress, cancel)?
            } else {
                let wanted: Vec<Locator> = given.iter().map(|g| locator(g)).collect();
                check_in(store, &wanted, quick, progress, cancel)?
            };
            progress.clear();
            Ok(out.checks(&results))
        }
        Command::Extract { backup, member, to } => {
            let into = to.unwrap_or_else(std::env::temp_dir);
            let file = extract_file_in(store, &locator(&backup), &member, &into, progress, cancel)?;
            progress.clear();
            out.extracted(&file);
            Ok(true)
        }
        Command::Show { backup } => {
            let located = store.locate(&locator(&backup), progress)?;
            let manifest = manifest_of(&located, cancel)?;
            out.manifest(&manifest);
            Ok(true)
        }
        Command::Restore {
            backup,
            to,
            on_conflict,
            only,
        } => {
            // A replacing restore keeps its safety backup in the backups folder on this computer.
            let options = RestoreOptions {
                destination: to,
                on_conflict: on_conflict.into(),
                expected_destination: None,
                only,
            };
            let outcome = restore_in(
                locations,
                store,
                &locator(&backup),
                &options,
                progress,
                cancel,
            )?;
            progress.clear();
            out.restored(&outcome);
            Ok(true)
        }
        Command::Delete { backup, .. } => {
            let deleted = delete_in(store, &locator(&backup), progress)?;
            out.deleted(&deleted);
            Ok(true)
        }
        Command::Forget {
            strategy,
            keep_last,
            keep_hourly,
            keep_daily,
            keep_weekly,
            keep_monthly,
            keep_yearly,
            keep_within,
            dry_run,
        } => {
            let given = PolicyFlags {
                keep_last,
                keep_hourly,
                keep_daily,
                keep_weekly,
                keep_monthly,
                keep_yearly,
                keep_within,
            };
            let policies = match given.policy()? {
                Some(policy) => RetentionPolicies::for_all(policy),
                None => match Settings::default_path() {
                    Some(path) => Settings::load(&path)?.retention,
                    None => RetentionPolicies::default(),
                },
            };
            let strategy = strategy
                .map(|name| {
                    StrategyName::new(name.as_str()).map_err(|_| Error::InvalidStrategyName {
                        name: quoted(&name),
                    })
                })
                .transpose()?;
            let request = ForgetRequest {
                strategy,
                policies,
                dry_run,
                in_use: &[],
            };
            let now = chrono::Local::now().naive_local();
            let report = forget_in(store, &request, now, progress, cancel)?;
            progress.clear();
            out.forgot(&report);
            Ok(true)
        }
        Command::Catalog {
            action: CatalogAction::Rebuild { from_archives },
        } => {
            let entries = store.rebuild_catalog(from_archives, progress, cancel)?;
            out.rebuilt(&entries);
            Ok(true)
        }
        // Dispatched by `run` and `run_on_s3` before coming here.
        Command::Watch { .. } => Err(Error::InvalidStoreAddress {
            text: store.shown().display().to_string(),
            detail: "this command does not work on this store".into(),
        }),
    }
}

struct WatchFlags {
    on_change: bool,
    quiet: Option<u32>,
    every: Option<Every>,
    at: Option<String>,
    on: Option<String>,
}

impl WatchFlags {
    fn given(&self) -> bool {
        self.on_change
            || self.quiet.is_some()
            || self.every.is_some()
            || self.at.is_some()
            || self.on.is_some()
    }

    /// The policy for every strategy the flags describe.
    fn policy(&self) -> Result<AutomaticPolicy, String> {
        if (self.at.is_some() || self.on.is_some()) && self.every.is_none() {
            return Err("--at and --on need --every".to_string());
        }
        let at = self.at.clone();
        let schedule = match self.every {
            None => None,
            Some(Every::Hour) => {
                let minute = match &at {
                    None => 0,
                    Some(text) => text
                        .trim_start_matches(':')
                        .parse::<u32>()
                        .ok()
                        .filter(|m| *m < 60)
                        .ok_or_else(|| {
                            format!(
                                "--at with --every hour is the minute past the hour (0 to 59), not \"{text}\""
                            )
                        })?,
                };
                Some(Schedule::Hour { minute })
            }
            Some(every) => {
                let at = at.unwrap_or_else(|| "00:00".into());
                if parse_time_of_day(&at).is_none() {
                    return Err(format!("--at must be a time like 18:30, not \"{at}\""));
                }
                match every {
                    Every::Day => Some(Schedule::Day { at }),
                    _ => {
                        let on = match &self.on {
                            None => Weekday::Monday,
                            Some(text) => Weekday::parse(text).ok_or_else(|| {
                                format!("--on must be a day like monday, not \"{text}\"")
                            })?,
                        };
                        Some(Schedule::Week { on, at })
                    }
                }
            }
        };
        Ok(AutomaticPolicy {
            on_change: self.on_change,
            quiet_seconds: self.quiet.unwrap_or(DEFAULT_QUIET_SECONDS),
            schedule,
        })
    }
}

/// `watch`: runs the protection engine in the foreground until Ctrl-C.
fn watch(
    locations: &Locations,
    flags: Option<AutomaticPolicy>,
    poll: bool,
    out: &Output,
    cancel: &CancelToken,
) -> Result<bool, Error> {
    let settings_path = Settings::default_path();
    let settings = match &settings_path {
        Some(path) => Settings::load(path)?,
        None => Settings::default(),
    };
    let automatic = match flags {
        Some(policy) => AutomaticSettings {
            all: Some(policy),
            ..AutomaticSettings::default()
        },
        None => settings.automatic,
    };
    if !automatic.has_any_policy() {
        return Err(Error::NoAutomaticPolicy {
            settings: settings_path.unwrap_or_else(|| PathBuf::from("the settings file")),
        });
    }
    let mut watch_options = WatchOptions::from_env();
    watch_options.force_polling |= poll;
    let options = ProtectorOptions {
        watch: watch_options,
        state_file: settings_path.as_deref().map(ScheduleState::path_beside),
        // The settings' retention, when they say to apply it after each automatic backup.
        after_backup: forget_after_automatic(settings.retention, Box::new(Vec::new)),
        ..ProtectorOptions::default()
    };
    let mut protector = Protector::new(locations.clone(), automatic, options);
    protector.run(cancel, &mut |event| out.protection_event(&event))?;
    Ok(true)
}

impl From<ConflictChoice> for OnConflict {
    fn from(choice: ConflictChoice) -> OnConflict {
        match choice {
            ConflictChoice::Copy => OnConflict::Copy,
            ConflictChoice::Replace => OnConflict::Replace,
            ConflictChoice::Fail => OnConflict::Fail,
        }
    }
}
