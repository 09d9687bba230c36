//! Line plots rendered to PNG: training metrics (one panel per field) and general curves such as
//! accuracy or agreement per tick.
//!
//! Plots are drawn with plotters into memory using the embedded font, turned into a [`Frame`],
//! encoded as PNG and written atomically.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::color::class_color;
use crate::error::{VizError, plot_err};
use crate::frame::Frame;
use crate::metrics::{Metrics, read_metrics};
use crate::png_io::save_png;

/// Width of every plot, in pixels.
pub const PLOT_WIDTH: usize = 1000;
/// Height of a [`render_curves`] plot, in pixels.
pub const CURVES_HEIGHT: usize = 600;
/// Height of the title band of a metrics plot, in pixels.
pub const TITLE_HEIGHT: usize = 50;
/// Height of one panel of a metrics plot, in pixels.
pub const PANEL_HEIGHT: usize = 280;
/// Most panels in a metrics plot; further fields are left out.
pub const MAX_PANELS: usize = 12;

/// A short, readable tick label: up to four significant digits in plain decimals for ordinary
/// magnitudes, scientific notation otherwise.
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The range covering the finite values, widened when it is a single value.
fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return Some(lo - pad..hi + pad);
    }
    Some(lo..hi)
}

/// A linear y range with a 5% margin.
fn padded(r: Range<f64>) -> Range<f64> {
    let m = (r.end - r.start) * 0.05;
    r.start - m..r.end + m
}

type Points<'a> = (&'a str, &'a [(f64, f64)]);

/// Draws one chart of `series` on `area`, on the given y coordinate spec.
fn draw_chart<DB, YS>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_label: &str,
    y_label: &str,
    x_range: Range<f64>,
    y_spec: YS,
    series: &[Points<'_>],
) -> Result<(), VizError>
where
    DB: DrawingBackend,
    YS: AsRangedCoord<Value = f64>,
    YS::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range, y_spec)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| format_tick(*v))
        .y_label_formatter(&|v| format_tick(*v))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(plot_err)?;
    let named = series.iter().filter(|(n, _)| !n.is_empty()).count();
    for (i, (name, points)) in series.iter().enumerate() {
        let [r, g, b] = class_color(i);
        let color = RGBColor(r, g, b);
        let finite = points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let drawn = chart
            .draw_series(LineSeries::new(finite, color.stroke_width(2)))
            .map_err(plot_err)?;
        if !name.is_empty() {
            drawn.label(*name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
    }
    if named > 1 {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.5))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_err)?;
    }
    Ok(())
}

/// Draws a chart with a linear y axis, or a logarithmic one when `log_y` and every finite value
/// is positive.
fn draw_auto_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_label: &str,
    y_label: &str,
    series: &[Points<'_>],
    log_y: bool,
) -> Result<(), VizError> {
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let ys = || series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
    let x_range = span(xs).unwrap_or(0.0..1.0);
    let Some(y_range) = span(ys()) else {
        let caption = format!("{caption} (no finite values)");
        return draw_chart(area, &caption, x_label, y_label, x_range, 0.0..1.0, series);
    };
    let all_positive = ys().filter(|v| v.is_finite()).all(|v| v > 0.0);
    if log_y && all_positive {
        let (lo, hi) = (y_range.start.max(f64::MIN_POSITIVE), y_range.end);
        let y = (lo / 1.2..hi * 1.2).log_scale();
        let caption = format!("{caption} (log scale)");
        draw_chart(area, &caption, x_label, y_label, x_range, y, series)
    } else {
        draw_chart(
            area,
            caption,
            x_label,
            y_label,
            x_range,
            padded(y_range),
            series,
        )
    }
}

/// Renders `draw` onto a white `width × height` canvas and returns it as a frame.
fn render(
    width: usize,
    height: usize,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), VizError>,
) -> Result<Frame, VizError> {
    crate::font::ensure_font()?;
    crate::frame::check_size(width, height)?;
    let mut rgb = vec![255u8; width * height * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut rgb, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    let rgba = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    Frame::from_rgba(width, height, rgba)
}

/// Renders named `(x, y)` curves on one chart of [`PLOT_WIDTH`] × [`CURVES_HEIGHT`] pixels, with
/// a legend when more than one curve is named. Curve `i` is drawn in
/// [`class_color`]`(i)`; non-finite points are skipped.
pub fn render_curves<S: AsRef<str>>(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(S, Vec<(f64, f64)>)],
) -> Result<Frame, VizError> {
    let has_points = series
        .iter()
        .any(|(_, p)| p.iter().any(|(x, y)| x.is_finite() && y.is_finite()));
    if !has_points {
        return Err(VizError::NothingToPlot(
            "no curve has a finite point".into(),
        ));
    }
    let series: Vec<Points<'_>> = series
        .iter()
        .map(|(n, p)| (n.as_ref(), p.as_slice()))
        .collect();
    render(PLOT_WIDTH, CURVES_HEIGHT, |root| {
        draw_auto_chart(root, title, x_label, y_label, &series, false)
    })
}

/// Renders curves like [`render_curves`] and saves them as a PNG at `out`; an existing file is
/// replaced only when `overwrite` is true.
pub fn plot_curves<S: AsRef<str>>(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(S, Vec<(f64, f64)>)],
    out: &Path,
    overwrite: bool,
) -> Result<(), VizError> {
    let frame = render_curves(title, x_label, y_label, series)?;
    save_png(&frame, out, overwrite)
}

/// The size in pixels of a metrics plot with `panels` panels (capped at [`MAX_PANELS`]).
pub fn metrics_plot_size(panels: usize) -> (usize, usize) {
    (
        PLOT_WIDTH,
        TITLE_HEIGHT + PANEL_HEIGHT * panels.clamp(1, MAX_PANELS),
    )
}

/// Renders training metrics: a panel per numeric field against step, `"loss"` first and on a
/// log scale when all its values are positive, under `title`. See [`metrics_plot_size`].
pub fn render_metrics(metrics: &Metrics, title: &str) -> Result<Frame, VizError> {
    if metrics.series.is_empty() {
        return Err(VizError::NothingToPlot(
            "no numeric fields besides \"step\"".into(),
        ));
    }
    let shown = &metrics.series[..metrics.series.len().min(MAX_PANELS)];
    let (w, h) = metrics_plot_size(shown.len());
    render(w, h, |root| {
        let (top, body) = root.split_vertically(TITLE_HEIGHT as u32);
        top.draw(&Text::new(
            title.to_string(),
            (20, 14),
            ("sans-serif", 24).into_font(),
        ))
        .map_err(plot_err)?;
        for (area, s) in body.split_evenly((shown.len(), 1)).iter().zip(shown) {
            let points = [("", s.points.as_slice())];
            draw_auto_chart(area, &s.name, "step", &s.name, &points, s.name == "loss")?;
        }
        Ok(())
    })
}

/// Reads a JSON-lines metrics file (see [`crate::metrics::parse_metrics`]) and saves its plot
/// (see [`render_metrics`]) as a PNG at `out_png`; an existing file is replaced only when
/// `overwrite` is true.
pub fn plot_metrics(metrics_jsonl: &Path, out_png: &Path, overwrite: bool) -> Result<(), VizError> {
    let metrics = read_metrics(metrics_jsonl)?;
    let title = format!("Training metrics: {}", metrics_jsonl.display());
    let frame = render_metrics(&metrics, &title)?;
    save_png(&frame, out_png, overwrite)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png_io::tests::decode;

    /// A fresh directory for one test; each test removes its own at the end.
    fn tmp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("nca-viz-plot-{}-{name}", std::process::id()))
    }

    fn ink(f: &Frame) -> usize {
        f.rgba()
            .chunks_exact(4)
            .filter(|p| p[..3] != [255, 255, 255])
            .count()
    }

    #[test]
    fn ticks() {
        assert_eq!(format_tick(0.0), "0");
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(100.0), "100");
        assert_eq!(format_tick(0.0001), "1.0e-4");
        assert_eq!(format_tick(250000.0), "2.5e5");
        assert_eq!(format_tick(0.00215), "0.00215");
        assert_eq!(format_tick(0.0022), "0.0022");
        assert_eq!(format_tick(10.25), "10.25");
        assert_eq!(format_tick(12345.6), "12346");
        assert_eq!(format_tick(-1.5), "-1.5");
        assert_eq!(format_tick(f64::NAN), "NaN");
    }

    #[test]
    fn spans() {
        assert_eq!(span([1.0, f64::NAN, 3.0].into_iter()), Some(1.0..3.0));
        assert_eq!(span([2.0].into_iter()), Some(1.8..2.2));
        assert_eq!(span([0.0].into_iter()), Some(-1.0..1.0));
        assert_eq!(span([f64::NAN].into_iter()), None);
    }

    #[test]
    fn curves_render_with_ink() {
        let series = vec![
            (
                "agreement",
                (0..50).map(|t| (t as f64, t as f64 / 50.0)).collect(),
            ),
            ("accuracy", (0..50).map(|t| (t as f64, 0.5)).collect()),
        ];
        let f = render_curves("Agreement per tick", "tick", "fraction", &series).unwrap();
        assert_eq!((f.width(), f.height()), (PLOT_WIDTH, CURVES_HEIGHT));
        assert!(ink(&f) > 5_000, "axes, labels and curves are drawn");
        // Curve 0 is drawn in tab10 blue somewhere.
        let [r, g, b] = class_color(0);
        assert!(f.rgba().chunks_exact(4).any(|p| p[..3] == [r, g, b]));
    }

    #[test]
    fn curves_need_points() {
        let empty: [(&str, Vec<(f64, f64)>); 0] = [];
        assert!(matches!(
            render_curves("t", "x", "y", &empty),
            Err(VizError::NothingToPlot(_))
        ));
        let nan = [("a", vec![(0.0, f64::NAN)])];
        assert!(render_curves("t", "x", "y", &nan).is_err());
    }

    #[test]
    fn plot_curves_writes_png_once() {
        let dir = tmp("curves");
        let out = dir.join("curves.png");
        let series = [("x", vec![(0.0, 1.0), (1.0, 2.0)])];
        plot_curves("t", "x", "y", &series, &out, false).unwrap();
        let (w, h, _) = decode(&std::fs::read(&out).unwrap());
        assert_eq!((w, h), (PLOT_WIDTH, CURVES_HEIGHT));
        let e = plot_curves("t", "x", "y", &series, &out, false).unwrap_err();
        assert!(matches!(e, VizError::Write(_)));
        plot_curves("t", "x", "y", &series, &out, true).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn metrics_plot_has_one_panel_per_field() {
        let dir = tmp("metrics");
        let jsonl = dir.join("metrics.jsonl");
        let mut text = String::new();
        for step in 0..100 {
            let loss = 1.0 / (1.0 + step as f64);
            text += &format!(
                "{{\"step\": {step}, \"loss\": {loss}, \"lr\": 0.002, \"steps_per_s\": {}}}\n",
                10 + step % 3
            );
        }
        nca_data::write_atomic(&jsonl, text.as_bytes(), true).unwrap();
        let out = dir.join("metrics.png");
        plot_metrics(&jsonl, &out, true).unwrap();
        let (w, h, px) = decode(&std::fs::read(&out).unwrap());
        assert_eq!((w, h), metrics_plot_size(3));
        assert_eq!((w, h), (PLOT_WIDTH, TITLE_HEIGHT + 3 * PANEL_HEIGHT));
        assert!(px.chunks_exact(4).any(|p| p[..3] != [255, 255, 255]));
        // Existing output is not overwritten.
        assert!(matches!(
            plot_metrics(&jsonl, &out, false),
            Err(VizError::Write(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn metrics_plot_errors() {
        let dir = tmp("metrics-errors");
        let out = dir.join("never.png");
        let empty = dir.join("empty.jsonl");
        nca_data::write_atomic(&empty, b"", true).unwrap();
        let e = plot_metrics(&empty, &out, false).unwrap_err();
        assert!(e.to_string().starts_with("no metrics yet"), "{e}");
        let bad = dir.join("bad.jsonl");
        nca_data::write_atomic(&bad, b"{\"step\": 0, \"loss\": 1}\nnot json\n", true).unwrap();
        let e = plot_metrics(&bad, &out, false).unwrap_err();
        assert!(matches!(e, VizError::BadMetricsLine { line: 2, .. }), "{e}");
        let no_fields = dir.join("steps.jsonl");
        nca_data::write_atomic(&no_fields, b"{\"step\": 0}\n", true).unwrap();
        assert!(matches!(
            plot_metrics(&no_fields, &out, false),
            Err(VizError::NothingToPlot(_))
        ));
        assert!(!out.exists(), "nothing is written on error");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn metrics_with_non_positive_or_nan_values_still_render() {
        let m = Metrics {
            records: 3,
            series: vec![
                crate::metrics::Series {
                    name: "loss".into(),
                    points: vec![(0.0, 1.0), (1.0, -0.5), (2.0, f64::NAN)],
                },
                crate::metrics::Series {
                    name: "dead".into(),
                    points: vec![(0.0, f64::NAN)],
                },
            ],
        };
        let f = render_metrics(&m, "t").unwrap();
        assert_eq!((f.width(), f.height()), metrics_plot_size(2));
    }
}
