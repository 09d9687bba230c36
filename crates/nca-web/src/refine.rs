//! The refiner panel: a drawing becomes an MNIST-like digit (crop, square, 20x20, centre of
//! mass), fifty rules rewrite it, and each image gets a verdict.

use nca_models::RefineModel;
use nca_models::digit::digit_from_rgba8;
use nca_models::refine::verdict;

use crate::{err, status};

struct Panel {
    model: RefineModel,
    /// The input, then the image after every step.
    images: Vec<Vec<f32>>,
    rgba: Vec<u8>,
    verdict: Vec<f32>,
}

impl Panel {
    /// The panel of `model`, with nothing run yet.
    fn new(model: RefineModel) -> Result<Self, String> {
        let s = model.templates.side;
        Ok(Panel {
            model,
            images: Vec::new(),
            rgba: vec![0; 4 * s * s],
            verdict: Vec::new(),
        })
    }
}

panel_slot! {
    /// Loads a `refine` checkpoint from `len` bytes at `ptr`.
    refine_load(RefineModel::from_bytes, Panel::new) -> Panel, "refine: no model loaded"
}

/// Number of steps (blocks) of the loaded model.
#[unsafe(no_mangle)]
pub extern "C" fn refine_steps() -> u32 {
    with(|p| Ok(p.model.cfg.blocks as u32)).unwrap_or(0)
}

/// Image side of the loaded model (28).
#[unsafe(no_mangle)]
pub extern "C" fn refine_side() -> u32 {
    with(|p| Ok(p.model.templates.side as u32)).unwrap_or(0)
}

/// Prepares the input from a drawing (8-bit RGBA, `w × h`, at `ptr`) as `nca refine animate
/// --input` does with a PNG, and runs all steps.
///
/// # Safety
/// `ptr..ptr+4·w·h` must be readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn refine_run_drawing(ptr: *const u8, w: u32, h: u32) -> i32 {
    let (w, h) = (w as usize, h as usize);
    // SAFETY: forwarded from the caller.
    let rgba = unsafe { crate::bytes(ptr, w * h * 4) };
    status(with(|p| {
        let Some(pixels) = digit_from_rgba8(rgba, w, h) else {
            return err("no ink found: draw a digit first");
        };
        if p.model.templates.side != nca_models::digit::DIGIT_SIDE {
            return err("this refiner is not for 28x28 digits");
        }
        run(p, pixels)
    }))
}

/// Runs all steps on a ready 28x28 input (f32 at `ptr`, e.g. a test digit).
///
/// # Safety
/// `ptr` must point at side² f32 values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn refine_run_pixels(ptr: *const f32) -> i32 {
    status(with(|p| {
        let s = p.model.templates.side;
        // SAFETY: forwarded from the caller.
        let px = unsafe { crate::floats(ptr, s * s) }.to_vec();
        run(p, px)
    }))
}

fn run(p: &mut Panel, pixels: Vec<f32>) -> Result<(), String> {
    let steps = p.model.images(&pixels).map_err(|e| e.to_string())?;
    p.images = std::iter::once(pixels).chain(steps).collect();
    Ok(())
}

/// `f(panel, t)` when image `t` exists, else (or with no model loaded) null.
fn of_image<T>(t: u32, f: impl FnOnce(&mut Panel, usize) -> *const T) -> *const T {
    let t = t as usize;
    with(|p| {
        Ok(if t < p.images.len() {
            f(p, t)
        } else {
            std::ptr::null()
        })
    })
    .unwrap_or(std::ptr::null())
}

/// Pointer to image `t` (0 = the input, `t` = after step t) as f32, or null.
#[unsafe(no_mangle)]
pub extern "C" fn refine_image_ptr(t: u32) -> *const f32 {
    of_image(t, |p, t| p.images[t].as_ptr())
}

/// Draws image `t` (grey, white ink on black) as RGBA; returns its pointer or null.
#[unsafe(no_mangle)]
pub extern "C" fn refine_render(t: u32) -> *const u8 {
    of_image(t, |p, t| {
        for (i, v) in p.images[t].iter().enumerate() {
            let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            p.rgba[4 * i..4 * i + 4].copy_from_slice(&[g, g, g, 255]);
        }
        p.rgba.as_ptr()
    })
}

/// The verdict on image `t`: a pointer to `[digit, confidence, cosine 0..9]` as f32, or null.
#[unsafe(no_mangle)]
pub extern "C" fn refine_verdict(t: u32) -> *const f32 {
    of_image(t, |p, t| {
        let v = verdict(&p.images[t], &p.model.templates);
        p.verdict = std::iter::once(v.digit as f32)
            .chain(std::iter::once(v.confidence))
            .chain(v.cosines)
            .collect();
        p.verdict.as_ptr()
    })
}
