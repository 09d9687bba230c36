//! The crate's error type: every failure is a [`DataError`] whose message is one line that names
//! the file or directory involved and says what is wrong with it.

use std::path::PathBuf;

use crate::fsio::WriteError;

/// Everything that can go wrong while finding, reading, checking or downloading data.
///
/// Each variant's `Display` is a single line meant to be shown to a user as is.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file starts like gzip but does not decompress.
    #[error("{}: corrupt gzip data: {source}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is too large to be loaded (guards against decompression bombs).
    #[error("{}: too large ({what} exceeds {limit} bytes)", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What was too large ("decompressed data", "file").
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// An IDX file's magic number is not the one expected.
    #[error(
        "{}: wrong magic number {found:#010x} (expected {expected:#010x} for {kind})",
        path.display()
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number found.
        found: u32,
        /// The magic number expected.
        expected: u32,
        /// What kind of file was expected ("idx3 images", "idx1 labels").
        kind: &'static str,
    },
    /// An IDX file is shorter than its header.
    #[error("{}: too short for an {kind} header ({len} bytes, need {need})", path.display())]
    ShortHeader {
        /// The file.
        path: PathBuf,
        /// What kind of file was expected.
        kind: &'static str,
        /// Bytes found.
        len: usize,
        /// Bytes needed for the header.
        need: usize,
    },
    /// An IDX header declares dimensions that are zero or implausibly large.
    #[error("{}: bad dimensions: {detail}", path.display())]
    BadDimensions {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// An IDX payload is shorter than its header declares.
    #[error(
        "{}: truncated: payload is {found} bytes but the header declares {expected}",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Payload bytes the header declares.
        expected: u64,
        /// Payload bytes present.
        found: u64,
    },
    /// An IDX payload is longer than its header declares.
    #[error(
        "{}: {extra} unexpected trailing bytes after the {expected} payload bytes the header declares",
        path.display()
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Payload bytes the header declares.
        expected: u64,
        /// Bytes beyond that.
        extra: u64,
    },
    /// The image file and the label file of a split hold different numbers of items.
    #[error(
        "{}: {images} images but {} has {labels} labels",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Number of images.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Number of labels.
        labels: usize,
    },
    /// A label is not a valid class index.
    #[error(
        "{}: label {label} at index {index} is out of range (expected 0..{classes})",
        path.display()
    )]
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// Index of the offending label.
        index: usize,
        /// The offending label.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// The MNIST IDX files are not in the given directory nor in its `mnist/` subdirectory.
    #[error(
        "{}: MNIST files not found (missing {missing} here and in {}/mnist); run `nca data fetch mnist` or set NCA_DATA to a directory that holds the MNIST IDX files",
        dir.display(),
        dir.display()
    )]
    MnistNotFound {
        /// The directory searched.
        dir: PathBuf,
        /// The missing file names, comma separated.
        missing: String,
    },
    /// The chosen data directory does not exist or is not a directory.
    #[error(
        "data directory {} (from {source_name}) {problem}; create it, pass --data DIR, or set NCA_DATA=/path/to/data",
        dir.display()
    )]
    DataDirMissing {
        /// The directory.
        dir: PathBuf,
        /// Where the choice came from ("--data", "NCA_DATA", "the default $HOME/.cache/nca").
        source_name: String,
        /// "does not exist" or "is not a directory".
        problem: &'static str,
    },
    /// No data directory could be chosen at all.
    #[error(
        "no data directory: --data was not given and neither NCA_DATA nor HOME is set; pass --data DIR or set NCA_DATA=/path/to/data"
    )]
    NoDataDir,
    /// Downloading failed on every mirror.
    #[error(
        "cannot download MNIST (no network?): {detail}; point NCA_DATA (or --data) at a directory that holds the MNIST IDX files"
    )]
    Download {
        /// What failed, per mirror.
        detail: String,
    },
    /// A file is not a PNG image.
    #[error("{}: not a PNG file (the PNG signature is missing)", path.display())]
    NotPng {
        /// The file.
        path: PathBuf,
    },
    /// A PNG file could not be decoded.
    #[error("{}: cannot decode PNG: {detail}", path.display())]
    BadPng {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        detail: String,
    },
    /// An image has zero width or height.
    #[error("{}: image is empty ({width}x{height} pixels)", path.display())]
    EmptyImage {
        /// The file.
        path: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// An image holds nothing that could be taken for a drawn digit.
    #[error("{}: no ink found (the image is blank), cannot make a digit from it", path.display())]
    NoInk {
        /// The file.
        path: PathBuf,
    },
    /// An argument is out of range.
    #[error("{0}")]
    BadArgument(String),
    /// Writing a file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Result alias for this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// Collapses a message onto one line (some foreign errors span several lines).
pub(crate) fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
