//! How well the verdict classifies: the test digits run all steps, and after every step the
//! verdict on the current image is compared with the label. The same verdict on the raw input
//! is the baseline.

use burn::tensor::{Tensor, TensorData};
use nca_data::Split;
use serde::Serialize;

use super::model::RefineNca;
use super::templates::{Templates, verdict};
use crate::engine::Engine;
use crate::error::{NcaError, Result};

/// Evaluation settings.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Evaluate the first N test digits only.
    pub limit: Option<usize>,
    /// Digits per forward pass.
    pub batch: usize,
    /// Which implementation runs the model.
    pub engine: Engine,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            limit: None,
            batch: 100,
            engine: Engine::Fast,
        }
    }
}

/// Accuracy and mean confidence of the verdict after every step.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Digits evaluated.
    pub digits: usize,
    /// Share of digits whose image after step `t` has the label's verdict (one per step).
    pub accuracy_per_step: Vec<f64>,
    /// Mean confidence (cosine of the chosen template) after each step.
    pub confidence_per_step: Vec<f64>,
    /// Accuracy of the final image's verdict.
    pub accuracy_final: f64,
    /// Mean confidence of the final verdict.
    pub confidence_final: f64,
    /// Accuracy of the verdict on the raw input digits (the baseline).
    pub accuracy_templates_only: f64,
}

/// Runs `model` on `b` digits (`pixels`, `[b, side, side]` row-major) with `engine` and returns
/// every step's images, each `[b, side, side]` row-major.
pub fn run_images(
    model: &RefineNca,
    pixels: &[f32],
    b: usize,
    side: usize,
    engine: Engine,
) -> Result<Vec<Vec<f32>>> {
    if pixels.len() != b * side * side {
        return Err(NcaError::config(
            "input",
            format!("{} values for {b} digits of {side}x{side}", pixels.len()),
        ));
    }
    if engine == Engine::Fast {
        return super::spectral::images(model, pixels, b, side);
    }
    let device = model.templates.val().device();
    let x = Tensor::<4>::from_data(
        TensorData::new(pixels.to_vec(), [b, 1, side, side]),
        &device,
    );
    model
        .forward(x)
        .into_iter()
        .map(|y| {
            y.into_data()
                .try_to_vec::<f32>()
                .map_err(|e| NcaError::config("output", format!("{e:?}")))
        })
        .collect()
}

/// Evaluates the verdict after every step on the test digits (the first `opts.limit`).
/// `on_batch` is called with the number of digits done (for progress output).
pub fn evaluate(
    model: &RefineNca,
    templates: &Templates,
    test: &Split,
    opts: &EvalOptions,
    mut on_batch: impl FnMut(usize),
) -> Result<EvalReport> {
    let n = opts.limit.unwrap_or(test.len()).min(test.len());
    if n == 0 {
        return Err(NcaError::config("--limit", "must be at least 1"));
    }
    let side = templates.side;
    if test.rows() != side || test.cols() != side {
        return Err(NcaError::config(
            "data",
            format!(
                "test digits are {}x{}, the model's templates {side}x{side}",
                test.rows(),
                test.cols()
            ),
        ));
    }
    let steps = model.blocks.len();
    let (mut right, mut conf) = (vec![0usize; steps], vec![0f64; steps]);
    let mut right_input = 0usize;
    let mut start = 0;
    while start < n {
        let b = opts.batch.clamp(1, n - start);
        let pixels: Vec<f32> = (start..start + b).flat_map(|i| test.image_f32(i)).collect();
        let labels: Vec<usize> = (start..start + b).map(|i| test.label(i) as usize).collect();
        for (img, &l) in pixels.chunks(side * side).zip(&labels) {
            right_input += usize::from(verdict(img, templates).digit == l);
        }
        let images = run_images(model, &pixels, b, side, opts.engine)?;
        for (t, step) in images.iter().enumerate() {
            for (img, &l) in step.chunks(side * side).zip(&labels) {
                let v = verdict(img, templates);
                right[t] += usize::from(v.digit == l);
                conf[t] += v.confidence as f64;
            }
        }
        start += b;
        on_batch(start);
    }
    let accuracy_per_step: Vec<f64> = right.iter().map(|&r| r as f64 / n as f64).collect();
    let confidence_per_step: Vec<f64> = conf.iter().map(|&c| c / n as f64).collect();
    Ok(EvalReport {
        digits: n,
        accuracy_final: *accuracy_per_step.last().unwrap_or(&0.0),
        confidence_final: *confidence_per_step.last().unwrap_or(&0.0),
        accuracy_templates_only: right_input as f64 / n as f64,
        accuracy_per_step,
        confidence_per_step,
    })
}
