//! Runs a Game of Life pattern and writes it as an animated GIF.
//!
//!     cargo run --release -p nca --example life_gif -- [PATTERN] [OUT.gif]
//!
//! PATTERN: a built-in name (glider, gosper-glider-gun, acorn, ...) or an RLE file.
use nca::life::{Grid, Pattern, Topology};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "gosper-glider-gun".into());
    let out = args.next().unwrap_or_else(|| "life.gif".into());
    let pattern = match std::fs::read_to_string(&name) {
        Ok(rle) => rle.parse::<Pattern>()?,
        Err(_) => Pattern::named(&name)?,
    };
    let rule = pattern.rule().unwrap_or_else(nca::life::Rule::life);
    let mut grid = Grid::new(
        pattern.width() + 40,
        pattern.height() + 30,
        Topology::Bounded,
    )?;
    grid.place_centered(&pattern)?;
    let mut frames = Vec::new();
    for _ in 0..120 {
        let cells: Vec<f32> = grid.cells().iter().map(|&c| 1.0 - f32::from(c)).collect();
        frames.push(nca_viz::Frame::from_gray(grid.width(), grid.height(), &cells)?.upscale(4)?);
        grid = grid.step(&rule);
    }
    nca_viz::save_gif(&frames, 15.0, true, std::path::Path::new(&out), true)?;
    println!(
        "wrote {out}: {} generations of {} ({rule})",
        frames.len(),
        pattern.name().unwrap_or(&name)
    );
    Ok(())
}
