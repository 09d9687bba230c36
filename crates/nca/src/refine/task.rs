//! Training the refiner: the original's loss, and batches drawn epoch by epoch from a shuffled
//! training set, as a [`Task`] for the shared trainer.

use std::sync::Arc;

use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use nca_data::Split;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::model::{RefineConfig, RefineNca};
use super::spectral;
use super::templates::{Templates, verdict};
use crate::engine::Engine;
use crate::error::{NcaError, Result};
use crate::trainer::{StepOutput, Task};

/// The loss of one batch and its two parts.
pub struct LossTerms {
    /// `mse + smooth_weight · smooth`, shape `[1]`.
    pub total: Tensor<1>,
    /// Mean squared error to the template, averaged over the target steps.
    pub mse: Tensor<1>,
    /// Mean absolute change between consecutive images, averaged over the pairs.
    pub smooth: Tensor<1>,
}

/// The original's loss on every step's image `outs` (each `[B, 1, H, W]`) against the labels'
/// templates `target` (`[B, 1, H, W]`).
pub fn loss_terms(outs: &[Tensor<4>], target: Tensor<4>, cfg: &RefineConfig) -> LossTerms {
    let steps = cfg.target_steps();
    let device = target.device();
    let mut mse = Tensor::<1>::zeros([1], &device);
    for &t in &steps {
        mse = mse + (outs[t - 1].clone() - target.clone()).square().mean();
    }
    let mse = mse.div_scalar(steps.len().max(1) as f32);
    let mut smooth = Tensor::<1>::zeros([1], &device);
    for pair in outs.windows(2) {
        smooth = smooth + (pair[1].clone() - pair[0].clone()).abs().mean();
    }
    let smooth = smooth.div_scalar(outs.len().saturating_sub(1).max(1) as f32);
    LossTerms {
        total: mse.clone() + smooth.clone().mul_scalar(cfg.smooth_weight),
        mse,
        smooth,
    }
}

/// The labels' templates as a batch `[B, 1, H, W]`, row-major.
pub fn template_batch(labels: &[u8], templates: &Templates) -> Vec<f32> {
    labels
        .iter()
        .flat_map(|&l| templates.image(l as usize).iter().copied())
        .collect()
}

/// The refiner's training task.
pub struct RefineTask {
    /// Settings.
    pub cfg: RefineConfig,
    templates: Templates,
    data: Arc<Split>,
    shuffle_seed: u64,
    order: Option<(usize, Vec<usize>)>,
    /// Digits per forward/backward pass; the batch's gradients are summed over its
    /// micro-batches, weighted by size, so the step is the same as one pass over the whole
    /// batch, with a quarter of the memory at the default (and, on CPU, less time: large
    /// buffers cost page faults). Used by the Burn engine only.
    pub micro_batch: usize,
    /// Which implementation computes a step: `nca-fast`'s spectral engine (the default) or
    /// Burn's autodiff (any backend).
    pub engine: Engine,
}

impl RefineTask {
    /// A task training on `data` towards `templates`; `shuffle_seed` fixes the order of every
    /// epoch (epoch `e` is a permutation drawn from `(shuffle_seed, e)`, so a resumed run sees
    /// the same batches as an uninterrupted one).
    pub fn new(
        cfg: RefineConfig,
        templates: Templates,
        data: Arc<Split>,
        shuffle_seed: u64,
    ) -> Result<Self> {
        cfg.validate()?;
        if data.is_empty() {
            return Err(NcaError::config("data", "the training split is empty"));
        }
        if data.rows() != templates.side || data.cols() != templates.side {
            return Err(NcaError::config(
                "templates",
                format!(
                    "are {0}x{0} but the digits are {1}x{2}",
                    templates.side,
                    data.rows(),
                    data.cols()
                ),
            ));
        }
        Ok(Self {
            cfg,
            templates,
            data,
            shuffle_seed,
            order: None,
            micro_batch: 64,
            engine: Engine::Fast,
        })
    }

    /// Steps in one pass over the training set (the last batch of an epoch may be smaller).
    pub fn steps_per_epoch(&self) -> usize {
        self.data.len().div_ceil(self.cfg.batch)
    }

    /// Forward pass and loss of the training digits `idx`, and how many of them the final
    /// image's verdict gets right.
    fn forward_chunk(&self, model: &RefineNca, idx: &[usize]) -> Result<(LossTerms, usize)> {
        let (b, s) = (idx.len(), self.templates.side);
        let device = model.templates.val().device();
        let pixels: Vec<f32> = idx.iter().flat_map(|&i| self.data.image_f32(i)).collect();
        let labels: Vec<u8> = idx.iter().map(|&i| self.data.label(i)).collect();
        let x = Tensor::<4>::from_data(TensorData::new(pixels, [b, 1, s, s]), &device);
        let target = template_batch(&labels, &self.templates);
        let target = Tensor::<4>::from_data(TensorData::new(target, [b, 1, s, s]), &device);
        let outs = model.forward(x);
        let last = outs
            .last()
            .expect("at least one block")
            .clone()
            .detach()
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| NcaError::config("state", format!("{e:?}")))?;
        let right = last
            .chunks(s * s)
            .zip(&labels)
            .filter(|(img, l)| verdict(img, &self.templates).digit == **l as usize)
            .count();
        Ok((loss_terms(&outs, target, &self.cfg), right))
    }

    /// The training digits (indices) of step `step`, and its epoch.
    pub fn batch_indices(&mut self, step: usize) -> (usize, Vec<usize>) {
        let spe = self.steps_per_epoch();
        let (epoch, k) = (step / spe, step % spe);
        if self.order.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut perm: Vec<usize> = (0..self.data.len()).collect();
            let seed = self.shuffle_seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            perm.shuffle(&mut StdRng::seed_from_u64(seed));
            self.order = Some((epoch, perm));
        }
        let perm = &self.order.as_ref().expect("set above").1;
        let end = ((k + 1) * self.cfg.batch).min(perm.len());
        (epoch, perm[k * self.cfg.batch..end].to_vec())
    }
}

impl Task for RefineTask {
    type Model = RefineNca;

    const FAMILY: &'static str = super::FAMILY;

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> RefineNca {
        RefineNca::new(&self.cfg, &self.templates, device, rng)
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn recipe(&self) -> crate::trainer::Recipe {
        super::model::recipe(&self.cfg)
    }

    fn step(&mut self, model: &RefineNca, step: usize, _rng: &mut StdRng) -> Result<StepOutput> {
        let (epoch, idx) = self.batch_indices(step);
        let b = idx.len();
        let (loss, mse, smooth, right, grads) = match self.engine {
            Engine::Fast => self.spectral_step(model, &idx)?,
            Engine::Burn => self.burn_step(model, &idx)?,
        };
        Ok(StepOutput {
            loss: loss as f32,
            grads,
            metrics: vec![
                ("mse".into(), mse),
                ("smooth".into(), smooth),
                ("batch_accuracy".into(), right as f64 / b as f64),
                ("epoch".into(), epoch as f64),
            ],
        })
    }
}

/// Loss, its two terms, the number of final verdicts that are right, and the gradients.
type StepParts = (f64, f64, f64, usize, GradientsParams);

impl RefineTask {
    /// One step on Burn's autodiff, micro-batch by micro-batch.
    fn burn_step(&self, model: &RefineNca, idx: &[usize]) -> Result<StepParts> {
        let b = idx.len();
        let mut acc = GradientsAccumulator::<RefineNca>::new();
        let (mut loss, mut mse, mut smooth, mut right) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        for chunk in idx.chunks(self.micro_batch.max(1)) {
            let share = chunk.len() as f64 / b as f64;
            let (terms, r) = self.forward_chunk(model, chunk)?;
            let scalar = |t: &Tensor<1>| t.clone().into_scalar::<f32>() as f64 * share;
            loss += scalar(&terms.total);
            mse += scalar(&terms.mse);
            smooth += scalar(&terms.smooth);
            right += r;
            let weighted = terms.total.mul_scalar(share as f32);
            acc.accumulate(
                model,
                GradientsParams::from_grads(weighted.backward(), model),
            );
        }
        Ok((loss, mse, smooth, right, acc.grads()))
    }

    /// One step on the spectral engine, the whole batch at once.
    fn spectral_step(&self, model: &RefineNca, idx: &[usize]) -> Result<StepParts> {
        let s = self.templates.side;
        let pixels: Vec<f32> = idx.iter().flat_map(|&i| self.data.image_f32(i)).collect();
        let labels: Vec<u8> = idx.iter().map(|&i| self.data.label(i)).collect();
        let targets = template_batch(&labels, &self.templates);
        let out = nca_fast::stack_train_step(
            &spectral::stack_spec(&self.cfg, s),
            &spectral::stack_params(model),
            &pixels,
            &targets,
            idx.len(),
            &spectral::stack_loss(&self.cfg),
        )
        .map_err(crate::engine::engine_err)?;
        let right = out
            .finals
            .chunks(s * s)
            .zip(&labels)
            .filter(|(img, l)| verdict(img, &self.templates).digit == **l as usize)
            .count();
        let grads = spectral::grads_to_burn(out.grads, model);
        Ok((out.loss, out.mse, out.smooth, right, grads))
    }
}
