//! The self-classifying digits panel: a 28x28 digit drawn (or loaded) into channel 0, every
//! alive cell coloured by its vote.

use nca_models::classify::{TAB10, fresh_state, mutate_state};
use nca_models::{ClassifyModel, Stepper};

use crate::{floats, status};

struct Panel {
    model: ClassifyModel,
    stepper: Stepper,
    rgba: Vec<u8>,
    counts: Vec<u32>,
}

const SIDE: usize = 28;

impl Panel {
    /// The panel of `model`, its grid empty.
    fn new(model: ClassifyModel) -> Result<Self, String> {
        let empty = vec![0.0; model.cfg.channels * SIDE * SIDE];
        let stepper = crate::stepper(&model.spec, &model.params, empty, SIDE, model.cfg.fire_rate)?;
        let classes = model.cfg.classes;
        Ok(Panel {
            model,
            stepper,
            rgba: vec![0; 4 * SIDE * SIDE],
            counts: vec![0; classes + 1],
        })
    }
}

panel_slot! {
    /// Loads a `classify` checkpoint from `len` bytes at `ptr`; the grid starts empty.
    classify_load(ClassifyModel::from_bytes, Panel::new) -> Panel, "classify: no model loaded"
}

/// Starts over: the 784 pixels at `pixels` as a fresh digit (hidden and vote channels zero), the
/// fire masks from `StdRng::seed_from_u64(seed)` — `nca classify animate`'s start.
///
/// # Safety
/// `pixels` must point at 784 f32 values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn classify_reset(pixels: *const f32, seed: u32) -> i32 {
    // SAFETY: forwarded from the caller.
    let px = unsafe { floats(pixels, SIDE * SIDE) };
    status(with(|p| {
        p.stepper.state = fresh_state(px, p.model.cfg.channels);
        p.stepper.reseed(seed as u64);
        Ok(())
    }))
}

/// Replaces the digit by the 784 pixels at `pixels` without starting over: cells alive before
/// and after keep their state, the others start from zero (the paper's mutation).
///
/// # Safety
/// `pixels` must point at 784 f32 values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn classify_set_pixels(pixels: *const f32) -> i32 {
    // SAFETY: forwarded from the caller.
    let px = unsafe { floats(pixels, SIDE * SIDE) };
    status(with(|p| {
        let (c, t) = (p.model.cfg.channels, p.model.cfg.alive_threshold);
        mutate_state(&mut p.stepper.state, px, c, t);
        Ok(())
    }))
}

stepper_exports!(
    classify_tick,
    classify_ticks,
    classify_state_ptr,
    classify_state_len,
    "[C, 28, 28]"
);

/// Draws the frame (28x28 RGBA: alive cells in their vote's colour, shaded by the pixel's
/// grey value; dead cells white) and counts the votes; returns the RGBA pointer.
#[unsafe(no_mangle)]
pub extern "C" fn classify_render() -> *const u8 {
    with(|p| {
        let hw = SIDE * SIDE;
        let votes = p.model.votes(&p.stepper.state, hw);
        p.counts.iter_mut().for_each(|c| *c = 0);
        for (i, v) in votes.iter().enumerate() {
            let px = &mut p.rgba[4 * i..4 * i + 4];
            match v {
                Some(k) => {
                    p.counts[*k] += 1;
                    let ink = p.stepper.state[i].clamp(0.0, 1.0);
                    let [r, g, b] = TAB10[k % TAB10.len()];
                    let mix = |c: u8| (255.0 - (255.0 - c as f32) * (0.35 + 0.65 * ink)) as u8;
                    px.copy_from_slice(&[mix(r), mix(g), mix(b), 255]);
                }
                None => px.copy_from_slice(&[255, 255, 255, 255]),
            }
        }
        let classes = p.model.cfg.classes;
        p.counts[classes] = votes.iter().filter(|v| v.is_some()).count() as u32;
        Ok(p.rgba.as_ptr())
    })
    .unwrap_or(std::ptr::null())
}

/// Pointer to the vote counts of the last render: `classes` u32 values, then the number of alive
/// cells.
#[unsafe(no_mangle)]
pub extern "C" fn classify_counts_ptr() -> *const u32 {
    with(|p| Ok(p.counts.as_ptr())).unwrap_or(std::ptr::null())
}
