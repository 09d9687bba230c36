//! Reading training metrics from a JSON-lines file: one JSON object per line with an integer
//! `"step"` and any number of numeric fields (`"loss"`, `"lr"`, `"steps_per_s"`, ...).

use std::path::Path;

use serde_json::Value;

use crate::error::VizError;

/// One named metric over training steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The field name, e.g. `"loss"`.
    pub name: String,
    /// `(step, value)` points in file order.
    pub points: Vec<(f64, f64)>,
}

/// All numeric fields of a metrics file, `"loss"` first and the others in order of first
/// appearance. Non-numeric fields (strings, booleans, `null`, nested values) are skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    /// Number of records (lines with a step).
    pub records: usize,
    /// One series per numeric field.
    pub series: Vec<Series>,
}

/// Parses the text of a metrics file; `path` is only used in error messages.
///
/// Blank lines are skipped. A line that is not a JSON object with an integer `"step"` is an
/// error naming its line number, except an unterminated last line (no trailing newline), which
/// is taken to be a record still being written and ignored. A file with no records is
/// [`VizError::NoMetrics`].
pub fn parse_metrics(text: &str, path: &Path) -> Result<Metrics, VizError> {
    let mut metrics = Metrics::default();
    let line_count = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| VizError::BadMetricsLine {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        let partial_last = i + 1 == line_count && !text.ends_with('\n');
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) if partial_last => break,
            Err(e) => {
                return Err(bad(format!(
                    "not valid JSON ({})",
                    crate::error::one_line(&e.to_string())
                )));
            }
        };
        let Value::Object(obj) = value else {
            return Err(bad("expected a JSON object".into()));
        };
        let step = match obj.get("step") {
            None => return Err(bad("missing \"step\"".into())),
            Some(s) => match s
                .as_i64()
                .map(|v| v as f64)
                .or(s.as_u64().map(|v| v as f64))
            {
                Some(s) => s,
                None => return Err(bad(format!("\"step\" is {s}, not an integer"))),
            },
        };
        metrics.records += 1;
        for (key, v) in &obj {
            if key == "step" {
                continue;
            }
            let Some(y) = v.as_f64() else { continue };
            match metrics.series.iter_mut().find(|s| &s.name == key) {
                Some(s) => s.points.push((step, y)),
                None => metrics.series.push(Series {
                    name: key.clone(),
                    points: vec![(step, y)],
                }),
            }
        }
    }
    if metrics.records == 0 {
        return Err(VizError::NoMetrics(path.to_path_buf()));
    }
    if let Some(i) = metrics.series.iter().position(|s| s.name == "loss") {
        let loss = metrics.series.remove(i);
        metrics.series.insert(0, loss);
    }
    Ok(metrics)
}

/// Reads and parses a metrics file (see [`parse_metrics`]); a missing file is an error.
pub fn read_metrics(path: &Path) -> Result<Metrics, VizError> {
    let text = std::fs::read_to_string(path).map_err(|source| VizError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_metrics(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Metrics, VizError> {
        parse_metrics(s, Path::new("m.jsonl"))
    }

    #[test]
    fn fields_in_order_with_loss_first() {
        let m = parse(concat!(
            "{\"step\": 0, \"lr\": 0.002, \"loss\": 1.5, \"phase\": \"train\"}\n",
            "\n",
            "{\"step\": 10, \"lr\": 0.001, \"loss\": 0.5, \"steps_per_s\": 12, \"ok\": true}\n",
            "{\"step\": 20, \"loss\": null}\n",
        ))
        .unwrap();
        assert_eq!(m.records, 3);
        let names: Vec<&str> = m.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["loss", "lr", "steps_per_s"]);
        assert_eq!(m.series[0].points, [(0.0, 1.5), (10.0, 0.5)]);
        assert_eq!(m.series[2].points, [(10.0, 12.0)]);
    }

    #[test]
    fn empty_file_has_no_metrics() {
        for text in ["", "\n  \n"] {
            let e = parse(text).unwrap_err();
            assert!(matches!(e, VizError::NoMetrics(_)));
            assert_eq!(e.to_string(), "no metrics yet in m.jsonl");
        }
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let cases = [
            ("{\"step\": 0}\n{oops}\n", 2, "not valid JSON"),
            ("[1, 2]\n", 1, "expected a JSON object"),
            ("{\"step\": 0}\n\n{\"loss\": 1}\n", 3, "missing \"step\""),
            ("{\"step\": 1.5}\n", 1, "not an integer"),
            ("{\"step\": \"3\"}\n", 1, "not an integer"),
        ];
        for (text, line, reason) in cases {
            let e = parse(text).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, VizError::BadMetricsLine { line: l, .. } if l == line),
                "{msg}"
            );
            assert!(msg.starts_with(&format!("m.jsonl line {line}: ")), "{msg}");
            assert!(msg.contains(reason), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn unterminated_last_line_is_ignored() {
        let m = parse("{\"step\": 0, \"loss\": 1}\n{\"step\": 1, \"lo").unwrap();
        assert_eq!(m.records, 1);
        // ... but only when it is the last line and unterminated.
        assert!(parse("{\"step\": 1, \"lo\n").is_err());
        // A lone unterminated partial record still means there are no metrics yet.
        assert!(matches!(parse("{\"ste"), Err(VizError::NoMetrics(_))));
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let e = read_metrics(Path::new("/nonexistent/nca/metrics.jsonl")).unwrap_err();
        assert!(matches!(e, VizError::Read { .. }));
        assert!(
            e.to_string()
                .starts_with("cannot read /nonexistent/nca/metrics.jsonl: ")
        );
    }
}
