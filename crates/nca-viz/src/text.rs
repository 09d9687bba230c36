//! A tiny built-in 5×7 bitmap font for annotating frames (stage numbers, tick counts, majority
//! votes) without any font files.
//!
//! It covers the space, digits, upper-case letters and common punctuation
//! (`. , : ; - + = / % ( ) # ! ? ' " _ < > * [ ] |`); lower-case letters are drawn as upper-case
//! and any other character as a hollow box. Each glyph takes 6×8 pixels (with spacing) at scale 1.

use crate::frame::Frame;

/// Width of a glyph in font pixels.
pub const GLYPH_W: usize = 5;
/// Height of a glyph in font pixels.
pub const GLYPH_H: usize = 7;
/// Horizontal distance between glyph origins in font pixels.
pub const ADVANCE: usize = GLYPH_W + 1;
/// Vertical distance between lines in font pixels.
pub const LINE_HEIGHT: usize = GLYPH_H + 1;

/// Larger scales are drawn at this scale (a glyph is then wider than any frame).
pub const MAX_SCALE: usize = crate::frame::MAX_SIDE;

/// Drawn for characters the font lacks.
const BOX: [u8; 7] = [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F];

/// The glyph of `c`: seven rows of five bits, most significant bit on the left.
pub fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        ';' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04],
        '?' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
        '\'' => [0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00],
        '"' => [0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '*' => [0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00],
        '[' => [0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E],
        ']' => [0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E],
        '|' => [0x04; 7],
        _ => BOX,
    }
}

/// The size in pixels, `(width, height)`, that [`draw_text`] covers for `text` at `scale`
/// (lines are separated by `'\n'`; the trailing spacing column is not counted).
pub fn text_size(text: &str, scale: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    let cols = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let w = if cols == 0 {
        0
    } else {
        (cols * ADVANCE - 1).saturating_mul(scale)
    };
    let h = (lines.len() * LINE_HEIGHT - 1).saturating_mul(scale);
    (w, h)
}

/// Draws `text` with its top-left corner at `(x, y)` in `color`, each font pixel a
/// `scale × scale` block. Pixels outside the frame are clipped; scale 0 draws nothing.
pub fn draw_text(frame: &mut Frame, x: i64, y: i64, text: &str, color: [u8; 3], scale: usize) {
    let scale = scale.min(MAX_SCALE);
    if scale == 0 {
        return;
    }
    let s = scale as i64;
    for (row, line) in text.split('\n').enumerate() {
        let y0 = y.saturating_add(((row * LINE_HEIGHT) as i64).saturating_mul(s));
        for (col, c) in line.chars().enumerate() {
            let x0 = x.saturating_add(((col * ADVANCE) as i64).saturating_mul(s));
            if x0 >= frame.width() as i64 || y0 >= frame.height() as i64 {
                continue;
            }
            for (gy, bits) in glyph(c).iter().enumerate() {
                for gx in 0..GLYPH_W {
                    if bits & (0x10 >> gx) != 0 {
                        frame.fill_rect(
                            x0.saturating_add(gx as i64 * s),
                            y0.saturating_add(gy as i64 * s),
                            scale,
                            scale,
                            color,
                        );
                    }
                }
            }
        }
    }
}

/// Draws `text` like [`draw_text`] on a filled `background` box with a margin of one font pixel,
/// so that it stays readable on any image.
pub fn draw_label(
    frame: &mut Frame,
    x: i64,
    y: i64,
    text: &str,
    color: [u8; 3],
    background: [u8; 3],
    scale: usize,
) {
    let scale = scale.min(MAX_SCALE);
    if scale == 0 {
        return;
    }
    let (w, h) = text_size(text, scale);
    frame.fill_rect(
        x,
        y,
        w.saturating_add(2 * scale),
        h.saturating_add(2 * scale),
        background,
    );
    draw_text(
        frame,
        x.saturating_add(scale as i64),
        y.saturating_add(scale as i64),
        text,
        color,
        scale,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::WHITE;

    fn dark(f: &Frame) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for y in 0..f.height() {
            for x in 0..f.width() {
                if f.pixel(x, y) == Some([0, 0, 0, 255]) {
                    v.push((x, y));
                }
            }
        }
        v
    }

    #[test]
    fn glyphs_fit_in_five_columns() {
        for c in (' '..='~').chain(['é']) {
            assert!(glyph(c).iter().all(|r| *r < 0x20), "{c}");
        }
        assert_eq!(glyph('a'), glyph('A'));
        assert_eq!(glyph('€'), BOX);
        // Every digit is distinct and drawn.
        let mut digits: Vec<[u8; 7]> = ('0'..='9').map(glyph).collect();
        assert!(digits.iter().all(|g| g.iter().any(|r| *r != 0)));
        digits.sort();
        digits.dedup();
        assert_eq!(digits.len(), 10);
    }

    #[test]
    fn sizes() {
        assert_eq!(text_size("", 1), (0, 7));
        assert_eq!(text_size("1", 1), (5, 7));
        assert_eq!(text_size("12", 2), (22, 14));
        assert_eq!(text_size("12\n3", 1), (11, 15));
    }

    #[test]
    fn draws_a_one_at_scale() {
        let mut f = Frame::new(20, 20, WHITE).unwrap();
        draw_text(&mut f, 1, 2, "1", [0, 0, 0], 2);
        let px = dark(&f);
        // Every set font pixel becomes a 2x2 block.
        let set: u32 = glyph('1').iter().map(|r| r.count_ones()).sum();
        assert_eq!(px.len() as u32, set * 4);
        // Top of the stem: row 0 bit 0x04 = column 2 -> pixels x = 1 + 4..6, y = 2..4.
        assert!(px.contains(&(5, 2)) && px.contains(&(6, 3)));
        let (w, h) = text_size("1", 2);
        assert!(
            px.iter()
                .all(|&(x, y)| (1..1 + w).contains(&x) && (2..2 + h).contains(&y))
        );
    }

    #[test]
    fn clipping_and_scale_zero_never_panic() {
        let mut f = Frame::new(8, 8, WHITE).unwrap();
        draw_text(&mut f, -3, -3, "88\n88", [0, 0, 0], 1);
        draw_text(&mut f, 6, 6, "WIDE TEXT", [0, 0, 0], 3);
        draw_text(&mut f, i64::MAX, i64::MIN, "X", [0, 0, 0], usize::MAX);
        let before = f.clone();
        draw_text(&mut f, 0, 0, "1", [0, 0, 0], 0);
        draw_label(&mut f, 0, 0, "1", [0, 0, 0], [9, 9, 9], 0);
        assert_eq!(f, before);
    }

    #[test]
    fn label_has_background() {
        let mut f = Frame::new(12, 12, WHITE).unwrap();
        draw_label(&mut f, 0, 0, "7", [0, 0, 0], [200, 0, 0], 1);
        assert_eq!(f.pixel(0, 0), Some([200, 0, 0, 255]));
        assert_eq!(f.pixel(6, 8), Some([200, 0, 0, 255]));
        assert_eq!(f.pixel(7, 9), Some([255, 255, 255, 255]));
        assert_eq!(f.pixel(1, 1), Some([0, 0, 0, 255]), "top-left of the 7");
    }
}
