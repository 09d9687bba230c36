//! Turning a user's picture of a digit into an MNIST-like 28×28 input, the way MNIST itself was
//! made: ink is found (dark-on-light pictures are inverted; transparent pictures use alpha),
//! cropped to its bounding box, padded to a square, scaled to 20×20 and placed in a 28×28 frame
//! with its centre of mass at the centre.
//!
//! Accepted: any PNG, grey or colour, with or without alpha, 8 or 16 bits per channel.

use std::path::Path;

use crate::error::{DataError, Result};
use crate::png::read_png;

// The crop, square, 20×20 scale and centre-of-mass placement live in `nca_models::digit`
// (Burn-free, wasm32-friendly): one copy, so the playground prepares a drawing exactly as `nca`
// prepares a PNG.
pub use nca_models::digit::{DIGIT_SIDE, digit_from_image};

/// Loads the PNG at `path` as an MNIST-like digit: 28×28 = 784 values in `[0, 1]`, row-major,
/// white (1) ink on black (0).
pub fn load_digit_png(path: &Path) -> Result<Vec<f32>> {
    let img = read_png(path)?;
    digit_from_image(&img).ok_or_else(|| DataError::NoInk {
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png::tests::{png_bytes, png_with_size};
    use image::imageops::{self, FilterType};
    use image::{DynamicImage, ImageBuffer, Luma, LumaA, Rgb, RgbImage, Rgba, RgbaImage};

    fn save(dir: &Path, name: &str, img: &DynamicImage) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, png_bytes(img)).unwrap();
        p
    }

    /// A "1"-like vertical bar at columns 20..26, rows 10..50 of a 60×60 picture.
    fn is_bar(x: u32, y: u32) -> bool {
        (20..26).contains(&x) && (10..50).contains(&y)
    }

    fn check_digit(d: &[f32]) {
        assert_eq!(d.len(), 784);
        assert!(d.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(d.iter().any(|&v| v > 0.99));
        // A tall bar: 20 rows of ink, centred; the corners stay empty.
        let rows_with_ink = (0..28)
            .filter(|y| (0..28).any(|x| d[y * 28 + x] > 0.5))
            .count();
        assert_eq!(rows_with_ink, 20);
        for (y, x) in [(0, 0), (0, 27), (27, 0), (27, 27), (14, 2), (14, 25)] {
            assert_eq!(d[y * 28 + x], 0.0, "({y},{x})");
        }
        assert!(d[14 * 28 + 14] > 0.5 || d[14 * 28 + 13] > 0.5);
        let mass: f32 = d.iter().sum();
        let cx: f32 = (0..784).map(|i| d[i] * (i % 28) as f32).sum::<f32>() / mass;
        let cy: f32 = (0..784).map(|i| d[i] * (i / 28) as f32).sum::<f32>() / mass;
        assert!(
            (cx - 14.0).abs() <= 0.6 && (cy - 14.0).abs() <= 0.6,
            "{cx},{cy}"
        );
    }

    /// Saves `img` as `name` in `dir`, loads it as a digit and checks it with [`check_digit`].
    fn check_saved(dir: &Path, name: &str, img: DynamicImage) {
        check_digit(&load_digit_png(&save(dir, name, &img)).unwrap());
    }

    #[test]
    fn dark_ink_on_white_rgb_is_inverted() {
        let dir = tempfile::tempdir().unwrap();
        let img = RgbImage::from_fn(60, 60, |x, y| {
            if is_bar(x, y) {
                Rgb([10, 10, 30])
            } else {
                Rgb([250, 250, 240])
            }
        });
        check_saved(dir.path(), "d.png", DynamicImage::ImageRgb8(img));
    }

    #[test]
    fn light_ink_on_black_16_bit_grey_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let img = ImageBuffer::from_fn(60, 60, |x, y| {
            Luma([if is_bar(x, y) { 65535u16 } else { 0 }])
        });
        check_saved(dir.path(), "g16.png", DynamicImage::ImageLuma16(img));
    }

    #[test]
    fn transparent_backgrounds_use_alpha() {
        let dir = tempfile::tempdir().unwrap();
        // Black strokes on a transparent (black) background.
        let img = RgbaImage::from_fn(60, 60, |x, y| {
            Rgba([0, 0, 0, if is_bar(x, y) { 255 } else { 0 }])
        });
        check_saved(dir.path(), "rgba.png", DynamicImage::ImageRgba8(img));
        // White strokes on a transparent (white) background, 16-bit grey + alpha.
        let img = ImageBuffer::from_fn(60, 60, |x, y| {
            LumaA([65535u16, if is_bar(x, y) { 65535 } else { 0 }])
        });
        check_saved(dir.path(), "la16.png", DynamicImage::ImageLumaA16(img));
    }

    #[test]
    fn tiny_images_are_scaled_up() {
        let img = ImageBuffer::from_fn(3, 3, |x, _| Luma([if x == 1 { 255u8 } else { 0 }]));
        let d = digit_from_image(&DynamicImage::ImageLuma8(img)).unwrap();
        assert_eq!(d.len(), 784);
        assert!(d.iter().any(|&v| v > 0.99));
    }

    #[test]
    fn blank_non_png_and_empty_images_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let white = RgbImage::from_pixel(10, 10, Rgb([255, 255, 255]));
        let p = save(dir.path(), "white.png", &DynamicImage::ImageRgb8(white));
        let e = assert_err!(load_digit_png(&p), DataError::NoInk { .. });
        assert!(e.to_string().contains("white.png: no ink found"), "{e}");
        let clear = RgbaImage::from_pixel(10, 10, Rgba([0, 0, 0, 0]));
        let p = save(dir.path(), "clear.png", &DynamicImage::ImageRgba8(clear));
        assert_err!(load_digit_png(&p), DataError::NoInk { .. });

        let p = dir.path().join("digit.jpg");
        std::fs::write(&p, [0xff, 0xd8, 0xff, 0xe0, 0, 0]).unwrap();
        assert_err!(load_digit_png(&p), DataError::NotPng { .. });
        let p = dir.path().join("zero.png");
        std::fs::write(&p, png_with_size(0, 0)).unwrap();
        assert_err!(load_digit_png(&p), DataError::EmptyImage { .. });
    }

    /// A real MNIST digit, enlarged and drawn dark on light, comes back close to the original.
    #[test]
    fn real_mnist_digit_round_trips() {
        let Some(dir) = crate::test_data_dir("the MNIST digit test") else {
            return;
        };
        let split = crate::mnist::load_split(Path::new(&dir), crate::SplitName::Test).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut total = 0.0;
        for i in 0..20 {
            let orig = split.image_f32(i);
            let small = ImageBuffer::from_fn(28, 28, |x, y| {
                Luma([255 - split.image(i)[(y * 28 + x) as usize]])
            });
            let big = imageops::resize(&small, 112, 112, FilterType::Triangle);
            let p = save(tmp.path(), "digit.png", &DynamicImage::ImageLuma8(big));
            let d = load_digit_png(&p).unwrap();
            let dot: f32 = orig.iter().zip(&d).map(|(a, b)| a * b).sum();
            let na: f32 = orig.iter().map(|a| a * a).sum::<f32>().sqrt();
            let nb: f32 = d.iter().map(|b| b * b).sum::<f32>().sqrt();
            let cos = dot / (na * nb);
            assert!(cos > 0.75, "digit {i}: cosine similarity {cos}");
            total += cos;
        }
        assert!(
            total / 20.0 > 0.85,
            "mean cosine similarity {}",
            total / 20.0
        );
    }
}
