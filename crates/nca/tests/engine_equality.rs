//! The sparse engine computes the same training step as the plain Burn path: same final states,
//! loss and parameter gradients (max relative error ≤ 1e-4), for both perception kinds, with and
//! without noise, for 1 and 20 ticks.

mod common;

use std::sync::Arc;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use nca::classify::{ClassifyConfig, ClassifyTask};
use nca::engine::Engine;
use nca::grow::task::GrowTrainConfig;
use nca::grow::{GrowConfig, GrowTarget, GrowTask, TrainMode};
use nca::perceive::PerceptionKind;
use nca::trainer::{StepOutput, Task};
use nca::update::CellMlp;
use nca_data::{Split, SplitName};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Gives the zero-initialised last layer random weights so that gradients reach every layer.
fn randomise_last(mlp: &mut CellMlp, rng: &mut StdRng, scale: f32) {
    let last = mlp.layers.pop().unwrap();
    let mut redraw = |p: Param<Tensor<4>>| {
        p.map(|t| {
            let dims = t.dims();
            let n: usize = dims.iter().product();
            let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
            Tensor::from_data(burn::tensor::TensorData::new(v, dims), &t.device())
                .set_require_grad(t.is_require_grad())
        })
    };
    let weight = redraw(last.weight);
    let bias = last.bias.map(|b| {
        b.map(|t| {
            let n = t.dims()[0];
            let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
            Tensor::from_data(burn::tensor::TensorData::new(v, [n]), &t.device())
                .set_require_grad(t.is_require_grad())
        })
    });
    mlp.layers.push(burn::nn::conv::Conv2d {
        weight,
        bias,
        ..last
    });
}

fn max_rel(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    a.iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// Max relative error between two gradient sets over every parameter of `model`.
fn compare_grads<M: Module>(model: &M, a: &GradientsParams, b: &GradientsParams) -> f32 {
    struct Cmp<'a>(&'a GradientsParams, &'a GradientsParams, f32, usize);
    impl ModuleVisitor for Cmp<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let ga = self.0.get::<D>(p.id).expect("sparse gradient present");
            let gb = self.1.get::<D>(p.id).expect("burn gradient present");
            let va: Vec<f32> = ga.into_data().try_to_vec().unwrap();
            let vb: Vec<f32> = gb.into_data().try_to_vec().unwrap();
            self.2 = self.2.max(max_rel(&va, &vb));
            self.3 += 1;
        }
    }
    let mut c = Cmp(a, b, 0.0, 0);
    model.visit(&mut c);
    assert!(c.3 >= 4, "compared {} parameters", c.3);
    c.2
}

/// The sparse (`outs[0]`) and Burn (`outs[1]`) steps agree: loss, final states and every
/// parameter gradient of `model` within a relative 1e-4. `case` names the case in the messages.
fn assert_engines_agree<M: Module>(model: &M, outs: &[(StepOutput, Vec<f32>)], case: &str) {
    let (sparse, burn) = (&outs[0], &outs[1]);
    let loss_err = (sparse.0.loss - burn.0.loss).abs() / burn.0.loss.abs();
    assert!(
        loss_err <= 1e-4,
        "loss {} vs {}",
        sparse.0.loss,
        burn.0.loss
    );
    let state_err = max_rel(&sparse.1, &burn.1);
    assert!(state_err <= 1e-4, "final states differ by {state_err}");
    let g = compare_grads(model, &sparse.0.grads, &burn.0.grads);
    assert!(g <= 1e-4, "gradients differ by {g} ({case})");
}

fn synthetic_digits(n: usize, side: usize, rng: &mut StdRng) -> Split {
    let mut pixels = vec![0u8; n * side * side];
    for k in 0..n {
        // A thick random stroke: a few discs along a line.
        let (mut x, mut y) = (rng.random_range(2.0..side as f32 - 2.0), 2.0f32);
        let dx = rng.random_range(-0.5..0.5f32);
        while y < side as f32 - 2.0 {
            for yy in 0..side {
                for xx in 0..side {
                    let d = (xx as f32 - x).powi(2) + (yy as f32 - y).powi(2);
                    if d < 2.5 {
                        pixels[k * side * side + yy * side + xx] = rng.random_range(100..=255);
                    }
                }
            }
            y += 1.0;
            x = (x + dx).clamp(1.0, side as f32 - 2.0);
        }
    }
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    common::split(SplitName::Train, side, side, pixels, labels)
}

fn classify_case(ticks: usize, noise_std: f32) {
    let mut rng = StdRng::seed_from_u64(11);
    let data = Arc::new(synthetic_digits(20, 12, &mut rng));
    let cfg = ClassifyConfig {
        ticks,
        noise_std,
        batch: 4,
        pool: 8,
        fresh_per_batch: 1,
        mutate_per_batch: 1,
        hidden: 16,
        ..ClassifyConfig::default()
    };
    let device = Device::flex().autodiff();
    let mut model = ClassifyTask::new(cfg.clone(), data.clone(), &mut StdRng::seed_from_u64(1))
        .unwrap()
        .init_model(&device, &mut StdRng::seed_from_u64(2));
    randomise_last(&mut model.update, &mut StdRng::seed_from_u64(3), 0.05);
    let mut outs = Vec::new();
    for engine in [Engine::Fast, Engine::Burn] {
        let mut task =
            ClassifyTask::new(cfg.clone(), data.clone(), &mut StdRng::seed_from_u64(1)).unwrap();
        task.engine = engine;
        let out = task.step(&model, 0, &mut StdRng::seed_from_u64(4)).unwrap();
        outs.push((out, task.state()[0].data.clone()));
    }
    assert_engines_agree(&model, &outs, &format!("ticks {ticks}, noise {noise_std}"));
}

fn grow_case(perception: PerceptionKind, ticks: usize) {
    let cfg = GrowTrainConfig {
        model: GrowConfig {
            hidden: 24,
            perception,
            ..GrowConfig::default()
        },
        mode: TrainMode::Persistent,
        pool: 8,
        batch: 3,
        min_ticks: ticks,
        max_ticks: ticks,
        ..GrowTrainConfig::default()
    };
    let target = GrowTarget::circle(14);
    let device = Device::flex().autodiff();
    let mut model = GrowTask::new(cfg.clone(), target.clone())
        .unwrap()
        .init_model(&device, &mut StdRng::seed_from_u64(2));
    randomise_last(&mut model.update, &mut StdRng::seed_from_u64(3), 0.1);
    let mut outs = Vec::new();
    for engine in [Engine::Fast, Engine::Burn] {
        let mut task = GrowTask::new(cfg.clone(), target.clone()).unwrap();
        task.engine = engine;
        // Grow the pool a little first so the batch is not just seeds.
        let mut rng = StdRng::seed_from_u64(5);
        task.step(&model, 0, &mut rng).unwrap();
        let out = task.step(&model, 1, &mut rng).unwrap();
        outs.push((out, task.state()[0].data.clone()));
    }
    assert_engines_agree(&model, &outs, &format!("{perception:?}, ticks {ticks}"));
}

/// One `#[test]` per `name => case(...)`.
macro_rules! tests {
    ($($name:ident => $case:expr;)*) => {
        $(
            #[test]
            fn $name() {
                $case;
            }
        )*
    };
}

tests! {
    classify_learned_perception_one_tick_without_noise => classify_case(1, 0.0);
    classify_learned_perception_one_tick_with_noise => classify_case(1, 0.02);
    classify_learned_perception_twenty_ticks_with_noise => classify_case(20, 0.02);
    classify_learned_perception_twenty_ticks_without_noise => classify_case(20, 0.0);
    grow_fixed_perception_one_tick => grow_case(PerceptionKind::Sobel, 1);
    grow_fixed_perception_twenty_ticks => grow_case(PerceptionKind::Sobel, 20);
    grow_laplacian_perception_twenty_ticks => grow_case(PerceptionKind::SobelLaplacian, 20);
    grow_learned_perception_twenty_ticks => grow_case(PerceptionKind::Learned, 20);
}
