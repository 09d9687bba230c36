//! The library's errors as Python exceptions: `OSError` for files and folders that cannot be
//! read or written, `ValueError` for everything a caller passed wrong (a malformed file among
//! them), each with the library's one-line message.

use nca::NcaError;
use nca_data::DataError;
use pyo3::PyErr;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};

/// Maps a library error to the Python exception a caller expects.
pub fn to_py(e: NcaError) -> PyErr {
    match &e {
        NcaError::Io { .. } | NcaError::Write(_) => PyOSError::new_err(e.to_string()),
        NcaError::Data(
            DataError::Io { .. }
            | DataError::MnistNotFound { .. }
            | DataError::DataDirMissing { .. }
            | DataError::NoDataDir
            | DataError::Write(_),
        ) => PyOSError::new_err(e.to_string()),
        NcaError::Checkpoint { why, .. } if why.starts_with("cannot read") => {
            PyOSError::new_err(e.to_string())
        }
        NcaError::Diverged(_) => PyRuntimeError::new_err(e.to_string()),
        NcaError::Interrupted(_) => PyKeyboardInterrupt::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// `ValueError(message)`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// Shorthand for results whose error is a library error.
pub trait OrPy<T> {
    /// The value, or the Python exception for the error.
    fn or_py(self) -> pyo3::PyResult<T>;
}

impl<T> OrPy<T> for nca::Result<T> {
    fn or_py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
