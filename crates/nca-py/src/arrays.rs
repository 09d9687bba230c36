//! NumPy arrays in and out. Inputs are copied once into the engine's buffer (the engine updates
//! states in place); outputs hand the engine's buffer to NumPy without a copy.

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::value_error;

/// How an argument's dtype and shape read in an error message.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    match (obj.getattr("dtype"), obj.getattr("shape")) {
        (Ok(d), Ok(s)) => format!("dtype {d}, shape {s}"),
        _ => format!(
            "a {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ),
    }
}

/// A float32 C-contiguous array of `rank` dimensions read from `obj` (named `what` in errors):
/// its shape and a copy of its values.
pub fn f32_array(
    obj: &Bound<'_, PyAny>,
    what: &str,
    rank: usize,
) -> PyResult<(Vec<usize>, Vec<f32>)> {
    let arr: PyReadonlyArrayDyn<'_, f32> = obj.extract().map_err(|_| {
        value_error(format!(
            "{what} must be a numpy float32 array of {rank} dimensions, got {}",
            describe(obj)
        ))
    })?;
    let shape = arr.shape().to_vec();
    if shape.len() != rank {
        return Err(value_error(format!(
            "{what} must have {rank} dimensions, got shape {shape:?}"
        )));
    }
    let values = arr.as_slice().map_err(|_| {
        value_error(format!(
            "{what} must be C-contiguous (use numpy.ascontiguousarray)"
        ))
    })?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(value_error(format!(
            "{what} holds a non-finite value (NaN or Inf at flat index {i})"
        )));
    }
    Ok((shape, values.to_vec()))
}

/// Labels 0..`classes` from a sequence or integer array.
pub fn labels(obj: &Bound<'_, PyAny>, classes: usize) -> PyResult<Vec<u8>> {
    let v: Vec<i64> = obj.extract().map_err(|_| {
        value_error(format!(
            "labels must be a sequence of integers, got {}",
            describe(obj)
        ))
    })?;
    v.iter()
        .map(|&l| {
            u8::try_from(l)
                .ok()
                .filter(|&l| (l as usize) < classes)
                .ok_or_else(|| value_error(format!("label {l} is not in 0..{classes}")))
        })
        .collect()
}

/// `values` as a NumPy array of `shape`, without a copy.
pub fn to_numpy<'py, T: numpy::Element>(
    py: Python<'py>,
    shape: &[usize],
    values: Vec<T>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), values)
        .map_err(|e| value_error(format!("internal shape mismatch: {e}")))?;
    Ok(a.into_pyarray(py))
}
