//! Contact sheets: many frames laid out in rows and columns on one frame.

use crate::error::VizError;
use crate::frame::{Frame, check_size};

/// The size of a contact sheet of `n` cells of `cell_w × cell_h` pixels in `cols` columns with
/// `gap` pixels between cells and around the border; `cols` is capped at `n`.
///
/// Width is `cols·cell_w + (cols + 1)·gap`, height is `rows·cell_h + (rows + 1)·gap` with
/// `rows = ceil(n / cols)`.
pub fn grid_size(
    n: usize,
    cols: usize,
    cell_w: usize,
    cell_h: usize,
    gap: usize,
) -> Result<(usize, usize), VizError> {
    if n == 0 {
        return Err(VizError::NoFrames);
    }
    if cols == 0 {
        return Err(VizError::ZeroColumns);
    }
    let cols = cols.min(n);
    let rows = n.div_ceil(cols);
    let side = |count: usize, cell: usize| {
        count
            .checked_mul(cell)
            .and_then(|a| (count + 1).checked_mul(gap).and_then(|b| a.checked_add(b)))
            .unwrap_or(usize::MAX)
    };
    let (w, h) = (side(cols, cell_w), side(rows, cell_h));
    check_size(w, h)?;
    Ok((w, h))
}

/// Lays `frames` out in rows of `cols` on a `background` frame, `gap_px` apart and from the
/// border. Every cell is as large as the largest frame; smaller frames sit centred in their cell.
/// See [`grid_size`] for the resulting size.
pub fn grid(
    frames: &[Frame],
    cols: usize,
    gap_px: usize,
    background: [u8; 3],
) -> Result<Frame, VizError> {
    let cell_w = frames.iter().map(Frame::width).max().unwrap_or(0);
    let cell_h = frames.iter().map(Frame::height).max().unwrap_or(0);
    let (w, h) = grid_size(frames.len(), cols, cell_w, cell_h, gap_px)?;
    let cols = cols.min(frames.len());
    let mut sheet = Frame::new(w, h, background)?;
    for (i, f) in frames.iter().enumerate() {
        let (c, r) = (i % cols, i / cols);
        let x = gap_px + c * (cell_w + gap_px) + (cell_w - f.width()) / 2;
        let y = gap_px + r * (cell_h + gap_px) + (cell_h - f.height()) / 2;
        sheet.blit(f, x, y);
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_maths() {
        assert_eq!(
            grid_size(5, 3, 10, 8, 2).unwrap(),
            (3 * 10 + 4 * 2, 2 * 8 + 3 * 2)
        );
        assert_eq!(
            grid_size(2, 10, 10, 8, 0).unwrap(),
            (20, 8),
            "cols capped at n"
        );
        assert_eq!(grid_size(4, 1, 5, 5, 1).unwrap(), (7, 4 * 5 + 5));
        assert!(matches!(grid_size(0, 3, 1, 1, 0), Err(VizError::NoFrames)));
        assert!(matches!(
            grid_size(3, 0, 1, 1, 0),
            Err(VizError::ZeroColumns)
        ));
        assert!(matches!(
            grid_size(3, 3, usize::MAX, 1, 0),
            Err(VizError::BadSize { .. })
        ));
    }

    #[test]
    fn frames_land_in_their_cells() {
        let red = Frame::new(2, 2, [255, 0, 0]).unwrap();
        let blue = Frame::new(2, 2, [0, 0, 255]).unwrap();
        let small = Frame::new(1, 1, [0, 255, 0]).unwrap();
        let sheet = grid(&[red, blue, small], 2, 1, [0, 0, 0]).unwrap();
        assert_eq!((sheet.width(), sheet.height()), (7, 7));
        assert_eq!(sheet.pixel(0, 0), Some([0, 0, 0, 255]), "border gap");
        assert_eq!(sheet.pixel(1, 1), Some([255, 0, 0, 255]));
        assert_eq!(sheet.pixel(3, 1), Some([0, 0, 0, 255]), "gap between cells");
        assert_eq!(sheet.pixel(4, 2), Some([0, 0, 255, 255]));
        // The 1x1 frame is centred (offset 0 in a 2x2 cell, by integer division) in row 2.
        assert_eq!(sheet.pixel(1, 4), Some([0, 255, 0, 255]));
        assert_eq!(
            sheet.pixel(4, 4),
            Some([0, 0, 0, 255]),
            "empty cell keeps background"
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(grid(&[], 2, 0, [0; 3]), Err(VizError::NoFrames)));
        let f = Frame::new(1, 1, [0; 3]).unwrap();
        assert!(matches!(
            grid(&[f], 0, 0, [0; 3]),
            Err(VizError::ZeroColumns)
        ));
    }
}
