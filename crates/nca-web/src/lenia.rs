//! The Lenia panel's engine: a shipped pattern or a soup on a wrapped world, the growth
//! parameters changed live, matter painted in or erased; the states are read from memory.

use nca_life::lenia::{Lenia, lenia_pattern, lenia_pattern_names};

use crate::{err, set_text, status};

struct Panel {
    world: Lenia,
}

panel_slot!(Panel, "lenia: no world (call lenia_new first)");

fn text_arg(ptr: *const u8, len: usize) -> Result<String, String> {
    // SAFETY: the loader passes a buffer it allocated and filled.
    let b = unsafe { crate::bytes(ptr, len) };
    String::from_utf8(b.to_vec()).map_err(|_| "not UTF-8".to_string())
}

/// The shipped pattern names, comma-separated, behind `nca_text_ptr`.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_patterns() -> i32 {
    set_text(lenia_pattern_names().join(","));
    0
}

/// A new `w × h` world under the rule of the named pattern (UTF-8 at `ptr`), the pattern at
/// its centre.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_new(ptr: *const u8, len: usize, w: u32, h: u32) -> i32 {
    status((|| -> Result<(), String> {
        let name = text_arg(ptr, len)?;
        let p = lenia_pattern(&name).map_err(|e| e.to_string())?;
        let (w, h) = (w as usize, h as usize);
        let mut world = Lenia::new(p.params.clone(), w, h).map_err(|e| e.to_string())?;
        if p.width > w || p.height > h {
            return err(format!("pattern {name} does not fit in {w}x{h}"));
        }
        world
            .place(
                &p.cells,
                p.width,
                p.height,
                (w - p.width) / 2,
                (h - p.height) / 2,
            )
            .map_err(|e| e.to_string())?;
        install(Panel { world });
        Ok(())
    })())
}

/// Sets every kernel's `mu` and `sigma` and the time resolution `T`, keeping the states.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_set_params(mu: f32, sigma: f32, time_steps: f64) -> i32 {
    status(with(|p| {
        let mut params = p.world.params().clone();
        for k in &mut params.kernels {
            k.mu = mu;
            k.sigma = sigma;
        }
        params.time_steps = time_steps;
        let mut world =
            Lenia::new(params, p.world.width(), p.world.height()).map_err(|e| e.to_string())?;
        world
            .set_cells(p.world.cells())
            .map_err(|e| e.to_string())?;
        p.world = world;
        Ok(())
    }))
}

/// Replaces the states by a random soup in a centred `side × side` box, from `seed`.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_soup(side: u32, seed: u32) -> i32 {
    status(with(|p| {
        let zeros = vec![0.0; p.world.cells().len()];
        p.world.set_cells(&zeros).map_err(|e| e.to_string())?;
        p.world
            .soup(side as usize, u64::from(seed))
            .map_err(|e| e.to_string())
    }))
}

/// Sets every channel to `value` (clipped to 0..1) in the disc of `radius` cells around
/// `(x, y)`, wrapping at the edges: 1 adds matter, 0 erases it.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_paint(x: u32, y: u32, radius: u32, value: f32) -> i32 {
    status(with(|p| {
        let (w, h) = (p.world.width(), p.world.height());
        if x as usize >= w || y as usize >= h {
            return err("cell outside the world");
        }
        let mut cells = p.world.cells().to_vec();
        let n = w * h;
        let r = radius as i64;
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy > r * r {
                    continue;
                }
                let xx = (i64::from(x) + dx).rem_euclid(w as i64) as usize;
                let yy = (i64::from(y) + dy).rem_euclid(h as i64) as usize;
                for c in 0..p.world.params().channels {
                    cells[c * n + yy * w + xx] = value;
                }
            }
        }
        p.world.set_cells(&cells).map_err(|e| e.to_string())
    }))
}

/// Advances `n` steps.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_step(n: u32) -> i32 {
    status(with(|p| {
        for _ in 0..n {
            p.world.step();
        }
        Ok(())
    }))
}

/// Steps since the world was made.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_steps() -> f64 {
    with(|p| Ok(p.world.steps() as f64)).unwrap_or(0.0)
}

/// Total matter.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_mass() -> f64 {
    with(|p| Ok(p.world.mass())).unwrap_or(0.0)
}

/// Channels of the world.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_channels() -> u32 {
    with(|p| Ok(p.world.params().channels as u32)).unwrap_or(0)
}

/// Pointer to the states `[channel][y][x]` (f32), valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_cells_ptr() -> *const f32 {
    with(|p| Ok(p.world.cells().as_ptr())).unwrap_or(std::ptr::null())
}

/// Number of f32 values in the states.
#[unsafe(no_mangle)]
pub extern "C" fn lenia_cells_len() -> usize {
    with(|p| Ok(p.world.cells().len())).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbium_runs_through_the_exports_as_in_the_library() {
        let name = b"orbium";
        assert_eq!(lenia_new(name.as_ptr(), name.len(), 64, 64), 0);
        let m0 = lenia_mass();
        assert_eq!(lenia_step(20), 0);
        assert_eq!(lenia_steps(), 20.0);
        let p = lenia_pattern("orbium").unwrap();
        let mut world = Lenia::new(p.params.clone(), 64, 64).unwrap();
        let (x, y) = ((64 - p.width) / 2, (64 - p.height) / 2);
        world.place(&p.cells, p.width, p.height, x, y).unwrap();
        for _ in 0..20 {
            world.step();
        }
        // SAFETY: the pointer and length come from the exports, read before the next call.
        let cells = unsafe { crate::floats(lenia_cells_ptr(), lenia_cells_len()) };
        assert_eq!(cells, world.cells());
        assert!(m0 > 0.0 && lenia_paint(0, 0, 3, 1.0) == 0 && lenia_mass() > world.mass());
        assert_eq!(lenia_set_params(0.2, 0.02, 5.0), 0);
        assert_eq!(
            lenia_set_params(0.2, -1.0, 5.0),
            1,
            "a bad sigma is refused"
        );
        assert_eq!(lenia_paint(99, 0, 1, 0.0), 1);
        let bad = b"nope";
        assert_eq!(lenia_new(bad.as_ptr(), bad.len(), 64, 64), 1);
        assert_eq!(lenia_patterns(), 0);
    }
}
