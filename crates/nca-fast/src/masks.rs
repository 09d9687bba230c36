//! Cell masks on one `H x W` grid (values 0/1 as `u8`): thresholding, 3x3 dilation (= max-pool
//! then threshold) and the list of active cells.

/// `out[cell] = state[cell * c + channel] > threshold` for an NHWC state with `c` channels.
#[inline(always)]
pub(crate) fn threshold(state: &[f32], c: usize, channel: usize, threshold: f32, out: &mut [u8]) {
    for (o, cell) in out.iter_mut().zip(state.chunks_exact(c)) {
        *o = u8::from(cell[channel] > threshold);
    }
}

/// 3x3 dilation over in-bounds neighbours: `dst[y, x] = OR of src over the 3x3 window`.
///
/// Thresholding a 3x3 max-pool equals dilating the thresholded grid, which is what this is used
/// for. `tmp` is scratch space.
#[inline(always)]
pub(crate) fn dilate(src: &[u8], h: usize, w: usize, tmp: &mut Vec<u8>, dst: &mut [u8]) {
    if w == 0 {
        return;
    }
    tmp.clear();
    tmp.resize(h * w, 0);
    // Horizontal pass: each cell ORs itself with its left and right neighbours.
    for (s, t) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        t.copy_from_slice(s);
        for (tv, &sv) in t[1..].iter_mut().zip(&s[..w - 1]) {
            *tv |= sv;
        }
        for (tv, &sv) in t[..w - 1].iter_mut().zip(&s[1..]) {
            *tv |= sv;
        }
    }
    // Vertical pass.
    for y in 0..h {
        let lo = y.saturating_sub(1);
        let hi = (y + 2).min(h);
        let d = &mut dst[y * w..(y + 1) * w];
        d.copy_from_slice(&tmp[lo * w..(lo + 1) * w]);
        for r in lo + 1..hi {
            for (dv, &tv) in d.iter_mut().zip(&tmp[r * w..(r + 1) * w]) {
                *dv |= tv;
            }
        }
    }
}

/// Indices of the cells where both `fire` and `need` are nonzero, appended to `out`.
#[inline(always)]
pub(crate) fn active_cells(fire: &[u8], need: &[u8], out: &mut Vec<u32>) {
    // Branch-free compaction: every index is written, the length advances only for active
    // cells (fire masks are random, so a branch here mispredicts on half of the cells).
    let n = fire.len().min(need.len());
    out.clear();
    out.resize(n, 0);
    let mut len = 0;
    for (i, (&f, &nd)) in fire[..n].iter().zip(&need[..n]).enumerate() {
        out[len] = i as u32;
        len += usize::from((f != 0) & (nd != 0));
    }
    out.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_cells_are_those_firing_and_needed_in_order() {
        let fire = [1, 0, 1, 1, 0, 1, 1, 0];
        let need = [1, 1, 0, 1, 0, 1, 1, 1];
        let mut out = vec![99; 3];
        active_cells(&fire, &need, &mut out);
        assert_eq!(out, vec![0, 3, 5, 6]);
        active_cells(&[], &[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn dilate_spreads_to_in_bounds_neighbours() {
        let (h, w) = (4, 5);
        let mut src = vec![0u8; h * w];
        src[0] = 1; // corner
        src[2 * w + 3] = 1;
        let mut dst = vec![0u8; h * w];
        dilate(&src, h, w, &mut Vec::new(), &mut dst);
        let expect = [
            [1, 1, 0, 0, 0],
            [1, 1, 1, 1, 1],
            [0, 0, 1, 1, 1],
            [0, 0, 1, 1, 1],
        ];
        for y in 0..h {
            for x in 0..w {
                assert_eq!(dst[y * w + x], expect[y][x], "({y},{x})");
            }
        }
    }
}
