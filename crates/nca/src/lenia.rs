//! Lenia under Burn: the step of [`crate::life::lenia::Lenia`] written on Burn tensors, so that
//! it runs under autodiff (fit a growth parameter to a rollout, or put Lenia in a loss).
//!
//! Perceive: each kernel's potential `U_k = K_k ∗ A_source` is a 2-D convolution of the
//! wrapped state (padded circularly by the kernel's reach) with the kernel that
//! [`kernel_grid`] samples for the FFT engine, cropped to its support. Update: the growth
//! `G_k = g(U_k; μ_k, σ_k)` and `A_c ← clip(A_c + dt · Σ h_k G_k / Σ h_k, 0, 1)`, with `μ` a
//! tensor of one value per kernel so that gradients reach it. The FFT engine is the fast way to
//! run Lenia; this one is for gradients and checks it within float rounding.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{NcaError, Result};
use crate::life::lenia::{Growth, LeniaParams, kernel_grid};

/// A Lenia rule ready to step `[1, channels, height, width]` states on a Burn device.
pub struct LeniaBurn {
    params: LeniaParams,
    /// Per kernel: its reach in cells and its weight `[1, 1, 2·reach+1, 2·reach+1]`.
    kernels: Vec<(usize, Tensor<4>)>,
    width: usize,
    height: usize,
}

impl LeniaBurn {
    /// Samples `params`' kernels for a wrapped `width×height` world on `device`.
    pub fn new(params: LeniaParams, width: usize, height: usize, device: &Device) -> Result<Self> {
        let bad = |e: crate::life::LeniaError| NcaError::config("lenia", e.to_string());
        params.validate().map_err(bad)?;
        let mut kernels = Vec::with_capacity(params.kernels.len());
        for k in 0..params.kernels.len() {
            let grid = kernel_grid(&params, k, width, height).map_err(bad)?;
            let reach = (params.radius * params.kernels[k].relative_radius).ceil() as usize;
            let reach = reach.min((width.min(height) - 1) / 2);
            let side = 2 * reach + 1;
            let mut crop = vec![0f32; side * side];
            for (j, row) in crop.chunks_exact_mut(side).enumerate() {
                let dy = (j as i64 - reach as i64).rem_euclid(height as i64) as usize;
                for (i, v) in row.iter_mut().enumerate() {
                    let dx = (i as i64 - reach as i64).rem_euclid(width as i64) as usize;
                    *v = grid[dy * width + dx];
                }
            }
            let weight = Tensor::from_data(TensorData::new(crop, [1, 1, side, side]), device);
            kernels.push((reach, weight));
        }
        Ok(Self {
            params,
            kernels,
            width,
            height,
        })
    }

    /// The rule.
    pub fn params(&self) -> &LeniaParams {
        &self.params
    }

    /// Each kernel's growth centre `μ` as a tensor `[kernels]` (make it `require_grad` to fit it).
    pub fn mu(&self, device: &Device) -> Tensor<1> {
        let mus: Vec<f32> = self.params.kernels.iter().map(|k| k.mu).collect();
        let n = mus.len();
        Tensor::from_data(TensorData::new(mus, [n]), device)
    }

    /// The state `[1, channels, height, width]` of a flat `[channel][y][x]` buffer.
    pub fn state(&self, cells: &[f32], device: &Device) -> Tensor<4> {
        let shape = [1, self.params.channels, self.height, self.width];
        Tensor::from_data(TensorData::new(cells.to_vec(), shape), device)
    }

    /// One step of `state` `[1, channels, height, width]` with growth centres `mu` `[kernels]`.
    pub fn step(&self, state: Tensor<4>, mu: Tensor<1>) -> Tensor<4> {
        let (h, w) = (self.height, self.width);
        let channels = self.params.channels;
        let mut growth: Vec<Option<Tensor<4>>> = vec![None; channels];
        let mut weights = vec![0f32; channels];
        for (k, (kernel, (reach, weight))) in
            self.params.kernels.iter().zip(&self.kernels).enumerate()
        {
            let source = state
                .clone()
                .slice([0..1, kernel.source..kernel.source + 1, 0..h, 0..w]);
            let u = conv2d(
                wrap_pad(source, *reach),
                weight.clone(),
                None,
                ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
            );
            let m = mu.clone().narrow(0, k, 1).reshape([1, 1, 1, 1]);
            let g = growth_of(kernel.growth, u, m, kernel.sigma) * kernel.weight;
            let t = kernel.target;
            growth[t] = Some(match growth[t].take() {
                Some(sum) => sum + g,
                None => g,
            });
            weights[t] += kernel.weight;
        }
        let dt = (1.0 / self.params.time_steps) as f32;
        let parts: Vec<Tensor<4>> = (0..channels)
            .map(|c| {
                let a = state.clone().slice([0..1, c..c + 1, 0..h, 0..w]);
                match growth[c].take() {
                    Some(g) if weights[c] > 0.0 => (a + g * (dt / weights[c])).clamp(0.0, 1.0),
                    _ => a,
                }
            })
            .collect();
        Tensor::cat(parts, 1)
    }
}

/// `g(u; μ, σ)` on tensors (`mu` broadcast from `[1,1,1,1]`).
fn growth_of(growth: Growth, u: Tensor<4>, mu: Tensor<4>, sigma: f32) -> Tensor<4> {
    let d = u - mu;
    match growth {
        Growth::Polynomial => {
            let q = (d.powi_scalar(2) * (-1.0 / (9.0 * sigma * sigma)) + 1.0).clamp_min(0.0);
            q.powi_scalar(4) * 2.0 - 1.0
        }
        Growth::Gaussian => (d.powi_scalar(2) * (-1.0 / (2.0 * sigma * sigma))).exp() * 2.0 - 1.0,
        Growth::Step => d.abs().lower_equal_elem(sigma).float() * 2.0 - 1.0,
    }
}

/// `x` `[1, 1, h, w]` padded by `r` cells on every side with the cells of the opposite edges.
fn wrap_pad(x: Tensor<4>, r: usize) -> Tensor<4> {
    if r == 0 {
        return x;
    }
    let [b, c, h, w] = x.dims();
    let rows = Tensor::cat(
        vec![
            x.clone().slice([0..b, 0..c, h - r..h, 0..w]),
            x.clone(),
            x.slice([0..b, 0..c, 0..r, 0..w]),
        ],
        2,
    );
    let hh = h + 2 * r;
    Tensor::cat(
        vec![
            rows.clone().slice([0..b, 0..c, 0..hh, w - r..w]),
            rows.clone(),
            rows.slice([0..b, 0..c, 0..hh, 0..r]),
        ],
        3,
    )
}
