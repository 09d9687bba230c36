//! The one error type of this crate: everything that can go wrong while building, encoding,
//! plotting or saving images.

use std::path::PathBuf;

/// Why an image could not be built, encoded, plotted or saved. Each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum VizError {
    /// A frame size is zero or beyond the supported maximum.
    #[error(
        "frame size {width}x{height} is out of range (each side 1..={max_side}, at most {max_pixels} pixels)",
        max_side = crate::frame::MAX_SIDE,
        max_pixels = crate::frame::MAX_PIXELS
    )]
    BadSize {
        /// Requested width in pixels.
        width: usize,
        /// Requested height in pixels.
        height: usize,
    },
    /// A pixel or value buffer does not have the length the frame size needs.
    #[error("{what} has {got} values but a {width}x{height} frame needs {expected}")]
    BufferLength {
        /// What kind of buffer it was (e.g. "RGBA buffer").
        what: &'static str,
        /// Frame width.
        width: usize,
        /// Frame height.
        height: usize,
        /// Expected number of values.
        expected: usize,
        /// Actual number of values.
        got: usize,
    },
    /// A nearest-neighbour zoom factor of zero.
    #[error("zoom factor must be at least 1")]
    ZeroZoom,
    /// A contact sheet was asked for with zero columns.
    #[error("a grid needs at least one column")]
    ZeroColumns,
    /// An animation or contact sheet was asked for with no frames.
    #[error("no frames given")]
    NoFrames,
    /// Frames of an animation differ in size.
    #[error("frame {index} is {width}x{height} but frame 0 is {first_width}x{first_height}")]
    FrameSizeMismatch {
        /// Index of the first frame whose size differs.
        index: usize,
        /// Its width.
        width: usize,
        /// Its height.
        height: usize,
        /// Width of frame 0.
        first_width: usize,
        /// Height of frame 0.
        first_height: usize,
    },
    /// A frame rate that is not a finite number in 0.01..=100 frames per second.
    #[error("frame rate {0} is out of range (expected 0.01..=100 frames per second)")]
    BadFps(f64),
    /// The PNG or GIF encoder failed.
    #[error("cannot encode {format}: {message}")]
    Encode {
        /// "PNG" or "GIF".
        format: &'static str,
        /// The encoder's message.
        message: String,
    },
    /// The output file could not be written (or exists and overwriting was not requested).
    #[error(transparent)]
    Write(#[from] nca_data::WriteError),
    /// The metrics file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The metrics file holds no records yet.
    #[error("no metrics yet in {0}")]
    NoMetrics(PathBuf),
    /// A line of the metrics file is not a JSON object with an integer "step".
    #[error("{path} line {line}: {reason}")]
    BadMetricsLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A plot was asked for with nothing to draw.
    #[error("nothing to plot: {0}")]
    NothingToPlot(String),
    /// The plotting library failed.
    #[error("cannot draw plot: {0}")]
    Plot(String),
}

/// Turns any displayable error into a one-line plotting error.
pub(crate) fn plot_err(e: impl std::fmt::Display) -> VizError {
    VizError::Plot(one_line(&e.to_string()))
}

/// Collapses a possibly multi-line message into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let errors = [
            VizError::BadSize {
                width: 0,
                height: 3,
            },
            VizError::ZeroZoom,
            VizError::NoFrames,
            VizError::BadFps(0.0),
            VizError::NoMetrics(PathBuf::from("m.jsonl")),
            plot_err("a\nb"),
        ];
        for e in errors {
            let s = e.to_string();
            assert!(!s.contains('\n'), "{s}");
            assert!(!s.is_empty());
        }
        assert_eq!(plot_err("a\n  b").to_string(), "cannot draw plot: a b");
    }
}
