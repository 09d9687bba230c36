//! The one neural cellular automaton every cellular family is a preset of.
//!
//! A tick, as in the papers:
//!
//! 1. *perceive*: each cell reads its 3x3 neighbourhood through fixed depthwise filters
//!    (identity + Sobel, Growing NCA) or a learned 3x3 convolution (self-classifying MNIST),
//!    optionally followed by ReLU;
//! 2. *update*: a per-cell MLP proposes `dx` for the update channels (its last layer starts at
//!    zero, so a fresh model does nothing);
//! 3. *rule* (not trainable): residual noise is added, a random fire mask picks the cells that
//!    update (asynchronous cells), and an alive rule keeps the living (a threshold on a channel,
//!    fixed for the rollout, or the 3x3 max-pool of alpha before and after the update).
//!
//! [`CaConfig`] is that description; [`Nca`] the Burn module with its weights. Two
//! implementations compute the same rollout: [`Nca::rollout_burn`] (Burn tensors, any backend,
//! autodiff) and the exact sparse CPU engine `nca-fast`, to which [`CaConfig::spec`] and
//! [`Nca::params`] are the one mapping. [`train_step`] picks between them for a training step;
//! [`Runner`] runs ticks for evaluation and animation. Fire masks and noise are drawn once, by
//! [`CaConfig::draw_ticks`], and fed to whichever engine runs, so both see the same masks.

use std::ops::Range;

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand::rngs::StdRng;

use crate::engine::{self, AliveRule, Engine, NcaParams, NcaSpec, Perception, TickMasks};
use crate::error::{NcaError, Result};
use crate::masks::{alive_maxpool, alive_threshold};
use crate::noise::gaussian_values;
use crate::perceive::{FixedPerception, PerceptionKind, learned_perception};
use crate::update::CellMlp;

/// The architecture and the fixed rule of a cellular automaton. Families build it from their own
/// (serialised) settings; it is not stored in checkpoints itself.
#[derive(Clone, Debug, PartialEq)]
pub struct CaConfig {
    /// State channels per cell.
    pub channels: usize,
    /// Fixed filters or a learned 3x3 convolution.
    pub perception: PerceptionKind,
    /// Output width of a learned perception (ignored for fixed filters).
    pub learned_width: usize,
    /// ReLU after perception.
    pub perception_relu: bool,
    /// Hidden widths of the update MLP; its output width is the number of update channels.
    pub hidden: Vec<usize>,
    /// The channels the update writes (the others are read only, e.g. a digit's pixels).
    pub update_channels: Range<usize>,
    /// Which cells may change and which survive.
    pub alive: AliveRule,
    /// Probability that a cell updates in a tick.
    pub fire_rate: f32,
    /// Standard deviation of the residual noise added to updates in training (0: none).
    pub noise_std: f32,
}

impl CaConfig {
    /// Perception features per cell.
    pub fn features(&self) -> usize {
        match self.perception {
            PerceptionKind::Learned => self.learned_width,
            k => k.filters().len() * self.channels,
        }
    }

    /// Number of channels the update writes.
    pub fn update_width(&self) -> usize {
        self.update_channels.len()
    }

    /// The engine's description of this automaton.
    pub fn spec(&self) -> NcaSpec {
        let mut hidden = self.hidden.clone();
        hidden.push(self.update_width());
        NcaSpec {
            channels: self.channels,
            perception: match self.perception {
                PerceptionKind::Learned => Perception::Learned {
                    out: self.learned_width,
                },
                k => Perception::Fixed {
                    filters: k.filters(),
                },
            },
            perception_relu: self.perception_relu,
            hidden,
            update_channels: self.update_channels.clone(),
            alive: self.alive.clone(),
        }
    }

    /// Draws the fire masks (and, with `noise`, the residual noise) of `ticks` ticks on a batch
    /// of `[b, h, w]` grids, tick by tick, fire before noise: the order every engine and every
    /// evaluation consumes them in.
    pub fn draw_ticks(
        &self,
        rng: &mut impl Rng,
        ticks: usize,
        [b, h, w]: [usize; 3],
        noise: bool,
    ) -> Vec<TickMasks> {
        (0..ticks)
            .map(|_| {
                let fire = nca_models::masks::fire_mask(rng, b * h * w, self.fire_rate);
                let noise = (noise && self.noise_std > 0.0)
                    .then(|| gaussian_values(rng, b * self.update_width() * h * w, self.noise_std));
                TickMasks { fire, noise }
            })
            .collect()
    }

    /// [`CaConfig::draw_ticks`] with noise for a training rollout from `x0` (`[B, C, H, W]`),
    /// sampling the noise only where an engine can add it: at firing cells and, under a static
    /// alive rule, only at cells alive in `x0`. Every engine multiplies the noise elsewhere by
    /// zero, so the zeros left there change nothing, and the self-classifier draws ~12× fewer
    /// normal samples (they were a third of its training time). Each tick has its own random
    /// stream, seeded from `rng` (so the ticks are drawn in parallel): the fire mask, then the
    /// noise item by item, channel by channel, cell by cell.
    pub fn draw_training_ticks(
        &self,
        rng: &mut impl Rng,
        ticks: usize,
        x0: &[f32],
        dims: [usize; 3],
    ) -> Vec<TickMasks> {
        let mut out = Vec::new();
        self.draw_training_ticks_into(rng, ticks, x0, dims, &mut out);
        out
    }

    /// [`CaConfig::draw_training_ticks`] into `out`, reusing its buffers (a training loop keeps
    /// them between steps: the noise arrays are ~1 MB per tick, mostly zeros).
    pub fn draw_training_ticks_into(
        &self,
        rng: &mut impl Rng,
        ticks: usize,
        x0: &[f32],
        [b, h, w]: [usize; 3],
        out: &mut Vec<TickMasks>,
    ) {
        let hw = h * w;
        let u = self.update_width();
        let alive: Option<Vec<bool>> = match self.alive {
            AliveRule::Static { channel, threshold } => Some(
                (0..b * hw)
                    .map(|i| x0[((i / hw) * self.channels + channel) * hw + i % hw] > threshold)
                    .collect(),
            ),
            AliveRule::MaxPool { .. } => None,
        };
        let normal = (self.noise_std > 0.0 && self.noise_std.is_finite())
            .then(|| rand_distr::Normal::new(0.0f32, self.noise_std).expect("finite std"));
        // Each tick draws from its own stream, seeded from `rng`, so ticks are drawn in parallel.
        let seeds: Vec<u64> = (0..ticks).map(|_| rng.random()).collect();
        out.truncate(ticks);
        out.resize_with(ticks, || TickMasks {
            fire: Vec::new(),
            noise: None,
        });
        let fire_rate = self.fire_rate;
        use rayon::prelude::*;
        out.par_iter_mut().zip(seeds).for_each(|(tick, seed)| {
            let rng = &mut <StdRng as rand::SeedableRng>::seed_from_u64(seed);
            tick.fire = nca_models::masks::fire_mask(rng, b * hw, fire_rate);
            let Some(normal) = normal else {
                tick.noise = None;
                return;
            };
            let v = tick.noise.get_or_insert_with(Vec::new);
            v.clear();
            v.resize(b * u * hw, 0.0);
            let mut needed = Vec::new();
            for (bi, item) in v.chunks_exact_mut(u * hw).enumerate() {
                needed.clear();
                needed.extend((0..hw).filter(|&cell| {
                    let i = bi * hw + cell;
                    tick.fire[i] != 0 && alive.as_ref().is_none_or(|a| a[i])
                }));
                for plane in item.chunks_exact_mut(hw) {
                    for &cell in &needed {
                        plane[cell] = rand_distr::Distribution::sample(&normal, rng);
                    }
                }
            }
        });
    }
}

/// A family's settings that describe an automaton: grow, classify and tiny are presets of
/// [`Nca`]. Their settings live in `nca_models` (Burn-free, shared with the playground).
pub trait Preset {
    /// The automaton these settings describe.
    fn ca(&self) -> CaConfig;
    /// A fresh model, weights drawn from `rng`.
    fn init(&self, device: &Device, rng: &mut StdRng) -> Nca {
        Nca::new(self.ca(), device, rng)
    }
}

/// A cellular automaton's trainable part: perception and per-cell update, with its rule.
#[derive(Module, Debug)]
pub struct Nca {
    /// Fixed depthwise filters (none when perception is learned).
    pub fixed: FixedPerception,
    /// The learned 3x3 perception, when chosen.
    pub perception: Option<Conv2d>,
    /// The per-cell update MLP.
    pub update: CellMlp,
    /// The architecture and rule (not trainable).
    #[module(skip)]
    pub cfg: CaConfig,
}

impl Nca {
    /// A fresh automaton for `cfg` on `device`: weights drawn from `rng` as PyTorch's default
    /// initialisation does, the last update layer zero.
    pub fn new(cfg: CaConfig, device: &Device, rng: &mut StdRng) -> Self {
        let learned = cfg.perception == PerceptionKind::Learned;
        let mut dims = vec![cfg.features()];
        dims.extend(&cfg.hidden);
        dims.push(cfg.update_width());
        let model = Self {
            fixed: FixedPerception::new(cfg.perception.filters(), cfg.channels),
            perception: learned.then(|| learned_perception(cfg.channels, cfg.features(), device)),
            update: CellMlp::new(&dims, true, device),
            cfg,
        };
        crate::init::torch_default(model, rng)
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.update.layers[0].weight.val().device()
    }

    /// Perception features `[B, F, H, W]` of states `[B, C, H, W]`.
    pub fn perceive(&self, state: Tensor<4>) -> Tensor<4> {
        let p = match &self.perception {
            Some(conv) => conv.forward(state),
            None => self.fixed.forward(state),
        };
        if self.cfg.perception_relu { relu(p) } else { p }
    }

    /// The proposed update `[B, U, H, W]` of every cell (before noise and masks).
    pub fn delta(&self, state: Tensor<4>) -> Tensor<4> {
        self.update.forward(self.perceive(state))
    }

    /// One tick on Burn tensors. `fire` is a `[B, 1, H, W]` 0/1 mask, `noise` `[B, U, H, W]`;
    /// `alive` is the static alive mask of the rollout ([`AliveRule::Static`] only).
    pub fn tick(
        &self,
        state: Tensor<4>,
        fire: Tensor<4>,
        noise: Option<Tensor<4>>,
        alive: Option<&Tensor<4>>,
    ) -> Tensor<4> {
        let [b, c, h, w] = state.dims();
        let u = self.cfg.update_channels.clone();
        let mut dx = self.delta(state.clone());
        if let Some(n) = noise {
            dx = dx + n;
        }
        let gate = match alive {
            Some(a) => fire * a.clone(),
            None => fire,
        };
        let pre = match self.cfg.alive {
            AliveRule::MaxPool { channel, threshold } => {
                Some(alive_maxpool(state.clone(), channel, threshold))
            }
            AliveRule::Static { .. } => None,
        };
        let mut parts = Vec::with_capacity(3);
        if u.start > 0 {
            parts.push(state.clone().slice([0..b, 0..u.start, 0..h, 0..w]));
        }
        parts.push(state.clone().slice([0..b, u.clone(), 0..h, 0..w]) + dx * gate);
        if u.end < c {
            parts.push(state.slice([0..b, u.end..c, 0..h, 0..w]));
        }
        let x = Tensor::cat(parts, 1);
        match (pre, &self.cfg.alive) {
            (Some(pre), AliveRule::MaxPool { channel, threshold }) => {
                let post = alive_maxpool(x.clone(), *channel, *threshold);
                x * (pre * post)
            }
            _ => x,
        }
    }

    /// Runs `ticks` on Burn tensors from `x0` (`[B, C, H, W]`), the masks as drawn by
    /// [`CaConfig::draw_ticks`].
    pub fn rollout_burn(&self, x0: Tensor<4>, ticks: &[TickMasks]) -> Tensor<4> {
        let mut outs = self.rollout_burn_observed(x0, ticks, &[ticks.len()]);
        outs.pop().expect("one observation")
    }

    /// Runs `ticks` on Burn tensors from `x0` and returns the states after each tick count in
    /// `at` (non-decreasing). The static alive mask is taken from `x0`, once.
    pub fn rollout_burn_observed(
        &self,
        x0: Tensor<4>,
        ticks: &[TickMasks],
        at: &[usize],
    ) -> Vec<Tensor<4>> {
        let [b, _, h, w] = x0.dims();
        let device = x0.device();
        let alive = match self.cfg.alive {
            AliveRule::Static { channel, threshold } => {
                Some(alive_threshold(x0.clone(), channel, threshold))
            }
            AliveRule::MaxPool { .. } => None,
        };
        let u = self.cfg.update_width();
        let mut x = x0;
        let mut outs = Vec::with_capacity(at.len());
        let mut next = at.iter().peekable();
        while next.peek() == Some(&&0) {
            outs.push(x.clone());
            next.next();
        }
        for (i, t) in ticks.iter().enumerate() {
            let fire: Vec<f32> = t.fire.iter().map(|&v| f32::from(v)).collect();
            let fire = Tensor::from_data(TensorData::new(fire, [b, 1, h, w]), &device);
            let noise = t
                .noise
                .as_ref()
                .map(|n| Tensor::from_data(TensorData::new(n.clone(), [b, u, h, w]), &device));
            x = self.tick(x, fire, noise, alive.as_ref());
            while next.peek() == Some(&&(i + 1)) {
                outs.push(x.clone());
                next.next();
            }
        }
        outs
    }

    /// The weights as the engine's plain arrays.
    pub fn params(&self) -> NcaParams {
        engine::params_from(self.perception.as_ref(), &self.update)
    }

    /// The engine's parameter gradients as Burn gradients of this module.
    pub fn grads_from_engine(&self, g: nca_fast::NcaGrads) -> GradientsParams {
        engine::grads_to_burn(g, self.perception.as_ref(), &self.update)
    }
}

/// What a training step on a batch of states produced.
pub struct StepResult {
    /// The loss of the final states.
    pub loss: f32,
    /// Its gradients with respect to the automaton's weights.
    pub grads: GradientsParams,
    /// The final states `[B, C, H, W]` (e.g. to put back into a sample pool).
    pub final_state: Vec<f32>,
}

/// A loss of final states: its value and its gradient with respect to them (plain data, the same
/// function for every engine).
pub trait StateLoss {
    /// The loss of `final_state` (`[B, C, H, W]`) and `∂loss/∂final_state`.
    fn loss_and_grad(&self, final_state: &[f32]) -> (f32, Vec<f32>);
}

impl<F: Fn(&[f32]) -> (f32, Vec<f32>)> StateLoss for F {
    fn loss_and_grad(&self, final_state: &[f32]) -> (f32, Vec<f32>) {
        self(final_state)
    }
}

/// One training step of `nca`: roll out `ticks` from `x0` (`dims` = batch, height, width), take
/// `loss` of the final states and backpropagate through time. [`train_step_observed`] with one
/// observation, the last tick.
pub fn train_step(
    nca: &Nca,
    engine: Engine,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
    tape: &mut Option<nca_fast::Tape>,
    loss: &impl StateLoss,
) -> Result<StepResult> {
    let mut tapes: Vec<nca_fast::Tape> = tape.take().into_iter().collect();
    let out = train_step_observed(
        nca,
        engine,
        x0,
        dims,
        ticks,
        &[ticks.len()],
        &mut tapes,
        &|states: &[Vec<f32>]| {
            let (l, d) = loss.loss_and_grad(&states[0]);
            (l, vec![d])
        },
    )?;
    *tape = tapes.pop();
    let final_state = out.states.into_iter().next().expect("one observation");
    Ok(StepResult {
        loss: out.loss,
        grads: out.grads,
        final_state,
    })
}

/// A loss of the states observed at several ticks of a rollout: its value and its gradient with
/// respect to each observed state.
pub trait ObservedLoss {
    /// The loss of `states` (one `[B, C, H, W]` array per observation) and `∂loss/∂states[k]`.
    fn loss_and_grads(&self, states: &[Vec<f32>]) -> (f32, Vec<Vec<f32>>);
}

impl<F: Fn(&[Vec<f32>]) -> (f32, Vec<Vec<f32>>)> ObservedLoss for F {
    fn loss_and_grads(&self, states: &[Vec<f32>]) -> (f32, Vec<Vec<f32>>) {
        self(states)
    }
}

/// What a training step with intermediate observations produced.
pub struct ObservedStep {
    /// The loss.
    pub loss: f32,
    /// Its gradients with respect to the automaton's weights.
    pub grads: GradientsParams,
    /// The observed states, `[B, C, H, W]` each.
    pub states: Vec<Vec<f32>>,
    /// The loss's gradient with respect to the initial states `x0` (for inputs that are learned,
    /// such as a label embedding written into read-only channels).
    pub d_initial: Vec<f32>,
}

/// One training step whose loss reads the states after each tick count in `at` (non-decreasing,
/// the last equal to `ticks.len()`): intermediate-step losses, as digit generation trains.
///
/// [`Engine::Fast`] runs one `nca-fast` rollout per segment between observations (recording into
/// the buffers of the previous step's `tapes`) and backpropagates segment by segment, adding each
/// observation's gradient where its segment ends. [`Engine::Burn`] runs Burn autodiff seeded
/// with every observation's gradient. Segments keep a static alive rule only when its channel is
/// never updated (a rollout's alive mask is taken from its first state).
#[allow(clippy::too_many_arguments)]
pub fn train_step_observed(
    nca: &Nca,
    engine: Engine,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
    at: &[usize],
    tapes: &mut Vec<nca_fast::Tape>,
    loss: &impl ObservedLoss,
) -> Result<ObservedStep> {
    check_observations(&nca.cfg, ticks.len(), at)?;
    match engine {
        Engine::Fast => {
            let spec = nca.cfg.spec();
            let params = nca.params();
            let mut old = std::mem::take(tapes).into_iter();
            let (mut kept, mut states) = (Vec::new(), Vec::with_capacity(at.len()));
            let mut prev = 0;
            for &t in at {
                let start = states.last().map_or(x0, |s: &Vec<f32>| s.as_slice());
                let seg = &ticks[prev..t];
                let roll = match old.next() {
                    Some(o) => nca_fast::rollout_reusing(&spec, &params, start, dims, seg, o),
                    None => nca_fast::rollout(&spec, &params, start, dims, seg, true),
                }
                .map_err(engine::engine_err)?;
                kept.push(roll.tape.expect("tape kept"));
                states.push(roll.final_state);
                prev = t;
            }
            let (value, mut d) = loss.loss_and_grads(&states);
            let mut total = NcaParams::zeros(&spec);
            let mut carry: Option<Vec<f32>> = None;
            for (k, tape) in kept.iter().enumerate().rev() {
                let mut dk = std::mem::take(&mut d[k]);
                if let Some(c) = carry {
                    dk.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
                }
                let (g, dx) =
                    nca_fast::backward(&spec, &params, tape, &dk).map_err(engine::engine_err)?;
                total.add_assign(&g);
                carry = Some(dx);
            }
            *tapes = kept;
            Ok(ObservedStep {
                loss: value,
                grads: nca.grads_from_engine(total),
                states,
                d_initial: carry.unwrap_or_else(|| vec![0.0; x0.len()]),
            })
        }
        Engine::Burn => {
            let device = nca.device();
            let [b, h, w] = dims;
            let shape = [b, nca.cfg.channels, h, w];
            let x0 =
                Tensor::<4>::from_data(TensorData::new(x0.to_vec(), shape), &device).require_grad();
            let outs = nca.rollout_burn_observed(x0.clone(), ticks, at);
            let states = outs
                .iter()
                .map(|x| tensor_values(x.clone().detach()))
                .collect::<Result<Vec<_>>>()?;
            let (value, d) = loss.loss_and_grads(&states);
            let surrogate = outs
                .into_iter()
                .zip(d)
                .map(|(x, dk)| {
                    let seed = Tensor::<4>::from_data(TensorData::new(dk, shape), &device);
                    (x * seed).sum()
                })
                .reduce(|a, b| a + b)
                .expect("at least one observation");
            let g = surrogate.backward();
            let d_initial = match x0.grad(&g) {
                Some(t) => tensor_values(t)?,
                None => vec![0.0; b * nca.cfg.channels * h * w],
            };
            Ok(ObservedStep {
                loss: value,
                grads: GradientsParams::from_grads(g, nca),
                states,
                d_initial,
            })
        }
    }
}

fn check_observations(cfg: &CaConfig, ticks: usize, at: &[usize]) -> Result<()> {
    let ordered = at.windows(2).all(|p| p[0] <= p[1]);
    if at.is_empty() || !ordered || at[at.len() - 1] != ticks {
        return Err(NcaError::config(
            "observations",
            format!("{at:?} must be non-decreasing tick counts ending at {ticks}"),
        ));
    }
    if let AliveRule::Static { channel, .. } = cfg.alive
        && at.len() > 1
        && cfg.update_channels.contains(&channel)
    {
        return Err(NcaError::config(
            "observations",
            "a static alive rule on an updated channel cannot be observed in segments",
        ));
    }
    Ok(())
}

fn tensor_values(t: Tensor<4>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec()
        .map_err(|e| NcaError::config("state", format!("{e:?}")))
}

/// An automaton in the engine's terms, ready to run ticks forward (evaluation, animation).
pub struct Runner {
    cfg: CaConfig,
    spec: NcaSpec,
    params: NcaParams,
}

impl Runner {
    /// Prepares `nca` for the engine.
    pub fn new(nca: &Nca) -> Self {
        Self {
            cfg: nca.cfg.clone(),
            spec: nca.cfg.spec(),
            params: nca.params(),
        }
    }

    /// The automaton's settings.
    pub fn config(&self) -> &CaConfig {
        &self.cfg
    }

    /// Runs `ticks` ticks on `states` (`dims` = batch, height, width) with fire masks drawn from
    /// `rng` and no residual noise (as the papers evaluate).
    pub fn run(
        &self,
        states: &mut Vec<f32>,
        dims: [usize; 3],
        ticks: usize,
        rng: &mut impl Rng,
    ) -> Result<()> {
        if ticks == 0 {
            return Ok(());
        }
        let masks = self.cfg.draw_ticks(rng, ticks, dims, false);
        let roll = nca_fast::rollout(&self.spec, &self.params, states, dims, &masks, false)
            .map_err(engine::engine_err)?;
        *states = roll.final_state;
        Ok(())
    }
}

/// Per-sample mean squared error of the first `target.len()` values of each of the `b` states
/// (of `per_state` values each) against `target`: e.g. the RGBA channels against an image.
pub fn prefix_mse(states: &[f32], per_state: usize, target: &[f32]) -> Vec<f64> {
    states
        .chunks_exact(per_state)
        .map(|s| {
            s.iter()
                .zip(target)
                .map(|(a, t)| ((a - t) * (a - t)) as f64)
                .sum::<f64>()
                / target.len() as f64
        })
        .collect()
}

/// The mean over the batch of [`prefix_mse`], and its gradient with respect to the states.
pub fn prefix_mse_and_grad(states: &[f32], per_state: usize, target: &[f32]) -> (f32, Vec<f32>) {
    let b = states.len() / per_state;
    let scale = 1.0 / (target.len() * b) as f32;
    let mut d = vec![0.0f32; states.len()];
    let mut total = 0.0f64;
    for k in 0..b {
        for (i, t) in target.iter().enumerate() {
            let si = k * per_state + i;
            let diff = states[si] - t;
            total += (diff * diff) as f64;
            d[si] = 2.0 * diff * scale;
        }
    }
    ((total * scale as f64) as f32, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn small(alive: AliveRule, perception: PerceptionKind, update: Range<usize>) -> CaConfig {
        CaConfig {
            channels: 4,
            perception,
            learned_width: 6,
            perception_relu: perception == PerceptionKind::Learned,
            hidden: vec![8],
            update_channels: update,
            alive,
            fire_rate: 0.5,
            noise_std: 0.05,
        }
    }

    #[test]
    fn ticks_are_drawn_fire_then_noise() {
        let cfg = small(
            AliveRule::Static {
                channel: 0,
                threshold: 0.1,
            },
            PerceptionKind::Learned,
            1..4,
        );
        let t = cfg.draw_ticks(&mut StdRng::seed_from_u64(3), 2, [2, 3, 3], true);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].fire.len(), 18);
        assert_eq!(t[0].noise.as_ref().unwrap().len(), 2 * 3 * 9);
        let quiet = cfg.draw_ticks(&mut StdRng::seed_from_u64(3), 2, [2, 3, 3], false);
        assert_eq!(quiet[0].fire, t[0].fire);
        assert!(quiet[0].noise.is_none());
    }

    #[test]
    fn training_noise_is_drawn_only_where_an_engine_adds_it() {
        let cfg = small(
            AliveRule::Static {
                channel: 0,
                threshold: 0.1,
            },
            PerceptionKind::Learned,
            1..4,
        );
        let (b, hw) = (2, 64);
        // Every other cell alive in channel 0; the other channels are never tested.
        let mut x0 = vec![0.0; b * 4 * hw];
        for bi in 0..b {
            for cell in (0..hw).step_by(2) {
                x0[bi * 4 * hw + cell] = 1.0;
            }
        }
        let ticks = cfg.draw_training_ticks(&mut StdRng::seed_from_u64(5), 3, &x0, [b, 8, 8]);
        let mut drawn = Vec::new();
        for t in &ticks {
            let noise = t.noise.as_ref().expect("noise");
            assert_eq!(noise.len(), b * 3 * hw);
            for bi in 0..b {
                for cell in 0..hw {
                    let active = t.fire[bi * hw + cell] != 0 && cell % 2 == 0;
                    for j in 0..3 {
                        let v = noise[(bi * 3 + j) * hw + cell];
                        assert_eq!(v != 0.0, active, "item {bi} cell {cell} channel {j}");
                        if active {
                            drawn.push(v as f64);
                        }
                    }
                }
            }
        }
        let std = (drawn.iter().map(|v| v * v).sum::<f64>() / drawn.len() as f64).sqrt();
        assert!(
            (std - 0.05).abs() < 0.01,
            "std {std} of {} samples",
            drawn.len()
        );
        // Under the max-pool rule every firing cell may be active.
        let grow = small(
            AliveRule::MaxPool {
                channel: 3,
                threshold: 0.1,
            },
            PerceptionKind::Sobel,
            0..4,
        );
        let t = grow.draw_training_ticks(&mut StdRng::seed_from_u64(5), 1, &x0, [b, 8, 8]);
        let noise = t[0].noise.as_ref().expect("noise");
        for (i, &f) in t[0].fire.iter().enumerate() {
            let (bi, cell) = (i / hw, i % hw);
            assert_eq!(noise[(bi * 4) * hw + cell] != 0.0, f != 0);
        }
    }

    #[test]
    fn the_prefix_mse_gradient_matches_finite_differences() {
        let states: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let target = [0.2, -0.1, 0.4];
        let (l, d) = prefix_mse_and_grad(&states, 6, &target);
        let per = prefix_mse(&states, 6, &target);
        assert!((l as f64 - (per[0] + per[1]) / 2.0).abs() < 1e-6);
        for i in [0, 2, 6, 8, 4] {
            let mut s = states.clone();
            s[i] += 1e-3;
            let (l2, _) = prefix_mse_and_grad(&s, 6, &target);
            assert!(((l2 - l) / 1e-3 - d[i]).abs() < 1e-3, "{i}");
        }
    }

    /// An automaton of `cfg` with every layer's weights random (so every layer gets a
    /// gradient), two random `side`² grids of its 4 channels and `n` ticks of masks.
    fn two_random_grids(
        cfg: &CaConfig,
        device: &Device,
        seed: u64,
        side: usize,
        n: usize,
        random_fire: bool,
    ) -> (Nca, [usize; 3], Vec<f32>, Vec<TickMasks>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut nca = Nca::new(cfg.clone(), device, &mut rng);
        nca.update = CellMlp::new(&[cfg.features(), 8, cfg.update_width()], false, device);
        nca = crate::init::torch_default(nca, &mut rng);
        let dims = [2, side, side];
        let x0 = (0..2 * 4 * side * side)
            .map(|_| rng.random_range(0.0..1.0))
            .collect();
        let ticks = cfg.draw_ticks(&mut rng, n, dims, random_fire);
        (nca, dims, x0, ticks)
    }

    #[test]
    fn both_engines_compute_the_same_observed_step() {
        let device = Device::flex().autodiff();
        let cfg = small(
            AliveRule::Static {
                channel: 3,
                threshold: f32::NEG_INFINITY,
            },
            PerceptionKind::Sobel,
            0..3,
        );
        let (nca, dims, x0, ticks) = two_random_grids(&cfg, &device, 4, 4, 5, false);
        let at = [2, 2, 5];
        let loss = |states: &[Vec<f32>]| {
            let mut total = 0.0;
            let d = states
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    let target = vec![0.1 * k as f32; 16];
                    let (l, d) = prefix_mse_and_grad(s, 64, &target);
                    total += l;
                    d
                })
                .collect();
            (total, d)
        };
        let run = |engine| {
            train_step_observed(&nca, engine, &x0, dims, &ticks, &at, &mut Vec::new(), &loss)
                .unwrap()
        };
        let (fast, burn) = (run(Engine::Fast), run(Engine::Burn));
        assert!((fast.loss - burn.loss).abs() < 1e-5);
        assert_eq!(fast.states.len(), 3);
        let max_diff = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
        };
        assert!(max_diff(&fast.states[2], &burn.states[2]) < 1e-5);
        // The read-only channel 3 gets its gradient through perception only.
        assert!(
            fast.d_initial[3 * 16..4 * 16]
                .iter()
                .any(|v| v.abs() > 1e-6)
        );
        assert!(max_diff(&fast.d_initial, &burn.d_initial) < 1e-5);
        let bad = train_step_observed(
            &nca,
            Engine::Fast,
            &x0,
            dims,
            &ticks,
            &[3, 2],
            &mut Vec::new(),
            &loss,
        );
        assert!(bad.is_err());
    }

    #[test]
    fn both_engines_compute_the_same_step() {
        let device = Device::flex().autodiff();
        for (alive, perception, update) in [
            (
                AliveRule::Static {
                    channel: 0,
                    threshold: 0.1,
                },
                PerceptionKind::Learned,
                1..4,
            ),
            (
                AliveRule::MaxPool {
                    channel: 3,
                    threshold: 0.1,
                },
                PerceptionKind::Sobel,
                0..4,
            ),
        ] {
            let cfg = small(alive, perception, update);
            let (nca, dims, x0, ticks) = two_random_grids(&cfg, &device, 1, 5, 3, true);
            let target = vec![0.5f32; 25];
            let loss = |s: &[f32]| prefix_mse_and_grad(s, 100, &target);
            let fast = train_step(&nca, Engine::Fast, &x0, dims, &ticks, &mut None, &loss).unwrap();
            let burn = train_step(&nca, Engine::Burn, &x0, dims, &ticks, &mut None, &loss).unwrap();
            assert!((fast.loss - burn.loss).abs() < 1e-5, "{cfg:?}");
            let diff = fast
                .final_state
                .iter()
                .zip(&burn.final_state)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(diff < 1e-5, "{diff}");
            let id = nca.update.layers[0].weight.id;
            let grad = |g: &GradientsParams| -> Vec<f32> {
                let t = g.get::<4>(id).unwrap();
                t.into_data().try_to_vec::<f32>().unwrap()
            };
            let (gf, gb) = (grad(&fast.grads), grad(&burn.grads));
            let scale = gb.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
            let err = gf
                .iter()
                .zip(&gb)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()))
                / scale;
            assert!(err < 1e-4, "{cfg:?}: {err}");
        }
    }
}
