//! Growing NCA: architecture facts and a tiny end-to-end learning test.

mod common;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use common::{constant_lr, fresh_dir, run_options};
use nca::ca::Preset;
use nca::grow::task::GrowTrainConfig;
use nca::grow::{GrowConfig, GrowTarget, GrowTask, TrainMode, seed_state};
use nca::perceive::PerceptionKind;
use nca::trainer::{TrainerConfig, train};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn paper_model_has_8336_parameters_and_learned_option_builds() {
    let mut rng = StdRng::seed_from_u64(0);
    let m = GrowConfig::default().init(&Device::flex(), &mut rng);
    assert_eq!(m.num_params(), 8336);
    let cfg = GrowConfig {
        perception: PerceptionKind::Learned,
        ..GrowConfig::default()
    };
    let m = cfg.init(&Device::flex(), &mut rng);
    assert_eq!(m.num_params(), 8336 + 16 * 48 * 9 + 48);
    let cfg = GrowConfig {
        perception: PerceptionKind::SobelLaplacian,
        ..GrowConfig::default()
    };
    assert_eq!(cfg.features(), 64);
}

#[test]
fn a_fresh_model_keeps_the_seed_and_dead_cells_stay_dead() {
    let mut rng = StdRng::seed_from_u64(0);
    let dev = Device::flex();
    let m = GrowConfig::default().init(&dev, &mut rng);
    let seed = seed_state(16, 9);
    let x = Tensor::<4>::from_data(TensorData::new(seed.clone(), [1, 16, 9, 9]), &dev);
    let y = m.tick(x, Tensor::ones([1, 1, 9, 9], &dev), None, None);
    let y: Vec<f32> = y.into_data().try_to_vec().unwrap();
    assert_eq!(y, seed, "zero-initialised update leaves the seed unchanged");
}

#[test]
fn circle_target_and_seed() {
    let t = GrowTarget::circle(20);
    let n = 400;
    assert_eq!(t.rgba[10 * 20 + 10], 1.0);
    assert_eq!(t.rgba[n + 10 * 20 + 10], 0.5);
    assert_eq!(t.rgba[3 * n], 0.0, "corner is empty");
    let s = seed_state(16, 5);
    assert_eq!(s.iter().sum::<f32>(), 13.0);
    assert_eq!(s[3 * 25 + 12], 1.0);
    assert!(GrowTarget::parse("no-such-file.png", 40, 16).is_err());
}

/// A small config: `hidden` units, a pool of `pool`, batches of `batch`, `min..=max` ticks.
fn small(hidden: usize, pool: usize, batch: usize, (min, max): (usize, usize)) -> GrowTrainConfig {
    GrowTrainConfig {
        model: GrowConfig {
            hidden,
            ..GrowConfig::default()
        },
        pool,
        batch,
        min_ticks: min,
        max_ticks: max,
        ..GrowTrainConfig::default()
    }
}

#[test]
fn growing_the_builtin_circle_on_a_tiny_grid_learns() {
    let dir = fresh_dir("nca-grow-circle");
    let cfg = GrowTrainConfig {
        mode: TrainMode::Growing,
        ..small(32, 16, 4, (12, 16))
    };
    let mut task = GrowTask::new(cfg, GrowTarget::circle(12)).unwrap();
    let tc = constant_lr(300, 100, 1);
    train(&mut task, &tc, &run_options(&dir, false), &Device::flex()).unwrap();
    let losses = common::losses(&dir);
    let first = losses[..10].iter().sum::<f64>() / 10.0;
    let last = losses[losses.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(last < first * 0.4, "loss fell from {first} to {last} only");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Wraps a task and makes its loss NaN once at a chosen step (exploding state).
struct Exploding<T> {
    inner: T,
    at: Option<usize>,
}

impl<T: nca::trainer::Task> nca::trainer::Task for Exploding<T> {
    type Model = T::Model;
    const FAMILY: &'static str = T::FAMILY;
    fn config(&self) -> serde_json::Value {
        self.inner.config()
    }
    fn init_model(&self, device: &Device, rng: &mut StdRng) -> T::Model {
        self.inner.init_model(device, rng)
    }
    fn step(
        &mut self,
        model: &T::Model,
        step: usize,
        rng: &mut StdRng,
    ) -> nca::Result<nca::trainer::StepOutput> {
        let mut out = self.inner.step(model, step, rng)?;
        if self.at == Some(step) {
            self.at = None;
            out.loss = f32::INFINITY;
        }
        Ok(out)
    }
    fn state(&self) -> Vec<nca::trainer::NamedArray> {
        self.inner.state()
    }
    fn set_state(&mut self, s: Vec<nca::trainer::NamedArray>) -> nca::Result<()> {
        self.inner.set_state(s)
    }
}

#[test]
fn exploding_grow_training_reloads_the_last_good_checkpoint_and_continues() {
    let dir = fresh_dir("nca-grow-explode");
    let cfg = small(16, 8, 4, (4, 6));
    let mut task = Exploding {
        inner: GrowTask::new(cfg, GrowTarget::circle(10)).unwrap(),
        at: Some(7),
    };
    let tc = TrainerConfig {
        steps: 12,
        checkpoint_every: 5,
        log_every: 1,
        ..TrainerConfig::default()
    };
    let report = train(&mut task, &tc, &run_options(&dir, false), &Device::flex()).unwrap();
    assert_eq!(report.recoveries, 1);
    assert_eq!(report.steps, 12);
    assert!(report.final_loss.is_finite());
    let lines = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        12,
        "steps 6-7 were redone after the reload"
    );
    assert!(!lines.contains("inf") && !lines.contains("NaN"));
    std::fs::remove_dir_all(dir).unwrap();
}
