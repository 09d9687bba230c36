//! ARC tasks as read from their JSON files: grids of colours 0–9, demonstration (`train`) pairs
//! and `test` pairs, with one-line errors naming the file and the offending grid.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{ArcError, Result};

/// The largest grid side ARC uses.
pub const MAX_SIDE: usize = 30;
/// Number of colours.
pub const COLOURS: usize = 10;

/// A grid of colours `0..10`, row-major.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Grid {
    height: usize,
    width: usize,
    cells: Vec<u8>,
}

impl Grid {
    /// A grid from its rows; every row must have the same length, sides in `1..=30` and colours
    /// in `0..10`. `what` names the grid in errors.
    pub fn from_rows(rows: &[Vec<i64>], what: &str) -> std::result::Result<Grid, String> {
        let height = rows.len();
        let width = rows.first().map_or(0, Vec::len);
        if height == 0 || width == 0 {
            return Err(format!("{what} is empty"));
        }
        if height > MAX_SIDE || width > MAX_SIDE * 4 {
            // 1D-ARC rows reach 93 cells; taller grids than ARC's 30 are refused.
            return Err(format!(
                "{what} is {height}x{width}, larger than ARC allows"
            ));
        }
        let mut cells = Vec::with_capacity(height * width);
        for (y, row) in rows.iter().enumerate() {
            if row.len() != width {
                return Err(format!(
                    "{what} has ragged rows (row 0 has {width} cells, row {y} has {})",
                    row.len()
                ));
            }
            for (x, &v) in row.iter().enumerate() {
                if !(0..COLOURS as i64).contains(&v) {
                    return Err(format!(
                        "{what} has colour {v} at row {y}, column {x} (colours are 0-9)"
                    ));
                }
                cells.push(v as u8);
            }
        }
        Ok(Grid {
            height,
            width,
            cells,
        })
    }

    /// A grid from its size and cells (each below 10).
    pub fn new(height: usize, width: usize, cells: Vec<u8>) -> Grid {
        assert_eq!(
            cells.len(),
            height * width,
            "grid cells must be height*width"
        );
        debug_assert!(cells.iter().all(|&c| (c as usize) < COLOURS));
        Grid {
            height,
            width,
            cells,
        }
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// `(height, width)`.
    pub fn size(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// The colours, row-major.
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// The colour at row `y`, column `x`.
    pub fn at(&self, y: usize, x: usize) -> u8 {
        self.cells[y * self.width + x]
    }

    /// The rows as lists of numbers (the JSON form).
    pub fn rows(&self) -> Vec<Vec<u8>> {
        self.cells.chunks(self.width).map(<[u8]>::to_vec).collect()
    }
}

impl fmt::Display for Grid {
    /// One line per row, one digit per cell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in self.cells.chunks(self.width) {
            for &c in row {
                write!(f, "{c}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// An input grid and the output it should become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The input.
    pub input: Grid,
    /// The expected output.
    pub output: Grid,
}

impl Pair {
    /// Whether the output has the input's size.
    pub fn same_size(&self) -> bool {
        self.input.size() == self.output.size()
    }
}

/// One ARC task: its name (the file stem), demonstration pairs and test pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArcTask {
    /// The file stem, e.g. `007bbfb7` or `1d_move_1p_10`.
    pub name: String,
    /// The folder the file lies in, relative to the folder a listing started from (`""` for
    /// a file given directly); 1D-ARC's folders are its families.
    pub group: String,
    /// The demonstration pairs: the only ones a solver may learn from.
    pub train: Vec<Pair>,
    /// The pairs to solve.
    pub test: Vec<Pair>,
}

impl ArcTask {
    /// Whether every pair's output has its input's size (what the cellular automaton can
    /// produce).
    pub fn same_size(&self) -> bool {
        self.train.iter().chain(&self.test).all(Pair::same_size)
    }

    /// Parses a task from JSON text; `source` names it in errors.
    pub fn from_json(text: &str, name: &str, source: &Path) -> Result<ArcTask> {
        #[derive(Deserialize)]
        struct RawPair {
            input: Vec<Vec<i64>>,
            output: Vec<Vec<i64>>,
        }
        #[derive(Deserialize)]
        struct RawTask {
            train: Option<Vec<RawPair>>,
            test: Option<Vec<RawPair>>,
        }
        let bad = |msg: String| ArcError::Task {
            path: source.to_path_buf(),
            msg,
        };
        let raw: RawTask = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let pairs = |list: Option<Vec<RawPair>>, key: &str| -> Result<Vec<Pair>> {
            let list = list.ok_or_else(|| bad(format!("missing \"{key}\"")))?;
            if list.is_empty() {
                return Err(bad(format!("\"{key}\" has no pairs")));
            }
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(Pair {
                        input: Grid::from_rows(&p.input, &format!("{key}[{i}].input"))
                            .map_err(bad)?,
                        output: Grid::from_rows(&p.output, &format!("{key}[{i}].output"))
                            .map_err(bad)?,
                    })
                })
                .collect()
        };
        Ok(ArcTask {
            name: name.to_string(),
            group: String::new(),
            train: pairs(raw.train, "train")?,
            test: pairs(raw.test, "test")?,
        })
    }

    /// Reads the task in the JSON file at `path`.
    pub fn read(path: &Path) -> Result<ArcTask> {
        let text = std::fs::read_to_string(path).map_err(|e| ArcError::Io {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        ArcTask::from_json(&text, &name, path)
    }
}

/// The task files under `paths`: each file as given, each folder searched recursively for
/// `*.json`, sorted by path within each folder. Returns each file with its group (its folder
/// relative to the folder given).
pub fn task_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            for f in found {
                let group = f
                    .parent()
                    .and_then(|d| d.strip_prefix(p).ok())
                    .map(|d| d.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push((f, group));
            }
        } else if p.is_file() {
            out.push((p.clone(), String::new()));
        } else {
            return Err(ArcError::Io {
                path: p.clone(),
                msg: "no such file or folder".into(),
            });
        }
    }
    if out.is_empty() {
        return Err(ArcError::Io {
            path: paths.first().cloned().unwrap_or_default(),
            msg: "no .json task files found".into(),
        });
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let io = |e: std::io::Error| ArcError::Io {
        path: dir.to_path_buf(),
        msg: e.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every task under `paths` (see [`task_files`]).
pub fn read_tasks(paths: &[PathBuf]) -> Result<Vec<ArcTask>> {
    task_files(paths)?
        .into_iter()
        .map(|(f, group)| {
            let mut t = ArcTask::read(&f)?;
            t.group = group;
            Ok(t)
        })
        .collect()
}
