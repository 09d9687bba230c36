//! Conversion between the API's channel-major layout (`[C, H, W]` per batch item) and the
//! internal cell-major one (`[H, W, C]`, a cell's channels contiguous).

/// `[C, HW]` → `[HW, C]`.
#[inline(always)]
pub(crate) fn to_cell_major(src: &[f32], c: usize, hw: usize) -> Vec<f32> {
    transpose(src, c, hw)
}

/// `[rows, cols]` → `[cols, rows]` (row-major both).
#[inline(always)]
pub(crate) fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows * cols];
    for (r, row) in x.chunks_exact(cols).enumerate().take(rows) {
        for (col, &v) in row.iter().enumerate() {
            out[col * rows + r] = v;
        }
    }
    out
}

/// `[HW, C]` → `[C, HW]`, written into `dst`.
#[inline(always)]
pub(crate) fn to_channel_major(src: &[f32], c: usize, hw: usize, dst: &mut [f32]) {
    for (ch, plane) in dst.chunks_exact_mut(hw).enumerate().take(c) {
        for (cell, v) in plane.iter_mut().enumerate() {
            *v = src[cell * c + ch];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let cm = to_cell_major(&x, 3, 8);
        assert_eq!(cm[1], 8.0); // cell 0, channel 1
        let mut back = vec![0.0; 24];
        to_channel_major(&cm, 3, 8, &mut back);
        assert_eq!(back, x);
    }
}
