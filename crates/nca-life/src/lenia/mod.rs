//! Lenia: continuous cellular automata (Bert Chan, 2019), and their multi-channel,
//! multi-kernel extension.
//!
//! The method, one step of time `dt = 1/T` on a wrapped grid of states `A ∈ [0,1]`:
//!
//! 1. **Perceive.** Each kernel `k` reads its source channel through a ring kernel `K_k`:
//!    a cell at distance `d` from the centre sits at relative radius `r = d / (R·r_k)`; with
//!    `B` peaks `b_1..b_B` the rings are `B·r`'s integer part (the peak `b_i`) and its
//!    fractional part runs through the *kernel core* ([`KernelCore`]); `K_k` is zero for
//!    `r ≥ 1` and normalised to sum 1. The potential `U_k = K_k ∗ A_source` is a circular
//!    convolution, computed by FFT.
//! 2. **Grow.** The *growth function* ([`Growth`]) maps the potential to `G_k = g(U_k; μ, σ)`
//!    in `[−1, 1]`: positive where the neighbourhood is as dense as `μ` (within `σ`).
//! 3. **Update.** Each channel `c` adds the weighted mean of the growths aimed at it,
//!    `A_c ← clip(A_c + dt · Σ h_k G_k / Σ h_k, 0, 1)` (one kernel: `A + dt·G`).
//!
//! The forms follow Chakazul's Python reference (`LeniaND.py`, `LeniaNDKC.py`): `kn = 1..4`
//! select the polynomial, exponential, step and staircase cores, `gn = 1..3` the polynomial,
//! Gaussian and step growths. [`pattern`] reads patterns in the JSON of its `animals` files.

pub mod fft;
pub mod pattern;

use rand::{Rng, SeedableRng, rngs::StdRng};
use rustfft::num_complex::Complex;

pub use fft::RealFft2;
pub use pattern::{LeniaPattern, lenia_pattern, lenia_pattern_names};

/// Largest side of a Lenia world.
pub const MAX_LENIA_SIDE: usize = 4096;
/// Largest number of channels of a Lenia world.
pub const MAX_LENIA_CHANNELS: usize = 8;

/// Why a Lenia world or pattern could not be made. Each message is one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LeniaError {
    /// Parameters out of range or inconsistent.
    #[error("bad Lenia parameters: {0}")]
    Params(String),
    /// A world size out of range.
    #[error("Lenia world size {width}x{height} is out of range (1..={max} per side)", max = MAX_LENIA_SIDE)]
    Size {
        /// Requested width.
        width: usize,
        /// Requested height.
        height: usize,
    },
    /// A malformed pattern file or cell string.
    #[error("malformed Lenia pattern: {0}")]
    Pattern(String),
    /// A pattern name that is not shipped.
    #[error("unknown Lenia pattern '{name}' (known: {known})")]
    UnknownPattern {
        /// The name asked for.
        name: String,
        /// The shipped names, comma-separated.
        known: String,
    },
}

/// The kernel core: the shape of one ring as a function of the position `r ∈ [0,1]` across it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelCore {
    /// `(4r(1−r))^4` (`kn = 1`, "quad4").
    Polynomial,
    /// `exp(4 − 1/(r(1−r)))` (`kn = 2`, "bump4").
    Exponential,
    /// 1 on `[1/4, 3/4]`, else 0 (`kn = 3`).
    Step,
    /// The step core plus 1/2 on `[0, 1/4)` (`kn = 4`, Life-like).
    Staircase,
}

impl KernelCore {
    /// The core selected by the reference's `kn` (1-based).
    pub fn from_kn(kn: u32) -> Result<Self, LeniaError> {
        Ok(match kn {
            1 => Self::Polynomial,
            2 => Self::Exponential,
            3 => Self::Step,
            4 => Self::Staircase,
            _ => return Err(LeniaError::Params(format!("kn = {kn} (expected 1..=4)"))),
        })
    }

    /// The reference's `kn` of this core.
    pub fn kn(self) -> u32 {
        self as u32 + 1
    }

    /// The core's value at `r ∈ [0,1]`.
    pub fn value(self, r: f64) -> f64 {
        match self {
            Self::Polynomial => (4.0 * r * (1.0 - r)).powi(4),
            Self::Exponential => {
                let q = r * (1.0 - r);
                if q <= 0.0 { 0.0 } else { (4.0 - 1.0 / q).exp() }
            }
            Self::Step => f64::from(u8::from((0.25..=0.75).contains(&r))),
            Self::Staircase => {
                if r < 0.25 {
                    0.5
                } else {
                    f64::from(u8::from(r <= 0.75))
                }
            }
        }
    }
}

/// The growth function `g(u; μ, σ) ∈ [−1, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// `2·max(0, 1 − (u−μ)²/(9σ²))^4 − 1` (`gn = 1`).
    Polynomial,
    /// `2·exp(−(u−μ)²/(2σ²)) − 1` (`gn = 2`).
    Gaussian,
    /// `1` where `|u−μ| ≤ σ`, else `−1` (`gn = 3`).
    Step,
}

impl Growth {
    /// The growth selected by the reference's `gn` (1-based).
    pub fn from_gn(gn: u32) -> Result<Self, LeniaError> {
        Ok(match gn {
            1 => Self::Polynomial,
            2 => Self::Gaussian,
            3 => Self::Step,
            _ => return Err(LeniaError::Params(format!("gn = {gn} (expected 1..=3)"))),
        })
    }

    /// The reference's `gn` of this growth.
    pub fn gn(self) -> u32 {
        self as u32 + 1
    }

    /// `g(u; mu, sigma)`.
    pub fn value(self, u: f32, mu: f32, sigma: f32) -> f32 {
        let d = u - mu;
        match self {
            Self::Polynomial => {
                let q = (1.0 - d * d / (9.0 * sigma * sigma)).max(0.0);
                let q2 = q * q;
                2.0 * q2 * q2 - 1.0
            }
            Self::Gaussian => 2.0 * (-d * d / (2.0 * sigma * sigma)).exp() - 1.0,
            Self::Step => {
                if d.abs() <= sigma {
                    1.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// One kernel of a Lenia rule: a ring kernel, its growth and the channels it links.
#[derive(Debug, Clone, PartialEq)]
pub struct LeniaKernel {
    /// Ring peaks `b_1..b_B` (innermost first).
    pub peaks: Vec<f64>,
    /// Radius relative to the world's `R` (`r` in the reference; 1 for one-kernel rules).
    pub relative_radius: f64,
    /// Growth centre `μ`.
    pub mu: f32,
    /// Growth width `σ`.
    pub sigma: f32,
    /// Weight `h` of this kernel's growth in its target channel.
    pub weight: f32,
    /// Kernel core.
    pub core: KernelCore,
    /// Growth function.
    pub growth: Growth,
    /// Channel the kernel reads.
    pub source: usize,
    /// Channel its growth updates.
    pub target: usize,
}

/// A Lenia rule: the space and time scales and the kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct LeniaParams {
    /// Kernel radius `R` in cells.
    pub radius: f64,
    /// Time resolution `T` (one step is `dt = 1/T`).
    pub time_steps: f64,
    /// Number of channels.
    pub channels: usize,
    /// The kernels (at least one).
    pub kernels: Vec<LeniaKernel>,
}

impl LeniaParams {
    /// The classic one-channel, one-kernel rule.
    pub fn single(radius: f64, time_steps: f64, peaks: Vec<f64>, mu: f32, sigma: f32) -> Self {
        Self {
            radius,
            time_steps,
            channels: 1,
            kernels: vec![LeniaKernel {
                peaks,
                relative_radius: 1.0,
                mu,
                sigma,
                weight: 1.0,
                core: KernelCore::Polynomial,
                growth: Growth::Polynomial,
                source: 0,
                target: 0,
            }],
        }
    }

    /// Checks ranges and channel indices.
    pub fn validate(&self) -> Result<(), LeniaError> {
        let bad = |m: String| Err(LeniaError::Params(m));
        if !(self.radius.is_finite() && self.radius >= 1.0 && self.radius <= 512.0) {
            return bad(format!("R = {} (expected 1..=512)", self.radius));
        }
        if !(self.time_steps.is_finite() && self.time_steps >= 1.0 && self.time_steps <= 1e6) {
            return bad(format!("T = {} (expected 1..=1000000)", self.time_steps));
        }
        if self.channels == 0 || self.channels > MAX_LENIA_CHANNELS {
            return bad(format!(
                "{} channels (expected 1..={MAX_LENIA_CHANNELS})",
                self.channels
            ));
        }
        if self.kernels.is_empty() || self.kernels.len() > 64 {
            return bad(format!("{} kernels (expected 1..=64)", self.kernels.len()));
        }
        for (i, k) in self.kernels.iter().enumerate() {
            if k.peaks.is_empty() || k.peaks.len() > 16 {
                return bad(format!(
                    "kernel {i} has {} peaks (expected 1..=16)",
                    k.peaks.len()
                ));
            }
            if k.peaks.iter().any(|b| !(b.is_finite() && *b >= 0.0))
                || k.peaks.iter().all(|b| *b == 0.0)
            {
                return bad(format!(
                    "kernel {i}: peaks must be finite, ≥ 0 and not all 0"
                ));
            }
            if !(k.relative_radius.is_finite()
                && k.relative_radius > 0.0
                && k.relative_radius <= 4.0)
            {
                return bad(format!(
                    "kernel {i}: r = {} (expected 0 < r ≤ 4)",
                    k.relative_radius
                ));
            }
            if !(k.mu.is_finite() && k.sigma.is_finite() && k.sigma > 0.0) {
                return bad(format!(
                    "kernel {i}: m = {}, s = {} (s must be > 0)",
                    k.mu, k.sigma
                ));
            }
            if !(k.weight.is_finite() && k.weight >= 0.0) {
                return bad(format!("kernel {i}: h = {} (expected ≥ 0)", k.weight));
            }
            if k.source >= self.channels || k.target >= self.channels {
                return bad(format!(
                    "kernel {i} links channels {} → {} but there are {}",
                    k.source, k.target, self.channels
                ));
            }
        }
        Ok(())
    }

    /// The largest kernel radius in cells.
    pub fn max_radius(&self) -> f64 {
        self.kernels
            .iter()
            .map(|k| self.radius * k.relative_radius)
            .fold(0.0, f64::max)
    }
}

/// Kernel `k` of `params` sampled on a wrapped `width×height` grid, centred at cell (0, 0)
/// (offset `(dx, dy)` at `[dy mod height][dx mod width]`), normalised to sum 1. Errors where
/// the kernel does not fit in the grid.
pub fn kernel_grid(
    params: &LeniaParams,
    k: usize,
    width: usize,
    height: usize,
) -> Result<Vec<f32>, LeniaError> {
    let kernel = &params.kernels[k];
    let reach = params.radius * kernel.relative_radius;
    // Offsets up to `reach` each way must not wrap onto each other.
    if 2.0 * reach.floor() + 1.0 > width.min(height) as f64 {
        return Err(LeniaError::Params(format!(
            "a kernel of radius {reach} does not fit in a {width}x{height} world"
        )));
    }
    let n = reach.ceil() as i64;
    let peaks = kernel.peaks.len();
    let mut values = vec![0f64; width * height];
    for dy in -n..=n {
        for dx in -n..=n {
            let r = ((dx * dx + dy * dy) as f64).sqrt() / reach;
            if r >= 1.0 {
                continue;
            }
            let br = peaks as f64 * r;
            let peak = kernel.peaks[(br.floor() as usize).min(peaks - 1)];
            let v = kernel.core.value(br.fract().min(1.0)) * peak;
            let y = dy.rem_euclid(height as i64) as usize;
            let x = dx.rem_euclid(width as i64) as usize;
            values[y * width + x] = v;
        }
    }
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return Err(LeniaError::Params(format!(
            "kernel {k} is zero everywhere at R = {}",
            params.radius
        )));
    }
    Ok(values.iter().map(|v| (v / sum) as f32).collect())
}

/// A Lenia world: channels of `height×width` states in `[0,1]` on a torus, and the planned
/// transforms and kernel spectra that step it.
pub struct Lenia {
    params: LeniaParams,
    width: usize,
    height: usize,
    /// `[channel][y][x]`.
    cells: Vec<f32>,
    fft: RealFft2,
    kernel_spectra: Vec<Vec<Complex<f32>>>,
    /// Work: the spectrum of each channel, a product spectrum, a potential.
    channel_spectra: Vec<Vec<Complex<f32>>>,
    product: Vec<Complex<f32>>,
    potential: Vec<f32>,
    /// Growth sums per channel and the sum of weights aimed at each.
    growth: Vec<f32>,
    steps: u64,
}

impl Lenia {
    /// An empty (all-zero) world of `width×height` cells under `params`.
    pub fn new(params: LeniaParams, width: usize, height: usize) -> Result<Self, LeniaError> {
        if width == 0 || height == 0 || width > MAX_LENIA_SIDE || height > MAX_LENIA_SIDE {
            return Err(LeniaError::Size { width, height });
        }
        params.validate()?;
        let mut fft = RealFft2::new(width, height);
        let len = fft.spectrum_len();
        let mut kernel_spectra = Vec::with_capacity(params.kernels.len());
        for k in 0..params.kernels.len() {
            let grid = kernel_grid(&params, k, width, height)?;
            let mut spectrum = vec![Complex::default(); len];
            fft.forward(&grid, &mut spectrum);
            kernel_spectra.push(spectrum);
        }
        let cells = width * height;
        Ok(Self {
            width,
            height,
            cells: vec![0.0; params.channels * cells],
            fft,
            kernel_spectra,
            channel_spectra: vec![vec![Complex::default(); len]; params.channels],
            product: vec![Complex::default(); len],
            potential: vec![0.0; cells],
            growth: vec![0.0; params.channels * cells],
            params,
            steps: 0,
        })
    }

    /// The rule.
    pub fn params(&self) -> &LeniaParams {
        &self.params
    }

    /// Width in cells.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in cells.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Steps taken since the world was made.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// All states, `[channel][y][x]`.
    pub fn cells(&self) -> &[f32] {
        &self.cells
    }

    /// Channel `c`'s states, `[y][x]`.
    pub fn channel(&self, c: usize) -> &[f32] {
        let n = self.width * self.height;
        &self.cells[c * n..(c + 1) * n]
    }

    /// Replaces every state (`[channel][y][x]`); values are clipped to `[0,1]`.
    pub fn set_cells(&mut self, cells: &[f32]) -> Result<(), LeniaError> {
        if cells.len() != self.cells.len() {
            return Err(LeniaError::Params(format!(
                "{} states given for a world of {}",
                cells.len(),
                self.cells.len()
            )));
        }
        if cells.iter().any(|v| !v.is_finite()) {
            return Err(LeniaError::Params("states must be finite".into()));
        }
        for (d, s) in self.cells.iter_mut().zip(cells) {
            *d = s.clamp(0.0, 1.0);
        }
        Ok(())
    }

    /// Writes `patch` (`[channel][rows][cols]` with `cols×rows` cells per channel, the
    /// world's channel count) with its top-left corner at `(x, y)`, wrapping at the edges.
    pub fn place(
        &mut self,
        patch: &[f32],
        cols: usize,
        rows: usize,
        x: usize,
        y: usize,
    ) -> Result<(), LeniaError> {
        let c = self.params.channels;
        if patch.len() != c * cols * rows {
            return Err(LeniaError::Pattern(format!(
                "{} values for {c} channel(s) of {cols}x{rows}",
                patch.len()
            )));
        }
        if cols > self.width || rows > self.height {
            return Err(LeniaError::Pattern(format!(
                "a {cols}x{rows} pattern does not fit in a {}x{} world",
                self.width, self.height
            )));
        }
        let n = self.width * self.height;
        for ch in 0..c {
            for r in 0..rows {
                for q in 0..cols {
                    let v = patch[(ch * rows + r) * cols + q];
                    let (yy, xx) = ((y + r) % self.height, (x + q) % self.width);
                    self.cells[ch * n + yy * self.width + xx] = v.clamp(0.0, 1.0);
                }
            }
        }
        Ok(())
    }

    /// Fills a centred `side×side` box of every channel with uniform random states (seeded).
    pub fn soup(&mut self, side: usize, seed: u64) -> Result<(), LeniaError> {
        if side == 0 || side > self.width.min(self.height) {
            return Err(LeniaError::Params(format!(
                "soup side {side} does not fit in a {}x{} world",
                self.width, self.height
            )));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let c = self.params.channels;
        let patch: Vec<f32> = (0..c * side * side).map(|_| rng.random::<f32>()).collect();
        let (x, y) = ((self.width - side) / 2, (self.height - side) / 2);
        self.place(&patch, side, side, x, y)
    }

    /// The potential `U_k = K_k ∗ A_source` of kernel `k` into `out` (`[y][x]`).
    pub fn potential(&mut self, k: usize, out: &mut [f32]) {
        let n = self.width * self.height;
        let src = self.params.kernels[k].source;
        let mut spectrum = vec![Complex::default(); self.fft.spectrum_len()];
        self.fft
            .forward(&self.cells[src * n..(src + 1) * n], &mut spectrum);
        for (s, kf) in spectrum.iter_mut().zip(&self.kernel_spectra[k]) {
            *s *= kf;
        }
        self.fft.inverse(&mut spectrum, out);
    }

    /// Advances the world by one step of `dt = 1/T`.
    pub fn step(&mut self) {
        let n = self.width * self.height;
        let channels = self.params.channels;
        // The spectrum of each channel some kernel reads.
        for c in 0..channels {
            if self.params.kernels.iter().any(|k| k.source == c) {
                self.fft.forward(
                    &self.cells[c * n..(c + 1) * n],
                    &mut self.channel_spectra[c],
                );
            }
        }
        self.growth.fill(0.0);
        let mut weights = vec![0f32; channels];
        for (k, kernel) in self.params.kernels.iter().enumerate() {
            let source = &self.channel_spectra[kernel.source];
            for ((p, s), kf) in self
                .product
                .iter_mut()
                .zip(source)
                .zip(&self.kernel_spectra[k])
            {
                *p = s * kf;
            }
            self.fft.inverse(&mut self.product, &mut self.potential);
            let (mu, sigma, h) = (kernel.mu, kernel.sigma, kernel.weight);
            let growth = &mut self.growth[kernel.target * n..(kernel.target + 1) * n];
            for (g, &u) in growth.iter_mut().zip(&self.potential) {
                *g += h * kernel.growth.value(u, mu, sigma);
            }
            weights[kernel.target] += h;
        }
        let dt = (1.0 / self.params.time_steps) as f32;
        for (c, &w) in weights.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            let scale = dt / w;
            let cells = &mut self.cells[c * n..(c + 1) * n];
            for (a, g) in cells.iter_mut().zip(&self.growth[c * n..(c + 1) * n]) {
                *a = (*a + scale * g).clamp(0.0, 1.0);
            }
        }
        self.steps += 1;
    }

    /// Total matter: the sum of every state of every channel.
    pub fn mass(&self) -> f64 {
        self.cells.iter().map(|&v| f64::from(v)).sum()
    }

    /// The centre of mass `(x, y)` in cells, as a mean on the torus (each axis a circle, so a
    /// pattern across an edge has its centre where it is); `None` for an empty world.
    pub fn centre_of_mass(&self) -> Option<(f64, f64)> {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        let (mut sx, mut cx, mut sy, mut cy, mut total) = (0f64, 0f64, 0f64, 0f64, 0f64);
        let tx: Vec<(f64, f64)> = (0..w)
            .map(|x| (std::f64::consts::TAU * x as f64 / w as f64).sin_cos())
            .collect();
        for y in 0..h {
            let (syy, cyy) = (std::f64::consts::TAU * y as f64 / h as f64).sin_cos();
            let mut row = 0f64;
            for (x, &(sin, cos)) in tx.iter().enumerate() {
                let v: f64 = (0..self.params.channels)
                    .map(|c| f64::from(self.cells[c * n + y * w + x]))
                    .sum();
                row += v;
                sx += v * sin;
                cx += v * cos;
            }
            sy += row * syy;
            cy += row * cyy;
            total += row;
        }
        if total <= 0.0 {
            return None;
        }
        let angle = |s: f64, c: f64, side: usize| {
            (s.atan2(c) / std::f64::consts::TAU).rem_euclid(1.0) * side as f64
        };
        Some((angle(sx, cx, w), angle(sy, cy, h)))
    }
}

/// The shortest signed displacement from `a` to `b` on a circle of length `side`.
pub fn wrapped_delta(a: f64, b: f64, side: usize) -> f64 {
    let s = side as f64;
    let d = (b - a).rem_euclid(s);
    if d > s / 2.0 { d - s } else { d }
}

/// A random world's soup side when none is asked for: half the smaller side.
pub fn default_soup_side(width: usize, height: usize) -> usize {
    (width.min(height) / 2).max(1)
}
