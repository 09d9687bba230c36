//! The library's error type: every failure a user can cause ends up here with one clear line.

use std::path::PathBuf;

/// Anything that can go wrong in the `nca` library, each with a one-line message.
#[derive(Debug, thiserror::Error)]
pub enum NcaError {
    /// A configuration value is out of its valid range.
    #[error("invalid {what}: {why}")]
    InvalidConfig {
        /// The field or option at fault.
        what: String,
        /// Why it is rejected.
        why: String,
    },
    /// A checkpoint could not be read or does not fit.
    #[error("checkpoint {path}: {why}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Writing an output failed.
    #[error(transparent)]
    Write(#[from] nca_data::WriteError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Training diverged and could not be recovered.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// The caller asked a run to stop (e.g. Ctrl-C in a notebook); a trainer saves a checkpoint
    /// first, so `--resume` carries on from where it stopped.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A classic cellular automaton input (rule, pattern, grid) is invalid.
    #[error(transparent)]
    Life(#[from] crate::life::LifeError),
    /// A data set or image could not be loaded.
    #[error(transparent)]
    Data(#[from] nca_data::DataError),
    /// A model description (configuration, checkpoint bytes) is invalid.
    #[error(transparent)]
    Model(#[from] nca_models::ModelError),
}

impl NcaError {
    /// Shorthand for [`NcaError::InvalidConfig`].
    pub fn config(what: impl Into<String>, why: impl Into<String>) -> Self {
        NcaError::InvalidConfig {
            what: what.into(),
            why: why.into(),
        }
    }

    /// Shorthand for an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NcaError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias used across the library.
pub type Result<T, E = NcaError> = std::result::Result<T, E>;
