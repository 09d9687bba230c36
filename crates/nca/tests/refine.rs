//! The digit refiner: architecture facts, locality, loss, templates, verdict, training through
//! the shared trainer, evaluation and ONNX export.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use common::{losses_of, run_options};
use nca::engine::Engine;
use nca::refine::eval::{EvalOptions, evaluate, run_images};
use nca::refine::task::{loss_terms, template_batch};
use nca::refine::{RefineConfig, RefineNca, RefineTask, Templates, verdict};
use nca::trainer::{Task, TrainerConfig, train};
use nca_data::{Split, SplitName};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SIDE: usize = 28;
const HW: usize = SIDE * SIDE;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nca-refine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A split of `n` synthetic 28x28 digits: digit `l` is a bright bar at rows `2l..2l+8`, with a
/// little noise, so every class has its own mean image.
fn synthetic_split(n: usize, seed: u64) -> Split {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(n * HW);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let l = (i % 10) as u8;
        labels.push(l);
        for y in 0..SIDE {
            for x in 0..SIDE {
                let on = (2 * l as usize..2 * l as usize + 8).contains(&y) && (6..22).contains(&x);
                let base: u8 = if on { 220 } else { 0 };
                pixels.push(base.saturating_add(rng.random_range(0..30)));
            }
        }
    }
    common::split(SplitName::Train, SIDE, SIDE, pixels, labels)
}

fn small_cfg(width: usize, batch: usize) -> RefineConfig {
    RefineConfig {
        width,
        batch,
        ..RefineConfig::default()
    }
}

fn model(cfg: &RefineConfig, templates: &Templates, seed: u64) -> RefineNca {
    RefineNca::new(
        cfg,
        templates,
        &Device::flex(),
        &mut StdRng::seed_from_u64(seed),
    )
}

/// A refiner (on the autodiff device) with the synthetic split and templates it trains on.
struct Fixture {
    split: Arc<Split>,
    templates: Templates,
    cfg: RefineConfig,
    model: RefineNca,
}

impl Fixture {
    /// `n` synthetic digits (seed `split_seed`), a model of `cfg` with weights seeded by `seed`.
    fn new(n: usize, split_seed: u64, cfg: RefineConfig, seed: u64) -> Self {
        let split = Arc::new(synthetic_split(n, split_seed));
        let templates = Templates::from_split(&split).unwrap();
        let dev = Device::flex().autodiff();
        let model = RefineNca::new(&cfg, &templates, &dev, &mut StdRng::seed_from_u64(seed));
        Self {
            split,
            templates,
            cfg,
            model,
        }
    }

    /// Training step `step` of a fresh task (batch order seeded by `seed`) set up by `set`.
    fn step(
        &self,
        seed: u64,
        step: usize,
        set: impl FnOnce(&mut RefineTask),
    ) -> nca::trainer::StepOutput {
        let (cfg, t) = (self.cfg.clone(), self.templates.clone());
        let mut task = RefineTask::new(cfg, t, self.split.clone(), seed).unwrap();
        set(&mut task);
        task.step(&self.model, step, &mut StdRng::seed_from_u64(0))
            .unwrap()
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn original_model_has_1654050_parameters() {
    let cfg = RefineConfig::default();
    assert_eq!(cfg.num_params(), 1_654_050);
    let m = model(&cfg, &Templates::blank(SIDE), 0);
    // The module also holds the 10 templates (not trained).
    assert_eq!(m.num_params(), 1_654_050 + 10 * HW);
    assert_eq!(m.blocks.len(), 50);
    for (i, b) in m.blocks.iter().enumerate() {
        assert_eq!(b.conv.weight.dims(), [16, i + 1, 9, 9]);
        assert_eq!(b.out.weight.dims(), [1, 16, 1, 1]);
    }
    // About 2.6 GFLOP per digit, as the issue says.
    let gflop = 2.0 * cfg.macs_per_digit(SIDE) as f64 / 1e9;
    assert!((2.5..2.7).contains(&gflop), "{gflop}");
}

#[test]
fn init_is_seeded_kaiming_normal_with_zero_biases() {
    let cfg = small_cfg(16, 4);
    let (a, b, c) = (
        model(&cfg, &Templates::blank(SIDE), 1),
        model(&cfg, &Templates::blank(SIDE), 1),
        model(&cfg, &Templates::blank(SIDE), 2),
    );
    let w = |m: &RefineNca, i: usize| values(m.blocks[i].conv.weight.val());
    assert_eq!(w(&a, 3), w(&b, 3));
    assert_ne!(w(&a, 3), w(&c, 3));
    // Block 50: fan-in 50·81, so std √(2/4050).
    let v = w(&a, 49);
    let std = (v.iter().map(|x| x * x).sum::<f32>() / v.len() as f32).sqrt();
    let want = (2.0f32 / 4050.0).sqrt();
    assert!((std / want - 1.0).abs() < 0.05, "std {std} vs {want}");
    let bias = values(a.blocks[49].conv.bias.as_ref().unwrap().val());
    assert!(bias.iter().all(|&x| x == 0.0));
}

#[test]
fn every_step_sees_only_radius_4_of_the_images_before_it() {
    let cfg = small_cfg(4, 1);
    let m = model(&cfg, &Templates::blank(SIDE), 3);
    let base = vec![0.0f32; HW];
    let mut poked = base.clone();
    poked[14 * SIDE + 14] = 1.0;
    // Burn's direct convolutions: exact zeros outside the reach (FFTs leave rounding noise).
    let a = run_images(&m, &base, 1, SIDE, Engine::Burn).unwrap();
    let b = run_images(&m, &poked, 1, SIDE, Engine::Burn).unwrap();
    assert_eq!(a.len(), 50);
    for t in [0usize, 1, 2] {
        let reach = 4 * (t + 1);
        let mut changed_at_edge = false;
        for i in 0..HW {
            let (y, x) = (i / SIDE, i % SIDE);
            let d = y.abs_diff(14).max(x.abs_diff(14));
            let changed = a[t][i] != b[t][i];
            if d > reach {
                assert!(!changed, "step {}: pixel at distance {d} changed", t + 1);
            }
            changed_at_edge |= changed && d == reach;
        }
        assert!(changed_at_edge, "step {} reaches distance {reach}", t + 1);
    }
    for img in &a {
        assert!(img.iter().all(|v| *v > 0.0 && *v < 1.0), "sigmoid images");
    }
}

#[test]
fn loss_is_mean_mse_at_every_fifth_step_plus_smoothness() {
    let cfg = RefineConfig {
        blocks: 10,
        ..RefineConfig::default()
    };
    let dev = Device::flex();
    // Image i is the constant 0.1·(i+1); the target is zero.
    let outs: Vec<Tensor<4>> = (0..10)
        .map(|i| Tensor::<4>::ones([2, 1, 3, 3], &dev).mul_scalar(0.1 * (i + 1) as f32))
        .collect();
    let terms = loss_terms(&outs, Tensor::zeros([2, 1, 3, 3], &dev), &cfg);
    let get = |t: Tensor<1>| t.into_scalar::<f32>();
    // MSE at steps 5 and 10: (0.5² + 1.0²) / 2; smoothness: every change is 0.1.
    let (mse, smooth) = ((0.25 + 1.0) / 2.0, 0.1);
    assert!((get(terms.mse) - mse).abs() < 1e-6);
    assert!((get(terms.smooth) - smooth).abs() < 1e-6);
    assert!((get(terms.total) - (mse + 0.1 * smooth)).abs() < 1e-6);

    // Against a direct computation on a real forward pass.
    let cfg = small_cfg(2, 3);
    let templates = Templates::from_split(&synthetic_split(30, 1)).unwrap();
    let m = model(&cfg, &templates, 4);
    let split = synthetic_split(3, 9);
    let pixels: Vec<f32> = (0..3).flat_map(|i| split.image_f32(i)).collect();
    let target = template_batch(&split.labels, &templates);
    let x = Tensor::<4>::from_data(TensorData::new(pixels, [3, 1, SIDE, SIDE]), &dev);
    let outs = m.forward(x);
    let t = Tensor::<4>::from_data(TensorData::new(target.clone(), [3, 1, SIDE, SIDE]), &dev);
    let got = get(loss_terms(&outs, t, &cfg).total);
    let imgs: Vec<Vec<f32>> = outs.into_iter().map(values).collect();
    let mean = |v: Vec<f32>| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    let mse: f64 = (1..=10)
        .map(|k| {
            mean(
                imgs[5 * k - 1]
                    .iter()
                    .zip(&target)
                    .map(|(a, b)| (a - b).powi(2))
                    .collect(),
            )
        })
        .sum::<f64>()
        / 10.0;
    let smooth: f64 = (0..49)
        .map(|i| {
            mean(
                imgs[i + 1]
                    .iter()
                    .zip(&imgs[i])
                    .map(|(a, b)| (a - b).abs())
                    .collect(),
            )
        })
        .sum::<f64>()
        / 49.0;
    let want = mse + 0.1 * smooth;
    assert!(
        ((got as f64) - want).abs() < 1e-5 * want.max(1.0),
        "{got} vs {want}"
    );
}

#[test]
fn templates_are_the_per_digit_means_and_round_trip_through_a_file() {
    // Two digits of class 3 (all 10 and all 30) and one of class 7 (all 200).
    let mut pixels = vec![10u8; HW];
    pixels.extend(vec![30u8; HW]);
    pixels.extend(vec![200u8; HW]);
    let split = common::split(SplitName::Train, SIDE, SIDE, pixels, vec![3, 3, 7]);
    let t = Templates::from_split(&split).unwrap();
    assert_eq!(t.counts, vec![0, 0, 0, 2, 0, 0, 0, 1, 0, 0]);
    assert!(t.image(3).iter().all(|&v| (v - 20.0 / 255.0).abs() < 1e-6));
    assert!(t.image(7).iter().all(|&v| (v - 200.0 / 255.0).abs() < 1e-6));
    assert!(t.image(0).iter().all(|&v| v == 0.0), "absent digit: blank");

    let d = tmp("templates");
    let p = d.join("t.safetensors");
    t.save(&p, false).unwrap();
    assert!(t.save(&p, false).is_err(), "no silent overwrite");
    assert_eq!(Templates::load(&p).unwrap(), t);
    std::fs::write(d.join("bad.safetensors"), b"nope").unwrap();
    let e = Templates::load(&d.join("bad.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a valid safetensors"), "{e}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn verdict_is_the_most_similar_template_by_cosine() {
    let t = Templates::from_split(&synthetic_split(50, 2)).unwrap();
    for k in 0..10 {
        let v = verdict(t.image(k), &t);
        assert_eq!(v.digit, k);
        assert!((v.confidence - 1.0).abs() < 1e-5);
        assert_eq!(v.cosines.len(), 10);
        // Cosine ignores brightness.
        let dim: Vec<f32> = t.image(k).iter().map(|x| x * 0.3).collect();
        assert_eq!(verdict(&dim, &t).digit, k);
    }
    // A mix leaning towards 4 is a 4 with less confidence.
    let mix: Vec<f32> = t
        .image(4)
        .iter()
        .zip(t.image(5))
        .map(|(a, b)| 0.7 * a + 0.3 * b)
        .collect();
    let v = verdict(&mix, &t);
    assert_eq!(v.digit, 4);
    assert!(v.confidence < 0.999 && v.confidence > v.cosines[5] - 1e-6);
    let blank = verdict(&[0.0; HW], &t);
    assert_eq!((blank.digit, blank.confidence), (0, 0.0));
}

#[test]
fn epochs_visit_every_digit_once_in_a_seeded_order() {
    let split = Arc::new(synthetic_split(10, 3));
    let t = Templates::from_split(&split).unwrap();
    let mut task = RefineTask::new(small_cfg(2, 4), t.clone(), split.clone(), 7).unwrap();
    assert_eq!(task.steps_per_epoch(), 3);
    let mut seen: Vec<usize> = (0..3).flat_map(|s| task.batch_indices(s).1).collect();
    assert_eq!(
        task.batch_indices(2).1.len(),
        2,
        "the last batch is the remainder"
    );
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
    let (e1, b1) = task.batch_indices(3);
    assert_eq!(e1, 1);
    let mut again = RefineTask::new(small_cfg(2, 4), t, split, 7).unwrap();
    assert_eq!(
        again.batch_indices(3).1,
        b1,
        "same seed, same batches (resumable)"
    );
}

#[test]
fn micro_batches_give_the_gradient_of_the_whole_batch() {
    let f = Fixture::new(12, 8, small_cfg(2, 6), 3);
    let m = &f.model;
    let run = |micro| {
        f.step(5, 0, |task| {
            task.micro_batch = micro;
            task.engine = Engine::Burn;
        })
    };
    let (whole, parts) = (run(6), run(4));
    assert!(
        (whole.loss - parts.loss).abs() < 1e-6 * whole.loss,
        "{} vs {}",
        whole.loss,
        parts.loss
    );
    assert!(
        whole.grads.get::<3>(m.templates.id).is_none(),
        "templates get no gradient"
    );
    for (i, blk) in [(0, &m.blocks[0]), (49, &m.blocks[49])] {
        let g =
            |o: &nca::trainer::StepOutput| values(o.grads.get::<4>(blk.conv.weight.id).unwrap());
        let (a, b) = (g(&whole), g(&parts));
        let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = a
            .iter()
            .zip(&b)
            .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            scale > 0.0 && diff <= 1e-4 * scale,
            "block {i}: {diff} of {scale}"
        );
    }
}

#[test]
fn training_lowers_the_loss_keeps_templates_and_checkpoints_load() {
    let split = Arc::new(synthetic_split(40, 4));
    let templates = Templates::from_split(&split).unwrap();
    let cfg = RefineConfig {
        lr: 3e-3,
        ..small_cfg(2, 8)
    };
    let mut task = RefineTask::new(cfg.clone(), templates.clone(), split.clone(), 1).unwrap();
    let d = tmp("train");
    let tcfg = TrainerConfig {
        steps: 12,
        lr: nca::schedule::LrSchedule::Constant { lr: cfg.lr },
        grad_policy: nca::grads::GradPolicy::None,
        log_every: 1,
        ..TrainerConfig::default()
    };
    let run = run_options(&d.join("run"), false);
    let report = train(&mut task, &tcfg, &run, &Device::flex()).unwrap();
    let text = std::fs::read_to_string(d.join("run/metrics.jsonl")).unwrap();
    let losses = losses_of(&text);
    assert_eq!(losses.len(), 12);
    assert!(losses[11] < losses[0] * 0.9, "loss {losses:?}");
    let line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    for k in ["mse", "smooth", "batch_accuracy", "epoch"] {
        assert!(line[k].is_number(), "{k} in {line}");
    }
    let (m, got_cfg, meta) =
        nca::refine::load_checkpoint(&report.model_path, &Device::flex()).unwrap();
    assert_eq!(got_cfg, cfg);
    assert_eq!(meta.step, 12);
    assert_eq!(
        m.templates().unwrap().images,
        templates.images,
        "templates are not trained"
    );

    // Another family's checkpoint is refused in one line.
    let other = d.join("tiny.safetensors");
    let tiny = nca::tiny::TinyTask::new(nca::tiny::TinyConfig::default());
    let tm = tiny.init_model(&Device::flex(), &mut StdRng::seed_from_u64(0));
    let meta = nca::checkpoint::CheckpointMeta::new("tiny", 0, serde_json::Value::Null);
    nca::checkpoint::save(&tm, &meta, &other, false).unwrap();
    let e = nca::refine::load_checkpoint(&other, &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(e.contains("'tiny' checkpoint, not 'refine'"), "{e}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn eval_reports_every_step_and_the_template_baseline() {
    let split = synthetic_split(20, 5);
    let templates = Templates::from_split(&split).unwrap();
    let m = model(&small_cfg(2, 4), &templates, 6);
    let opts = EvalOptions {
        limit: Some(13),
        batch: 5,
        ..EvalOptions::default()
    };
    let mut done = Vec::new();
    let r = evaluate(&m, &templates, &split, &opts, |n| done.push(n)).unwrap();
    assert_eq!(done, vec![5, 10, 13]);
    assert_eq!(r.digits, 13);
    assert_eq!(r.accuracy_per_step.len(), 50);
    assert_eq!(r.confidence_per_step.len(), 50);
    assert_eq!(r.accuracy_final, r.accuracy_per_step[49]);
    // The synthetic digits are easy for the templates themselves.
    assert_eq!(r.accuracy_templates_only, 1.0);
    assert!(r.accuracy_per_step.iter().all(|a| (0.0..=1.0).contains(a)));
    let e = evaluate(
        &m,
        &templates,
        &split,
        &EvalOptions {
            limit: Some(0),
            batch: 5,
            ..EvalOptions::default()
        },
        |_| {},
    );
    assert!(e.unwrap_err().to_string().contains("--limit"));
}

#[test]
fn onnx_export_has_the_original_layout() {
    let cfg = small_cfg(3, 1);
    let m = model(&cfg, &Templates::blank(SIDE), 7);
    let bytes = nca::refine::onnx::export(&m, SIDE).unwrap();
    let p = onnx_rs::parse(&bytes).unwrap();
    assert_eq!(p.opset_import.len(), 1);
    assert_eq!(p.opset_import[0].version, 17);
    let g = p.graph.as_ref().unwrap();
    assert_eq!(g.input.len(), 1);
    assert_eq!(g.input[0].name, "x");
    let names: Vec<&str> = g.output.iter().map(|o| o.name).collect();
    let want: Vec<String> = (0..50).map(|t| format!("out{t:02}")).collect();
    assert_eq!(names, want);
    assert_eq!(g.initializer.len(), 200);
    assert_eq!(g.node.len(), 50 * 4 + 49);
    let dims = g.input[0].tensor_shape().unwrap();
    assert_eq!(dims.dim[0].value, onnx_rs::ast::Dimension::Param("batch"));
    assert_eq!(dims.dim[3].value, onnx_rs::ast::Dimension::Value(28));
    // The weights are the model's.
    let w = g.get_initializer("blocks.49.conv.weight").unwrap();
    assert_eq!(w.dims(), &[3, 50, 9, 9]);
    assert_eq!(
        w.as_f32().unwrap().to_vec(),
        values(m.blocks[49].conv.weight.val())
    );
}

#[test]
fn bad_configurations_are_one_line_errors() {
    type Edit = fn(&mut RefineConfig);
    let edits: [(Edit, &str); 4] = [
        (|c| c.width = 0, "--width"),
        (|c| c.batch = 0, "--batch"),
        (|c| c.kernel = 8, "kernel"),
        (|c| c.target_every = 51, "target_every"),
    ];
    for (edit, what) in edits {
        let mut cfg = RefineConfig::default();
        edit(&mut cfg);
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains(what) && !e.contains('\n'), "{e}");
    }
    let split = Arc::new(synthetic_split(10, 1));
    let wrong = Templates::blank(14);
    let e = RefineTask::new(small_cfg(2, 2), wrong, split, 0)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("14x14"), "{e}");
}

/// Largest absolute difference and largest magnitude of two gradient tensors.
fn diff_and_scale(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    (diff, scale)
}

#[test]
fn spectral_engine_step_equals_burn_autodiff() {
    let f = Fixture::new(14, 21, small_cfg(3, 7), 4);
    let m = &f.model;
    let run = |engine| f.step(9, 1, |task| task.engine = engine);
    let (burn, fast) = (run(Engine::Burn), run(Engine::Fast));
    assert!(
        (burn.loss - fast.loss).abs() < 1e-5 * burn.loss,
        "loss {} vs {}",
        burn.loss,
        fast.loss
    );
    // mse, smooth, batch accuracy and epoch: the same (sums in another order for the first two).
    assert_eq!(burn.metrics.len(), fast.metrics.len());
    for ((kb, vb), (kf, vf)) in burn.metrics.iter().zip(&fast.metrics) {
        assert_eq!(kb, kf);
        assert!((vb - vf).abs() <= 1e-5 * vb.abs(), "{kb}: {vb} vs {vf}");
    }
    let mut compared = 0;
    for (i, blk) in m.blocks.iter().enumerate() {
        let get4 = |o: &nca::trainer::StepOutput, id| values(o.grads.get::<4>(id).unwrap());
        let get1 = |o: &nca::trainer::StepOutput, id| values(o.grads.get::<1>(id).unwrap());
        let pairs = [
            (
                get4(&burn, blk.conv.weight.id),
                get4(&fast, blk.conv.weight.id),
            ),
            (
                get4(&burn, blk.out.weight.id),
                get4(&fast, blk.out.weight.id),
            ),
            (
                get1(&burn, blk.conv.bias.as_ref().unwrap().id),
                get1(&fast, blk.conv.bias.as_ref().unwrap().id),
            ),
            (
                get1(&burn, blk.out.bias.as_ref().unwrap().id),
                get1(&fast, blk.out.bias.as_ref().unwrap().id),
            ),
        ];
        for (a, b) in pairs {
            let (diff, scale) = diff_and_scale(&a, &b);
            assert!(diff <= 1e-3 * scale + 1e-7, "block {i}: {diff} of {scale}");
            compared += 1;
        }
    }
    assert_eq!(compared, 200);
    assert!(
        fast.grads.get::<3>(m.templates.id).is_none(),
        "templates get no gradient"
    );
}

#[test]
fn spectral_engine_images_equal_burn_images() {
    let split = synthetic_split(10, 2);
    let templates = Templates::from_split(&split).unwrap();
    let m = model(&small_cfg(4, 1), &templates, 8);
    let pixels: Vec<f32> = (0..10).flat_map(|i| split.image_f32(i)).collect();
    let a = run_images(&m, &pixels, 10, SIDE, Engine::Burn).unwrap();
    let b = run_images(&m, &pixels, 10, SIDE, Engine::Fast).unwrap();
    assert_eq!(a.len(), b.len());
    for (t, (x, y)) in a.iter().zip(&b).enumerate() {
        let (diff, _) = diff_and_scale(x, y);
        assert!(diff < 1e-5, "step {}: {diff}", t + 1);
    }
}
