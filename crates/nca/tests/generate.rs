//! The generate family learns something tiny: two classes of 6x6 bars grown from a seed cell.

mod common;

use std::sync::Arc;

use burn::tensor::Device;
use nca::generate::eval::{generate, pixel_accuracy};
use nca::generate::{GenerateConfig, GenerateMode, GenerateTask, load_checkpoint};
use nca::trainer::train;
use nca_data::SplitName;
use rand::SeedableRng;

/// Vertical bars are class 0, horizontal bars class 1.
fn bars(n: usize) -> nca_data::Split {
    let mut pixels = Vec::new();
    let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
    for &l in &labels {
        for y in 0..6 {
            for x in 0..6 {
                let on = if l == 0 {
                    x == 2 || x == 3
                } else {
                    y == 2 || y == 3
                };
                pixels.push(if on { 255 } else { 0 });
            }
        }
    }
    common::split(SplitName::Train, 6, 6, pixels, labels)
}

#[test]
fn a_tiny_generator_learns_to_grow_the_requested_class() {
    let cfg = GenerateConfig {
        mode: GenerateMode::Grow,
        channels: 6,
        embed: 4,
        hidden: 32,
        ticks: 12,
        observe_every: 4,
        batch: 8,
        ..GenerateConfig::default()
    };
    let data = Arc::new(bars(16));
    let mut task = GenerateTask::new(cfg.clone(), data.clone()).unwrap();
    let dir = common::fresh_dir("nca-generate-tiny");
    let trainer = common::constant_lr(300, 300, 10);
    let report = train(
        &mut task,
        &trainer,
        &common::run_options(&dir, false),
        &Device::flex().autodiff(),
    )
    .unwrap();
    let losses = common::losses(&dir);
    assert!(
        report.final_loss < 0.5 * losses[0] as f32,
        "loss {} -> {}",
        losses[0],
        report.final_loss
    );
    // Judged by the nearest of the two bar images, grown digits match the requested class.
    let (model, _, _) = load_checkpoint(&report.model_path, &Device::flex()).unwrap();
    let labels: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
    let blank = vec![0.0f32; 20 * 36];
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let out = generate(&model, &cfg, &labels, &blank, [6, 6], &mut rng, None).unwrap();
    let (v, h) = (data.image_f32(0), data.image_f32(1));
    let right = out
        .chunks(36)
        .zip(&labels)
        .filter(|(img, l)| {
            let (to_v, to_h) = (pixel_accuracy(img, &v), pixel_accuracy(img, &h));
            if **l == 0 { to_v > to_h } else { to_h > to_v }
        })
        .count();
    assert!(right >= 18, "{right} of 20 grew the requested bar");
    let _ = std::fs::remove_dir_all(&dir);
}
