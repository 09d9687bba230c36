//! [`Frame`]: an RGBA8 image in memory, and the ways to build one from model states, grey-scale
//! values and binary cell grids.

use crate::error::VizError;

/// The largest width or height of a frame, in pixels.
pub const MAX_SIDE: usize = 16_384;
/// The largest number of pixels in one frame (256 MiB of RGBA).
pub const MAX_PIXELS: usize = 64 * 1024 * 1024;

/// Colour of a live cell in [`Frame::from_binary`]: a dark slate blue.
pub const LIVE_COLOR: [u8; 3] = [0x1f, 0x2a, 0x44];
/// White, the background of rendered states and dead cells.
pub const WHITE: [u8; 3] = [255, 255, 255];

/// An image in memory: `width × height` pixels, row-major, four bytes (R, G, B, A) each.
///
/// The fields are private so that the buffer length always matches the size; every
/// constructor checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

/// Checks that a frame size is within `1..=MAX_SIDE` per side and `MAX_PIXELS` in all.
pub fn check_size(width: usize, height: usize) -> Result<usize, VizError> {
    let ok = (1..=MAX_SIDE).contains(&width)
        && (1..=MAX_SIDE).contains(&height)
        && width * height <= MAX_PIXELS;
    if ok {
        Ok(width * height)
    } else {
        Err(VizError::BadSize { width, height })
    }
}

/// Maps a value in `0..=1` to a byte; NaN counts as 0 and values outside are clamped.
fn unit_to_byte(v: f32) -> u8 {
    if v.is_nan() {
        return 0;
    }
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

fn check_len(
    what: &'static str,
    width: usize,
    height: usize,
    expected: usize,
    got: usize,
) -> Result<(), VizError> {
    if expected == got {
        Ok(())
    } else {
        Err(VizError::BufferLength {
            what,
            width,
            height,
            expected,
            got,
        })
    }
}

impl Frame {
    /// A frame of one opaque colour.
    pub fn new(width: usize, height: usize, color: [u8; 3]) -> Result<Frame, VizError> {
        let n = check_size(width, height)?;
        let mut rgba = Vec::with_capacity(n * 4);
        for _ in 0..n {
            rgba.extend_from_slice(&[color[0], color[1], color[2], 255]);
        }
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    /// A frame from a row-major RGBA8 buffer of exactly `4 × width × height` bytes.
    pub fn from_rgba(width: usize, height: usize, rgba: Vec<u8>) -> Result<Frame, VizError> {
        let n = check_size(width, height)?;
        check_len("RGBA buffer", width, height, n * 4, rgba.len())?;
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    /// A frame whose pixel `(x, y)` is `f(x, y)` as RGBA.
    pub fn from_fn(
        width: usize,
        height: usize,
        mut f: impl FnMut(usize, usize) -> [u8; 4],
    ) -> Result<Frame, VizError> {
        let n = check_size(width, height)?;
        let mut rgba = Vec::with_capacity(n * 4);
        for y in 0..height {
            for x in 0..width {
                rgba.extend_from_slice(&f(x, y));
            }
        }
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    /// Renders a model state laid out channels-first (`C × height × width`, `C ≥ 4`; only the
    /// first four channels, RGBA, are used) onto a white background.
    ///
    /// With `premultiplied` (the convention of Growing NCA) the colour is `1 - a + rgb`; otherwise
    /// it is `1 - a + a·rgb`. Alpha is clamped to `0..=1` first, the result is clamped to `0..=1`
    /// and NaN counts as 0. The frame is opaque.
    pub fn from_rgba_f32_chw(
        width: usize,
        height: usize,
        data: &[f32],
        premultiplied: bool,
    ) -> Result<Frame, VizError> {
        let n = check_size(width, height)?;
        if data.len() < 4 * n || !data.len().is_multiple_of(n) {
            return Err(VizError::BufferLength {
                what: "channels-first state (at least 4 channels)",
                width,
                height,
                expected: 4 * n,
                got: data.len(),
            });
        }
        let (r, rest) = data.split_at(n);
        let (g, rest) = rest.split_at(n);
        let (b, rest) = rest.split_at(n);
        let a = &rest[..n];
        let mut rgba = Vec::with_capacity(n * 4);
        for i in 0..n {
            let alpha = if a[i].is_nan() {
                0.0
            } else {
                a[i].clamp(0.0, 1.0)
            };
            let compose = |c: f32| {
                let c = if c.is_nan() { 0.0 } else { c };
                let c = if premultiplied { c } else { alpha * c };
                unit_to_byte(1.0 - alpha + c)
            };
            rgba.extend_from_slice(&[compose(r[i]), compose(g[i]), compose(b[i]), 255]);
        }
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    /// A grey-scale frame from row-major values: 0 is black, 1 is white (clamped; NaN is black).
    pub fn from_gray(width: usize, height: usize, values: &[f32]) -> Result<Frame, VizError> {
        Frame::map_pixels(width, height, "grey-scale buffer", values, |v| {
            let g = unit_to_byte(v);
            [g, g, g, 255]
        })
    }

    /// A frame from a row-major grid of cells: non-zero cells are live and drawn in
    /// [`LIVE_COLOR`], zero cells are white.
    pub fn from_binary(width: usize, height: usize, cells: &[u8]) -> Result<Frame, VizError> {
        Frame::from_binary_colored(width, height, cells, LIVE_COLOR, WHITE)
    }

    /// Like [`Frame::from_binary`] with chosen colours for live and dead cells.
    pub fn from_binary_colored(
        width: usize,
        height: usize,
        cells: &[u8],
        live: [u8; 3],
        dead: [u8; 3],
    ) -> Result<Frame, VizError> {
        Frame::map_pixels(width, height, "cell buffer", cells, |c| {
            let [r, g, b] = if c != 0 { live } else { dead };
            [r, g, b, 255]
        })
    }

    /// A frame whose pixel `i` is `pixel(values[i])`, once the size and that `values` holds one
    /// value per pixel are checked (`what` names the buffer in the error).
    fn map_pixels<T: Copy>(
        width: usize,
        height: usize,
        what: &'static str,
        values: &[T],
        pixel: impl Fn(T) -> [u8; 4],
    ) -> Result<Frame, VizError> {
        let n = check_size(width, height)?;
        check_len(what, width, height, n, values.len())?;
        Ok(Frame {
            width,
            height,
            rgba: values.iter().flat_map(|&v| pixel(v)).collect(),
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The row-major RGBA8 pixels.
    pub fn rgba(&self) -> &[u8] {
        &self.rgba
    }

    /// Gives up the frame and returns its RGBA8 pixels.
    pub fn into_rgba(self) -> Vec<u8> {
        self.rgba
    }

    /// The RGBA value of pixel `(x, y)`, or `None` outside the frame.
    pub fn pixel(&self, x: usize, y: usize) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y * self.width + x) * 4;
        Some([
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ])
    }

    /// Sets pixel `(x, y)` to an opaque colour; coordinates outside the frame are ignored.
    pub fn set_pixel(&mut self, x: i64, y: i64, color: [u8; 3]) {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return;
        }
        let i = (y as usize * self.width + x as usize) * 4;
        self.rgba[i..i + 4].copy_from_slice(&[color[0], color[1], color[2], 255]);
    }

    /// Fills the rectangle with top-left `(x, y)` and size `w × h`, clipped to the frame.
    pub fn fill_rect(&mut self, x: i64, y: i64, w: usize, h: usize, color: [u8; 3]) {
        let x0 = x.max(0) as usize;
        let y0 = y.max(0) as usize;
        let wide = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        let x1 = x.saturating_add(wide(w)).clamp(0, self.width as i64) as usize;
        let y1 = y.saturating_add(wide(h)).clamp(0, self.height as i64) as usize;
        for yy in y0..y1 {
            for xx in x0..x1 {
                let i = (yy * self.width + xx) * 4;
                self.rgba[i..i + 4].copy_from_slice(&[color[0], color[1], color[2], 255]);
            }
        }
    }

    /// Copies `src` into this frame with its top-left corner at `(x, y)`, clipped to the frame.
    pub fn blit(&mut self, src: &Frame, x: usize, y: usize) {
        if x >= self.width || y >= self.height {
            return;
        }
        let w = src.width.min(self.width - x);
        let h = src.height.min(self.height - y);
        for row in 0..h {
            let s = row * src.width * 4;
            let d = ((y + row) * self.width + x) * 4;
            self.rgba[d..d + w * 4].copy_from_slice(&src.rgba[s..s + w * 4]);
        }
    }

    /// Nearest-neighbour upscaling: every pixel becomes a `zoom × zoom` block.
    pub fn upscale(&self, zoom: usize) -> Result<Frame, VizError> {
        if zoom == 0 {
            return Err(VizError::ZeroZoom);
        }
        let (width, height) = (
            self.width.saturating_mul(zoom),
            self.height.saturating_mul(zoom),
        );
        check_size(width, height)?;
        let mut rgba = Vec::with_capacity(width * height * 4);
        for y in 0..self.height {
            let src = &self.rgba[y * self.width * 4..(y + 1) * self.width * 4];
            let start = rgba.len();
            for px in src.chunks_exact(4) {
                for _ in 0..zoom {
                    rgba.extend_from_slice(px);
                }
            }
            for _ in 1..zoom {
                rgba.extend_from_within(start..start + width * 4);
            }
        }
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    /// True when every pixel is fully opaque.
    pub fn is_opaque(&self) -> bool {
        self.rgba.chunks_exact(4).all(|p| p[3] == 255)
    }

    /// The pixels as RGB8, composited onto white where they are not opaque.
    pub fn to_rgb_on_white(&self) -> Vec<u8> {
        self.rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u32::from(p[3]);
                let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
                [over(p[0]), over(p[1]), over(p[2])]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_fills_and_checks_size() {
        let f = Frame::new(3, 2, [1, 2, 3]).unwrap();
        assert_eq!(f.rgba().len(), 24);
        assert_eq!(f.pixel(2, 1), Some([1, 2, 3, 255]));
        assert_eq!(f.pixel(3, 0), None);
        assert!(matches!(
            Frame::new(0, 2, WHITE),
            Err(VizError::BadSize { .. })
        ));
        assert!(Frame::new(MAX_SIDE + 1, 1, WHITE).is_err());
        assert!(
            Frame::new(MAX_SIDE, MAX_SIDE, WHITE).is_err(),
            "too many pixels"
        );
    }

    #[test]
    fn from_rgba_checks_length() {
        assert!(Frame::from_rgba(2, 2, vec![0; 16]).is_ok());
        let e = Frame::from_rgba(2, 2, vec![0; 15]).unwrap_err();
        assert!(matches!(
            e,
            VizError::BufferLength {
                expected: 16,
                got: 15,
                ..
            }
        ));
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn premultiplied_state_renders_on_white() {
        // Two pixels: transparent (-> white) and opaque red (-> red). Extra channels are ignored.
        let (w, h) = (2, 1);
        #[rustfmt::skip]
        let chw = [
            0.0, 1.0, // r
            0.0, 0.0, // g
            0.0, 0.0, // b
            0.0, 1.0, // a
            9.0, 9.0, // hidden channel
        ];
        let f = Frame::from_rgba_f32_chw(w, h, &chw, true).unwrap();
        assert_eq!(f.pixel(0, 0), Some([255, 255, 255, 255]));
        assert_eq!(f.pixel(1, 0), Some([255, 0, 0, 255]));
        // Half-transparent, premultiplied 0.25 red: 1 - 0.5 + 0.25 = 0.75; others 0.5.
        let f = Frame::from_rgba_f32_chw(1, 1, &[0.25, 0.0, 0.0, 0.5], true).unwrap();
        assert_eq!(f.pixel(0, 0), Some([191, 128, 128, 255]));
        // Straight alpha: 1 - 0.5 + 0.5 * 0.5 = 0.75.
        let f = Frame::from_rgba_f32_chw(1, 1, &[0.5, 0.0, 0.0, 0.5], false).unwrap();
        assert_eq!(f.pixel(0, 0), Some([191, 128, 128, 255]));
        // Out-of-range and NaN values are clamped, never a panic.
        let f = Frame::from_rgba_f32_chw(1, 1, &[f32::NAN, 5.0, -3.0, 7.0], true).unwrap();
        assert_eq!(f.pixel(0, 0), Some([0, 255, 0, 255]));
    }

    #[test]
    fn state_with_wrong_length_is_an_error() {
        assert!(Frame::from_rgba_f32_chw(2, 2, &[0.0; 12], true).is_err());
        assert!(Frame::from_rgba_f32_chw(2, 2, &[0.0; 17], true).is_err());
        assert!(Frame::from_rgba_f32_chw(0, 2, &[], true).is_err());
    }

    #[test]
    fn gray_and_binary() {
        let f = Frame::from_gray(3, 1, &[0.0, 0.5, 2.0]).unwrap();
        assert_eq!(f.pixel(0, 0), Some([0, 0, 0, 255]));
        assert_eq!(f.pixel(1, 0), Some([128, 128, 128, 255]));
        assert_eq!(f.pixel(2, 0), Some([255, 255, 255, 255]));
        assert!(Frame::from_gray(3, 1, &[0.0]).is_err());

        let f = Frame::from_binary(2, 1, &[1, 0]).unwrap();
        let [r, g, b] = LIVE_COLOR;
        assert_eq!(f.pixel(0, 0), Some([r, g, b, 255]));
        assert_eq!(f.pixel(1, 0), Some([255, 255, 255, 255]));
        assert!(Frame::from_binary(2, 2, &[1, 0]).is_err());
    }

    #[test]
    fn upscale_repeats_pixels() {
        let f = Frame::from_binary(2, 1, &[1, 0]).unwrap();
        let z = f.upscale(3).unwrap();
        assert_eq!((z.width(), z.height()), (6, 3));
        for y in 0..3 {
            for x in 0..6 {
                assert_eq!(z.pixel(x, y), f.pixel(x / 3, 0));
            }
        }
        assert_eq!(f.upscale(1).unwrap(), f);
        assert!(matches!(f.upscale(0), Err(VizError::ZeroZoom)));
        assert!(matches!(
            f.upscale(usize::MAX),
            Err(VizError::BadSize { .. })
        ));
    }

    #[test]
    fn drawing_is_clipped() {
        let mut f = Frame::new(4, 4, WHITE).unwrap();
        f.fill_rect(-2, -2, 3, 3, [0, 0, 0]);
        assert_eq!(f.pixel(0, 0), Some([0, 0, 0, 255]));
        assert_eq!(f.pixel(1, 1), Some([255, 255, 255, 255]));
        f.fill_rect(3, 3, usize::MAX, usize::MAX, [1, 1, 1]);
        assert_eq!(f.pixel(3, 3), Some([1, 1, 1, 255]));
        f.set_pixel(-1, 0, [9, 9, 9]);
        f.set_pixel(4, 0, [9, 9, 9]);
        f.set_pixel(1, 0, [9, 9, 9]);
        assert_eq!(f.pixel(1, 0), Some([9, 9, 9, 255]));
        let src = Frame::new(3, 3, [7, 7, 7]).unwrap();
        f.blit(&src, 2, 2);
        f.blit(&src, 10, 10);
        assert_eq!(f.pixel(3, 2), Some([7, 7, 7, 255]));
        assert_eq!(f.pixel(1, 2), Some([255, 255, 255, 255]));
    }

    #[test]
    fn compositing_on_white() {
        let f = Frame::from_rgba(2, 1, vec![0, 0, 0, 0, 10, 20, 30, 255]).unwrap();
        assert!(!f.is_opaque());
        assert_eq!(f.to_rgb_on_white(), vec![255, 255, 255, 10, 20, 30]);
        assert_eq!(f.clone().into_rgba().len(), 8);
    }
}
