//! Classic cellular automata: the discrete ancestors of neural CA, used as a baseline, a test
//! bed and a source of training targets: two-dimensional Life-like rules, Wolfram's
//! one-dimensional elementary rules and continuous Lenia.
//!
//! - [`Rule`]: birth/survival counts, parsed from B/S notation (`"B3/S23"`, `"S23/B3"`, `"23/3"`)
//!   or a name (`life`, `highlife`, `seeds`, `daynight`).
//! - [`Pattern`]: a rectangle of cells read from and written to RLE, with built-in classics
//!   via [`Pattern::named`] (glider, blinker, toad, beacon, lwss, r-pentomino, diehard, acorn,
//!   gosper-glider-gun).
//! - [`Grid`]: a finite board on a [`Topology::Torus`] or with dead borders
//!   ([`Topology::Bounded`]), seeded by placing patterns or as a random soup, advanced with
//!   [`Grid::step`].
//! - [`EcaRule`], [`Eca`], [`EcaBoundary`]: elementary cellular automata, one row of cells
//!   under one of Wolfram's 256 rules (`"30"`, `"rule110"`), ends wrapped or held at a fixed
//!   value, run into a space-time diagram with [`Eca::run`] (see [`eca`]).
//!
//! ```
//! use nca_life::{Grid, Pattern, Rule, Topology};
//!
//! let mut grid = Grid::new(16, 16, Topology::Torus)?;
//! grid.place(&Pattern::named("glider")?, 1, 1)?;
//! let later = grid.run(&"B3/S23".parse::<Rule>()?, 4);
//! assert_eq!(later.population(), 5);
//! # Ok::<(), nca_life::LifeError>(())
//! ```
//!
//! - [`Lenia`]: continuous cellular automata (one or more channels and ring kernels, FFT
//!   convolutions on a torus), with shipped [`LeniaPattern`]s such as Orbium
//!   ([`lenia::lenia_pattern`]).
//!
//! Every fallible function returns [`LifeError`], whose messages are one line; bad input is an
//! error, never a panic.

#![warn(missing_docs)]

pub mod eca;
pub mod error;
pub mod grid;
pub mod lenia;
pub mod pattern;
pub mod patterns;
pub mod rule;

#[cfg(test)]
mod eca_tests;
#[cfg(test)]
mod lenia_tests;
#[cfg(test)]
mod tests;

pub use eca::{
    Eca, EcaBoundary, EcaRule, MAX_ECA_CELLS, MAX_ECA_STEPS, MAX_ECA_WIDTH, check_eca_run,
};
pub use error::LifeError;
pub use grid::{Grid, MAX_CELLS, MAX_SIDE, Topology};
pub use lenia::{Lenia, LeniaError, LeniaParams, LeniaPattern};
pub use pattern::Pattern;
pub use patterns::pattern_names;
pub use rule::Rule;
