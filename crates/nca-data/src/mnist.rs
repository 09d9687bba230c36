//! The MNIST file layout: the four standard IDX files (`train-images-idx3-ubyte`,
//! `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally
//! with a `.gz` suffix) in a directory or in its `mnist/` subdirectory. Fashion-MNIST uses the same
//! names and loads the same way.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{DataError, Result};
use crate::idx::{IdxImages, read_idx_images, read_idx_labels};

/// Number of classes in MNIST and Fashion-MNIST; every label must be below it.
pub const NUM_CLASSES: usize = 10;

/// Which half of the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitName {
    /// The training split (60000 items in MNIST), files `train-*`.
    Train,
    /// The test split (10000 items in MNIST), files `t10k-*`.
    Test,
}

impl SplitName {
    /// Both splits, train first.
    pub const ALL: [SplitName; 2] = [SplitName::Train, SplitName::Test];

    /// The short name, `"train"` or `"test"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Test => "test",
        }
    }

    /// Base name (without `.gz`) of the split's image file.
    pub fn images_file(self) -> &'static str {
        match self {
            SplitName::Train => "train-images-idx3-ubyte",
            SplitName::Test => "t10k-images-idx3-ubyte",
        }
    }

    /// Base name (without `.gz`) of the split's label file.
    pub fn labels_file(self) -> &'static str {
        match self {
            SplitName::Train => "train-labels-idx1-ubyte",
            SplitName::Test => "t10k-labels-idx1-ubyte",
        }
    }
}

impl fmt::Display for SplitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One loaded and checked split: images and their labels (`labels.len() == images.count`, every
/// label `< NUM_CLASSES`).
#[derive(Debug, Clone)]
pub struct Split {
    /// Which split this is.
    pub name: SplitName,
    /// The images.
    pub images: IdxImages,
    /// One label per image.
    pub labels: Vec<u8>,
}

impl Split {
    /// Builds a split from images and labels, checking that the counts agree and that every label
    /// is a class index. The paths are only used in error messages.
    pub fn new(
        name: SplitName,
        images: IdxImages,
        labels: Vec<u8>,
        images_path: &Path,
        labels_path: &Path,
    ) -> Result<Split> {
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                images_path: images_path.to_path_buf(),
                images: images.count,
                labels_path: labels_path.to_path_buf(),
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| l as usize >= NUM_CLASSES)
        {
            return Err(DataError::LabelOutOfRange {
                path: labels_path.to_path_buf(),
                index,
                label,
                classes: NUM_CLASSES,
            });
        }
        Ok(Split {
            name,
            images,
            labels,
        })
    }

    /// The first `n` items only (for quick experiments and tests); `n` must be at least 1.
    pub fn truncated(mut self, n: usize) -> Result<Split> {
        if n == 0 {
            return Err(DataError::BadArgument("--limit must be at least 1".into()));
        }
        let n = n.min(self.labels.len());
        self.labels.truncate(n);
        self.images
            .pixels
            .truncate(n * self.images.rows * self.images.cols);
        self.images.count = n;
        Ok(self)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no items (never true for a split loaded from files).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image height.
    pub fn rows(&self) -> usize {
        self.images.rows
    }

    /// Image width.
    pub fn cols(&self) -> usize {
        self.images.cols
    }

    /// The raw pixels (0..=255, row-major) of image `i`.
    ///
    /// # Panics
    /// When `i >= self.len()`, like slice indexing; use [`IdxImages::get`] for a checked lookup.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.images.image_len();
        &self.images.pixels[i * n..(i + 1) * n]
    }

    /// Image `i` as floats in `[0, 1]` (pixel / 255), row-major.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    pub fn image_f32(&self, i: usize) -> Vec<f32> {
        self.image(i).iter().map(|&p| p as f32 / 255.0).collect()
    }

    /// The label of item `i`.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// How many items carry each label.
    pub fn histogram(&self) -> [u64; NUM_CLASSES] {
        let mut h = [0u64; NUM_CLASSES];
        for &l in &self.labels {
            if let Some(c) = h.get_mut(l as usize) {
                *c += 1;
            }
        }
        h
    }
}

/// Finds `base` or `base.gz` in `dir` (the uncompressed file wins when both exist).
fn find_file(dir: &Path, base: &str) -> Option<PathBuf> {
    [base.to_string(), format!("{base}.gz")]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// The directories searched for MNIST files, in order: `dir` itself, then `dir/mnist`.
fn candidates(dir: &Path) -> [PathBuf; 2] {
    [dir.to_path_buf(), dir.join("mnist")]
}

/// Finds the files named `bases` in `dir` or `dir/mnist` (all in the same one).
fn find_files(dir: &Path, bases: &[&str]) -> Result<Vec<PathBuf>> {
    for cand in candidates(dir) {
        let found: Option<Vec<PathBuf>> = bases.iter().map(|b| find_file(&cand, b)).collect();
        if let Some(found) = found {
            return Ok(found);
        }
    }
    // Report what is missing in the candidate that has the most of the files.
    let missing = candidates(dir)
        .iter()
        .map(|c| {
            bases
                .iter()
                .filter(|b| find_file(c, b).is_none())
                .map(|b| format!("{b}[.gz]"))
                .collect::<Vec<_>>()
        })
        .min_by_key(Vec::len)
        .unwrap_or_default();
    Err(DataError::MnistNotFound {
        dir: dir.to_path_buf(),
        missing: missing.join(", "),
    })
}

/// The paths of the image and label files of `split`, found in `dir` or `dir/mnist`.
pub fn split_files(dir: &Path, split: SplitName) -> Result<(PathBuf, PathBuf)> {
    let mut f = find_files(dir, &[split.images_file(), split.labels_file()])?;
    let labels = f.pop().unwrap_or_default();
    let images = f.pop().unwrap_or_default();
    Ok((images, labels))
}

/// Which directory holds the four MNIST files: `dir` itself or `dir/mnist`. So both
/// `--data ../shared/data` and `--data ../shared/data/mnist` work.
pub fn mnist_dir(dir: &Path) -> Result<PathBuf> {
    let bases: Vec<&str> = SplitName::ALL
        .iter()
        .flat_map(|s| [s.images_file(), s.labels_file()])
        .collect();
    let found = find_files(dir, &bases)?;
    Ok(found
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf()))
}

/// Loads and checks one split from `dir` or `dir/mnist`.
pub fn load_split(dir: &Path, split: SplitName) -> Result<Split> {
    let (images_path, labels_path) = split_files(dir, split)?;
    let images = read_idx_images(&images_path)?;
    let labels = read_idx_labels(&labels_path)?.labels;
    Split::new(split, images, labels, &images_path, &labels_path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::idx::{encode_idx_images, encode_idx_labels, gzip};

    /// Writes a small synthetic split (`n` images of 4×3) into `dir`, gzipped or not.
    pub(crate) fn write_split(dir: &Path, split: SplitName, labels: &[u8], gz: bool) {
        let images = IdxImages {
            count: labels.len(),
            rows: 4,
            cols: 3,
            pixels: (0..labels.len() * 12)
                .map(|i| (i * 20 % 256) as u8)
                .collect(),
        };
        let (mut ib, mut lb) = (encode_idx_images(&images), encode_idx_labels(labels));
        let ext = if gz { ".gz" } else { "" };
        if gz {
            ib = gzip(&ib);
            lb = gzip(&lb);
        }
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("{}{ext}", split.images_file())), ib).unwrap();
        std::fs::write(dir.join(format!("{}{ext}", split.labels_file())), lb).unwrap();
    }

    #[test]
    fn loads_from_dir_or_mnist_subdir() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("mnist");
        write_split(&sub, SplitName::Train, &[0, 1, 2, 9, 9], true);
        write_split(&sub, SplitName::Test, &[3, 4], false);
        for dir in [root.path(), sub.as_path()] {
            assert_eq!(mnist_dir(dir).unwrap(), sub);
            let train = load_split(dir, SplitName::Train).unwrap();
            assert_eq!(train.len(), 5);
            assert!(!train.is_empty());
            assert_eq!((train.rows(), train.cols()), (4, 3));
            assert_eq!(train.image(1), &train.images.pixels[12..24]);
            let f = train.image_f32(1);
            assert_eq!(f.len(), 12);
            assert!((f[0] - train.image(1)[0] as f32 / 255.0).abs() < 1e-7);
            assert!(f.iter().all(|&v| (0.0..=1.0).contains(&v)));
            assert_eq!(train.label(3), 9);
            assert_eq!(train.histogram(), [1, 1, 1, 0, 0, 0, 0, 0, 0, 2]);
            let test = load_split(dir, SplitName::Test).unwrap();
            assert_eq!(test.name, SplitName::Test);
            assert_eq!(test.labels, [3, 4]);
        }
    }

    #[test]
    fn missing_files_give_one_helpful_line() {
        let root = tempfile::tempdir().unwrap();
        write_split(root.path(), SplitName::Train, &[1], false);
        let e = load_split(root.path(), SplitName::Test).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("t10k-images-idx3-ubyte[.gz]"), "{msg}");
        assert!(msg.contains("nca data fetch mnist"), "{msg}");
        assert!(msg.contains("NCA_DATA"), "{msg}");
        assert!(msg.contains(&root.path().display().to_string()), "{msg}");
        // Train alone loads; the full layout does not resolve.
        assert!(load_split(root.path(), SplitName::Train).is_ok());
        let msg = mnist_dir(root.path()).unwrap_err().to_string();
        assert!(msg.contains("t10k-labels-idx1-ubyte[.gz]"), "{msg}");
        assert!(!msg.contains("train-images"), "{msg}");
    }

    #[test]
    fn count_mismatch_and_bad_labels_are_errors() {
        let root = tempfile::tempdir().unwrap();
        write_split(root.path(), SplitName::Train, &[1, 2, 3], false);
        // Replace the labels with a shorter file.
        std::fs::write(
            root.path().join(SplitName::Train.labels_file()),
            encode_idx_labels(&[1, 2]),
        )
        .unwrap();
        let e = assert_err!(
            load_split(root.path(), SplitName::Train),
            DataError::CountMismatch {
                images: 3,
                labels: 2,
                ..
            }
        );
        assert!(e.to_string().contains("3 images but"), "{e}");

        write_split(root.path(), SplitName::Test, &[1, 10, 3], true);
        assert_err!(
            load_split(root.path(), SplitName::Test),
            DataError::LabelOutOfRange {
                index: 1,
                label: 10,
                ..
            }
        );
    }
}
