//! Forward and backward passes of one tile of digits through every block, and the gradient
//! accumulators a thread keeps across its tiles.

use super::products::{self, Dims};
use super::{Spectra, StackBlock, StackLoss, StackParams, StackSpec, TILE};
use crate::par::{lock, map_items};
use crate::spectrum::{Fft2, GROUP};
use std::sync::Mutex;

/// Per-pixel factors of the loss and its gradient, for a batch of `b` digits.
pub(crate) struct LossScale {
    is_target: Vec<bool>,
    mse_value: f64,
    mse_grad: f32,
    smooth_value: f64,
    smooth_grad: f32,
}

impl LossScale {
    pub(crate) fn new(spec: &StackSpec, loss: &StackLoss, b: usize) -> Self {
        let n = (b * spec.pixels()) as f64;
        let targets = loss.target_steps.len().max(1) as f64;
        let pairs = spec.blocks.saturating_sub(1).max(1) as f64;
        let mut is_target = vec![false; spec.blocks + 1];
        for &s in &loss.target_steps {
            is_target[s] = true;
        }
        Self {
            is_target,
            mse_value: 1.0 / (targets * n),
            mse_grad: (2.0 / (targets * n)) as f32,
            smooth_value: 1.0 / (pairs * n),
            smooth_grad: (loss.smooth_weight as f64 / (pairs * n)) as f32,
        }
    }
}

fn sign(v: f32) -> f32 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// One thread's gradient sums: kernel gradients stay spectral until the end of the step.
pub(crate) struct Accumulators {
    pub(crate) mse: f64,
    pub(crate) smooth: f64,
    /// Per block, `[groups][w][t][16]`.
    kernel: Vec<Vec<f32>>,
    conv_b: Vec<Vec<f32>>,
    out_w: Vec<Vec<f32>>,
    out_b: Vec<f32>,
}

/// Accumulators of earlier steps, kept for the next one: a training loop would otherwise map,
/// fault in and unmap ~100 MB per thread every step (the unmapping interrupts the other core to
/// flush its TLB, 4% of a step). Held until the process ends, at most one per thread.
static SPARE: Mutex<Vec<Accumulators>> = Mutex::new(Vec::new());

impl Accumulators {
    /// Zeroed accumulators: kept ones of the same shape if there are any, else new ones.
    pub(crate) fn spare(spec: &StackSpec, groups: usize) -> Self {
        let kept = {
            let mut spare = lock(&SPARE);
            let fits = |a: &Accumulators| {
                a.kernel.len() == spec.blocks
                    && a.conv_b.first().is_none_or(|b| b.len() == spec.width)
                    && a.kernel
                        .first()
                        .is_none_or(|k| k.len() == groups * spec.width * GROUP)
            };
            spare.retain(fits);
            spare.pop()
        };
        let Some(mut a) = kept else {
            return Self::new(spec, groups);
        };
        a.mse = 0.0;
        a.smooth = 0.0;
        let buffers = a.kernel.iter_mut().chain(&mut a.conv_b).chain(&mut a.out_w);
        buffers.for_each(|v| v.fill(0.0));
        a.out_b.fill(0.0);
        a
    }

    /// Keeps these accumulators for [`Accumulators::spare`].
    pub(crate) fn recycle(self) {
        let mut spare = lock(&SPARE);
        if spare.len() < crate::par::threads() {
            spare.push(self);
        }
    }

    fn new(spec: &StackSpec, groups: usize) -> Self {
        let w = spec.width;
        Self {
            mse: 0.0,
            smooth: 0.0,
            kernel: (1..=spec.blocks)
                .map(|t| vec![0.0; groups * w * t * GROUP])
                .collect(),
            conv_b: vec![vec![0.0; w]; spec.blocks],
            out_w: vec![vec![0.0; w]; spec.blocks],
            out_b: vec![0.0; spec.blocks],
        }
    }

    /// Adds `other`'s sums, the kernel blocks in parallel.
    pub(crate) fn add(&mut self, other: &Accumulators) {
        self.mse += other.mse;
        self.smooth += other.smooth;
        let pairs: Vec<(&mut Vec<f32>, &Vec<f32>)> =
            self.kernel.iter_mut().zip(&other.kernel).collect();
        map_items(
            pairs,
            |_, (a, _)| a.len(),
            |_, (a, b)| super::add_into(a, b),
        );
        let small = self.conv_b.iter_mut().zip(&other.conv_b);
        for (a, b) in small.chain(self.out_w.iter_mut().zip(&other.out_w)) {
            super::add_into(a, b);
        }
        super::add_into(&mut self.out_b, &other.out_b);
    }

    /// The gradients in the parameters' layouts: each kernel gradient is read back from the
    /// frequency domain at the offsets its kernel was wrapped to.
    pub(crate) fn kernel_grads_to_spatial(
        &self,
        spec: &StackSpec,
        spectra: &Spectra,
    ) -> StackParams {
        let (n, w, k) = (spectra.n, spec.width, spec.kernel);
        let conv_w = map_items(
            self.kernel.iter().collect(),
            |i, _| i + 1,
            |i, packed| {
                let t = i + 1;
                let mut fft = Fft2::new(n);
                let mut out = vec![0.0; w * t * k * k];
                for o in 0..w {
                    for c in 0..t {
                        let dst = &mut out[(o * t + c) * k * k..(o * t + c + 1) * k * k];
                        fft.inverse_kernel(packed, o * t + c, w * t, dst, k);
                    }
                }
                out
            },
        );
        let blocks = conv_w
            .into_iter()
            .zip(self.conv_b.iter().cloned())
            .zip(self.out_w.iter().cloned())
            .zip(self.out_b.iter().copied())
            .map(|(((conv_w, conv_b), out_w), out_b)| StackBlock {
                conv_w,
                conv_b,
                out_w,
                out_b,
            })
            .collect();
        StackParams { blocks }
    }
}

/// A thread's buffers for running tiles of up to [`TILE`] digits.
pub(crate) struct Runner<'a> {
    spec: StackSpec,
    spectra: &'a Spectra,
    fft: Fft2,
    /// Image spectra, per digit `[groups][blocks][16]` (images `0..blocks` feed blocks).
    x: Vec<f32>,
    /// Pre-activation spectra (forward) or their gradients (backward), per digit
    /// `[groups][w][16]`.
    h: Vec<f32>,
    /// Images `0..=blocks` per digit, `[blocks + 1][side²]` (0 is the input).
    images: Vec<f32>,
    /// Post-ReLU maps per digit, `[blocks][w][side²]` (training only).
    acts: Vec<f32>,
    /// Spectral gradients of the images, laid out as `x` (training only).
    dx: Vec<f32>,
}

impl<'a> Runner<'a> {
    pub(crate) fn new(spec: &StackSpec, spectra: &'a Spectra, train: bool) -> Self {
        let (t, w, hw, g) = (spec.blocks, spec.width, spec.pixels(), spectra.groups);
        let x_len = TILE * g * t * GROUP;
        Self {
            spec: *spec,
            spectra,
            fft: Fft2::new(spectra.n),
            x: vec![0.0; x_len],
            h: vec![0.0; TILE * g * w * GROUP],
            images: vec![0.0; TILE * (t + 1) * hw],
            acts: if train {
                vec![0.0; TILE * t * w * hw]
            } else {
                Vec::new()
            },
            dx: if train { vec![0.0; x_len] } else { Vec::new() },
        }
    }

    fn x_stride(&self) -> usize {
        self.spectra.groups * self.spec.blocks * GROUP
    }

    fn h_stride(&self) -> usize {
        self.spectra.groups * self.spec.width * GROUP
    }

    fn image_at(&self, b: usize, t: usize) -> usize {
        (b * (self.spec.blocks + 1) + t) * self.spec.pixels()
    }

    fn dims(&self, nb: usize, t: usize) -> Dims {
        Dims {
            groups: self.spectra.groups,
            tile: nb,
            t,
            w: self.spec.width,
            cmax: self.spec.blocks,
        }
    }

    /// Runs `nb` digits through every block, keeping what backward needs.
    fn run(&mut self, params: &StackParams, inputs: &[f32], nb: usize) {
        let (blocks, w, side) = (self.spec.blocks, self.spec.width, self.spec.side);
        let hw = side * side;
        let (xs, hs) = (self.x_stride(), self.h_stride());
        let keep = !self.acts.is_empty();
        let mut map = vec![0.0; hw];
        let mut z = vec![0.0; hw];
        for b in 0..nb {
            let at = self.image_at(b, 0);
            self.images[at..at + hw].copy_from_slice(&inputs[b * hw..(b + 1) * hw]);
            let x = &mut self.x[b * xs..(b + 1) * xs];
            self.fft
                .forward(&inputs[b * hw..(b + 1) * hw], side, side, x, 0, blocks);
        }
        for (i, block) in params.blocks.iter().enumerate() {
            let t = i + 1;
            products::forward(
                self.dims(nb, t),
                &self.x,
                &self.spectra.blocks[i],
                &mut self.h,
            );
            for b in 0..nb {
                z.fill(block.out_b);
                for o in 0..w {
                    self.fft
                        .inverse(&self.h[b * hs..(b + 1) * hs], o, w, &mut map, side, side);
                    let (bias, weight) = (block.conv_b[o], block.out_w[o]);
                    for (m, zp) in map.iter_mut().zip(z.iter_mut()) {
                        *m = (*m + bias).max(0.0);
                        *zp += weight * *m;
                    }
                    if keep {
                        let at = ((b * blocks + i) * w + o) * hw;
                        self.acts[at..at + hw].copy_from_slice(&map);
                    }
                }
                let at = self.image_at(b, t);
                for (y, zp) in self.images[at..at + hw].iter_mut().zip(&z) {
                    *y = 1.0 / (1.0 + (-zp).exp());
                }
                if t < blocks {
                    let x = &mut self.x[b * xs..(b + 1) * xs];
                    self.fft
                        .forward(&self.images[at..at + hw], side, side, x, t, blocks);
                }
            }
        }
    }

    /// Every step's images of the `nb` digits `inputs`: `blocks` vectors of `[nb, side²]`.
    pub(crate) fn forward(
        &mut self,
        params: &StackParams,
        inputs: &[f32],
        nb: usize,
    ) -> Vec<Vec<f32>> {
        self.run(params, inputs, nb);
        let hw = self.spec.pixels();
        (1..=self.spec.blocks)
            .map(|t| {
                (0..nb)
                    .flat_map(|b| {
                        let at = self.image_at(b, t);
                        self.images[at..at + hw].iter().copied()
                    })
                    .collect()
            })
            .collect()
    }

    /// Forward and backward of `nb` digits with targets `targets`; adds loss and gradients to
    /// `acc` and returns the final images `[nb, side²]`.
    pub(crate) fn train_tile(
        &mut self,
        params: &StackParams,
        inputs: &[f32],
        targets: &[f32],
        nb: usize,
        scale: &LossScale,
        acc: &mut Accumulators,
    ) -> Vec<f32> {
        self.run(params, inputs, nb);
        let (blocks, w, side) = (self.spec.blocks, self.spec.width, self.spec.side);
        let hw = side * side;
        let (xs, hs) = (self.x_stride(), self.h_stride());
        self.dx[..nb * xs].fill(0.0);
        let mut gy = vec![0.0; hw];
        let mut dh = vec![0.0; hw];
        for (i, block) in params.blocks.iter().enumerate().rev() {
            let t = i + 1;
            for b in 0..nb {
                self.direct_grad(b, t, &targets[b * hw..(b + 1) * hw], scale, acc, &mut gy);
                if t < blocks {
                    self.fft.inverse(
                        &self.dx[b * xs..(b + 1) * xs],
                        t,
                        blocks,
                        &mut dh,
                        side,
                        side,
                    );
                    for (g, d) in gy.iter_mut().zip(&dh) {
                        *g += d;
                    }
                }
                // Through the sigmoid: gy becomes the gradient of the logits.
                let at = self.image_at(b, t);
                for (g, y) in gy.iter_mut().zip(&self.images[at..at + hw]) {
                    *g *= y * (1.0 - y);
                }
                acc.out_b[i] += gy.iter().sum::<f32>();
                for o in 0..w {
                    let at = ((b * blocks + i) * w + o) * hw;
                    let act = &self.acts[at..at + hw];
                    let weight = block.out_w[o];
                    let (dw, db) = relu_backward(&gy, act, weight, &mut dh);
                    acc.out_w[i][o] += dw;
                    acc.conv_b[i][o] += db;
                    let h = &mut self.h[b * hs..(b + 1) * hs];
                    self.fft.forward(&dh, side, side, h, o, w);
                }
            }
            let dims = self.dims(nb, t);
            products::weight_grad(dims, &self.h, &self.x, &mut acc.kernel[i]);
            if t > 1 {
                products::input_grad(dims, &self.h, &self.spectra.blocks[i], &mut self.dx);
            }
        }
        (0..nb)
            .flat_map(|b| {
                let at = self.image_at(b, blocks);
                self.images[at..at + hw].iter().copied()
            })
            .collect()
    }

    /// The loss terms that read image `t` of digit `b` directly: adds their values to `acc`
    /// and writes their gradient with respect to the image to `gy`.
    fn direct_grad(
        &self,
        b: usize,
        t: usize,
        target: &[f32],
        scale: &LossScale,
        acc: &mut Accumulators,
        gy: &mut [f32],
    ) {
        let hw = self.spec.pixels();
        let y = &self.images[self.image_at(b, t)..][..hw];
        gy.fill(0.0);
        if scale.is_target[t] {
            let mut sum = 0.0f64;
            for ((g, y), target) in gy.iter_mut().zip(y).zip(target) {
                let e = y - target;
                sum += (e * e) as f64;
                *g += scale.mse_grad * e;
            }
            acc.mse += sum * scale.mse_value;
        }
        if t >= 2 {
            let prev = &self.images[self.image_at(b, t - 1)..][..hw];
            let mut sum = 0.0f64;
            for ((g, y), p) in gy.iter_mut().zip(y).zip(prev) {
                sum += (y - p).abs() as f64;
                *g += scale.smooth_grad * sign(y - p);
            }
            acc.smooth += sum * scale.smooth_value;
        }
        if t < self.spec.blocks {
            let next = &self.images[self.image_at(b, t + 1)..][..hw];
            for ((g, y), n) in gy.iter_mut().zip(y).zip(next) {
                *g -= scale.smooth_grad * sign(n - y);
            }
        }
    }
}

crate::simd::avx2_dispatch! {
/// Back through one map's ReLU and the 1x1 convolution: with `g` the gradient at the logits and
/// `act` the map's activations, writes the gradient at the map's pre-activation to `dh` and
/// returns the gradients of the 1x1 weight (`Σ g·act`) and of the map's bias (`Σ dh`). The sums
/// run in 8 interleaved lanes, so that they vectorise.
fn relu_backward(g: &[f32], act: &[f32], weight: f32, dh: &mut [f32]) -> (f32, f32) {
    const L: usize = 8;
    let (mut dw, mut db) = ([0.0f32; L], [0.0f32; L]);
    let n = g.len() - g.len() % L;
    for ((d, g), a) in dh[..n]
        .chunks_exact_mut(L)
        .zip(g[..n].chunks_exact(L))
        .zip(act[..n].chunks_exact(L))
    {
        for l in 0..L {
            dw[l] += g[l] * a[l];
            let m = if a[l] > 0.0 { g[l] * weight } else { 0.0 };
            d[l] = m;
            db[l] += m;
        }
    }
    let mut tail = (0.0f32, 0.0f32);
    for ((d, g), a) in dh[n..].iter_mut().zip(&g[n..]).zip(&act[n..]) {
        tail.0 += g * a;
        *d = if *a > 0.0 { g * weight } else { 0.0 };
        tail.1 += *d;
    }
    (dw.iter().sum::<f32>() + tail.0, db.iter().sum::<f32>() + tail.1)
}
}
