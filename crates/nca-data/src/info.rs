//! A summary of an MNIST-layout data set (sizes and label histograms), for `nca data info` and
//! for checking that a data directory holds what it should.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::mnist::{NUM_CLASSES, Split, SplitName, load_split, mnist_dir};

/// Summary of one split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitInfo {
    /// Which split.
    pub name: SplitName,
    /// Number of items.
    pub count: usize,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Number of items per label.
    pub histogram: [u64; NUM_CLASSES],
}

impl SplitInfo {
    /// Summarises a loaded split.
    pub fn of(split: &Split) -> SplitInfo {
        SplitInfo {
            name: split.name,
            count: split.len(),
            rows: split.rows(),
            cols: split.cols(),
            histogram: split.histogram(),
        }
    }
}

/// Summary of a whole data set: where its files are and each split's summary (train, then test).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// The directory that holds the IDX files.
    pub dir: PathBuf,
    /// Train, then test.
    pub splits: Vec<SplitInfo>,
}

/// Loads both splits from `dir` (or `dir/mnist`), checking them fully, and summarises them.
pub fn dataset_info(dir: &Path) -> Result<DatasetInfo> {
    let dir = mnist_dir(dir)?;
    let splits = SplitName::ALL
        .iter()
        .map(|&s| load_split(&dir, s).map(|split| SplitInfo::of(&split)))
        .collect::<Result<Vec<_>>>()?;
    Ok(DatasetInfo { dir, splits })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::tests::write_split;

    #[test]
    fn summarises_a_small_data_set() {
        let root = tempfile::tempdir().unwrap();
        write_split(root.path(), SplitName::Train, &[0, 0, 5], true);
        write_split(root.path(), SplitName::Test, &[9], true);
        let info = dataset_info(root.path()).unwrap();
        assert_eq!(info.dir, root.path());
        assert_eq!(info.splits.len(), 2);
        assert_eq!(info.splits[0].count, 3);
        assert_eq!(info.splits[0].histogram, [2, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(info.splits[1].name, SplitName::Test);
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["splits"][1]["name"], "test");
        assert_eq!(json["splits"][0]["rows"], 4);
    }

    /// Checks the real MNIST when `NCA_DATA` points at it.
    #[test]
    fn real_mnist_counts() {
        let Some(dir) = crate::test_data_dir("the MNIST summary test") else {
            return;
        };
        let info = dataset_info(Path::new(&dir)).unwrap();
        let expected = [
            (
                SplitName::Train,
                60000,
                [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
            ),
            (
                SplitName::Test,
                10000,
                [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
            ),
        ];
        assert_eq!(info.splits.len(), expected.len());
        for (split, (name, count, histogram)) in info.splits.iter().zip(expected) {
            assert_eq!(split.name, name);
            assert_eq!((split.count, split.rows, split.cols), (count, 28, 28));
            assert_eq!(split.histogram, histogram);
        }
        let split = load_split(Path::new(&dir), SplitName::Test).unwrap();
        let img = split.image_f32(0);
        assert_eq!(img.len(), 784);
        assert!(img.iter().any(|&v| v > 0.9) && img.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // The first test digit of MNIST is a 7.
        assert_eq!(split.label(0), 7);
    }
}
