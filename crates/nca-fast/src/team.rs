//! Two threads on one batch item: an inference rollout of a single state (one digit, one
//! pattern) has no batch to spread over the cores, so each tick's active rows are split between
//! the calling thread and a helper thread that lives for the rollout.
//!
//! A tick's rows take tens of microseconds, less than it takes to wake a sleeping thread, so
//! the helper spin-waits for its next share (yielding after a while, so that an oversubscribed
//! machine still makes progress) instead of blocking. The state and the active-cell list are
//! handed over as `Arc`s: the leader gets its state back for writing once the helper has
//! finished its rows and dropped its handle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::Engine;
use crate::par::lock;
use crate::perceive::Grid;

/// Ticks with fewer active rows than this are computed by the leader alone (the hand-off
/// would cost more than the helper's half saves).
pub(crate) const MIN_SPLIT_ROWS: usize = 16;

/// Rollouts shorter than this many ticks do not start a helper (spawning one costs about as
/// much as a tick).
pub(crate) const MIN_TEAM_TICKS: usize = 4;

/// Spins before a waiting thread starts yielding its core.
const SPINS_BEFORE_YIELD: u32 = 1 << 14;

/// The rows a helper computes: `cells[first..]` of `state` (cell-major).
struct Share {
    state: Arc<Vec<f32>>,
    cells: Arc<Vec<u32>>,
    first: usize,
}

/// What the leader posts.
enum Post {
    Rows(Share),
    Stop,
}

/// The hand-off between the leader and its helper.
#[derive(Default)]
pub(crate) struct Team {
    post: Mutex<Option<Post>>,
    /// Number of posts so far.
    posted: AtomicU64,
    /// Number of posts the helper has finished.
    finished: AtomicU64,
    /// The helper's update rows (`[rows, U]`) for the last finished share.
    out: Mutex<Vec<f32>>,
}

/// Waits until `counter` reaches `want`: spins, then yields.
fn wait_for(counter: &AtomicU64, want: u64) {
    let mut spins = 0u32;
    while counter.load(Ordering::Acquire) < want {
        if spins < SPINS_BEFORE_YIELD {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

impl Team {
    /// The helper's loop: computes each posted share until told to stop.
    fn serve(&self, eng: &Engine, g: Grid) {
        let mut scratch = RowScratch::default();
        let mut seen = 0;
        loop {
            seen += 1;
            wait_for(&self.posted, seen);
            let post = lock(&self.post).take();
            let Some(Post::Rows(share)) = post else {
                return;
            };
            let mut out = lock(&self.out);
            update_rows(
                eng,
                g,
                &share.state,
                &share.cells[share.first..],
                &mut scratch,
                &mut out,
            );
            drop(out);
            drop(share); // hands the state back before saying so
            self.finished.store(seen, Ordering::Release);
        }
    }

    /// Asks the helper to compute `cells[first..]`; returns the post's number for [`Team::join`].
    fn start(&self, state: &Arc<Vec<f32>>, cells: &Arc<Vec<u32>>, first: usize) -> u64 {
        *lock(&self.post) = Some(Post::Rows(Share {
            state: Arc::clone(state),
            cells: Arc::clone(cells),
            first,
        }));
        self.posted.fetch_add(1, Ordering::Release) + 1
    }

    /// Waits for post `id` and appends the helper's rows to `out`.
    fn join(&self, id: u64, out: &mut Vec<f32>) {
        wait_for(&self.finished, id);
        out.extend_from_slice(&lock(&self.out));
    }

    /// The update rows of all `cells` into `out`: the first half on this thread, the second
    /// on the helper's.
    pub fn update_rows(
        &self,
        eng: &Engine,
        g: Grid,
        state: &Arc<Vec<f32>>,
        cells: &Arc<Vec<u32>>,
        s: &mut RowScratch,
        out: &mut Vec<f32>,
    ) {
        let half = cells.len() / 2;
        let id = self.start(state, cells, half);
        update_rows(eng, g, state, &cells[..half], s, out);
        self.join(id, out);
    }

    /// Tells the helper to return.
    fn stop(&self) {
        *lock(&self.post) = Some(Post::Stop);
        self.posted.fetch_add(1, Ordering::Release);
    }
}

/// A thread's buffers for computing rows.
#[derive(Default)]
pub(crate) struct RowScratch {
    cols: Vec<f32>,
    feats: Vec<f32>,
    hidden: Vec<Vec<f32>>,
}

crate::simd::avx2_dispatch! {
/// The update rows (`[cells.len(), U]`, perception then MLP) of `cells` in `state`.
fn update_rows(
    eng: &Engine,
    g: Grid,
    state: &[f32],
    cells: &[u32],
    s: &mut RowScratch,
    out: &mut Vec<f32>,
) -> () {
    eng.perceiver.forward(g, state, cells, &mut s.cols, &mut s.feats);
    eng.mlp.forward(cells.len(), &s.feats, &mut s.hidden, out);
}
}

/// Whether a single-item rollout of `ticks` ticks gets a helper thread: only with the
/// `parallel` feature, at least two threads allowed (`RAYON_NUM_THREADS`), enough ticks to pay
/// for starting it, and not when called from rayon's pool (whose threads are then busy with
/// other work: a spinning helper would only take a core from them).
pub(crate) fn worth_it(ticks: usize) -> bool {
    #[cfg(feature = "parallel")]
    let outside_pool = rayon::current_thread_index().is_none();
    #[cfg(not(feature = "parallel"))]
    let outside_pool = false;
    outside_pool && crate::par::threads() >= 2 && ticks >= MIN_TEAM_TICKS
}

/// Runs `lead` on this thread with a helper serving `Team::update_rows` on another, which
/// returns when `lead` does (or panics).
pub(crate) fn with_helper<R>(eng: &Engine, g: Grid, lead: impl FnOnce(&Team) -> R) -> R {
    /// Stops the helper however `lead` ends, so that the scope never waits forever.
    struct StopOnDrop<'t>(&'t Team);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.stop();
        }
    }
    let team = Team::default();
    std::thread::scope(|scope| {
        scope.spawn(|| team.serve(eng, g));
        let _stop = StopOnDrop(&team);
        lead(&team)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::forward_item;
    use crate::spec::{NcaParams, NcaSpec, Perception, TickMasks};

    /// A tiny deterministic generator (xorshift) for values in [-1, 1) and masks.
    struct Bits(u64);
    impl Bits {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn value(&mut self) -> f32 {
            (self.next() % 2000) as f32 / 1000.0 - 1.0
        }
    }

    fn random_params(spec: &NcaSpec, r: &mut Bits) -> NcaParams {
        let mut p = NcaParams::zeros(spec);
        let (mut pw, mut pb) = p.perception.take().unwrap_or_default();
        for v in pw.iter_mut().chain(&mut pb) {
            *v = 0.3 * r.value();
        }
        if !pw.is_empty() {
            p.perception = Some((pw, pb));
        }
        for (w, b) in &mut p.layers {
            w.iter_mut()
                .chain(b.iter_mut())
                .for_each(|v| *v = 0.3 * r.value());
        }
        p
    }

    #[test]
    fn a_rollout_split_between_two_threads_equals_one_thread() {
        let identity = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let sobel = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
        let specs = [
            NcaSpec::self_classifying(6, 10, 12, 0.1),
            NcaSpec::growing(
                5,
                Perception::Fixed {
                    filters: vec![identity, sobel],
                },
                12,
                0.1,
            ),
        ];
        let mut r = Bits(0x9e37_79b9_7f4a_7c15);
        for spec in &specs {
            let params = random_params(spec, &mut r);
            let eng = Engine::new(spec, &params).unwrap();
            let (h, w) = (20, 20);
            let g = Grid {
                h,
                w,
                c: spec.channels,
            };
            let alive = spec.alive.channel();
            let mut x0: Vec<f32> = (0..spec.channels * h * w).map(|_| r.value()).collect();
            // A blob of alive cells in the middle, dead elsewhere.
            for i in 0..h * w {
                let (y, x) = (i / w, i % w);
                let inside = (4..16).contains(&y) && (4..16).contains(&x);
                x0[alive * h * w + i] = if inside { 1.0 } else { 0.0 };
            }
            let u = spec.update_width();
            let ticks: Vec<TickMasks> = (0..8)
                .map(|_| TickMasks {
                    fire: (0..h * w).map(|_| (r.next() & 1) as u8).collect(),
                    noise: Some((0..u * h * w).map(|_| 0.02 * r.value()).collect()),
                })
                .collect();
            let alone = forward_item(&eng, g, 0, &x0, &ticks, false, Vec::new(), None);
            let (split, posts) = with_helper(&eng, g, |team| {
                let out = forward_item(&eng, g, 0, &x0, &ticks, false, Vec::new(), Some(team));
                (out, team.posted.load(Ordering::Acquire))
            });
            assert_eq!(posts, ticks.len() as u64, "every tick was split");
            assert_eq!(alone.2, split.2, "rows");
            assert_eq!(alone.0, split.0, "final states");
        }
    }
}
