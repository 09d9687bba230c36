//! Seeded parameter initialisation, so that a run's `--seed` fixes its starting weights.
//!
//! [`torch_default`] gives every convolution PyTorch's default initialisation (weights and
//! biases uniform in ±1/√fan_in), the one the reference implementations use. Parameters that
//! are all zero (zero-initialised last layers) stay zero.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

/// Re-draws every parameter of `model` from `rng` as PyTorch's default conv/linear init does.
/// A bias uses the fan-in of the weight visited just before it.
pub fn torch_default<M: Module>(model: M, rng: &mut impl Rng) -> M {
    struct Init<'a, R: Rng> {
        rng: &'a mut R,
        fan_in: usize,
    }
    impl<R: Rng> ModuleMapper for Init<'_, R> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, value, mapper) = param.consume();
            let dims = value.dims();
            if D >= 2 {
                self.fan_in = dims[1..].iter().product();
            }
            let all_zero = value.clone().abs().max().into_scalar::<f32>() == 0.0;
            if all_zero || self.fan_in == 0 {
                return Param::from_mapped_value(id, value, mapper);
            }
            let bound = 1.0 / (self.fan_in as f32).sqrt();
            let n: usize = dims.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|_| self.rng.random_range(-bound..bound))
                .collect();
            let t = Tensor::from_data(TensorData::new(v, dims), &value.device());
            let t = t.set_require_grad(value.is_require_grad());
            Param::from_mapped_value(id, t, mapper)
        }
    }
    model.map(&mut Init { rng, fan_in: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::CellMlp;
    use burn::tensor::Device;
    use rand::SeedableRng;

    fn values(m: &CellMlp) -> Vec<Vec<f32>> {
        m.layers
            .iter()
            .flat_map(|l| {
                [
                    l.weight.val().into_data().try_to_vec::<f32>().unwrap(),
                    l.bias
                        .as_ref()
                        .unwrap()
                        .val()
                        .into_data()
                        .try_to_vec::<f32>()
                        .unwrap(),
                ]
            })
            .collect()
    }

    #[test]
    fn same_seed_same_weights_and_zero_layers_stay_zero() {
        let dev = Device::flex();
        let init = |seed| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            torch_default(CellMlp::new(&[4, 8, 3], true, &dev), &mut rng)
        };
        let (a, b, c) = (values(&init(1)), values(&init(1)), values(&init(2)));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(
            a[2].iter().chain(&a[3]).all(|v| *v == 0.0),
            "last layer stays zero"
        );
        let bound = 1.0 / 4f32.sqrt();
        assert!(a[0].iter().chain(&a[1]).all(|v| v.abs() <= bound));
        assert!(a[0].iter().any(|v| v.abs() > bound * 0.5));
    }
}
