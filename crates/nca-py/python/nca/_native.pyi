"""Type stubs of the extension module `nca._native` (re-exported by `nca` and `nca.life`)."""

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

F32 = npt.NDArray[np.float32]
PathLike = Union[str, "os.PathLike[str]"]

class Model:
    """A loaded checkpoint of any family (`load`)."""

    @property
    def family(self) -> str: ...
    @property
    def trained_steps(self) -> int: ...
    @property
    def config(self) -> Dict[str, Any]: ...
    @property
    def channels(self) -> int: ...
    def parameters(self) -> Dict[str, F32]: ...
    def seed(self, arg: Any = None, images: Optional[F32] = None, seed: int = 0) -> F32: ...
    def step(self, state: F32, ticks: int = 1, seed: Optional[int] = None) -> F32: ...
    def rollout(
        self, state: F32, ticks: int, seed: Optional[int] = None, every: int = 1
    ) -> F32: ...
    def reseed(self, seed: int) -> None: ...
    @property
    def target(self) -> F32: ...
    def cut(
        self,
        state: F32,
        x: Optional[float] = None,
        y: Optional[float] = None,
        r: Optional[float] = None,
    ) -> F32: ...
    def evaluate(
        self,
        runs: int = 8,
        seed: int = 0,
        limit: Optional[int] = None,
        data: Optional[PathLike] = None,
        ticks_before: int = 200,
        ticks_after: int = 200,
    ) -> Dict[str, Any]: ...
    def predict(self, digits: F32, ticks: int = 200, seed: int = 0) -> npt.NDArray[np.int64]: ...
    def generate(
        self, labels: Sequence[int], images: Optional[F32] = None, seed: int = 0
    ) -> F32: ...
    def grow(self, labels: Sequence[int], seed: int = 0) -> F32: ...
    def refine(self, digits: F32) -> F32: ...
    def verdict(self, image: F32) -> Dict[str, Any]: ...
    def export_onnx(self, path: PathLike, force: bool = False) -> None: ...

def load(path_or_name: PathLike) -> Model: ...
def shipped_models() -> List[Tuple[str, str]]: ...
def mnist(
    split: str = "test", data: Optional[PathLike] = None, limit: Optional[int] = None
) -> Tuple[F32, npt.NDArray[np.uint8]]: ...
def train(
    family: str,
    out: PathLike,
    steps: int,
    resume: bool = False,
    seed: int = 42,
    progress: Optional[Callable[[int, int], Any]] = None,
    **settings: Any,
) -> Dict[str, Any]: ...

class Grid:
    """A Life-like cellular automaton."""

    def __init__(
        self,
        width: Optional[int] = None,
        height: Optional[int] = None,
        rule: str = "B3/S23",
        topology: str = "torus",
        cells: Optional[npt.ArrayLike] = None,
    ) -> None: ...
    @staticmethod
    def pattern(
        rle_or_name: str,
        width: Optional[int] = None,
        height: Optional[int] = None,
        margin: int = 8,
        rule: Optional[str] = None,
        topology: str = "torus",
    ) -> "Grid": ...
    @staticmethod
    def random(
        width: int,
        height: int,
        density: float = 0.5,
        seed: int = 0,
        rule: str = "B3/S23",
        topology: str = "torus",
    ) -> "Grid": ...
    def step(self, steps: int = 1) -> "Grid": ...
    @property
    def cells(self) -> npt.NDArray[np.uint8]: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def population(self) -> int: ...
    @property
    def generation(self) -> int: ...
    @property
    def rule(self) -> str: ...
    def to_rle(self) -> str: ...

def life_patterns() -> List[str]: ...
def eca_run(
    rule: int,
    steps: int,
    width: int = 101,
    start: Union[None, str, npt.ArrayLike] = None,
    boundary: str = "wrap",
    seed: int = 0,
) -> npt.NDArray[np.uint8]: ...

class Lenia:
    """A Lenia world."""

    def __init__(
        self, pattern: str = "orbium", width: int = 128, height: int = 128, place: bool = True
    ) -> None: ...
    def step(self, steps: int = 1) -> "Lenia": ...
    @property
    def cells(self) -> F32: ...
    @cells.setter
    def cells(self, value: F32) -> None: ...
    @property
    def steps(self) -> int: ...
    @property
    def mass(self) -> float: ...

def lenia_patterns() -> List[str]: ...
