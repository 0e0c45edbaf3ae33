//! End-to-end tests of the desktop app live in `tests/`; this crate has no code of its own.
