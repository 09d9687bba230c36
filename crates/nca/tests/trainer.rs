//! End-to-end tests of the trainer with the tiny family: learning, resume, the NaN guard.

mod common;

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use common::{constant_lr, fresh_dir, losses, run_options as opts};
use nca::NcaError;
use nca::ca::Nca;
use nca::tiny::{TinyConfig, TinyTask};
use nca::trainer::{TrainerConfig, model_path, train, train_observed};

fn run_dir(name: &str) -> PathBuf {
    fresh_dir(&format!("nca-trainer-{name}"))
}

fn cfg(steps: usize, every: usize) -> TrainerConfig {
    constant_lr(steps, every, 1)
}

fn params(model: &Nca) -> Vec<f32> {
    struct All(Vec<f32>);
    impl ModuleVisitor for All {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0
                .extend(p.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut all = All(Vec::new());
    model.visit(&mut all);
    all.0
}

fn load(dir: &Path) -> Nca {
    let task = TinyTask::new(TinyConfig::default());
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let init = nca::trainer::Task::init_model(&task, &Device::flex(), &mut rng);
    nca::checkpoint::load(init, &model_path(dir), "tiny")
        .unwrap()
        .0
}

#[test]
fn tiny_family_learns() {
    let dir = run_dir("learns");
    let mut task = TinyTask::new(TinyConfig::default());
    let report = train(
        &mut task,
        &cfg(150, 50),
        &opts(&dir, false),
        &Device::flex(),
    )
    .unwrap();
    assert_eq!(report.steps, 150);
    let l = losses(&dir);
    assert_eq!(l.len(), 150);
    let first = l[..10].iter().sum::<f64>() / 10.0;
    let last = l[l.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(last < first * 0.5, "loss fell from {first} to {last} only");
    assert!(dir.join("config.json").exists());
    // A second fresh run into the same directory is refused.
    let e = train(&mut task, &cfg(10, 5), &opts(&dir, false), &Device::flex()).unwrap_err();
    assert!(e.to_string().contains("--resume"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resume_continues_with_identical_parameters() {
    let (a, b) = (run_dir("straight"), run_dir("resumed"));
    let mut task = TinyTask::new(TinyConfig::default());
    train(&mut task, &cfg(20, 5), &opts(&a, false), &Device::flex()).unwrap();
    // A run "killed" after step 12 whose last checkpoint is step 10: train to 10, then append
    // the metrics lines that steps 11 and 12 would have logged before the kill.
    train(&mut task, &cfg(10, 5), &opts(&b, false), &Device::flex()).unwrap();
    let straight = std::fs::read_to_string(a.join("metrics.jsonl")).unwrap();
    let lost: String = straight
        .lines()
        .skip(10)
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut log = std::fs::read_to_string(b.join("metrics.jsonl")).unwrap();
    log.push_str(&lost);
    std::fs::write(b.join("metrics.jsonl"), log).unwrap();
    let report = train(&mut task, &cfg(20, 5), &opts(&b, true), &Device::flex()).unwrap();
    assert_eq!(report.steps_this_run, 10);
    assert_eq!(params(&load(&a)), params(&load(&b)));
    assert_eq!(losses(&a), losses(&b), "metrics log continues seamlessly");
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

/// A stop asked for by the observer (Ctrl-C in a notebook) between checkpoints saves the steps
/// done, and resuming reaches the weights and log of the run that never stopped.
#[test]
fn an_interrupted_run_keeps_its_steps_and_resumes_exactly() {
    let (a, b) = (run_dir("whole"), run_dir("interrupted"));
    let mut task = TinyTask::new(TinyConfig::default());
    train(&mut task, &cfg(20, 5), &opts(&a, false), &Device::flex()).unwrap();
    let e = train_observed(
        &mut task,
        &cfg(20, 5),
        &opts(&b, false),
        &Device::flex(),
        |_, step| {
            if step == 13 {
                return Err(NcaError::Interrupted("asked to stop".into()));
            }
            Ok(())
        },
    )
    .unwrap_err();
    assert!(matches!(e, NcaError::Interrupted(_)), "{e}");
    assert_eq!(
        nca::checkpoint::read_meta(&model_path(&b)).unwrap().step,
        13
    );
    let report = train(&mut task, &cfg(20, 5), &opts(&b, true), &Device::flex()).unwrap();
    assert_eq!(report.steps_this_run, 7);
    assert_eq!(params(&load(&a)), params(&load(&b)));
    assert_eq!(losses(&a), losses(&b));
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn nan_guard_reloads_the_last_checkpoint_and_goes_on() {
    let dir = run_dir("nan");
    let mut task = TinyTask::new(TinyConfig::default());
    task.poison_at = Some(7);
    let report = train(&mut task, &cfg(12, 5), &opts(&dir, false), &Device::flex()).unwrap();
    assert_eq!(report.recoveries, 1);
    assert_eq!(report.steps, 12);
    assert!(report.final_loss.is_finite());
    assert!(params(&load(&dir)).iter().all(|v| v.is_finite()));
    assert_eq!(losses(&dir).len(), 12);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_settings_are_rejected() {
    let dir = run_dir("bad");
    let mut task = TinyTask::new(TinyConfig::default());
    let e = train(&mut task, &cfg(0, 5), &opts(&dir, false), &Device::flex()).unwrap_err();
    assert!(e.to_string().contains("--steps"), "{e}");
    let e = train(&mut task, &cfg(5, 5), &opts(&dir, true), &Device::flex()).unwrap_err();
    assert!(e.to_string().contains("no checkpoint"), "{e}");
}
