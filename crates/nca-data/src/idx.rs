//! Reader for the IDX format used by MNIST and Fashion-MNIST: `idx1` unsigned-byte label files
//! (magic `0x00000801`) and `idx3` unsigned-byte image files (magic `0x00000803`), either raw or
//! gzip-compressed (detected by the gzip magic bytes `1f 8b`, whatever the file name).
//!
//! Every header is checked: the magic number, that dimensions are non-zero and plausible, and
//! that the payload has exactly the declared length (a truncated file or trailing garbage is an
//! error).

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const IDX1_U8_MAGIC: u32 = 0x0000_0801;
/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IDX3_U8_MAGIC: u32 = 0x0000_0803;
/// Largest accepted image height or width.
pub const MAX_SIDE: usize = 4096;
/// Largest accepted (decompressed) IDX file, in bytes.
pub const MAX_BYTES: u64 = 2 << 30;

/// The images of an idx3 file: `count` images of `rows` × `cols` bytes, stored row-major one
/// after the other in `pixels`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Height of each image.
    pub rows: usize,
    /// Width of each image.
    pub cols: usize,
    /// All pixels, `count * rows * cols` bytes, image after image, each row-major.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Number of pixels in one image (`rows * cols`).
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`, or `None` when `i >= count`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let n = self.image_len();
        let start = i.checked_mul(n)?;
        self.pixels.get(start..start.checked_add(n)?)
    }
}

/// The labels of an idx1 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxLabels {
    /// One byte per item.
    pub labels: Vec<u8>,
}

/// Reads a whole file, transparently decompressing it when it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut raw).map_err(io)?;
    if raw.len() as u64 > MAX_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            what: "file",
            limit: MAX_BYTES,
        });
    }
    gunzip_if_gz(path, raw)
}

/// Returns `bytes` decompressed when they start with the gzip magic bytes, else unchanged.
/// `path` is only used in error messages.
pub fn gunzip_if_gz(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            path: path.to_path_buf(),
            source,
        })?;
    if out.len() as u64 > MAX_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            what: "decompressed data",
            limit: MAX_BYTES,
        });
    }
    Ok(out)
}

/// Reads and checks an idx3 unsigned-byte image file (raw or gzip).
pub fn read_idx_images(path: &Path) -> Result<IdxImages> {
    parse_idx_images(path, read_maybe_gz(path)?)
}

/// Reads and checks an idx1 unsigned-byte label file (raw or gzip).
pub fn read_idx_labels(path: &Path) -> Result<IdxLabels> {
    parse_idx_labels(path, read_maybe_gz(path)?)
}

/// Parses the decompressed bytes of an idx3 image file; `path` is only used in error messages.
pub fn parse_idx_images(path: &Path, bytes: Vec<u8>) -> Result<IdxImages> {
    const KIND: &str = "idx3 images";
    let dims = header(path, &bytes, IDX3_U8_MAGIC, KIND, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    let bad = |detail: String| DataError::BadDimensions {
        path: path.to_path_buf(),
        detail,
    };
    if count == 0 {
        return Err(bad("the file declares 0 images".into()));
    }
    if rows == 0 || cols == 0 || rows > MAX_SIDE || cols > MAX_SIDE {
        return Err(bad(format!(
            "{rows}x{cols} images (each side must be 1..={MAX_SIDE})"
        )));
    }
    let expected = count as u64 * rows as u64 * cols as u64;
    check_payload(path, bytes.len() - 16, expected)?;
    let mut pixels = bytes;
    pixels.drain(..16);
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Parses the decompressed bytes of an idx1 label file; `path` is only used in error messages.
pub fn parse_idx_labels(path: &Path, bytes: Vec<u8>) -> Result<IdxLabels> {
    const KIND: &str = "idx1 labels";
    let dims = header(path, &bytes, IDX1_U8_MAGIC, KIND, 1)?;
    let count = dims[0];
    if count == 0 {
        return Err(DataError::BadDimensions {
            path: path.to_path_buf(),
            detail: "the file declares 0 labels".into(),
        });
    }
    check_payload(path, bytes.len() - 8, count as u64)?;
    let mut labels = bytes;
    labels.drain(..8);
    Ok(IdxLabels { labels })
}

/// Checks the magic number and returns the `ndims` big-endian u32 dimensions that follow it.
fn header(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    kind: &'static str,
    ndims: usize,
) -> Result<Vec<usize>> {
    let need = 4 + 4 * ndims;
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if bytes.len() >= 4 && be(0) != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            found: be(0),
            expected: magic,
            kind,
        });
    }
    if bytes.len() < need {
        return Err(DataError::ShortHeader {
            path: path.to_path_buf(),
            kind,
            len: bytes.len(),
            need,
        });
    }
    Ok((0..ndims).map(|d| be(4 + 4 * d) as usize).collect())
}

/// Checks that the payload holds exactly `expected` bytes.
fn check_payload(path: &Path, found: usize, expected: u64) -> Result<()> {
    let found = found as u64;
    if found < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(DataError::TrailingBytes {
            path: path.to_path_buf(),
            expected,
            extra: found - expected,
        });
    }
    Ok(())
}

/// Encodes images as an idx3 unsigned-byte file (uncompressed). Useful for tests and tools.
pub fn encode_idx_images(images: &IdxImages) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    out.extend_from_slice(&IDX3_U8_MAGIC.to_be_bytes());
    for d in [images.count, images.rows, images.cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as an idx1 unsigned-byte file (uncompressed). Useful for tests and tools.
pub fn encode_idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&IDX1_U8_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// Gzip-compresses `bytes` (fast level). Useful for tests and tools.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(count: usize, rows: usize, cols: usize) -> IdxImages {
        IdxImages {
            count,
            rows,
            cols,
            pixels: (0..count * rows * cols).map(|i| (i % 251) as u8).collect(),
        }
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn round_trips_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let imgs = images(3, 4, 5);
        let raw = write(dir.path(), "imgs", &encode_idx_images(&imgs));
        let gz = write(dir.path(), "imgs.gz", &gzip(&encode_idx_images(&imgs)));
        assert_eq!(read_idx_images(&raw).unwrap(), imgs);
        assert_eq!(read_idx_images(&gz).unwrap(), imgs);
        assert_eq!(imgs.get(2).unwrap(), &imgs.pixels[40..60]);
        assert!(imgs.get(3).is_none());

        let labels = [0u8, 9, 3];
        let lraw = write(dir.path(), "labels", &encode_idx_labels(&labels));
        // Gzip is detected by content, not by name.
        let lgz = write(dir.path(), "labels.bin", &gzip(&encode_idx_labels(&labels)));
        assert_eq!(read_idx_labels(&lraw).unwrap().labels, labels);
        assert_eq!(read_idx_labels(&lgz).unwrap().labels, labels);
    }

    #[test]
    fn wrong_magic_is_reported_with_path_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "train-images-idx3-ubyte.gz", &gzip(&[0u8; 32]));
        let msg = read_idx_images(&p).unwrap_err().to_string();
        assert!(msg.ends_with(
            "train-images-idx3-ubyte.gz: wrong magic number 0x00000000 (expected 0x00000803 for idx3 images)"
        ), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()));
        // A label file given where images are expected.
        let p = write(dir.path(), "l", &encode_idx_labels(&[1, 2]));
        assert_err!(
            read_idx_images(&p),
            DataError::BadMagic { found: 0x801, .. }
        );
        let p = write(dir.path(), "i", &encode_idx_images(&images(1, 2, 2)));
        assert_err!(
            read_idx_labels(&p),
            DataError::BadMagic { found: 0x803, .. }
        );
    }

    #[test]
    fn short_header_truncation_and_trailing_bytes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let full = encode_idx_images(&images(2, 3, 3));

        let p = write(dir.path(), "short", &full[..10]);
        assert_err!(read_idx_images(&p), DataError::ShortHeader { len: 10, .. });
        let p = write(dir.path(), "empty", &[]);
        assert_err!(read_idx_images(&p), DataError::ShortHeader { len: 0, .. });

        let p = write(dir.path(), "trunc.gz", &gzip(&full[..full.len() - 1]));
        assert_err!(
            read_idx_images(&p),
            DataError::Truncated {
                expected: 18,
                found: 17,
                ..
            }
        );

        let mut longer = full.clone();
        longer.extend_from_slice(b"junk");
        let p = write(dir.path(), "long", &longer);
        assert_err!(
            read_idx_images(&p),
            DataError::TrailingBytes { extra: 4, .. }
        );

        let mut labels = encode_idx_labels(&[1, 2, 3]);
        labels.pop();
        let p = write(dir.path(), "lt", &labels);
        assert_err!(read_idx_labels(&p), DataError::Truncated { .. });
    }

    #[test]
    fn bad_dimensions_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for (count, rows, cols) in [(0, 28, 28), (1, 0, 28), (1, 28, 0), (1, 5000, 1)] {
            let mut bytes = IDX3_U8_MAGIC.to_be_bytes().to_vec();
            for d in [count, rows, cols] {
                bytes.extend_from_slice(&(d as u32).to_be_bytes());
            }
            let p = write(dir.path(), "dims", &bytes);
            assert_err!(read_idx_images(&p), DataError::BadDimensions { .. });
        }
        // Huge declared sizes are rejected as truncated without allocating anything.
        let mut bytes = IDX3_U8_MAGIC.to_be_bytes().to_vec();
        for d in [u32::MAX, 4096, 4096] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        let p = write(dir.path(), "huge", &bytes);
        assert_err!(read_idx_images(&p), DataError::Truncated { .. });
        let p = write(dir.path(), "nolabels", &encode_idx_labels(&[]));
        assert_err!(read_idx_labels(&p), DataError::BadDimensions { .. });
    }

    #[test]
    fn corrupt_gzip_and_missing_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = gzip(&encode_idx_labels(&[1, 2, 3]));
        let n = gz.len();
        gz.truncate(n / 2);
        let p = write(dir.path(), "bad.gz", &gz);
        assert_err!(read_idx_labels(&p), DataError::Gzip { .. });
        let e = assert_err!(
            read_idx_labels(&dir.path().join("nope")),
            DataError::Io { .. }
        );
        assert!(e.to_string().contains("nope: cannot read"), "{e}");
    }
}
