//! The spectral products that replace the 9x9 convolutions: per frequency, a convolution over
//! `t` input images to `w` maps is a `t×w` complex matrix product. These three loops are the hot
//! path of the refiner; they run 8 frequencies at a time and use AVX2+FMA when the CPU has them
//! (checked at run time), plain arithmetic otherwise.
//!
//! Layouts (see [`crate::spectrum`] for the packed `[groups][items][16]` form), for a tile of
//! digits, each `stride` floats apart:
//! - `x`: input images' spectra, per digit `[groups][cmax][16]`;
//! - `k`: a block's kernel spectra `[groups][w][t][16]`;
//! - `h` / `d`: pre-activation spectra / their gradients, per digit `[groups][w][16]`.

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

/// `Σ_i a_i · b_i` (or `a_i · conj(b_i)`) over `n` packed complex 8-vectors, `a_i` at
/// `a[i·sa..]`, `b_i` at `b[i·sb..]`, added to `acc` (8 real parts, then 8 imaginary parts).
/// Eight independent accumulator chains keep the FMA units busy.
#[inline(always)]
fn cdot<const CONJ: bool, const FMA: bool>(
    acc: &mut [f32; GROUP],
    a: &[f32],
    sa: usize,
    b: &[f32],
    sb: usize,
    n: usize,
) {
    #[inline(always)]
    fn madd<const FMA: bool>(x: f32, y: f32, z: f32) -> f32 {
        if FMA { x.mul_add(y, z) } else { x * y + z }
    }
    /// Adds `a_i ⊗ b_i` (the four real products per lane) to the accumulators `s`.
    #[inline(always)]
    fn step<const FMA: bool>(s: &mut [[f32; LANES]; 4], a: &[f32], b: &[f32]) {
        let av: &[f32; GROUP] = a[..GROUP].try_into().expect("packed");
        let bv: &[f32; GROUP] = b[..GROUP].try_into().expect("packed");
        for l in 0..LANES {
            let (ar, ai, br, bi) = (av[l], av[LANES + l], bv[l], bv[LANES + l]);
            s[0][l] = madd::<FMA>(ar, br, s[0][l]);
            s[1][l] = madd::<FMA>(ai, bi, s[1][l]);
            s[2][l] = madd::<FMA>(ar, bi, s[2][l]);
            s[3][l] = madd::<FMA>(ai, br, s[3][l]);
        }
    }
    let mut s0 = [[0.0f32; LANES]; 4];
    let mut s1 = [[0.0f32; LANES]; 4];
    let mut i = 0;
    while i + 1 < n {
        step::<FMA>(&mut s0, &a[i * sa..], &b[i * sb..]);
        step::<FMA>(&mut s1, &a[(i + 1) * sa..], &b[(i + 1) * sb..]);
        i += 2;
    }
    if i < n {
        step::<FMA>(&mut s0, &a[i * sa..], &b[i * sb..]);
    }
    let s = [s0, s1];
    for l in 0..LANES {
        let (rr, ii) = (s[0][0][l] + s[1][0][l], s[0][1][l] + s[1][1][l]);
        let (ri, ir) = (s[0][2][l] + s[1][2][l], s[0][3][l] + s[1][3][l]);
        if CONJ {
            acc[l] += rr + ii;
            acc[LANES + l] += ir - ri;
        } else {
            acc[l] += rr - ii;
            acc[LANES + l] += ri + ir;
        }
    }
}

/// `h[b][g][o] = Σ_{c<t} x[b][g][c] · k[g][o][c]`.
#[inline(always)]
fn forward_body<const FMA: bool>(dims: Dims, x: &[f32], k: &[f32], h: &mut [f32]) {
    let (t, w) = (dims.t, dims.w);
    for g in 0..dims.groups {
        for b in 0..dims.tile {
            let xs = &x[b * dims.x_stride() + g * dims.cmax * GROUP..];
            for o in 0..w {
                let mut acc = [0.0; GROUP];
                cdot::<false, FMA>(&mut acc, xs, GROUP, &k[(g * w + o) * t * GROUP..], GROUP, t);
                let at = b * dims.h_stride() + (g * w + o) * GROUP;
                h[at..at + GROUP].copy_from_slice(&acc);
            }
        }
    }
}

/// `dk[g][o][c] += Σ_b d[b][g][o] · conj(x[b][g][c])`.
#[inline(always)]
fn weight_grad_body<const FMA: bool>(dims: Dims, d: &[f32], x: &[f32], dk: &mut [f32]) {
    let (t, w) = (dims.t, dims.w);
    for g in 0..dims.groups {
        for o in 0..w {
            let ds = &d[(g * w + o) * GROUP..];
            for c in 0..t {
                let at = ((g * w + o) * t + c) * GROUP;
                let acc: &mut [f32; GROUP] = (&mut dk[at..at + GROUP]).try_into().expect("packed");
                let xs = &x[(g * dims.cmax + c) * GROUP..];
                cdot::<true, FMA>(acc, ds, dims.h_stride(), xs, dims.x_stride(), dims.tile);
            }
        }
    }
}

/// `dx[b][g][c] += Σ_o d[b][g][o] · conj(k[g][o][c])` for `c` in `1..t` (image 0, the input,
/// needs no gradient).
#[inline(always)]
fn input_grad_body<const FMA: bool>(dims: Dims, d: &[f32], k: &[f32], dx: &mut [f32]) {
    let (t, w) = (dims.t, dims.w);
    for g in 0..dims.groups {
        for b in 0..dims.tile {
            let ds = &d[b * dims.h_stride() + g * w * GROUP..];
            for c in 1..t {
                let at = b * dims.x_stride() + (g * dims.cmax + c) * GROUP;
                let acc: &mut [f32; GROUP] = (&mut dx[at..at + GROUP]).try_into().expect("packed");
                let ks = &k[(g * w * t + c) * GROUP..];
                cdot::<true, FMA>(acc, ds, GROUP, ks, t * GROUP, w);
            }
        }
    }
}

/// Generates the public entry point of a product loop: the AVX2+FMA build when the CPU has it,
/// the portable one otherwise.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $body:ident, $fast:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $fast(dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
            $body::<true>(dims, a, b, out)
        }

        $(#[$doc])*
        pub(crate) fn $name(dims: Dims, a: &[f32], b: &[f32], out: &mut [f32]) {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports the features the function was compiled for.
                return unsafe { $fast(dims, a, b, out) };
            }
            $body::<false>(dims, a, b, out)
        }
    };
}

dispatch!(
    /// Pre-activation spectra of a block: `h = x · k` per frequency.
    forward,
    forward_body,
    forward_avx2
);
dispatch!(
    /// Adds a tile's kernel-spectrum gradient `Σ_b d · conj(x)` to `dk`.
    weight_grad,
    weight_grad_body,
    weight_grad_avx2
);
dispatch!(
    /// Adds the images' spectral gradient `Σ_o d · conj(k)` to `dx`.
    input_grad,
    input_grad_body,
    input_grad_avx2
);
