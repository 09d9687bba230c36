//! `nca.train(...)`: the Rust trainer (`nca::trainer`) from Python, with the family settings as
//! keyword arguments over the family's defaults, progress to a callback, and Ctrl-C stopping
//! cleanly with a checkpoint that `resume=True` carries on from.

use std::path::PathBuf;
use std::sync::Arc;

use nca::NcaError;
use nca::trainer::{RunOptions, Task, TrainerConfig};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::SeedableRng;

use crate::errors::{OrPy, value_error};

/// The trainer settings taken from the keyword arguments (the rest are the family's).
const TRAINER_KEYS: [&str; 3] = ["lr", "checkpoint_every", "log_every"];

/// `defaults` with the keyword arguments in `settings` written over it (nested objects merge),
/// read back as `C`; an unknown key is an error naming the known ones.
fn overlay<C: serde::Serialize + serde::de::DeserializeOwned>(
    defaults: &C,
    settings: &serde_json::Map<String, serde_json::Value>,
    family: &str,
) -> PyResult<C> {
    let mut v = serde_json::to_value(defaults).map_err(|e| value_error(e.to_string()))?;
    merge(&mut v, settings, family)?;
    serde_json::from_value(v).map_err(|e| value_error(format!("bad {family} setting: {e}")))
}

fn merge(
    into: &mut serde_json::Value,
    settings: &serde_json::Map<String, serde_json::Value>,
    what: &str,
) -> PyResult<()> {
    let obj = into
        .as_object_mut()
        .ok_or_else(|| value_error(format!("{what} settings are not an object")))?;
    for (k, v) in settings {
        let Some(slot) = obj.get_mut(k) else {
            let mut known: Vec<&String> = obj.keys().collect();
            known.sort();
            let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
            return Err(value_error(format!(
                "unknown {what} setting '{k}' (known: {})",
                known.join(", ")
            )));
        };
        match (slot.is_object(), v.as_object()) {
            (true, Some(inner)) => merge(slot, inner, &format!("{what}.{k}"))?,
            _ => *slot = v.clone(),
        }
    }
    Ok(())
}

/// The keyword arguments as JSON (via Python's `json`, so ints, floats, strings, lists, dicts
/// and None pass as they are, and paths as their text).
fn settings_json(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<serde_json::Map<String, serde_json::Value>> {
    let Some(kw) = kwargs else {
        return Ok(serde_json::Map::new());
    };
    // Paths pass as their text (`os.fspath`).
    let options = PyDict::new(py);
    options.set_item("default", py.import("os")?.getattr("fspath")?)?;
    let text: String = py
        .import("json")?
        .call_method("dumps", (kw,), Some(&options))
        .map_err(|e| value_error(format!("settings must be JSON-like values: {e}")))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| value_error(e.to_string()))
}

/// Takes a key out of `settings` as `T`.
fn take<T: serde::de::DeserializeOwned>(
    settings: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> PyResult<Option<T>> {
    settings
        .remove(key)
        .filter(|v| !v.is_null())
        .map(|v| serde_json::from_value(v).map_err(|e| value_error(format!("bad {key}: {e}"))))
        .transpose()
}

/// Trains a model of `family` ("tiny", "grow", "classify", "generate" or "refine") in the run
/// folder `out` for
/// `steps` steps (in all, counting a resumed run's), as `nca <family> train` does, and returns
/// the report with the logged metrics. Keyword settings: the family's config fields (e.g.
/// `batch=4`; grow also `target="circle"` or a PNG path, `size`, `pad`; the MNIST families
/// `data`, `limit`) and the trainer's `lr`, `checkpoint_every`, `log_every`. `progress(step, steps)`
/// is called after every step; Ctrl-C stops with a checkpoint of the last step.
#[pyfunction]
#[pyo3(signature = (family, out, steps, resume = false, seed = 42, progress = None, **settings))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    family: &str,
    out: PathBuf,
    steps: usize,
    resume: bool,
    seed: u64,
    progress: Option<Py<PyAny>>,
    settings: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut s = settings_json(py, settings)?;
    let mut trainer: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for k in TRAINER_KEYS {
        if let Some(v) = s.remove(k) {
            trainer.insert(k.into(), v);
        }
    }
    let run = RunOptions {
        dir: out.clone(),
        resume,
        progress: false,
    };
    let report = match family {
        "tiny" => {
            let cfg = overlay(&nca::tiny::TinyConfig::default(), &s, "tiny")?;
            run_task(
                py,
                nca::tiny::TinyTask::new(cfg),
                steps,
                seed,
                &trainer,
                &run,
                progress,
            )?
        }
        "grow" => {
            let spec: String = take(&mut s, "target")?.unwrap_or_else(|| "circle".into());
            let size: u32 = take(&mut s, "size")?.unwrap_or(40);
            let pad: u32 = take(&mut s, "pad")?.unwrap_or(16);
            let cfg = overlay(&nca::grow::GrowTrainConfig::default(), &s, "grow")?;
            let target = nca::grow::GrowTarget::parse(&spec, size, pad).or_py()?;
            let task = nca::grow::GrowTask::new(cfg, target).or_py()?;
            run_task(py, task, steps, seed, &trainer, &run, progress)?
        }
        "classify" => {
            let (data, limit) = data_settings(&mut s)?;
            let cfg = overlay(&nca::classify::ClassifyConfig::default(), &s, "classify")?;
            let task = py
                .detach(|| -> nca::Result<_> {
                    let split = train_split(data, limit)?;
                    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x5EED);
                    nca::classify::ClassifyTask::new(cfg, Arc::new(split), &mut rng)
                })
                .or_py()?;
            run_task(py, task, steps, seed, &trainer, &run, progress)?
        }
        "generate" => {
            let (data, limit) = data_settings(&mut s)?;
            let cfg = overlay(&nca::generate::GenerateConfig::default(), &s, "generate")?;
            let task = py
                .detach(|| -> nca::Result<_> {
                    let split = train_split(data, limit)?;
                    nca::generate::GenerateTask::new(cfg, Arc::new(split))
                })
                .or_py()?;
            run_task(py, task, steps, seed, &trainer, &run, progress)?
        }
        "refine" => {
            let (data, limit) = data_settings(&mut s)?;
            // The refiner's config holds its learning rate: a given `lr` goes there too.
            if let Some(lr) = trainer.get("lr") {
                s.insert("lr".into(), lr.clone());
            }
            let cfg = overlay(&nca::refine::RefineConfig::default(), &s, "refine")?;
            let task = py
                .detach(|| -> nca::Result<_> {
                    // Templates from the whole split, as `nca refine train` makes them.
                    let full = train_split(data, None)?;
                    let templates = nca::refine::Templates::from_split(&full)?;
                    let split = match limit {
                        Some(n) => full.truncated(n)?,
                        None => full,
                    };
                    nca::refine::RefineTask::new(cfg, templates, Arc::new(split), seed ^ 0x5EED)
                })
                .or_py()?;
            run_task(py, task, steps, seed, &trainer, &run, progress)?
        }
        other => {
            return Err(value_error(format!(
                "nca.train trains tiny, grow, classify, generate or refine, not '{other}' (the CLI \
                 also trains attention)"
            )));
        }
    };
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap_or_default();
    let metrics: Vec<serde_json::Value> = metrics
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let json = serde_json::json!({
        "steps": report.steps,
        "steps_this_run": report.steps_this_run,
        "final_loss": report.final_loss,
        "wall_s": report.wall_s,
        "recoveries": report.recoveries,
        "model_path": report.model_path,
        "metrics": metrics,
    });
    py.import("json")?
        .call_method1("loads", (json.to_string(),))
}

/// The `data` folder and `limit` settings of the families that train on MNIST.
fn data_settings(
    s: &mut serde_json::Map<String, serde_json::Value>,
) -> PyResult<(Option<PathBuf>, Option<usize>)> {
    Ok((take(s, "data")?, take(s, "limit")?))
}

/// MNIST's training split from `data` (or `$NCA_DATA`), its first `limit` digits if given.
fn train_split(data: Option<PathBuf>, limit: Option<usize>) -> nca::Result<nca_data::Split> {
    let dir = nca_data::resolve_data_dir(data.as_deref())?;
    let split = nca_data::load_split(&dir, nca_data::SplitName::Train)?;
    Ok(match limit {
        Some(n) => split.truncated(n)?,
        None => split,
    })
}

/// Runs the trainer on `task` with the GIL released, taking it back after every step to call
/// `progress` and to notice Ctrl-C.
fn run_task<T: Task + Send>(
    py: Python<'_>,
    mut task: T,
    steps: usize,
    seed: u64,
    trainer: &serde_json::Map<String, serde_json::Value>,
    run: &RunOptions,
    progress: Option<Py<PyAny>>,
) -> PyResult<nca::trainer::TrainReport> {
    let mut recipe = task.recipe();
    let mut t = trainer.clone();
    if let Some(lr) = take::<f64>(&mut t, "lr")? {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(value_error(format!(
                "lr must be a positive number, not {lr}"
            )));
        }
        recipe = recipe.with_lr(lr);
    }
    if let Some(n) = take::<usize>(&mut t, "checkpoint_every")? {
        recipe.checkpoint_every = n;
    }
    if let Some(n) = take::<usize>(&mut t, "log_every")? {
        recipe.log_every = n;
    }
    let cfg: TrainerConfig = recipe.trainer_config(steps, seed);
    let device = nca::device::device_for(None).or_py()?;
    // A Python exception from Ctrl-C or the callback stops the run (with a checkpoint) and is
    // raised as it is.
    let mut raised: Option<PyErr> = None;
    let result = py.detach(|| {
        nca::trainer::train_observed(&mut task, &cfg, run, &device, |_, step| {
            Python::attach(|py| {
                let r = py.check_signals().and_then(|()| match &progress {
                    Some(cb) => cb.call1(py, (step, cfg.steps)).map(drop),
                    None => Ok(()),
                });
                r.map_err(|e| {
                    raised = Some(e);
                    NcaError::Interrupted(format!("stopped after step {step}"))
                })
            })
        })
    });
    match (result, raised) {
        (Err(NcaError::Interrupted(_)), Some(e)) => Err(e),
        (r, _) => r.or_py(),
    }
}
