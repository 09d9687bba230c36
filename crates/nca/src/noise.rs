//! Gaussian noise drawn from the caller's seeded RNG: residual noise on NCA updates and the
//! small/large noise of the attention family.

use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;

pub use nca_models::masks::gaussian_values;

/// A tensor of N(0, std²) noise with the given shape.
pub fn gaussian<const D: usize>(
    rng: &mut impl Rng,
    shape: [usize; D],
    std: f32,
    device: &Device,
) -> Tensor<D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(gaussian_values(rng, n, std), shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn noise_has_requested_variance() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for std in [0.01f32, 0.02, 0.1] {
            let v = gaussian_values(&mut rng, 200_000, std);
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
            assert!(mean.abs() < std * 0.02, "mean {mean}");
            assert!(
                (var.sqrt() / std - 1.0).abs() < 0.01,
                "std {} vs {std}",
                var.sqrt()
            );
        }
        assert!(gaussian_values(&mut rng, 10, 0.0).iter().all(|x| *x == 0.0));
    }
}
