//! A validated spec with its parameters prepared for the sparse kernels.

use crate::mlp::Mlp;
use crate::perceive::{Grid, Perceiver};
use crate::spec::{NcaParams, NcaSpec, ShapeError, shape_err};

/// Everything forward and backward need from the spec and the parameters.
pub(crate) struct Engine<'a> {
    pub spec: &'a NcaSpec,
    pub perceiver: Perceiver,
    pub mlp: Mlp<'a>,
    /// First update channel.
    pub u0: usize,
    /// Number of update channels.
    pub u: usize,
}

impl<'a> Engine<'a> {
    /// Validates `params` against `spec` and prepares them.
    pub fn new(spec: &'a NcaSpec, params: &'a NcaParams) -> Result<Self, ShapeError> {
        spec.validate(params)?;
        let perceiver = Perceiver::new(spec, params.perception.as_ref());
        let order = perceiver.feature_order(spec.channels);
        Ok(Self {
            spec,
            perceiver,
            mlp: Mlp::new(&params.layers, spec.layer_dims(), order),
            u0: spec.update_channels.start,
            u: spec.update_width(),
        })
    }
}

/// The grid of a `[b, h, w]` batch with `c` channels, with the number of cells per item, after
/// checking that sizes neither overflow nor exceed the `u32` cell indices.
pub(crate) fn grid(c: usize, [b, h, w]: [usize; 3]) -> Result<(Grid, usize), ShapeError> {
    let hw = h.checked_mul(w).filter(|&v| v <= u32::MAX as usize);
    let Some(hw) = hw else {
        return shape_err!("dims: grid {h}x{w} has too many cells");
    };
    if hw.checked_mul(c).and_then(|v| v.checked_mul(b)).is_none() {
        return shape_err!("dims: [{b}, {c}, {h}, {w}] overflows usize");
    }
    Ok((Grid { h, w, c }, hw))
}
