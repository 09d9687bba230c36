//! Targets of the attention family: a uniform colour or a PNG image, as RGB planes in `[0, 1]`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};

/// Largest grid side a target may have.
pub const MAX_SIDE: usize = 256;

/// Colour names `uniform:NAME` accepts, with their RGB values.
pub const COLOURS: [(&str, [f32; 3]); 10] = [
    ("red", [1.0, 0.0, 0.0]),
    ("green", [0.0, 1.0, 0.0]),
    ("blue", [0.0, 0.0, 1.0]),
    ("white", [1.0, 1.0, 1.0]),
    ("black", [0.0, 0.0, 0.0]),
    ("yellow", [1.0, 1.0, 0.0]),
    ("cyan", [0.0, 1.0, 1.0]),
    ("magenta", [1.0, 0.0, 1.0]),
    ("orange", [1.0, 0.5, 0.0]),
    ("gray", [0.5, 0.5, 0.5]),
];

/// A target image: `3 × side × side` RGB values, channel-major (R, G, B planes, each row-major).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionTarget {
    /// What the user asked for (`uniform:red`, a PNG path).
    pub spec: String,
    /// Grid side in cells.
    pub side: usize,
    /// The RGB planes.
    pub rgb: Vec<f32>,
}

fn check_side(side: usize) -> Result<()> {
    if side == 0 || side > MAX_SIDE {
        return Err(NcaError::config(
            "--size",
            format!("must be in 1..={MAX_SIDE} (got {side})"),
        ));
    }
    Ok(())
}

impl AttentionTarget {
    /// Channels of a target (RGB).
    pub const CHANNELS: usize = 3;

    /// A `side × side` grid of one colour.
    pub fn uniform(colour: [f32; 3], side: usize) -> Result<Self> {
        check_side(side)?;
        let n = side * side;
        let rgb = colour.iter().flat_map(|&c| vec![c; n]).collect();
        Ok(Self {
            spec: format!("uniform:{colour:?}"),
            side,
            rgb,
        })
    }

    /// A PNG fitted into `side × side` (aspect kept, centred, no padding). Colours are
    /// premultiplied by alpha — transparent pixels are black — and alpha itself is dropped.
    pub fn from_png(path: &Path, side: usize) -> Result<Self> {
        check_side(side)?;
        let t = nca_data::load_target(path, side as u32, 0)?;
        let n = t.side * t.side;
        Ok(Self {
            spec: path.display().to_string(),
            side: t.side,
            rgb: t.rgba[..3 * n].to_vec(),
        })
    }

    /// The mean squared error of the best uniform image (each channel at its mean): the loss a
    /// model reaches by learning only the target's mean colour.
    pub fn mean_colour_mse(&self) -> f32 {
        let n = self.side * self.side;
        let mut sum = 0.0f64;
        for plane in self.rgb.chunks_exact(n.max(1)) {
            let mean = plane.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            sum += plane
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>();
        }
        (sum / self.rgb.len().max(1) as f64) as f32
    }

    /// `uniform:COLOUR` (see [`parse_colour`]) or a PNG path, on a `side × side` grid.
    pub fn parse(spec: &str, side: usize) -> Result<Self> {
        match spec.strip_prefix("uniform:") {
            Some(colour) => {
                let mut t = Self::uniform(parse_colour(colour)?, side)?;
                t.spec = spec.to_string();
                Ok(t)
            }
            None => Self::from_png(Path::new(spec), side),
        }
    }
}

/// A colour name (red, green, blue, white, black, yellow, cyan, magenta, orange, gray) or
/// `#rrggbb`, as RGB in `[0, 1]`.
pub fn parse_colour(s: &str) -> Result<[f32; 3]> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    if let Some((_, c)) = COLOURS.iter().find(|(n, _)| *n == lower) {
        return Ok(*c);
    }
    let bad = || {
        let names: Vec<&str> = COLOURS.iter().map(|(n, _)| *n).collect();
        NcaError::config(
            "colour",
            format!(
                "'{s}' is neither a colour name ({}) nor #rrggbb",
                names.join(", ")
            ),
        )
    };
    let hex = lower.strip_prefix('#').ok_or_else(bad)?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([
        byte(0)? as f32 / 255.0,
        byte(2)? as f32 / 255.0,
        byte(4)? as f32 / 255.0,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_by_name_and_hex() {
        assert_eq!(parse_colour("red").unwrap(), [1.0, 0.0, 0.0]);
        assert_eq!(parse_colour("Blue").unwrap(), [0.0, 0.0, 1.0]);
        let c = parse_colour("#ff8000").unwrap();
        assert_eq!(c[0], 1.0);
        assert!((c[1] - 128.0 / 255.0).abs() < 1e-6 && c[2] == 0.0);
        for bad in ["chartreuse", "#ff80", "#gg0000", "", "#ff800000"] {
            let e = parse_colour(bad).unwrap_err().to_string();
            assert!(e.contains("colour") && !e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn uniform_target_has_three_planes_and_bad_sizes_fail() {
        let t = AttentionTarget::parse("uniform:red", 4).unwrap();
        assert_eq!(
            (t.side, t.rgb.len(), t.spec.as_str()),
            (4, 48, "uniform:red")
        );
        assert!(t.rgb[..16].iter().all(|&v| v == 1.0));
        assert!(t.rgb[16..].iter().all(|&v| v == 0.0));
        assert_eq!(t.mean_colour_mse(), 0.0);
        let half = AttentionTarget {
            spec: "x".into(),
            side: 2,
            rgb: vec![0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0],
        };
        assert!((half.mean_colour_mse() - 0.25 / 3.0).abs() < 1e-7);
        assert!(AttentionTarget::parse("uniform:red", 0).is_err());
        assert!(AttentionTarget::parse("uniform:red", MAX_SIDE + 1).is_err());
        assert!(AttentionTarget::parse("no/such/file.png", 8).is_err());
    }
}
