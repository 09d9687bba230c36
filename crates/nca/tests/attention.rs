//! The convolutional-attention NCA: the design doc's tests (shape and normalised weights, noise
//! variance, a uniform target reached within 1000 steps, the spike after reaching it), a
//! gradient check against finite differences, and a run on disk that reloads.

use burn::module::{Module, Param};
use burn::nn::conv::Conv2dConfig;
use burn::tensor::{Device, Tensor, TensorData};
use nca::attention::model::{NEIGHBOURS, OFFSETS};
use nca::attention::{
    AttentionConfig, AttentionNca, AttentionReport, AttentionTarget, AttentionTrainConfig, Start,
    load_checkpoint, train_run, trainer_config,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec().unwrap()
}

/// A 5x5, 3-channel state with known, distinct values.
fn known_state(dev: &Device) -> Tensor<4> {
    let v: Vec<f32> = (0..3 * 25)
        .map(|i| ((i * 37 % 23) as f32 / 23.0) - 0.5)
        .collect();
    Tensor::from_data(TensorData::new(v, [1, 3, 5, 5]), dev)
}

#[test]
fn output_has_the_input_shape_and_weights_sum_to_one_per_cell() {
    let dev = Device::flex();
    let cfg = AttentionConfig::default();
    let m = AttentionNca::new(&cfg, &dev, &mut StdRng::seed_from_u64(0));
    let x = known_state(&dev);
    assert_eq!(m.update(x.clone()).dims(), [1, 3, 5, 5]);
    assert_eq!(m.forward(x.clone()).dims(), [1, 3, 5, 5]);
    let w = m.attention_weights(x);
    assert_eq!(w.dims(), [1, NEIGHBOURS, 5, 5]);
    let w = values(w);
    for y in 0..5 {
        for x in 0..5 {
            let at = |o: usize| w[(o * 5 + y) * 5 + x];
            let sum: f32 = (0..NEIGHBOURS).map(at).sum();
            assert!((sum - 1.0).abs() < 1e-5, "cell ({y},{x}) sums to {sum}");
            for (o, &(dy, dx)) in OFFSETS.iter().enumerate() {
                let (ny, nx) = (y as isize + dy, x as isize + dx);
                let inside = (0..5).contains(&ny) && (0..5).contains(&nx);
                if inside {
                    assert!(at(o) > 0.0, "({y},{x}) offset {o}");
                } else {
                    assert_eq!(at(o), 0.0, "({y},{x}) offset {o} lies beyond the border");
                }
            }
        }
    }
    // With hidden channels the update still has the state's shape.
    let cfg = AttentionConfig {
        hidden_channels: 2,
        width: 4,
        ..AttentionConfig::default()
    };
    let m = AttentionNca::new(&cfg, &dev, &mut StdRng::seed_from_u64(0));
    assert_eq!(
        m.forward(Tensor::zeros([2, 5, 5, 5], &dev)).dims(),
        [2, 5, 5, 5]
    );
}

/// A model whose output map is random too (a fresh one starts at zero, so that f = 0).
fn random_model(cfg: &AttentionConfig, dev: &Device, seed: u64) -> AttentionNca {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut m = AttentionNca::new(cfg, dev, &mut rng);
    let out = Conv2dConfig::new([cfg.width, cfg.channels()], [1, 1]).init(dev);
    m.out = nca::init::torch_default(out, &mut rng);
    m
}

#[test]
fn the_update_depends_only_on_the_3x3_neighbourhood() {
    let dev = Device::flex();
    let m = random_model(&AttentionConfig::default(), &dev, 1);
    let x = Tensor::<4>::zeros([1, 3, 7, 7], &dev) + 0.3;
    let poked = x.clone().slice_assign(
        [0..1, 0..3, 3..4, 3..4],
        Tensor::<4>::ones([1, 3, 1, 1], &dev),
    );
    let d = values((m.update(x) - m.update(poked)).abs().sum_dim(1));
    for y in 0..7usize {
        for x in 0..7usize {
            let near = y.abs_diff(3) <= 1 && x.abs_diff(3) <= 1;
            assert_eq!(d[y * 7 + x] > 0.0, near, "cell ({y},{x}): {}", d[y * 7 + x]);
        }
    }
}

fn red(side: usize) -> AttentionTarget {
    AttentionTarget::parse("uniform:red", side).unwrap()
}

fn run_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nca-attention-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Trains `cfg` in a fresh directory; returns the report and the distance of the state to the
/// target before the first step and after every step.
/// A run on the 8x8 red target in `dir` with checkpoints every `every` steps, no callback.
fn quiet_run(
    cfg: &AttentionTrainConfig,
    dir: &std::path::Path,
    start: Start,
    every: usize,
) -> nca::Result<AttentionReport> {
    let trainer = trainer_config(cfg, every);
    train_run(
        cfg,
        &red(8),
        dir,
        (start, &trainer),
        &Device::flex(),
        |_, _| Ok(()),
    )
}

fn run(cfg: &AttentionTrainConfig, side: usize, name: &str) -> (AttentionReport, Vec<f32>) {
    let dir = run_dir(name);
    let mut dists = Vec::new();
    let report = train_run(
        cfg,
        &red(side),
        &dir,
        (Start::Fresh, &trainer_config(cfg, 500)),
        &Device::flex(),
        |t, _| {
            dists.push(t.distance());
            Ok(())
        },
    )
    .unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    (report, dists)
}

/// The doc's integration tests: with the default settings a uniform red 32x32 target is reached
/// (loss below ε) within 1000 steps, and the state the next step starts from is spiked.
#[test]
fn uniform_red_is_reached_within_1000_steps_and_then_spiked() {
    let cfg = AttentionTrainConfig {
        steps: 1000,
        max_spikes: Some(1),
        ..AttentionTrainConfig::default()
    };
    let (report, dists) = run(&cfg, 32, "red32");
    assert!(
        dists[0] > 0.5,
        "starts from standard Gaussian noise: {}",
        dists[0]
    );
    let Some(step) = report.first_below_epsilon else {
        panic!(
            "loss never fell below ε in 1000 steps (last {})",
            report.final_loss
        );
    };
    let loss = report.losses[step - 1];
    eprintln!("first loss below ε at step {step}: {loss}");
    assert!(loss < cfg.epsilon);
    assert!(report.losses[..step - 1].iter().all(|&l| l >= cfg.epsilon));
    assert_eq!(
        (report.spike_steps.as_slice(), report.steps),
        (&[step][..], step)
    );
    assert_eq!(report.stopped_by, "max_spikes");
    // Before the step the state was near the target; after the spike it is σ_large away: its
    // mean squared distance is about σ_large² = 0.01, ten times ε.
    let (before, after) = (dists[step - 1], dists[step]);
    let sl2 = cfg.sigma_large * cfg.sigma_large;
    assert!(before < 10.0 * cfg.epsilon, "near before: {before}");
    assert!(
        after > 0.6 * sl2 && after > 5.0 * loss,
        "spiked: distance {after} after a loss of {loss}"
    );
}

#[test]
fn without_a_spike_the_next_state_is_the_step_output() {
    // ε = 0 never spikes: the state after a step is within the small noise of where it was sent.
    let cfg = AttentionTrainConfig {
        epsilon: 0.0,
        steps: 3,
        ..AttentionTrainConfig::default()
    };
    let (report, dists) = run(&cfg, 8, "nospike");
    assert_eq!((report.steps, dists.len()), (3, 4));
    for (loss, dist) in report.losses.iter().zip(&dists[1..]) {
        assert!(
            (dist - loss).abs() < 1e-4 * loss.max(1.0),
            "{dist} vs {loss}"
        );
    }
    assert!(report.spike_steps.is_empty() && report.first_below_epsilon.is_none());
}

#[test]
fn the_run_stops_after_max_spikes() {
    // ε so large that every step spikes.
    let cfg = AttentionTrainConfig {
        epsilon: 100.0,
        max_spikes: Some(4),
        steps: 50,
        ..AttentionTrainConfig::default()
    };
    let (report, _) = run(&cfg, 6, "maxspikes");
    assert_eq!(report.spike_steps, [1, 2, 3, 4]);
    assert_eq!((report.steps, report.stopped_by), (4, "max_spikes"));
}

/// A run cut short and resumed computes what an uninterrupted run does: the same losses, spike
/// steps and final weights.
#[test]
fn a_resumed_run_continues_exactly() {
    // ε so large that every step spikes: the spikes cross the resume too.
    let cfg = AttentionTrainConfig {
        steps: 12,
        epsilon: 100.0,
        ..AttentionTrainConfig::default()
    };
    let dev = Device::flex();
    let whole = run_dir("whole");
    let a = quiet_run(&cfg, &whole, Start::Fresh, 4).unwrap();
    let split = run_dir("split");
    let first = AttentionTrainConfig {
        steps: 6,
        ..cfg.clone()
    };
    quiet_run(&first, &split, Start::Fresh, 4).unwrap();
    let b = quiet_run(&cfg, &split, Start::Resume, 4).unwrap();
    assert_eq!(b.losses, a.losses);
    assert_eq!(b.spike_steps, a.spike_steps);
    assert!(
        !a.spike_steps.is_empty(),
        "the test covers spikes across the resume"
    );
    let weights = |p: &std::path::Path| {
        let (m, _, _) = load_checkpoint(p, &dev).unwrap();
        let mut v = values(m.query.weight.val());
        v.extend(values(m.out.weight.val()));
        v
    };
    assert_eq!(weights(&a.model_path), weights(&b.model_path));
    std::fs::remove_dir_all(whole).unwrap();
    std::fs::remove_dir_all(split).unwrap();
}

/// `sum(f(s) · r)` for a fixed random `r`: a scalar that depends on every output.
fn probe(m: &AttentionNca, s: Tensor<4>, r: &Tensor<4>) -> Tensor<1> {
    (m.update(s) * r.clone()).sum()
}

/// Burn's autodiff gradient of the attention block, with respect to its input, the offset
/// embeddings and the offset biases, against central finite differences on a tiny input (border cells
/// included, so masking is covered).
#[test]
fn autodiff_gradient_matches_finite_differences() {
    let cpu = Device::flex();
    let ad = cpu.clone().autodiff();
    let cfg = AttentionConfig {
        width: 4,
        hidden_channels: 1,
        ..AttentionConfig::default()
    };
    let (m_ad, m) = (random_model(&cfg, &ad, 9), random_model(&cfg, &cpu, 9));
    let shape = [1, 4, 3, 4];
    let mut rng = StdRng::seed_from_u64(10);
    let s0 = nca::noise::gaussian_values(&mut rng, 48, 1.0);
    let r = Tensor::<4>::from_data(
        TensorData::new(nca::noise::gaussian_values(&mut rng, 48, 1.0), shape),
        &cpu,
    );

    let s = Tensor::<4>::from_data(TensorData::new(s0.clone(), shape), &ad).require_grad();
    let loss = probe(&m_ad, s.clone(), &r.clone().autodiff());
    let grads = loss.backward();
    let g_state = values(s.grad(&grads).expect("state gradient"));
    let g_pos = values(m_ad.position.as_ref().unwrap().val().grad(&grads).unwrap());
    let g_bias = values(
        m_ad.offset_bias
            .as_ref()
            .unwrap()
            .val()
            .grad(&grads)
            .unwrap(),
    );

    let f = |m: &AttentionNca, v: &[f32]| -> f64 {
        let s = Tensor::<4>::from_data(TensorData::new(v.to_vec(), shape), &cpu);
        probe(m, s, &r).into_scalar::<f32>() as f64
    };
    let h = 1e-2f32;
    let check = |what: &str, autodiff: &[f32], x0: &[f32], eval: &dyn Fn(Vec<f32>) -> f64| {
        for (i, &g) in autodiff.iter().enumerate() {
            let (mut up, mut down) = (x0.to_vec(), x0.to_vec());
            up[i] += h;
            down[i] -= h;
            let fd = (eval(up) - eval(down)) / (2.0 * h as f64);
            let ok = (g as f64 - fd).abs() <= 2e-3 + 2e-2 * fd.abs();
            assert!(ok, "{what}[{i}]: autodiff {g}, finite difference {fd}");
        }
        assert!(
            autodiff.iter().any(|g| g.abs() > 1e-3),
            "{what} gets a gradient"
        );
    };
    check("d/ds", &g_state, &s0, &|v| f(&m, &v));
    let p0 = values(m.position.as_ref().unwrap().val());
    check("d/dposition", &g_pos, &p0, &|v| {
        let mut m2 = m.clone();
        let t = Tensor::from_data(TensorData::new(v, [NEIGHBOURS, 4]), &cpu);
        m2.position = Some(Param::from_tensor(t));
        f(&m2, &s0)
    });
    let b0 = values(m.offset_bias.as_ref().unwrap().val());
    check("d/dbias", &g_bias, &b0, &|v| {
        let mut m2 = m.clone();
        let t = Tensor::from_data(TensorData::new(v, [NEIGHBOURS]), &cpu);
        m2.offset_bias = Some(Param::from_tensor(t));
        f(&m2, &s0)
    });
}

#[test]
fn a_run_writes_metrics_and_a_checkpoint_that_reloads() {
    let dir = std::env::temp_dir().join(format!("nca-attention-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = AttentionTrainConfig {
        steps: 20,
        ..AttentionTrainConfig::default()
    };
    let dev = Device::flex();
    let mut seen = 0;
    let report = train_run(
        &cfg,
        &red(8),
        &dir,
        (Start::Fresh, &trainer_config(&cfg, 500)),
        &dev,
        |_, step| {
            assert_eq!(step, seen);
            seen += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!((report.steps, report.losses.len(), seen), (20, 20, 21));
    assert_eq!(report.params, 396);
    assert_eq!(report.stopped_by, "steps");
    let lines = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["step"], 1);
    assert!((first["loss"].as_f64().unwrap() - report.losses[0] as f64).abs() < 1e-6);
    assert_eq!(lines.lines().count(), 20);

    let (m, mcfg, meta) = load_checkpoint(&report.model_path, &dev).unwrap();
    assert_eq!(
        (mcfg, meta.step, meta.family.as_str()),
        (cfg.model.clone(), 20, "attention")
    );
    assert_eq!(m.num_params(), 396);
    // The same seed gives the same run.
    let again = std::env::temp_dir().join(format!("nca-attention-run2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&again);
    let r2 = quiet_run(&cfg, &again, Start::Fresh, 500).unwrap();
    assert_eq!(r2.losses, report.losses);
    // An existing run is not replaced unless asked.
    let e = quiet_run(&cfg, &dir, Start::Fresh, 500)
        .unwrap_err()
        .to_string();
    assert!(e.contains("already holds a run"), "{e}");
    assert!(quiet_run(&cfg, &dir, Start::Replace, 500).is_ok());
    // Loading it as another family fails with one clear line.
    let e = nca::grow::model::load_checkpoint(&report.model_path, &dev)
        .expect_err("wrong family")
        .to_string();
    assert!(e.contains("'attention' checkpoint"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(again).unwrap();
}
