//! `nca-viz`: pictures of cellular automata and of their training.
//!
//! - [`Frame`] is an RGBA8 image in memory, built from a model state (channels-first RGBA,
//!   composited onto white), grey-scale values, a binary cell grid or a class map
//!   ([`class_map`], coloured with the ten [`class_color`]s), and enlarged with
//!   [`Frame::upscale`].
//! - [`grid`] lays many frames out as a contact sheet.
//! - [`draw_text`] / [`draw_label`] annotate frames with a built-in 5×7 bitmap font.
//! - [`encode_png`] / [`save_png`] and [`encode_gif`] / [`save_gif`] encode in memory and write
//!   atomically through [`nca_data::write_atomic`], never replacing an existing file unless
//!   asked to.
//! - [`plot_metrics`] plots a JSON-lines training log; [`plot_curves`] plots any named curves.
//!   Plots use an embedded font, so no system fonts are needed.
//!
//! Every fallible function returns [`VizError`], whose messages are one line; bad input is an
//! error, never a panic.

#![warn(missing_docs)]

pub mod color;
pub mod error;
pub mod font;
pub mod frame;
pub mod gif_io;
pub mod metrics;
pub mod plot;
pub mod png_io;
pub mod sheet;
pub mod text;

pub use color::{TAB10, class_color, class_map};
pub use error::VizError;
pub use frame::Frame;
pub use gif_io::{encode_gif, save_gif};
pub use metrics::{Metrics, Series, parse_metrics, read_metrics};
pub use plot::{plot_curves, plot_metrics, render_curves, render_metrics};
pub use png_io::{encode_png, save_png};
pub use sheet::{grid, grid_size};
pub use text::{draw_label, draw_text, text_size};
