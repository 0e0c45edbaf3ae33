//! External tools a test needs (a missing one fails loudly: CI installs them, and a skip would
//! hide an untested guarantee), and the privilege tricks needed because the tests run as root.

use std::fs;
use std::process::{Command, Stdio};

/// True when the effective user is root (who ignores file permissions).
pub fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Panics when `tool` is not installed, naming the package that provides it.
pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "`{tool}` is needed by this test and is not installed (install {package})"
    );
}

/// `program` as a `Command`, once [`require_tool`] found it.
pub fn tool(program: &str, package: &str) -> Command {
    require_tool(program, package);
    Command::new(program)
}

/// Runs a command to completion, asserting success; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A wrapper under which the CLI really meets "permission denied": as root, the child runs
/// without the capabilities that let root ignore file permissions (`setpriv` from util-linux);
/// as anyone else, plain permissions already apply.
pub fn without_permission_override() -> Vec<String> {
    if !is_root() {
        return Vec::new();
    }
    require_tool("setpriv", "util-linux");
    [
        "setpriv",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_present_tool_runs_and_a_missing_one_is_named_with_its_package() {
        assert!(run_ok(tool("sh", "a shell").args(["-c", "echo hi"])).starts_with("hi"));
        let missing = std::panic::catch_unwind(|| require_tool("no-such-tool-here", "pkg-x"))
            .expect_err("a missing tool fails");
        let message = missing
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("no-such-tool-here") && message.contains("pkg-x"),
            "{message}"
        );
    }
}
