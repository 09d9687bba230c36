//! Perception: how a cell sees its 3x3 neighbourhood before it decides on an update.
//!
//! Two kinds exist, as in the papers: fixed depthwise filters (identity, Sobel x/y and
//! optionally a Laplacian, applied to every channel separately, as in Growing NCA) and a learned
//! 3x3 convolution (as in Self-classifying MNIST). Borders are zero-padded ("SAME").

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

pub use nca_models::grow::{IDENTITY, LAPLACIAN, PerceptionKind, SOBEL_X, SOBEL_Y};

/// Fixed depthwise perception: every filter is applied to every channel on its own. Output
/// channel `c * K + k` is filter `k` applied to input channel `c`.
#[derive(Module, Debug)]
pub struct FixedPerception {
    /// The filters, row-major 3x3 each (not trainable, rebuilt as a tensor per call).
    #[module(skip)]
    pub filters: Vec<[f32; 9]>,
    /// Number of state channels.
    #[module(skip)]
    pub channels: usize,
}

impl FixedPerception {
    /// Perception with the given filters over `channels` state channels.
    pub fn new(filters: Vec<[f32; 9]>, channels: usize) -> Self {
        Self { filters, channels }
    }

    /// Number of features per cell: channels × filters.
    pub fn out_channels(&self) -> usize {
        self.channels * self.filters.len()
    }

    /// The depthwise weight `[C*K, 1, 3, 3]`.
    pub fn weight(&self, device: &Device) -> Tensor<4> {
        let k = self.filters.len();
        let mut w = Vec::with_capacity(self.channels * k * 9);
        for _ in 0..self.channels {
            for f in &self.filters {
                w.extend_from_slice(f);
            }
        }
        Tensor::from_data(TensorData::new(w, [self.channels * k, 1, 3, 3]), device)
    }

    /// `[B, C, H, W]` → `[B, C*K, H, W]`.
    pub fn forward(&self, state: Tensor<4>) -> Tensor<4> {
        let w = self.weight(&state.device());
        conv2d(
            state,
            w,
            None,
            ConvOptions::new([1, 1], [1, 1], [1, 1], self.channels),
        )
    }
}

/// A learned 3x3 convolution, zero-padded, `C → out` features.
pub fn learned_perception(channels: usize, out: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([channels, out], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device::flex()
    }

    #[test]
    fn sobel_sees_a_vertical_edge() {
        // One channel, 3x4 grid: left two columns 0, right two columns 1.
        let x = Tensor::<4>::from_data(
            TensorData::new(
                vec![0., 0., 1., 1., 0., 0., 1., 1., 0., 0., 1., 1.],
                [1, 1, 3, 4],
            ),
            &dev(),
        );
        let p = FixedPerception::new(PerceptionKind::Sobel.filters(), 1);
        let y: Vec<f32> = p.forward(x).into_data().try_to_vec().unwrap();
        // Identity channel equals the input.
        assert_eq!(&y[0..4], &[0., 0., 1., 1.]);
        // Sobel x at the middle row, column 1: (1*2 + 1 + 1) / 8 = 0.5.
        let sx = &y[12..24];
        assert!((sx[4 + 1] - 0.5).abs() < 1e-6, "{sx:?}");
        // Sobel y is zero in the middle row (no vertical change).
        let sy = &y[24..36];
        assert!(sy[4..8].iter().all(|v| v.abs() < 1e-6), "{sy:?}");
    }

    #[test]
    fn laplacian_of_constant_is_zero_inside() {
        let x = Tensor::<4>::ones([1, 2, 5, 5], &dev());
        let p = FixedPerception::new(PerceptionKind::SobelLaplacian.filters(), 2);
        assert_eq!(p.out_channels(), 8);
        let y: Vec<f32> = p.forward(x).into_data().try_to_vec().unwrap();
        let lap_c1 = &y[7 * 25..8 * 25];
        assert!(lap_c1[12].abs() < 1e-6);
        assert!(lap_c1[0] < 0.0, "zero padding makes the corner negative");
    }

    #[test]
    fn learned_perception_has_expected_parameter_count() {
        let conv = learned_perception(20, 80, &dev());
        assert_eq!(conv.num_params(), 20 * 80 * 9 + 80);
        let y = conv.forward(Tensor::<4>::zeros([2, 20, 7, 7], &dev()));
        assert_eq!(y.dims(), [2, 80, 7, 7]);
    }
}
