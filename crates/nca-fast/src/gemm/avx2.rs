//! The AVX2 + FMA micro-kernel: `C = start + A·B` on tiles of up to 6 rows by 16 columns, with
//! `B` read in place (row stride `ldb`, contiguous columns) and `A` through arbitrary strides, so
//! that neither operand is packed. On the engine's shapes (tens to a thousand rows, 16–180
//! columns, weights that fit in L1/L2) packing costs as much as it saves.
//!
//! Twelve accumulators (6 rows × 2 vectors of 8) stay in registers over the whole `k` loop; per
//! step the kernel loads two vectors of `B` and broadcasts six values of `A` for 12 FMAs.
//! Partial tiles use masked loads and stores, which never touch memory outside the masked lanes.

use std::arch::x86_64::*;

/// Rows per tile.
pub(super) const MR: usize = 6;
/// Columns per tile.
pub(super) const NR: usize = 16;

/// What a tile adds to its products.
#[derive(Clone, Copy)]
pub(super) enum TileStart {
    /// Nothing.
    Zero,
    /// The current contents of `C`.
    Load,
    /// A bias row (`bias[j]` for every row), pointing at the tile's first column.
    Bias(*const f32),
}

/// What a tile does to its results as it stores them.
#[derive(Clone, Copy)]
pub(super) enum TileFinish {
    /// Nothing.
    None,
    /// A ReLU.
    Relu,
    /// Zero where the gate (a matrix laid out as `C`, pointing at the tile's first element)
    /// is `<= 0`: the ReLU derivative taken from a stored activation.
    Gate(*const f32),
}

/// Lane masks for the first `nr` (≤ 16) columns of a tile, as two 8-lane halves.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn column_masks(nr: usize) -> (__m256i, __m256i) {
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let n = _mm256_set1_epi32(nr as i32);
    let lo = _mm256_cmpgt_epi32(n, lanes);
    let hi = _mm256_cmpgt_epi32(n, _mm256_add_epi32(lanes, _mm256_set1_epi32(8)));
    (lo, hi)
}

/// One tile: `MR_` rows (≤ 6) and `nr` columns (all 16 when `FULL`).
///
/// # Safety
/// The caller guarantees, for `i < MR_`, `p < k`, `j < nr`: `a + i*rsa + p*csa`,
/// `b + p*ldb + j`, `c + i*ldc + j` (and `bias + j` for [`TileStart::Bias`], `gate + i*ldc + j`
/// for [`TileFinish::Gate`]) are in bounds, and that `c` does not alias `a`, `b`, the bias or
/// the gate. The CPU supports AVX2 and FMA.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile<const MR_: usize, const FULL: bool>(
    k: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    ldb: usize,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    start: TileStart,
    finish: TileFinish,
) {
    unsafe {
        let (mlo, mhi) = column_masks(if FULL { NR } else { nr });
        // A macro, not a closure, so that the loads are compiled with this function's features.
        macro_rules! load {
            ($p:expr) => {{
                let p: *const f32 = $p;
                if FULL {
                    (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)))
                } else {
                    (
                        _mm256_maskload_ps(p, mlo),
                        _mm256_maskload_ps(p.add(8), mhi),
                    )
                }
            }};
        }
        // The products are summed from zero and what `start` names is added at the end: the
        // order `matrixmultiply` and Burn round in (sum, then bias or old value), so that a
        // pre-activation within rounding of zero falls on the same side of a ReLU.
        let mut acc = [[_mm256_setzero_ps(); 2]; MR_];
        let (mut ap, mut bp) = (a, b);
        for _ in 0..k {
            let (b0, b1) = load!(bp);
            for (i, row) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*ap.add(i * rsa));
                row[0] = _mm256_fmadd_ps(av, b0, row[0]);
                row[1] = _mm256_fmadd_ps(av, b1, row[1]);
            }
            ap = ap.add(csa);
            bp = bp.add(ldb);
        }
        match start {
            TileStart::Zero => {}
            TileStart::Load => {
                for (i, row) in acc.iter_mut().enumerate() {
                    let (lo, hi) = load!(c.add(i * ldc));
                    row[0] = _mm256_add_ps(row[0], lo);
                    row[1] = _mm256_add_ps(row[1], hi);
                }
            }
            TileStart::Bias(bias) => {
                let (lo, hi) = load!(bias);
                for row in acc.iter_mut() {
                    row[0] = _mm256_add_ps(row[0], lo);
                    row[1] = _mm256_add_ps(row[1], hi);
                }
            }
        }
        let zero = _mm256_setzero_ps();
        for (i, row) in acc.iter().enumerate() {
            let (mut lo, mut hi) = (row[0], row[1]);
            match finish {
                TileFinish::None => {}
                TileFinish::Relu => {
                    lo = _mm256_max_ps(lo, zero);
                    hi = _mm256_max_ps(hi, zero);
                }
                TileFinish::Gate(g) => {
                    let (glo, ghi) = load!(g.add(i * ldc));
                    lo = _mm256_and_ps(lo, _mm256_cmp_ps::<_CMP_GT_OQ>(glo, zero));
                    hi = _mm256_and_ps(hi, _mm256_cmp_ps::<_CMP_GT_OQ>(ghi, zero));
                }
            }
            let p = c.add(i * ldc);
            if FULL {
                _mm256_storeu_ps(p, lo);
                _mm256_storeu_ps(p.add(8), hi);
            } else {
                _mm256_maskstore_ps(p, mlo, lo);
                _mm256_maskstore_ps(p.add(8), mhi, hi);
            }
        }
    }
}

/// `C[m, n] (row stride ldc) = finish(start + A·B)`, where
/// `A[i, p] = a[i*rsa + p*csa]` and `B[p, j] = b[p*ldb + j]`.
///
/// # Safety
/// As for [`tile`], for every `i < m`, `p < k`, `j < n`; `bias` (for [`TileStart::Bias`]) holds
/// `n` values, the gate (for [`TileFinish::Gate`]) `m` rows of stride `ldc`. The CPU supports
/// AVX2 and FMA.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn gemm(
    m: usize,
    k: usize,
    n: usize,
    (a, rsa, csa): (*const f32, usize, usize),
    (b, ldb): (*const f32, usize),
    (c, ldc): (*mut f32, usize),
    start: TileStart,
    finish: TileFinish,
) {
    // Column panels outermost: a panel of B (k × 16) stays in cache while every row block of A
    // streams past it.
    for j0 in (0..n).step_by(NR) {
        let nr = NR.min(n - j0);
        let start_j = match start {
            TileStart::Bias(p) => TileStart::Bias(unsafe { p.add(j0) }),
            s => s,
        };
        for (i0, mr) in super::row_blocks(m, MR) {
            let finish_ij = match finish {
                TileFinish::Gate(g) => TileFinish::Gate(unsafe { g.add(i0 * ldc + j0) }),
                f => f,
            };
            unsafe {
                let (ai, bj, cij) = (a.add(i0 * rsa), b.add(j0), c.add(i0 * ldc + j0));
                macro_rules! go {
                    ($($r:literal)*) => {
                        match (mr, nr == NR) {
                            $(
                                ($r, true) => tile::<$r, true>(k, ai, rsa, csa, bj, ldb, cij, ldc, nr, start_j, finish_ij),
                                ($r, false) => tile::<$r, false>(k, ai, rsa, csa, bj, ldb, cij, ldc, nr, start_j, finish_ij),
                            )*
                            _ => unreachable!("row blocks hold 1 to {MR} rows"),
                        }
                    };
                }
                go!(1 2 3 4 5 6);
            }
        }
    }
}
