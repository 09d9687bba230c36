//! `nca.life`: the classic automata of `nca-life` — Life-like grids (B/S rules, RLE),
//! elementary CA rows and Lenia worlds — on NumPy arrays.

use nca_life::{
    Eca, EcaBoundary, EcaRule, Grid, Lenia, LeniaError, LifeError, Pattern, Rule, Topology,
};
use numpy::{PyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::arrays::{f32_array, to_numpy};
use crate::errors::value_error;

fn life_err(e: LifeError) -> PyErr {
    value_error(e.to_string())
}

fn lenia_err(e: LeniaError) -> PyErr {
    value_error(e.to_string())
}

fn topology(name: &str) -> PyResult<Topology> {
    match name {
        "torus" => Ok(Topology::Torus),
        "bounded" => Ok(Topology::Bounded),
        other => Err(value_error(format!(
            "topology must be 'torus' or 'bounded', not '{other}'"
        ))),
    }
}

fn rule(text: &str) -> PyResult<Rule> {
    text.parse::<Rule>().map_err(life_err)
}

/// Cells `[H, W]` read from an integer or boolean array (any non-zero value is live).
fn cells_u8(obj: &Bound<'_, PyAny>) -> PyResult<(usize, usize, Vec<u8>)> {
    let np = obj.py().import("numpy")?;
    let arr = np.call_method1("asarray", (obj,))?;
    let ndim: usize = arr.getattr("ndim")?.extract()?;
    if ndim != 2 {
        return Err(value_error(format!(
            "cells must be a 2-D array [height, width], got {ndim} dimensions"
        )));
    }
    let arr = np.call_method1(
        "ascontiguousarray",
        (arr.call_method1("astype", ("uint8",))?,),
    )?;
    let a: numpy::PyReadonlyArrayDyn<'_, u8> = arr.extract()?;
    let shape = a.shape().to_vec();
    let v = a
        .as_slice()
        .map_err(|e| value_error(e.to_string()))?
        .to_vec();
    Ok((shape[0], shape[1], v))
}

/// A Life-like cellular automaton: a grid of live/dead cells under a birth/survival rule
/// (`B3/S23` is Conway's Life), on a torus or with dead cells beyond the edges.
#[pyclass(name = "Grid", module = "nca._native")]
pub struct LifeGrid {
    grid: Grid,
    rule: Rule,
    generation: u64,
}

#[pymethods]
impl LifeGrid {
    /// An all-dead `width × height` grid; or, with `cells` (`[height, width]`, non-zero live),
    /// that grid.
    #[new]
    #[pyo3(signature = (width = None, height = None, rule = "B3/S23", topology = "torus", cells = None))]
    fn new(
        width: Option<usize>,
        height: Option<usize>,
        rule: &str,
        topology: &str,
        cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let t = self::topology(topology)?;
        let grid = match cells {
            Some(c) => {
                let (h, w, v) = cells_u8(c)?;
                Grid::from_cells(w, h, t, v).map_err(life_err)?
            }
            None => match (width, height) {
                (Some(w), Some(h)) => Grid::new(w, h, t).map_err(life_err)?,
                _ => return Err(value_error("Grid needs width and height, or cells")),
            },
        };
        Ok(Self {
            grid,
            rule: self::rule(rule)?,
            generation: 0,
        })
    }

    /// A grid holding an RLE pattern (its own rule unless `rule` is given) or a built-in
    /// pattern by name (`life_patterns()`), centred, with `margin` dead cells around it unless
    /// `width` and `height` are given.
    #[staticmethod]
    #[pyo3(signature = (rle_or_name, width = None, height = None, margin = 8, rule = None, topology = "torus"))]
    fn pattern(
        rle_or_name: &str,
        width: Option<usize>,
        height: Option<usize>,
        margin: usize,
        rule: Option<&str>,
        topology: &str,
    ) -> PyResult<Self> {
        let p = if rle_or_name.contains('!') || rle_or_name.contains('\n') {
            Pattern::from_rle(rle_or_name)
        } else {
            Pattern::named(rle_or_name)
        }
        .map_err(life_err)?;
        let margin = margin.min(4096);
        let w = width.unwrap_or(p.width() + 2 * margin);
        let h = height.unwrap_or(p.height() + 2 * margin);
        let mut grid = Grid::new(w, h, self::topology(topology)?).map_err(life_err)?;
        grid.place_centered(&p).map_err(life_err)?;
        let rule = match rule {
            Some(r) => self::rule(r)?,
            None => p.rule().unwrap_or_else(Rule::life),
        };
        Ok(Self {
            grid,
            rule,
            generation: 0,
        })
    }

    /// A grid where each cell is live with probability `density`, reproducibly from `seed`.
    #[staticmethod]
    #[pyo3(signature = (width, height, density = 0.5, seed = 0, rule = "B3/S23", topology = "torus"))]
    fn random(
        width: usize,
        height: usize,
        density: f64,
        seed: u64,
        rule: &str,
        topology: &str,
    ) -> PyResult<Self> {
        let grid = Grid::random_soup(width, height, self::topology(topology)?, density, seed)
            .map_err(life_err)?;
        Ok(Self {
            grid,
            rule: self::rule(rule)?,
            generation: 0,
        })
    }

    /// Advances `steps` generations (in place) and returns the grid.
    #[pyo3(signature = (steps = 1))]
    fn step<'py>(mut slf: PyRefMut<'py, Self>, steps: usize) -> PyRefMut<'py, Self> {
        let py = slf.py();
        let this = &mut *slf;
        let (grid, rule) = (&mut this.grid, &this.rule);
        py.detach(|| {
            let mut other = grid.clone();
            for _ in 0..steps {
                grid.step_into(rule, &mut other);
                std::mem::swap(grid, &mut other);
            }
        });
        this.generation += steps as u64;
        slf
    }

    /// The cells, uint8 `[height, width]` (1 live), a copy.
    #[getter]
    fn cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
        to_numpy(
            py,
            &[self.grid.height(), self.grid.width()],
            self.grid.cells().to_vec(),
        )
    }

    /// Width in cells.
    #[getter]
    fn width(&self) -> usize {
        self.grid.width()
    }

    /// Height in cells.
    #[getter]
    fn height(&self) -> usize {
        self.grid.height()
    }

    /// Live cells.
    #[getter]
    fn population(&self) -> usize {
        self.grid.population()
    }

    /// Generations stepped since the grid was made.
    #[getter]
    fn generation(&self) -> u64 {
        self.generation
    }

    /// The rule in B/S notation.
    #[getter]
    fn rule(&self) -> String {
        self.rule.to_string()
    }

    /// The live region as RLE text (with the rule in its header).
    fn to_rle(&self) -> String {
        self.grid.to_pattern().with_rule(Some(self.rule)).to_rle()
    }

    fn __repr__(&self) -> String {
        format!(
            "<nca.life.Grid {}x{} {} generation {} population {}>",
            self.grid.width(),
            self.grid.height(),
            self.rule,
            self.generation,
            self.grid.population()
        )
    }

    fn __str__(&self) -> String {
        self.grid.to_string()
    }
}

/// The names of the built-in Life patterns.
#[pyfunction]
pub fn life_patterns() -> Vec<&'static str> {
    nca_life::pattern_names()
}

/// An elementary (Wolfram) CA run: the space-time diagram, uint8 `[steps + 1, width]`, of rule
/// `rule` (0–255) from `start`: "single" (one live cell in the middle), "random" (density 0.5,
/// `seed`), a pattern string such as "1101" (centred), or an array of cells. `boundary`:
/// "wrap" (a ring) or "0" / "1" (fixed cells beyond the ends).
#[pyfunction]
#[pyo3(signature = (rule, steps, width = 101, start = None, boundary = "wrap", seed = 0))]
pub fn eca_run<'py>(
    py: Python<'py>,
    rule: u32,
    steps: usize,
    width: usize,
    start: Option<&Bound<'py, PyAny>>,
    boundary: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let rule = u8::try_from(rule)
        .map(EcaRule)
        .map_err(|_| value_error(format!("rule must be in 0..=255, not {rule}")))?;
    let boundary: EcaBoundary = boundary.parse().map_err(life_err)?;
    let row = match start {
        None => Eca::single(width),
        Some(s) => match s.extract::<String>() {
            Ok(text) if text == "single" => Eca::single(width),
            Ok(text) if text == "random" => Eca::random(width, 0.5, seed),
            Ok(text) => Eca::from_pattern(&text, width),
            Err(_) => {
                let v: Vec<u8> = py
                    .import("numpy")?
                    .call_method1("asarray", (s,))?
                    .call_method1("astype", ("uint8",))?
                    .call_method0("tolist")?
                    .extract()
                    .map_err(|_| value_error("start must be a string or a 1-D array of cells"))?;
                Eca::from_cells(v)
            }
        },
    }
    .map_err(life_err)?;
    let w = row.width();
    let rows = py
        .detach(|| row.run(&rule, boundary, steps))
        .map_err(life_err)?;
    let n = rows.len();
    to_numpy(py, &[n, w], rows.concat())
}

/// A Lenia world: continuous states in [0, 1] on a torus, stepped by FFT ring kernels.
#[pyclass(name = "Lenia", module = "nca._native")]
pub struct LeniaWorld {
    world: Lenia,
    pattern: String,
}

#[pymethods]
impl LeniaWorld {
    /// A `width × height` world under the rule of the shipped pattern `pattern`
    /// (`lenia_patterns()`), the pattern placed in the middle (`place=False`: an empty world).
    #[new]
    #[pyo3(signature = (pattern = "orbium", width = 128, height = 128, place = true))]
    fn new(pattern: &str, width: usize, height: usize, place: bool) -> PyResult<Self> {
        let p = nca_life::lenia::lenia_pattern(pattern).map_err(lenia_err)?;
        let mut world = Lenia::new(p.params.clone(), width, height).map_err(lenia_err)?;
        if place {
            let (x, y) = (
                width.saturating_sub(p.width) / 2,
                height.saturating_sub(p.height) / 2,
            );
            world
                .place(&p.cells, p.width, p.height, x, y)
                .map_err(lenia_err)?;
        }
        Ok(Self {
            world,
            pattern: p.id,
        })
    }

    /// Advances `steps` steps (in place) and returns the world.
    #[pyo3(signature = (steps = 1))]
    fn step<'py>(mut slf: PyRefMut<'py, Self>, steps: usize) -> PyRefMut<'py, Self> {
        let py = slf.py();
        let world = &mut slf.world;
        py.detach(|| {
            for _ in 0..steps {
                world.step();
            }
        });
        slf
    }

    /// The states, float32 `[channels, height, width]`, a copy.
    #[getter]
    fn cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let c = self.world.params().channels;
        to_numpy(
            py,
            &[c, self.world.height(), self.world.width()],
            self.world.cells().to_vec(),
        )
    }

    /// Replaces the states with `cells` (float32 `[channels, height, width]`, clipped to [0, 1]).
    #[setter]
    fn set_cells(&mut self, cells: &Bound<'_, PyAny>) -> PyResult<()> {
        let (shape, v) = f32_array(cells, "cells", 3)?;
        let want = [
            self.world.params().channels,
            self.world.height(),
            self.world.width(),
        ];
        if shape != want {
            return Err(value_error(format!(
                "cells must have shape {want:?}, got {shape:?}"
            )));
        }
        self.world.set_cells(&v).map_err(lenia_err)
    }

    /// Steps taken.
    #[getter]
    fn steps(&self) -> u64 {
        self.world.steps()
    }

    /// Total mass (sum of all states).
    #[getter]
    fn mass(&self) -> f64 {
        self.world.cells().iter().map(|&v| v as f64).sum()
    }

    fn __repr__(&self) -> String {
        format!(
            "<nca.life.Lenia {} {}x{} step {}>",
            self.pattern,
            self.world.width(),
            self.world.height(),
            self.world.steps()
        )
    }
}

/// The names of the shipped Lenia patterns.
#[pyfunction]
pub fn lenia_patterns() -> Vec<String> {
    nca_life::lenia::lenia_pattern_names()
}
