//! Growth targets from PNG images (as in "Growing Neural Cellular Automata"): the image is fitted
//! into a `size` × `size` square keeping its aspect ratio, its colours are premultiplied by alpha,
//! and a transparent border of `pad` cells is added on every side.

use std::path::Path;

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Rgba};

use crate::error::{DataError, Result};
use crate::png::read_png;

/// Largest accepted target side (`size + 2 * pad`).
pub const MAX_TARGET_SIDE: u32 = 4096;

/// An RGBA target image, premultiplied alpha, values in `[0, 1]`.
///
/// `rgba` is stored channel-major (CHW): 4 planes of `side × side` values, in the order R, G, B,
/// A, each plane row-major. The value of channel `c` at row `y`, column `x` is
/// `rgba[c * side * side + y * side + x]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Height and width of the (square) target, padding included.
    pub side: usize,
    /// `4 * side * side` values, channel-major (R, G, B, A planes), RGB premultiplied by A.
    pub rgba: Vec<f32>,
}

impl Target {
    /// The plane of channel `c` (0 = R, 1 = G, 2 = B, 3 = A), row-major.
    ///
    /// # Panics
    /// When `c >= 4`.
    pub fn channel(&self, c: usize) -> &[f32] {
        let n = self.side * self.side;
        &self.rgba[c * n..(c + 1) * n]
    }

    /// The alpha plane, row-major.
    pub fn alpha(&self) -> &[f32] {
        self.channel(3)
    }

    /// The premultiplied `[r, g, b, a]` at row `y`, column `x`.
    ///
    /// # Panics
    /// When `y` or `x` is not below `side`.
    pub fn pixel(&self, y: usize, x: usize) -> [f32; 4] {
        assert!(y < self.side && x < self.side, "pixel out of range");
        let n = self.side * self.side;
        let i = y * self.side + x;
        [
            self.rgba[i],
            self.rgba[n + i],
            self.rgba[2 * n + i],
            self.rgba[3 * n + i],
        ]
    }
}

/// Loads the PNG at `path` as a target of side `size + 2 * pad` (see the module docs).
pub fn load_target(path: &Path, size: u32, pad: u32) -> Result<Target> {
    check_target_size(size, pad)?;
    target_from_image(&read_png(path)?, size, pad)
}

/// Checks `size` and `pad` and returns the side `size + 2 * pad`.
fn check_target_size(size: u32, pad: u32) -> Result<u64> {
    if size == 0 {
        return Err(DataError::BadArgument(
            "target size must be at least 1 (got 0)".into(),
        ));
    }
    let side = size as u64 + 2 * pad as u64;
    if side > MAX_TARGET_SIDE as u64 {
        return Err(DataError::BadArgument(format!(
            "target size {size} with padding {pad} gives a side of {side}, more than {MAX_TARGET_SIDE}"
        )));
    }
    Ok(side)
}

/// Turns a decoded image into a target of side `size + 2 * pad` (see the module docs); what
/// [`load_target`] does once the PNG is decoded. An image with no pixels is an error.
pub fn target_from_image(img: &DynamicImage, size: u32, pad: u32) -> Result<Target> {
    let side = check_target_size(size, pad)?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        // `decode_png` never returns such an image; a caller building one in memory might.
        return Err(DataError::BadArgument(format!(
            "target image is empty ({w}x{h} pixels)"
        )));
    }
    let mut rgba = img.to_rgba32f();
    for p in rgba.pixels_mut() {
        let a = p[3].clamp(0.0, 1.0);
        p[3] = a;
        for c in 0..3 {
            p[c] = p[c].clamp(0.0, 1.0) * a;
        }
    }
    // Fit into size × size keeping the aspect ratio. Resizing premultiplied colours keeps
    // transparent pixels from bleeding their (invisible) colour into the edges.
    let long = w.max(h) as u64;
    let fit = |d: u32| ((d as u64 * size as u64 + long / 2) / long).clamp(1, size as u64) as u32;
    let (fw, fh) = (fit(w), fit(h));
    let resized = if (fw, fh) == (w, h) {
        rgba
    } else {
        imageops::resize(&rgba, fw, fh, FilterType::Triangle)
    };
    let side = side as usize;
    let off_x = pad as usize + (size - fw) as usize / 2;
    let off_y = pad as usize + (size - fh) as usize / 2;
    let n = side * side;
    let mut out = vec![0.0f32; 4 * n];
    place(&resized, &mut out, side, off_x, off_y);
    Ok(Target { side, rgba: out })
}

/// Copies `img` into the CHW buffer `out` at offset (`off_x`, `off_y`), clamping values to
/// `[0, 1]` and keeping colours premultiplied (never above alpha).
fn place(
    img: &ImageBuffer<Rgba<f32>, Vec<f32>>,
    out: &mut [f32],
    side: usize,
    off_x: usize,
    off_y: usize,
) {
    let n = side * side;
    for (x, y, p) in img.enumerate_pixels() {
        let i = (off_y + y as usize) * side + off_x + x as usize;
        let a = p[3].clamp(0.0, 1.0);
        out[3 * n + i] = a;
        for c in 0..3 {
            out[c * n + i] = p[c].clamp(0.0, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png::tests::{png_bytes, png_with_size};
    use image::{Luma, RgbaImage};

    fn save(dir: &Path, name: &str, img: &DynamicImage) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, png_bytes(img)).unwrap();
        p
    }

    #[test]
    fn wide_image_is_fitted_centred_premultiplied_and_padded() {
        let dir = tempfile::tempdir().unwrap();
        // 8×4 opaque red left half, half-transparent white right half.
        let img = RgbaImage::from_fn(8, 4, |x, _| {
            if x < 4 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([255, 255, 255, 128])
            }
        });
        let p = save(dir.path(), "wide.png", &DynamicImage::ImageRgba8(img));
        let t = load_target(&p, 8, 2).unwrap();
        assert_eq!(t.side, 12);
        assert_eq!(t.rgba.len(), 4 * 12 * 12);
        // Fitted to 8×4, centred vertically: rows 2..4 of the square are empty, then the image.
        for y in 0..12 {
            for x in 0..12 {
                let inside = (2..10).contains(&x) && (4..8).contains(&y);
                let [r, g, b, a] = t.pixel(y, x);
                assert!(r <= a && g <= a && b <= a);
                if !inside {
                    assert_eq!(a, 0.0, "({y},{x}) should be transparent");
                }
            }
        }
        assert_eq!(t.pixel(5, 2), [1.0, 0.0, 0.0, 1.0]);
        let [r, g, _, a] = t.pixel(5, 9);
        assert!((a - 128.0 / 255.0).abs() < 1e-6);
        assert!(
            (r - a).abs() < 1e-6 && (g - a).abs() < 1e-6,
            "premultiplied"
        );
        assert_eq!(t.alpha(), t.channel(3));
    }

    #[test]
    fn downscales_grey_16_bit_and_tall_images() {
        let dir = tempfile::tempdir().unwrap();
        let img = ImageBuffer::from_pixel(10, 30, Luma([40000u16]));
        let p = save(dir.path(), "tall.png", &DynamicImage::ImageLuma16(img));
        let t = load_target(&p, 6, 0).unwrap();
        assert_eq!(t.side, 6);
        // 10×30 fits as 2×6, centred horizontally at columns 2..4.
        for y in 0..6 {
            for x in 0..6 {
                let a = t.pixel(y, x)[3];
                if (2..4).contains(&x) {
                    assert!((a - 1.0).abs() < 1e-6);
                    let r = t.pixel(y, x)[0];
                    assert!((r - 40000.0 / 65535.0).abs() < 1e-3, "{r}");
                } else {
                    assert_eq!(a, 0.0);
                }
            }
        }
    }

    #[test]
    fn bad_inputs_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let ok = save(dir.path(), "ok.png", &DynamicImage::new_rgba8(2, 2));
        let e = load_target(&ok, 0, 4).unwrap_err();
        assert!(e.to_string().contains("size must be at least 1"), "{e}");
        let e = load_target(&ok, 4000, 100).unwrap_err();
        assert!(matches!(e, DataError::BadArgument(_)), "{e}");

        let p = dir.path().join("text.png");
        std::fs::write(&p, "hello").unwrap();
        assert!(matches!(
            load_target(&p, 4, 0),
            Err(DataError::NotPng { .. })
        ));
        let p = dir.path().join("empty.png");
        std::fs::write(&p, png_with_size(7, 0)).unwrap();
        let e = load_target(&p, 4, 0).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("empty.png: image is empty (7x0 pixels)"),
            "{e}"
        );
        assert!(matches!(
            load_target(&dir.path().join("none.png"), 4, 0),
            Err(DataError::Io { .. })
        ));
    }

    #[test]
    fn target_from_image_is_what_load_target_does_and_refuses_empty_images() {
        let dir = tempfile::tempdir().unwrap();
        let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(5, 3, |x, y| {
            Rgba([(40 * x) as u8, (80 * y) as u8, 200, (50 * (x + y)) as u8])
        }));
        let p = save(dir.path(), "small.png", &img);
        assert_eq!(
            target_from_image(&img, 4, 1).unwrap(),
            load_target(&p, 4, 1).unwrap()
        );
        for empty in [DynamicImage::new_rgba8(0, 3), DynamicImage::new_luma8(4, 0)] {
            let e = target_from_image(&empty, 4, 1).unwrap_err();
            assert!(matches!(e, DataError::BadArgument(_)), "{e}");
            assert!(e.to_string().contains("empty"), "{e}");
        }
        assert!(matches!(
            target_from_image(&img, 0, 1),
            Err(DataError::BadArgument(_))
        ));
    }

    /// The lizard emoji from the shared data, when `NCA_DATA` points at it.
    #[test]
    fn real_lizard_target() {
        let Some(dir) = crate::test_data_dir("the lizard target test") else {
            return;
        };
        let p = Path::new(&dir).join("emoji/lizard.png");
        let t = load_target(&p, 40, 16).unwrap();
        assert_eq!(t.side, 72);
        assert_eq!(t.rgba.len(), 4 * 72 * 72);
        assert!(t.rgba.iter().all(|v| (0.0..=1.0).contains(v)));
        let alpha = t.alpha();
        assert!(alpha.iter().any(|&a| a > 0.5));
        // Everything in the 16-cell border is transparent, corners included.
        for y in 0..72 {
            for x in 0..72 {
                if !(16..56).contains(&y) || !(16..56).contains(&x) {
                    assert_eq!(alpha[y * 72 + x], 0.0, "({y},{x})");
                }
            }
        }
        for c in 0..3 {
            assert!(t.channel(c).iter().zip(alpha).all(|(v, a)| v <= a));
        }
    }
}
