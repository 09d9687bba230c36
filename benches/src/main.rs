//! `nca-bench`: times one training step (forward over T ticks, loss, backward, per-variable
//! gradient normalisation, Adam) and inference of our implementation, and writes the exact
//! inputs — weights, initial states, fire masks, noise, targets — that the PyTorch reference
//! (`benches/reference/nca_reference.py`) reads, so both run the same computation.
//!
//! Usage: `nca-bench CASE --dir DIR [--iters N]`, one case per process so that peak RSS is the
//! case's own. Cases: classify_b16, classify_b64, grow_b8, infer_classify, infer_grow,
//! refine_b256 (reference: `benches/reference/refine_reference.py`), rollout_grow and
//! rollout_classify (the shipped models, against `benches/python_overhead.py`). Prints
//! one JSON object. `bash benches/run.sh` runs everything and compares (see BENCHMARKS.md).

#![warn(missing_docs)]

use nca::ca::Preset;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor, TensorData};
use nca::ca::{Nca, StateLoss, prefix_mse_and_grad, train_step};
use nca::classify::ClassifyConfig;
use nca::classify::task::{fresh_state, loss_and_grad, targets};
use nca::engine::{Engine, NcaParams, NcaSpec, TickMasks};
use nca::grads::{GradPolicy, apply_grad_policy};
use nca::grow::{GrowConfig, GrowTarget};
use nca::update::CellMlp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn write_f32(path: &Path, v: &[f32]) -> Res<()> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes)?;
    Ok(())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Gives a zero-initialised last layer small random weights, as after some training.
fn randomise_last(mlp: &mut CellMlp, rng: &mut StdRng, scale: f32) {
    let last = mlp.layers.pop().expect("a layer");
    let mut draw = |t: Tensor<4>| {
        let dims = t.dims();
        let v: Vec<f32> = (0..dims.iter().product::<usize>())
            .map(|_| rng.random_range(-scale..scale))
            .collect();
        Tensor::from_data(TensorData::new(v, dims), &t.device())
            .set_require_grad(t.is_require_grad())
    };
    let weight: Param<Tensor<4>> = last.weight.map(&mut draw);
    mlp.layers.push(Conv2d { weight, ..last });
}

/// Writes the model's weights as the reference script expects them.
fn write_params(dir: &Path, p: &NcaParams) -> Res<()> {
    if let Some((w, b)) = &p.perception {
        write_f32(&dir.join("perception_w.bin"), w)?;
        write_f32(&dir.join("perception_b.bin"), b)?;
    }
    for (i, (w, b)) in p.layers.iter().enumerate() {
        write_f32(&dir.join(format!("l{i}_w.bin")), w)?;
        write_f32(&dir.join(format!("l{i}_b.bin")), b)?;
    }
    Ok(())
}

fn write_ticks(dir: &Path, ticks: &[TickMasks]) -> Res<()> {
    let fire: Vec<u8> = ticks.iter().flat_map(|t| t.fire.iter().copied()).collect();
    std::fs::write(dir.join("fire.bin"), fire)?;
    if ticks.iter().all(|t| t.noise.is_some()) {
        let noise: Vec<f32> = ticks
            .iter()
            .flat_map(|t| t.noise.clone().unwrap_or_default())
            .collect();
        write_f32(&dir.join("noise.bin"), &noise)?;
    }
    Ok(())
}

/// Writes what the PyTorch reference reads for a training case: weights, start states, target,
/// masks and `case.json`.
fn write_inputs(
    case: &Case,
    params: &NcaParams,
    x0: &[f32],
    target: &[f32],
    ticks: &[TickMasks],
    meta: &serde_json::Value,
) -> Res<()> {
    write_params(&case.dir, params)?;
    write_f32(&case.dir.join("x0.bin"), x0)?;
    write_f32(&case.dir.join("target.bin"), target)?;
    write_ticks(&case.dir, ticks)?;
    std::fs::write(case.dir.join("case.json"), meta.to_string())?;
    Ok(())
}

struct Case {
    name: String,
    dir: PathBuf,
    iters: usize,
    data: PathBuf,
}

fn classify_train(case: &Case, batch: usize) -> Res<serde_json::Value> {
    let cfg = ClassifyConfig::default();
    let test = nca_data::load_split(&case.data, nca_data::SplitName::Test)?;
    let (h, w) = (test.rows(), test.cols());
    let mut x0 = Vec::new();
    let mut labels = Vec::new();
    for i in 0..batch {
        x0.extend(fresh_state(&test.image_f32(i), cfg.channels));
        labels.push(test.label(i));
    }
    drop(test);
    let device = Device::flex().autodiff();
    let mut rng = StdRng::seed_from_u64(7);
    let mut model = cfg.init(&device, &mut rng);
    randomise_last(&mut model.update, &mut rng, 0.02);
    let dims = [batch, h, w];
    let ticks = model.cfg.draw_ticks(&mut rng, cfg.ticks, dims, true);
    let target = targets(&labels, &x0, &cfg, h * w);
    let meta = serde_json::json!({
        "family": "classify", "batch": batch, "height": h, "width": w,
        "channels": cfg.channels, "ticks": cfg.ticks, "hidden": cfg.hidden,
        "threshold": cfg.alive_threshold, "lr": 1e-3, "iters": case.iters,
    });
    write_inputs(case, &model.params(), &x0, &target, &ticks, &meta)?;
    let loss = |x: &[f32]| loss_and_grad(x, &target, &cfg, dims);
    let run = TrainRun {
        x0: &x0,
        dims,
        ticks: &ticks,
        lr: 1e-3,
        warmup: 2,
    };
    time_steps(case, model, &run, &loss)
}

/// The fixed inputs of a timed training step.
struct TrainRun<'a> {
    x0: &'a [f32],
    dims: [usize; 3],
    ticks: &'a [TickMasks],
    lr: f64,
    warmup: usize,
}

/// Times the shipped training step ([`train_step`] on the fast engine, per-variable gradient
/// normalisation, Adam) on fixed inputs. Returns the step times after `warmup` untimed steps,
/// the first step's loss and the share of cells the engine computed, as the case's [`report`].
fn time_steps(
    case: &Case,
    mut model: Nca,
    run: &TrainRun,
    loss: &impl StateLoss,
) -> Res<serde_json::Value> {
    let spec = model.cfg.spec();
    let active =
        nca_fast::rollout(&spec, &model.params(), run.x0, run.dims, run.ticks, false)?.active_share;
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let mut tape = None;
    let (mut times, mut first_loss) = (Vec::new(), f32::NAN);
    for it in 0..case.iters + run.warmup {
        let t0 = Instant::now();
        let out = train_step(
            &model,
            Engine::Fast,
            run.x0,
            run.dims,
            run.ticks,
            &mut tape,
            loss,
        )?;
        let mut grads = out.grads;
        apply_grad_policy(&model, &mut grads, GradPolicy::PerVariable);
        model = optim.step(run.lr, model, grads);
        if it == 0 {
            first_loss = out.loss;
        }
        if it >= run.warmup {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    Ok(report(case, &times, first_loss, active))
}

fn report(case: &Case, times: &[f64], first_loss: f32, active: f32) -> serde_json::Value {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    serde_json::json!({
        "case": case.name, "impl": "nca",
        "ms_per_step": median * 1e3,
        "mean_ms_per_step": times.iter().sum::<f64>() / times.len() as f64 * 1e3,
        "steps_per_s": 1.0 / median,
        "first_loss": first_loss,
        "active_share": active,
        "peak_rss_mb": peak_rss_mb(),
    })
}

/// A grown lizard state: the target's RGBA with random hidden channels where it is alive.
fn grown_lizard(case: &Case, cfg: &GrowConfig, rng: &mut StdRng) -> Res<(GrowTarget, Vec<f32>)> {
    let target = GrowTarget::from_png(&case.data.join("emoji/lizard.png"), 40, 16)?;
    let s = target.side;
    let n = s * s;
    let mut state = vec![0.0f32; cfg.channels * n];
    state[..4 * n].copy_from_slice(&target.rgba);
    for i in 0..n {
        if target.rgba[3 * n + i] > 0.1 {
            for c in 4..cfg.channels {
                state[c * n + i] = rng.random_range(-0.5..0.5);
            }
        }
    }
    Ok((target, state))
}

fn grow_model(cfg: &GrowConfig, device: &Device, rng: &mut StdRng) -> Nca {
    let mut model = cfg.init(device, rng);
    randomise_last(&mut model.update, rng, 0.002);
    model
}

fn grow_train(case: &Case, batch: usize, ticks_n: usize) -> Res<serde_json::Value> {
    let cfg = GrowConfig::default();
    let mut rng = StdRng::seed_from_u64(9);
    let (target, one) = grown_lizard(case, &cfg, &mut rng)?;
    let s = target.side;
    let x0: Vec<f32> = (0..batch).flat_map(|_| one.iter().copied()).collect();
    let device = Device::flex().autodiff();
    let model = grow_model(&cfg, &device, &mut rng);
    let dims = [batch, s, s];
    let ticks = model.cfg.draw_ticks(&mut rng, ticks_n, dims, true);
    let meta = serde_json::json!({
        "family": "grow", "batch": batch, "height": s, "width": s,
        "channels": cfg.channels, "ticks": ticks_n, "hidden": cfg.hidden,
        "threshold": cfg.alive_threshold, "lr": 2e-3, "iters": case.iters,
    });
    write_inputs(case, &model.params(), &x0, &target.rgba, &ticks, &meta)?;
    let per_state = cfg.channels * s * s;
    let loss = |x: &[f32]| prefix_mse_and_grad(x, per_state, &target.rgba);
    let run = TrainRun {
        x0: &x0,
        dims,
        ticks: &ticks,
        lr: 2e-3,
        warmup: 1,
    };
    time_steps(case, model, &run, &loss)
}

fn inference(case: &Case, grow: bool) -> Res<serde_json::Value> {
    let mut rng = StdRng::seed_from_u64(11);
    let device = Device::flex();
    let (spec, params, x0, dims, meta): (NcaSpec, NcaParams, Vec<f32>, [usize; 3], _) = if grow {
        let cfg = GrowConfig::default();
        let (target, x0) = grown_lizard(case, &cfg, &mut rng)?;
        let model = grow_model(&cfg, &device, &mut rng);
        let s = target.side;
        let meta = serde_json::json!({"family": "grow", "batch": 1, "height": s, "width": s,
            "channels": cfg.channels, "hidden": cfg.hidden, "threshold": cfg.alive_threshold});
        (model.cfg.spec(), model.params(), x0, [1, s, s], meta)
    } else {
        let cfg = ClassifyConfig::default();
        let test = nca_data::load_split(&case.data, nca_data::SplitName::Test)?;
        let x0 = fresh_state(&test.image_f32(0), cfg.channels);
        let (h, w) = (test.rows(), test.cols());
        drop(test);
        let mut model = cfg.init(&device, &mut rng);
        randomise_last(&mut model.update, &mut rng, 0.02);
        let meta = serde_json::json!({"family": "classify", "batch": 1, "height": h, "width": w,
            "channels": cfg.channels, "hidden": cfg.hidden, "threshold": cfg.alive_threshold});
        (model.cfg.spec(), model.params(), x0, [1, h, w], meta)
    };
    let ticks_n = 200;
    let [_, h, w] = dims;
    // Both families fire at rate 0.5 and evaluate without noise.
    let rule = GrowConfig::default().ca();
    let ticks = rule.draw_ticks(&mut rng, ticks_n, [1, h, w], false);
    write_params(&case.dir, &params)?;
    write_f32(&case.dir.join("x0.bin"), &x0)?;
    write_ticks(&case.dir, &ticks)?;
    let mut meta = meta;
    meta["ticks"] = ticks_n.into();
    meta["iters"] = case.iters.into();
    std::fs::write(case.dir.join("case.json"), meta.to_string())?;
    let mut times = Vec::new();
    for it in 0..case.iters + 1 {
        let t0 = Instant::now();
        let roll = nca_fast::rollout(&spec, &params, &x0, dims, &ticks, false)?;
        std::hint::black_box(&roll.final_state);
        if it >= 1 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    Ok(serde_json::json!({
        "case": case.name, "impl": "nca",
        "ticks_per_s": ticks_n as f64 / median,
        "ms_per_tick": median * 1e3 / ticks_n as f64,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// The shipped model's rollout at batch 1, 1,000 ticks per call, exactly as `nca.Model.step`
/// runs it from Python (`benches/python_overhead.py` compares the two): `Runner::run` with fire
/// masks drawn from `StdRng::seed_from_u64(call)`, from the lizard's seed cell (grow) or the
/// first test digit (classify). Reports the median call's ticks per second.
fn shipped_rollout(case: &Case, grow: bool) -> Res<serde_json::Value> {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let device = Device::flex();
    let (model, x0, dims) = if grow {
        let (model, cfg, target, _) =
            nca::grow::model::load_checkpoint(&models.join("lizard.safetensors"), &device)?;
        let s = target.side;
        (model, nca::grow::seed_state(cfg.channels, s), [1, s, s])
    } else {
        let (model, cfg, _) = nca::classify::model::load_checkpoint(
            &models.join("classify-mnist.safetensors"),
            &device,
        )?;
        let test = nca_data::load_split(&case.data, nca_data::SplitName::Test)?;
        let x0 = fresh_state(&test.image_f32(0), cfg.channels);
        (model, x0, [1, test.rows(), test.cols()])
    };
    let runner = nca::ca::Runner::new(&model);
    let ticks_n = 1000;
    let mut times = Vec::new();
    for call in 0..case.iters + 1 {
        let mut x = x0.clone();
        let t0 = Instant::now();
        runner.run(
            &mut x,
            dims,
            ticks_n,
            &mut StdRng::seed_from_u64(call as u64),
        )?;
        std::hint::black_box(&x);
        if call >= 1 {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    Ok(serde_json::json!({
        "case": case.name, "impl": "nca-native",
        "ticks_per_s": ticks_n as f64 / median,
        "ms_per_call": median * 1e3,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// One training step of the digit refiner at the original's size (50 blocks, width 16, batch
/// `batch`): the shipped `RefineTask::step` on the spectral engine, then Adam, on real training
/// digits (the first `batch`, so one epoch is one batch).
fn refine_train(case: &Case, batch: usize) -> Res<serde_json::Value> {
    use nca::refine::{
        RefineConfig, RefineNca, RefineTask, Templates, spectral, task::template_batch,
    };
    use nca::trainer::Task;
    let cfg = RefineConfig {
        batch,
        ..RefineConfig::default()
    };
    let train = nca_data::load_split(&case.data, nca_data::SplitName::Train)?;
    let templates = Templates::from_split(&train)?;
    let side = templates.side;
    let x: Vec<f32> = (0..batch).flat_map(|i| train.image_f32(i)).collect();
    let labels: Vec<u8> = (0..batch).map(|i| train.label(i)).collect();
    let target = template_batch(&labels, &templates);
    let device = Device::flex().autodiff();
    let mut model = RefineNca::new(&cfg, &templates, &device, &mut StdRng::seed_from_u64(5));
    let p = spectral::stack_params(&model);
    let cat = |f: &dyn Fn(&nca_fast::StackBlock) -> Vec<f32>| -> Vec<f32> {
        p.blocks.iter().flat_map(f).collect()
    };
    write_f32(&case.dir.join("conv_w.bin"), &cat(&|b| b.conv_w.clone()))?;
    write_f32(&case.dir.join("conv_b.bin"), &cat(&|b| b.conv_b.clone()))?;
    write_f32(&case.dir.join("out_w.bin"), &cat(&|b| b.out_w.clone()))?;
    write_f32(&case.dir.join("out_b.bin"), &cat(&|b| vec![b.out_b]))?;
    write_f32(&case.dir.join("x.bin"), &x)?;
    write_f32(&case.dir.join("target.bin"), &target)?;
    let meta = serde_json::json!({
        "family": "refine", "batch": batch, "side": side, "blocks": cfg.blocks,
        "width": cfg.width, "kernel": cfg.kernel, "target_every": cfg.target_every,
        "smooth_weight": cfg.smooth_weight, "lr": cfg.lr, "iters": case.iters,
    });
    std::fs::write(case.dir.join("case.json"), meta.to_string())?;
    let data = std::sync::Arc::new(train.truncated(batch)?);
    let mut task = RefineTask::new(cfg.clone(), templates, data, 0)?;
    task.engine = Engine::Fast;
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let mut rng = StdRng::seed_from_u64(0);
    let (mut times, mut first_loss) = (Vec::new(), f32::NAN);
    for it in 0..case.iters + 1 {
        let t0 = Instant::now();
        let out = task.step(&model, it, &mut rng)?;
        model = optim.step(cfg.lr, model, out.grads);
        if it == 0 {
            first_loss = out.loss;
        } else {
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    Ok(report(case, &times, first_loss, 1.0))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn run() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: nca-bench CASE --dir DIR [--iters N] [--data DIR]";
    let name = args.get(1).ok_or(usage)?.clone();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let dir = PathBuf::from(get("--dir").ok_or(usage)?);
    std::fs::create_dir_all(&dir)?;
    let data = nca_data::resolve_data_dir(get("--data").as_deref().map(Path::new))?;
    let default_iters = match name.as_str() {
        // Ours takes ~30 ms a step here: 50 steps make its median span more than a second.
        "classify_b16" => 50,
        // One rollout of ours is ~7 ms (classify): 100 span most of a second.
        "infer_classify" => 100,
        n if n.starts_with("rollout") => 7,
        n if n.starts_with("grow") => 5,
        n if n.starts_with("refine") => 3,
        _ => 20,
    };
    let iters = get("--iters")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(default_iters);
    let case = Case {
        name: name.clone(),
        dir,
        iters,
        data,
    };
    let out = match name.as_str() {
        "classify_b16" => classify_train(&case, 16)?,
        "classify_b64" => classify_train(&case, 64)?,
        "grow_b8" => grow_train(&case, 8, 80)?,
        "infer_classify" => inference(&case, false)?,
        "infer_grow" => inference(&case, true)?,
        "refine_b256" => refine_train(&case, 256)?,
        "rollout_grow" => shipped_rollout(&case, true)?,
        "rollout_classify" => shipped_rollout(&case, false)?,
        _ => return Err(format!("unknown case '{name}'; {usage}").into()),
    };
    println!("{out}");
    Ok(())
}
