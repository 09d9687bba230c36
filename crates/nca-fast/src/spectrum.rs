//! Two-dimensional real FFTs of small square grids, and the packed layout the spectral products
//! work on.
//!
//! A real `n×n` grid has `n/2 + 1` independent columns of frequencies (the rest are complex
//! conjugates), so its spectrum is `(n/2 + 1)·n` complex values. Products of spectra of real
//! grids are spectra of real grids (circular convolutions), so every product can stay in this
//! half spectrum and the inverse transform reads it back as a real grid.
//!
//! *Packed layout*: the spectral products run over many grids ("items": images, feature maps,
//! kernels) at the same frequencies, 8 frequencies at a time. A packed array is
//! `[lanes][items][16]`: for lane group `g` (frequencies `8g..8g+8`) and item `i`, 8 real parts
//! then 8 imaginary parts. The last group is padded with zeros.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Frequencies per lane group (one 256-bit vector of `f32`).
pub(crate) const LANES: usize = 8;
/// Floats per item in a lane group: 8 real parts, then 8 imaginary parts.
pub(crate) const GROUP: usize = 2 * LANES;

/// The transform size for `side×side` grids convolved with `kernel×kernel` kernels ("same"
/// padding): a circular convolution of size `n ≥ side + kernel/2` equals the zero-padded linear
/// one on the `side×side` output, and powers of two are the fastest sizes.
pub(crate) fn transform_size(side: usize, kernel: usize) -> usize {
    (side + kernel / 2).next_power_of_two()
}

/// Forward and inverse 2D real FFTs of `n×n` grids, with their work buffers (one per thread).
///
/// Rows are transformed two at a time: real rows `a` and `b` make the complex row `a + i·b`,
/// whose transform `Z` gives both, `A[u] = (Z[u] + conj Z[n−u]) / 2` and
/// `B[u] = (Z[u] − conj Z[n−u]) / 2i` (and the inverse builds `Z` from `A` and `B` the same
/// way). All row pairs of a grid, and then all its columns, go through one batched complex FFT.
pub(crate) struct Fft2 {
    n: usize,
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
    /// The paired rows, `[pair][n]`.
    rows: Vec<Complex<f32>>,
    /// The spectrum being built or read, `[u][v]`: `u` the frequency along a row (0..=n/2),
    /// `v` the frequency along a column (0..n).
    grid: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// The phase factors of [`Fft2::reflect`] for the offset they were made for.
    phases: (Option<usize>, Vec<Complex<f32>>),
}

impl Fft2 {
    /// Plans the transforms for `n×n` grids.
    pub(crate) fn new(n: usize) -> Self {
        let mut complex = FftPlanner::<f32>::new();
        let fwd = complex.plan_fft_forward(n);
        let inv = complex.plan_fft_inverse(n);
        let nu = n / 2 + 1;
        let scratch_len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        Self {
            n,
            fwd,
            inv,
            rows: vec![Complex::default(); n.div_ceil(2) * n],
            grid: vec![Complex::default(); nu * n],
            scratch: vec![Complex::default(); scratch_len],
            phases: (None, Vec::new()),
        }
    }

    /// Complex values in a half spectrum.
    pub(crate) fn freqs(&self) -> usize {
        (self.n / 2 + 1) * self.n
    }

    /// Lane groups in a packed half spectrum.
    pub(crate) fn groups(&self) -> usize {
        self.freqs().div_ceil(LANES)
    }

    /// Transforms the `rows×cols` grid `src` (row-major, placed at the top-left of the `n×n`
    /// grid, zeros elsewhere) into item `item` of the packed array `dst` with `items` items.
    pub(crate) fn forward(
        &mut self,
        src: &[f32],
        rows: usize,
        cols: usize,
        dst: &mut [f32],
        item: usize,
        items: usize,
    ) {
        self.forward_grid(src, rows, cols);
        pack(&self.grid, dst, item, items);
    }

    /// Transforms the `rows×cols` grid `src` (top-left, zeros elsewhere) into `self.grid`.
    fn forward_grid(&mut self, src: &[f32], rows: usize, cols: usize) {
        let (n, nu) = (self.n, self.n / 2 + 1);
        debug_assert!(rows <= n && cols <= n && src.len() >= rows * cols);
        let pairs = rows.div_ceil(2);
        let row = |i: usize| (i < rows).then(|| &src[i * cols..(i + 1) * cols]);
        for (p, z) in self.rows[..pairs * n].chunks_exact_mut(n).enumerate() {
            let (a, b) = (row(2 * p).expect("row in range"), row(2 * p + 1));
            for (j, z) in z[..cols].iter_mut().enumerate() {
                *z = Complex::new(a[j], b.map_or(0.0, |b| b[j]));
            }
            z[cols..].fill(Complex::default());
        }
        self.fwd
            .process_with_scratch(&mut self.rows[..pairs * n], &mut self.scratch);
        split_pairs(&self.rows[..pairs * n], &mut self.grid, n, rows);
        for u in 0..nu {
            self.grid[u * n + rows..(u + 1) * n].fill(Complex::default());
        }
        self.fwd
            .process_with_scratch(&mut self.grid, &mut self.scratch);
    }

    /// Inverse of [`Fft2::forward`] for item `item` of the packed array `src` (with `items`
    /// items): writes the top-left `rows×cols` of the real grid, scaled by `1/n²`, to `dst`.
    pub(crate) fn inverse(
        &mut self,
        src: &[f32],
        item: usize,
        items: usize,
        dst: &mut [f32],
        rows: usize,
        cols: usize,
    ) {
        unpack(src, item, items, &mut self.grid);
        self.inverse_grid(dst, rows, cols);
    }

    /// Inverse transform of `self.grid`: the top-left `rows×cols` of the real grid, scaled by
    /// `1/n²`, to `dst`.
    fn inverse_grid(&mut self, dst: &mut [f32], rows: usize, cols: usize) {
        let n = self.n;
        self.inv
            .process_with_scratch(&mut self.grid, &mut self.scratch);
        let pairs = rows.div_ceil(2);
        join_pairs(&self.grid, &mut self.rows[..pairs * n], n, rows);
        self.inv
            .process_with_scratch(&mut self.rows[..pairs * n], &mut self.scratch);
        let scale = 1.0 / (n * n) as f32;
        for (i, out) in dst[..rows * cols].chunks_exact_mut(cols).enumerate() {
            let z = &self.rows[(i / 2) * n..(i / 2) * n + cols];
            if i % 2 == 0 {
                out.iter_mut().zip(z).for_each(|(d, z)| *d = z.re * scale);
            } else {
                out.iter_mut().zip(z).for_each(|(d, z)| *d = z.im * scale);
            }
        }
    }
}

impl Fft2 {
    /// `X ↦ e^{-2πi(u+v)p/n}·conj(X)`: the spectrum of the grid reflected about offset `p` in
    /// both axes (`g[i, j] ↦ g[(p - i) mod n, (p - j) mod n]`). It maps a `k×k` kernel at the
    /// top-left to the wrapped, flipped kernel whose product with an image spectrum is the
    /// zero-padded cross-correlation, and (being its own inverse) maps that kernel's gradient
    /// back to the top-left.
    fn reflect(&mut self, p: usize) {
        let n = self.n;
        if self.phases.0 != Some(p) {
            let table = (0..self.freqs())
                .map(|f| {
                    let (u, v) = (f / n, f % n);
                    let turn = ((u + v) * p % n) as f64 / n as f64;
                    let angle = -2.0 * std::f64::consts::PI * turn;
                    Complex::new(angle.cos() as f32, angle.sin() as f32)
                })
                .collect();
            self.phases = (Some(p), table);
        }
        for (x, phase) in self.grid.iter_mut().zip(&self.phases.1) {
            *x = phase * x.conj();
        }
    }

    /// The spectrum of the `k×k` kernel `kern` reflected about `k/2` (see [`Fft2::reflect`]),
    /// as item `item` of the packed array `dst` with `items` items.
    pub(crate) fn forward_kernel(
        &mut self,
        kern: &[f32],
        k: usize,
        dst: &mut [f32],
        item: usize,
        items: usize,
    ) {
        self.forward_grid(kern, k, k);
        self.reflect(k / 2);
        pack(&self.grid, dst, item, items);
    }

    /// Inverse of [`Fft2::forward_kernel`]: the `k×k` kernel whose reflected spectrum is item
    /// `item` of `src`.
    pub(crate) fn inverse_kernel(
        &mut self,
        src: &[f32],
        item: usize,
        items: usize,
        dst: &mut [f32],
        k: usize,
    ) {
        unpack(src, item, items, &mut self.grid);
        self.reflect(k / 2);
        self.inverse_grid(dst, k, k);
    }
}

crate::simd::avx2_dispatch! {
/// The half spectra of the real row pairs: `z` holds the transforms of `a + i·b` per pair;
/// row `i` of the grid's `rows` (column-major `[u][n]`) gets its half spectrum.
fn split_pairs(z: &[Complex<f32>], grid: &mut [Complex<f32>], n: usize, rows: usize) -> () {
    for (p, z) in z.chunks_exact(n).enumerate() {
        let i = 2 * p;
        let both = i + 1 < rows;
        for u in 0..=n / 2 {
            let (zu, zc) = (z[u], z[if u == 0 { 0 } else { n - u }].conj());
            grid[u * n + i] = (zu + zc) * 0.5;
            if both {
                let d = zu - zc;
                grid[u * n + i + 1] = Complex::new(d.im, -d.re) * 0.5;
            }
        }
    }
}
}

crate::simd::avx2_dispatch! {
/// The inverse of [`split_pairs`]: the full spectra `a + i·b` of the row pairs, from the half
/// spectra of the grid's `rows`.
fn join_pairs(grid: &[Complex<f32>], z: &mut [Complex<f32>], n: usize, rows: usize) -> () {
    for (p, z) in z.chunks_exact_mut(n).enumerate() {
        let i = 2 * p;
        let both = i + 1 < rows;
        for u in 0..=n / 2 {
            let a = grid[u * n + i];
            let b = if both { grid[u * n + i + 1] } else { Complex::default() };
            if u == 0 || u == n / 2 {
                // The spectrum of a real row: the DC and Nyquist terms are real (up to
                // rounding).
                z[u] = Complex::new(a.re, b.re);
            } else {
                z[u] = Complex::new(a.re - b.im, a.im + b.re);
                z[n - u] = Complex::new(a.re + b.im, b.re - a.im);
            }
        }
    }
}
}

crate::simd::avx2_dispatch! {
/// Writes the spectrum `grid` as item `item` of the packed array `dst` with `items` items.
fn pack(grid: &[Complex<f32>], dst: &mut [f32], item: usize, items: usize) -> () {
    fn out(dst: &mut [f32], at: usize) -> &mut [f32; GROUP] {
        (&mut dst[at..at + GROUP]).try_into().expect("packed")
    }
    let full = grid.len() / LANES;
    for (g, chunk) in grid.chunks_exact(LANES).enumerate() {
        let chunk: &[Complex<f32>; LANES] = chunk.try_into().expect("exact chunk");
        let out = out(dst, (g * items + item) * GROUP);
        for l in 0..LANES {
            out[l] = chunk[l].re;
            out[LANES + l] = chunk[l].im;
        }
    }
    let rest = &grid[full * LANES..];
    if !rest.is_empty() {
        let out = out(dst, (full * items + item) * GROUP);
        out.fill(0.0);
        for (l, c) in rest.iter().enumerate() {
            out[l] = c.re;
            out[LANES + l] = c.im;
        }
    }
}
}

crate::simd::avx2_dispatch! {
/// Reads item `item` of the packed array `src` with `items` items into the spectrum `grid`.
fn unpack(src: &[f32], item: usize, items: usize, grid: &mut [Complex<f32>]) -> () {
    let input = |g: usize| -> &[f32; GROUP] {
        let base = (g * items + item) * GROUP;
        src[base..base + GROUP].try_into().expect("packed")
    };
    let full = grid.len() / LANES;
    for (g, chunk) in grid.chunks_exact_mut(LANES).enumerate() {
        let chunk: &mut [Complex<f32>; LANES] = chunk.try_into().expect("exact chunk");
        let v = input(g);
        for l in 0..LANES {
            chunk[l] = Complex::new(v[l], v[LANES + l]);
        }
    }
    let rest = &mut grid[full * LANES..];
    if !rest.is_empty() {
        let v = input(full);
        for (l, c) in rest.iter_mut().enumerate() {
            *c = Complex::new(v[l], v[LANES + l]);
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_is_identity() {
        let mut f = Fft2::new(32);
        let src: Vec<f32> = (0..28 * 28).map(|i| ((i * 37) % 11) as f32 / 7.0).collect();
        let mut packed = vec![0.0; f.groups() * 3 * GROUP];
        f.forward(&src, 28, 28, &mut packed, 1, 3);
        let mut back = vec![0.0; 28 * 28];
        f.inverse(&packed, 1, 3, &mut back, 28, 28);
        for (a, b) in src.iter().zip(&back) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn product_of_spectra_is_circular_convolution() {
        let n = 8;
        let mut f = Fft2::new(n);
        let a: Vec<f32> = (0..n * n).map(|i| ((i * 5) % 7) as f32 - 3.0).collect();
        let b: Vec<f32> = (0..n * n).map(|i| ((i * 3) % 5) as f32 - 2.0).collect();
        let (mut pa, mut pb) = (vec![0.0; f.groups() * GROUP], vec![0.0; f.groups() * GROUP]);
        f.forward(&a, n, n, &mut pa, 0, 1);
        f.forward(&b, n, n, &mut pb, 0, 1);
        let mut prod = vec![0.0; pa.len()];
        for g in 0..f.groups() {
            for l in 0..LANES {
                let (ar, ai) = (pa[g * GROUP + l], pa[g * GROUP + LANES + l]);
                let (br, bi) = (pb[g * GROUP + l], pb[g * GROUP + LANES + l]);
                prod[g * GROUP + l] = ar * br - ai * bi;
                prod[g * GROUP + LANES + l] = ar * bi + ai * br;
            }
        }
        let mut got = vec![0.0; n * n];
        f.inverse(&prod, 0, 1, &mut got, n, n);
        for i in 0..n {
            for j in 0..n {
                let mut want = 0.0;
                for p in 0..n {
                    for q in 0..n {
                        want += a[p * n + q] * b[((i + n - p) % n) * n + (j + n - q) % n];
                    }
                }
                assert!((got[i * n + j] - want).abs() < 1e-3, "({i},{j})");
            }
        }
    }
}
