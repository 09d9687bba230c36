//! The sample pool of the NCA papers: a store of states that training samples a batch from,
//! writes the evolved batch back into, refreshes (worst sample → seed) and damages.
//!
//! States are plain `f32` data (`C × H × W` each, channel-major) so the pool can be saved in a
//! checkpoint and shared between the Burn path and the sparse engine.

use rand::Rng;
use rand::seq::index::sample;

/// A pool of `len` states of shape `[C, H, W]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplePool {
    /// Shape of one state: channels, height, width.
    pub shape: [usize; 3],
    /// All states back to back.
    pub data: Vec<f32>,
}

impl SamplePool {
    /// A pool of `len` copies of `seed` (which must have `C*H*W` values).
    pub fn filled(len: usize, shape: [usize; 3], seed: &[f32]) -> Self {
        assert_eq!(seed.len(), shape.iter().product::<usize>(), "seed size");
        let mut data = Vec::with_capacity(len * seed.len());
        for _ in 0..len {
            data.extend_from_slice(seed);
        }
        Self { shape, data }
    }

    /// Values in one state.
    pub fn state_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.data.len() / self.state_len()
    }

    /// Whether the pool holds no state.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `batch` distinct indices drawn uniformly.
    pub fn sample(&self, rng: &mut impl Rng, batch: usize) -> Vec<usize> {
        sample(rng, self.len(), batch.min(self.len())).into_vec()
    }

    /// One state.
    pub fn state(&self, i: usize) -> &[f32] {
        let n = self.state_len();
        &self.data[i * n..(i + 1) * n]
    }

    /// One state, mutable.
    pub fn state_mut(&mut self, i: usize) -> &mut [f32] {
        let n = self.state_len();
        &mut self.data[i * n..(i + 1) * n]
    }

    /// The states at `idx`, back to back (a `[B, C, H, W]` batch).
    pub fn gather(&self, idx: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(idx.len() * self.state_len());
        for &i in idx {
            out.extend_from_slice(self.state(i));
        }
        out
    }

    /// Writes a `[B, C, H, W]` batch back to the states at `idx`.
    pub fn scatter(&mut self, idx: &[usize], batch: &[f32]) {
        let n = self.state_len();
        for (k, &i) in idx.iter().enumerate() {
            self.state_mut(i)
                .copy_from_slice(&batch[k * n..(k + 1) * n]);
        }
    }

    /// Replaces state `i` with `state`.
    pub fn replace(&mut self, i: usize, state: &[f32]) {
        self.state_mut(i).copy_from_slice(state);
    }
}

/// Indices of `losses` sorted from highest to lowest loss.
pub fn rank_by_loss_desc(losses: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..losses.len()).collect();
    order.sort_by(|&a, &b| losses[b].total_cmp(&losses[a]));
    order
}

/// Zeroes every channel of a `[C, H, W]` state inside the circle of radius `r` around `(cx, cy)`
/// (cell units): the "damage" of the regenerating experiments (shared with the playground).
pub use nca_models::grow::damage_circle;

/// A random circular damage as in the Growing NCA paper: centre uniformly in the middle half of
/// the grid, radius between 0.1 and 0.4 of the side.
pub fn random_damage(rng: &mut impl Rng, state: &mut [f32], shape: [usize; 3]) {
    let side = shape[1].min(shape[2]) as f32;
    let cx = shape[2] as f32 * rng.random_range(0.25..0.75);
    let cy = shape[1] as f32 * rng.random_range(0.25..0.75);
    let r = side * rng.random_range(0.1..0.4);
    damage_circle(state, shape, cx, cy, r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sample_gather_scatter_replace() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut pool = SamplePool::filled(10, [1, 2, 2], &[1., 2., 3., 4.]);
        assert_eq!(pool.len(), 10);
        let idx = pool.sample(&mut rng, 4);
        assert_eq!(idx.len(), 4);
        let mut uniq = idx.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 4, "indices are distinct");
        let mut batch = pool.gather(&idx);
        assert_eq!(batch.len(), 16);
        batch.iter_mut().for_each(|v| *v *= 10.0);
        pool.scatter(&idx, &batch);
        assert_eq!(pool.state(idx[2]), &[10., 20., 30., 40.]);
        pool.replace(idx[2], &[0.; 4]);
        assert_eq!(pool.state(idx[2]), &[0.; 4]);
        assert_eq!(rank_by_loss_desc(&[0.1, 0.5, 0.3]), vec![1, 2, 0]);
    }

    #[test]
    fn damage_zeroes_a_disc_in_every_channel() {
        let mut s = vec![1.0f32; 2 * 10 * 10];
        damage_circle(&mut s, [2, 10, 10], 5.0, 5.0, 2.0);
        let zeros = s.iter().filter(|v| **v == 0.0).count();
        assert_eq!(zeros % 2, 0);
        assert!(zeros / 2 >= 9 && zeros / 2 <= 16, "{zeros}");
        assert_eq!(s[0], 1.0);
        assert_eq!(s[5 * 10 + 5], 0.0);
        assert_eq!(s[100 + 5 * 10 + 5], 0.0);
    }
}
