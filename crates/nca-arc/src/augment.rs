//! Label-preserving variations of a task's pairs: the eight symmetries of the square and
//! permutations of the non-background colours, applied alike to a pair's input and output.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::grid::{COLOURS, Grid};

/// One of the eight rotations and reflections of a grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symmetry(pub u8);

impl Symmetry {
    /// Every symmetry, the identity first.
    pub const ALL: [Symmetry; 8] = [
        Symmetry(0),
        Symmetry(1),
        Symmetry(2),
        Symmetry(3),
        Symmetry(4),
        Symmetry(5),
        Symmetry(6),
        Symmetry(7),
    ];
    /// The symmetries that keep a one-row grid one row: identity and the left–right flip.
    pub const ROW: [Symmetry; 2] = [Symmetry(0), Symmetry(4)];

    /// The transformed grid: `self.0 & 3` quarter turns clockwise after a left–right flip when
    /// `self.0 & 4`.
    pub fn apply(self, g: &Grid) -> Grid {
        let mut out = g.clone();
        if self.0 & 4 != 0 {
            out = flip(&out);
        }
        for _ in 0..(self.0 & 3) {
            out = rotate(&out);
        }
        out
    }

    /// The inverse transform's result: `s.invert(&s.apply(g)) == g`.
    pub fn invert(self, g: &Grid) -> Grid {
        let mut out = g.clone();
        for _ in 0..(4 - (self.0 & 3)) % 4 {
            out = rotate(&out);
        }
        if self.0 & 4 != 0 {
            out = flip(&out);
        }
        out
    }
}

fn flip(g: &Grid) -> Grid {
    let (h, w) = g.size();
    let cells = (0..h)
        .flat_map(|y| (0..w).rev().map(move |x| (y, x)))
        .map(|(y, x)| g.at(y, x))
        .collect();
    Grid::new(h, w, cells)
}

/// A quarter turn clockwise.
fn rotate(g: &Grid) -> Grid {
    let (h, w) = g.size();
    let cells = (0..w)
        .flat_map(|y| (0..h).map(move |x| (y, x)))
        .map(|(y, x)| g.at(h - 1 - x, y))
        .collect();
    Grid::new(w, h, cells)
}

/// A permutation of the colours 1–9 (0, the background, stays).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recolour(pub [u8; COLOURS]);

impl Recolour {
    /// The identity.
    pub fn identity() -> Recolour {
        Recolour(std::array::from_fn(|i| i as u8))
    }

    /// A uniformly random permutation of 1–9.
    pub fn random(rng: &mut impl Rng) -> Recolour {
        let mut rest: Vec<u8> = (1..COLOURS as u8).collect();
        rest.shuffle(rng);
        let mut map = [0u8; COLOURS];
        map[1..].copy_from_slice(&rest);
        Recolour(map)
    }

    /// The permutation that undoes this one.
    pub fn inverse(&self) -> Recolour {
        let mut inv = [0u8; COLOURS];
        for (from, &to) in self.0.iter().enumerate() {
            inv[to as usize] = from as u8;
        }
        Recolour(inv)
    }

    /// The recoloured grid.
    pub fn apply(&self, g: &Grid) -> Grid {
        let (h, w) = g.size();
        Grid::new(
            h,
            w,
            g.cells().iter().map(|&c| self.0[c as usize]).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symmetry_inverts_and_they_are_distinct() {
        let g = Grid::new(2, 3, vec![1, 2, 3, 4, 5, 6]);
        let mut seen = Vec::new();
        for s in Symmetry::ALL {
            let t = s.apply(&g);
            assert_eq!(s.invert(&t), g, "{s:?}");
            assert!(!seen.contains(&t), "{s:?} repeats");
            seen.push(t);
        }
        assert_eq!(
            Symmetry(1).apply(&g).rows(),
            vec![vec![4, 1], vec![5, 2], vec![6, 3]]
        );
        assert_eq!(
            Symmetry(4).apply(&g).rows(),
            vec![vec![3, 2, 1], vec![6, 5, 4]]
        );
    }

    #[test]
    fn recolouring_keeps_the_background_and_is_a_permutation() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let r = Recolour::random(&mut rng);
        assert_eq!(r.0[0], 0);
        let mut sorted = r.0;
        sorted.sort();
        assert_eq!(sorted, Recolour::identity().0);
        let g = Grid::new(1, 4, vec![0, 3, 9, 1]);
        assert_eq!(r.inverse().apply(&r.apply(&g)), g);
    }

    use rand::SeedableRng;
}
