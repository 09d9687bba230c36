//! Convolutional-attention NCA trained on one long, noisy trajectory.
//!
//! **Method.** The state is an image (3 RGB channels by default, optionally followed by hidden
//! channels the loss ignores). One transition is `s ← s + f(s)`, and `f` is local attention:
//! each cell maps its own state to a query and every cell of its 3x3 neighbourhood (itself
//! included) to a key and a value, all by learned linear maps (1x1 convolutions with bias) to a
//! small width (16). A neighbour's score is the dot product of the query with its key, divided
//! by √width as in Transformer attention; a softmax over the nine scores gives the weights, the
//! weighted sum of the values is mapped linearly back to the state's channels, and that is the
//! update. The output map starts at zero, so a fresh model leaves the state as it is (the other
//! weights start with PyTorch's default initialisation).
//!
//! - *Borders.* Cells beyond the grid are zero-padded and *masked out*: their scores are set to a
//!   large negative number, so their softmax weight is exactly 0 and a border cell attends over
//!   the 4 or 6 neighbours it has. No padded key or value ever reaches the output.
//! - *Relative position.* Attention over content alone cannot tell a cell from its neighbours:
//!   its output is a content-weighted average of the neighbourhood, a blur, which cannot remove
//!   pixel-level noise (and a model that learns to correct the mean through a blur amplifies
//!   the stripe patterns the blur inverts). We therefore give attention the neighbour's offset:
//!   a learned embedding of each of the nine offsets is added to its key (query-dependent, as in
//!   stand-alone self-attention), and a learned bias per offset is added to its score, starting
//!   at +2 for the cell itself and 0 for the others, so a fresh model gives itself about half its
//!   attention. Without them (`relative_position: false`) the doc's uniform-red test fails: with
//!   seed 42 the lowest loss of 1,000 steps is 0.90 (ε is 0.001).
//!
//! With the defaults the model has 396 parameters: query, key and value 3 → 16 (64 each),
//! output 16 → 3 (51), offset embeddings 9 × 16 (144), offset biases 9.
//!
//! **Training.** There is no pool and no batch: a single trajectory starts from standard
//! Gaussian noise and runs for the whole training. Every step adds small noise N(0, σ_small²)
//! to the state, applies one transition, and measures the mean squared error of the image
//! channels to the target. Gradients flow through this one transition only: the state a step
//! starts from is detached, so no gradient ever crosses from one step into the previous one.
//! Adam (learning rate 1e-3, PyTorch's betas and ε) takes one step per transition. Whenever the
//! loss is below ε, the state the next step starts from — the step's output — gets a large
//! noise spike N(0, σ_large²) on every channel, which throws it off the target and simulates the
//! start of a new trajectory. Defaults: σ_small 0.01, σ_large 0.1, ε 0.001. A run stops after a
//! number of steps or of spikes. It trains on the shared trainer like every family: the
//! trajectory's state is saved with each checkpoint, so `--resume` continues a run exactly, and
//! the NaN guard reloads the last good checkpoint.
//!
//! Because the rule is the same at every cell and the gradient never looks further than one
//! step, the model learns to pull each cell towards what its neighbourhood predicts. A uniform
//! target is reached within a few hundred steps; a picture such as an emoji is not grown from
//! noise: the trajectory settles on the target's mean colour.
//!
//! - [`model`]: the configuration, the attention transition and checkpoint loading;
//! - [`target`]: uniform-colour and PNG targets;
//! - [`train`]: the trajectory as a trainer task, and one training step;
//! - [`run`]: a training run on disk (config, per-step metrics, checkpoints, report).

pub mod model;
pub mod onnx;
pub mod run;
pub mod target;
pub mod train;

pub use model::{AttentionConfig, AttentionNca, load_checkpoint};
pub use run::{AttentionReport, Start, train_run};
pub use target::{AttentionTarget, parse_colour};
pub use train::{AttentionTask, AttentionTrainConfig, trainer_config};

/// The family name in checkpoints.
pub const FAMILY: &str = "attention";
