//! Minimal error handling: a message with context, enough for a CLI tool
//! that reports and exits (no need for an error-crate dependency).

use std::fmt;

#[derive(Debug)]
pub struct BenchError(String);

impl BenchError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

pub type Result<T> = std::result::Result<T, BenchError>;

/// Adds "while doing X" context to any displayable error.
pub trait Context<T> {
    fn context<F: FnOnce() -> String>(self, describe: F) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context<F: FnOnce() -> String>(self, describe: F) -> Result<T> {
        self.map_err(|error| BenchError(format!("{}: {error}", describe())))
    }
}
