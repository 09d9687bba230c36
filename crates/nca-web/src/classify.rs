//! The self-classifying digits panel: a 28x28 digit drawn (or loaded) into channel 0, every
//! alive cell coloured by its vote.

use std::cell::RefCell;

use nca_models::classify::{TAB10, fresh_state, mutate_state};
use nca_models::{ClassifyModel, Stepper};

use crate::{err, floats, status};

struct Panel {
    model: ClassifyModel,
    stepper: Stepper,
    rgba: Vec<u8>,
    counts: Vec<u32>,
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
}

const SIDE: usize = 28;

fn with<T>(f: impl FnOnce(&mut Panel) -> Result<T, String>) -> Result<T, String> {
    PANEL.with(|p| match p.borrow_mut().as_mut() {
        Some(p) => f(p),
        None => err("classify: no model loaded"),
    })
}

/// Loads a `classify` checkpoint from `len` bytes at `ptr`; the grid starts empty.
///
/// # Safety
/// `ptr..ptr+len` must be readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn classify_load(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { crate::bytes(ptr, len) };
    status((|| -> Result<(), String> {
        let model = ClassifyModel::from_bytes(bytes).map_err(|e| e.to_string())?;
        let c = model.cfg.channels;
        let stepper = Stepper::new(
            model.spec.clone(),
            model.params.clone(),
            vec![0.0; c * SIDE * SIDE],
            [1, SIDE, SIDE],
            model.cfg.fire_rate,
            0,
        )
        .map_err(|e| e.to_string())?;
        let classes = model.cfg.classes;
        PANEL.with(|p| {
            *p.borrow_mut() = Some(Panel {
                model,
                stepper,
                rgba: vec![0; 4 * SIDE * SIDE],
                counts: vec![0; classes + 1],
            })
        });
        Ok(())
    })())
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

/// Runs `n` ticks.
#[unsafe(no_mangle)]
pub extern "C" fn classify_tick(n: u32) -> i32 {
    status(with(|p| {
        p.stepper.run(n as usize).map_err(|e| e.to_string())
    }))
}

/// Ticks run since the last reset.
#[unsafe(no_mangle)]
pub extern "C" fn classify_ticks() -> f64 {
    with(|p| Ok(p.stepper.ticks as f64)).unwrap_or(0.0)
}

/// Pointer to the state `[C, 28, 28]` (f32), valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn classify_state_ptr() -> *const f32 {
    with(|p| Ok(p.stepper.state.as_ptr())).unwrap_or(std::ptr::null())
}

/// Number of f32 values in the state.
#[unsafe(no_mangle)]
pub extern "C" fn classify_state_len() -> usize {
    with(|p| Ok(p.stepper.state.len())).unwrap_or(0)
}

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
