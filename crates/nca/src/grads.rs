//! Gradient post-processing before the optimiser step: per-variable normalisation (each
//! parameter tensor's gradient divided by its own L2 norm, as in the Distill NCA notebooks) and
//! clipping by the global norm (as in the PyTorch tutorial).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// How gradients are treated before the optimiser step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GradPolicy {
    /// Leave them as they are.
    None,
    /// Divide each parameter's gradient by its own L2 norm (+1e-8).
    #[default]
    PerVariable,
    /// Scale all gradients down so that their global L2 norm is at most `max_norm`.
    ClipGlobal {
        /// The largest global norm allowed.
        max_norm: f32,
    },
}

/// Calls `f` with every float parameter's gradient that is present, replacing it by the result.
fn map_grads<M: Module>(
    model: &M,
    grads: &mut GradientsParams,
    f: &mut dyn FnMut(Tensor<1>) -> Tensor<1>,
) {
    struct Mapper<'a> {
        grads: &'a mut GradientsParams,
        f: &'a mut dyn FnMut(Tensor<1>) -> Tensor<1>,
    }
    impl ModuleVisitor for Mapper<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                let shape = g.dims();
                let flat: Tensor<1> = g.reshape([shape.iter().product::<usize>()]);
                let out: Tensor<D> = (self.f)(flat).reshape(shape);
                self.grads.register(param.id, out);
            }
        }
    }
    model.visit(&mut Mapper { grads, f });
}

/// The L2 norm of each parameter's gradient, in visiting order (parameters without gradient
/// are skipped).
pub fn grad_norms<M: Module>(model: &M, grads: &mut GradientsParams) -> Vec<f32> {
    let mut norms = Vec::new();
    map_grads(model, grads, &mut |g| {
        norms.push(g.clone().square().sum().sqrt().into_scalar::<f32>());
        g
    });
    norms
}

/// Applies `policy` to `grads` and returns the global gradient norm before it was applied.
pub fn apply_grad_policy<M: Module>(
    model: &M,
    grads: &mut GradientsParams,
    policy: GradPolicy,
) -> f32 {
    let norms = grad_norms(model, grads);
    let global = norms.iter().map(|n| n * n).sum::<f32>().sqrt();
    match policy {
        GradPolicy::None => {}
        GradPolicy::PerVariable => {
            let mut it = norms.into_iter();
            map_grads(model, grads, &mut |g| {
                let n = it.next().unwrap_or(1.0);
                g.div_scalar(n + 1e-8)
            });
        }
        GradPolicy::ClipGlobal { max_norm } => {
            if global > max_norm {
                let scale = max_norm / (global + 1e-6);
                map_grads(model, grads, &mut |g| g.mul_scalar(scale));
            }
        }
    }
    global
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::CellMlp;
    use burn::tensor::{Device, Distribution};

    fn grads_of(model: &CellMlp, dev: &Device) -> GradientsParams {
        let x = Tensor::<4>::random([2, 3, 4, 4], Distribution::Default, dev);
        let loss = model.forward(x).square().sum();
        GradientsParams::from_grads(loss.backward(), model)
    }

    #[test]
    fn per_variable_normalisation_gives_unit_norms() {
        let dev = Device::flex().autodiff();
        let model = CellMlp::new(&[3, 8, 2], false, &dev);
        let mut g = grads_of(&model, &dev);
        let before = grad_norms(&model, &mut g);
        assert_eq!(before.len(), 4);
        let global = apply_grad_policy(&model, &mut g, GradPolicy::PerVariable);
        let want = before.iter().map(|n| n * n).sum::<f32>().sqrt();
        assert!((global - want).abs() < 1e-4 * want);
        for n in grad_norms(&model, &mut g) {
            assert!((n - 1.0).abs() < 1e-4, "{n}");
        }
    }

    #[test]
    fn global_clipping_caps_the_norm() {
        let dev = Device::flex().autodiff();
        let model = CellMlp::new(&[3, 8, 2], false, &dev);
        let mut g = grads_of(&model, &dev);
        let global = apply_grad_policy(&model, &mut g, GradPolicy::ClipGlobal { max_norm: 1e-3 });
        assert!(global > 1e-3);
        let after = grad_norms(&model, &mut g)
            .iter()
            .map(|n| n * n)
            .sum::<f32>()
            .sqrt();
        assert!((after - 1e-3).abs() < 1e-5, "{after}");
    }
}
