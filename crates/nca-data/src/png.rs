//! Reading PNG files with clear errors: a file that is not a PNG, one that does not decode, and a
//! zero-sized image are told apart.

use std::path::Path;

use image::{DynamicImage, ImageFormat};

use crate::error::{DataError, Result, one_line};

/// The 8-byte signature every PNG file starts with.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Largest PNG file accepted, in bytes.
const MAX_PNG_BYTES: u64 = 256 << 20;

/// Reads and decodes the PNG at `path`.
pub fn read_png(path: &Path) -> Result<DynamicImage> {
    use std::io::Read;
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_PNG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_PNG_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            what: "file",
            limit: MAX_PNG_BYTES,
        });
    }
    decode_png(path, &bytes)
}

/// Decodes PNG `bytes`; `path` is only used in error messages.
pub fn decode_png(path: &Path, bytes: &[u8]) -> Result<DynamicImage> {
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(DataError::NotPng {
            path: path.to_path_buf(),
        });
    }
    // The IHDR chunk comes first: check its size before the decoder rejects it less clearly.
    if bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (width, height) = (be(16), be(20));
        if width == 0 || height == 0 {
            return Err(DataError::EmptyImage {
                path: path.to_path_buf(),
                width,
                height,
            });
        }
    }
    let img = image::load_from_memory_with_format(bytes, ImageFormat::Png).map_err(|e| {
        DataError::BadPng {
            path: path.to_path_buf(),
            detail: one_line(e),
        }
    })?;
    if img.width() == 0 || img.height() == 0 {
        return Err(DataError::EmptyImage {
            path: path.to_path_buf(),
            width: img.width(),
            height: img.height(),
        });
    }
    Ok(img)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Encodes `img` as PNG bytes.
    pub(crate) fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// CRC-32 as used by PNG chunks.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header declares `width` × `height` (grey, 8 bit) with no image data.
    pub(crate) fn png_with_size(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut out = PNG_SIGNATURE.to_vec();
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(b"IEND");
        out.extend_from_slice(&crc32(b"IEND").to_be_bytes());
        out
    }

    #[test]
    fn tells_not_png_bad_png_and_empty_apart() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let p = write("a.png", b"GIF89a not a png at all");
        let e = assert_err!(read_png(&p), DataError::NotPng { .. });
        assert!(e.to_string().contains("a.png: not a PNG file"), "{e}");

        let p = write("zero.png", &png_with_size(0, 5));
        assert_err!(read_png(&p), DataError::EmptyImage { width: 0, .. });

        let mut truncated = png_bytes(&DynamicImage::new_luma8(4, 4));
        truncated.truncate(truncated.len() - 20);
        let p = write("trunc.png", &truncated);
        let e = assert_err!(read_png(&p), DataError::BadPng { .. });
        assert!(!e.to_string().contains('\n'), "{e}");

        assert_err!(
            read_png(&dir.path().join("missing.png")),
            DataError::Io { .. }
        );

        let p = write("ok.png", &png_bytes(&DynamicImage::new_rgba8(3, 2)));
        let img = read_png(&p).unwrap();
        assert_eq!((img.width(), img.height()), (3, 2));
    }
}
