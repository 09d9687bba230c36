//! [`Grid`]: a finite board of Life cells on a torus or with dead borders, and the step
//! function that advances it by one generation under a [`Rule`].

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::LifeError;
use super::pattern::Pattern;
use super::rule::Rule;

/// The largest width or height of a grid or pattern.
pub const MAX_SIDE: usize = 16_384;
/// The largest number of cells in a grid or pattern (64 Mi).
pub const MAX_CELLS: usize = 64 * 1024 * 1024;

/// What lies beyond the edges of a grid.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Topology {
    /// Opposite edges are joined: a glider leaving on the right comes back on the left.
    #[default]
    Torus,
    /// Everything outside the grid is permanently dead.
    Bounded,
}

/// A `width × height` board of cells, row-major, `1` live and `0` dead.
///
/// The fields are private so that the cell buffer always matches the size and holds only 0 and 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    width: usize,
    height: usize,
    topology: Topology,
    cells: Vec<u8>,
}

/// The number of cells of a `width × height` rectangle whose sides are in `min_side..=MAX_SIDE`
/// and which has at most `MAX_CELLS` cells; `None` when it is out of these limits.
pub(crate) fn cells_within_limits(width: usize, height: usize, min_side: usize) -> Option<usize> {
    let sides = min_side..=MAX_SIDE;
    (sides.contains(&width) && sides.contains(&height) && width * height <= MAX_CELLS)
        .then(|| width * height)
}

/// The limits of [`cells_within_limits`] in words, for error messages.
pub(crate) fn size_limits(min_side: usize) -> String {
    format!("each side {min_side}..={MAX_SIDE}, at most {MAX_CELLS} cells")
}

/// Checks a grid size: each side `1..=MAX_SIDE`, at most `MAX_CELLS` cells.
fn check_grid_size(width: usize, height: usize) -> Result<usize, LifeError> {
    cells_within_limits(width, height, 1).ok_or(LifeError::GridSize { width, height })
}

/// `cells` as live (1) and dead (0) cells of a `width × height` rectangle of `n` cells (non-zero
/// is live), or [`LifeError::CellCount`] when there are not `n` of them.
pub(crate) fn binary_cells(
    width: usize,
    height: usize,
    n: usize,
    cells: Vec<u8>,
) -> Result<Vec<u8>, LifeError> {
    if cells.len() != n {
        return Err(LifeError::CellCount {
            width,
            height,
            expected: n,
            got: cells.len(),
        });
    }
    Ok(cells.into_iter().map(|c| u8::from(c != 0)).collect())
}

impl Grid {
    /// An all-dead grid.
    pub fn new(width: usize, height: usize, topology: Topology) -> Result<Grid, LifeError> {
        let n = check_grid_size(width, height)?;
        Ok(Grid {
            width,
            height,
            topology,
            cells: vec![0; n],
        })
    }

    /// A grid from row-major cells; any non-zero value is live.
    pub fn from_cells(
        width: usize,
        height: usize,
        topology: Topology,
        cells: Vec<u8>,
    ) -> Result<Grid, LifeError> {
        let n = check_grid_size(width, height)?;
        Ok(Grid {
            width,
            height,
            topology,
            cells: binary_cells(width, height, n, cells)?,
        })
    }

    /// A grid where each cell is live with probability `density` (in `0..=1`), reproducibly
    /// from `seed`.
    pub fn random_soup(
        width: usize,
        height: usize,
        topology: Topology,
        density: f64,
        seed: u64,
    ) -> Result<Grid, LifeError> {
        if !(0.0..=1.0).contains(&density) {
            return Err(LifeError::BadDensity(density));
        }
        let mut grid = Grid::new(width, height, topology)?;
        let mut rng = StdRng::seed_from_u64(seed);
        for c in &mut grid.cells {
            *c = u8::from(rng.random_bool(density));
        }
        Ok(grid)
    }

    /// Width in cells.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in cells.
    pub fn height(&self) -> usize {
        self.height
    }

    /// What lies beyond the edges.
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// Row-major cells, `1` live and `0` dead (ready for `nca_viz::Frame::from_binary`).
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// True when cell `(x, y)` is live; false outside the grid.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.cells[y * self.width + x] != 0
    }

    /// Makes cell `(x, y)` live or dead; errors outside the grid.
    pub fn set(&mut self, x: usize, y: usize, alive: bool) -> Result<(), LifeError> {
        if x >= self.width || y >= self.height {
            return Err(LifeError::OutOfBounds {
                x,
                y,
                width: self.width,
                height: self.height,
            });
        }
        self.cells[y * self.width + x] = u8::from(alive);
        Ok(())
    }

    /// Number of live cells.
    pub fn population(&self) -> usize {
        self.cells.iter().map(|&c| usize::from(c)).sum()
    }

    /// Stamps the live cells of `pattern` with its top-left corner at `(x, y)` (dead pattern
    /// cells leave the grid as it was). On a torus the pattern wraps around the edges; on a
    /// bounded grid it must fit inside. A pattern larger than the grid is an error either way.
    pub fn place(&mut self, pattern: &Pattern, x: usize, y: usize) -> Result<(), LifeError> {
        let (pw, ph) = (pattern.width(), pattern.height());
        let fits = match self.topology {
            Topology::Torus => pw <= self.width && ph <= self.height,
            Topology::Bounded => {
                x.checked_add(pw).is_some_and(|e| e <= self.width)
                    && y.checked_add(ph).is_some_and(|e| e <= self.height)
            }
        };
        if !fits {
            return Err(LifeError::DoesNotFit {
                pattern_width: pw,
                pattern_height: ph,
                x,
                y,
                width: self.width,
                height: self.height,
            });
        }
        for py in 0..ph {
            for px in 0..pw {
                if pattern.get(px, py) {
                    let gx = (x % self.width + px) % self.width;
                    let gy = (y % self.height + py) % self.height;
                    self.cells[gy * self.width + gx] = 1;
                }
            }
        }
        Ok(())
    }

    /// Stamps `pattern` in the middle of the grid (see [`Grid::place`]) and returns the top-left
    /// corner it used.
    pub fn place_centered(&mut self, pattern: &Pattern) -> Result<(usize, usize), LifeError> {
        let x = self.width.saturating_sub(pattern.width()) / 2;
        let y = self.height.saturating_sub(pattern.height()) / 2;
        self.place(pattern, x, y)?;
        Ok((x, y))
    }

    /// The next generation under `rule`.
    pub fn step(&self, rule: &Rule) -> Grid {
        let mut next = Grid {
            width: self.width,
            height: self.height,
            topology: self.topology,
            cells: vec![0; self.cells.len()],
        };
        self.step_into(rule, &mut next);
        next
    }

    /// Writes the next generation under `rule` into `out` (resized to match), reusing its
    /// buffer; alternate two grids with this to run without allocating.
    pub fn step_into(&self, rule: &Rule, out: &mut Grid) {
        let (w, h) = (self.width, self.height);
        out.width = w;
        out.height = h;
        out.topology = self.topology;
        out.cells.resize(w * h, 0);
        let table = rule.table();
        let torus = self.topology == Topology::Torus;
        let row = |y: usize| &self.cells[y * w..(y + 1) * w];
        // col[x + 1] = live cells in column x of rows y-1, y, y+1; col[0] and col[w + 1] are the
        // columns beyond the edges (wrapped on a torus, dead otherwise).
        let mut col = vec![0u8; w + 2];
        for y in 0..h {
            let mid = row(y);
            let up = match (y, torus) {
                (0, true) => Some(row(h - 1)),
                (0, false) => None,
                _ => Some(row(y - 1)),
            };
            let down = match (y + 1 == h, torus) {
                (true, true) => Some(row(0)),
                (true, false) => None,
                _ => Some(row(y + 1)),
            };
            let inner = &mut col[1..=w];
            inner.copy_from_slice(mid);
            for r in [up, down].into_iter().flatten() {
                for (c, v) in inner.iter_mut().zip(r) {
                    *c += v;
                }
            }
            (col[0], col[w + 1]) = if torus { (col[w], col[1]) } else { (0, 0) };
            let dst = &mut out.cells[y * w..(y + 1) * w];
            for (x, (d, &alive)) in dst.iter_mut().zip(mid).enumerate() {
                let n = col[x] + col[x + 1] + col[x + 2] - alive;
                *d = table[(usize::from(alive) << 4 | usize::from(n)) & 31];
            }
        }
    }

    /// The grid after `steps` generations under `rule`.
    pub fn run(&self, rule: &Rule, steps: usize) -> Grid {
        let mut a = self.clone();
        let mut b = self.clone();
        for _ in 0..steps {
            a.step_into(rule, &mut b);
            std::mem::swap(&mut a, &mut b);
        }
        a
    }

    /// The whole grid as a pattern (for writing RLE).
    pub fn to_pattern(&self) -> Pattern {
        Pattern::from_valid(self.width, self.height, self.cells.clone())
    }
}

impl fmt::Display for Grid {
    /// One text line per row, `#` for live and `.` for dead cells.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.cells.chunks(self.width).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let line: String = r.iter().map(|&c| if c != 0 { '#' } else { '.' }).collect();
            f.write_str(&line)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked() {
        assert!(Grid::new(1, 1, Topology::Torus).is_ok());
        for (w, h) in [(0, 5), (5, 0), (MAX_SIDE + 1, 1), (MAX_SIDE, MAX_SIDE)] {
            let e = Grid::new(w, h, Topology::Torus).unwrap_err();
            assert!(matches!(e, LifeError::GridSize { .. }), "{w}x{h}");
        }
        assert!(Grid::new(MAX_SIDE, MAX_CELLS / MAX_SIDE, Topology::Bounded).is_ok());
        assert!(matches!(
            Grid::from_cells(2, 2, Topology::Torus, vec![1; 3]),
            Err(LifeError::CellCount { .. })
        ));
        let g = Grid::from_cells(2, 1, Topology::Torus, vec![5, 0]).unwrap();
        assert_eq!(g.cells(), [1, 0]);
    }

    #[test]
    fn get_set_population_display() {
        let mut g = Grid::new(3, 2, Topology::Bounded).unwrap();
        g.set(1, 0, true).unwrap();
        g.set(2, 1, true).unwrap();
        assert!(g.get(1, 0) && !g.get(0, 0) && !g.get(9, 9));
        assert_eq!(g.population(), 2);
        assert_eq!(g.to_string(), ".#.\n..#");
        let e = g.set(3, 0, true).unwrap_err();
        assert_eq!(e.to_string(), "cell (3, 0) is outside the 3x2 grid");
        assert_eq!(g.width() * g.height(), g.cells().len());
        assert_eq!(g.topology(), Topology::Bounded);
    }

    #[test]
    fn soup_is_reproducible_and_checks_density() {
        let a = Grid::random_soup(64, 64, Topology::Torus, 0.5, 7).unwrap();
        let b = Grid::random_soup(64, 64, Topology::Torus, 0.5, 7).unwrap();
        let c = Grid::random_soup(64, 64, Topology::Torus, 0.5, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let pop = a.population();
        assert!((1700..2400).contains(&pop), "{pop}");
        assert_eq!(
            Grid::random_soup(8, 8, Topology::Torus, 0.0, 1)
                .unwrap()
                .population(),
            0
        );
        assert_eq!(
            Grid::random_soup(8, 8, Topology::Torus, 1.0, 1)
                .unwrap()
                .population(),
            64
        );
        for d in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                Grid::random_soup(8, 8, Topology::Torus, d, 1),
                Err(LifeError::BadDensity(_))
            ));
        }
    }

    #[test]
    fn placement_wraps_on_a_torus_and_must_fit_when_bounded() {
        let glider = Pattern::named("glider").unwrap();
        let mut t = Grid::new(5, 5, Topology::Torus).unwrap();
        t.place(&glider, 4, 4).unwrap();
        assert_eq!(t.population(), 5);
        assert!(t.get(0, 4), "(1, 0) of the glider wraps to (0, 4)");
        let mut b = Grid::new(5, 5, Topology::Bounded).unwrap();
        let e = b.place(&glider, 4, 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a 3x3 pattern at (4, 4) does not fit in the 5x5 grid"
        );
        assert!(b.place(&glider, usize::MAX, 0).is_err());
        b.place(&glider, 2, 2).unwrap();
        assert_eq!(b.population(), 5);
        let mut small = Grid::new(2, 2, Topology::Torus).unwrap();
        assert!(small.place(&glider, 0, 0).is_err());
        let mut g = Grid::new(9, 7, Topology::Bounded).unwrap();
        assert_eq!(g.place_centered(&glider).unwrap(), (3, 2));
        assert!(small.place_centered(&glider).is_err());
    }

    #[test]
    fn to_pattern_keeps_cells() {
        let g = Grid::random_soup(10, 4, Topology::Torus, 0.3, 1).unwrap();
        let p = g.to_pattern();
        assert_eq!(p.cells(), g.cells());
        assert_eq!((p.width(), p.height()), (10, 4));
    }

    #[test]
    fn step_into_reuses_a_buffer_of_any_size() {
        let g = Grid::random_soup(16, 16, Topology::Torus, 0.4, 3).unwrap();
        let mut out = Grid::new(1, 1, Topology::Bounded).unwrap();
        g.step_into(&Rule::life(), &mut out);
        assert_eq!(out, g.step(&Rule::life()));
        assert_eq!(g.run(&Rule::life(), 0), g);
    }
}
