//! Two-dimensional real FFTs of wrapped `height×width` grids, for Lenia's convolutions.
//!
//! A real grid's spectrum is conjugate-symmetric, so only the frequencies `u = 0..=width/2`
//! along a row are kept: a half spectrum of `(width/2 + 1)·height` complex values, stored
//! column by column (`[u][v]`, `v` the frequency along a column). Products of half spectra are
//! half spectra of circular convolutions, and the inverse reads them back as real grids.
//!
//! Rows are transformed two at a time: real rows `a` and `b` make the complex row `a + i·b`,
//! whose transform `Z` holds both, `A[u] = (Z[u] + conj Z[−u]) / 2` and
//! `B[u] = (Z[u] − conj Z[−u]) / 2i`. All row pairs, then all kept columns, go through one
//! batched complex FFT each.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Planned forward and inverse transforms for one grid size, with their work buffers.
pub struct RealFft2 {
    width: usize,
    height: usize,
    row_fwd: Arc<dyn Fft<f32>>,
    row_inv: Arc<dyn Fft<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
    /// Paired rows, `[pair][width]`.
    rows: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl RealFft2 {
    /// Plans the transforms for `width×height` grids (both at least 1).
    pub fn new(width: usize, height: usize) -> Self {
        let mut planner = FftPlanner::<f32>::new();
        let row_fwd = planner.plan_fft_forward(width);
        let row_inv = planner.plan_fft_inverse(width);
        let col_fwd = planner.plan_fft_forward(height);
        let col_inv = planner.plan_fft_inverse(height);
        let scratch = [&row_fwd, &row_inv, &col_fwd, &col_inv]
            .iter()
            .map(|f| f.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Self {
            width,
            height,
            row_fwd,
            row_inv,
            col_fwd,
            col_inv,
            rows: vec![Complex::default(); height.div_ceil(2) * width],
            scratch: vec![Complex::default(); scratch],
        }
    }

    /// Complex values in a half spectrum.
    pub fn spectrum_len(&self) -> usize {
        (self.width / 2 + 1) * self.height
    }

    /// The half spectrum of the real grid `grid` (`height×width`, row-major) into `out`.
    pub fn forward(&mut self, grid: &[f32], out: &mut [Complex<f32>]) {
        let (w, h) = (self.width, self.height);
        debug_assert_eq!(grid.len(), w * h);
        debug_assert_eq!(out.len(), self.spectrum_len());
        for (pair, row) in self.rows.chunks_exact_mut(w).enumerate() {
            let a = &grid[2 * pair * w..][..w];
            let b = grid.get((2 * pair + 1) * w..(2 * pair + 2) * w);
            for (j, z) in row.iter_mut().enumerate() {
                *z = Complex::new(a[j], b.map_or(0.0, |b| b[j]));
            }
        }
        self.row_fwd
            .process_with_scratch(&mut self.rows, &mut self.scratch);
        for (pair, row) in self.rows.chunks_exact(w).enumerate() {
            let (ra, rb) = (2 * pair, 2 * pair + 1);
            for u in 0..=w / 2 {
                let z = row[u];
                let zc = row[(w - u) % w].conj();
                out[u * h + ra] = (z + zc) * 0.5;
                if rb < h {
                    // (z − zc) / 2i = −i·(z − zc) / 2
                    let d = z - zc;
                    out[u * h + rb] = Complex::new(d.im * 0.5, -d.re * 0.5);
                }
            }
        }
        self.col_fwd.process_with_scratch(out, &mut self.scratch);
    }

    /// The real grid of the half spectrum `spectrum` into `out` (normalised: `inverse` undoes
    /// `forward`). `spectrum` is used as work space and left changed.
    pub fn inverse(&mut self, spectrum: &mut [Complex<f32>], out: &mut [f32]) {
        let (w, h) = (self.width, self.height);
        debug_assert_eq!(out.len(), w * h);
        self.col_inv
            .process_with_scratch(spectrum, &mut self.scratch);
        for (pair, row) in self.rows.chunks_exact_mut(w).enumerate() {
            let (ra, rb) = (2 * pair, 2 * pair + 1);
            for (u, z) in row.iter_mut().enumerate() {
                // Frequencies past w/2 are the conjugates of the kept ones.
                let (k, conj) = if u <= w / 2 {
                    (u, false)
                } else {
                    (w - u, true)
                };
                let mut a = spectrum[k * h + ra];
                let mut b = if rb < h {
                    spectrum[k * h + rb]
                } else {
                    Complex::default()
                };
                if conj {
                    a = a.conj();
                    b = b.conj();
                }
                // a + i·b
                *z = Complex::new(a.re - b.im, a.im + b.re);
            }
        }
        self.row_inv
            .process_with_scratch(&mut self.rows, &mut self.scratch);
        let scale = 1.0 / (w * h) as f32;
        for (pair, row) in self.rows.chunks_exact(w).enumerate() {
            let (ra, rb) = (2 * pair, 2 * pair + 1);
            for (j, z) in row.iter().enumerate() {
                out[ra * w + j] = z.re * scale;
                if rb < h {
                    out[rb * w + j] = z.im * scale;
                }
            }
        }
    }
}
