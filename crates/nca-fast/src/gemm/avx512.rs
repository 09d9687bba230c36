//! The AVX-512 micro-kernel: `C = start + A·B` on tiles of up to `MR` rows by 32 columns (two
//! 16-lane vectors per row), with the same operand conventions as the AVX2 kernel (`B` read in
//! place with contiguous columns, `A` through arbitrary strides, nothing packed).
//!
//! On Zen 4 a 512-bit FMA does the work of two 256-bit ones in one instruction: per step of
//! `k` a full tile loads two vectors of `B` and broadcasts eight values of `A` for 16 FMAs (the
//! AVX2 kernel: 8 loads for 12 FMAs of half the width), so the loop issues fewer instructions
//! per FLOP and keeps the FMA units busier on the engine's small products (on Zen 5, whose FMA
//! units are 512 bits wide, it also doubles the arithmetic per FMA slot: BENCHMARKS.md, round 5).
//! Tiles of one vector per row fold the broadcast into the FMA's memory operand. Partial tiles
//! use lane masks, which never touch memory outside the masked lanes.

use super::avx2::{TileFinish, TileStart};
use std::arch::x86_64::*;

/// Rows per tile.
pub(super) const MR: usize = 8;
/// Columns per tile (two vectors of 16).
pub(super) const NR: usize = 32;

/// The lane mask of the first `n` (≤ 16) lanes.
#[inline(always)]
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 { 0xffff } else { (1u16 << n) - 1 }
}

/// One tile: `MR_` rows, `NV` vectors of columns, the first `nr` columns of them real.
///
/// # Safety
/// The caller guarantees, for `i < MR_`, `p < k`, `j < nr`: `a + i*rsa + p*csa`,
/// `b + p*ldb + j`, `c + i*ldc + j` (and `bias + j` for [`TileStart::Bias`], `gate + i*ldc + j`
/// for [`TileFinish::Gate`]) are in bounds, and that `c` does not alias `a`, `b`, the bias or
/// the gate. The CPU supports AVX-512F.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn tile<const MR_: usize, const NV: usize>(
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
        let masks: [__mmask16; NV] = std::array::from_fn(|v| lanes(nr.saturating_sub(16 * v)));
        let full = nr == 16 * NV;
        macro_rules! load {
            ($p:expr, $v:expr) => {{
                let p: *const f32 = $p;
                if full {
                    _mm512_loadu_ps(p.add(16 * $v))
                } else {
                    _mm512_maskz_loadu_ps(masks[$v], p.add(16 * $v))
                }
            }};
        }
        // Summed from zero, `start` added at the end (the rounding order of the AVX2 kernel,
        // `matrixmultiply` and Burn).
        let mut acc = [[_mm512_setzero_ps(); NV]; MR_];
        let (mut ap, mut bp) = (a, b);
        for _ in 0..k {
            let bv: [__m512; NV] = std::array::from_fn(|v| load!(bp, v));
            for (i, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.add(i * rsa));
                for v in 0..NV {
                    row[v] = _mm512_fmadd_ps(av, bv[v], row[v]);
                }
            }
            ap = ap.add(csa);
            bp = bp.add(ldb);
        }
        match start {
            TileStart::Zero => {}
            TileStart::Load => {
                for (i, row) in acc.iter_mut().enumerate() {
                    for v in 0..NV {
                        row[v] = _mm512_add_ps(row[v], load!(c.add(i * ldc), v));
                    }
                }
            }
            TileStart::Bias(bias) => {
                let bv: [__m512; NV] = std::array::from_fn(|v| load!(bias, v));
                for row in acc.iter_mut() {
                    for v in 0..NV {
                        row[v] = _mm512_add_ps(row[v], bv[v]);
                    }
                }
            }
        }
        let zero = _mm512_setzero_ps();
        for (i, row) in acc.iter().enumerate() {
            let p = c.add(i * ldc);
            for v in 0..NV {
                let y = match finish {
                    TileFinish::None => row[v],
                    TileFinish::Relu => _mm512_max_ps(row[v], zero),
                    TileFinish::Gate(g) => {
                        let open = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(load!(g.add(i * ldc), v), zero);
                        _mm512_maskz_mov_ps(open, row[v])
                    }
                };
                if full {
                    _mm512_storeu_ps(p.add(16 * v), y);
                } else {
                    _mm512_mask_storeu_ps(p.add(16 * v), masks[v], y);
                }
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
/// AVX-512F.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx2,fma")]
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
    // Column panels outermost: a panel of B (k × 32) stays in cache while every row block of A
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
                        match (mr, nr > 16) {
                            $(
                                ($r, true) => tile::<$r, 2>(k, ai, rsa, csa, bj, ldb, cij, ldc, nr, start_j, finish_ij),
                                ($r, false) => tile::<$r, 1>(k, ai, rsa, csa, bj, ldb, cij, ldc, nr, start_j, finish_ij),
                            )*
                            _ => unreachable!("row blocks hold 1 to {MR} rows"),
                        }
                    };
                }
                go!(1 2 3 4 5 6 7 8);
            }
        }
    }
}
