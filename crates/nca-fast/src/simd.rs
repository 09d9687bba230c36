//! Compiling the engine's loops for the CPU they run on: [`avx2_dispatch!`] gives a function an
//! AVX2 + FMA version, chosen at run time, next to the baseline one.

/// Defines `fn $name(args) -> ret` twice over one body: once compiled for baseline x86-64 (or
/// any other target) and once with AVX2 and FMA enabled, and dispatches at run time on
/// [`crate::gemm::kernel`] (the CPU's features, `NCA_FAST_KERNEL=portable` to opt out). The
/// helpers the body calls are `#[inline(always)]` so that they are compiled into each version:
/// their gathers, scatters and mask loops then vectorise 8 lanes wide instead of 4.
macro_rules! avx2_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($arg: $ty),*) -> $ret $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx2($($arg: $ty),*) -> $ret {
                body($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            if $crate::gemm::kernel() == $crate::gemm::Kernel::Avx2 {
                // SAFETY: `kernel()` returns `Avx2` only when the CPU has AVX2 and FMA.
                return unsafe { avx2($($arg),*) };
            }
            body($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

/// Asks the CPU to bring `buf` into its L2 cache ahead of use, one hint per 64-byte line (no
/// effect on targets other than x86-64). For data far larger than the caches that a loop will
/// read soon: the engine's tape and noise arrays.
#[inline(always)]
pub(crate) fn prefetch_l2(buf: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in buf.chunks(16) {
        // SAFETY: a prefetch is only a hint, and the address lies inside `buf`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = buf;
}

/// `dst += coef * src`, elementwise over the shorter of the two, in blocks of 8 lanes: an AVX2
/// build (see [`avx2_dispatch!`]) runs a block as one 256-bit FMA, where a plain loop over a
/// run-time length of 16 (one cell's channels) is left to 128-bit remainder code.
#[inline(always)]
pub(crate) fn axpy(dst: &mut [f32], coef: f32, src: &[f32]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d8).zip(&mut s8) {
        let d: &mut [f32; 8] = d.try_into().expect("blocks of 8");
        let s: &[f32; 8] = s.try_into().expect("blocks of 8");
        *d = std::array::from_fn(|l| d[l] + coef * s[l]);
    }
    for (d, &s) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
        *d += coef * s;
    }
}

/// `dst += src`, elementwise over the shorter of the two, in blocks of 8 lanes (as [`axpy`]).
#[inline(always)]
pub(crate) fn add_to(dst: &mut [f32], src: &[f32]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d8).zip(&mut s8) {
        let d: &mut [f32; 8] = d.try_into().expect("blocks of 8");
        let s: &[f32; 8] = s.try_into().expect("blocks of 8");
        *d = std::array::from_fn(|l| d[l] + s[l]);
    }
    for (d, &s) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
        *d += s;
    }
}
