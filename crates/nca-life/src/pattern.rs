//! [`Pattern`]: a rectangle of live and dead cells, read from and written to the standard RLE
//! format of Life software.
//!
//! RLE looks like this:
//!
//! ```text
//! #N Glider
//! #C Any line starting with '#' is a comment.
//! x = 3, y = 3, rule = B3/S23
//! bob$2bo$3o!
//! ```
//!
//! After optional `#` lines comes the header with the width `x` and height `y` (and optionally
//! the rule), then the cells row by row: `b` (or `.`) is a dead cell, `o` a live one, `$` ends a
//! row and `!` ends the pattern; each may be preceded by a run count. Cells past the end of a row
//! are dead, whitespace and line breaks in the body are ignored, and anything after `!` is
//! ignored. A missing final `!` is tolerated.

use std::fmt::Write as _;
use std::str::FromStr;

use super::error::LifeError;
use super::grid::{MAX_CELLS, binary_cells, cells_within_limits};
use super::rule::Rule;

/// Longest RLE body line [`Pattern::to_rle`] writes.
const RLE_LINE: usize = 70;

/// A rectangle of cells (`1` live, `0` dead, row-major) with an optional rule and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    width: usize,
    height: usize,
    cells: Vec<u8>,
    rule: Option<Rule>,
    name: Option<String>,
}

/// Checks a pattern size: each side at most [`MAX_SIDE`](super::grid::MAX_SIDE), at most
/// [`MAX_CELLS`] cells.
fn check_pattern_size(width: usize, height: usize) -> Result<usize, LifeError> {
    cells_within_limits(width, height, 0).ok_or(LifeError::PatternSize { width, height })
}

impl Pattern {
    /// A pattern from row-major cells (non-zero is live) of a `width × height` rectangle.
    pub fn new(width: usize, height: usize, cells: Vec<u8>) -> Result<Pattern, LifeError> {
        let n = check_pattern_size(width, height)?;
        Ok(Pattern {
            width,
            height,
            cells: binary_cells(width, height, n, cells)?,
            rule: None,
            name: None,
        })
    }

    /// A pattern from parts already known to be valid (a grid's size and 0/1 cells).
    pub(super) fn from_valid(width: usize, height: usize, cells: Vec<u8>) -> Pattern {
        Pattern {
            width,
            height,
            cells,
            rule: None,
            name: None,
        }
    }

    /// The same pattern with a rule attached (written into the RLE header).
    pub fn with_rule(mut self, rule: Option<Rule>) -> Pattern {
        self.rule = rule;
        self
    }

    /// The same pattern with a name attached (written as an RLE `#N` line).
    pub fn with_name(mut self, name: Option<String>) -> Pattern {
        self.name = name.map(|n| n.replace(['\n', '\r'], " "));
        self
    }

    /// Width of the bounding rectangle.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the bounding rectangle.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row-major cells, `1` live and `0` dead.
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// The rule given in the RLE header, if any.
    pub fn rule(&self) -> Option<Rule> {
        self.rule
    }

    /// The name given in an RLE `#N` line, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// True when cell `(x, y)` is live; false outside the rectangle.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.cells[y * self.width + x] != 0
    }

    /// Number of live cells.
    pub fn population(&self) -> usize {
        self.cells.iter().filter(|&&c| c != 0).count()
    }

    /// Parses RLE text (see the module documentation); errors name the offending line.
    pub fn from_rle(text: &str) -> Result<Pattern, LifeError> {
        let mut name = None;
        let mut lines = text.lines().enumerate();
        let (header_line, header) = loop {
            match lines.next() {
                None => {
                    return Err(LifeError::Rle {
                        line: text.lines().count().max(1),
                        reason: "no header line 'x = <width>, y = <height>'".into(),
                    });
                }
                Some((i, l)) => {
                    let t = l.trim();
                    if let Some(n) = t.strip_prefix("#N") {
                        name = Some(n.trim().to_string()).filter(|n| !n.is_empty());
                    } else if !t.is_empty() && !t.starts_with('#') {
                        break (i + 1, t);
                    }
                }
            }
        };
        let (width, height, rule) = parse_header(header, header_line)?;
        check_pattern_size(width, height).map_err(|e| LifeError::Rle {
            line: header_line,
            reason: e.to_string(),
        })?;
        let cells = parse_body(lines, width, height)?;
        Ok(Pattern {
            width,
            height,
            cells,
            rule,
            name,
        })
    }

    /// Writes the pattern as RLE: an `#N` line if named, the header (with the rule if any) and
    /// the run-length encoded cells in lines of at most 70 characters.
    pub fn to_rle(&self) -> String {
        let mut out = String::new();
        if let Some(n) = &self.name {
            let _ = writeln!(out, "#N {n}");
        }
        let _ = write!(out, "x = {}, y = {}", self.width, self.height);
        if let Some(r) = self.rule {
            let _ = write!(out, ", rule = {r}");
        }
        out.push('\n');
        let mut tokens = Vec::new();
        let mut pending_rows = 0usize;
        for row in self.cells.chunks(self.width.max(1)).take(self.height) {
            let runs = runs(row);
            if runs.is_empty() {
                pending_rows += 1;
                continue;
            }
            if !tokens.is_empty() {
                tokens.push(run_token(pending_rows + 1, '$'));
            } else if pending_rows > 0 {
                tokens.push(run_token(pending_rows, '$'));
            }
            pending_rows = 0;
            tokens.extend(runs);
        }
        tokens.push("!".into());
        let mut line = String::new();
        for t in tokens {
            if line.len() + t.len() > RLE_LINE {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            line.push_str(&t);
        }
        out.push_str(&line);
        out.push('\n');
        out
    }
}

impl FromStr for Pattern {
    type Err = LifeError;

    fn from_str(s: &str) -> Result<Pattern, LifeError> {
        Pattern::from_rle(s)
    }
}

/// `"3o"`, `"o"`, `"2$"`, ...
fn run_token(n: usize, tag: char) -> String {
    if n == 1 {
        tag.to_string()
    } else {
        format!("{n}{tag}")
    }
}

/// The run tokens of one row, without trailing dead cells.
fn runs(row: &[u8]) -> Vec<String> {
    let end = row.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < end {
        let v = row[i];
        let n = row[i..end].iter().take_while(|&&c| c == v).count();
        out.push(run_token(n, if v != 0 { 'o' } else { 'b' }));
        i += n;
    }
    out
}

/// Parses `x = m, y = n[, rule = R]` into (width, height, rule).
fn parse_header(header: &str, line: usize) -> Result<(usize, usize, Option<Rule>), LifeError> {
    let bad = |reason: String| LifeError::Rle { line, reason };
    let (mut width, mut height, mut rule) = (None, None, None);
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(bad(format!(
                "expected header 'x = <width>, y = <height>', found '{}'",
                header.escape_debug()
            )));
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
        let number = || {
            value.parse::<usize>().map_err(|_| {
                bad(format!(
                    "'{key}' must be a non-negative integer, found '{}'",
                    value.escape_debug()
                ))
            })
        };
        match key.as_str() {
            "x" => width = Some(number()?),
            "y" => height = Some(number()?),
            "rule" => rule = Some(value.parse::<Rule>().map_err(|e| bad(e.to_string()))?),
            _ => {} // Other keys (some programs write extras) are ignored.
        }
    }
    match (width, height) {
        (Some(w), Some(h)) => Ok((w, h, rule)),
        _ => Err(bad(format!(
            "header must give both x and y, found '{}'",
            header.escape_debug()
        ))),
    }
}

/// Parses the RLE body lines into `width × height` cells.
fn parse_body<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
    width: usize,
    height: usize,
) -> Result<Vec<u8>, LifeError> {
    let mut cells = vec![0u8; width * height];
    let (mut x, mut y) = (0usize, 0usize);
    let mut count: Option<usize> = None;
    let mut last_line = 1;
    'lines: for (i, line) in lines {
        let line_no = i + 1;
        last_line = line_no;
        if line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |reason: String| LifeError::Rle {
            line: line_no,
            reason,
        };
        for c in line.chars() {
            if let Some(d) = c.to_digit(10) {
                let n = count
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(d as usize))
                    .filter(|&n| n <= MAX_CELLS)
                    .ok_or_else(|| bad("run count too large".into()))?;
                count = Some(n);
                continue;
            }
            if c.is_whitespace() {
                continue;
            }
            let pending = count.take();
            let n = pending.unwrap_or(1);
            match c {
                'b' | '.' => x = x.saturating_add(n),
                'o' => {
                    let end = x.saturating_add(n);
                    if y >= height || end > width {
                        return Err(bad(format!(
                            "live cells reach column {end} of row {} but the header says x = {width}, y = {height}",
                            y.saturating_add(1)
                        )));
                    }
                    cells[y * width + x..y * width + end].fill(1);
                    x = end;
                }
                '$' => {
                    y = y.saturating_add(n);
                    x = 0;
                }
                '!' => {
                    if let Some(n) = pending {
                        return Err(bad(format!("run count {n} before '!'")));
                    }
                    break 'lines;
                }
                _ => {
                    return Err(bad(format!(
                        "unexpected character '{}' (expected b, o, $, ! or a run count)",
                        c.escape_debug()
                    )));
                }
            }
        }
    }
    if let Some(n) = count {
        return Err(LifeError::Rle {
            line: last_line,
            reason: format!("run count {n} is not followed by b, o or $"),
        });
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_SIDE;

    fn rle(s: &str) -> Pattern {
        Pattern::from_rle(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rows(p: &Pattern) -> Vec<String> {
        p.cells()
            .chunks(p.width())
            .map(|r| r.iter().map(|&c| if c != 0 { 'o' } else { '.' }).collect())
            .collect()
    }

    #[test]
    fn parses_glider_with_comments_and_rule() {
        let p = rle("#N Glider\n#C a comment\nx = 3, y = 3, rule = B3/S23\nbob$2bo$3o!\n");
        assert_eq!((p.width(), p.height()), (3, 3));
        assert_eq!(rows(&p), [".o.", "..o", "ooo"]);
        assert_eq!(p.rule(), Some(Rule::life()));
        assert_eq!(p.name(), Some("Glider"));
        assert_eq!(p.population(), 5);
        assert!(p.get(1, 0) && !p.get(0, 0) && !p.get(5, 5));
    }

    #[test]
    fn run_counts_blank_rows_whitespace_and_dots() {
        let p = rle("x=5,y=4\n2o.o$\n\n2$ 4bo\n!trailing junk");
        assert_eq!(rows(&p), ["oo.o.", ".....", ".....", "....o"]);
        // Header-only rows past the last '$' are dead; a missing '!' is tolerated.
        let p = rle("x = 2, y = 3\no");
        assert_eq!(rows(&p), ["o.", "..", ".."]);
        let p = rle("x = 0, y = 0\n!");
        assert_eq!(p.population(), 0);
    }

    #[test]
    fn round_trip() {
        let cases = [
            "x = 3, y = 3, rule = B3/S23\nbob$2bo$3o!",
            "x = 6, y = 5\n$2b2o$6o2$o!",
            "x = 4, y = 4\n!",
        ];
        for text in cases {
            let p = rle(text);
            let again = rle(&p.to_rle());
            assert_eq!(again, p, "{}", p.to_rle());
        }
        // Blank leading rows, trailing blank rows and long lines.
        let mut cells = vec![0u8; 200 * 4];
        for x in (0..200).step_by(2) {
            cells[200 + x] = 1;
        }
        let p = Pattern::new(200, 4, cells)
            .unwrap()
            .with_name(Some("wide".into()))
            .with_rule(Some("B36/S23".parse().unwrap()));
        let text = p.to_rle();
        assert!(text.lines().all(|l| l.len() <= 70), "{text}");
        assert!(text.starts_with("#N wide\nx = 200, y = 4, rule = B36/S23\n$obo"));
        assert_eq!(rle(&text), p);
    }

    #[test]
    fn canonical_output() {
        let p = rle("x = 3, y = 3\nbob$2bo$3o!");
        assert_eq!(p.to_rle(), "x = 3, y = 3\nbo$2bo$3o!\n");
    }

    #[test]
    fn errors_name_the_line() {
        let check = |text: &str, line: usize, reason: &str| {
            let e = Pattern::from_rle(text).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, LifeError::Rle { line: l, .. } if l == line),
                "{text:?}: {msg}"
            );
            assert!(msg.contains(reason), "{text:?}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        };
        // A missing or bad header is reported at line 1.
        for (text, reason) in [
            ("", "no header"),
            ("#C only comments\n", "no header"),
            ("bob$2bo$3o!", "expected header"),
            ("x = 3\nooo!", "both x and y"),
            ("x = 3, y = -1\n", "non-negative integer"),
            ("x = 3, y = 3, rule = B9/S23\n", "digit 9 out of range 0..8"),
            (
                "x = 100000, y = 1\n!",
                "pattern size 100000x1 is out of range",
            ),
        ] {
            check(text, 1, reason);
        }
        for (text, line, reason) in [
            ("x = 3, y = 1\n\n4o!", 3, "header says x = 3"),
            ("x = 3, y = 1\no$o!", 2, "row 2"),
            ("#N a\nx = 3, y = 1\n3o\n2q!", 4, "unexpected character 'q'"),
            ("x = 3, y = 1\n3o3", 2, "run count 3 is not followed"),
            ("x = 3, y = 1\n3o2!", 2, "run count 2 before '!'"),
            (
                "x = 3, y = 1\n99999999999999999999o!",
                2,
                "run count too large",
            ),
        ] {
            check(text, line, reason);
        }
    }

    #[test]
    fn new_checks_sizes() {
        assert!(Pattern::new(2, 2, vec![0; 3]).is_err());
        assert!(Pattern::new(MAX_SIDE + 1, 0, vec![]).is_err());
        assert_eq!(Pattern::new(2, 1, vec![7, 0]).unwrap().cells(), [1, 0]);
    }
}
