//! The crate's error: one line naming the file or setting at fault.

use std::path::PathBuf;

/// What can go wrong reading tasks or configuring a solver.
#[derive(Debug, thiserror::Error)]
pub enum ArcError {
    /// A file or folder could not be read.
    #[error("{}: {msg}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        msg: String,
    },
    /// A task file is malformed.
    #[error("{}: {msg}", path.display())]
    Task {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the grid.
        msg: String,
    },
    /// A solver setting is out of range.
    #[error("setting {name}: {msg}")]
    Setting {
        /// The setting's name.
        name: &'static str,
        /// What is wrong.
        msg: String,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, ArcError>;
