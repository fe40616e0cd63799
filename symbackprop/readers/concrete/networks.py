"""What a network class whose ``loss(X, y)`` returns ``loss, grads`` is made and called with
(``FullyConnectedNet(hidden_dims, input_dim=..., num_classes=..., dropout_keep_ratio=1,
normalization=None, reg=0.0, ...)``, ``ThreeLayerConvNet(input_dim=(3, 32, 32),
num_filters=32, filter_size=7, ...)``): small sizes by the arguments' names, a regularisation
strength that is not 0, float64, and one configuration for each way it can be built (each
normalisation it compares against by name, dropout on, a wider filter).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from symbackprop.errors import UnsupportedConstruct

SAMPLES, INPUTS, HIDDEN, CLASSES = 6, 5, (4, 3), 3
IMAGES, IMAGE = 3, (2, 6, 6)  # images: channels, height, width (the pool halves 6 evenly)
FILTERS, FILTER_SIZE, WIDE_FILTER = 2, 3, 5
STRENGTH = 0.3  # the regularisation strength: away from 0 and 1, so a term wrong by it shows
KEEP = 0.6  # dropout's keep probability, or drop probability: neither 0 nor 1 either way


@dataclass
class Made:
    """One configuration: the constructor's keywords, and how it is described."""

    keywords: dict
    described: str
    inputs: tuple[int, ...] = (SAMPLES, INPUTS)  # the shape of X


def network_configurations(cls: ast.ClassDef, init: ast.FunctionDef | None) -> list[Made]:
    """The configurations a network class is judged in: its plain one, then each option on."""
    if init is None:
        return [Made({}, f"{cls.name}()")]
    spec = init.args
    arguments = spec.args[1:]
    defaults = [None] * (len(arguments) - len(spec.defaults)) + list(spec.defaults)
    base, options = {}, []
    for argument, default in zip(arguments, defaults, strict=True):
        name = argument.arg
        value = _sized(name.lower(), default)
        if value is None and default is None:
            raise UnsupportedConstruct(f"cannot tell what {cls.name}() takes as {name}")
        if value is not None:
            base[name] = value
        if "dropout" in name.lower() or "keep" in name.lower():
            options.append({name: KEEP})
        elif "filter" in name.lower() and "size" in name.lower():
            options.append({name: WIDE_FILTER})  # a padding right at one size only shows
        elif isinstance(default, ast.Constant) and default.value is False:
            options.append({name: True})  # use_batchnorm=False
        options += [{name: word} for word in _compared_words(cls, name)]
    images = any(isinstance(v, tuple) for v in base.values())
    inputs = (IMAGES, *IMAGE) if images else (SAMPLES, INPUTS)
    made = [Made(base, _described(cls.name, base), inputs)]
    for option in options:
        keywords = base | option
        made.append(Made(keywords, _described(cls.name, keywords), inputs))
    return made


def loss_keywords(method: ast.FunctionDef) -> dict[str, float]:
    """What ``loss(X, y=None, reg=0.0)`` takes beyond the data: a regularisation strength
    that is not 0, so that its terms show; other arguments keep their defaults."""
    names = [a.arg for a in method.args.args[3:]]
    return {name: STRENGTH for name in names if _sized(name.lower(), None) == STRENGTH}


def network_data(made: Made, rng) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (rows, or images channels first) and integer labels with one class repeated."""
    X = rng.standard_normal(made.inputs)
    y = rng.integers(0, CLASSES, size=made.inputs[0])
    y[-1] = y[0]
    return X, y


def _sized(name: str, default: ast.expr | None):
    """The value an argument takes here, by its name; None keeps its default."""
    if isinstance(default, ast.Tuple):  # input_dim=(3, 32, 32): images, channels first
        if len(default.elts) != len(IMAGE):
            raise UnsupportedConstruct(f"cannot tell what {name} = {ast.unparse(default)} is")
        return IMAGE
    if name.endswith("sizes") or name in ("layers", "layer_dims", "dims"):  # every layer's
        return [INPUTS, *HIDDEN, CLASSES]
    if "filter" in name:
        return FILTER_SIZE if "size" in name else FILTERS
    if name.endswith("dims") and "hidden" in name:
        return list(HIDDEN)
    if "hidden" in name:
        return HIDDEN[0]
    if "input" in name:
        return INPUTS
    if "class" in name or "output" in name:
        return CLASSES
    if name == "reg" or name.startswith("reg") or name.endswith("reg"):
        return STRENGTH
    if name == "dtype":
        return np.float64
    return None


def _compared_words(cls: ast.ClassDef, argument: str) -> list[str]:
    """The words the class compares something named for ``argument`` with
    (``self.normalization == "batchnorm"``): each a configuration of its own."""
    words = []
    for node in ast.walk(cls):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
            continue
        if not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            continue
        left, right = node.left, node.comparators[0]
        for named, word in ((left, right), (right, left)):
            mentions = argument in ast.unparse(named)
            if mentions and isinstance(word, ast.Constant) and isinstance(word.value, str):
                words.append(word.value)
    return list(dict.fromkeys(words))


def _described(name: str, keywords: dict) -> str:
    shown = [
        f"{k}=np.{v.__name__}" if isinstance(v, type) else f"{k}={v!r}" for k, v in keywords.items()
    ]
    return f"{name}({', '.join(shown)})"
