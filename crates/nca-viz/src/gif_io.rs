//! Animated GIF output: encode a sequence of equal-sized [`Frame`]s in memory and save it
//! atomically.
//!
//! When all frames together use at most 256 colours (binary grids, class maps, annotated
//! low-colour frames) they share one exact global palette, so the GIF is lossless. Otherwise each
//! frame gets its own palette: exact when that frame has at most 256 colours, NeuQuant-quantised
//! when it has more. GIF has no partial transparency, so translucent pixels are composited onto
//! white first.

use std::collections::HashMap;
use std::path::Path;

use crate::error::VizError;
use crate::frame::Frame;

/// NeuQuant speed for frames with more than 256 colours (1 = best, 30 = fastest).
const QUANT_SPEED: i32 = 10;

fn gif_err(e: gif::EncodingError) -> VizError {
    VizError::Encode {
        format: "GIF",
        message: crate::error::one_line(&e.to_string()),
    }
}

/// Checks the frame list: non-empty and all frames of the size of the first.
pub fn check_same_size(frames: &[Frame]) -> Result<(usize, usize), VizError> {
    let first = frames.first().ok_or(VizError::NoFrames)?;
    let (fw, fh) = (first.width(), first.height());
    for (index, f) in frames.iter().enumerate() {
        if (f.width(), f.height()) != (fw, fh) {
            return Err(VizError::FrameSizeMismatch {
                index,
                width: f.width(),
                height: f.height(),
                first_width: fw,
                first_height: fh,
            });
        }
    }
    Ok((fw, fh))
}

/// The GIF frame delay in hundredths of a second for a frame rate; errors outside 0.01..=100 fps.
pub fn delay_centis(fps: f64) -> Result<u16, VizError> {
    if !fps.is_finite() || !(0.01..=100.0).contains(&fps) {
        return Err(VizError::BadFps(fps));
    }
    Ok((100.0 / fps).round().clamp(1.0, f64::from(u16::MAX)) as u16)
}

/// An exact palette: the RGB bytes and each colour's index in it.
type Palette = (Vec<u8>, HashMap<[u8; 3], u8>);

/// One exact palette for all frames if they use at most 256 colours together.
fn shared_palette(rgb_frames: &[Vec<u8>]) -> Option<Palette> {
    let mut index: HashMap<[u8; 3], u8> = HashMap::new();
    let mut palette = Vec::new();
    for rgb in rgb_frames {
        for p in rgb.chunks_exact(3) {
            let c = [p[0], p[1], p[2]];
            if !index.contains_key(&c) {
                let i = u8::try_from(index.len()).ok()?;
                index.insert(c, i);
                palette.extend_from_slice(&c);
            }
        }
    }
    Some((palette, index))
}

/// Encodes `frames` (all the same size) as an animated GIF at `fps` frames per second, looping
/// forever when `loop_forever` is true and playing once otherwise.
pub fn encode_gif(frames: &[Frame], fps: f64, loop_forever: bool) -> Result<Vec<u8>, VizError> {
    let (w, h) = check_same_size(frames)?;
    let delay = delay_centis(fps)?;
    // Frame sides are at most MAX_SIDE = 16384, within u16.
    let (w16, h16) = (w as u16, h as u16);
    let rgb_frames: Vec<Vec<u8>> = frames.iter().map(Frame::to_rgb_on_white).collect();
    let shared = shared_palette(&rgb_frames);
    let global: &[u8] = shared.as_ref().map_or(&[], |(p, _)| p.as_slice());
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w16, h16, global).map_err(gif_err)?;
        let repeat = if loop_forever {
            gif::Repeat::Infinite
        } else {
            gif::Repeat::Finite(0)
        };
        enc.set_repeat(repeat).map_err(gif_err)?;
        for rgb in &rgb_frames {
            let mut frame = match &shared {
                Some((_, index)) => {
                    let pixels: Vec<u8> = rgb
                        .chunks_exact(3)
                        .map(|p| index.get(&[p[0], p[1], p[2]]).copied().unwrap_or(0))
                        .collect();
                    gif::Frame::from_indexed_pixels(w16, h16, pixels, None)
                }
                None => gif::Frame::from_rgb_speed(w16, h16, rgb, QUANT_SPEED),
            };
            frame.delay = delay;
            enc.write_frame(&frame).map_err(gif_err)?;
        }
        enc.into_inner().map_err(gif_err)?;
    }
    Ok(out)
}

/// Encodes `frames` as an animated GIF (see [`encode_gif`]) and writes it atomically to `path`;
/// an existing file is replaced only when `overwrite` is true.
pub fn save_gif(
    frames: &[Frame],
    fps: f64,
    loop_forever: bool,
    path: &Path,
    overwrite: bool,
) -> Result<(), VizError> {
    let bytes = encode_gif(frames, fps, loop_forever)?;
    nca_data::write_atomic(path, &bytes, overwrite)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a GIF into its frames as RGBA and their delays.
    fn decode(bytes: &[u8]) -> (usize, usize, Vec<(Vec<u8>, u16)>) {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        let mut dec = opts.read_info(std::io::Cursor::new(bytes)).unwrap();
        let (w, h) = (dec.width() as usize, dec.height() as usize);
        let mut frames = Vec::new();
        while let Some(f) = dec.read_next_frame().unwrap() {
            frames.push((f.buffer.to_vec(), f.delay));
        }
        (w, h, frames)
    }

    #[test]
    fn binary_frames_are_exact() {
        let frames: Vec<Frame> = (0..5)
            .map(|t| Frame::from_binary(4, 3, &[(t % 2) as u8; 12]).unwrap())
            .collect();
        let (w, h, decoded) = decode(&encode_gif(&frames, 10.0, true).unwrap());
        assert_eq!((w, h), (4, 3));
        assert_eq!(decoded.len(), 5);
        for (f, (px, delay)) in frames.iter().zip(&decoded) {
            assert_eq!(px, f.rgba());
            assert_eq!(*delay, 10);
        }
    }

    #[test]
    fn many_colours_are_quantised() {
        let frames: Vec<Frame> = (0..3)
            .map(|t| Frame::from_fn(32, 32, |x, y| [(x * 8) as u8, (y * 8) as u8, t * 50, 255]))
            .collect::<Result<_, _>>()
            .unwrap();
        let (_, _, decoded) = decode(&encode_gif(&frames, 25.0, false).unwrap());
        assert_eq!(decoded.len(), 3);
        // Quantised, so close but not necessarily equal.
        let err: u64 = decoded[0]
            .0
            .iter()
            .zip(frames[0].rgba())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        assert!(err / (32 * 32 * 4) < 16, "mean error {}", err / 4096);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            encode_gif(&[], 10.0, true),
            Err(VizError::NoFrames)
        ));
        let a = Frame::new(2, 2, [0; 3]).unwrap();
        let b = Frame::new(3, 2, [0; 3]).unwrap();
        let e = encode_gif(&[a.clone(), a.clone(), b], 10.0, true).unwrap_err();
        assert!(matches!(e, VizError::FrameSizeMismatch { index: 2, .. }));
        assert_eq!(e.to_string(), "frame 2 is 3x2 but frame 0 is 2x2");
        for fps in [0.0, -1.0, f64::NAN, f64::INFINITY, 1000.0] {
            assert!(matches!(
                encode_gif(std::slice::from_ref(&a), fps, true),
                Err(VizError::BadFps(_))
            ));
        }
    }

    #[test]
    fn delays() {
        assert_eq!(delay_centis(10.0).unwrap(), 10);
        assert_eq!(delay_centis(100.0).unwrap(), 1);
        assert_eq!(delay_centis(0.5).unwrap(), 200);
        assert_eq!(delay_centis(30.0).unwrap(), 3);
    }

    #[test]
    fn save_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("nca-viz-gif-{}", std::process::id()));
        let path = dir.join("a.gif");
        let f = Frame::new(2, 2, [0; 3]).unwrap();
        save_gif(std::slice::from_ref(&f), 5.0, true, &path, false).unwrap();
        let e = save_gif(&[f.clone(), f.clone()], 5.0, true, &path, false).unwrap_err();
        assert!(matches!(e, VizError::Write(_)));
        assert_eq!(decode(&std::fs::read(&path).unwrap()).2.len(), 1);
        save_gif(&[f.clone(), f], 5.0, true, &path, true).unwrap();
        assert_eq!(decode(&std::fs::read(&path).unwrap()).2.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
