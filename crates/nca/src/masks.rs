//! The two "alive" rules of the papers on Burn tensors (a threshold on a channel, or a 3x3
//! max-pool of alpha). Fire masks are drawn as plain data by `nca_models::masks` (through
//! [`crate::ca::CaConfig::draw_ticks`]), so both engines get the same masks.

use burn::tensor::Tensor;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;

/// Cells whose `channel` exceeds `threshold` (self-classifying MNIST: pixel > 0.1), as a float
/// `[B, 1, H, W]` mask. Not differentiable (the mask is a constant for the gradient).
pub fn alive_threshold(state: Tensor<4>, channel: usize, threshold: f32) -> Tensor<4> {
    let [b, _, h, w] = state.dims();
    state
        .slice([0..b, channel..channel + 1, 0..h, 0..w])
        .greater_elem(threshold)
        .float()
        .detach()
}

/// Cells with any 3x3 neighbour whose `channel` exceeds `threshold` (Growing NCA: alpha > 0.1),
/// as a float `[B, 1, H, W]` mask. Not differentiable.
pub fn alive_maxpool(state: Tensor<4>, channel: usize, threshold: f32) -> Tensor<4> {
    let [b, _, h, w] = state.dims();
    let a = state
        .slice([0..b, channel..channel + 1, 0..h, 0..w])
        .detach();
    let pooled = max_pool2d(
        a,
        MaxPoolOptions::new([3, 3])
            .with_stride([1, 1])
            .with_padding([1, 1]),
    );
    pooled.greater_elem(threshold).float()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use rand::SeedableRng;

    #[test]
    fn fire_rate_is_respected() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let v = nca_models::masks::fire_mask(&mut rng, 4 * 50 * 50, 0.5);
        let share = v.iter().map(|&x| f32::from(x)).sum::<f32>() / v.len() as f32;
        assert!((share - 0.5).abs() < 0.02, "{share}");
        assert!(v.iter().all(|x| *x <= 1));
    }

    #[test]
    fn maxpool_alive_spreads_one_cell() {
        let dev = Device::flex();
        let mut s = vec![0.0f32; 2 * 5 * 5];
        s[25 + 12] = 0.5; // channel 1, centre
        let state = Tensor::<4>::from_data(TensorData::new(s, [1, 2, 5, 5]), &dev);
        let m: Vec<f32> = alive_maxpool(state.clone(), 1, 0.1)
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(m.iter().sum::<f32>(), 9.0);
        assert_eq!(m[0], 0.0);
        assert_eq!(m[6], 1.0);
        let t: Vec<f32> = alive_threshold(state, 1, 0.1)
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(t.iter().sum::<f32>(), 1.0);
    }
}
