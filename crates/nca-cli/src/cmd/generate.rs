//! `nca generate ...`: label-conditioned digit generation — train (per digit or unified),
//! merge per-digit models, evaluate, sample.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use nca::generate::eval::{Judges, generate, grow, reconstruct};
use nca::generate::{CLASSES, GenerateConfig, GenerateMode, GenerateTask, load_checkpoint, merge};
use nca_data::{SplitName, load_split, resolve_data_dir};
use rand::SeedableRng;

use super::train::{device_and_engine, train_and_report};
use super::{CmdResult, check_free};
use crate::cli::TrainArgs;
use crate::output::{interactive, print_json};

/// `nca generate ...`.
#[derive(Subcommand, Debug)]
pub enum GenerateCommand {
    /// Train a generator on MNIST (one class with --digit; from merged weights with --init).
    Train(TrainCmd),
    /// Average ten per-digit checkpoints (digits 0..9, in order) into one starting model.
    Merge {
        /// The ten per-digit checkpoints.
        #[arg(num_args = 10, required = true)]
        checkpoints: Vec<PathBuf>,
        /// The merged checkpoint to write.
        #[arg(short = 'o', long, value_name = "FILE")]
        out: PathBuf,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Reconstruction on the test digits (pixel accuracy beside the black and blurred
    /// baselines, MSE) and, with --grow, digits grown on request judged by two classifiers.
    Eval(EvalCmd),
    /// A 10x10 PNG grid (row k: ten digits k) and a GIF of digits growing.
    Sample {
        /// The checkpoint (.safetensors).
        #[arg(long)]
        checkpoint: PathBuf,
        /// Data directory holding MNIST (reconstruction starts from test digits; a grow model
        /// reads none).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// The PNG grid to write.
        #[arg(short = 'o', long, default_value = "generate.png")]
        out: PathBuf,
        /// Also write a GIF of one digit of each class forming.
        #[arg(long, value_name = "FILE.gif")]
        gif: Option<PathBuf>,
        /// Pixels per cell.
        #[arg(long, default_value_t = 3)]
        zoom: usize,
        /// Seed of the fire masks.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

/// `nca generate train`.
#[derive(Args, Debug)]
pub struct TrainCmd {
    /// Training options.
    #[command(flatten)]
    pub train: TrainArgs,
    /// Data directory holding MNIST.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Start from a blurred digit (reconstruct) or from one seed cell (grow).
    #[arg(long, value_enum, default_value = "reconstruct")]
    pub mode: GenerateMode,
    /// Train on this class only (per-digit pretraining).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..10))]
    pub digit: Option<u8>,
    /// Start from these weights (e.g. `nca generate merge`'s output) instead of fresh ones.
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
    /// Batch size.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Ticks per rollout.
    #[arg(long, default_value_t = 64)]
    pub ticks: usize,
    /// Train on the first N training digits only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Grow: standard deviation of the noise seed (the seed cell's hidden channels; 0: all 1)
    /// [default: 0, or the --init model's].
    #[arg(long)]
    pub seed_noise: Option<f32>,
    /// Grow: fit each group of this many same-class samples to as many digits by the cheapest
    /// matching (0: each sample to its own random digit) [default: 0, or the --init model's].
    #[arg(long)]
    pub match_group: Option<usize>,
    /// Fit the image with the mean absolute error instead of the squared error (sharper).
    #[arg(long)]
    pub l1: bool,
}

/// `nca generate eval`.
#[derive(Args, Debug)]
pub struct EvalCmd {
    /// The checkpoint and the test digits (reconstructed; the first N with --limit).
    #[command(flatten)]
    pub test: crate::cli::TestArgs,
    /// Also grow digits from a seed and judge them.
    #[arg(long)]
    pub grow: bool,
    /// Digits grown per class.
    #[arg(long, default_value_t = 100)]
    pub per_class: usize,
    /// The self-classifier judge [default: the shipped classify-mnist].
    #[arg(long, value_name = "FILE")]
    pub classifier: Option<PathBuf>,
    /// The refiner judge [default: the shipped refine-mnist-f16].
    #[arg(long, value_name = "FILE")]
    pub refiner: Option<PathBuf>,
    /// Seed of the fire masks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: GenerateCommand) -> CmdResult {
    match c {
        GenerateCommand::Train(a) => train(a),
        GenerateCommand::Merge {
            checkpoints,
            out,
            force,
        } => {
            check_free(&out, force)?;
            let device = nca::device::device_for(None)?;
            let mut models = Vec::new();
            let mut cfg = None;
            for (d, p) in checkpoints.iter().enumerate() {
                let (m, c, _) = load_checkpoint(p, &device)?;
                if c.digit.is_some_and(|k| k as usize != d) {
                    return Err(format!(
                        "{} was trained on digit {:?}, expected {d}",
                        p.display(),
                        c.digit
                    )
                    .into());
                }
                models.push(m);
                cfg = Some(GenerateConfig { digit: None, ..c });
            }
            let merged = merge(&models)?;
            let meta = nca::checkpoint::CheckpointMeta::new(
                nca::generate::FAMILY,
                0,
                serde_json::json!({ "task": cfg, "merged_from": checkpoints }),
            );
            nca::checkpoint::save(&merged, &meta, &out, force)?;
            println!("merged {} models into {}", CLASSES, out.display());
            Ok(())
        }
        GenerateCommand::Eval(a) => eval(a),
        GenerateCommand::Sample {
            checkpoint,
            data,
            out,
            gif,
            zoom,
            seed,
            force,
        } => {
            check_free(&out, force)?;
            if let Some(g) = &gif {
                check_free(g, force)?;
            }
            let device = nca::device::device_for(None)?;
            let (model, cfg, _) = load_checkpoint(&checkpoint, &device)?;
            let labels: Vec<u8> = (0..CLASSES as u8)
                .flat_map(|k| std::iter::repeat_n(k, 10))
                .collect();
            // Growing starts from one seed cell and reads no digits; reconstruction starts
            // from the first ten test digits of each class.
            let (images, [h, w]) = match cfg.mode {
                GenerateMode::Grow => (
                    vec![0.0f32; labels.len() * MNIST_SIDE * MNIST_SIDE],
                    [MNIST_SIDE, MNIST_SIDE],
                ),
                GenerateMode::Reconstruct => first_test_digits(data.as_deref(), 10)?,
            };
            let hw = h * w;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut frames = Vec::new();
            let out_images = generate(
                &model,
                &cfg,
                &labels,
                &images,
                [h, w],
                &mut rng,
                gif.is_some().then_some(&mut frames),
            )?;
            let tile = |img: &[f32]| -> Result<nca_viz::Frame, Box<dyn std::error::Error>> {
                Ok(nca_viz::Frame::from_gray(w, h, img)?.upscale(zoom)?)
            };
            let tiles = out_images
                .chunks(hw)
                .map(tile)
                .collect::<Result<Vec<_>, _>>()?;
            let sheet = nca_viz::grid(&tiles, 10, zoom, [40, 40, 40])?;
            nca_viz::save_png(&sheet, &out, force)?;
            if let Some(g) = &gif {
                // One digit of each class (the first of its row), every tick.
                let anim = frames
                    .iter()
                    .map(|f| {
                        let tiles = (0..CLASSES)
                            .map(|k| tile(&f[k * 10 * hw..(k * 10 + 1) * hw]))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(nca_viz::grid(&tiles, 10, zoom, [40, 40, 40])?)
                    })
                    .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
                nca_viz::save_gif(&anim, 15.0, true, g, force)?;
            }
            println!(
                "wrote {} ({:?}, {} ticks)",
                out.display(),
                cfg.mode,
                cfg.ticks
            );
            Ok(())
        }
    }
}

/// Side of an MNIST digit, the grid a grow model is trained on.
const MNIST_SIDE: usize = 28;

/// The first `per_class` test digits of each class, class by class, and their size.
fn first_test_digits(
    data: Option<&Path>,
    per_class: usize,
) -> Result<(Vec<f32>, [usize; 2]), Box<dyn std::error::Error>> {
    let dir = resolve_data_dir(data)?;
    let test = load_split(&dir, SplitName::Test)?;
    let (h, w) = (test.rows(), test.cols());
    let hw = h * w;
    let mut seen = [0usize; CLASSES];
    let mut images = vec![0.0f32; CLASSES * per_class * hw];
    for i in 0..test.len() {
        let l = test.label(i) as usize;
        if seen[l] < per_class {
            let k = l * per_class + seen[l];
            images[k * hw..(k + 1) * hw].copy_from_slice(&test.image_f32(i));
            seen[l] += 1;
        }
    }
    Ok((images, [h, w]))
}

fn train(a: TrainCmd) -> CmdResult {
    let t = &a.train;
    let (device, engine) = device_and_engine(t.backend.as_deref(), t.engine)?;
    let dir = resolve_data_dir(a.data.as_deref())?;
    let mut split = load_split(&dir, SplitName::Train)?;
    if let Some(n) = a.limit {
        split = split.truncated(n)?;
    }
    // Fine-tuning keeps the loaded model's architecture; the task settings come from the flags.
    let (init, base) = match &a.init {
        Some(p) => {
            let (m, c, _) = load_checkpoint(p, &burn::tensor::Device::flex())?;
            (Some(m), c)
        }
        None => (None, GenerateConfig::default()),
    };
    let cfg = GenerateConfig {
        mode: a.mode,
        digit: a.digit,
        batch: a.batch,
        ticks: a.ticks,
        seed_noise: a.seed_noise.unwrap_or(base.seed_noise),
        match_group: a.match_group.unwrap_or(base.match_group),
        l1: a.l1 || base.l1,
        ..base
    };
    let mut task = GenerateTask::new(cfg, Arc::new(split))?;
    task.engine = engine;
    task.init = init;
    train_and_report(&mut task, t, &device)
}

fn eval(a: EvalCmd) -> CmdResult {
    let device = nca::device::device_for(None)?;
    let (model, cfg, meta) = load_checkpoint(&a.test.checkpoint, &device)?;
    let dir = resolve_data_dir(a.test.data.as_deref())?;
    let test = load_split(&dir, SplitName::Test)?;
    let started = std::time::Instant::now();
    let show = interactive() && !a.json;
    let rec = reconstruct(&model, &cfg, &test, a.test.limit, a.seed, |done| {
        if show {
            eprint!("\r{done} digits");
        }
    })?;
    if show {
        eprintln!();
    }
    let grown = if a.grow {
        let read =
            |p: &Option<PathBuf>, name: &str| -> Result<Vec<u8>, Box<dyn std::error::Error>> {
                match p {
                    Some(p) => std::fs::read(p)
                        .map_err(|e| format!("cannot read {}: {e}", p.display()).into()),
                    None => super::web::embedded_model(name)
                        .map(<[u8]>::to_vec)
                        .ok_or_else(|| {
                            format!("no embedded {name}: pass the judge's checkpoint").into()
                        }),
                }
            };
        let judges = Judges::from_bytes(
            &read(&a.classifier, "classify-mnist.safetensors")?,
            &read(&a.refiner, "refine-mnist-f16.safetensors")?,
        )?;
        Some(grow(&model, &cfg, &judges, &test, a.per_class, a.seed)?)
    } else {
        None
    };
    if a.json {
        print_json(&serde_json::json!({
            "checkpoint": a.test.checkpoint, "step": meta.step, "mode": cfg.mode,
            "reconstruct": rec, "grow": grown,
        }));
        return Ok(());
    }
    println!(
        "checkpoint {} (step {}, trained on {:?}), {:.1} s",
        a.test.checkpoint.display(),
        meta.step,
        cfg.mode,
        started.elapsed().as_secs_f64()
    );
    println!("reconstruct, {} test digits:", rec.digits);
    println!(
        "  pixel accuracy {:.4}  (all black {:.4}, blurred input {:.4})",
        rec.pixel_accuracy, rec.black_pixel_accuracy, rec.blurred_pixel_accuracy
    );
    println!(
        "  MSE            {:.5}  (blurred input {:.5})",
        rec.mse, rec.blurred_mse
    );
    if let Some(g) = grown {
        println!("grow, {} digits per class:", g.per_class);
        println!(
            "  class-consistency: self-classifier {:.4}, refiner {:.4}",
            g.classifier_consistency, g.refiner_consistency
        );
        println!(
            "  (the judges on as many test digits: {:.4}, {:.4})",
            g.test_classifier_accuracy, g.test_refiner_accuracy
        );
        println!(
            "  diversity (mean pairwise RMS within a class): {:.4} (test digits {:.4})",
            g.diversity, g.test_diversity
        );
    }
    Ok(())
}
