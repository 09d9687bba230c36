//! The spectral products that replace the 9x9 convolutions: per frequency, a convolution over
//! `t` input images to `w` maps is a `t×w` complex matrix product. These three products are the
//! hot path of the refiner; they run 8 frequencies at a time (one packed complex 8-vector per
//! matrix element) and are compiled three times, chosen at run time: AVX-512VL (32 vector
//! registers, so larger register tiles), AVX2+FMA, and plain arithmetic.
//!
//! Layouts (see [`crate::spectrum`] for the packed `[groups][items][16]` form), for a tile of
//! digits, each `stride` floats apart:
//! - `x`: input images' spectra, per digit `[groups][cmax][16]`;
//! - `k`: a block's kernel spectra `[groups][w][t][16]`;
//! - `h` / `d`: pre-activation spectra / their gradients, per digit `[groups][w][16]`.
//!
//! Each product is, per lane group, a small complex matrix product `C (+)= A · op(B)` over
//! strided views of these arrays, computed in register tiles of `MR×NR` elements that read each
//! loaded `A` element `NR` times and each `B` element `MR` times.

use crate::spectrum::{GROUP, LANES};

/// Shapes of one block's products over a tile of digits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    /// Lane groups in a half spectrum.
    pub groups: usize,
    /// Digits in the tile.
    pub tile: usize,
    /// Inputs of this block (images `0..t`).
    pub t: usize,
    /// Feature maps.
    pub w: usize,
    /// Image slots per digit in `x` (at least `t`).
    pub cmax: usize,
}

impl Dims {
    fn x_stride(&self) -> usize {
        self.groups * self.cmax * GROUP
    }
    fn h_stride(&self) -> usize {
        self.groups * self.w * GROUP
    }
}

/// A strided matrix of packed complex 8-vectors: element `(i, j)` starts at `i * rs + j * cs`.
#[derive(Clone, Copy, Debug)]
struct View {
    rs: usize,
    cs: usize,
}

impl View {
    fn at(&self, i: usize, j: usize) -> usize {
        i * self.rs + j * self.cs
    }
}

/// Eight `f32` lanes and the operations the products need: `__m256` on x86-64 with AVX2+FMA
/// (compiled with 16 or, under AVX-512VL, 32 registers), plain arrays elsewhere.
///
/// # Safety
/// The methods read and write 8 floats through raw pointers, and the x86 ones need the CPU
/// features their type stands for: callers check both.
trait Lanes: Copy {
    unsafe fn zero() -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// A hint that the cache line at `p` will be read soon (any address: it never faults).
    unsafe fn prefetch(p: *const f32);
    /// `self + a·b`.
    unsafe fn fma(self, a: Self, b: Self) -> Self;
    /// `self − a·b`.
    unsafe fn fnma(self, a: Self, b: Self) -> Self;
}

/// Plain arithmetic (no fused multiply-add, so that results do not depend on the target).
#[derive(Clone, Copy)]
struct Plain([f32; LANES]);

impl Lanes for Plain {
    #[inline(always)]
    unsafe fn zero() -> Self {
        Plain([0.0; LANES])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 8 readable floats.
        Plain(unsafe { p.cast::<[f32; LANES]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 8 writable floats.
        unsafe { p.cast::<[f32; LANES]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn prefetch(_: *const f32) {}
    #[inline(always)]
    unsafe fn fma(self, a: Self, b: Self) -> Self {
        Plain(std::array::from_fn(|l| self.0[l] + a.0[l] * b.0[l]))
    }
    #[inline(always)]
    unsafe fn fnma(self, a: Self, b: Self) -> Self {
        Plain(std::array::from_fn(|l| self.0[l] - a.0[l] * b.0[l]))
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// One AVX register of 8 floats.
    #[derive(Clone, Copy)]
    pub(super) struct Avx(__m256);

    impl Lanes for Avx {
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn zero() -> Self {
            Avx(_mm256_setzero_ps())
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 8 readable floats.
            Avx(unsafe { _mm256_loadu_ps(p) })
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 8 writable floats.
            unsafe { _mm256_storeu_ps(p, self.0) }
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn prefetch(p: *const f32) {
            _mm_prefetch::<_MM_HINT_T0>(p.cast());
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn fma(self, a: Self, b: Self) -> Self {
            Avx(_mm256_fmadd_ps(a.0, b.0, self.0))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn fnma(self, a: Self, b: Self) -> Self {
            Avx(_mm256_fnmadd_ps(a.0, b.0, self.0))
        }
    }
}

/// How many elements ahead along a row of `C` an accumulating tile prefetches.
const PREFETCH_AHEAD: usize = 16;

/// `C[i][j] (+)= Σ_p A[i][p] · op(B[p][j])` for one `MR×NR` register tile, `op` the complex
/// conjugate when `CONJ`, `C` overwritten unless `ACC`. `A` is `MR×kn`, `B` is `kn×NR`.
///
/// # Safety
/// Every element the views reach from the three pointers must be in bounds, and `V`'s CPU
/// features present.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<V: Lanes, const MR: usize, const NR: usize, const CONJ: bool, const ACC: bool>(
    a: *const f32,
    av: View,
    b: *const f32,
    bv: View,
    c: *mut f32,
    cv: View,
    kn: usize,
) {
    // SAFETY: the caller's guarantees, element by element.
    unsafe {
        // Accumulating tiles start from `C`: its loads are issued before the arithmetic, which
        // then hides their latency (`C` is large and rarely in cache).
        let mut re = [[V::zero(); NR]; MR];
        let mut im = [[V::zero(); NR]; MR];
        if ACC {
            for i in 0..MR {
                for j in 0..NR {
                    let at = c.add(cv.at(i, j));
                    re[i][j] = V::load(at);
                    im[i][j] = V::load(at.add(LANES));
                    // And the same rows a few tiles on are fetched ahead.
                    V::prefetch(c.wrapping_add(cv.at(i, j + PREFETCH_AHEAD)));
                }
            }
        }
        for p in 0..kn {
            let mut xr = [V::zero(); MR];
            let mut xi = [V::zero(); MR];
            for i in 0..MR {
                let at = a.add(av.at(i, p));
                xr[i] = V::load(at);
                xi[i] = V::load(at.add(LANES));
            }
            for j in 0..NR {
                let at = b.add(bv.at(p, j));
                let (br, bi) = (V::load(at), V::load(at.add(LANES)));
                for i in 0..MR {
                    // a·b = (ar br − ai bi) + i(ar bi + ai br);
                    // a·conj(b) = (ar br + ai bi) + i(ai br − ar bi).
                    re[i][j] = re[i][j].fma(xr[i], br);
                    im[i][j] = im[i][j].fma(xi[i], br);
                    if CONJ {
                        re[i][j] = re[i][j].fma(xi[i], bi);
                        im[i][j] = im[i][j].fnma(xr[i], bi);
                    } else {
                        re[i][j] = re[i][j].fnma(xi[i], bi);
                        im[i][j] = im[i][j].fma(xr[i], bi);
                    }
                }
            }
        }
        for i in 0..MR {
            for j in 0..NR {
                let at = c.add(cv.at(i, j));
                re[i][j].store(at);
                im[i][j].store(at.add(LANES));
            }
        }
    }
}

/// `C (+)= A · op(B)` with `A` `m×kn`, `B` `kn×n`, `C` `m×n`, over register tiles of at most
/// `MR×NR` (single rows and columns at the edges), row by row so that `C` is walked in order.
///
/// # Safety
/// `V`'s CPU features must be present.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn product<V: Lanes, const MR: usize, const NR: usize, const CONJ: bool, const ACC: bool>(
    (m, n, kn): (usize, usize, usize),
    a: &[f32],
    av: View,
    b: &[f32],
    bv: View,
    c: &mut [f32],
    cv: View,
) {
    if m == 0 || n == 0 {
        return;
    }
    // The views grow with both indices, so the last element of each is its furthest.
    let reach = |v: View, i: usize, j: usize| v.at(i, j) + GROUP;
    assert!(
        (kn == 0 || (reach(av, m - 1, kn - 1) <= a.len() && reach(bv, kn - 1, n - 1) <= b.len()))
            && reach(cv, m - 1, n - 1) <= c.len(),
        "spectral product out of bounds"
    );
    let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    let (mf, nf) = (m - m % MR, n - n % NR);
    let mut i = 0;
    while i < m {
        let full_rows = i < mf;
        let mut j = 0;
        while j < n {
            // SAFETY: the tile's elements are within the checked extents.
            unsafe {
                let (aa, bb, cc) = (
                    pa.add(av.at(i, 0)),
                    pb.add(bv.at(0, j)),
                    pc.add(cv.at(i, j)),
                );
                match (full_rows, j < nf) {
                    (true, true) => tile::<V, MR, NR, CONJ, ACC>(aa, av, bb, bv, cc, cv, kn),
                    (true, false) => tile::<V, MR, 1, CONJ, ACC>(aa, av, bb, bv, cc, cv, kn),
                    (false, true) => tile::<V, 1, NR, CONJ, ACC>(aa, av, bb, bv, cc, cv, kn),
                    (false, false) => tile::<V, 1, 1, CONJ, ACC>(aa, av, bb, bv, cc, cv, kn),
                }
            }
            j += if j < nf { NR } else { 1 };
        }
        i += if full_rows { MR } else { 1 };
    }
}

/// `h[b][g][o] = Σ_{c<t} x[b][g][c] · k[g][o][c]`: per group, `H (tile×w) = X (tile×t) · Kᵀ`.
#[inline(always)]
unsafe fn forward_body<V: Lanes, const MR: usize, const NR: usize>(
    dims: Dims,
    x: &[f32],
    k: &[f32],
    h: &mut [f32],
) {
    let (t, w) = (dims.t, dims.w);
    let xv = View {
        rs: dims.x_stride(),
        cs: GROUP,
    };
    let kv = View {
        rs: GROUP,
        cs: t * GROUP,
    };
    let hv = View {
        rs: dims.h_stride(),
        cs: GROUP,
    };
    for g in 0..dims.groups {
        // SAFETY: the caller's.
        unsafe {
            product::<V, MR, NR, false, false>(
                (dims.tile, w, t),
                &x[g * dims.cmax * GROUP..],
                xv,
                &k[g * w * t * GROUP..],
                kv,
                &mut h[g * w * GROUP..],
                hv,
            )
        };
    }
}

/// `dk[g][o][c] += Σ_b d[b][g][o] · conj(x[b][g][c])`: per group, `dK (w×t) += Dᵀ · conj(X)`.
#[inline(always)]
unsafe fn weight_grad_body<V: Lanes, const MR: usize, const NR: usize>(
    dims: Dims,
    d: &[f32],
    x: &[f32],
    dk: &mut [f32],
) {
    let (t, w) = (dims.t, dims.w);
    let dv = View {
        rs: GROUP,
        cs: dims.h_stride(),
    };
    let xv = View {
        rs: dims.x_stride(),
        cs: GROUP,
    };
    let kv = View {
        rs: t * GROUP,
        cs: GROUP,
    };
    for g in 0..dims.groups {
        // SAFETY: the caller's.
        unsafe {
            product::<V, MR, NR, true, true>(
                (w, t, dims.tile),
                &d[g * w * GROUP..],
                dv,
                &x[g * dims.cmax * GROUP..],
                xv,
                &mut dk[g * w * t * GROUP..],
                kv,
            )
        };
    }
}

/// `dx[b][g][c] += Σ_o d[b][g][o] · conj(k[g][o][c])` for `c` in `1..t` (image 0, the input,
/// needs no gradient): per group, `dX (tile×(t−1)) += D · conj(K)`.
#[inline(always)]
unsafe fn input_grad_body<V: Lanes, const MR: usize, const NR: usize>(
    dims: Dims,
    d: &[f32],
    k: &[f32],
    dx: &mut [f32],
) {
    let (t, w) = (dims.t, dims.w);
    if t < 2 {
        return;
    }
    let dv = View {
        rs: dims.h_stride(),
        cs: GROUP,
    };
    let kv = View {
        rs: t * GROUP,
        cs: GROUP,
    };
    let xv = View {
        rs: dims.x_stride(),
        cs: GROUP,
    };
    for g in 0..dims.groups {
        // SAFETY: the caller's.
        unsafe {
            product::<V, MR, NR, true, true>(
                (dims.tile, t - 1, w),
                &d[g * w * GROUP..],
                dv,
                &k[g * w * t * GROUP + GROUP..],
                kv,
                &mut dx[(g * dims.cmax + 1) * GROUP..],
                xv,
            )
        };
    }
}

/// The instruction sets a product can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
enum Isa {
    Avx512,
    Avx2,
    Portable,
}

/// The best instruction set this CPU has (`NCA_FAST_KERNEL=portable` forces plain code).
fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::gemm::kernel() == crate::gemm::Kernel::Portable {
            return Isa::Portable;
        }
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
            return Isa::Avx512;
        }
        Isa::Avx2
    }
    #[cfg(not(target_arch = "x86_64"))]
    Isa::Portable
}

/// Generates the entry point of a product: register tiles of 2×4 elements with AVX-512VL's 32
/// registers (still 256-bit vectors: on the CPUs that have it, 512-bit FMAs give no more
/// throughput), 2×2 with AVX2's 16, and 2×2 plain arithmetic otherwise.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $on:ident, $body:ident) => {
        $(#[$doc])*
        pub(crate) fn $name(dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
            $on(isa(), dims, a, b, out)
        }

        fn $on(isa: Isa, dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
                fn avx512(dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
                    // SAFETY: this function's features are those `Avx` needs.
                    unsafe { $body::<x86::Avx, 2, 4>(dims, a, b, out) }
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2(dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
                    // SAFETY: as above.
                    unsafe { $body::<x86::Avx, 2, 2>(dims, a, b, out) }
                }
                match isa {
                    // SAFETY: `isa()` reports only what the CPU supports (the tests call the
                    // versions they have checked for).
                    Isa::Avx512 => return unsafe { avx512(dims, a, b, out) },
                    Isa::Avx2 => return unsafe { avx2(dims, a, b, out) },
                    Isa::Portable => {}
                }
            }
            let _ = isa;
            // SAFETY: `Plain` needs no CPU features.
            unsafe { $body::<Plain, 2, 2>(dims, a, b, out) }
        }
    };
}

dispatch!(
    /// Pre-activation spectra of a block: `h = x · k` per frequency.
    forward,
    forward_on,
    forward_body
);
dispatch!(
    /// Adds a tile's kernel-spectrum gradient `Σ_b d · conj(x)` to `dk`.
    weight_grad,
    weight_grad_on,
    weight_grad_body
);
dispatch!(
    /// Adds the images' spectral gradient `Σ_o d · conj(k)` to `dx`.
    input_grad,
    input_grad_on,
    input_grad_body
);

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random array with values in [-1, 1).
    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 2654435761 + seed * 40503 + 17) % 2003) as f32 / 1001.5 - 1.0)
            .collect()
    }

    /// The complex value of lane `l` of the packed element at `at`.
    fn get(s: &[f32], at: usize, l: usize) -> (f64, f64) {
        (s[at + l] as f64, s[at + LANES + l] as f64)
    }

    fn mul(a: (f64, f64), b: (f64, f64), conj: bool) -> (f64, f64) {
        let b = if conj { (b.0, -b.1) } else { b };
        (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
    }

    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                v.push(Isa::Avx2);
            }
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
                v.push(Isa::Avx512);
            }
        }
        v
    }

    fn shapes() -> Vec<Dims> {
        let mut v = Vec::new();
        for (tile, t, w) in [
            (1, 1, 1),
            (3, 5, 7),
            (8, 1, 16),
            (8, 2, 16),
            (8, 13, 16),
            (5, 50, 3),
        ] {
            v.push(Dims {
                groups: 2,
                tile,
                t,
                w,
                cmax: t + 2,
            });
        }
        v
    }

    fn close(got: f32, want: f64, what: &str) {
        let tol = 1e-5 * (1.0 + want.abs());
        assert!(
            (got as f64 - want).abs() <= tol,
            "{what}: got {got}, want {want}"
        );
    }

    #[test]
    fn every_isa_computes_the_forward_product() {
        for isa in isas() {
            for d in shapes() {
                let x = values(d.tile * d.x_stride(), 1);
                let k = values(d.groups * d.w * d.t * GROUP, 2);
                let mut h = values(d.tile * d.h_stride(), 3);
                forward_on(isa, d, &x, &k, &mut h);
                for (b, g, o, l) in itertools(d.tile, d.groups, d.w) {
                    let mut want = (0.0, 0.0);
                    for c in 0..d.t {
                        let xv = get(&x, b * d.x_stride() + (g * d.cmax + c) * GROUP, l);
                        let kv = get(&k, ((g * d.w + o) * d.t + c) * GROUP, l);
                        let p = mul(xv, kv, false);
                        want = (want.0 + p.0, want.1 + p.1);
                    }
                    let at = b * d.h_stride() + (g * d.w + o) * GROUP;
                    close(h[at + l], want.0, &format!("{isa:?} {d:?} re"));
                    close(h[at + LANES + l], want.1, &format!("{isa:?} {d:?} im"));
                }
            }
        }
    }

    #[test]
    fn every_isa_accumulates_the_weight_gradient() {
        for isa in isas() {
            for d in shapes() {
                let dd = values(d.tile * d.h_stride(), 4);
                let x = values(d.tile * d.x_stride(), 5);
                let before = values(d.groups * d.w * d.t * GROUP, 6);
                let mut dk = before.clone();
                weight_grad_on(isa, d, &dd, &x, &mut dk);
                for g in 0..d.groups {
                    for o in 0..d.w {
                        for c in 0..d.t {
                            for l in 0..LANES {
                                let at = ((g * d.w + o) * d.t + c) * GROUP;
                                let mut want = get(&before, at, l);
                                for b in 0..d.tile {
                                    let dv = get(&dd, b * d.h_stride() + (g * d.w + o) * GROUP, l);
                                    let xv =
                                        get(&x, b * d.x_stride() + (g * d.cmax + c) * GROUP, l);
                                    let p = mul(dv, xv, true);
                                    want = (want.0 + p.0, want.1 + p.1);
                                }
                                close(dk[at + l], want.0, &format!("{isa:?} {d:?} re"));
                                close(dk[at + LANES + l], want.1, &format!("{isa:?} {d:?} im"));
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_isa_accumulates_the_input_gradient_except_for_image_0() {
        for isa in isas() {
            for d in shapes() {
                let dd = values(d.tile * d.h_stride(), 7);
                let k = values(d.groups * d.w * d.t * GROUP, 8);
                let before = values(d.tile * d.x_stride(), 9);
                let mut dx = before.clone();
                input_grad_on(isa, d, &dd, &k, &mut dx);
                for b in 0..d.tile {
                    for g in 0..d.groups {
                        for c in 0..d.cmax {
                            for l in 0..LANES {
                                let at = b * d.x_stride() + (g * d.cmax + c) * GROUP;
                                let mut want = get(&before, at, l);
                                if (1..d.t).contains(&c) {
                                    for o in 0..d.w {
                                        let dv =
                                            get(&dd, b * d.h_stride() + (g * d.w + o) * GROUP, l);
                                        let kv = get(&k, ((g * d.w + o) * d.t + c) * GROUP, l);
                                        let p = mul(dv, kv, true);
                                        want = (want.0 + p.0, want.1 + p.1);
                                    }
                                }
                                close(dx[at + l], want.0, &format!("{isa:?} {d:?} re"));
                                close(dx[at + LANES + l], want.1, &format!("{isa:?} {d:?} im"));
                            }
                        }
                    }
                }
            }
        }
    }

    /// `(digit, group, map, lane)` for every output value of a forward product.
    fn itertools(
        tile: usize,
        groups: usize,
        w: usize,
    ) -> impl Iterator<Item = (usize, usize, usize, usize)> {
        (0..tile).flat_map(move |b| {
            (0..groups)
                .flat_map(move |g| (0..w).flat_map(move |o| (0..LANES).map(move |l| (b, g, o, l))))
        })
    }
}
