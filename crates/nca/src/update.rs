//! The per-cell update network: an MLP applied to every cell independently, written as 1x1
//! convolutions. The last layer can start at zero so that a fresh model does nothing.

use burn::module::Module;
use burn::nn::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// A stack of 1x1 convolutions with ReLU between them (none after the last).
#[derive(Module, Debug)]
pub struct CellMlp {
    /// The layers, input first.
    pub layers: Vec<Conv2d>,
}

impl CellMlp {
    /// An MLP with widths `dims[0] → dims[1] → … → dims[n]`; `zero_last` zero-initialises the last
    /// layer's weight and bias (the "do nothing at first" trick of the NCA papers).
    pub fn new(dims: &[usize], zero_last: bool, device: &Device) -> Self {
        let n = dims.len().saturating_sub(1);
        let layers = (0..n)
            .map(|i| {
                let mut cfg = Conv2dConfig::new([dims[i], dims[i + 1]], [1, 1]);
                if zero_last && i + 1 == n {
                    cfg = cfg.with_initializer(Initializer::Zeros);
                }
                cfg.init(device)
            })
            .collect();
        Self { layers }
    }

    /// `[B, in, H, W]` → `[B, out, H, W]`.
    pub fn forward(&self, mut x: Tensor<4>) -> Tensor<4> {
        let n = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i + 1 < n {
                x = relu(x);
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_update_has_8336_parameters_and_starts_at_zero() {
        let dev = Device::flex();
        let mlp = CellMlp::new(&[48, 128, 16], true, &dev);
        assert_eq!(mlp.num_params(), 48 * 128 + 128 + 128 * 16 + 16);
        assert_eq!(mlp.num_params(), 8336);
        let y = mlp.forward(Tensor::<4>::ones([1, 48, 4, 4], &dev));
        let s: f32 = y.abs().sum().into_scalar();
        assert_eq!(s, 0.0);
    }

    #[test]
    fn mlp_is_per_cell() {
        let dev = Device::flex();
        let mlp = CellMlp::new(&[3, 8, 2], false, &dev);
        let x = Tensor::<4>::random([1, 3, 4, 4], burn::tensor::Distribution::Default, &dev);
        let y = mlp.forward(x.clone());
        // Changing one cell changes only that cell's output.
        let x2 = x.slice_assign(
            [0..1, 0..3, 0..1, 0..1],
            Tensor::<4>::ones([1, 3, 1, 1], &dev),
        );
        let y2 = mlp.forward(x2);
        let d: Vec<f32> = (y - y2).abs().sum_dim(1).into_data().try_to_vec().unwrap();
        assert!(d[1..].iter().all(|v| *v == 0.0), "{d:?}");
    }
}
