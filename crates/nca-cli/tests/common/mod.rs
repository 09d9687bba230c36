//! Helpers shared by the CLI test files: run the binary, make a scratch folder, and the strict
//! check of a clean failure.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `nca ARGS` in `cwd` and waits for it.
pub fn nca(args: &[&str], cwd: &Path) -> Output {
    command(args, cwd).output().expect("nca runs")
}

/// The words of `line`, split at white space, each `{}` replaced by the next of `values` (a
/// value stays one argument, spaces and all).
pub fn words(line: &str, values: &[&str]) -> Vec<String> {
    let mut values = values.iter();
    let words = line
        .split_whitespace()
        .map(|w| match w {
            "{}" => values.next().expect("a value for each {}").to_string(),
            _ => w.to_string(),
        })
        .collect();
    assert!(values.next().is_none(), "a {{}} for each value in {line:?}");
    words
}

/// Runs `nca` with the words of `line` in `cwd` (`nca_line("life --steps 4", &d)`).
pub fn nca_line(line: &str, cwd: &Path) -> Output {
    nca_with(line, &[], cwd)
}

/// Runs `nca` with the words of `line`, its `{}` filled from `values` (see [`words`]), in `cwd`.
pub fn nca_with(line: &str, values: &[&str], cwd: &Path) -> Output {
    let args = words(line, values);
    nca(&args.iter().map(String::as_str).collect::<Vec<_>>(), cwd)
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

/// The MNIST folder named by `NCA_DATA`, or `None` (after a note that `what` is skipped) when
/// it is unset. Under CI (`CI` set) a missing `NCA_DATA` fails the test instead: a skipped
/// test must not pass there.
pub fn nca_data(what: &str) -> Option<String> {
    let data = std::env::var_os("NCA_DATA");
    if data.is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI is set but NCA_DATA is not: {what} cannot run"
        );
        eprintln!("NCA_DATA unset: skipping {what}");
    }
    data.map(|d| d.to_str().unwrap().to_string())
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
