//! One tick at a time: a batch of states, a model and a seeded generator, advanced by
//! `nca-fast` with the masks drawn as `nca` draws them at inference (`classify::eval::Runner`,
//! `grow::eval::Runner`: a fire mask per tick and, if asked, residual noise after it).

use nca_fast::{NcaParams, NcaSpec, TickMasks};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::{Result, bail};
use crate::masks::{fire_mask, gaussian_values};

/// A running cellular model: state `[B, C, H, W]`, its spec and weights, and the generator of its
/// fire masks.
#[derive(Clone, Debug)]
pub struct Stepper {
    /// The engine's description.
    pub spec: NcaSpec,
    /// The weights.
    pub params: NcaParams,
    /// `[B, H, W]`.
    pub dims: [usize; 3],
    /// The state, `[B, C, H, W]` channel-major.
    pub state: Vec<f32>,
    /// Probability that a cell fires in a tick.
    pub fire_rate: f32,
    /// Standard deviation of the residual noise drawn after each fire mask (0: none, as at
    /// inference in `nca`).
    pub noise_std: f32,
    /// Ticks run since the last reset.
    pub ticks: u64,
    rng: StdRng,
}

impl Stepper {
    /// A stepper over `state` (`dims` = batch, height, width) whose masks come from
    /// `StdRng::seed_from_u64(seed)`.
    pub fn new(
        spec: NcaSpec,
        params: NcaParams,
        state: Vec<f32>,
        dims: [usize; 3],
        fire_rate: f32,
        seed: u64,
    ) -> Result<Self> {
        spec.validate(&params)?;
        let [b, h, w] = dims;
        if state.len() != b * spec.channels * h * w {
            bail!(
                "state has {} values, expected [{b}, {}, {h}, {w}]",
                state.len(),
                spec.channels
            );
        }
        Ok(Self {
            spec,
            params,
            dims,
            state,
            fire_rate,
            noise_std: 0.0,
            ticks: 0,
            rng: StdRng::seed_from_u64(seed),
        })
    }

    /// Restarts the mask generator from `seed` and the tick count from 0.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
        self.ticks = 0;
    }

    /// The next tick's masks, drawn in `nca`'s order.
    pub fn draw(&mut self) -> TickMasks {
        let [b, h, w] = self.dims;
        let fire = fire_mask(&mut self.rng, b * h * w, self.fire_rate);
        let noise = (self.noise_std > 0.0).then(|| {
            gaussian_values(
                &mut self.rng,
                b * self.spec.update_width() * h * w,
                self.noise_std,
            )
        });
        TickMasks { fire, noise }
    }

    /// Runs `n` ticks.
    pub fn run(&mut self, n: usize) -> Result<()> {
        for _ in 0..n {
            let masks = [self.draw()];
            let roll = nca_fast::rollout(
                &self.spec,
                &self.params,
                &self.state,
                self.dims,
                &masks,
                false,
            )?;
            self.state = roll.final_state;
            self.ticks += 1;
        }
        Ok(())
    }
}
