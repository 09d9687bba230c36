//! PNG decoding and the two conversions of a decoded image: the growth target
//! (`target_from_image`, what `load_target` runs after `read_png`) and the MNIST-like digit
//! (`digit_from_image`, what `load_digit_png` runs).
//!
//! Input: byte 0 picks the target size (1..=64, or 0 to check the refusal) and padding (0..=7);
//! byte 1 picks the mode. Even: the rest is a PNG file. Odd: the rest is a raw image (2 bytes of
//! width and height 0..=63 each, a colour type of those a PNG decodes to, then pixel bytes,
//! repeated to fill the image), so that the conversions see many shapes without a valid PNG.

#![no_main]

use std::path::Path;

use image::{DynamicImage, ImageBuffer};
use libfuzzer_sys::fuzz_target;
use nca_data::digit_image::{DIGIT_SIDE, digit_from_image};
use nca_data::image_target::target_from_image;
use nca_data::png::decode_png;

/// An image of `w × h` of the colour type picked by `kind`, pixels from `bytes` (cycled).
fn raw_image(kind: u8, w: u32, h: u32, bytes: &[u8]) -> DynamicImage {
    let mut it = bytes.iter().copied().cycle();
    let mut u8s = |n: usize| -> Vec<u8> { (0..n).map(|_| it.next().unwrap_or(0)).collect() };
    let n = (w * h) as usize;
    match kind % 8 {
        0 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, u8s(n)).unwrap()),
        1 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, u8s(2 * n)).unwrap()),
        2 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, u8s(3 * n)).unwrap()),
        3 => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, u8s(4 * n)).unwrap()),
        k => {
            let channels = [1, 2, 3, 4][usize::from(k - 4)];
            let v = u8s(2 * channels * n);
            let v: Vec<u16> = v
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            match channels {
                1 => DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, v).unwrap()),
                2 => DynamicImage::ImageLumaA16(ImageBuffer::from_raw(w, h, v).unwrap()),
                3 => DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, v).unwrap()),
                _ => DynamicImage::ImageRgba16(ImageBuffer::from_raw(w, h, v).unwrap()),
            }
        }
    }
}

fn convert(img: &DynamicImage, size: u32, pad: u32) {
    match target_from_image(img, size, pad) {
        Ok(t) => {
            assert_eq!(t.side, (size + 2 * pad) as usize);
            assert_eq!(t.rgba.len(), 4 * t.side * t.side);
            let n = t.side * t.side;
            for i in 0..n {
                let a = t.rgba[3 * n + i];
                assert!((0.0..=1.0).contains(&a), "alpha {a}");
                for c in 0..3 {
                    let v = t.rgba[c * n + i];
                    assert!((0.0..=a).contains(&v), "colour {v} above alpha {a}");
                }
            }
        }
        Err(_) => assert!(size == 0 || img.width() == 0 || img.height() == 0),
    }
    if let Some(d) = digit_from_image(img) {
        assert_eq!(d.len(), DIGIT_SIDE * DIGIT_SIDE);
        assert!(
            d.iter().all(|v| (0.0..=1.0).contains(v)),
            "digit out of [0, 1]"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let [sizes, mode, rest @ ..] = data else {
        return;
    };
    let (size, pad) = (
        u32::from(sizes & 0x3f),
        u32::from(sizes >> 6) * 2 + u32::from(mode >> 7),
    );
    if mode & 1 == 0 {
        if let Ok(img) = decode_png(Path::new("fuzz.png"), rest) {
            assert!(img.width() > 0 && img.height() > 0);
            convert(&img, size, pad);
        }
    } else if let [w, h, kind, pixels @ ..] = rest {
        let img = raw_image(*kind, u32::from(w & 0x3f), u32::from(h & 0x3f), pixels);
        convert(&img, size, pad);
    }
});
