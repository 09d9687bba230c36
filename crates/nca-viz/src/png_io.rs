//! PNG output: encode a [`Frame`] in memory and save it atomically.

use std::path::Path;

use crate::error::VizError;
use crate::frame::Frame;

fn png_err(e: png::EncodingError) -> VizError {
    VizError::Encode {
        format: "PNG",
        message: crate::error::one_line(&e.to_string()),
    }
}

/// Encodes a frame as an 8-bit PNG: RGB when every pixel is opaque, RGBA otherwise.
pub fn encode_png(frame: &Frame) -> Result<Vec<u8>, VizError> {
    let mut out = Vec::new();
    // Frame sizes are at most MAX_SIDE, far below u32::MAX.
    let (w, h) = (frame.width() as u32, frame.height() as u32);
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_depth(png::BitDepth::Eight);
    let opaque = frame.is_opaque();
    enc.set_color(if opaque {
        png::ColorType::Rgb
    } else {
        png::ColorType::Rgba
    });
    let mut writer = enc.write_header().map_err(png_err)?;
    if opaque {
        let rgb: Vec<u8> = frame
            .rgba()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        writer.write_image_data(&rgb).map_err(png_err)?;
    } else {
        writer.write_image_data(frame.rgba()).map_err(png_err)?;
    }
    writer.finish().map_err(png_err)?;
    Ok(out)
}

/// Encodes a frame as PNG and writes it atomically to `path`; an existing file is replaced only
/// when `overwrite` is true.
pub fn save_png(frame: &Frame, path: &Path, overwrite: bool) -> Result<(), VizError> {
    let bytes = encode_png(frame)?;
    nca_data::write_atomic(path, &bytes, overwrite)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes a PNG into (width, height, RGBA8 pixels).
    pub(crate) fn decode(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::ALPHA | png::Transformations::EXPAND);
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        assert_eq!(info.color_type, png::ColorType::Rgba);
        (info.width as usize, info.height as usize, buf)
    }

    #[test]
    fn opaque_round_trip() {
        let f = Frame::from_fn(5, 3, |x, y| [x as u8 * 40, y as u8 * 80, 7, 255]).unwrap();
        let (w, h, px) = decode(&encode_png(&f).unwrap());
        assert_eq!((w, h), (5, 3));
        assert_eq!(px, f.rgba());
    }

    #[test]
    fn translucent_round_trip() {
        let f = Frame::from_fn(4, 4, |x, y| [1, 2, 3, (x * 16 + y) as u8]).unwrap();
        let (w, h, px) = decode(&encode_png(&f).unwrap());
        assert_eq!((w, h), (4, 4));
        assert_eq!(px, f.rgba());
    }

    #[test]
    fn save_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("nca-viz-png-{}", std::process::id()));
        let path = dir.join("a.png");
        let f = Frame::new(2, 2, [0, 0, 0]).unwrap();
        save_png(&f, &path, false).unwrap();
        let before = std::fs::read(&path).unwrap();
        let white = Frame::new(2, 2, [255; 3]).unwrap();
        let e = save_png(&white, &path, false).unwrap_err();
        assert!(matches!(
            e,
            VizError::Write(nca_data::WriteError::Exists(_))
        ));
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        save_png(&white, &path, true).unwrap();
        assert_eq!(decode(&std::fs::read(&path).unwrap()).2, white.rgba());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
