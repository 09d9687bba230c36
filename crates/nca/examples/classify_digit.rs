//! Lets every cell of a digit vote on which digit it is, with the shipped self-classifier.
//!
//!     cargo run --release -p nca --example classify_digit -- [DIGIT.png]
//!
//! Without a PNG (dark strokes on a light background or the reverse, any size), the first
//! MNIST test digit of `$NCA_DATA` is used.
use std::path::{Path, PathBuf};

use nca::ca::Runner;
use nca::classify::eval::{cell_votes, majority};
use nca::classify::task::fresh_state;
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/classify-mnist.safetensors");
    let device = nca::device::device_for(None)?;
    let (model, cfg, _) = nca::classify::load_checkpoint(&shipped, &device)?;
    let pixels = match std::env::args().nth(1) {
        Some(png) => nca_data::load_digit_png(&PathBuf::from(png))?,
        None => {
            let test = nca_data::load_split(
                &nca_data::resolve_data_dir(None)?,
                nca_data::SplitName::Test,
            )?;
            println!("the first MNIST test digit (label {})", test.label(0));
            test.image_f32(0)
        }
    };
    let side = nca_data::DIGIT_SIDE;
    let mut state = fresh_state(&pixels, cfg.channels);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    Runner::new(&model).run(&mut state, [1, side, side], 200, &mut rng)?;
    let votes = cell_votes(&state, &cfg, side * side);
    match majority(&votes, cfg.classes, side * side)[0] {
        Some((digit, share)) => println!(
            "after 200 ticks the cells say {digit} ({:.0} % of them)",
            share * 100.0
        ),
        None => println!("no cell is alive: the image has no ink"),
    }
    Ok(())
}
