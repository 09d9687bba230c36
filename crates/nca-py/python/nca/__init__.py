"""Neural Cellular Automata from Python: the `nca` Rust engine and its trained models.

>>> import nca
>>> lizard = nca.load("lizard")            # a shipped model, or a path to a checkpoint
>>> x = lizard.step(lizard.seed(), ticks=96, seed=0)
>>> nca.to_rgb(x).shape                    # [batch, height, width, 3], for plotting
(1, 72, 72, 3)

Arrays are NumPy float32 ``[batch, channels, height, width]``. Inputs are copied once into the
engine's buffer (it updates states in place, so your array is never changed); outputs are the
engine's buffer handed to NumPy without a copy. Compute runs in Rust with the GIL released.
Errors raise ``ValueError`` (bad input), ``OSError`` (files) or ``RuntimeError`` (a diverged
training run) with the library's one-line message.
"""

from ._native import Model, __version__, load, mnist, shipped_models, train
from . import life

__all__ = [
    "Model",
    "ProgressBar",
    "__version__",
    "export_onnx",
    "life",
    "load",
    "mnist",
    "shipped_models",
    "to_rgb",
    "train",
]


def to_rgb(state):
    """RGB images ``[batch, height, width, 3]`` in [0, 1] of grow states ``[batch, C, H, W]``
    (or one state ``[C, H, W]``): the premultiplied RGBA channels over a white background."""
    import numpy as np

    s = np.asarray(state, dtype=np.float32)
    single = s.ndim == 3
    if single:
        s = s[None]
    rgb, alpha = s[:, :3], np.clip(s[:, 3:4], 0.0, 1.0)
    out = np.clip(1.0 - alpha + rgb, 0.0, 1.0).transpose(0, 2, 3, 1)
    return out[0] if single else out


def export_onnx(model, path, force=False):
    """Writes ``model``'s ONNX graph to ``path`` (as ``nca <family> export-onnx``)."""
    model.export_onnx(path, force=force)


class ProgressBar:
    """A ``progress`` callback for :func:`train`: tqdm's bar when tqdm is installed, else one
    line rewritten in place (works in terminals and notebooks)."""

    def __init__(self, every=1):
        self.every = max(1, int(every))
        self._bar = None

    def __call__(self, step, steps):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            if self._bar is None:
                self._bar = tqdm(total=steps, initial=step, unit="step")
            self._bar.update(step - self._bar.n)
            if step >= steps:
                self._bar.close()
        elif step % self.every == 0 or step >= steps:
            end = "\n" if step >= steps else ""
            print(f"\rstep {step}/{steps}", end=end, flush=True)
