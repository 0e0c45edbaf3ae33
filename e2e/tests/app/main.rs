//! End-to-end tests of the real app, one module per part of it, built into one test binary.
//! `support` starts the app under a virtual display through tauri-driver and WebKitWebDriver,
//! one app at a time (the tests share the display and the mouse), and ends every process it
//! started when a test ends, failed or not.

mod support;

mod automatic;
mod backup;
mod catalog_and_keyboard;
mod check;
mod drag_drop;
mod errors_and_security;
mod first_launch;
mod inside;
mod resident;
mod restore;
mod shared_storage;
