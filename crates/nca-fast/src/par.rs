//! The batch loop: batch items are independent, so they run on rayon's pool when the
//! `parallel` feature is on, and sequentially otherwise (e.g. on wasm32).

/// `inputs.into_iter().enumerate().map(f).collect()`, in parallel when the `parallel` feature
/// is enabled.
#[cfg(feature = "parallel")]
pub(crate) fn map_items<I: Send, T: Send>(
    inputs: Vec<I>,
    f: impl Fn(usize, I) -> T + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    inputs
        .into_par_iter()
        .enumerate()
        .map(|(i, x)| f(i, x))
        .collect()
}

/// `inputs.into_iter().enumerate().map(f).collect()`, in parallel when the `parallel` feature
/// is enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map_items<I, T>(inputs: Vec<I>, f: impl Fn(usize, I) -> T) -> Vec<T> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, x)| f(i, x))
        .collect()
}

/// Threads the batch loop can use.
#[cfg(feature = "parallel")]
pub(crate) fn threads() -> usize {
    rayon::current_num_threads()
}

/// Threads the batch loop can use.
#[cfg(not(feature = "parallel"))]
pub(crate) fn threads() -> usize {
    1
}
