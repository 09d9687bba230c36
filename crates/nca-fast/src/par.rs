//! The batch loop: batch items are independent, so they run on rayon's pool when the
//! `parallel` feature is on, and sequentially otherwise (e.g. on wasm32).
//!
//! Items are handed out largest first from a shared counter (longest-processing-time-first
//! scheduling): with a batch of 8–16 digits of different sizes on two threads, splitting the
//! batch in halves leaves one thread idle for up to an item at the end of each pass.

/// `inputs.into_iter().enumerate().map(f).collect()`, in parallel when the `parallel` feature
/// is enabled, starting the items of highest `cost` (an estimate of their work) first.
#[cfg(feature = "parallel")]
pub(crate) fn map_items<I: Send, T: Send>(
    inputs: Vec<I>,
    cost: impl Fn(usize, &I) -> usize,
    f: impl Fn(usize, I) -> T + Sync + Send,
) -> Vec<T> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let n = inputs.len();
    let workers = rayon::current_num_threads().min(n);
    if workers <= 1 {
        return inputs
            .into_iter()
            .enumerate()
            .map(|(i, x)| f(i, x))
            .collect();
    }
    let mut order: Vec<(usize, usize)> = inputs
        .iter()
        .enumerate()
        .map(|(i, x)| (cost(i, x), i))
        .collect();
    order.sort_by(|a, b| b.cmp(a));
    let slots: Vec<Mutex<(Option<I>, Option<T>)>> = inputs
        .into_iter()
        .map(|x| Mutex::new((Some(x), None)))
        .collect();
    let next = AtomicUsize::new(0);
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| {
                while let Some(&(_, i)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let input = lock(&slots[i]).0.take().expect("each item is taken once");
                    let out = f(i, input);
                    lock(&slots[i]).1 = Some(out);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| {
            let (_, out) = s.into_inner().unwrap_or_else(|e| e.into_inner());
            out.expect("every item was computed")
        })
        .collect()
}

/// `m`'s lock, also after a thread panicked while holding it: the data the engine guards this way
/// (result slots, hand-off slots, spare buffers) stays valid, and the panic itself reaches the
/// caller through the thread scope that ran it.
pub(crate) fn lock<X>(m: &std::sync::Mutex<X>) -> std::sync::MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `inputs.into_iter().enumerate().map(f).collect()`, in parallel when the `parallel` feature
/// is enabled (`cost` orders the parallel loop; here it is unused).
#[cfg(not(feature = "parallel"))]
pub(crate) fn map_items<I, T>(
    inputs: Vec<I>,
    _cost: impl Fn(usize, &I) -> usize,
    f: impl Fn(usize, I) -> T,
) -> Vec<T> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_mapped_once_and_results_keep_the_input_order() {
        for n in [0, 1, 2, 3, 17] {
            let inputs: Vec<usize> = (0..n).map(|i| i * 10).collect();
            // Costs that reorder the items (the scheduler starts the costliest first).
            let out = map_items(inputs, |i, _| (i * 7) % 5, |i, x| (i, x + 1));
            let want: Vec<(usize, usize)> = (0..n).map(|i| (i, i * 10 + 1)).collect();
            assert_eq!(out, want, "n = {n}");
        }
    }
}
