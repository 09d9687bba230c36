//! Data for `nca`: IDX data sets (MNIST, Fashion-MNIST), PNG targets, data-directory resolution,
//! downloads with checksum verification, and atomic file output.
//!
//! Modules, one job each:
//! - [`idx`]: reads and checks IDX files (`idx1` labels, `idx3` images), raw or gzip.
//! - [`mnist`]: the MNIST file layout; [`load_split`] loads the train or test split of MNIST or
//!   Fashion-MNIST from a directory or its `mnist/` subdirectory.
//! - [`info`]: [`dataset_info`] summarises a data set (sizes, label histograms), serialisable.
//! - [`datadir`]: [`resolve_data_dir`] picks the data directory: `--data DIR`, else the
//!   `NCA_DATA` environment variable, else `$HOME/.cache/nca`.
//! - [`fetch`]: [`fetch_mnist`] downloads MNIST and checks its md5 sums; [`verify_mnist`] checks
//!   files already there.
//! - [`png`]: PNG decoding with clear errors, shared by the two image modules below.
//! - [`image_target`]: [`load_target`] turns a PNG into a padded, premultiplied RGBA growth target.
//! - [`digit_image`]: [`load_digit_png`] turns a user's picture of a digit into a 28×28
//!   MNIST-like input.
//! - [`fsio`]: [`write_atomic`], the only way the project writes files.
//! - [`error`]: [`DataError`], whose messages are one line naming the file and the problem.
//!
//! Nothing here panics on bad input: every malformed file, missing directory or failed download
//! is a [`DataError`].

#![warn(missing_docs)]

/// In tests: unwraps the error of `$result`, asserts that it matches `$pattern` (showing the
/// message when it does not) and evaluates to it.
#[cfg(test)]
macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {{
        let e = $result.unwrap_err();
        assert!(matches!(e, $pattern), "{e}");
        e
    }};
}

pub mod datadir;
pub mod digit_image;
pub mod error;
pub mod fetch;
pub mod fsio;
pub mod idx;
pub mod image_target;
pub mod info;
pub mod mnist;
pub mod png;

pub use datadir::{DATA_ENV_VAR, DataDirSource, DataEnv, choose_data_dir, resolve_data_dir};
pub use digit_image::{DIGIT_SIDE, load_digit_png};
pub use error::{DataError, Result};
pub use fetch::{
    FetchAction, FetchReport, FetchedFile, FileCheck, MNIST_BASE_URLS, fetch_mnist,
    fetch_mnist_from, verify_mnist,
};
/// In tests: the shared data folder named by `NCA_DATA`, or `None` (after a note that `what` is
/// skipped) when it is unset; under CI (`CI` set) a missing `NCA_DATA` fails the test instead,
/// so a skipped test cannot pass there.
#[cfg(test)]
pub(crate) fn test_data_dir(what: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os("NCA_DATA") {
        Some(d) => Some(d.into()),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set but NCA_DATA is not: {what} cannot run")
        }
        None => {
            eprintln!("skipped {what}: NCA_DATA is not set (point it at the shared data folder)");
            None
        }
    }
}

pub use fsio::{WriteError, write_atomic};
pub use idx::{IdxImages, IdxLabels, read_idx_images, read_idx_labels};
pub use image_target::{Target, load_target, target_from_image};
pub use info::{DatasetInfo, SplitInfo, dataset_info};
pub use mnist::{NUM_CLASSES, Split, SplitName, load_split, mnist_dir};
