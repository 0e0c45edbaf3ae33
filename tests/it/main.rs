//! The integration tests of the CLI and the core, one module per concern, built into one test
//! binary. What they share (sandbox, CLI runner, tree snapshots, crafted archives, corpora) is
//! the test kit, `results_backup_testkit`.

/// The CLI under test. Only this package's tests can name it (cargo sets the variable for them
/// and builds the binary first), so it is handed to the kit from here: `Sandbox::new(BIN)`.
pub const BIN: &str = env!("CARGO_BIN_EXE_results-backup");

mod backup;
mod bad_input;
mod cancel;
mod catalog;
mod copy_files;
mod crash;
mod equity;
mod formats;
mod fuzz_regressions;
mod hostile;
mod interop;
mod metrics;
mod partial;
mod properties;
mod retention;
mod roundtrip;
mod s3;
mod s3_backup;
mod s3_network;
mod s3_watch;
mod scan;
mod settings;
mod untrusted;
mod watch;
