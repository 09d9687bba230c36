//! Turning a drawing into an MNIST-like 28×28 digit, the way MNIST itself was made; the one copy
//! of it, which `nca_data::load_digit_png` (and so `nca refine animate --input` and
//! `nca classify animate --input`) and the playground both use: ink is
//! found (dark-on-light pictures are inverted; transparent ones use alpha), cropped to its
//! bounding box, padded to a square, scaled to 20×20 (triangle filter), normalised so that the
//! strongest ink is 1, and placed in a 28×28 frame with its centre of mass at the centre.

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Luma, RgbaImage};

/// Side of an MNIST digit image.
pub const DIGIT_SIDE: usize = 28;
/// Side of the box the digit is scaled into, inside the 28×28 frame.
const BOX_SIDE: u32 = 20;
/// Ink level below which a pixel counts as background when cropping.
const INK_THRESHOLD: f32 = 0.1;

/// The digit made from 8-bit RGBA pixels (`width × height`, row-major, as a canvas's
/// `getImageData` or a decoded RGBA PNG gives them), or `None` when there is no ink.
pub fn digit_from_rgba8(rgba: &[u8], width: usize, height: usize) -> Option<Vec<f32>> {
    if width == 0 || height == 0 || rgba.len() != width * height * 4 {
        return None;
    }
    let img = RgbaImage::from_raw(width as u32, height as u32, rgba.to_vec())?;
    digit_from_image(&DynamicImage::ImageRgba8(img))
}

/// The digit made from a decoded image: 28×28 = 784 values in `[0, 1]`, row-major, white (1) ink
/// on black (0); or `None` when the image holds no ink.
pub fn digit_from_image(img: &DynamicImage) -> Option<Vec<f32>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let ink = ink_map(img);
    // Bounding box of the ink.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] > INK_THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    if x0 == usize::MAX {
        return None;
    }
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    // Pad the crop to a square, centring it.
    let sq = bw.max(bh);
    let (px, py) = ((sq - bw) / 2, (sq - bh) / 2);
    let mut square = ImageBuffer::<Luma<f32>, Vec<f32>>::new(sq as u32, sq as u32);
    for y in 0..bh {
        for x in 0..bw {
            square.put_pixel(
                (px + x) as u32,
                (py + y) as u32,
                Luma([ink[(y0 + y) * w + x0 + x]]),
            );
        }
    }
    let small = imageops::resize(&square, BOX_SIDE, BOX_SIDE, FilterType::Triangle);
    let mut boxed: Vec<f32> = small.pixels().map(|p| p[0].clamp(0.0, 1.0)).collect();
    // Scale so that the strongest ink is 1, like MNIST's full-intensity strokes.
    let max = boxed.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 {
        return None;
    }
    boxed.iter_mut().for_each(|v| *v /= max);
    Some(place_by_centre_of_mass(&boxed))
}

/// How much ink each pixel holds, in `[0, 1]`, row-major.
///
/// An image with transparency is taken to show strokes on a transparent background: the visible
/// pixels are the strokes, so ink is `alpha × darkness` when they are mostly dark, else
/// `alpha × lightness`. An opaque image that is mostly light is dark ink on paper and is
/// inverted; a mostly dark one already has light ink.
fn ink_map(img: &DynamicImage) -> Vec<f32> {
    let la = img.to_luma_alpha32f();
    let px: Vec<(f32, f32)> = la
        .pixels()
        .map(|p| (p[0].clamp(0.0, 1.0), p[1].clamp(0.0, 1.0)))
        .collect();
    let transparent = img.color().has_alpha() && px.iter().any(|&(_, a)| a < 0.99);
    let invert = if transparent {
        let (sum, weight) = px.iter().fold((0.0f64, 0.0f64), |(s, w), &(l, a)| {
            (s + (l * a) as f64, w + a as f64)
        });
        // Dark visible strokes: ink is darkness.
        weight > 0.0 && sum / weight < 0.5
    } else {
        let mean = px.iter().map(|&(l, _)| l as f64).sum::<f64>() / px.len().max(1) as f64;
        mean > 0.5
    };
    px.iter()
        .map(|&(l, a)| if invert { (1.0 - l) * a } else { l * a })
        .collect()
}

/// Places the 20×20 `boxed` digit in a 28×28 frame so that its centre of mass lands at the
/// centre, as in MNIST, without letting it leave the frame.
fn place_by_centre_of_mass(boxed: &[f32]) -> Vec<f32> {
    let b = BOX_SIDE as usize;
    let (mut m, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..b {
        for x in 0..b {
            let v = boxed[y * b + x] as f64;
            m += v;
            mx += v * x as f64;
            my += v * y as f64;
        }
    }
    // In pixel-index coordinates MNIST's centres of mass average (14.0, 14.0).
    let centre = DIGIT_SIDE as f64 / 2.0;
    let max_off = (DIGIT_SIDE - b) as f64;
    let offset = |c: f64| (centre - c).round().clamp(0.0, max_off) as usize;
    let (ox, oy) = if m > 0.0 {
        (offset(mx / m), offset(my / m))
    } else {
        (4, 4)
    };
    let mut out = vec![0.0f32; DIGIT_SIDE * DIGIT_SIDE];
    for y in 0..b {
        for x in 0..b {
            out[(oy + y) * DIGIT_SIDE + ox + x] = boxed[y * b + x];
        }
    }
    out
}
