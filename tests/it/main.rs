//! The integration tests of the CLI and the core, one module per concern, built into one test
//! binary.

mod hostile_archives;
mod util;

mod backup;
mod bad_input;
mod cancel;
mod catalog;
mod crash;
mod formats;
mod hostile;
mod interop;
mod properties;
mod roundtrip;
mod scan;
mod settings;
mod untrusted;
