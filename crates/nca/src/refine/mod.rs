//! The digit refiner: fifty distinct local rules rewrite a handwritten digit, one image at a
//! time, into the mean image of its class.
//!
//! **Method.** The state is nothing but images. Step `t` (t = 1..50) has its own rule, a small
//! convolutional block: it stacks the input digit and the `t-1` images made before it as
//! channels, applies a 9x9 convolution (zero padding 4, so a pixel sees only its radius-4
//! neighbourhood) to `width` feature maps (16 in the original), a ReLU, a 1x1 convolution to one
//! map and a sigmoid, and that is image `y_t`. There is no hidden state: whatever a later step
//! knows, an earlier step had to draw. Block `t` has `t·width·81 + width` parameters in its 9x9
//! convolution and `width + 1` in its 1x1; at width 16 the fifty blocks hold 1,654,050.
//! Weights start Kaiming-normal (fan-in, ReLU gain), biases at zero, as in the original.
//!
//! The targets are the ten *templates*: the mean training image of each digit. Training
//! minimises the mean squared error between `y_t` and the label's template at every fifth step
//! (5, 10, ..., 50; averaged over those ten) plus 0.1 × the mean absolute change between
//! consecutive images (averaged over the 49 pairs), which keeps the evolution smooth. Adam at
//! 5e-4 without gradient normalisation, batches of 256 drawn epoch by epoch from a shuffled
//! training set.
//!
//! The *verdict* on an image is the template it resembles most by cosine similarity: the argmax
//! is the digit, its cosine the confidence. Applied to `y_50` it classifies the input; applied
//! to every `y_t` it shows when the rules make up their mind; applied to the raw input it is the
//! baseline the refiner must beat. The original reports no accuracy; [`eval`] measures it on
//! the 10,000 test digits.
//!
//! - [`model`]: configuration, the blocks and the forward pass;
//! - [`templates`]: the per-digit mean images, their file format, and the verdict;
//! - [`task`]: the loss and the training task for the shared trainer;
//! - [`eval`]: accuracy of the verdict after every step;
//! - [`spectral`]: the same network on `nca-fast`'s spectral engine (FFT convolutions, ~20×
//!   faster training on CPU than Burn's direct convolutions);
//! - [`onnx`]: export in the original's ONNX layout (input `x`, outputs `out00`..`out49`).

pub mod eval;
pub mod model;
pub mod onnx;
pub mod spectral;
pub mod task;
pub mod templates;

pub use model::{RefineConfig, RefineNca, load_checkpoint};
pub use task::RefineTask;
pub use templates::{Templates, Verdict, verdict};

/// The family name in checkpoints.
pub const FAMILY: &str = "refine";
