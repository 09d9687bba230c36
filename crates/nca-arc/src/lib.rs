//! Neural cellular automata on the Abstraction and Reasoning Corpus: an automaton learns each
//! task from its two to five demonstration pairs alone and must produce the test output
//! exactly, within two attempts.
//!
//! - [`grid`]: the ARC JSON task format (1-D and 2-D grids, colours 0–9).
//! - [`model`]: what a cell holds, the encoding of grids as states and the architecture.
//! - [`solve`]: the training method and the two attempts.
//! - [`eval`]: a benchmark folder solved task by task, in parallel and resumably.

#![warn(missing_docs)]

pub mod adam;
pub mod augment;
pub mod checkpoint;
pub mod error;
pub mod eval;
pub mod grid;
pub mod info;
pub mod model;
pub mod solve;

pub use error::{ArcError, Result};
pub use grid::{ArcTask, Grid, Pair, read_tasks, task_files};
pub use model::ArcModel;
pub use nca_fast::NcaParams;
pub use solve::{Answer, Augment, SolverConfig, Trained, solve, solve_seeds, train};
