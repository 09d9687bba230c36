//! Evaluating digit generation: pixel accuracy (the original's metric) beside its two trivial
//! baselines, the squared error, class-consistency of grown digits by two independent judges,
//! and diversity.
//!
//! - *Pixel accuracy*: output and target thresholded at 0.5, the share of equal pixels. An
//!   all-black output already scores ~0.9 on MNIST, the blurred start somewhat more: both are
//!   reported next to the model's figure.
//! - *Judges*: the shipped self-classifier (200 ticks, majority vote of the alive cells) and the
//!   refiner (50 steps, then the template with the highest cosine). Neither saw generated digits.
//! - *Diversity*: the mean pairwise root-mean-square distance between images of one class,
//!   averaged over classes, for the generated digits and for as many test digits.

use nca_data::Split;
use nca_models::classify::{ClassifyModel, fresh_state};
use nca_models::refine::{RefineModel, verdict};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use super::{CLASSES, GenerateConfig, GenerateMode, GenerateModel, channel0, start_states};
use crate::ca::{Preset, Runner};
use crate::error::{NcaError, Result};

/// Share of pixels on which `a` and `b` agree after thresholding at 0.5 (same length).
pub fn pixel_accuracy(a: &[f32], b: &[f32]) -> f64 {
    let same = a
        .iter()
        .zip(b)
        .filter(|(x, y)| (**x > 0.5) == (**y > 0.5))
        .count();
    same as f64 / a.len().max(1) as f64
}

fn mse(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) * (x - y)) as f64)
        .sum::<f64>()
        / a.len().max(1) as f64
}

/// Runs the model on `labels` (with `images` the targets, used by reconstruction) for the
/// configured ticks; returns the images (channel 0, clamped to [0, 1]) `[B, H·W]`. `frames`, if
/// given, receives the images after every tick.
pub fn generate(
    model: &GenerateModel,
    cfg: &GenerateConfig,
    labels: &[u8],
    images: &[f32],
    [h, w]: [usize; 2],
    rng: &mut StdRng,
    frames: Option<&mut Vec<Vec<f32>>>,
) -> Result<Vec<f32>> {
    let hw = h * w;
    let per = (cfg.channels + cfg.embed) * hw;
    let mut x = start_states(cfg, &model.embedding_values(), labels, images, [h, w], rng);
    let runner = Runner::new(&model.nca);
    let dims = [labels.len(), h, w];
    let clamp = |v: Vec<f32>| v.into_iter().map(|p| p.clamp(0.0, 1.0)).collect::<Vec<_>>();
    if let Some(f) = frames {
        f.push(clamp(channel0(&x, per, hw)));
        for _ in 0..cfg.ticks {
            runner.run(&mut x, dims, 1, rng)?;
            f.push(clamp(channel0(&x, per, hw)));
        }
    } else {
        runner.run(&mut x, dims, cfg.ticks, rng)?;
    }
    Ok(clamp(channel0(&x, per, hw)))
}

/// Reconstruction figures on test digits.
#[derive(Clone, Debug, Serialize)]
pub struct ReconstructReport {
    /// Digits evaluated.
    pub digits: usize,
    /// Pixel accuracy of the model's output.
    pub pixel_accuracy: f64,
    /// Pixel accuracy of an all-black image.
    pub black_pixel_accuracy: f64,
    /// Pixel accuracy of the blurred start.
    pub blurred_pixel_accuracy: f64,
    /// Mean squared error of the output.
    pub mse: f64,
    /// Mean squared error of the blurred start.
    pub blurred_mse: f64,
    /// Pixel accuracy per class.
    pub per_class: Vec<f64>,
}

/// Reconstructs the first `limit` (all by default) digits of `test` in batches of `batch`.
pub fn reconstruct(
    model: &GenerateModel,
    cfg: &GenerateConfig,
    test: &Split,
    limit: Option<usize>,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<ReconstructReport> {
    let cfg = GenerateConfig {
        mode: GenerateMode::Reconstruct,
        ..cfg.clone()
    };
    let n = limit.unwrap_or(test.len()).min(test.len());
    if n == 0 {
        return Err(NcaError::config("--limit", "no test digits to evaluate"));
    }
    let (h, w) = (test.rows(), test.cols());
    let hw = h * w;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut acc, mut black, mut blurred, mut err, mut blur_err) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut class_sum = [0.0f64; CLASSES];
    let mut class_n = [0usize; CLASSES];
    let zeros = vec![0.0f32; hw];
    for start in (0..n).step_by(64) {
        let idx: Vec<usize> = (start..(start + 64).min(n)).collect();
        let labels: Vec<u8> = idx.iter().map(|&i| test.label(i)).collect();
        let images: Vec<f32> = idx.iter().flat_map(|&i| test.image_f32(i)).collect();
        let out = generate(model, &cfg, &labels, &images, [h, w], &mut rng, None)?;
        for (k, &l) in labels.iter().enumerate() {
            let (o, t) = (&out[k * hw..(k + 1) * hw], &images[k * hw..(k + 1) * hw]);
            let b = super::blur(t, h, w, cfg.blur);
            let a = pixel_accuracy(o, t);
            acc += a;
            black += pixel_accuracy(&zeros, t);
            blurred += pixel_accuracy(&b, t);
            err += mse(o, t);
            blur_err += mse(&b, t);
            class_sum[l as usize] += a;
            class_n[l as usize] += 1;
        }
        progress(idx[idx.len() - 1] + 1);
    }
    let m = n as f64;
    Ok(ReconstructReport {
        digits: n,
        pixel_accuracy: acc / m,
        black_pixel_accuracy: black / m,
        blurred_pixel_accuracy: blurred / m,
        mse: err / m,
        blurred_mse: blur_err / m,
        per_class: (0..CLASSES)
            .map(|k| class_sum[k] / class_n[k].max(1) as f64)
            .collect(),
    })
}

/// The two independent classifiers that judge generated digits.
pub struct Judges {
    /// The self-classifying NCA.
    pub classifier: ClassifyModel,
    /// The digit refiner.
    pub refiner: RefineModel,
    /// Ticks the self-classifier runs before its cells vote.
    pub classifier_ticks: usize,
}

impl Judges {
    /// Judges from checkpoint bytes (a `classify` and a `refine` checkpoint).
    pub fn from_bytes(classifier: &[u8], refiner: &[u8]) -> Result<Self> {
        Ok(Self {
            classifier: ClassifyModel::from_bytes(classifier)?,
            refiner: RefineModel::from_bytes(refiner)?,
            classifier_ticks: 200,
        })
    }

    /// The self-classifier's verdict on each image (`None` when no cell is alive).
    pub fn classify(
        &self,
        images: &[f32],
        hw: usize,
        side: usize,
        seed: u64,
    ) -> Result<Vec<Option<usize>>> {
        let m = &self.classifier;
        let c = m.cfg.channels;
        let mut verdicts = Vec::new();
        let mut rng = StdRng::seed_from_u64(seed);
        for chunk in images.chunks(64 * hw) {
            let b = chunk.len() / hw;
            let mut states: Vec<f32> = chunk.chunks(hw).flat_map(|p| fresh_state(p, c)).collect();
            let ticks =
                m.cfg
                    .ca()
                    .draw_ticks(&mut rng, self.classifier_ticks, [b, side, side], false);
            let roll =
                nca_fast::rollout(&m.spec, &m.params, &states, [b, side, side], &ticks, false)
                    .map_err(crate::engine::engine_err)?;
            states = roll.final_state;
            for s in states.chunks(c * hw) {
                let votes = m.votes(s, hw);
                let top = crate::classify::eval::majority(&votes, m.cfg.classes, hw);
                verdicts.push(top[0].map(|(k, _)| k));
            }
        }
        Ok(verdicts)
    }

    /// The refiner's verdict on each image.
    pub fn refine(&self, images: &[f32], hw: usize) -> Result<Vec<usize>> {
        images
            .chunks(hw)
            .map(|p| {
                let steps = self.refiner.images(p)?;
                let last = steps.last().map_or(p, Vec::as_slice);
                Ok(verdict(last, &self.refiner.templates).digit)
            })
            .collect()
    }
}

/// Figures of digits grown on request.
#[derive(Clone, Debug, Serialize)]
pub struct GrowReport {
    /// Digits grown per class.
    pub per_class: usize,
    /// Share the self-classifier assigns to the requested class.
    pub classifier_consistency: f64,
    /// Share the refiner assigns to the requested class.
    pub refiner_consistency: f64,
    /// The judges' consistency per class (self-classifier, refiner).
    pub by_class: Vec<(f64, f64)>,
    /// The judges' verdicts on an equal number of real test digits (their own accuracy here).
    pub test_classifier_accuracy: f64,
    /// The refiner's accuracy on the same real test digits.
    pub test_refiner_accuracy: f64,
    /// Mean pairwise RMS distance within a class among the grown digits.
    pub diversity: f64,
    /// The same among real test digits.
    pub test_diversity: f64,
}

/// Mean pairwise RMS distance between the images of each class, averaged over classes.
pub fn diversity(images: &[f32], labels: &[u8], hw: usize) -> f64 {
    let mut total = 0.0;
    let mut classes = 0;
    for k in 0..CLASSES as u8 {
        let mine: Vec<&[f32]> = images
            .chunks(hw)
            .zip(labels)
            .filter(|(_, l)| **l == k)
            .map(|(i, _)| i)
            .collect();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for i in 0..mine.len() {
            for j in i + 1..mine.len() {
                sum += mse(mine[i], mine[j]).sqrt();
                pairs += 1;
            }
        }
        if pairs > 0 {
            total += sum / pairs as f64;
            classes += 1;
        }
    }
    total / classes.max(1) as f64
}

/// Grows `per_class` digits of every class and judges them; the first `per_class` test digits
/// of each class are judged and measured alongside.
pub fn grow(
    model: &GenerateModel,
    cfg: &GenerateConfig,
    judges: &Judges,
    test: &Split,
    per_class: usize,
    seed: u64,
) -> Result<GrowReport> {
    if per_class == 0 {
        return Err(NcaError::config("--per-class", "must be at least 1"));
    }
    let cfg = GenerateConfig {
        mode: GenerateMode::Grow,
        ..cfg.clone()
    };
    let (h, w) = (test.rows(), test.cols());
    let hw = h * w;
    let labels: Vec<u8> = (0..CLASSES as u8)
        .flat_map(|k| std::iter::repeat_n(k, per_class))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut grown = Vec::with_capacity(labels.len() * hw);
    let blank = vec![0.0f32; 64 * hw];
    for chunk in labels.chunks(64) {
        let out = generate(
            model,
            &cfg,
            chunk,
            &blank[..chunk.len() * hw],
            [h, w],
            &mut rng,
            None,
        )?;
        grown.extend(out);
    }
    let mut real = Vec::with_capacity(labels.len() * hw);
    for k in 0..CLASSES as u8 {
        let picked: Vec<usize> = (0..test.len())
            .filter(|&i| test.label(i) == k)
            .take(per_class)
            .collect();
        if picked.len() < per_class {
            return Err(NcaError::config(
                "--per-class",
                format!("the test split has fewer than {per_class} digits of class {k}"),
            ));
        }
        picked.iter().for_each(|&i| real.extend(test.image_f32(i)));
    }
    let share = |v: &[Option<usize>]| {
        v.iter()
            .zip(&labels)
            .filter(|(p, l)| **p == Some(**l as usize))
            .count() as f64
            / labels.len() as f64
    };
    let by_c = judges.classify(&grown, hw, h, seed)?;
    let by_r: Vec<Option<usize>> = judges.refine(&grown, hw)?.into_iter().map(Some).collect();
    let real_c = judges.classify(&real, hw, h, seed)?;
    let real_r: Vec<Option<usize>> = judges.refine(&real, hw)?.into_iter().map(Some).collect();
    let by_class = (0..CLASSES)
        .map(|k| {
            let r = k * per_class..(k + 1) * per_class;
            let hit = |v: &[Option<usize>]| {
                v[r.clone()].iter().filter(|p| **p == Some(k)).count() as f64 / per_class as f64
            };
            (hit(&by_c), hit(&by_r))
        })
        .collect();
    Ok(GrowReport {
        per_class,
        classifier_consistency: share(&by_c),
        refiner_consistency: share(&by_r),
        by_class,
        test_classifier_accuracy: share(&real_c),
        test_refiner_accuracy: share(&real_r),
        diversity: diversity(&grown, &labels, hw),
        test_diversity: diversity(&real, &labels, hw),
    })
}
