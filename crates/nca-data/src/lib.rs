//! Data for `nca`: IDX data sets (MNIST, Fashion-MNIST), PNG targets, data-directory resolution,
//! downloads with checksum verification, and atomic file output.

pub mod fsio;

pub use fsio::{WriteError, write_atomic};
