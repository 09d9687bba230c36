//! The growing NCA panel: a pattern grows from a seed planted by a click; cuts are discs.

use nca_models::grow::{damage_circle, plant_seed, render_rgba};
use nca_models::{GrowModel, Stepper};

use crate::status;

struct Panel {
    model: GrowModel,
    stepper: Stepper,
    rgba: Vec<u8>,
}

impl Panel {
    /// The panel of `model`, its grid holding the centre seed.
    fn new(model: GrowModel) -> Result<Self, String> {
        let s = model.side();
        let stepper = model.seed_stepper(0).map_err(|e| e.to_string())?;
        Ok(Panel {
            model,
            stepper,
            rgba: vec![0; 4 * s * s],
        })
    }
}

panel_slot! {
    /// Loads a `grow` checkpoint from `len` bytes at `ptr`; the grid starts from the centre seed.
    grow_load(GrowModel::from_bytes, Panel::new) -> Panel, "grow: no model loaded"
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

stepper_exports!(
    grow_tick,
    grow_ticks,
    grow_state_ptr,
    grow_state_len,
    "[C, side, side]"
);

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
