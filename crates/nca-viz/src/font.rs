//! The embedded plot font: an ASCII subset of DejaVu Sans (see `assets/DejaVuSans-LICENSE.txt`),
//! registered with plotters once so that plots need no system fonts.

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::error::VizError;

/// The embedded TrueType font.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// The family names plotters may ask for; all map to the embedded font.
const FAMILIES: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// Registers the embedded font with plotters under every generic family name (once per
/// process); errors if the font cannot be parsed.
pub fn ensure_font() -> Result<(), VizError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        FAMILIES.iter().all(|family| {
            [FontStyle::Normal, FontStyle::Bold]
                .into_iter()
                .all(|style| plotters::style::register_font(family, style, FONT).is_ok())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(VizError::Plot("the embedded font cannot be parsed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_registers_repeatedly() {
        assert!(FONT.len() < 100_000, "the subset stays small");
        ensure_font().unwrap();
        ensure_font().unwrap();
    }
}
