//! Matrix products for the engine's row blocks: a safe entry point that runs a register-tile
//! micro-kernel with the widest vectors the CPU has (`avx512`: 8 × 32 tiles of 512-bit vectors;
//! `avx2`: 6 × 16 tiles with AVX2 + FMA), chosen at run time, and `matrixmultiply::sgemm`
//! otherwise (other CPUs, wasm32). All start the output at zero, at its old contents or at a
//! bias row, and can apply a ReLU on the way out, which saves the separate passes over the
//! output.
//!
//! `NCA_FAST_KERNEL=avx2` in the environment forces the AVX2 kernel, `portable` the
//! `matrixmultiply` path (and the baseline builds of the per-item loops), to measure what a
//! kernel buys or to rule it out.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

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

/// What a product does to its results as it stores them.
#[derive(Clone, Copy)]
pub(crate) enum Finish<'a> {
    /// Nothing.
    None,
    /// A ReLU.
    Relu,
    /// Zero where `gate` (row-major `[m, n]`, like the output) is `<= 0`: the ReLU derivative
    /// of a layer, taken from its stored activation.
    Gate(&'a [f32]),
}

impl Finish<'_> {
    /// [`Finish::Relu`] when `relu`, else [`Finish::None`].
    pub fn relu_if(relu: bool) -> Self {
        if relu { Finish::Relu } else { Finish::None }
    }
}

/// `c[m, n] (row-major) = finish(start + a[m, k] · b[k, n])` on the fastest kernel this CPU
/// has.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    m: usize,
    k: usize,
    n: usize,
    a: View,
    b: View,
    start: Start,
    finish: Finish,
    c: &mut [f32],
) {
    product_on(tile_kernel(), m, k, n, a, b, start, finish, c);
}

/// The register-tile kernels [`product`] can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // only x86-64 has the tile kernels
enum TileKernel {
    /// `avx512`: 8 × 32 tiles of 512-bit vectors.
    Avx512,
    /// `avx2`: 6 × 16 tiles of 256-bit vectors.
    Avx2,
    /// `matrixmultiply`.
    Portable,
}

/// The tile kernel this CPU and environment get (decided once): AVX-512 where the CPU has
/// AVX-512F, unless `NCA_FAST_KERNEL` is `avx2` or `portable`.
fn tile_kernel() -> TileKernel {
    static CHOICE: std::sync::OnceLock<TileKernel> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        if kernel() == Kernel::Portable {
            return TileKernel::Portable;
        }
        #[cfg(target_arch = "x86_64")]
        if std::env::var("NCA_FAST_KERNEL").map_or(true, |v| v != "avx2")
            && is_x86_feature_detected!("avx512f")
        {
            return TileKernel::Avx512;
        }
        TileKernel::Avx2
    })
}

/// [`product`] on a given kernel (which the caller checked the CPU has).
#[allow(clippy::too_many_arguments)]
fn product_on(
    kernel: TileKernel,
    m: usize,
    k: usize,
    n: usize,
    a: View,
    b: View,
    start: Start,
    finish: Finish,
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
    if let Finish::Gate(gate) = finish {
        assert!(gate.len() >= m * n, "gemm: gate too short");
    }
    #[cfg(target_arch = "x86_64")]
    if b.cs == 1 && kernel != TileKernel::Portable {
        let start = match start {
            Start::Zero => avx2::TileStart::Zero,
            Start::Keep => avx2::TileStart::Load,
            Start::Bias(bias) => avx2::TileStart::Bias(bias.as_ptr()),
        };
        let finish = match finish {
            Finish::None => avx2::TileFinish::None,
            Finish::Relu => avx2::TileFinish::Relu,
            Finish::Gate(gate) => avx2::TileFinish::Gate(gate.as_ptr()),
        };
        let run = match kernel {
            TileKernel::Avx512 => avx512::gemm,
            _ => avx2::gemm,
        };
        // SAFETY: the asserts above bound every index the kernel touches (`b.cs == 1`), `c` is
        // an exclusive borrow that aliases neither input, and `tile_kernel()` (or the test that
        // names a kernel) checked the CPU.
        unsafe {
            run(
                m,
                k,
                n,
                (a.data.as_ptr(), a.rs, a.cs),
                (b.data.as_ptr(), b.rs),
                (c.as_mut_ptr(), n),
                start,
                finish,
            );
        }
        return;
    }
    let _ = kernel;
    portable(m, k, n, a, b, start, finish, c);
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
    finish: Finish,
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
    match finish {
        Finish::None => {}
        Finish::Relu => c.iter_mut().for_each(|v| *v = v.max(0.0)),
        Finish::Gate(gate) => c.iter_mut().zip(gate).for_each(|(v, &g)| {
            if g <= 0.0 {
                *v = 0.0;
            }
        }),
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

/// Row blocks `(first row, rows)` covering `0..m` for a kernel of `mr`-row tiles: full blocks,
/// except that a remainder of under half a tile is merged with the last full block and the two
/// split evenly (7 → 4 + 3 for six-row tiles), as tiles of few rows leave the FMA units
/// waiting on their latency.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn row_blocks(m: usize, mr: usize) -> impl Iterator<Item = (usize, usize)> {
    let rem = m % mr;
    let split = m > mr && rem > 0 && rem <= mr / 2;
    let full = if split { m / mr - 1 } else { m / mr };
    let tail: Vec<usize> = match (split, rem) {
        (true, _) => vec![(mr + rem).div_ceil(2), (mr + rem) / 2],
        (false, 0) => vec![],
        (false, r) => vec![r],
    };
    let mut first = full * mr;
    (0..full)
        .map(move |b| (b * mr, mr))
        .chain(tail.into_iter().map(move |rows| {
            let block = (first, rows);
            first += rows;
            block
        }))
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
    fn check_against_loops(run: fn(usize, usize, usize, View, View, Start, Finish, &mut [f32])) {
        let mut shapes = vec![(67, 180, 80), (5, 33, 48)];
        for m in 1..=20 {
            for n in [1, 3, 8, 15, 16, 17, 19, 31, 32, 33, 48, 180] {
                for k in [0, 1, 2, 5, 16, 37] {
                    shapes.push((m, k, n));
                }
            }
        }
        for &(m, k, n) in &shapes {
            for a_t in [false, true] {
                for b_t in [false, true] {
                    for (s, f) in [(0, 0), (1, 1), (2, 0), (2, 1), (0, 2), (1, 2)] {
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
                        let gate = values(m * n, 5);
                        let start = [Start::Zero, Start::Keep, Start::Bias(&bias)][s];
                        let finish = [Finish::None, Finish::Relu, Finish::Gate(&gate)][f];
                        let mut c = old.clone();
                        run(m, k, n, av, bv, start, finish, &mut c);
                        for i in 0..m {
                            for j in 0..n {
                                let at =
                                    |p: usize| a[if a_t { p * m + i } else { i * k + p }] as f64;
                                let bt =
                                    |p: usize| b[if b_t { j * k + p } else { p * n + j }] as f64;
                                let init = [0.0, old[i * n + j] as f64, bias[j] as f64][s];
                                let mut want = init + (0..k).map(|p| at(p) * bt(p)).sum::<f64>();
                                if f == 1 {
                                    want = want.max(0.0);
                                }
                                if f == 2 && gate[i * n + j] <= 0.0 {
                                    want = 0.0;
                                }
                                let got = c[i * n + j] as f64;
                                assert!(
                                    (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                                    "m{m} k{k} n{n} a_t {a_t} b_t {b_t} start {s} finish {f} ({i},{j}): {got} vs {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn row_blocks_cover_every_row_once_and_merge_small_remainders() {
        for mr in [6, 8] {
            for m in 0..50 {
                let blocks: Vec<_> = row_blocks(m, mr).collect();
                let mut next = 0;
                for &(first, rows) in &blocks {
                    assert_eq!(first, next, "mr {mr} m {m}: {blocks:?}");
                    assert!((1..=mr).contains(&rows), "mr {mr} m {m}: {blocks:?}");
                    next += rows;
                }
                assert_eq!(next, m);
                if m >= mr / 2 {
                    assert!(
                        blocks.iter().all(|&(_, r)| 2 * r >= mr || r == m),
                        "mr {mr} m {m}: {blocks:?}"
                    );
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

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_tile_kernel_the_cpu_has_matches_loops() {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            check_against_loops(|m, k, n, a, b, s, r, c| {
                product_on(TileKernel::Avx2, m, k, n, a, b, s, r, c)
            });
        }
        if is_x86_feature_detected!("avx512f") {
            check_against_loops(|m, k, n, a, b, s, r, c| {
                product_on(TileKernel::Avx512, m, k, n, a, b, s, r, c)
            });
        }
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
            Finish::None,
            &mut c,
        );
        assert!(c[m * n..].iter().all(|&v| v == 7.0));
    }

    /// Not a test: prints each kernel's GFLOP/s on the engine's product shapes, warm caches
    /// (`cargo test --release -p nca-fast gemm::tests::time_kernels -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn time_kernels() {
        // (m, k, n, A transposed): the classify step's forward, weight-gradient and
        // input-gradient products at 63 rows, and grow's at 1000.
        let shapes = [
            (63, 180, 80, false),
            (63, 80, 80, false),
            (63, 80, 19, false),
            (80, 63, 180, true),
            (80, 63, 80, true),
            (19, 63, 80, true),
            (63, 80, 180, false),
            (63, 19, 80, false),
            (1000, 48, 128, false),
            (1000, 128, 16, false),
            (128, 1000, 48, true),
            (16, 1000, 128, true),
            (1000, 16, 128, false),
            (1000, 128, 48, false),
        ];
        let kernels = [TileKernel::Avx2, TileKernel::Avx512, TileKernel::Portable];
        for (m, k, n, a_t) in shapes {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let mut c = vec![0.0; m * n];
            let reps = (2e8 / (2.0 * (m * k * n) as f64)) as usize + 1;
            let mut line = format!("{m:5} x {k:4} -> {n:4} {}:", if a_t { "At" } else { "A " });
            for kernel in kernels {
                let av = if a_t {
                    View::rows_t(&a, m)
                } else {
                    View::rows(&a, k)
                };
                let mut best = f64::MAX;
                for _ in 0..5 {
                    let t = std::time::Instant::now();
                    for _ in 0..reps {
                        let start = if a_t { Start::Keep } else { Start::Zero };
                        product_on(
                            kernel,
                            m,
                            k,
                            n,
                            av,
                            View::rows(&b, n),
                            start,
                            Finish::None,
                            &mut c,
                        );
                    }
                    best = best.min(t.elapsed().as_secs_f64());
                }
                let gflops = 2.0 * (m * k * n * reps) as f64 / best / 1e9;
                line += &format!(" {kernel:?} {gflops:6.1}");
            }
            println!("{line}");
        }
    }
}
