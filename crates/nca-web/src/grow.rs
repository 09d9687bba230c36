//! The growing NCA panel: a pattern grows from a seed planted by a click; cuts are discs.

use std::cell::RefCell;

use nca_models::grow::{damage_circle, plant_seed, render_rgba};
use nca_models::{GrowModel, Stepper};

use crate::{err, status};

struct Panel {
    model: GrowModel,
    stepper: Stepper,
    rgba: Vec<u8>,
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
}

fn with<T>(f: impl FnOnce(&mut Panel) -> Result<T, String>) -> Result<T, String> {
    PANEL.with(|p| match p.borrow_mut().as_mut() {
        Some(p) => f(p),
        None => err("grow: no model loaded"),
    })
}

/// Loads a `grow` checkpoint from `len` bytes at `ptr`; the grid starts from the centre seed.
///
/// # Safety
/// `ptr..ptr+len` must be readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grow_load(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { crate::bytes(ptr, len) };
    status((|| -> Result<(), String> {
        let model = GrowModel::from_bytes(bytes).map_err(|e| e.to_string())?;
        let s = model.side();
        let stepper = Stepper::new(
            model.spec.clone(),
            model.params.clone(),
            model.seed_state(),
            [1, s, s],
            model.cfg().fire_rate,
            0,
        )
        .map_err(|e| e.to_string())?;
        PANEL.with(|p| {
            *p.borrow_mut() = Some(Panel {
                model,
                stepper,
                rgba: vec![0; 4 * s * s],
            })
        });
        Ok(())
    })())
}

/// Grid side in cells (0 when no model is loaded).
#[unsafe(no_mangle)]
pub extern "C" fn grow_side() -> u32 {
    with(|p| Ok(p.model.side() as u32)).unwrap_or(0)
}

/// Starts over: one seed at the centre when `seeded` is nonzero (else an empty grid), fire masks
/// from `StdRng::seed_from_u64(seed)` — `nca grow animate`'s start.
#[unsafe(no_mangle)]
pub extern "C" fn grow_reset(seed: u32, seeded: u32) -> i32 {
    status(with(|p| {
        p.stepper.state = if seeded != 0 {
            p.model.seed_state()
        } else {
            vec![0.0; p.stepper.state.len()]
        };
        p.stepper.reseed(seed as u64);
        Ok(())
    }))
}

/// Plants a seed at cell `(x, y)`.
#[unsafe(no_mangle)]
pub extern "C" fn grow_plant(x: u32, y: u32) -> i32 {
    status(with(|p| {
        let (c, s) = (p.model.cfg().channels, p.model.side());
        plant_seed(&mut p.stepper.state, c, s, x as usize, y as usize);
        Ok(())
    }))
}

/// Cuts out the disc of radius `r` around `(x, y)` (cell units; centres of cells compared).
#[unsafe(no_mangle)]
pub extern "C" fn grow_cut(x: f32, y: f32, r: f32) -> i32 {
    status(with(|p| {
        let (c, s) = (p.model.cfg().channels, p.model.side());
        damage_circle(&mut p.stepper.state, [c, s, s], x, y, r);
        Ok(())
    }))
}

/// Runs `n` ticks.
#[unsafe(no_mangle)]
pub extern "C" fn grow_tick(n: u32) -> i32 {
    status(with(|p| {
        p.stepper.run(n as usize).map_err(|e| e.to_string())
    }))
}

/// Ticks run since the last reset.
#[unsafe(no_mangle)]
pub extern "C" fn grow_ticks() -> f64 {
    with(|p| Ok(p.stepper.ticks as f64)).unwrap_or(0.0)
}

/// Pointer to the state `[C, side, side]` (f32), valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn grow_state_ptr() -> *const f32 {
    with(|p| Ok(p.stepper.state.as_ptr())).unwrap_or(std::ptr::null())
}

/// Number of f32 values in the state.
#[unsafe(no_mangle)]
pub extern "C" fn grow_state_len() -> usize {
    with(|p| Ok(p.stepper.state.len())).unwrap_or(0)
}

/// Draws the frame (side x side RGBA over white, as `nca grow animate`); returns its pointer.
#[unsafe(no_mangle)]
pub extern "C" fn grow_render() -> *const u8 {
    with(|p| {
        render_rgba(&p.stepper.state, p.model.side(), &mut p.rgba);
        Ok(p.rgba.as_ptr())
    })
    .unwrap_or(std::ptr::null())
}

/// Pointer to the target image (RGBA over white, side x side).
#[unsafe(no_mangle)]
pub extern "C" fn grow_target_render() -> *const u8 {
    with(|p| {
        let s = p.model.side();
        let mut full = vec![0.0; 4 * s * s];
        full.copy_from_slice(&p.model.target.rgba);
        render_rgba(&full, s, &mut p.rgba);
        Ok(p.rgba.as_ptr())
    })
    .unwrap_or(std::ptr::null())
}
