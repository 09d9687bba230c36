//! The one error type of the Life module.

/// Why a rule, pattern or grid could not be made. Each message is one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LifeError {
    /// A rule string that is neither B/S notation nor a known rule name.
    #[error("malformed rule '{rule}': {reason} (expected e.g. B3/S23)")]
    Rule {
        /// The rule as given (escaped to one line).
        rule: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Malformed RLE text.
    #[error("malformed RLE at line {line}: {reason}")]
    Rle {
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// A built-in pattern name that does not exist.
    #[error("unknown pattern '{name}' (known: {known})")]
    UnknownPattern {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A grid size of zero or beyond the supported maximum.
    #[error(
        "grid size {width}x{height} is out of range ({})",
        super::grid::size_limits(1)
    )]
    GridSize {
        /// Requested width.
        width: usize,
        /// Requested height.
        height: usize,
    },
    /// A pattern size beyond the supported maximum.
    #[error(
        "pattern size {width}x{height} is out of range ({})",
        super::grid::size_limits(0)
    )]
    PatternSize {
        /// Pattern width.
        width: usize,
        /// Pattern height.
        height: usize,
    },
    /// A cell buffer whose length does not match the size.
    #[error("cell buffer has {got} values but a {width}x{height} grid needs {expected}")]
    CellCount {
        /// Grid width.
        width: usize,
        /// Grid height.
        height: usize,
        /// Needed number of cells.
        expected: usize,
        /// Given number of cells.
        got: usize,
    },
    /// A random-soup density outside `0..=1`.
    #[error("soup density {0} is out of range (expected 0..=1)")]
    BadDensity(f64),
    /// A pattern placed where it does not fit.
    #[error(
        "a {pattern_width}x{pattern_height} pattern at ({x}, {y}) does not fit in the {width}x{height} grid"
    )]
    DoesNotFit {
        /// Pattern width.
        pattern_width: usize,
        /// Pattern height.
        pattern_height: usize,
        /// Requested left column.
        x: usize,
        /// Requested top row.
        y: usize,
        /// Grid width.
        width: usize,
        /// Grid height.
        height: usize,
    },
    /// A string that is not an elementary rule number `0..=255`.
    #[error("malformed elementary rule '{rule}': {reason} (expected 0..=255, e.g. 30 or rule30)")]
    EcaRule {
        /// The rule as given (escaped to one line, shortened if long).
        rule: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A row boundary name that is not `wrap`, `fixed0` or `fixed1`.
    #[error("unknown boundary '{boundary}' (expected wrap, fixed0 or fixed1)")]
    EcaBoundary {
        /// The boundary as given (escaped to one line, shortened if long).
        boundary: String,
    },
    /// An elementary-automaton row width of zero or beyond the supported maximum.
    #[error("row width {0} is out of range (1..={max})", max = super::eca::MAX_ECA_WIDTH)]
    EcaWidth(usize),
    /// A row pattern with characters other than `0`/`1`, `.`/`#` or `.`/`*`, or wider than
    /// the row.
    #[error("malformed row pattern: {reason}")]
    EcaPattern {
        /// What is wrong with it.
        reason: String,
    },
    /// A run with too many steps or too many cells in its space-time diagram.
    #[error(
        "a run of {steps} steps at width {width} is too large (at most {} steps and {} cells in the diagram)",
        super::eca::MAX_ECA_STEPS,
        super::eca::MAX_ECA_CELLS
    )]
    EcaRun {
        /// Row width.
        width: usize,
        /// Requested steps.
        steps: usize,
    },
    /// A cell coordinate outside the grid.
    #[error("cell ({x}, {y}) is outside the {width}x{height} grid")]
    OutOfBounds {
        /// Column.
        x: usize,
        /// Row.
        y: usize,
        /// Grid width.
        width: usize,
        /// Grid height.
        height: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let errors = [
            LifeError::Rule {
                rule: "x".into(),
                reason: "y".into(),
            },
            LifeError::Rle {
                line: 3,
                reason: "z".into(),
            },
            LifeError::GridSize {
                width: 0,
                height: 1,
            },
            LifeError::BadDensity(2.0),
            LifeError::EcaRule {
                rule: "x".into(),
                reason: "y",
            },
            LifeError::EcaBoundary {
                boundary: "z".into(),
            },
            LifeError::EcaWidth(0),
            LifeError::EcaPattern { reason: "w".into() },
            LifeError::EcaRun { width: 1, steps: 2 },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(!s.contains('\n') && !s.is_empty(), "{s}");
        }
        assert_eq!(
            LifeError::GridSize {
                width: 0,
                height: 1
            }
            .to_string(),
            "grid size 0x1 is out of range (each side 1..=16384, at most 67108864 cells)"
        );
    }
}
