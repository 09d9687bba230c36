//! Matrix products for the engine's row blocks: a safe entry point that runs the AVX2 + FMA
//! micro-kernel (`avx2`) when the CPU has it and `matrixmultiply::sgemm` otherwise (other CPUs,
//! wasm32). Both start the output at zero, at its old contents or at a bias row, and can apply a
//! ReLU on the way out, which saves the separate passes over the output.
//!
//! `NCA_FAST_KERNEL=portable` in the environment forces the `matrixmultiply` path (to measure
//! what the kernel buys, or to rule it out).

#[cfg(target_arch = "x86_64")]
mod avx2;

/// A read-only strided matrix view: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn rows_t(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn fits(&self, r: usize, c: usize) -> bool {
        r == 0 || c == 0 || (r - 1) * self.rs + (c - 1) * self.cs < self.data.len()
    }
}

/// Where a product's output starts before `A·B` is added.
#[derive(Clone, Copy)]
pub(crate) enum Start<'a> {
    /// At zero: the old contents are ignored.
    Zero,
    /// At the old contents (accumulate).
    Keep,
    /// At a bias row: `bias[j]` in every row.
    Bias(&'a [f32]),
}

/// `c[m, n] (row-major) = start + a[m, k] · b[k, n]`, through a ReLU when `relu`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    m: usize,
    k: usize,
    n: usize,
    a: View,
    b: View,
    start: Start,
    relu: bool,
    c: &mut [f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    // Internal invariant: callers size every buffer from the same dimensions.
    assert!(
        a.fits(m, k) && b.fits(k, n) && c.len() >= m * n,
        "gemm: buffer too small"
    );
    if let Start::Bias(bias) = start {
        assert!(bias.len() >= n, "gemm: bias too short");
    }
    #[cfg(target_arch = "x86_64")]
    if b.cs == 1 && kernel() == Kernel::Avx2 {
        let start = match start {
            Start::Zero => avx2::TileStart::Zero,
            Start::Keep => avx2::TileStart::Load,
            Start::Bias(bias) => avx2::TileStart::Bias(bias.as_ptr()),
        };
        // SAFETY: the asserts above bound every index the kernel touches (`b.cs == 1`), `c` is
        // an exclusive borrow that aliases neither input, and `kernel()` checked the CPU.
        unsafe {
            avx2::gemm(
                m,
                k,
                n,
                (a.data.as_ptr(), a.rs, a.cs),
                (b.data.as_ptr(), b.rs),
                (c.as_mut_ptr(), n),
                start,
                relu,
            );
        }
        return;
    }
    portable(m, k, n, a, b, start, relu, c);
}

/// [`product`] on `matrixmultiply` (sizes already checked).
#[allow(clippy::too_many_arguments)]
fn portable(
    m: usize,
    k: usize,
    n: usize,
    a: View,
    b: View,
    start: Start,
    relu: bool,
    c: &mut [f32],
) {
    let c = &mut c[..m * n];
    let beta = match start {
        Start::Zero => 0.0,
        Start::Keep => 1.0,
        Start::Bias(bias) => {
            c.chunks_exact_mut(n)
                .for_each(|row| row.copy_from_slice(&bias[..n]));
            1.0
        }
    };
    if k == 0 {
        if beta == 0.0 {
            c.fill(0.0);
        }
    } else {
        // SAFETY: `product` checked that every index the kernel touches is in bounds, and `c`
        // is an exclusive borrow that does not alias `a` or `b`.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.data.as_ptr(),
                a.rs as isize,
                a.cs as isize,
                b.data.as_ptr(),
                b.rs as isize,
                b.cs as isize,
                beta,
                c.as_mut_ptr(),
                n as isize,
                1,
            );
        }
    }
    if relu {
        c.iter_mut().for_each(|v| *v = v.max(0.0));
    }
}

/// Which implementation [`product`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // only x86-64 has a choice
pub(crate) enum Kernel {
    /// The AVX2 + FMA micro-kernel.
    Avx2,
    /// `matrixmultiply`.
    Portable,
}

/// The kernel this CPU and environment get (decided once).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn kernel() -> Kernel {
    static CHOICE: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        let forced = std::env::var("NCA_FAST_KERNEL").is_ok_and(|v| v == "portable");
        #[cfg(target_arch = "x86_64")]
        if !forced && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Kernel::Avx2;
        }
        let _ = forced;
        Kernel::Portable
    })
}

/// Adds the column sums of the row-major `[rows, cols]` matrix `x` to `acc[cols]`.
#[inline(always)]
pub(crate) fn add_col_sums(x: &[f32], cols: usize, acc: &mut [f32]) {
    for row in x.chunks_exact(cols) {
        for (a, v) in acc.iter_mut().zip(row) {
            *a += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random matrix with values in [-1, 1).
    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 2654435761 + seed * 40503) % 2000) as f32 / 1000.0 - 1.0)
            .collect()
    }

    /// Checks `run` (one of the two implementations) against f64 loops on shapes that cover
    /// full and partial tiles, both layouts of `A`, each start and the ReLU.
    fn check_against_loops(run: fn(usize, usize, usize, View, View, Start, bool, &mut [f32])) {
        let mut shapes = vec![(67, 180, 80), (5, 33, 48)];
        for m in 1..=20 {
            for n in [1, 3, 8, 15, 16, 17, 19, 33, 180] {
                for k in [0, 1, 2, 5, 16, 37] {
                    shapes.push((m, k, n));
                }
            }
        }
        for &(m, k, n) in &shapes {
            for a_t in [false, true] {
                for b_t in [false, true] {
                    for (s, relu) in [(0, false), (1, true), (2, false), (2, true)] {
                        let a = values(m * k, 1);
                        let b = values(k * n, 2);
                        let bias = values(n, 3);
                        let old = values(m * n, 4);
                        let av = if a_t {
                            View::rows_t(&a, m)
                        } else {
                            View::rows(&a, k)
                        };
                        let bv = if b_t {
                            View::rows_t(&b, k)
                        } else {
                            View::rows(&b, n)
                        };
                        let start = [Start::Zero, Start::Keep, Start::Bias(&bias)][s];
                        let mut c = old.clone();
                        run(m, k, n, av, bv, start, relu, &mut c);
                        for i in 0..m {
                            for j in 0..n {
                                let at =
                                    |p: usize| a[if a_t { p * m + i } else { i * k + p }] as f64;
                                let bt =
                                    |p: usize| b[if b_t { j * k + p } else { p * n + j }] as f64;
                                let init = [0.0, old[i * n + j] as f64, bias[j] as f64][s];
                                let mut want = init + (0..k).map(|p| at(p) * bt(p)).sum::<f64>();
                                if relu {
                                    want = want.max(0.0);
                                }
                                let got = c[i * n + j] as f64;
                                assert!(
                                    (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                                    "m{m} k{k} n{n} a_t {a_t} b_t {b_t} start {s} relu {relu} ({i},{j}): {got} vs {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_dispatched_product_matches_loops() {
        check_against_loops(product);
    }

    #[test]
    fn the_portable_product_matches_loops() {
        check_against_loops(portable);
    }

    #[test]
    fn the_kernel_leaves_columns_beyond_n_untouched() {
        // c is longer than m*n: the masked stores of a partial tile must not write past row m.
        let (m, k, n) = (2, 3, 5);
        let (a, b) = (values(m * k, 5), values(k * n, 6));
        let mut c = vec![7.0; m * n + 11];
        product(
            m,
            k,
            n,
            View::rows(&a, k),
            View::rows(&b, n),
            Start::Zero,
            false,
            &mut c,
        );
        assert!(c[m * n..].iter().all(|&v| v == 7.0));
    }
}
