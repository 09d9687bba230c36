//! The command line, declared with clap. Commands read `nca <family-or-topic> <verb>`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Neural Cellular Automata: train, run, evaluate and visualise cellular automata whose rules
/// are small neural networks — and their classic ancestor, the Game of Life.
#[derive(Parser, Debug)]
#[command(name = "nca", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Examples:\n  \
    nca life                                  # a Gosper glider gun, written to life.gif\n  \
    nca life --pattern glider --steps 40 --json\n  \
    nca data info --data ../shared/data --json\n  \
    nca plot runs/tiny                        # loss curves of a training run\n\n\
    Data is found in --data DIR, else $NCA_DATA, else ~/.cache/nca.")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a classic Life-like cellular automaton (Game of Life, HighLife, Seeds, ...).
    Life(LifeArgs),
    /// Elementary cellular automata: Wolfram's one-dimensional rules 0-255.
    #[command(subcommand)]
    Eca(crate::cmd::eca::EcaCommand),
    /// Lenia: continuous cellular automata (Orbium and other shipped patterns, soups).
    #[command(subcommand)]
    Lenia(crate::cmd::lenia::LeniaCommand),
    /// Neural cellular automata on ARC tasks: learn each from its demonstrations alone.
    #[command(subcommand)]
    Arc(crate::cmd::arc::ArcCommand),
    /// Data sets: show, download and verify MNIST.
    #[command(subcommand)]
    Data(DataCommand),
    /// Plot the metrics of a training run (loss, learning rate, speed) to a PNG.
    Plot(PlotArgs),
    /// Inspect checkpoints.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
    /// Self-classifying MNIST digits: every cell of a digit learns to vote for its class.
    #[command(subcommand)]
    Classify(ClassifyCommand),
    /// Growing, persistent and regenerating NCA: grow an image from one cell, keep it, repair it.
    #[command(subcommand)]
    Grow(GrowCommand),
    /// Digit refiner: 50 distinct local rules rewrite a digit into its class template.
    #[command(subcommand)]
    Refine(crate::cmd::refine::RefineCommand),
    /// Label-conditioned digit generation: reconstruct a blurred digit, grow one on request.
    #[command(subcommand)]
    Generate(crate::cmd::generate::GenerateCommand),
    /// Convolutional-attention NCA trained on one long noisy trajectory.
    #[command(subcommand)]
    Attention(crate::cmd::attention::AttentionCommand),
    /// The tiny test family: a 4-channel NCA that grows a disc (exercises the trainer).
    #[command(subcommand)]
    Tiny(TinyCommand),
    /// Serve the browser playground on 127.0.0.1 (classify, refine, grow, Life panels).
    Serve(crate::cmd::web::ServeArgs),
    /// The browser playground as a static site.
    #[command(subcommand)]
    Web(crate::cmd::web::WebCommand),
}

/// Grid topology on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum TopologyArg {
    /// Edges wrap around.
    Torus,
    /// Cells beyond the edge are dead.
    Bounded,
}

/// `nca life`.
#[derive(Args, Debug)]
pub struct LifeArgs {
    /// Rule in B/S notation (B3/S23, B36/S23, B2/S, 23/3) or a name (life, highlife, seeds,
    /// daynight).
    #[arg(long, default_value = "B3/S23")]
    pub rule: String,
    /// A built-in pattern: glider, blinker, toad, beacon, lwss, r-pentomino, diehard, acorn,
    /// gosper-glider-gun.
    #[arg(long, default_value = "gosper-glider-gun", conflicts_with_all = ["rle", "soup"])]
    pub pattern: String,
    /// Read the pattern from an RLE file instead.
    #[arg(long, value_name = "FILE")]
    pub rle: Option<PathBuf>,
    /// Start from a random soup with this density of live cells instead (0..1).
    #[arg(long, value_name = "DENSITY")]
    pub soup: Option<f64>,
    /// Seed of the random soup.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Grid size, WIDTHxHEIGHT.
    #[arg(long, default_value = "64x48")]
    pub size: String,
    /// Grid topology.
    #[arg(long, value_enum, default_value = "torus")]
    pub topology: TopologyArg,
    /// Generations to run.
    #[arg(long, default_value_t = 120)]
    pub steps: usize,
    /// Animated GIF to write (default life.gif, or none with --json).
    #[arg(long, value_name = "FILE.gif")]
    pub out: Option<PathBuf>,
    /// Pixels per cell in the GIF.
    #[arg(long, default_value_t = 6)]
    pub zoom: usize,
    /// Frames per second of the GIF.
    #[arg(long, default_value_t = 15.0)]
    pub fps: f64,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Print the population per step as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// `nca data ...`.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Counts, image size and label histogram of each MNIST split.
    Info(DataDirArgs),
    /// Download a data set into the data directory and verify its checksums.
    Fetch {
        /// The data set (only `mnist` for now).
        #[arg(value_parser = ["mnist"])]
        dataset: String,
        /// Where to put it (default: $NCA_DATA, else ~/.cache/nca).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Check the md5 of the decompressed MNIST files against the published values.
    Verify(DataDirArgs),
}

/// The data-directory options shared by data commands.
#[derive(Args, Debug)]
pub struct DataDirArgs {
    /// Data directory (default: $NCA_DATA, else ~/.cache/nca).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `nca plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A run directory (holding metrics.jsonl) or a metrics.jsonl file.
    pub run: PathBuf,
    /// Output PNG (default: <run>/metrics.png).
    #[arg(long, value_name = "FILE.png")]
    pub out: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// What an evaluation on the MNIST test digits reads: a checkpoint and the data.
#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// The checkpoint (.safetensors).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Data directory holding MNIST (default: $NCA_DATA, else ~/.cache/nca).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Evaluate the first N test digits only (a quick look).
    #[arg(long)]
    pub limit: Option<usize>,
}

/// How an evaluation reports besides its table: a plot and JSON.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Also draw the curves to this PNG.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Replace an existing plot.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object (per-tick or per-step arrays and summary numbers) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `nca checkpoint ...`.
#[derive(Subcommand, Debug)]
pub enum CheckpointCommand {
    /// Family, format version, step, precision and config of a checkpoint.
    Info {
        /// The checkpoint file (.safetensors).
        file: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a checkpoint with its weights stored in another precision (f16 halves the size;
    /// loading converts back to f32). Metadata, config and step are kept.
    Convert {
        /// The checkpoint to read (.safetensors).
        file: PathBuf,
        /// The checkpoint to write.
        #[arg(short = 'o', long, value_name = "FILE")]
        out: PathBuf,
        /// `f16` or `f32`.
        #[arg(long, default_value = "f16")]
        precision: String,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Options every training command shares; unset ones take the family's recipe.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Total optimisation steps (a resumed run stops when this many are done in all).
    #[arg(long)]
    pub steps: usize,
    /// Run directory: checkpoints, metrics.jsonl, config.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Initial learning rate [default: the family's paper's]; the family's drops still apply.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Steps (comma-separated, increasing) at which the learning rate drops ×0.1 each, instead
    /// of the family's schedule.
    #[arg(long, value_delimiter = ',', value_name = "STEP,...")]
    pub lr_drops: Vec<usize>,
    /// Steps between checkpoints [default: the family's, 500; refine 20].
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Steps between metrics lines [default: the family's, 10; refine 1].
    #[arg(long)]
    pub log_every: Option<usize>,
    /// Seed of all randomness (weights, masks, noise, sampling).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Burn backend (flex is the CPU default; others if compiled in).
    #[arg(long)]
    pub backend: Option<String>,
    /// Step implementation [default: fast on a CPU backend, else burn].
    #[arg(long, value_enum)]
    pub engine: Option<nca::engine::Engine>,
    /// Keep a copy of the model at every checkpoint in <out>/snapshots/.
    #[arg(long)]
    pub snapshots: bool,
    /// Print the final report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `nca tiny ...`.
#[derive(Subcommand, Debug)]
pub enum TinyCommand {
    /// Train the tiny family.
    Train {
        /// Training options.
        #[command(flatten)]
        train: TrainArgs,
        /// Poison the loss with NaN at this step once (demonstrates the NaN guard).
        #[arg(long, hide = true)]
        poison_at: Option<usize>,
    },
}

/// `nca classify ...`.
#[derive(Subcommand, Debug)]
pub enum ClassifyCommand {
    /// Train the self-classifier on MNIST (defaults: the paper's settings).
    Train {
        /// Training options.
        #[command(flatten)]
        train: TrainArgs,
        /// Data directory holding MNIST (default: $NCA_DATA, else ~/.cache/nca).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Train on the first N training digits only (for quick experiments).
        #[arg(long)]
        limit: Option<usize>,
        /// Batch size.
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Ticks per training step.
        #[arg(long, default_value_t = 20)]
        ticks: usize,
        /// Use cross-entropy instead of the paper's L2 loss.
        #[arg(long)]
        cross_entropy: bool,
    },
    /// The paper's evaluation on the test digits: 200 ticks, mutate every digit into another,
    /// 200 more; per-tick cell accuracy and total agreement.
    Eval {
        /// The checkpoint and the test digits.
        #[command(flatten)]
        test: TestArgs,
        /// Ticks before the mutation.
        #[arg(long, default_value_t = 200)]
        ticks_before: usize,
        /// Ticks after the mutation.
        #[arg(long, default_value_t = 200)]
        ticks_after: usize,
        /// Seed of fire masks and mutation partners.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Plot (both curves, like the paper's figure) and JSON output.
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Time-to-accuracy: evaluates a run's snapshots (accuracy at tick 200 on the first N test
    /// digits) against the wall time at which each was written.
    Curve {
        /// The run directory (holding metrics.jsonl, and snapshots/ unless --snapshots is given).
        #[arg(long)]
        run: PathBuf,
        /// Folder of `step-NNNNNN.safetensors` snapshots (default: <run>/snapshots).
        #[arg(long)]
        snapshots: Option<PathBuf>,
        /// Data directory holding MNIST.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Test digits per evaluation.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Only snapshots whose step is a multiple of this.
        #[arg(long, default_value_t = 5000)]
        every: usize,
        /// Plot (accuracy and agreement against wall time) and JSON output.
        #[command(flatten)]
        report: ReportArgs,
    },
    /// An animation of digits classifying themselves: alive cells coloured by their current
    /// vote, digits mutated into others at each stage boundary.
    Animate {
        /// The checkpoint (.safetensors).
        #[arg(long)]
        checkpoint: PathBuf,
        /// Data directory holding MNIST (test digits are animated).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Classify this image instead (any size, dark-on-light or light-on-dark; cropped,
        /// squared and downscaled to 28x28 like MNIST).
        #[arg(long, value_name = "FILE.png")]
        input: Option<PathBuf>,
        /// Digits shown side by side.
        #[arg(long, default_value_t = 9)]
        batch_size: usize,
        /// Pixels per cell.
        #[arg(long, default_value_t = 6)]
        zoom_scale: usize,
        /// Frames per second.
        #[arg(long, default_value_t = 20.0)]
        fps: f64,
        /// Stages; at every stage boundary each digit is mutated into another test digit.
        #[arg(long, default_value_t = 2)]
        n_stages: usize,
        /// Ticks per stage.
        #[arg(long, default_value_t = 100)]
        n_steps_per_stage: usize,
        /// Seed choosing digits, fire masks and mutations.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write each digit's majority vote under it.
        #[arg(long)]
        annotations: bool,
        /// The animated GIF to write.
        #[arg(long, default_value = "classify.gif")]
        out: PathBuf,
        /// Also write the last frame as a PNG (the README's picture).
        #[arg(long, value_name = "FILE.png")]
        still: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
        /// Print the final verdicts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export one tick to ONNX (opset 17): inputs state [B,C,H,W], fire [B,1,H,W] and noise
    /// [B,C-1,H,W]; output next_state. The checkpoint's config is in the model's metadata.
    ExportOnnx(crate::cmd::onnx::ExportOnnxArgs),
}

/// `nca grow ...`.
#[derive(Subcommand, Debug)]
pub enum GrowCommand {
    /// Train a growing NCA on a target image (defaults: the paper's settings).
    Train {
        /// Training options.
        #[command(flatten)]
        train: TrainArgs,
        /// Target: a PNG file (e.g. an emoji) or `circle` (the tutorial's built-in disc).
        #[arg(long)]
        target: String,
        /// Side the target image is resized to, in cells.
        #[arg(long, default_value_t = 40)]
        size: u32,
        /// Empty cells added around the target on every side.
        #[arg(long, default_value_t = 16)]
        pad: u32,
        /// Training regime.
        #[arg(long, value_enum, default_value = "regenerating")]
        mode: nca::grow::TrainMode,
        /// Perception.
        #[arg(long, value_enum, default_value = "sobel")]
        perception: nca::perceive::PerceptionKind,
        /// Batch size.
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Pool size.
        #[arg(long, default_value_t = 1024)]
        pool: usize,
        /// Fewest and most ticks per step, MIN..MAX.
        #[arg(long, default_value = "64..96")]
        ticks: String,
    },
    /// Growth from the seed (96 ticks), stability (1000 ticks) and regrowth after cutting out
    /// half of the pattern (96 ticks): mean RGBA L2 to the target over 8 runs.
    Eval {
        /// The checkpoint (.safetensors).
        #[arg(long)]
        checkpoint: PathBuf,
        /// Independent runs averaged.
        #[arg(long, default_value_t = 8)]
        runs: usize,
        /// Seed of the fire masks.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// An animation of growth from the seed, with optional damage events, and a contact sheet.
    Animate(crate::cmd::grow::AnimateArgs),
    /// Export one tick to ONNX (opset 17): inputs state [B,C,H,W] and fire [B,1,H,W]; output
    /// next_state. The checkpoint's config is in the model's metadata.
    ExportOnnx(crate::cmd::onnx::ExportOnnxArgs),
}
