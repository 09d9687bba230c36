//! Class colours for the self-classifying MNIST family (and any other categorical data), and
//! class maps built from them.

use crate::error::VizError;
use crate::frame::{Frame, WHITE};

/// Matplotlib's "tab10" palette: ten distinct colours, one per digit class.
pub const TAB10: [[u8; 3]; 10] = [
    [0x1f, 0x77, 0xb4], // blue
    [0xff, 0x7f, 0x0e], // orange
    [0x2c, 0xa0, 0x2c], // green
    [0xd6, 0x27, 0x28], // red
    [0x94, 0x67, 0xbd], // purple
    [0x8c, 0x56, 0x4b], // brown
    [0xe3, 0x77, 0xc2], // pink
    [0x7f, 0x7f, 0x7f], // grey
    [0xbc, 0xbd, 0x22], // olive
    [0x17, 0xbe, 0xcf], // cyan
];

/// The colour of class `k`: `TAB10[k]` for the ten digit classes, cycling for larger `k`.
pub fn class_color(k: usize) -> [u8; 3] {
    TAB10[k % TAB10.len()]
}

/// A frame from a row-major per-pixel class map: `Some(k)` is drawn in [`class_color`]`(k)`,
/// `None` (e.g. a dead or background cell) in white.
pub fn class_map(
    width: usize,
    height: usize,
    classes: &[Option<usize>],
) -> Result<Frame, VizError> {
    let n = crate::frame::check_size(width, height)?;
    if classes.len() != n {
        return Err(VizError::BufferLength {
            what: "class map",
            width,
            height,
            expected: n,
            got: classes.len(),
        });
    }
    Frame::from_fn(width, height, |x, y| {
        let [r, g, b] = classes[y * width + x].map_or(WHITE, class_color);
        [r, g, b, 255]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_colours_that_cycle() {
        let mut seen: Vec<[u8; 3]> = (0..10).map(class_color).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10);
        assert_eq!(class_color(0), [0x1f, 0x77, 0xb4]);
        assert_eq!(class_color(13), class_color(3));
        assert_eq!(class_color(usize::MAX), TAB10[usize::MAX % 10]);
    }

    #[test]
    fn class_map_colours_pixels() {
        let f = class_map(3, 1, &[Some(1), None, Some(9)]).unwrap();
        let [r, g, b] = TAB10[1];
        assert_eq!(f.pixel(0, 0), Some([r, g, b, 255]));
        assert_eq!(f.pixel(1, 0), Some([255, 255, 255, 255]));
        assert!(matches!(
            class_map(2, 2, &[None]),
            Err(VizError::BufferLength { .. })
        ));
        assert!(matches!(
            class_map(0, 2, &[]),
            Err(VizError::BadSize { .. })
        ));
    }
}
