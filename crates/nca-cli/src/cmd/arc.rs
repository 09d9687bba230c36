//! `nca arc info | train | eval | animate`: neural cellular automata on ARC tasks.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use nca_arc::eval::{Status, Summary, eval_files};
use nca_arc::info::Info;
use nca_arc::solve::run_states;
use nca_arc::{
    ArcTask, Augment, Grid, NcaParams, SolverConfig, read_tasks, solve_seeds, task_files,
};
use nca_viz::Frame;

use super::CmdResult;
use crate::output::print_json;

/// `nca arc ...`.
#[derive(Subcommand, Debug)]
pub enum ArcCommand {
    /// Summarise task files or folders: tasks, same-size share, grid sizes.
    Info(InfoArgs),
    /// Learn one task from its demonstrations and answer its test inputs.
    Train(TrainArgs),
    /// Solve every task under folders or files from scratch and print the totals (resumable).
    Eval(EvalArgs),
    /// Learn one task and write a GIF of the automaton turning each test input into its answer.
    Animate(AnimateArgs),
}

/// `nca arc info`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  nca arc info ../shared/data/arc/arc-agi-1/data/training --json"
)]
pub struct InfoArgs {
    /// Task files (.json) or folders searched for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The solver's settings on the command line.
#[derive(Args, Debug, Clone)]
pub struct SolverArgs {
    /// Most training steps per seed.
    #[arg(long, default_value_t = SolverConfig::default().steps)]
    pub steps: usize,
    /// Seeds trained per task (their answers are pooled into two attempts).
    #[arg(long, default_value_t = SolverConfig::default().seeds)]
    pub seeds: usize,
    /// Adam's step size.
    #[arg(long, default_value_t = SolverConfig::default().lr)]
    pub lr: f32,
    /// Ticks per rollout as MIN..MAX or N (default: from the task's largest grid side).
    #[arg(long)]
    pub ticks: Option<String>,
    /// Variations of the demonstrations, one per seed, cycled: none, symmetry, colours, both
    /// (comma-separated).
    #[arg(long, default_value_t = default_augment())]
    pub augment: String,
    /// Reach per group of seeds (how far, in grid sides, a rollout carries information;
    /// comma-separated): seeds pair every variation with every reach.
    #[arg(long, default_value_t = default_reach())]
    pub reach: String,
    /// Hidden channels of the automaton.
    #[arg(long, default_value_t = SolverConfig::default().model.hidden_channels)]
    pub hidden_channels: usize,
    /// Hidden width of its MLP.
    #[arg(long, default_value_t = SolverConfig::default().model.hidden)]
    pub hidden: usize,
    /// Base seed (seed k of a task uses seed + k).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The library's default variations as the flag spells them.
fn default_augment() -> String {
    SolverConfig::default()
        .augment
        .iter()
        .map(|a| {
            serde_json::to_value(a)
                .map_or_else(|_| String::new(), |v| v.as_str().unwrap_or("").to_owned())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The library's default reaches as the flag spells them.
fn default_reach() -> String {
    SolverConfig::default()
        .reach
        .iter()
        .map(f32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl SolverArgs {
    fn config(&self) -> Result<SolverConfig, String> {
        let ticks = match &self.ticks {
            None => None,
            Some(s) => {
                let num = |t: &str| {
                    t.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("malformed --ticks '{s}' (expected N or MIN..MAX)"))
                };
                Some(match s.split_once("..") {
                    Some((a, b)) => (num(a)?, num(b)?),
                    None => (num(s)?, num(s)?),
                })
            }
        };
        let augment = self
            .augment
            .split(',')
            .map(|a| match a.trim() {
                "none" => Ok(Augment::None),
                "symmetry" => Ok(Augment::Symmetry),
                "colours" | "colors" => Ok(Augment::Colours),
                "both" => Ok(Augment::Both),
                other => Err(format!(
                    "unknown --augment '{other}' (expected none, symmetry, colours or both)"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let reach = self
            .reach
            .split(',')
            .map(|r| {
                r.trim().parse::<f32>().map_err(|_| {
                    format!(
                        "malformed --reach '{}' (expected numbers like 1,0.5)",
                        self.reach
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut cfg = SolverConfig {
            reach,
            steps: self.steps,
            seeds: self.seeds,
            lr: self.lr,
            ticks,
            augment,
            seed: self.seed,
            ..SolverConfig::default()
        };
        cfg.model.hidden_channels = self.hidden_channels;
        cfg.model.hidden = self.hidden;
        cfg.validate().map_err(|e| flag_names(&e.to_string()))?;
        Ok(cfg)
    }
}

/// Library errors name settings; the command line calls them flags.
fn flag_names(msg: &str) -> String {
    msg.replacen("setting hidden_channels", "--hidden-channels", 1)
        .replacen("setting ", "--", 1)
}

/// `nca arc train`.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  \
    nca arc train ../shared/data/arc/1d-arc/dataset/1d_move_1p/1d_move_1p_10.json --out runs/arc-move")]
pub struct TrainArgs {
    /// The task file.
    pub task: PathBuf,
    /// Folder for the trained automaton (model.safetensors) and its answers (answer.json).
    #[arg(long, default_value = "runs/arc")]
    pub out: PathBuf,
    /// Replace files already in --out.
    #[arg(long)]
    pub force: bool,
    /// Settings.
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Print one JSON object instead of progress.
    #[arg(long)]
    pub json: bool,
}

/// `nca arc eval`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    nca arc eval ../shared/data/arc/1d-arc/dataset --results runs/1d-arc.jsonl --json\n  \
    nca arc eval ../shared/data/arc/arc-agi-1/data/evaluation --threads 2")]
pub struct EvalArgs {
    /// Task files (.json) or folders searched for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Append each task's outcome to this JSON-lines file, and skip the tasks already in it
    /// (a killed run picks up where it stopped).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Tasks solved at once.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Solve only the first N tasks of each folder.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Settings.
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Print the totals as one JSON object (no per-task lines).
    #[arg(long)]
    pub json: bool,
}

/// `nca arc animate`.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  \
    nca arc animate ../shared/data/arc/1d-arc/dataset/1d_fill/1d_fill_0.json -o fill.gif")]
pub struct AnimateArgs {
    /// The task file.
    pub task: PathBuf,
    /// Use the automaton `nca arc train` wrote (model.safetensors) instead of training one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output GIF.
    #[arg(short = 'o', long, default_value = "arc.gif")]
    pub out: PathBuf,
    /// Pixels per cell.
    #[arg(long, default_value_t = 16)]
    pub zoom: usize,
    /// Frames per second.
    #[arg(long, default_value_t = 8.0)]
    pub fps: f64,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Settings (when training).
    #[command(flatten)]
    pub solver: SolverArgs,
}

/// Runs `nca arc ...`.
pub fn run_command(c: ArcCommand) -> CmdResult {
    match c {
        ArcCommand::Info(a) => info(a),
        ArcCommand::Train(a) => train_one(a),
        ArcCommand::Eval(a) => eval(a),
        ArcCommand::Animate(a) => animate(a),
    }
}

fn info(a: InfoArgs) -> CmdResult {
    let tasks = read_tasks(&a.paths)?;
    let i = Info::of(&tasks);
    if a.json {
        print_json(&i);
    } else {
        println!(
            "{} tasks, {} ({:.1} %) with outputs the size of their inputs; {} demonstration and {} test pairs",
            i.tasks,
            i.same_size,
            100.0 * i.same_size_share,
            i.train_pairs,
            i.test_pairs
        );
        println!(
            "grids {}..{} rows x {}..{} columns, {:.1} cells on average",
            i.height.0, i.height.1, i.width.0, i.width.1, i.mean_cells
        );
        if i.groups.len() > 1 {
            for (g, n) in &i.groups {
                println!("  {g}: {n}");
            }
        }
    }
    Ok(())
}

fn read_task(path: &Path) -> Result<ArcTask, Box<dyn std::error::Error>> {
    let task = ArcTask::read(path)?;
    if !task.same_size() {
        return Err(format!(
            "{}: unsupported (an output differs in size from its input; the automaton keeps the grid's size)",
            path.display()
        )
        .into());
    }
    Ok(task)
}

/// The best seed's automaton and its settings (with the ticks it was trained with), the
/// pooled attempts per test input and a JSON object per seed.
type Trained = (NcaParams, SolverConfig, Vec<Vec<Grid>>, serde_json::Value);

/// Trains every seed, keeping the one that fits best, and returns it with the pooled answers
/// and a JSON line per seed.
fn train_seeds(
    task: &ArcTask,
    cfg: &SolverConfig,
    json: bool,
) -> Result<Trained, Box<dyn std::error::Error>> {
    let (answer, trained) = solve_seeds(task, cfg, |k, step, loss| {
        if !json && (step % 50 == 0 || step == 1) {
            eprintln!("seed {k} step {step:>5}  loss {loss:.5}");
        }
    })?;
    let seeds: Vec<serde_json::Value> = trained
        .iter()
        .enumerate()
        .map(|(k, t)| {
            serde_json::json!({
                "seed": cfg.seed + k as u64, "augment": t.augment, "ticks": [t.ticks.0, t.ticks.1],
                "steps": t.steps,
                "loss": t.loss, "fits": t.fits,
            })
        })
        .collect();
    let best = trained
        .into_iter()
        .max_by(|a, b| {
            (a.fits, -a.loss)
                .partial_cmp(&(b.fits, -b.loss))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .expect("at least one seed");
    Ok((
        best.params,
        SolverConfig {
            ticks: Some(best.ticks),
            ..cfg.clone()
        },
        answer.attempts,
        serde_json::Value::Array(seeds),
    ))
}

fn train_one(a: TrainArgs) -> CmdResult {
    let cfg = a.solver.config()?;
    let task = read_task(&a.task)?;
    let model = a.out.join("model.safetensors");
    let answer_path = a.out.join("answer.json");
    for p in [&model, &answer_path] {
        super::check_free(p, a.force)?;
    }
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let start = Instant::now();
    let (params, best_cfg, attempts, seeds) = train_seeds(&task, &cfg, a.json)?;
    nca_arc::checkpoint::save(&model, &params, &best_cfg, &task.name, a.force)?;
    let tests: Vec<serde_json::Value> = task
        .test
        .iter()
        .zip(&attempts)
        .map(|(p, at)| {
            serde_json::json!({
                "attempts": at.iter().map(Grid::rows).collect::<Vec<_>>(),
                "solved": at.contains(&p.output),
            })
        })
        .collect();
    let solved = task
        .test
        .iter()
        .zip(&attempts)
        .all(|(p, at)| at.contains(&p.output));
    let report = serde_json::json!({
        "task": task.name, "solved": solved, "tests": tests, "seeds": seeds,
        "seconds": start.elapsed().as_secs_f64(), "model": model,
    });
    let text = serde_json::to_string_pretty(&report)?;
    nca_data::write_atomic(&answer_path, text.as_bytes(), a.force)?;
    if a.json {
        print_json(&report);
    } else {
        for (i, (p, at)) in task.test.iter().zip(&attempts).enumerate() {
            println!(
                "test {i}: {}",
                if at.contains(&p.output) {
                    "solved"
                } else {
                    "not solved"
                }
            );
            if let Some(first) = at.first() {
                print!("first attempt:\n{first}");
            }
        }
        println!(
            "{}: {} in {:.1} s; model in {}",
            task.name,
            if solved { "solved" } else { "not solved" },
            start.elapsed().as_secs_f64(),
            model.display()
        );
    }
    Ok(())
}

fn eval(a: EvalArgs) -> CmdResult {
    let cfg = a.solver.config()?;
    if a.threads == 0 || a.threads > 256 {
        return Err(format!("--threads {} is outside 1..=256", a.threads).into());
    }
    let mut files = task_files(&a.paths)?;
    if let Some(limit) = a.limit {
        let mut seen = std::collections::HashMap::new();
        files.retain(|(_, g)| {
            let n = seen.entry(g.clone()).or_insert(0usize);
            *n += 1;
            *n <= limit
        });
    }
    let start = Instant::now();
    let json = a.json;
    let outcomes = eval_files(
        &files,
        &cfg,
        a.threads,
        a.results.as_deref(),
        |o, n, total| {
            if !json {
                let status = match o.status {
                    Status::Solved => "solved",
                    Status::Failed => "not solved",
                    Status::Unsupported => "unsupported",
                };
                eprintln!(
                    "[{n}/{total}] {}/{}: {status} ({:.1} s)",
                    o.group, o.name, o.seconds
                );
            }
        },
    )?;
    let s = Summary::of(&outcomes);
    let wall = start.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&s)?;
        v["wall_seconds"] = wall.into();
        print_json(&v);
    } else {
        if s.groups.len() > 1 {
            for (g, t) in &s.groups {
                println!(
                    "{g:<24} {:>4} / {:<4} {:>6.1} %",
                    t.solved,
                    t.tasks,
                    100.0 * t.accuracy
                );
            }
            println!("mean over folders: {:.2} %", 100.0 * s.group_mean_accuracy);
        }
        println!(
            "solved {} / {} ({:.2} %), {} unsupported; {:.2} % of the supported; {:.1} s",
            s.all.solved,
            s.all.tasks,
            100.0 * s.all.accuracy,
            s.all.unsupported,
            100.0 * s.all.accuracy_supported,
            wall
        );
    }
    Ok(())
}

/// The ARC palette.
const PALETTE: [[u8; 3]; 10] = [
    [0, 0, 0],
    [0, 116, 217],
    [255, 65, 54],
    [46, 204, 64],
    [255, 220, 0],
    [170, 170, 170],
    [240, 18, 190],
    [255, 133, 27],
    [127, 219, 255],
    [135, 12, 37],
];

/// A frame showing `left` (the automaton's grid) beside `right` (the expected output), a
/// column of grey between them.
fn frame(left: &Grid, right: &Grid, zoom: usize) -> Result<Frame, Box<dyn std::error::Error>> {
    let (h, w) = left.size();
    let f = Frame::from_fn(2 * w + 1, h, |x, y| {
        let c = if x < w {
            PALETTE[left.at(y, x) as usize]
        } else if x == w {
            [64, 64, 64]
        } else {
            PALETTE[right.at(y, x - w - 1) as usize]
        };
        [c[0], c[1], c[2], 255]
    })?;
    Ok(f.upscale(zoom)?)
}

fn animate(a: AnimateArgs) -> CmdResult {
    super::check_free(&a.out, a.force)?;
    if a.zoom == 0 || a.zoom > 64 {
        return Err(format!("--zoom {} is outside 1..=64", a.zoom).into());
    }
    let task = read_task(&a.task)?;
    let (params, cfg) = match &a.model {
        Some(dir) => {
            let path = if dir.is_dir() {
                dir.join("model.safetensors")
            } else {
                dir.clone()
            };
            let (p, cfg, _) = nca_arc::checkpoint::load(&path)?;
            (p, cfg)
        }
        None => {
            let cfg = a.solver.config()?;
            let (p, best_cfg, _, _) = train_seeds(&task, &cfg, true)?;
            (p, best_cfg)
        }
    };
    let (_, ticks) = cfg.ticks_for(&task, cfg.reach[0]);
    let mut frames = Vec::new();
    let mut solved = Vec::new();
    for p in &task.test {
        let states = run_states(&cfg.model, &params, &p.input, ticks)?;
        solved.push(states.last() == Some(&p.output));
        for s in &states {
            frames.push(frame(s, &p.output, a.zoom)?);
        }
        // Hold the answer for a second.
        let last = frames.last().cloned().expect("a frame");
        frames.extend(std::iter::repeat_n(last, a.fps.ceil() as usize));
    }
    nca_viz::save_gif(&frames, a.fps, true, &a.out, a.force)?;
    println!(
        "{}: {} frames in {} (the automaton left, the expected output right); test outputs {}",
        task.name,
        frames.len(),
        a.out.display(),
        solved
            .iter()
            .map(|&s| if s { "reached" } else { "missed" })
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
