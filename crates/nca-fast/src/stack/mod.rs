//! The digit refiner's network, exactly, with convolutions done as products of spectra.
//!
//! # The model
//!
//! Block `t` (`t = 1..=blocks`) reads images `0..t` (the input digit and the `t-1` images made
//! before it), applies a `k×k` convolution (cross-correlation, zero padding `k/2`) to `w` maps
//! plus a bias, a ReLU, a 1x1 convolution to one map plus a bias and a sigmoid: that is image
//! `t`. Parameters per block: `conv_w [w, t, k, k]`, `conv_b [w]`, `out_w [w]`, `out_b`.
//!
//! # The method: convolve in the frequency domain
//!
//! Each image feeds every later block, through different weights, so the direct convolutions
//! cost `Σ_t t·w·k²·side²` multiply-adds per digit (1.3 G at the original's size). But a
//! convolution is a product of spectra: transform every image once (a 2D real FFT on an `n×n`
//! grid, `n ≥ side + k/2`, 32 for MNIST, so the circular convolution equals the zero-padded one
//! on the output), transform every kernel once per training step (shared by the batch), and a
//! block becomes, at each of the `(n/2+1)·n` frequencies, a complex `t × w` matrix product,
//! followed by `w` inverse transforms. That is ~30× fewer multiply-adds at the original's size.
//!
//! Backward uses the same products: with `D_o` the spectrum of the gradient at map `o`'s
//! pre-activation, the kernel gradient is `Σ_digits D_o · conj(X_c)` and the gradient reaching
//! image `c` is `Σ_o D_o · conj(K_oc)`, both accumulated in the frequency domain (kernels over
//! the whole batch, images over every later block) and transformed back once. Nothing is
//! approximated: results equal the direct convolution up to floating-point rounding (the tests
//! compare both).
//!
//! Digits are processed in tiles (so that each kernel spectrum read from memory serves several
//! digits), tiles split across threads with the `parallel` feature, each thread with its own
//! gradient accumulators.

mod pass;
mod products;

use crate::par::map_items;
use crate::spec::{ShapeError, shape_err};
use crate::spectrum::{Fft2, GROUP, transform_size};

/// The shape of a refiner network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackSpec {
    /// Blocks (steps); block `t` reads `t` images.
    pub blocks: usize,
    /// Feature maps of each block's convolution.
    pub width: usize,
    /// Side of the convolution kernel (odd).
    pub kernel: usize,
    /// Side of the square images.
    pub side: usize,
}

impl StackSpec {
    /// Checks that the shape is usable.
    pub fn validate(&self) -> Result<(), ShapeError> {
        if self.blocks == 0 || self.width == 0 || self.side == 0 {
            return shape_err!("stack spec: blocks, width and side must be > 0");
        }
        if self.kernel.is_multiple_of(2) {
            return shape_err!("stack spec: the kernel side must be odd");
        }
        Ok(())
    }

    fn pixels(&self) -> usize {
        self.side * self.side
    }
}

/// One block's parameters (PyTorch / Burn layouts, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct StackBlock {
    /// `k×k` convolution weights `[w, t, k, k]`.
    pub conv_w: Vec<f32>,
    /// Its biases `[w]`.
    pub conv_b: Vec<f32>,
    /// 1x1 convolution weights `[w]` (from `[1, w, 1, 1]`).
    pub out_w: Vec<f32>,
    /// Its bias.
    pub out_b: f32,
}

/// Parameters of every block (or their gradients, same shapes).
#[derive(Clone, Debug, PartialEq)]
pub struct StackParams {
    /// Block `t-1` makes image `t`.
    pub blocks: Vec<StackBlock>,
}

impl StackParams {
    /// All-zero parameters for `spec`.
    pub fn zeros(spec: &StackSpec) -> Self {
        let (w, k2) = (spec.width, spec.kernel * spec.kernel);
        Self {
            blocks: (1..=spec.blocks)
                .map(|t| StackBlock {
                    conv_w: vec![0.0; w * t * k2],
                    conv_b: vec![0.0; w],
                    out_w: vec![0.0; w],
                    out_b: 0.0,
                })
                .collect(),
        }
    }

    /// Checks every tensor's length against `spec`.
    pub fn check(&self, spec: &StackSpec) -> Result<(), ShapeError> {
        spec.validate()?;
        if self.blocks.len() != spec.blocks {
            return shape_err!(
                "stack params: {} blocks, expected {}",
                self.blocks.len(),
                spec.blocks
            );
        }
        let (w, k2) = (spec.width, spec.kernel * spec.kernel);
        for (i, b) in self.blocks.iter().enumerate() {
            let t = i + 1;
            if b.conv_w.len() != w * t * k2 || b.conv_b.len() != w || b.out_w.len() != w {
                return shape_err!("stack params: block {t} has the wrong shapes");
            }
        }
        Ok(())
    }
}

fn add_into(a: &mut [f32], b: &[f32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The training loss: mean squared error to the target at the `target_steps` (1-based, averaged
/// over them) plus `smooth_weight` × the mean absolute change between consecutive images
/// (averaged over the pairs). Means run over the whole batch and all pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct StackLoss {
    /// Steps whose image is compared with the target.
    pub target_steps: Vec<usize>,
    /// Weight of the smoothness term.
    pub smooth_weight: f32,
}

/// One training step's results.
#[derive(Clone, Debug)]
pub struct StackStep {
    /// `mse + smooth_weight · smooth`.
    pub loss: f64,
    /// The mean squared error term.
    pub mse: f64,
    /// The smoothness term (before weighting).
    pub smooth: f64,
    /// Gradient of `loss` with respect to every parameter.
    pub grads: StackParams,
    /// The final images `[b, side, side]`.
    pub finals: Vec<f32>,
}

/// Kernel spectra of every block, `[groups][w][t][16]` each (shared by all digits of a step).
struct Spectra {
    n: usize,
    groups: usize,
    blocks: Vec<Vec<f32>>,
}

impl Spectra {
    /// Transforms every kernel: `K_oc` is `conv_w[o, c]` flipped and wrapped onto the `n×n`
    /// grid, so that the product with an image spectrum is the padded cross-correlation.
    fn new(spec: &StackSpec, params: &StackParams) -> Self {
        let (n, w, k) = (
            transform_size(spec.side, spec.kernel),
            spec.width,
            spec.kernel,
        );
        let groups = Fft2::new(n).groups();
        let blocks = map_items(
            params.blocks.iter().collect(),
            |i, _| i + 1,
            |i, block| {
                let t = i + 1;
                let mut fft = Fft2::new(n);
                let mut packed = vec![0.0; groups * w * t * GROUP];
                for o in 0..w {
                    for c in 0..t {
                        let kern = &block.conv_w[(o * t + c) * k * k..(o * t + c + 1) * k * k];
                        fft.forward_kernel(kern, k, &mut packed, o * t + c, w * t);
                    }
                }
                packed
            },
        );
        Self { n, groups, blocks }
    }
}

/// Digits per tile: each kernel spectrum read from memory serves this many digits.
const TILE: usize = 8;

/// Checks the inputs of a batch of `b` digits.
fn check_batch(
    spec: &StackSpec,
    params: &StackParams,
    inputs: &[f32],
    b: usize,
) -> Result<(), ShapeError> {
    params.check(spec)?;
    if b == 0 {
        return shape_err!("stack: empty batch");
    }
    if inputs.len() != b * spec.pixels() {
        return shape_err!(
            "stack: {} input values for {b} digits of {}x{}",
            inputs.len(),
            spec.side,
            spec.side
        );
    }
    Ok(())
}

/// Splits digits `0..b` into one contiguous range per thread.
fn parts(b: usize) -> Vec<std::ops::Range<usize>> {
    let threads = crate::par::threads().clamp(1, b.div_ceil(TILE));
    let per = b.div_ceil(threads);
    (0..threads)
        .map(|i| i * per..((i + 1) * per).min(b))
        .filter(|r| !r.is_empty())
        .collect()
}

/// Every step's image for the `b` digits `inputs` (`[b, side, side]`): `blocks` vectors, each
/// `[b, side, side]`.
pub fn stack_images(
    spec: &StackSpec,
    params: &StackParams,
    inputs: &[f32],
    b: usize,
) -> Result<Vec<Vec<f32>>, ShapeError> {
    check_batch(spec, params, inputs, b)?;
    let spectra = Spectra::new(spec, params);
    let hw = spec.pixels();
    let per_part = map_items(
        parts(b),
        |_, range| range.len(),
        |_, range| {
            let mut runner = pass::Runner::new(spec, &spectra, false);
            let mut images = vec![Vec::with_capacity(range.len() * hw); spec.blocks];
            for start in range.clone().step_by(TILE) {
                let end = (start + TILE).min(range.end);
                let tile = runner.forward(params, &inputs[start * hw..end * hw], end - start);
                for (t, img) in images.iter_mut().enumerate() {
                    img.extend_from_slice(&tile[t]);
                }
            }
            images
        },
    );
    let mut out = vec![Vec::with_capacity(b * hw); spec.blocks];
    for part in per_part {
        for (o, p) in out.iter_mut().zip(part) {
            o.extend(p);
        }
    }
    Ok(out)
}

/// Loss, gradients and final images of one training step on the `b` digits `inputs` with the
/// per-digit targets `targets` (both `[b, side, side]`).
pub fn stack_train_step(
    spec: &StackSpec,
    params: &StackParams,
    inputs: &[f32],
    targets: &[f32],
    b: usize,
    loss: &StackLoss,
) -> Result<StackStep, ShapeError> {
    check_batch(spec, params, inputs, b)?;
    if targets.len() != inputs.len() {
        return shape_err!(
            "stack: {} target values for {} inputs",
            targets.len(),
            inputs.len()
        );
    }
    if let Some(&s) = loss
        .target_steps
        .iter()
        .find(|&&s| s == 0 || s > spec.blocks)
    {
        return shape_err!("stack loss: target step {s} outside 1..={}", spec.blocks);
    }
    let spectra = Spectra::new(spec, params);
    let hw = spec.pixels();
    let scale = pass::LossScale::new(spec, loss, b);
    let per_part = map_items(
        parts(b),
        |_, range| range.len(),
        |_, range| {
            let mut runner = pass::Runner::new(spec, &spectra, true);
            let mut acc = pass::Accumulators::spare(spec, spectra.groups);
            let mut finals = Vec::with_capacity(range.len() * hw);
            for start in range.clone().step_by(TILE) {
                let end = (start + TILE).min(range.end);
                let (x, y) = (
                    &inputs[start * hw..end * hw],
                    &targets[start * hw..end * hw],
                );
                finals.extend(runner.train_tile(params, x, y, end - start, &scale, &mut acc));
            }
            (acc, finals)
        },
    );
    let mut total: Option<pass::Accumulators> = None;
    let mut finals = Vec::with_capacity(b * hw);
    for (acc, f) in per_part {
        finals.extend(f);
        match &mut total {
            None => total = Some(acc),
            Some(t) => {
                t.add(&acc);
                acc.recycle();
            }
        }
    }
    let total = total.expect("at least one part");
    let (mse, smooth) = (total.mse, total.smooth);
    let grads = total.kernel_grads_to_spatial(spec, &spectra);
    total.recycle();
    Ok(StackStep {
        loss: mse + loss.smooth_weight as f64 * smooth,
        mse,
        smooth,
        grads,
        finals,
    })
}
