//! The test kit: what the CLI and core integration tests (`tests/it/`), the hostile-archive tests
//! among them and the end-to-end tests of the app (`e2e/`) share, written once.
//!
//! - [`sandbox`]: [`Sandbox`], a private temporary world with `results/`, `backups/` and an
//!   isolated settings file, whose runner starts the CLI and returns a [`Run`] to assert on.
//! - [`tree`]: [`snapshot`] / [`snapshot_loose`] record a folder tree; [`assert_same_tree`]
//!   compares two with a per-path diff.
//! - [`raw_tar`]: hostile `.tar.gz` archives crafted byte by byte, and an independent reader.
//! - [`corpus`]: the seeded generator ([`Rng`], [`noise`], [`csv_bytes`]) and the strategy
//!   folders built from it ([`build_strategy`], [`build_small_strategy`]).
//! - [`files`]: writing files, modes and times, hashing, listing folders and backups.
//! - [`tools`]: external tools a test needs, and running as root.
//! - [`verdicts`]: check and restore side by side on one archive (they must agree).
//! - [`s3`] and [`proxy`]: a real S3 server on loopback, and a misbehaving network in front of
//!   it (cut connections, throttling storms, slow or silent answers).
//!
//! Everything but [`raw_tar`] is also exported at the crate root, so a test file says
//! `use results_backup_testkit::*;` and, for crafted archives, `use results_backup_testkit::raw_tar`.

pub mod corpus;
pub mod files;
pub mod proxy;
pub mod raw_tar;
pub mod s3;
pub mod sandbox;
pub mod tools;
pub mod tree;
pub mod verdicts;

pub use corpus::*;
pub use files::*;
pub use sandbox::*;
pub use tools::*;
pub use tree::*;
pub use verdicts::*;
