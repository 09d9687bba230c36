//! Random draws from the caller's seeded generator, in exactly the order `nca` makes them, so a
//! run here equals `nca`'s for the same `StdRng` seed.

use rand::Rng;
use rand_distr::{Distribution, Normal};

/// A fire mask of `n` cells: 1 where `rng` fires with probability `rate` (`random::<f32>() <
/// rate`, one draw per cell in order), as `nca::masks::fire_mask_values`.
pub fn fire_mask(rng: &mut impl Rng, n: usize, rate: f32) -> Vec<u8> {
    (0..n)
        .map(|_| u8::from(rng.random::<f32>() < rate))
        .collect()
}

/// `n` samples of N(0, std²); a `std` of 0 gives zeros (`nca::noise::gaussian_values`).
pub fn gaussian_values(rng: &mut impl Rng, n: usize, std: f32) -> Vec<f32> {
    if std == 0.0 || !std.is_finite() {
        return vec![0.0; n];
    }
    let normal = Normal::new(0.0f32, std.abs()).expect("finite std");
    (0..n).map(|_| normal.sample(rng)).collect()
}
