//! The crate's one error type: a one-line message.

nca_fast::message_error! {
    /// Why a checkpoint could not be read or a model could not run. The message is one line.
    ModelError
}

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
