//! End to end: the self-classifier really learns on a small problem (MNIST zeros and ones when
//! `NCA_DATA` is set), trained through the shared trainer with the sparse engine, and the
//! paper's evaluation protocol runs on it.

mod common;

use nca::ca::Preset;
use std::path::Path;
use std::sync::Arc;

use burn::tensor::Device;
use common::{constant_lr, fresh_dir, run_options};
use nca::ca::Nca;
use nca::checkpoint;
use nca::classify::eval::{EvalOptions, evaluate};
use nca::classify::{ClassifyConfig, ClassifyTask};
use nca::trainer::{Task, model_path, train};
use nca_data::{Split, SplitName, load_split};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The digits of `split` whose label is 0 or 1, at most `n` of them.
fn zeros_and_ones(split: &Split, n: usize) -> Split {
    let keep: Vec<usize> = (0..split.len())
        .filter(|&i| split.label(i) < 2)
        .take(n)
        .collect();
    let mut pixels = Vec::new();
    for &i in &keep {
        pixels.extend_from_slice(split.image(i));
    }
    let labels = keep.iter().map(|&i| split.label(i)).collect();
    common::split(split.name, split.rows(), split.cols(), pixels, labels)
}

#[test]
fn learns_zeros_and_ones_well_above_chance() {
    let Some(data) = std::env::var_os("NCA_DATA") else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI is set but NCA_DATA is not: the MNIST learning test cannot run"
        );
        eprintln!("NCA_DATA unset: skipping the MNIST learning test");
        return;
    };
    let train_split = zeros_and_ones(
        &load_split(Path::new(&data), SplitName::Train).unwrap(),
        400,
    );
    let test_split = zeros_and_ones(&load_split(Path::new(&data), SplitName::Test).unwrap(), 200);
    let cfg = ClassifyConfig {
        batch: 8,
        pool: 80,
        fresh_per_batch: 2,
        mutate_per_batch: 2,
        ticks: 12,
        ..ClassifyConfig::default()
    };
    let dir = fresh_dir("nca-classify-learns");
    let mut task = ClassifyTask::new(
        cfg.clone(),
        Arc::new(train_split),
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let tc = constant_lr(1000, 1000, 10);
    train(&mut task, &tc, &run_options(&dir, false), &Device::flex()).unwrap();

    let device = Device::flex();
    let init: Nca = task.init_model(&device, &mut StdRng::seed_from_u64(0));
    let (model, _) = checkpoint::load(init, &model_path(&dir), "classify").unwrap();
    let opts = EvalOptions {
        ticks_before: 30,
        ticks_after: 0,
        ..EvalOptions::default()
    };
    let report = evaluate(&model, &cfg, &test_split, &opts, |_| {}).unwrap();
    assert_eq!(report.accuracy.len(), 30);
    // Chance is 1/2 for a model that only ever says 0 or 1 (1/10 for ten classes).
    assert!(
        report.accuracy_at_200 > 0.8,
        "cell accuracy after 30 ticks: {}",
        report.accuracy_at_200
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn eval_protocol_shapes_and_errors() {
    let mut rng = StdRng::seed_from_u64(3);
    let side = 10;
    let n = 12;
    let pixels: Vec<u8> = (0..n * side * side)
        .map(|i| {
            if (i % (side * side) / side) % 3 == 0 {
                200
            } else {
                0
            }
        })
        .collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    let split = common::split(SplitName::Test, side, side, pixels, labels);
    let cfg = ClassifyConfig::default();
    let model = cfg.init(&Device::flex(), &mut rng);
    let opts = EvalOptions {
        ticks_before: 5,
        ticks_after: 4,
        batch: 5,
        ..EvalOptions::default()
    };
    let r = evaluate(&model, &cfg, &split, &opts, |_| {}).unwrap();
    assert_eq!((r.digits, r.accuracy.len(), r.agreement.len()), (12, 9, 9));
    // A fresh model votes 0 everywhere (zero last layer): right exactly on the zeros.
    assert!(
        (r.accuracy[0] - 2.0 / 12.0).abs() < 1e-9,
        "{}",
        r.accuracy[0]
    );
    let r2 = evaluate(&model, &cfg, &split, &opts, |_| {}).unwrap();
    assert_eq!(r.accuracy, r2.accuracy, "evaluation is deterministic");
    let bad = EvalOptions {
        limit: Some(0),
        ..opts
    };
    assert!(evaluate(&model, &cfg, &split, &bad, |_| {}).is_err());
}
