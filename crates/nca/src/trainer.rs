//! One trainer for every family. The family (a [`Task`]) supplies the model, one step's loss and
//! gradients, and any state it keeps between steps (a sample pool); the trainer owns the rest:
//! Adam, the learning-rate schedule, gradient normalisation or clipping, checkpoints every N
//! steps, `--resume`, a NaN/Inf guard that reloads the last good checkpoint, the metrics log
//! (`metrics.jsonl`), `config.json` and a progress bar.
//!
//! Randomness is derived from `(seed, step, attempt)`, so a resumed run repeats exactly what an
//! uninterrupted run would have done.
//!
//! A run directory holds:
//! - `config.json`: trainer and task configuration;
//! - `metrics.jsonl`: one JSON object per logged step;
//! - `.lock`: held (an OS advisory lock) while a training owns the directory;
//! - `checkpoint/`: `model.safetensors`, `optimizer.bpk`, `task_state.safetensors`,
//!   `trainer.json`, replaced as a whole (written to a temporary folder, then renamed).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Device};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, CheckpointMeta};
use crate::error::{NcaError, Result};
use crate::grads::{GradPolicy, apply_grad_policy};
use crate::run_lock::RunLock;
use crate::schedule::LrSchedule;

/// A named `f32` array, used for task state (e.g. a sample pool) saved with checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArray {
    /// The array's name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub data: Vec<f32>,
}

impl NamedArray {
    /// `data` (row-major, of `shape`) under `name`.
    pub fn new(name: &str, shape: Vec<usize>, data: Vec<f32>) -> Self {
        Self {
            name: name.into(),
            shape,
            data,
        }
    }

    /// Whole numbers (labels, step counts; exact in f32 below 2^24) as a 1-D array.
    pub fn of_integers(name: &str, values: impl ExactSizeIterator<Item = usize>) -> Self {
        Self::new(name, vec![values.len()], values.map(|k| k as f32).collect())
    }

    /// The error for an array a task does not know, or whose size does not fit its configuration.
    pub fn misfit(&self) -> NcaError {
        NcaError::config(
            "task state",
            format!("'{}' does not fit this configuration", self.name),
        )
    }
}

/// What one training step produced.
pub struct StepOutput {
    /// The loss (before the optimiser step).
    pub loss: f32,
    /// Parameter gradients of the loss.
    pub grads: GradientsParams,
    /// Extra numbers for the metrics log.
    pub metrics: Vec<(String, f64)>,
}

/// A trainable family: supplies the model, one step's loss and gradients, and its own state.
pub trait Task {
    /// The Burn module being trained.
    type Model: Module + Clone;

    /// The family name written into checkpoints (`classify`, `grow`, ...).
    const FAMILY: &'static str;
    /// The configuration recorded in `config.json` and checkpoint metadata.
    fn config(&self) -> serde_json::Value;
    /// A freshly initialised model on `device`, its random weights drawn from `rng`.
    fn init_model(&self, device: &Device, rng: &mut StdRng) -> Self::Model;
    /// Runs one step on `model` (on an autodiff device): loss and parameter gradients.
    fn step(&mut self, model: &Self::Model, step: usize, rng: &mut StdRng) -> Result<StepOutput>;
    /// State kept between steps that a resumed run needs (default: none).
    fn state(&self) -> Vec<NamedArray> {
        Vec::new()
    }
    /// Restores what [`Task::state`] returned.
    fn set_state(&mut self, _state: Vec<NamedArray>) -> Result<()> {
        Ok(())
    }
    /// Whether the task has reached its own end before the step budget (default: never).
    fn finished(&self) -> bool {
        false
    }
    /// The family's training recipe (its paper's schedule and gradient policy).
    fn recipe(&self) -> Recipe {
        Recipe::default()
    }
}

/// A family's training recipe: what the trainer uses unless the user overrides it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    /// The learning-rate schedule.
    pub lr: LrSchedule,
    /// Gradient normalisation or clipping.
    pub grad_policy: GradPolicy,
    /// Steps between checkpoints.
    pub checkpoint_every: usize,
    /// Steps between metrics lines.
    pub log_every: usize,
}

impl Default for Recipe {
    fn default() -> Self {
        let t = TrainerConfig::default();
        Self {
            lr: t.lr,
            grad_policy: t.grad_policy,
            checkpoint_every: t.checkpoint_every,
            log_every: t.log_every,
        }
    }
}

impl Recipe {
    /// The recipe's schedule started at `lr` instead: the same drops (a piecewise schedule's
    /// factors), scaled.
    pub fn with_lr(mut self, lr: f64) -> Self {
        self.lr = match self.lr {
            LrSchedule::Constant { .. } => LrSchedule::Constant { lr },
            LrSchedule::Piecewise {
                boundaries,
                factors,
                ..
            } => LrSchedule::Piecewise {
                lr,
                boundaries,
                factors,
            },
            LrSchedule::LinearDecay { from, to, steps } => LrSchedule::LinearDecay {
                from: lr,
                to: to * lr / from,
                steps,
            },
            LrSchedule::ExponentialDecay { rate, every, .. } => {
                LrSchedule::ExponentialDecay { lr, rate, every }
            }
        };
        self
    }

    /// A trainer configuration of `steps` steps with seed `seed` following this recipe.
    pub fn trainer_config(&self, steps: usize, seed: u64) -> TrainerConfig {
        TrainerConfig {
            steps,
            lr: self.lr.clone(),
            grad_policy: self.grad_policy,
            checkpoint_every: self.checkpoint_every,
            log_every: self.log_every,
            seed,
            ..TrainerConfig::default()
        }
    }
}

/// Adam's hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamSettings {
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// Denominator epsilon.
    pub epsilon: f32,
}

impl Default for AdamSettings {
    fn default() -> Self {
        // PyTorch's defaults, which the reference implementations use.
        Self {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// How to train: steps, optimiser, schedule, gradients, checkpoints, logging.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainerConfig {
    /// Total optimisation steps (the run stops when this many are done).
    pub steps: usize,
    /// The learning-rate schedule.
    pub lr: LrSchedule,
    /// Adam's hyperparameters.
    pub adam: AdamSettings,
    /// Gradient normalisation or clipping.
    pub grad_policy: GradPolicy,
    /// Steps between checkpoints.
    pub checkpoint_every: usize,
    /// Steps between metrics lines.
    pub log_every: usize,
    /// Seed of all randomness.
    pub seed: u64,
    /// How many times the NaN guard may reload before giving up.
    pub max_recoveries: usize,
    /// Also keep a copy of the model at every checkpoint in `snapshots/step-NNNNNN.safetensors`
    /// (for accuracy-over-time curves).
    #[serde(default)]
    pub keep_snapshots: bool,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            steps: 1000,
            lr: LrSchedule::Constant { lr: 1e-3 },
            adam: AdamSettings::default(),
            grad_policy: GradPolicy::PerVariable,
            checkpoint_every: 500,
            log_every: 10,
            seed: 42,
            max_recoveries: 5,
            keep_snapshots: false,
        }
    }
}

impl TrainerConfig {
    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        if self.steps == 0 {
            return Err(NcaError::config("--steps", "must be at least 1"));
        }
        if self.steps > 100_000_000 {
            return Err(NcaError::config(
                "--steps",
                "absurdly large (max 100000000)",
            ));
        }
        if self.checkpoint_every == 0 {
            return Err(NcaError::config("--checkpoint-every", "must be at least 1"));
        }
        if self.log_every == 0 {
            return Err(NcaError::config("--log-every", "must be at least 1"));
        }
        self.lr.validate()
    }
}

/// Where a run lives and how it starts.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run directory (`runs/NAME`).
    pub dir: PathBuf,
    /// Continue from the run's last checkpoint instead of starting fresh.
    pub resume: bool,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
}

/// What a finished run reports.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// Steps done in total (including earlier chunks).
    pub steps: usize,
    /// Steps done in this invocation.
    pub steps_this_run: usize,
    /// The last step's loss.
    pub final_loss: f32,
    /// Wall seconds in total (including earlier chunks).
    pub wall_s: f64,
    /// Times the NaN guard reloaded a checkpoint.
    pub recoveries: usize,
    /// The final model file.
    pub model_path: PathBuf,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TrainerState {
    step: usize,
    wall_s: f64,
}

const CKPT: &str = "checkpoint";
const CKPT_TMP: &str = ".checkpoint.tmp";
const CKPT_OLD: &str = ".checkpoint.old";

/// The model file inside a run directory's latest checkpoint.
pub fn model_path(run_dir: &Path) -> PathBuf {
    run_dir.join(CKPT).join("model.safetensors")
}

fn step_rng(seed: u64, step: usize, attempt: usize) -> StdRng {
    // SplitMix-style mixing so neighbouring steps get unrelated streams.
    let mut z = seed
        ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (attempt as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

fn adam(cfg: &TrainerConfig) -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(cfg.adam.beta1)
        .with_beta_2(cfg.adam.beta2)
        .with_epsilon(cfg.adam.epsilon)
        .init()
}

fn encode_state(arrays: &[NamedArray]) -> Result<Vec<u8>> {
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = arrays
        .iter()
        .map(|a| {
            let bytes: &[u8] = bytemuck_f32(&a.data);
            let view = safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                a.shape.clone(),
                bytes,
            )
            .map_err(|e| NcaError::config("task state", e.to_string()))?;
            Ok((a.name.clone(), view))
        })
        .collect::<Result<_>>()?;
    safetensors::serialize(views, None).map_err(|e| NcaError::config("task state", e.to_string()))
}

fn bytemuck_f32(v: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}

fn decode_state(path: &Path, bytes: &[u8]) -> Result<Vec<NamedArray>> {
    let bad = |why: String| NcaError::Checkpoint {
        path: path.to_path_buf(),
        why,
    };
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("corrupt task state ({e})")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let data = crate::checkpoint::f32_values(&view)
            .ok_or_else(|| bad(format!("task state {name} is not f32")))?;
        out.push(NamedArray {
            name,
            shape: view.shape().to_vec(),
            data,
        });
    }
    Ok(out)
}

struct Checkpointed<M> {
    model: M,
    optim: ModuleOptimizer,
    state: TrainerState,
}

fn save_checkpoint<T: Task>(
    dir: &Path,
    task: &T,
    model: &T::Model,
    optim: &ModuleOptimizer,
    state: &TrainerState,
    config: &serde_json::Value,
) -> Result<()> {
    let tmp = dir.join(CKPT_TMP);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| NcaError::io(&tmp, e))?;
    }
    let meta = CheckpointMeta::new(T::FAMILY, state.step, config.clone());
    checkpoint::save(model, &meta, &tmp.join("model.safetensors"), true)?;
    let optim_bytes = optim
        .into_bytes()
        .map_err(|e| NcaError::config("optimizer state", e.to_string()))?;
    nca_data::write_atomic(&tmp.join("optimizer.bpk"), &optim_bytes, true)?;
    nca_data::write_atomic(
        &tmp.join("task_state.safetensors"),
        &encode_state(&task.state())?,
        true,
    )?;
    fault_point(dir, state.step, "files");
    let json = serde_json::to_vec_pretty(state).expect("trainer state serialises");
    nca_data::write_atomic(&tmp.join("trainer.json"), &json, true)?;
    let (cur, old) = (dir.join(CKPT), dir.join(CKPT_OLD));
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| NcaError::io(&old, e))?;
    }
    if cur.exists() {
        std::fs::rename(&cur, &old).map_err(|e| NcaError::io(&cur, e))?;
    }
    fault_point(dir, state.step, "swap");
    std::fs::rename(&tmp, &cur).map_err(|e| NcaError::io(&tmp, e))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| NcaError::io(&old, e))?;
    }
    Ok(())
}

/// Environment variable naming a point in a checkpoint write where the process stops, for the
/// crash tests: `STEP:files` (some of the new checkpoint's files written, `trainer.json` not) or
/// `STEP:swap` (the old checkpoint moved aside, the new one not yet in place).
pub const FAULT_ENV: &str = "NCA_FAULT_PAUSE";
/// The file a paused process creates in the run directory when it reaches the fault point.
pub const FAULT_MARKER: &str = ".fault-paused";

/// Pauses here (for a test to SIGKILL the process) when [`FAULT_ENV`] names this step and phase.
fn fault_point(dir: &Path, step: usize, phase: &str) {
    let Ok(want) = std::env::var(FAULT_ENV) else {
        return;
    };
    if want != format!("{step}:{phase}") {
        return;
    }
    let _ = std::fs::write(dir.join(FAULT_MARKER), format!("{step}:{phase}"));
    // Waits to be killed; a test that never kills it must not hang forever.
    std::thread::sleep(std::time::Duration::from_secs(120));
    std::process::abort();
}

fn load_checkpoint<T: Task>(
    dir: &Path,
    task: &mut T,
    cfg: &TrainerConfig,
    device: &Device,
) -> Result<Checkpointed<T::Model>> {
    let mut ck = dir.join(CKPT);
    if !ck.exists() && dir.join(CKPT_OLD).exists() {
        ck = dir.join(CKPT_OLD);
    }
    if !ck.exists() {
        return Err(NcaError::Checkpoint {
            path: ck,
            why: "no checkpoint to resume from".into(),
        });
    }
    let (model, meta) = checkpoint::load(
        task.init_model(device, &mut StdRng::seed_from_u64(0)),
        &ck.join("model.safetensors"),
        T::FAMILY,
    )?;
    let read = |name: &str| {
        let p = ck.join(name);
        std::fs::read(&p).map_err(|e| NcaError::io(p, e))
    };
    let optim = adam(cfg)
        .from_bytes(Bytes::from_bytes_vec(read("optimizer.bpk")?))
        .map_err(|e| NcaError::Checkpoint {
            path: ck.join("optimizer.bpk"),
            why: format!("corrupt optimizer state ({e})"),
        })?;
    // The task state (a sample pool) can be large; a checkpoint carried without it (e.g. one
    // committed to the repository) resumes with a fresh pool.
    let state_path = ck.join("task_state.safetensors");
    if state_path.exists() {
        task.set_state(decode_state(&state_path, &read("task_state.safetensors")?)?)?;
    } else {
        eprintln!(
            "note: {} has no task_state.safetensors; resuming with a fresh sample pool",
            ck.display()
        );
    }
    let state: TrainerState =
        serde_json::from_slice(&read("trainer.json")?).map_err(|e| NcaError::Checkpoint {
            path: ck.join("trainer.json"),
            why: format!("malformed ({e})"),
        })?;
    if state.step != meta.step {
        return Err(NcaError::Checkpoint {
            path: ck,
            why: "model and trainer state disagree on the step".into(),
        });
    }
    Ok(Checkpointed {
        model,
        optim,
        state,
    })
}

/// The append-only metrics log, `metrics.jsonl`.
struct MetricsLog {
    path: PathBuf,
    file: std::fs::File,
}

impl MetricsLog {
    fn open(path: PathBuf) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| NcaError::io(&path, e))?;
        Ok(Self { path, file })
    }

    fn append(&mut self, line: &str) -> Result<()> {
        writeln!(self.file, "{line}").map_err(|e| NcaError::io(&self.path, e))
    }

    /// Drops the lines after step `upto` (a resumed run redoes those steps) and reopens.
    fn truncate(&mut self, upto: usize) -> Result<()> {
        truncate_metrics(&self.path, upto)?;
        *self = Self::open(self.path.clone())?;
        Ok(())
    }
}

/// Keeps only the metrics lines of steps up to `upto`.
fn truncate_metrics(path: &Path, upto: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| s as usize <= upto)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    nca_data::write_atomic(path, kept.as_bytes(), true)?;
    Ok(())
}

fn progress_bar(total: usize, start: usize, show: bool) -> ProgressBar {
    let pb = if show {
        ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise} < {eta_precise}]",
        )
        .expect("valid template"),
    );
    pb.set_position(start as u64);
    pb
}

/// A fresh run (`resume` false) must not start in a directory that already holds one.
fn refuse_existing_run(dir: &Path, resume: bool) -> Result<()> {
    if !resume && (dir.join(CKPT).exists() || dir.join(CKPT_OLD).exists()) {
        return Err(NcaError::config(
            "--out",
            format!(
                "{} already holds a run; pass --resume to continue it or choose another --out",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Trains `task` as `cfg` says in the run directory `run.dir`, on the autodiff version of
/// `device`. Returns when `cfg.steps` steps are done (in total, over all resumed chunks) or the
/// task says it is [finished](Task::finished).
pub fn train<T: Task>(
    task: &mut T,
    cfg: &TrainerConfig,
    run: &RunOptions,
    device: &Device,
) -> Result<TrainReport> {
    train_observed(task, cfg, run, device, |_, _| Ok(()))
}

/// [`train`], calling `observe` with the task and the number of steps done before the first
/// step and after every step (e.g. to draw snapshots); an error from it stops the run, and an
/// [`NcaError::Interrupted`] from it stops the run with a checkpoint of the last step done.
pub fn train_observed<T: Task>(
    task: &mut T,
    cfg: &TrainerConfig,
    run: &RunOptions,
    device: &Device,
    mut observe: impl FnMut(&T, usize) -> Result<()>,
) -> Result<TrainReport> {
    cfg.validate()?;
    let device = device.clone().autodiff();
    let dir = &run.dir;
    let metrics_path = dir.join("metrics.jsonl");
    let full_config = serde_json::json!({
        "family": T::FAMILY,
        "task": task.config(),
        "trainer": cfg,
    });

    // Hold the run directory for the whole run; a second training on it is refused.
    let _lock = if run.resume && !dir.exists() {
        None // nothing to resume: load_checkpoint below says so
    } else {
        refuse_existing_run(dir, run.resume)?;
        std::fs::create_dir_all(dir).map_err(|e| NcaError::io(dir, e))?;
        Some(RunLock::acquire(dir)?)
    };
    let (mut model, mut optim, mut state) = if run.resume {
        let ck = load_checkpoint(dir, task, cfg, &device)?;
        truncate_metrics(&metrics_path, ck.state.step)?;
        (ck.model, ck.optim, ck.state)
    } else {
        // Checked again under the lock: a concurrent fresh run may have just started here.
        refuse_existing_run(dir, false)?;
        let model = task.init_model(&device, &mut StdRng::seed_from_u64(cfg.seed));
        let optim = adam(cfg);
        let state = TrainerState {
            step: 0,
            wall_s: 0.0,
        };
        let _ = std::fs::remove_file(&metrics_path);
        save_checkpoint(dir, task, &model, &optim, &state, &full_config)?;
        (model, optim, state)
    };
    let config_json = serde_json::to_vec_pretty(&full_config).expect("config serialises");
    nca_data::write_atomic(&dir.join("config.json"), &config_json, true)?;

    let start_step = state.step;
    let pb = progress_bar(cfg.steps, start_step, run.progress);
    let mut metrics = MetricsLog::open(metrics_path)?;
    let mut attempt = 0usize;
    let mut recoveries = 0usize;
    let mut final_loss = f32::NAN;
    let mut last_log = (Instant::now(), state.step);
    let mut chunk_start = (Instant::now(), state.wall_s);

    observe(task, state.step)?;
    while state.step < cfg.steps && !task.finished() {
        let step = state.step;
        let mut rng = step_rng(cfg.seed, step, attempt);
        let out = task.step(&model, step, &mut rng)?;
        let mut grads = out.grads;
        let grad_norm = apply_grad_policy(&model, &mut grads, cfg.grad_policy);
        if !out.loss.is_finite() || !grad_norm.is_finite() {
            recoveries += 1;
            if recoveries > cfg.max_recoveries {
                return Err(NcaError::Diverged(format!(
                    "non-finite loss or gradient at step {step}; gave up after {} reloads",
                    cfg.max_recoveries
                )));
            }
            pb.println(format!(
                "step {step}: non-finite loss/gradient, reloading the last good checkpoint"
            ));
            let ck = load_checkpoint(dir, task, cfg, &device)?;
            metrics.truncate(ck.state.step)?;
            model = ck.model;
            optim = ck.optim;
            state = TrainerState {
                step: ck.state.step,
                wall_s: state.wall_s,
            };
            chunk_start = (Instant::now(), state.wall_s);
            attempt += 1;
            pb.set_position(state.step as u64);
            continue;
        }
        let lr = cfg.lr.lr_at(step);
        model = optim.step(lr, model, grads);
        state.step += 1;
        state.wall_s = chunk_start.1 + chunk_start.0.elapsed().as_secs_f64();
        final_loss = out.loss;
        pb.set_position(state.step as u64);
        let done = state.step == cfg.steps || task.finished();

        if state.step % cfg.log_every == 0 || done {
            let dt = last_log.0.elapsed().as_secs_f64();
            let sps = (state.step - last_log.1) as f64 / dt.max(1e-9);
            last_log = (Instant::now(), state.step);
            let mut line = BTreeMap::new();
            line.insert("step".to_string(), serde_json::json!(state.step));
            line.insert("loss".to_string(), serde_json::json!(out.loss));
            line.insert("lr".to_string(), serde_json::json!(lr));
            line.insert("grad_norm".to_string(), serde_json::json!(grad_norm));
            line.insert("steps_per_s".to_string(), serde_json::json!(sps));
            line.insert("wall_s".to_string(), serde_json::json!(state.wall_s));
            for (k, v) in &out.metrics {
                line.insert(k.clone(), serde_json::json!(v));
            }
            let text = serde_json::to_string(&line).expect("metrics serialise");
            metrics.append(&text)?;
            pb.set_message(format!("loss {:.5}  {sps:.2} steps/s", out.loss));
        }
        if state.step % cfg.checkpoint_every == 0 || done {
            save_checkpoint(dir, task, &model, &optim, &state, &full_config)?;
            if cfg.keep_snapshots {
                let snap = dir
                    .join("snapshots")
                    .join(format!("step-{:06}.safetensors", state.step));
                let bytes = std::fs::read(model_path(dir)).map_err(|e| NcaError::io(dir, e))?;
                nca_data::write_atomic(&snap, &bytes, true)?;
            }
        }
        if let Err(e) = observe(task, state.step) {
            // A stop asked for between checkpoints keeps the steps done: `--resume` goes on
            // from here, as if the run had never stopped.
            let saved = state.step % cfg.checkpoint_every == 0 || done;
            if matches!(e, NcaError::Interrupted(_)) && !saved {
                save_checkpoint(dir, task, &model, &optim, &state, &full_config)?;
            }
            return Err(e);
        }
    }
    pb.finish_and_clear();
    Ok(TrainReport {
        steps: state.step,
        steps_this_run: state.step - start_step,
        final_loss,
        wall_s: state.wall_s,
        recoveries,
        model_path: model_path(dir),
    })
}
