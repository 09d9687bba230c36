//! The elementary-CA panel's engine: one row under a Wolfram rule, stepped on demand; the page
//! draws the rows it reads as a growing space-time diagram.

use nca_life::eca::{Eca, EcaBoundary, EcaRule};

use crate::status;

struct Panel {
    row: Eca,
    spare: Eca,
    rule: EcaRule,
    boundary: EcaBoundary,
    steps: u64,
}

panel_slot!(Panel, "eca: no row (call eca_new first)");

/// A new row of `width` cells under rule `rule` (0–255): one live cell in the middle when
/// `density` is 0, otherwise random cells live with that probability from `seed`. `fixed` is
/// `-1` for a ring, `0` or `1` for that constant beyond the ends.
#[unsafe(no_mangle)]
pub extern "C" fn eca_new(rule: u32, width: u32, density: f64, seed: u32, fixed: i32) -> i32 {
    status((|| -> Result<(), String> {
        let rule = EcaRule(u8::try_from(rule).map_err(|_| "rule must be 0..=255".to_string())?);
        let boundary = match fixed {
            -1 => EcaBoundary::Wrap,
            0 | 1 => EcaBoundary::Fixed(fixed as u8),
            _ => return crate::err("boundary must be -1 (wrap), 0 or 1"),
        };
        let width = width as usize;
        let row = if density == 0.0 {
            Eca::single(width)
        } else {
            Eca::random(width, density, u64::from(seed))
        }
        .map_err(|e| e.to_string())?;
        let spare = row.clone();
        install(Panel {
            row,
            spare,
            rule,
            boundary,
            steps: 0,
        });
        Ok(())
    })())
}

/// Advances `n` steps.
#[unsafe(no_mangle)]
pub extern "C" fn eca_step(n: u32) -> i32 {
    status(with(|p| {
        for _ in 0..n {
            p.row.step_into(&p.rule, p.boundary, &mut p.spare);
            std::mem::swap(&mut p.row, &mut p.spare);
        }
        p.steps += u64::from(n);
        Ok(())
    }))
}

/// Steps since the row was made.
#[unsafe(no_mangle)]
pub extern "C" fn eca_steps() -> f64 {
    with(|p| Ok(p.steps as f64)).unwrap_or(0.0)
}

/// Pointer to the row's cells (one byte each, 1 live, 0 dead), valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn eca_cells_ptr() -> *const u8 {
    with(|p| Ok(p.row.cells().as_ptr())).unwrap_or(std::ptr::null())
}

/// Width of the row.
#[unsafe(no_mangle)]
pub extern "C" fn eca_width() -> usize {
    with(|p| Ok(p.row.width())).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_90_through_the_exports_is_pascal_mod_2() {
        assert_eq!(eca_new(90, 33, 0.0, 0, 0), 0);
        assert_eq!(eca_step(4), 0);
        assert_eq!(eca_steps(), 4.0);
        // SAFETY: pointer and length from the exports, read before the next call.
        let row = unsafe { std::slice::from_raw_parts(eca_cells_ptr(), eca_width()) };
        // Row 4 of Pascal's triangle mod 2 is 1 0 0 0 1, spread over every other cell.
        let live: Vec<usize> = (0..33).filter(|&i| row[i] == 1).collect();
        assert_eq!(live, vec![12, 20]);
        assert_eq!(eca_new(256, 33, 0.0, 0, 0), 1);
        assert_eq!(eca_new(30, 33, 0.0, 0, 2), 1);
        assert_eq!(eca_new(30, 0, 0.0, 0, -1), 1);
        assert_eq!(eca_new(30, 64, 0.5, 7, -1), 0);
    }
}
