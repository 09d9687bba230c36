//! `nca-models`: the Burn-free description of the cellular models `nca` trains and ships, so
//! they run anywhere `nca-fast` runs — natively, or compiled to `wasm32-unknown-unknown` for the
//! browser playground (`crates/nca-web`).
//!
//! - [`checkpoint`]: a checkpoint's bytes (safetensors weights, f32 or f16, and the JSON
//!   metadata `nca` writes) parsed without Burn;
//! - [`classify`], [`grow`], [`refine`]: per family the configuration with the same serde
//!   field names and defaults as `nca`'s, the `nca_fast` spec built from it, the weights in the
//!   engine's layout ([`ClassifyModel`], [`GrowModel`], [`RefineModel`]) and the family's helpers
//!   (seed, cuts, mutation, votes, templates and verdict);
//! - [`masks`]: fire masks and Gaussian noise drawn from a seeded `StdRng` in exactly the order
//!   `nca` draws them, so for the same seed a run here equals `nca`'s (tested in
//!   `crates/nca-cli/tests/portable_equality.rs`);
//! - [`stepper`]: a state advanced one tick at a time ([`Stepper`]);
//! - [`digit`]: a drawing cropped, squared and scaled to an MNIST-like 28×28 digit (the one
//!   copy: `nca_data` re-exports it for `load_digit_png`).
//!
//! ```
//! use nca_models::{Stepper, grow};
//!
//! let cfg = grow::GrowConfig { hidden: 8, ..Default::default() };
//! let spec = grow::engine_spec(&cfg);
//! let params = nca_fast::NcaParams::zeros(&spec);
//! let side = 9;
//! let state = grow::seed_state(cfg.channels, side);
//! let mut s = Stepper::new(spec, params, state, [1, side, side], cfg.fire_rate, 7).unwrap();
//! s.run(3).unwrap();
//! assert_eq!(s.ticks, 3);
//! assert_eq!(s.state, grow::seed_state(cfg.channels, side)); // zero weights: nothing changes
//! ```

#![warn(missing_docs)]

pub mod checkpoint;
pub mod classify;
pub mod digit;
pub mod error;
pub mod grow;
pub mod masks;
pub mod refine;
pub mod stepper;

pub use checkpoint::Checkpoint;
pub use classify::ClassifyModel;
pub use error::{ModelError, Result};
pub use grow::GrowModel;
pub use refine::RefineModel;
pub use stepper::Stepper;

pub use nca_fast;
