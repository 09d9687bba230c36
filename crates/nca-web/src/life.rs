//! The Game of Life panel: any Life-like rule, built-in patterns, cells toggled by clicks.

use nca_life::{Grid, Pattern, Rule, Topology, pattern_names};

use crate::{err, set_text, status};

struct Panel {
    grid: Grid,
    next: Grid,
    rule: Rule,
    generation: u64,
}

panel_slot!(Panel, "life: no grid (call life_new first)");

fn text_arg(ptr: *const u8, len: usize) -> Result<String, String> {
    // SAFETY: the loader passes a buffer it allocated and filled.
    let b = unsafe { crate::bytes(ptr, len) };
    String::from_utf8(b.to_vec()).map_err(|_| "not UTF-8".to_string())
}

/// A new empty `w × h` grid (torus when `torus` is nonzero) with Conway's rule.
#[unsafe(no_mangle)]
pub extern "C" fn life_new(w: u32, h: u32, torus: u32) -> i32 {
    status((|| -> Result<(), String> {
        let topology = if torus != 0 {
            Topology::Torus
        } else {
            Topology::Bounded
        };
        let grid = Grid::new(w as usize, h as usize, topology).map_err(|e| e.to_string())?;
        let rule = with(|p| Ok(p.rule)).unwrap_or_else(|_| Rule::life());
        install(Panel {
            next: grid.clone(),
            grid,
            rule,
            generation: 0,
        });
        Ok(())
    })())
}

/// Sets the rule from B/S notation or a name (UTF-8 at `ptr`, `len` bytes).
#[unsafe(no_mangle)]
pub extern "C" fn life_set_rule(ptr: *const u8, len: usize) -> i32 {
    status(with(|p| {
        let s = text_arg(ptr, len)?;
        p.rule = s.parse::<Rule>().map_err(|e| e.to_string())?;
        set_text(p.rule.to_string());
        Ok(())
    }))
}

/// Clears the grid and places the named built-in pattern (UTF-8 at `ptr`) at its centre.
#[unsafe(no_mangle)]
pub extern "C" fn life_place(ptr: *const u8, len: usize) -> i32 {
    status(with(|p| {
        let name = text_arg(ptr, len)?;
        let pat = Pattern::named(&name).map_err(|e| e.to_string())?;
        let mut g = Grid::new(p.grid.width(), p.grid.height(), p.grid.topology())
            .map_err(|e| e.to_string())?;
        g.place_centered(&pat).map_err(|e| e.to_string())?;
        p.grid = g;
        p.generation = 0;
        Ok(())
    }))
}

/// Fills the grid with a random soup of the given density, reproducibly from `seed`.
#[unsafe(no_mangle)]
pub extern "C" fn life_soup(density: f64, seed: u32) -> i32 {
    status(with(|p| {
        p.grid = Grid::random_soup(
            p.grid.width(),
            p.grid.height(),
            p.grid.topology(),
            density,
            seed as u64,
        )
        .map_err(|e| e.to_string())?;
        p.generation = 0;
        Ok(())
    }))
}

/// Flips cell `(x, y)`.
#[unsafe(no_mangle)]
pub extern "C" fn life_toggle(x: u32, y: u32) -> i32 {
    status(with(|p| {
        let (x, y) = (x as usize, y as usize);
        if x >= p.grid.width() || y >= p.grid.height() {
            return err("cell outside the grid");
        }
        let alive = p.grid.get(x, y);
        p.grid.set(x, y, !alive).map_err(|e| e.to_string())
    }))
}

/// Advances `n` generations.
#[unsafe(no_mangle)]
pub extern "C" fn life_step(n: u32) -> i32 {
    status(with(|p| {
        for _ in 0..n {
            p.grid.step_into(&p.rule, &mut p.next);
            std::mem::swap(&mut p.grid, &mut p.next);
            p.generation += 1;
        }
        Ok(())
    }))
}

/// Generations since the last placement.
#[unsafe(no_mangle)]
pub extern "C" fn life_generation() -> f64 {
    with(|p| Ok(p.generation as f64)).unwrap_or(0.0)
}

/// Live cells.
#[unsafe(no_mangle)]
pub extern "C" fn life_population() -> u32 {
    with(|p| Ok(p.grid.population() as u32)).unwrap_or(0)
}

/// Pointer to the cells (`w × h` bytes, 1 = live), valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn life_cells_ptr() -> *const u8 {
    with(|p| Ok(p.grid.cells().as_ptr())).unwrap_or(std::ptr::null())
}

/// Stores the built-in pattern names, comma-separated, as the text result.
#[unsafe(no_mangle)]
pub extern "C" fn life_pattern_names() -> i32 {
    set_text(pattern_names().join(","));
    0
}
