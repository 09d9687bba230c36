//! The crate's one error type: a one-line message.

use std::fmt;

/// Why a checkpoint could not be read or a model could not run. The message is one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError(pub String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

impl From<nca_fast::ShapeError> for ModelError {
    fn from(e: nca_fast::ShapeError) -> Self {
        ModelError(format!("engine: {e}"))
    }
}

/// Shorthand for `Result<T, ModelError>`.
pub type Result<T> = std::result::Result<T, ModelError>;

/// `Err(ModelError(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::ModelError(format!($($arg)*))) };
}
pub(crate) use bail;
