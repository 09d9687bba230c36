//! `nca.load(...)` and the `Model` class: any shipped or trained checkpoint, its settings and
//! weights, and the family's operations (step, rollout, evaluate, predict, ...).
//!
//! Rollouts run on the exact sparse CPU engine (`nca::ca::Runner`), as the CLI's evaluations
//! do, so the same seed gives the same fire masks and bit-equal states.

use std::path::PathBuf;
use std::sync::Mutex;

use nca::ca::{Nca, Runner};
use nca::checkpoint::CheckpointMeta;
use numpy::PyArrayDyn;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::arrays::{f32_array, labels, to_numpy};
use crate::errors::{OrPy, value_error};
use crate::shipped::{CheckpointFile, SHIPPED};

/// A family's loaded model with the settings it was trained with (one per `Model`, so the
/// variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Loaded {
    Grow {
        nca: Nca,
        cfg: nca::grow::GrowConfig,
        target: nca::grow::GrowTarget,
    },
    Classify {
        nca: Nca,
        cfg: nca::classify::ClassifyConfig,
    },
    Generate {
        model: nca::generate::GenerateModel,
        cfg: nca::generate::GenerateConfig,
    },
    Tiny {
        nca: Nca,
        cfg: nca::tiny::TinyConfig,
    },
    Refine {
        model: nca::refine::RefineNca,
        templates: nca::refine::Templates,
    },
    Attention {
        model: nca::attention::AttentionNca,
        cfg: nca::attention::AttentionConfig,
    },
}

impl Loaded {
    /// The cellular automaton the engine runs, for the families that are one.
    fn nca(&self) -> Option<&Nca> {
        match self {
            Loaded::Grow { nca, .. } | Loaded::Classify { nca, .. } | Loaded::Tiny { nca, .. } => {
                Some(nca)
            }
            Loaded::Generate { model, .. } => Some(&model.nca),
            Loaded::Refine { .. } | Loaded::Attention { .. } => None,
        }
    }

    /// Loads the checkpoint at `path` with its family's loader.
    fn open(path: &std::path::Path, family: &str) -> nca::Result<Self> {
        let device = nca::device::device_for(None)?;
        Ok(match family {
            nca::grow::FAMILY => {
                let (nca, cfg, target, _) = nca::grow::load_checkpoint(path, &device)?;
                Loaded::Grow { nca, cfg, target }
            }
            nca::classify::FAMILY => {
                let (nca, cfg, _) = nca::classify::load_checkpoint(path, &device)?;
                Loaded::Classify { nca, cfg }
            }
            nca::generate::FAMILY => {
                let (model, cfg, _) = nca::generate::load_checkpoint(path, &device)?;
                Loaded::Generate { model, cfg }
            }
            nca::refine::FAMILY => {
                let (model, _, _) = nca::refine::load_checkpoint(path, &device)?;
                let templates = model.templates()?;
                Loaded::Refine { model, templates }
            }
            nca::attention::FAMILY => {
                let (model, cfg, _) = nca::attention::load_checkpoint(path, &device)?;
                Loaded::Attention { model, cfg }
            }
            "tiny" => {
                let (nca, cfg, _) = nca::checkpoint::load_family(
                    path,
                    "tiny",
                    |p, m| {
                        nca::checkpoint::config_part::<nca::tiny::TinyConfig>(
                            p,
                            m,
                            &[&["task"]],
                            "tiny config",
                        )
                    },
                    |cfg| Nca::new(cfg.ca(), &device, &mut StdRng::seed_from_u64(0)),
                )?;
                Loaded::Tiny { nca, cfg }
            }
            other => {
                return Err(nca::NcaError::Checkpoint {
                    path: path.to_path_buf(),
                    why: format!("family '{other}' cannot be loaded from Python"),
                });
            }
        })
    }
}

/// A loaded checkpoint of any family (`nca.load`). Families add their own methods: grow
/// (`target`, `cut`, `evaluate`), classify (`predict`, `evaluate`), generate (`generate`),
/// refine (`refine`, `verdict`); the cellular families share `seed`, `step` and `rollout`.
#[pyclass(frozen, module = "nca._native")]
pub struct Model {
    family: String,
    source: String,
    meta: CheckpointMeta,
    bytes: Vec<u8>,
    /// Read-only after load (never locked: a lock held while the GIL is released would
    /// deadlock against a second Python thread waiting for it with the GIL).
    loaded: Loaded,
    /// The engine's copy of the automaton (cellular families only).
    runner: Option<Runner>,
    /// The fire-mask generator that calls without a `seed` continue.
    rng: Mutex<StdRng>,
}

/// Loads a checkpoint: a shipped model's name (`nca.shipped_models()`), a `.safetensors` path,
/// or the run folder of `nca ... train` / `nca.train` (its latest checkpoint).
#[pyfunction]
pub fn load(py: Python<'_>, path_or_name: PathBuf) -> PyResult<Model> {
    let text = path_or_name.to_string_lossy().into_owned();
    let (file, bytes) = CheckpointFile::open(&text).map_err(|e| {
        let names: Vec<&str> = SHIPPED.iter().map(|s| s.name).collect();
        pyo3::exceptions::PyOSError::new_err(format!(
            "cannot read checkpoint '{text}': {e} (shipped models: {})",
            names.join(", ")
        ))
    })?;
    let (meta, loaded) = py
        .detach(|| -> nca::Result<_> {
            let meta = nca::checkpoint::read_meta_bytes(file.path(), &bytes)?;
            let loaded = Loaded::open(file.path(), &meta.family)?;
            Ok((meta, loaded))
        })
        .or_py()?;
    let runner = loaded.nca().map(Runner::new);
    Ok(Model {
        family: meta.family.clone(),
        source: text,
        meta,
        bytes,
        loaded,
        runner,
        rng: Mutex::new(StdRng::seed_from_u64(0)),
    })
}

/// MNIST images `[N, 28, 28]` and their labels `[N]` as NumPy arrays.
type ImagesAndLabels<'py> = (Bound<'py, PyArrayDyn<f32>>, Bound<'py, PyArrayDyn<u8>>);

/// The MNIST split `split` ("train" or "test") as `(images float32 [N, 28, 28] in [0, 1],
/// labels uint8 [N])`, the first `limit` only if given; `data` defaults to `$NCA_DATA`.
#[pyfunction]
#[pyo3(signature = (split = "test", data = None, limit = None))]
pub fn mnist<'py>(
    py: Python<'py>,
    split: &str,
    data: Option<PathBuf>,
    limit: Option<usize>,
) -> PyResult<ImagesAndLabels<'py>> {
    let which = match split {
        "train" => nca_data::SplitName::Train,
        "test" => nca_data::SplitName::Test,
        other => {
            return Err(value_error(format!(
                "split must be 'train' or 'test', not '{other}'"
            )));
        }
    };
    let set = load_mnist(py, data, which)?;
    let n = limit.unwrap_or(set.len()).min(set.len());
    let (h, w) = (set.rows(), set.cols());
    let images: Vec<f32> = (0..n).flat_map(|i| set.image_f32(i)).collect();
    let labels: Vec<u8> = (0..n).map(|i| set.label(i)).collect();
    Ok((
        to_numpy(py, &[n, h, w], images)?,
        to_numpy(py, &[n], labels)?,
    ))
}

/// Reads an MNIST split from `data` or `$NCA_DATA`.
fn load_mnist(
    py: Python<'_>,
    data: Option<PathBuf>,
    which: nca_data::SplitName,
) -> PyResult<nca_data::Split> {
    py.detach(|| -> nca::Result<_> {
        let dir = nca_data::resolve_data_dir(data.as_deref())?;
        Ok(nca_data::load_split(&dir, which)?)
    })
    .or_py()
}

/// A JSON value as the Python object `json.loads` makes of it.
fn to_python<'py>(py: Python<'py>, v: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| value_error(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A checkpoint tensor's values as f32 (stored as f32 or f16).
fn tensor_f32(name: &str, view: &safetensors::tensor::TensorView<'_>) -> PyResult<Vec<f32>> {
    let d = view.data();
    match view.dtype() {
        safetensors::Dtype::F32 => Ok(d
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()),
        safetensors::Dtype::F16 => Ok(d
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect()),
        other => Err(value_error(format!(
            "tensor '{name}' has dtype {other:?}; only f32 and f16 are read"
        ))),
    }
}

impl Model {
    fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The engine runner, or the error for a family that is not a cellular automaton.
    fn runner(&self, what: &str) -> PyResult<&Runner> {
        self.runner.as_ref().ok_or_else(|| {
            value_error(format!(
                "{what} is for cellular families (grow, classify, generate, tiny, attention), not {}",
                self.family
            ))
        })
    }

    fn wrong_family(&self, what: &str, family: &str) -> PyErr {
        value_error(format!(
            "{what} is for {family} models; this one is {}",
            self.family
        ))
    }

    /// A state batch `[B, C, H, W]` checked against the automaton's channel count.
    fn state(&self, state: &Bound<'_, PyAny>, runner: &Runner) -> PyResult<([usize; 4], Vec<f32>)> {
        let (shape, values) = f32_array(state, "state", 4)?;
        let c = runner.config().channels;
        if shape[1] != c {
            return Err(value_error(format!(
                "state has {} channels; this {} model has {c} (shape [batch, {c}, height, width])",
                shape[1], self.family
            )));
        }
        if shape.contains(&0) {
            return Err(value_error(format!(
                "state has an empty dimension: {shape:?}"
            )));
        }
        Ok(([shape[0], shape[1], shape[2], shape[3]], values))
    }

    /// Runs `f` with the generator for `seed`: a fresh one when given, else the model's own.
    fn with_rng<T>(&self, seed: Option<u64>, f: impl FnOnce(&mut StdRng) -> T) -> T {
        match seed {
            Some(s) => f(&mut StdRng::seed_from_u64(s)),
            None => f(&mut self.rng.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

#[pymethods]
impl Model {
    /// The family: grow, classify, generate, refine, attention or tiny.
    #[getter]
    fn family(&self) -> &str {
        &self.family
    }

    /// The training step the checkpoint was saved at.
    #[getter]
    fn trained_steps(&self) -> usize {
        self.meta.step
    }

    /// The whole configuration stored in the checkpoint (as `nca checkpoint info` prints it).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.meta.config)
    }

    /// State channels per cell (cellular families, including read-only channels; attention).
    #[getter]
    fn channels(&self) -> PyResult<usize> {
        if let Loaded::Attention { model, .. } = self.loaded() {
            return Ok(model.channels());
        }
        Ok(self.runner("channels")?.config().channels)
    }

    /// Every weight of the checkpoint by name, as float32 NumPy arrays (a copy).
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let st = safetensors::SafeTensors::deserialize(&self.bytes)
            .map_err(|e| value_error(format!("malformed checkpoint {}: {e}", self.source)))?;
        let out = PyDict::new(py);
        let mut names = st.names();
        names.sort();
        for name in names {
            let view = st.tensor(name).map_err(|e| value_error(e.to_string()))?;
            let values = tensor_f32(name, &view)?;
            out.set_item(name, to_numpy(py, view.shape(), values)?)?;
        }
        Ok(out)
    }

    /// Start states `[B, C, H, W]` (float32): grow/tiny `seed(batch)` one seed cell each;
    /// classify `seed(digits)` from images `[B, 28, 28]`; generate `seed(labels, images=None,
    /// seed=0)` (grow mode from a seed cell, reconstruct mode from the blurred `images`).
    #[pyo3(signature = (arg = None, images = None, seed = 0))]
    fn seed<'py>(
        &self,
        py: Python<'py>,
        arg: Option<&Bound<'py, PyAny>>,
        images: Option<&Bound<'py, PyAny>>,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let loaded = self.loaded();
        match loaded {
            Loaded::Grow { cfg, target, .. } => {
                let b = batch_arg(arg)?;
                let (c, s) = (cfg.channels, target.side);
                let one = nca::grow::seed_state(c, s);
                to_numpy(py, &[b, c, s, s], one.repeat(b))
            }
            Loaded::Tiny { nca, cfg } => {
                let b = batch_arg(arg)?;
                let one = nca::tiny::TinyConfig {
                    batch: 1,
                    ..cfg.clone()
                };
                let (c, s) = (nca.cfg.channels, cfg.size);
                let seed = nca::tiny::TinyTask::new(one).seed();
                to_numpy(py, &[b, c, s, s], seed.repeat(b))
            }
            Loaded::Classify { cfg, .. } => {
                let arg = arg
                    .ok_or_else(|| value_error("classify seed(digits) needs digits [B, 28, 28]"))?;
                let (shape, pixels) = f32_array(arg, "digits", 3)?;
                let (b, h, w) = (shape[0], shape[1], shape[2]);
                let states: Vec<f32> = pixels
                    .chunks_exact(h * w)
                    .flat_map(|d| nca::classify::task::fresh_state(d, cfg.channels))
                    .collect();
                to_numpy(py, &[b, cfg.channels, h, w], states)
            }
            Loaded::Generate { model, cfg } => {
                let arg = arg.ok_or_else(|| value_error("generate seed(labels) needs labels"))?;
                let labels = labels(arg, 10)?;
                let side = nca_data::DIGIT_SIDE;
                let images = generate_images(cfg, images, labels.len())?;
                let mut rng = StdRng::seed_from_u64(seed);
                let x = nca::generate::start_states(
                    cfg,
                    &model.embedding_values(),
                    &labels,
                    &images,
                    [side, side],
                    &mut rng,
                );
                to_numpy(py, &[labels.len(), cfg.channels + cfg.embed, side, side], x)
            }
            _ => Err(self.wrong_family("seed", "grow, tiny, classify or generate")),
        }
    }

    /// Runs `ticks` ticks of the automaton on `state` (`[B, C, H, W]` float32) and returns the
    /// new state (the input is not changed). Fire masks come from `seed` if given (the CLI's
    /// masks for the same seed), else from the model's own generator, which carries on across
    /// calls (seeded 0 at load; `reseed` resets it). The attention NCA is deterministic (no
    /// masks; `seed` is ignored) and runs on Burn.
    #[pyo3(signature = (state, ticks = 1, seed = None))]
    fn step<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        ticks: usize,
        seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        if let Loaded::Attention { model, .. } = self.loaded() {
            let (shape, x) = attention_state(state, model)?;
            let x = py
                .detach(|| attention_ticks(model, x, shape, ticks))
                .or_py()?;
            return to_numpy(py, &shape, x);
        }
        let runner = self.runner("step")?;
        let (shape, mut x) = self.state(state, runner)?;
        let dims = [shape[0], shape[2], shape[3]];
        py.detach(|| self.with_rng(seed, |rng| run_ticks(runner, &mut x, dims, ticks, rng)))
            .or_py()?;
        to_numpy(py, &shape, x)
    }

    /// `ticks` ticks from `state`, keeping every `every`-th state: `[frames, B, C, H, W]` with
    /// the start state first (frames = ticks / every + 1). Masks as in `step`.
    #[pyo3(signature = (state, ticks, seed = None, every = 1))]
    fn rollout<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        ticks: usize,
        seed: Option<u64>,
        every: usize,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        if every == 0 {
            return Err(value_error("every must be at least 1"));
        }
        if let Loaded::Attention { model, .. } = self.loaded() {
            let (shape, mut x) = attention_state(state, model)?;
            let frames = ticks / every + 1;
            let mut out = x.clone();
            let mut done = 0;
            while done + every <= ticks {
                x = py
                    .detach(|| attention_ticks(model, x, shape, every))
                    .or_py()?;
                out.extend_from_slice(&x);
                done += every;
            }
            let mut full = vec![frames];
            full.extend(shape);
            return to_numpy(py, &full, out);
        }
        let runner = self.runner("rollout")?;
        let (shape, mut x) = self.state(state, runner)?;
        let frames = ticks / every + 1;
        let per = x.len();
        if frames.saturating_mul(per) > 1 << 30 {
            return Err(value_error(format!(
                "{frames} frames of {per} values is too much to keep; raise every"
            )));
        }
        let dims = [shape[0], shape[2], shape[3]];
        let out = py
            .detach(|| {
                self.with_rng(seed, |rng| -> nca::Result<Vec<f32>> {
                    let mut out = Vec::with_capacity(frames * per);
                    out.extend_from_slice(&x);
                    let mut done = 0;
                    while done + every <= ticks {
                        run_ticks(runner, &mut x, dims, every, rng)?;
                        done += every;
                        out.extend_from_slice(&x);
                    }
                    // Ticks after the last kept frame still run, so the generator ends where
                    // `step(state, ticks)` leaves it.
                    run_ticks(runner, &mut x, dims, ticks - done, rng)?;
                    Ok(out)
                })
            })
            .or_py()?;
        let mut full = vec![frames];
        full.extend(shape);
        to_numpy(py, &full, out)
    }

    /// Resets the model's own fire-mask generator (used by calls without `seed`).
    fn reseed(&self, seed: u64) {
        *self.rng.lock().unwrap_or_else(|p| p.into_inner()) = StdRng::seed_from_u64(seed);
    }

    /// grow: the target image, RGBA float32 `[4, S, S]` (premultiplied alpha).
    #[getter]
    fn target<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        match self.loaded() {
            Loaded::Grow { target, .. } => {
                let s = target.side;
                to_numpy(py, &[4, s, s], target.rgba.clone())
            }
            _ => Err(self.wrong_family("target", "grow")),
        }
    }

    /// grow: a copy of `state` (`[B, C, S, S]`) with the disc of radius `r` around column `x`,
    /// row `y` cleared in every sample; without arguments, the evaluation's half cut.
    #[pyo3(signature = (state, x = None, y = None, r = None))]
    fn cut<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        x: Option<f32>,
        y: Option<f32>,
        r: Option<f32>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let target = match self.loaded() {
            Loaded::Grow { target, .. } => target.clone(),
            _ => return Err(self.wrong_family("cut", "grow")),
        };
        let runner = self.runner("cut")?;
        let (shape, mut v) = self.state(state, runner)?;
        let half = nca::grow::eval::half_cut(&target);
        let (cx, cy, cr) = (
            x.unwrap_or(half.0),
            y.unwrap_or(half.1),
            r.unwrap_or(half.2),
        );
        if !(cx.is_finite() && cy.is_finite() && cr.is_finite() && cr >= 0.0) {
            return Err(value_error("cut needs finite x, y and a radius r >= 0"));
        }
        let per = shape[1] * shape[2] * shape[3];
        for sample in v.chunks_exact_mut(per) {
            nca::pool::damage_circle(sample, [shape[1], shape[2], shape[3]], cx, cy, cr);
        }
        to_numpy(py, &shape, v)
    }

    /// grow: `nca grow eval` (same figures for the same `runs` and `seed`); classify:
    /// `nca classify eval` on the MNIST test split (`data` or `$NCA_DATA`, the first `limit`
    /// digits). Returns the report as a dict.
    #[pyo3(signature = (runs = 8, seed = 0, limit = None, data = None, ticks_before = 200, ticks_after = 200))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        runs: usize,
        seed: u64,
        limit: Option<usize>,
        data: Option<PathBuf>,
        ticks_before: usize,
        ticks_after: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loaded = self.loaded();
        match loaded {
            Loaded::Grow { nca, cfg, target } => {
                if runs == 0 || runs > 1024 {
                    return Err(value_error("runs must be in 1..=1024"));
                }
                let opts = nca::grow::eval::GrowEvalOptions {
                    runs,
                    seed,
                    ..Default::default()
                };
                let r = py
                    .detach(|| nca::grow::eval::evaluate(nca, cfg, target, &opts))
                    .or_py()?;
                to_python(py, &r)
            }
            Loaded::Classify { nca, cfg } => {
                let test = load_mnist(py, data, nca_data::SplitName::Test)?;
                let opts = nca::classify::eval::EvalOptions {
                    ticks_before,
                    ticks_after,
                    limit,
                    seed,
                    ..Default::default()
                };
                let r = py
                    .detach(|| nca::classify::eval::evaluate(nca, cfg, &test, &opts, |_| {}))
                    .or_py()?;
                to_python(py, &r)
            }
            _ => Err(self.wrong_family("evaluate", "grow or classify")),
        }
    }

    /// classify: every cell's vote after `ticks` ticks on `digits` (`[B, 28, 28]` float32 in
    /// [0, 1]): int64 `[B, 28, 28]`, -1 where the cell is dead.
    #[pyo3(signature = (digits, ticks = 200, seed = 0))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        digits: &Bound<'py, PyAny>,
        ticks: usize,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArrayDyn<i64>>> {
        let cfg = match self.loaded() {
            Loaded::Classify { cfg, .. } => cfg.clone(),
            _ => return Err(self.wrong_family("predict", "classify")),
        };
        let runner = self.runner("predict")?;
        let (shape, pixels) = f32_array(digits, "digits", 3)?;
        let (b, h, w) = (shape[0], shape[1], shape[2]);
        let votes = py
            .detach(|| -> nca::Result<Vec<i64>> {
                let mut x: Vec<f32> = pixels
                    .chunks_exact(h * w)
                    .flat_map(|d| nca::classify::task::fresh_state(d, cfg.channels))
                    .collect();
                run_ticks(
                    runner,
                    &mut x,
                    [b, h, w],
                    ticks,
                    &mut StdRng::seed_from_u64(seed),
                )?;
                let votes = nca::classify::eval::cell_votes(&x, &cfg, h * w);
                Ok(votes.iter().map(|v| v.map_or(-1, |k| k as i64)).collect())
            })
            .or_py()?;
        to_numpy(py, &[b, h, w], votes)
    }

    /// generate: digits `[B, 28, 28]` (float32 in [0, 1]) of the classes `labels` after the
    /// model's ticks: grown from a seed cell (grow mode) or reconstructed from the blurred
    /// `images` (reconstruct mode). Fire masks and seed noise from `seed`.
    #[pyo3(signature = (labels, images = None, seed = 0))]
    fn generate<'py>(
        &self,
        py: Python<'py>,
        labels: &Bound<'py, PyAny>,
        images: Option<&Bound<'py, PyAny>>,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let loaded = self.loaded();
        let (model, cfg) = match loaded {
            Loaded::Generate { model, cfg } => (model, cfg),
            _ => return Err(self.wrong_family("generate", "generate")),
        };
        let labels = crate::arrays::labels(labels, 10)?;
        if labels.is_empty() {
            return Err(value_error("labels is empty"));
        }
        let images = generate_images(cfg, images, labels.len())?;
        let side = nca_data::DIGIT_SIDE;
        let out = py
            .detach(|| {
                let mut rng = StdRng::seed_from_u64(seed);
                nca::generate::eval::generate(
                    model,
                    cfg,
                    &labels,
                    &images,
                    [side, side],
                    &mut rng,
                    None,
                )
            })
            .or_py()?;
        to_numpy(py, &[labels.len(), side, side], out)
    }

    /// generate (grow mode): digits `[B, 28, 28]` of the classes `labels`, each grown from a
    /// seed cell (`generate(labels, seed=seed)` for a grow model).
    #[pyo3(signature = (labels, seed = 0))]
    fn grow<'py>(
        &self,
        py: Python<'py>,
        labels: &Bound<'py, PyAny>,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        match self.loaded() {
            Loaded::Generate { cfg, .. } if cfg.mode == nca::generate::GenerateMode::Grow => {}
            Loaded::Generate { .. } => {
                return Err(value_error(
                    "this generate model reconstructs digits; use generate(labels, images)",
                ));
            }
            _ => return Err(self.wrong_family("grow", "generate")),
        }
        self.generate(py, labels, None, seed)
    }

    /// refine: every step's images when the refiner rewrites `digits` (`[B, 28, 28]` float32):
    /// `[steps, B, 28, 28]`, the last the final digits.
    fn refine<'py>(
        &self,
        py: Python<'py>,
        digits: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let loaded = self.loaded();
        let (model, templates) = match loaded {
            Loaded::Refine { model, templates } => (model, templates),
            _ => return Err(self.wrong_family("refine", "refine")),
        };
        let (shape, pixels) = f32_array(digits, "digits", 3)?;
        let side = templates.side;
        if shape[1] != side || shape[2] != side || shape[0] == 0 {
            return Err(value_error(format!(
                "digits must have shape [B, {side}, {side}] with B >= 1, got {shape:?}"
            )));
        }
        let b = shape[0];
        let steps = py
            .detach(|| {
                nca::refine::eval::run_images(model, &pixels, b, side, nca::engine::Engine::Fast)
            })
            .or_py()?;
        let n = steps.len();
        to_numpy(py, &[n, b, side, side], steps.concat())
    }

    /// refine: the verdict on one image `[28, 28]`: `{"digit", "confidence", "cosines"}` (the
    /// most similar class template by cosine similarity).
    fn verdict<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loaded = self.loaded();
        let templates = match loaded {
            Loaded::Refine { templates, .. } => templates,
            _ => return Err(self.wrong_family("verdict", "refine")),
        };
        let (shape, pixels) = f32_array(image, "image", 2)?;
        if shape != [templates.side, templates.side] {
            return Err(value_error(format!(
                "image must have shape [{0}, {0}], got {shape:?}",
                templates.side
            )));
        }
        let v = nca::refine::verdict(&pixels, templates);
        to_python(
            py,
            &serde_json::json!({"digit": v.digit, "confidence": v.confidence, "cosines": v.cosines}),
        )
    }

    /// Writes the model's ONNX graph to `path` (`nca <family> export-onnx`): one tick for the
    /// cellular families and attention, the whole rewrite for refine. Refuses an existing file
    /// unless `force`.
    #[pyo3(signature = (path, force = false))]
    fn export_onnx(&self, py: Python<'_>, path: PathBuf, force: bool) -> PyResult<()> {
        if path.exists() && !force {
            return Err(pyo3::exceptions::PyFileExistsError::new_err(format!(
                "{} exists; pass force=True to replace it",
                path.display()
            )));
        }
        let loaded = self.loaded();
        let family = self.family.clone();
        py.detach(|| -> nca::Result<()> {
            let bytes = match loaded {
                Loaded::Grow { nca, cfg, .. } => nca::onnx::nca_tick(nca, &family, &json(cfg)?)?,
                Loaded::Classify { nca, cfg } => nca::onnx::nca_tick(nca, &family, &json(cfg)?)?,
                Loaded::Tiny { nca, cfg } => nca::onnx::nca_tick(nca, &family, &json(cfg)?)?,
                Loaded::Generate { model, cfg } => {
                    nca::onnx::nca_tick(&model.nca, &family, &json(cfg)?)?
                }
                Loaded::Refine { model, templates } => {
                    nca::refine::onnx::export(model, templates.side)?
                }
                Loaded::Attention { model, cfg } => nca::attention::onnx::export(model, cfg)?,
            };
            nca_data::write_atomic(&path, &bytes, force)?;
            Ok(())
        })
        .or_py()
    }

    fn __repr__(&self) -> String {
        format!(
            "<nca.Model {} from '{}', step {}>",
            self.family, self.source, self.meta.step
        )
    }
}

/// A family config as the JSON the ONNX metadata carries.
fn json(v: &impl serde::Serialize) -> nca::Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| nca::NcaError::config("config", e.to_string()))
}

/// The batch size argument of `seed` (default 1).
fn batch_arg(arg: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let b: usize = match arg {
        None => 1,
        Some(a) => a
            .extract()
            .map_err(|_| value_error("seed(batch) takes a batch size (an int >= 1)"))?,
    };
    if b == 0 || b > 4096 {
        return Err(value_error(format!("batch must be in 1..=4096, not {b}")));
    }
    Ok(b)
}

/// The images a generate model starts from: the given `[B, 28, 28]` (reconstruct mode needs
/// them) or zeros (grow mode ignores them).
fn generate_images(
    cfg: &nca::generate::GenerateConfig,
    images: Option<&Bound<'_, PyAny>>,
    b: usize,
) -> PyResult<Vec<f32>> {
    let side = nca_data::DIGIT_SIDE;
    match (images, cfg.mode) {
        (Some(img), _) => {
            let (shape, v) = f32_array(img, "images", 3)?;
            if shape != [b, side, side] {
                return Err(value_error(format!(
                    "images must have shape [{b}, {side}, {side}] (one per label), got {shape:?}"
                )));
            }
            Ok(v)
        }
        (None, nca::generate::GenerateMode::Reconstruct) => Err(value_error(
            "this reconstruct model needs images [B, 28, 28] to reconstruct",
        )),
        (None, nca::generate::GenerateMode::Grow) => Ok(vec![0.0; b * side * side]),
    }
}

/// An attention NCA state `[B, C, H, W]` checked against the model's channels.
fn attention_state(
    state: &Bound<'_, PyAny>,
    model: &nca::attention::AttentionNca,
) -> PyResult<([usize; 4], Vec<f32>)> {
    let (shape, values) = f32_array(state, "state", 4)?;
    let c = model.channels();
    if shape[1] != c || shape.contains(&0) {
        return Err(value_error(format!(
            "state must have shape [batch, {c}, height, width] for this attention model, got {shape:?}"
        )));
    }
    Ok(([shape[0], shape[1], shape[2], shape[3]], values))
}

/// `ticks` transitions `s + f(s)` of the attention NCA on Burn.
fn attention_ticks(
    model: &nca::attention::AttentionNca,
    x: Vec<f32>,
    shape: [usize; 4],
    ticks: usize,
) -> nca::Result<Vec<f32>> {
    use burn::tensor::{Tensor, TensorData};
    let device = nca::device::device_for(None)?;
    let mut t = Tensor::<4>::from_data(TensorData::new(x, shape), &device);
    for _ in 0..ticks {
        t = model.forward(t);
    }
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| nca::NcaError::config("state", format!("{e:?}")))
}

/// [`Runner::run`] in chunks of ticks whose fire masks (drawn up front by the engine) stay
/// within a few tens of MB; the masks are drawn tick by tick in order either way, so the result
/// is the same as one call.
fn run_ticks(
    runner: &Runner,
    x: &mut Vec<f32>,
    dims: [usize; 3],
    ticks: usize,
    rng: &mut StdRng,
) -> nca::Result<()> {
    let cells = dims.iter().product::<usize>().max(1);
    let chunk = ((1usize << 24) / cells).max(1);
    let mut left = ticks;
    while left > 0 {
        let n = left.min(chunk);
        runner.run(x, dims, n, rng)?;
        left -= n;
    }
    Ok(())
}
