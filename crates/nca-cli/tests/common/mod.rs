//! Helpers shared by the CLI test files: run the binary, make a scratch folder, and the strict
//! check of a clean failure.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `nca ARGS` in `cwd` and waits for it.
pub fn nca(args: &[&str], cwd: &Path) -> Output {
    command(args, cwd).output().expect("nca runs")
}

/// The `nca ARGS` command in `cwd`, not yet started (for tests that start and kill it).
pub fn command(args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nca"));
    c.args(args).current_dir(cwd).env_remove("RUST_BACKTRACE");
    c
}

/// A fresh, empty scratch folder unique to this test process and `name`.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nca-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The command's standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The repository's root folder (for the shipped models).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Asserts a clean failure: exit code 2, exactly one line on stderr starting with `error:`
/// and containing `needle`, no panic.
pub fn assert_fails_with(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs a Python check script (`tests/NAME`) with the Python named by `NCA_PYTHON` (default
/// `python3`). Returns its report, or `None` when onnxruntime is missing there (exit status 3):
/// a skip with a note, except under CI (`CI` set), where that fails the test.
pub fn python_check(script: &str, args: &[&Path]) -> Option<String> {
    let python = std::env::var("NCA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let out = Command::new(&python).arg(&script).args(args).output();
    let report = match &out {
        Ok(o) => format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => format!("cannot run {python}: {e}"),
    };
    let unavailable = match &out {
        Ok(o) => o.status.code() == Some(3),
        Err(_) => true,
    };
    if unavailable {
        assert!(
            !in_ci,
            "CI is set but onnxruntime is unavailable to {python} (set NCA_PYTHON): {report}"
        );
        eprintln!(
            "skipped the onnxruntime comparison ({}); set NCA_PYTHON to a python with onnxruntime and numpy",
            report.trim()
        );
        return None;
    }
    assert!(
        out.unwrap().status.success(),
        "the onnxruntime check failed:\n{report}"
    );
    Some(report)
}

/// Asserts success and returns the last line of standard output as JSON (`Null` when it is not
/// JSON, for commands run without `--json`).
pub fn ok(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.lines().last().unwrap_or("null")).unwrap_or(serde_json::Value::Null)
}
