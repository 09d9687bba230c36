//! Solving a benchmark: every task from scratch, in parallel over tasks, each outcome appended
//! to a results file as it finishes so that a killed run picks up where it stopped.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ArcError, Result};
use crate::grid::ArcTask;
use crate::solve::{SolverConfig, solve};

/// How a task ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every test output was among its two attempts.
    Solved,
    /// Some test output was not.
    Failed,
    /// An output differs in size from its input: the automaton cannot produce it (a failure).
    Unsupported,
}

/// One task's outcome, a line of the results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The task file, as listed.
    pub task: String,
    /// The task's name (file stem).
    pub name: String,
    /// Its folder relative to the folder listed (1D-ARC: the family).
    pub group: String,
    /// How it ended.
    pub status: Status,
    /// Seeds whose automaton reproduced every demonstration.
    pub seeds_fitting: usize,
    /// Training steps over all seeds.
    pub steps: usize,
    /// Wall time of the task, in seconds.
    pub seconds: f64,
}

/// Solves one task file.
pub fn solve_file(path: &Path, group: &str, cfg: &SolverConfig) -> Result<Outcome> {
    let start = Instant::now();
    let mut task = ArcTask::read(path)?;
    task.group = group.to_string();
    let (status, seeds_fitting, steps) = if !task.same_size() {
        (Status::Unsupported, 0, 0)
    } else {
        let a = solve(&task, cfg)?;
        let s = if a.solves(&task) {
            Status::Solved
        } else {
            Status::Failed
        };
        (s, a.seeds_fitting, a.steps)
    };
    Ok(Outcome {
        task: path.display().to_string(),
        name: task.name,
        group: task.group,
        status,
        seeds_fitting,
        steps,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Totals over a set of outcomes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Tasks.
    pub tasks: usize,
    /// Tasks solved.
    pub solved: usize,
    /// `solved / tasks`.
    pub accuracy: f64,
    /// Tasks the automaton cannot answer (counted as failures).
    pub unsupported: usize,
    /// Solved among the supported tasks, `solved / (tasks - unsupported)`.
    pub accuracy_supported: f64,
}

impl Totals {
    /// The totals of `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Totals {
        let mut t = Totals::default();
        for o in outcomes {
            t.tasks += 1;
            t.solved += usize::from(o.status == Status::Solved);
            t.unsupported += usize::from(o.status == Status::Unsupported);
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        t.accuracy = ratio(t.solved, t.tasks);
        t.accuracy_supported = ratio(t.solved, t.tasks - t.unsupported);
        t
    }
}

/// A benchmark's summary: totals, totals per folder, and the mean of the folders' accuracies
/// (1D-ARC's headline figure, the mean over its 18 families).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Over every task.
    #[serde(flatten)]
    pub all: Totals,
    /// Per folder.
    pub groups: BTreeMap<String, Totals>,
    /// Mean of the per-folder accuracies.
    pub group_mean_accuracy: f64,
    /// Sum of the tasks' wall times, in seconds.
    pub task_seconds: f64,
}

impl Summary {
    /// The summary of `outcomes`.
    pub fn of(outcomes: &[Outcome]) -> Summary {
        let mut by: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
        for o in outcomes {
            by.entry(o.group.clone()).or_default().push(o);
        }
        let groups: BTreeMap<String, Totals> =
            by.into_iter().map(|(g, os)| (g, Totals::of(os))).collect();
        let group_mean_accuracy = if groups.is_empty() {
            0.0
        } else {
            groups.values().map(|t| t.accuracy).sum::<f64>() / groups.len() as f64
        };
        Summary {
            all: Totals::of(outcomes),
            groups,
            group_mean_accuracy,
            task_seconds: outcomes.iter().map(|o| o.seconds).sum(),
        }
    }
}

/// The first line of a results file: the settings every outcome in it was made with.
#[derive(Serialize, Deserialize)]
struct Header {
    settings: SolverConfig,
}

/// Solves every task in `files` (`(path, group)`, see [`crate::task_files`]) with `cfg` on
/// `threads` threads, calling `done(outcome, finished, total)` as each finishes.
///
/// With `results`, outcomes already in that file are kept and their tasks skipped, and each new
/// one is appended as one JSON line when it finishes; the file's first line records `cfg`, and a
/// file made with other settings is refused.
pub fn eval_files(
    files: &[(PathBuf, String)],
    cfg: &SolverConfig,
    threads: usize,
    results: Option<&Path>,
    done: impl Fn(&Outcome, usize, usize) + Sync,
) -> Result<Vec<Outcome>> {
    cfg.validate()?;
    let mut outcomes = match results {
        Some(path) => previous_outcomes(path, cfg)?,
        None => Vec::new(),
    };
    let have: std::collections::HashSet<(String, String)> = outcomes
        .iter()
        .map(|o| (o.group.clone(), o.name.clone()))
        .collect();
    let todo: Vec<&(PathBuf, String)> = files
        .iter()
        .filter(|(p, g)| !have.contains(&task_key(p, g)))
        .collect();
    let writer = match results {
        Some(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| io_error(path, e))?;
            Some(Mutex::new(file))
        }
        None => None,
    };
    let total = files.len();
    let finished = Mutex::new(outcomes.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| ArcError::Setting {
            name: "threads",
            msg: e.to_string(),
        })?;
    let new: Vec<Outcome> = pool.install(|| {
        todo.par_iter()
            .map(|(path, group)| {
                let o = solve_file(path, group, cfg)?;
                if let (Some(w), Some(p)) = (&writer, results) {
                    let line = serde_json::to_string(&o).expect("an outcome serialises");
                    let mut f = w.lock().expect("results file lock");
                    writeln!(f, "{line}")
                        .and_then(|_| f.flush())
                        .map_err(|e| io_error(p, e))?;
                }
                let mut n = finished.lock().expect("counter lock");
                *n += 1;
                done(&o, *n, total);
                Ok(o)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    outcomes.extend(new);
    let order: BTreeMap<(String, String), usize> = files
        .iter()
        .enumerate()
        .map(|(i, (p, g))| (task_key(p, g), i))
        .collect();
    let key = |o: &Outcome| (o.group.clone(), o.name.clone());
    outcomes.retain(|o| order.contains_key(&key(o)));
    outcomes.sort_by_key(|o| order[&key(o)]);
    Ok(outcomes)
}

/// A task's identity in a results file: its group and file name, not its path, so a run
/// resumes wherever the data folder is and however its path is spelled.
fn task_key(path: &Path, group: &str) -> (String, String) {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (group.to_owned(), name)
}

fn io_error(path: &Path, e: std::io::Error) -> ArcError {
    ArcError::Io {
        path: path.to_path_buf(),
        msg: e.to_string(),
    }
}

/// The outcomes already in `path` (none if it does not exist; then its header is written).
fn previous_outcomes(path: &Path, cfg: &SolverConfig) -> Result<Vec<Outcome>> {
    if !path.exists() {
        let header = serde_json::to_string(&Header {
            settings: cfg.clone(),
        })
        .expect("settings serialise");
        std::fs::write(path, format!("{header}\n")).map_err(|e| io_error(path, e))?;
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let mut lines = text.lines();
    let bad = |msg: String| ArcError::Task {
        path: path.to_path_buf(),
        msg,
    };
    let first = lines
        .next()
        .ok_or_else(|| bad("empty results file (no settings line)".into()))?;
    let header: Header = serde_json::from_str(first)
        .map_err(|e| bad(format!("line 1 is not a settings line: {e}")))?;
    if header.settings != *cfg {
        return Err(bad(
            "these results were made with other settings; resume with the same settings or use another results file".into(),
        ));
    }
    let mut out = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        // A line cut short by a kill is dropped (its task is solved again).
        if let Ok(o) = serde_json::from_str::<Outcome>(line) {
            out.push(o);
        }
    }
    // Start the next outcome on a line of its own.
    if !text.ends_with('\n') {
        let mut f = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        writeln!(f).map_err(|e| io_error(path, e))?;
    }
    Ok(out)
}
