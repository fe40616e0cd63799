"""The NumPy a learner's layer code may call, for the concrete reader: every entry is a
function of ours or a NumPy function known to compute on numbers only (no files, no imports,
no code), and every array it makes is bounded in size.

While a forward function is evaluated on :class:`~symbackprop.readers.concrete.tape.Tracked`
numbers, arrays are NumPy object arrays: constructors make them so (a zeros array the loop
fills with tracked numbers), and the elementwise functions NumPy would call by name on each
element (``exp``, ``log``) also accept the plain numbers beside them.
"""

from __future__ import annotations

import math

import numpy as np

from symbackprop.errors import LimitExceeded, UnsupportedConstruct
from symbackprop.readers.concrete.tape import Tracked, value_of

MAX_ELEMENTS = 200_000  # of one array: the reader's sizes make a few thousand at most


class Arrays:
    """``np`` as the code sees it: ``tracking`` when object arrays hold tracked numbers."""

    def __init__(self, tracking: bool, seed: int = 0):
        self.tracking = tracking
        self.random = Random(seed)

    # -- constructors ------------------------------------------------------------------------
    def _made(self, shape, fill: float, dtype=None) -> np.ndarray:
        shape = _shape(shape)
        if dtype is not None and dtype not in (float, np.float64, np.float32, "float64"):
            return np.full(shape, fill, dtype=dtype)
        if self.tracking:
            return np.full(shape, float(fill), dtype=object)
        return np.full(shape, float(fill))

    def zeros(self, shape, dtype=None):
        return self._made(shape, 0.0, dtype)

    def ones(self, shape, dtype=None):
        return self._made(shape, 1.0, dtype)

    def empty(self, shape, dtype=None):
        return self._made(shape, 0.0, dtype)

    def full(self, shape, fill, dtype=None):
        if isinstance(fill, Tracked):
            return np.full(_shape(shape), fill, dtype=object)
        return self._made(shape, fill, dtype)

    def zeros_like(self, a, dtype=None):
        return self._made(np.shape(a), 0.0, dtype if dtype is not None else _kind(a))

    def ones_like(self, a, dtype=None):
        return self._made(np.shape(a), 1.0, dtype if dtype is not None else _kind(a))

    empty_like = zeros_like

    def full_like(self, a, fill, dtype=None):
        return self.full(np.shape(a), fill, dtype)


def _kind(a):
    """The dtype a ``*_like`` copy keeps: integers and booleans stay so, numbers float."""
    a = np.asarray(a)
    return a.dtype if a.dtype.kind in "biu" else None


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise UnsupportedConstruct(f"an array of negative size {shape}")
    check_size(shape)
    return shape


def check_size(shape) -> None:
    """Refuse an array larger than any the reader's sizes make, before it is made."""
    if math.prod(shape) > MAX_ELEMENTS:
        raise LimitExceeded(f"an array of {math.prod(shape)} elements (at most {MAX_ELEMENTS})")


def _sized(function, size):
    """``function``, refused where ``size(*args, **kwargs)`` (its result's) is too large."""

    def call(*args, **kwargs):
        check_size((int(size(*args, **kwargs)),))
        return function(*args, **kwargs)

    return call


def _arange_size(*args, **kwargs) -> float:
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    return max(0, math.ceil((stop - start) / step)) if step else 0


def _tile_size(a, reps, **kwargs) -> int:
    return np.size(a) * math.prod(np.atleast_1d(reps).tolist())


def _repeat_size(a, repeats, axis=None) -> int:
    return np.size(a) * int(np.max(repeats)) if np.size(repeats) else 0


def _pad_size(a, pad_width, *args, **kwargs) -> int:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(a), 2))
    return math.prod(n + int(w.sum()) for n, w in zip(np.shape(a), widths, strict=True))


class Random:
    """``np.random`` with the reader's own generator: seeds set by the code are kept, so that a
    forward and its backward see the same mask."""

    def __init__(self, seed: int):
        self._state = np.random.RandomState(seed)

    def seed(self, seed=None):
        self._state = np.random.RandomState(0 if seed is None else int(seed) % 2**32)

    def rand(self, *shape):
        return self._state.rand(*_shape(shape))

    def randn(self, *shape):
        return self._state.randn(*_shape(shape))

    def random(self, size=None):
        return self._state.random_sample(None if size is None else _shape(size))

    random_sample = random

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._state.uniform(low, high, None if size is None else _shape(size))

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._state.normal(loc, scale, None if size is None else _shape(size))

    def binomial(self, n, p, size=None):
        return self._state.binomial(n, p, None if size is None else _shape(size))

    def choice(self, a, size=None, replace=True, p=None):
        return self._state.choice(a, None if size is None else _shape(size), replace, p)


# -- elementwise functions on numbers, tracked or not ---------------------------------------------
def _elementwise(tracked_method: str, plain):
    def apply(x, *args, **kwargs):
        if args or kwargs:
            raise UnsupportedConstruct(f"np.{tracked_method} with more than one argument")
        if isinstance(x, Tracked):
            return getattr(x, tracked_method)()
        if isinstance(x, np.ndarray) and x.dtype == object:
            one = np.frompyfunc(lambda v: apply(v), 1, 1)
            return one(x)
        return plain(x)

    return apply


def _sign(x):
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.sign(np.vectorize(value_of, otypes=[float])(x))
    return np.sign(value_of(x))


def _log1p(x):
    return LOG(1 + x)


def _expm1(x):
    return EXP(x) - 1


def variance(a, axis=None, keepdims=False, ddof=0):
    mean = np.mean(a, axis=axis, keepdims=True)
    count = np.size(a) if axis is None else math.prod(np.shape(a)[i] for i in _axes(axis))
    return np.sum((a - mean) ** 2, axis=axis, keepdims=keepdims) / (count - ddof)


def deviation(a, axis=None, keepdims=False, ddof=0):
    return SQRT(variance(a, axis=axis, keepdims=keepdims, ddof=ddof))


def _axes(axis) -> tuple[int, ...]:
    return tuple(axis) if isinstance(axis, tuple | list) else (axis,)


def _maximum(a, b):
    return np.where(_greater(a, b), a, b) if _objects(a, b) else np.maximum(a, b)


def _minimum(a, b):
    return np.where(_greater(b, a), a, b) if _objects(a, b) else np.minimum(a, b)


def _greater(a, b):
    return np.asarray(np.greater(a, b), dtype=bool)


def _objects(*values) -> bool:
    return any(
        isinstance(v, Tracked) or (isinstance(v, np.ndarray) and v.dtype == object) for v in values
    )


def clipped(a, low, high):
    if low is not None:
        a = _maximum(a, low)
    if high is not None:
        a = _minimum(a, high)
    return a


def _abs(a):
    return abs(a) if isinstance(a, Tracked) else np.abs(a)


def as_float(value=0.0):
    """``float(b)``: a number, or the one number of a one-entry array (``float(b)`` of a
    (1, 1, 1) bias), tracked numbers staying tracked."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    return value if isinstance(value, Tracked) else float(value)


def _cast(scalar, dtype):
    """``np.int64(A2 > 0)``: an array cast entry by entry (a mask made 0 and 1), a number as
    ``scalar`` makes it."""

    def cast(value=0):
        if isinstance(value, np.ndarray) and value.ndim > 0:
            if value.dtype == object:  # tracked numbers: cast only when none is tracked
                return np.vectorize(lambda v: scalar(value_of(v)), otypes=[dtype])(value)
            return value.astype(dtype)
        return scalar(value)

    return cast


def _sigmoid(x):
    return 1 / (1 + EXP(-x))


EXP = _elementwise("exp", np.exp)
LOG = _elementwise("log", np.log)
SQRT = _elementwise("sqrt", np.sqrt)
TANH = _elementwise("tanh", np.tanh)


def _add_at(array, indices, values):
    np.add.at(array, indices, values)


def _subtract_at(array, indices, values):
    np.subtract.at(array, indices, values)


def _norm(a, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's own keyword
    """``np.linalg.norm``'s default: the square root of the sum of squares (2-norm of a vector,
    Frobenius of a matrix), tracked numbers included."""
    if ord is not None:
        raise UnsupportedConstruct(f"np.linalg.norm(..., ord={ord!r})")
    return SQRT(np.sum(a * a, axis=axis, keepdims=keepdims))


def _finite(a, *args, **kwargs):
    """``np.nan_to_num``: the numbers the reader draws make no NaN or infinity, so it changes
    nothing (a cross-entropy's ``nan_to_num(-y * np.log(a))``)."""
    return a


# name -> the function called, for ``np.NAME``; constructors and ``random`` come from Arrays
FUNCTIONS = {
    "exp": EXP,
    "log": LOG,
    "sqrt": SQRT,
    "tanh": TANH,
    "log1p": _log1p,
    "expm1": _expm1,
    "sign": _sign,
    "abs": _abs,
    "absolute": _abs,
    "maximum": _maximum,
    "minimum": _minimum,
    "clip": clipped,
    "var": variance,
    "std": deviation,
    "square": lambda a: a * a,
    "power": lambda a, b: a**b,
    "multiply": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "divide": lambda a, b: a / b,
    "true_divide": lambda a, b: a / b,
    "negative": lambda a: -a,
    "sum": np.sum,
    "nansum": np.sum,  # the numbers the reader draws are never NaN
    "nan_to_num": _finite,
    "mean": np.mean,
    "max": np.max,
    "amax": np.max,
    "min": np.min,
    "amin": np.min,
    "argmax": np.argmax,
    "argmin": np.argmin,
    "prod": np.prod,
    "cumsum": np.cumsum,
    "dot": np.dot,
    "matmul": np.matmul,
    "outer": _sized(np.outer, lambda a, b: np.size(a) * np.size(b)),
    "inner": np.inner,
    "tensordot": np.tensordot,
    "einsum": np.einsum,
    "transpose": np.transpose,
    "swapaxes": np.swapaxes,
    "moveaxis": np.moveaxis,
    "reshape": np.reshape,
    "ravel": np.ravel,
    "squeeze": np.squeeze,
    "expand_dims": np.expand_dims,
    "concatenate": np.concatenate,
    "stack": np.stack,
    "vstack": np.vstack,
    "hstack": np.hstack,
    "column_stack": np.column_stack,
    "split": np.split,
    "hsplit": np.hsplit,
    "vsplit": np.vsplit,
    "array_split": np.array_split,
    "pad": _sized(np.pad, _pad_size),
    "flip": np.flip,
    "fliplr": np.fliplr,
    "diagflat": np.diagflat,
    "diag": np.diag,
    "flipud": np.flipud,
    "rot90": np.rot90,
    "tile": _sized(np.tile, _tile_size),
    "repeat": _sized(np.repeat, _repeat_size),
    "where": np.where,
    "copy": np.copy,
    "array": np.array,
    "asarray": np.asarray,
    "arange": _sized(np.arange, _arange_size),
    "eye": _sized(np.eye, lambda n, m=None, *a, **k: n * (n if m is None else m)),
    "identity": _sized(np.identity, lambda n, *a, **k: n * n),
    "unravel_index": np.unravel_index,
    "ravel_multi_index": np.ravel_multi_index,
    "nonzero": np.nonzero,
    "argwhere": np.argwhere,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_not": np.logical_not,
    "isclose": np.isclose,
    "allclose": np.allclose,
    "shape": np.shape,
    "ndim": np.ndim,
    "size": np.size,
    "heaviside": lambda a, b: np.heaviside(np.vectorize(value_of)(a) if _objects(a) else a, b),
    "ndarray": np.ndarray,
    "float64": _cast(as_float, float),
    "float32": _cast(as_float, float),
    "int64": _cast(int, int),
    "int32": _cast(int, int),
    "bool_": _cast(bool, bool),
}
# ``np.add.at(dW, idx, dout)`` and friends: attribute chains of two names
# ``np.A.B``: the ufunc methods, and a vector's length
DOTTED_FUNCTIONS = {
    ("add", "at"): _add_at,
    ("subtract", "at"): _subtract_at,
    ("linalg", "norm"): _norm,
}
CONSTANTS = {"pi": math.pi, "e": math.e, "newaxis": None, "inf": math.inf, "nan": math.nan}
DTYPES = {"float64", "float32", "int64", "int32", "bool_", "float_", "int_"}
SIGMOID_NAMES = {"scipy.special.expit": _sigmoid}
