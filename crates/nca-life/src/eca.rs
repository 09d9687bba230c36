//! Elementary cellular automata: Wolfram's one-dimensional, two-state rules of radius 1.
//!
//! A row of cells, each 0 or 1, is updated all at once: a cell's next value depends on its
//! left neighbour, itself and its right neighbour. The eight neighbourhoods `111, 110, …, 000`
//! (read as binary numbers `7, 6, …, 0` with the left cell as the high bit) each map to one
//! output bit, and those eight bits, neighbourhood `n` at bit `n`, are the rule number `0..=255`
//! ([`EcaRule`]). Rule 30 is chaotic, rule 90 draws Pascal's triangle mod 2 (a Sierpiński
//! triangle), rule 110 is Turing-complete and rule 184 is a traffic model that conserves its
//! live cells.
//!
//! ```
//! use nca_life::{Eca, EcaBoundary, EcaRule};
//!
//! let rule: EcaRule = "rule 90".parse()?;
//! let diagram = Eca::single(7)?.run(&rule, EcaBoundary::Wrap, 3)?;
//! assert_eq!(diagram[3], [1, 0, 1, 0, 1, 0, 1]);
//! # Ok::<(), nca_life::LifeError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::LifeError;

/// The widest row, in cells.
pub const MAX_ECA_WIDTH: usize = 1_000_000;
/// The most steps of one [`Eca::run`].
pub const MAX_ECA_STEPS: usize = 1_000_000;
/// The most cells (width × rows) of the space-time diagram one [`Eca::run`] returns (64 Mi).
pub const MAX_ECA_CELLS: usize = 64 * 1024 * 1024;

/// The longest piece of a malformed rule string quoted back in an error.
const QUOTE_MAX: usize = 32;

/// An elementary rule by its Wolfram number: bit `4·left + 2·centre + right` of the number is
/// the next value of a cell whose neighbourhood is `(left, centre, right)`.
///
/// Parse one with [`str::parse`] from `"30"`, `"rule30"`, `"Rule 110"` or `"rule-90"`
/// (case-insensitive). It displays as `rule 30` and serialises as the bare number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct EcaRule(pub u8);

impl EcaRule {
    /// The rule's number, `0..=255`.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The next value (0 or 1) of a cell whose left neighbour, own value and right neighbour
    /// are given; any non-zero input counts as 1.
    pub fn next(self, left: u8, centre: u8, right: u8) -> u8 {
        let n = u8::from(left != 0) << 2 | u8::from(centre != 0) << 1 | u8::from(right != 0);
        (self.0 >> n) & 1
    }

    /// The left–right mirror image: the rule that draws this rule's diagrams reflected
    /// (rule 110's mirror is rule 124, rule 30's is rule 86; rule 90 is its own).
    pub fn mirror(self) -> EcaRule {
        let mut m = 0u8;
        for n in 0..8u8 {
            let (l, c, r) = (n >> 2 & 1, n >> 1 & 1, n & 1);
            if self.next(l, c, r) != 0 {
                m |= 1 << (r << 2 | c << 1 | l);
            }
        }
        EcaRule(m)
    }

    /// The next value for every neighbourhood `4·left + 2·centre + right`.
    fn table(self) -> [u8; 8] {
        std::array::from_fn(|n| (self.0 >> n) & 1)
    }
}

impl fmt::Display for EcaRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}", self.0)
    }
}

impl FromStr for EcaRule {
    type Err = LifeError;

    fn from_str(s: &str) -> Result<EcaRule, LifeError> {
        let trimmed = s.trim();
        let bad = |reason: &'static str| {
            let mut quoted: String = trimmed.chars().take(QUOTE_MAX).collect();
            if trimmed.chars().count() > QUOTE_MAX {
                quoted.push('…');
            }
            LifeError::EcaRule {
                rule: quoted.escape_debug().to_string(),
                reason,
            }
        };
        let lower = trimmed.to_ascii_lowercase();
        let digits = match lower.strip_prefix("rule") {
            Some(rest) => {
                let rest = rest.trim_start();
                rest.strip_prefix(['-', '_']).unwrap_or(rest).trim_start()
            }
            None => lower.as_str(),
        };
        if digits.is_empty() {
            return Err(bad("no rule number"));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a rule number"));
        }
        // All digits: anything that does not fit a u8 is out of range, however long.
        digits
            .parse::<u8>()
            .map(EcaRule)
            .map_err(|_| bad("rule number out of range"))
    }
}

/// What lies beyond the two ends of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EcaBoundary {
    /// The ends are joined: the row is a ring.
    #[default]
    Wrap,
    /// Every cell beyond the ends has this constant value (0 or 1; any non-zero value counts
    /// as 1).
    Fixed(u8),
}

impl EcaBoundary {
    /// The names parsing accepts.
    pub const NAMES: [&'static str; 3] = ["wrap", "fixed0", "fixed1"];
}

impl fmt::Display for EcaBoundary {
    /// `wrap`, `fixed0` or `fixed1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EcaBoundary::Wrap => f.write_str("wrap"),
            EcaBoundary::Fixed(v) => write!(f, "fixed{}", u8::from(*v != 0)),
        }
    }
}

impl FromStr for EcaBoundary {
    type Err = LifeError;

    /// `wrap` (also `torus`, `periodic`), `fixed0` (also `fixed`, `dead`) or `fixed1` (also
    /// `live`), case-insensitive.
    fn from_str(s: &str) -> Result<EcaBoundary, LifeError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wrap" | "torus" | "periodic" => Ok(EcaBoundary::Wrap),
            "fixed0" | "fixed" | "dead" => Ok(EcaBoundary::Fixed(0)),
            "fixed1" | "live" => Ok(EcaBoundary::Fixed(1)),
            _ => Err(LifeError::EcaBoundary {
                boundary: s
                    .trim()
                    .chars()
                    .take(QUOTE_MAX)
                    .collect::<String>()
                    .escape_debug()
                    .to_string(),
            }),
        }
    }
}

/// One row of an elementary cellular automaton: `1` live, `0` dead.
///
/// The field is private so that the row always holds only 0 and 1 and has a width in
/// `1..=MAX_ECA_WIDTH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eca {
    cells: Vec<u8>,
}

/// Checks a row width: `1..=MAX_ECA_WIDTH`.
fn check_width(width: usize) -> Result<(), LifeError> {
    if (1..=MAX_ECA_WIDTH).contains(&width) {
        Ok(())
    } else {
        Err(LifeError::EcaWidth(width))
    }
}

impl Eca {
    /// A row from its cells; any non-zero value is live.
    pub fn from_cells(cells: Vec<u8>) -> Result<Eca, LifeError> {
        check_width(cells.len())?;
        Ok(Eca {
            cells: cells.into_iter().map(|c| u8::from(c != 0)).collect(),
        })
    }

    /// An all-dead row.
    pub fn dead(width: usize) -> Result<Eca, LifeError> {
        check_width(width)?;
        Ok(Eca {
            cells: vec![0; width],
        })
    }

    /// One live cell, at index `width / 2`, in an otherwise dead row.
    pub fn single(width: usize) -> Result<Eca, LifeError> {
        let mut row = Eca::dead(width)?;
        row.cells[width / 2] = 1;
        Ok(row)
    }

    /// A row holding `pattern`, centred: `1`, `#` or `*` is a live cell and `0` or `.` a dead
    /// one (white space around the pattern is ignored). The pattern's cell `len / 2` lands on
    /// index `width / 2`, so `"1"` gives the same row as [`Eca::single`]; the rest of the row is
    /// dead. A pattern wider than the row, an empty one or one with other characters is an
    /// error.
    pub fn from_pattern(pattern: &str, width: usize) -> Result<Eca, LifeError> {
        let mut row = Eca::dead(width)?;
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err(LifeError::EcaPattern {
                reason: "empty pattern".into(),
            });
        }
        let mut cells = Vec::with_capacity(pattern.len().min(width));
        for (i, c) in pattern.chars().enumerate() {
            cells.push(match c {
                '1' | '#' | '*' => 1,
                '0' | '.' => 0,
                _ => {
                    return Err(LifeError::EcaPattern {
                        reason: format!(
                            "unexpected character '{}' at position {} (expected 0/1, ./# or ./*)",
                            c.escape_debug(),
                            i + 1
                        ),
                    });
                }
            });
            if cells.len() > width {
                return Err(LifeError::EcaPattern {
                    reason: format!(
                        "{} cells do not fit in a row of width {width}",
                        pattern.chars().count()
                    ),
                });
            }
        }
        let start = width / 2 - cells.len() / 2;
        row.cells[start..start + cells.len()].copy_from_slice(&cells);
        Ok(row)
    }

    /// A row where each cell is live with probability `density` (in `0..=1`), reproducibly
    /// from `seed`.
    pub fn random(width: usize, density: f64, seed: u64) -> Result<Eca, LifeError> {
        if !(0.0..=1.0).contains(&density) {
            return Err(LifeError::BadDensity(density));
        }
        let mut row = Eca::dead(width)?;
        let mut rng = StdRng::seed_from_u64(seed);
        for c in &mut row.cells {
            *c = u8::from(rng.random_bool(density));
        }
        Ok(row)
    }

    /// Width in cells.
    pub fn width(&self) -> usize {
        self.cells.len()
    }

    /// The cells, `1` live and `0` dead.
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// Number of live cells.
    pub fn population(&self) -> usize {
        self.cells.iter().map(|&c| usize::from(c)).sum()
    }

    /// The share of live cells, in `0..=1`.
    pub fn density(&self) -> f64 {
        self.population() as f64 / self.cells.len() as f64
    }

    /// The next row under `rule`, with `boundary` beyond the ends.
    pub fn step(&self, rule: &EcaRule, boundary: EcaBoundary) -> Eca {
        let mut next = Eca {
            cells: vec![0; self.cells.len()],
        };
        self.step_into(rule, boundary, &mut next);
        next
    }

    /// Writes the next row under `rule` into `out` (resized to match), reusing its buffer;
    /// alternate two rows with this to run without allocating.
    pub fn step_into(&self, rule: &EcaRule, boundary: EcaBoundary, out: &mut Eca) {
        let w = self.cells.len();
        let (before, after) = match boundary {
            EcaBoundary::Wrap => (self.cells[w - 1], self.cells[0]),
            EcaBoundary::Fixed(v) => (u8::from(v != 0), u8::from(v != 0)),
        };
        out.cells.resize(w, 0);
        let table = rule.table();
        // n holds the neighbourhood of cell x as 4·left + 2·centre + right, shifted along.
        let mut n = usize::from(before) << 1 | usize::from(self.cells[0]);
        for x in 0..w {
            let right = if x + 1 < w { self.cells[x + 1] } else { after };
            n = (n << 1 | usize::from(right)) & 7;
            out.cells[x] = table[n];
        }
    }

    /// The space-time diagram of `steps` steps: `steps + 1` rows, this one first. At most
    /// [`MAX_ECA_STEPS`] steps and [`MAX_ECA_CELLS`] cells in all.
    pub fn run(
        &self,
        rule: &EcaRule,
        boundary: EcaBoundary,
        steps: usize,
    ) -> Result<Vec<Vec<u8>>, LifeError> {
        check_eca_run(self.width(), steps)?;
        let mut rows = Vec::with_capacity(steps + 1);
        rows.push(self.cells.clone());
        let mut a = self.clone();
        let mut b = self.clone();
        for _ in 0..steps {
            a.step_into(rule, boundary, &mut b);
            std::mem::swap(&mut a, &mut b);
            rows.push(a.cells.clone());
        }
        Ok(rows)
    }
}

/// Checks that a run of `steps` steps at `width` is within [`MAX_ECA_STEPS`] and
/// [`MAX_ECA_CELLS`] (what [`Eca::run`] refuses, for callers that check before doing work).
pub fn check_eca_run(width: usize, steps: usize) -> Result<(), LifeError> {
    let cells = steps
        .checked_add(1)
        .and_then(|rows| rows.checked_mul(width));
    match cells {
        Some(c) if steps <= MAX_ECA_STEPS && c <= MAX_ECA_CELLS => Ok(()),
        _ => Err(LifeError::EcaRun { width, steps }),
    }
}

impl fmt::Display for Eca {
    /// The row as one text line, `#` for live and `.` for dead cells.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line: String = self
            .cells
            .iter()
            .map(|&c| if c != 0 { '#' } else { '.' })
            .collect();
        f.write_str(&line)
    }
}
