//! A benchmark folder at a glance: tasks, the share the automaton can answer, grid sizes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::grid::ArcTask;

/// The summary `nca arc info` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Info {
    /// Tasks.
    pub tasks: usize,
    /// Tasks whose every output has its input's size.
    pub same_size: usize,
    /// `same_size / tasks`.
    pub same_size_share: f64,
    /// Demonstration pairs over all tasks.
    pub train_pairs: usize,
    /// Test pairs over all tasks.
    pub test_pairs: usize,
    /// Smallest and largest grid height over every grid.
    pub height: (usize, usize),
    /// Smallest and largest grid width over every grid.
    pub width: (usize, usize),
    /// Mean cells per grid.
    pub mean_cells: f64,
    /// Tasks per folder.
    pub groups: BTreeMap<String, usize>,
}

impl Info {
    /// The summary of `tasks`.
    pub fn of(tasks: &[ArcTask]) -> Info {
        let grids: Vec<_> = tasks
            .iter()
            .flat_map(|t| t.train.iter().chain(&t.test))
            .flat_map(|p| [&p.input, &p.output])
            .collect();
        let range = |f: &dyn Fn(&crate::Grid) -> usize| {
            let lo = grids.iter().map(|g| f(g)).min().unwrap_or(0);
            let hi = grids.iter().map(|g| f(g)).max().unwrap_or(0);
            (lo, hi)
        };
        let same_size = tasks.iter().filter(|t| t.same_size()).count();
        let mut groups = BTreeMap::new();
        for t in tasks {
            *groups.entry(t.group.clone()).or_insert(0) += 1;
        }
        Info {
            tasks: tasks.len(),
            same_size,
            same_size_share: same_size as f64 / tasks.len().max(1) as f64,
            train_pairs: tasks.iter().map(|t| t.train.len()).sum(),
            test_pairs: tasks.iter().map(|t| t.test.len()).sum(),
            height: range(&|g| g.height()),
            width: range(&|g| g.width()),
            mean_cells: grids.iter().map(|g| g.cells().len()).sum::<usize>() as f64
                / grids.len().max(1) as f64,
            groups,
        }
    }
}
