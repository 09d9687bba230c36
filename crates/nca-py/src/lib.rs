//! `nca` from Python: the extension module `nca._native` under the pure-Python package
//! `python/nca` (the `nca-rs` wheel, built by maturin).
//!
//! Everything here is a thin layer over the Rust library, with no second implementation:
//! [`model`] wraps every family's checkpoint (load, step, rollout, evaluate), [`train`] the
//! trainer, [`life`] the classic automata; [`arrays`] moves NumPy arrays in and out and
//! [`errors`] turns the library's errors into Python exceptions. Compute runs with the GIL
//! released.

mod arrays;
mod errors;
mod life;
mod model;
mod shipped;
mod train;

use pyo3::prelude::*;

/// The extension module: its functions and classes are re-exported (with docstrings and type
/// stubs) by `python/nca/__init__.py`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::Model>()?;
    m.add_function(wrap_pyfunction!(model::load, m)?)?;
    m.add_function(wrap_pyfunction!(shipped::shipped_models, m)?)?;
    m.add_function(wrap_pyfunction!(model::mnist, m)?)?;
    m.add_function(wrap_pyfunction!(train::train, m)?)?;
    m.add_class::<life::LifeGrid>()?;
    m.add_function(wrap_pyfunction!(life::life_patterns, m)?)?;
    m.add_function(wrap_pyfunction!(life::eca_run, m)?)?;
    m.add_class::<life::LeniaWorld>()?;
    m.add_function(wrap_pyfunction!(life::lenia_patterns, m)?)?;
    Ok(())
}
