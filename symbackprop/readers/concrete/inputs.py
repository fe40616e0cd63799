"""The arguments the concrete reader calls a layer's forward (or a loss function) with: small,
distinct sizes by the conventions course code follows, and several settings of its config dict
(strides, padding, pooling windows that overlap and that don't), so that a mistake that only
shows at stride 2, or only where windows overlap, is seen.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from symbackprop.readers.concrete.interpreter import Instance
from symbackprop.readers.layerconfig import argument_names, config_dicts, config_keys

# sizes by role: every dimension of an array distinct, so a transposition cannot pass
_N, _C, _H, _W, _F, _HH, _WW = 2, 4, 5, 6, 8, 3, 2
_T, _D, _HIDDEN, _M, _V, _CLASSES, _SAMPLES = 3, 4, 5, 6, 5, 3, 5
_GATES = {"lstm": 4, "gru": 3}

# a config dict's keys, by setting; a key a setting lacks keeps its first value. Padding
# stays below the kernel's sizes: a window of padding alone gives outputs that tie exactly,
# and a max over ties has no one gradient
_CONFIGS = [
    {"stride": 1, "pad": 1, "pool_height": 2, "pool_width": 2, "f": 2, "pool_size": 2},
    {"stride": 2, "pad": 1, "pool_height": 3, "pool_width": 3, "f": 3, "pool_size": 3},
    {"stride": 2, "pad": 0, "pool_height": 2, "pool_width": 2, "f": 2, "pool_size": 2},
    {"stride": 1, "pad": 1, "pool_height": 2, "pool_width": 3, "f": 3, "pool_size": 2},
]
_STRIDED = ("stride", "pad", "pool_height", "pool_width", "f", "pool_size")
# Samples as columns and images with channels last, as the other popular course writes them:
# its arguments and the keys of its ``parameters`` dict, by name
_M, _NX, _NA, _NY, _CL = 3, 4, 5, 2, 2
_COLUMNS = {
    "A_prev": (_M, _H, _W, _C),
    "xt": (_NX, _M),
    "a_prev": (_NA, _M),
    "c_prev": (_NA, _M),
    "a0": (_NA, _M),
}
_CHANNELS_LAST = {"W": (_HH, _HH, _C, _CL), "b": (1, 1, 1, _CL)}
# its dense layers: Z = W @ A_prev + b, samples as columns, b a column
_DENSE_COLUMNS = {"A_prev": (_NX, _M), "A": (_NX, _M), "X": (_NX, _M), "W": (_NA, _NX)}
_DENSE_COLUMNS |= {"b": (_NA, 1)}
_PARAMETER_KEYS = {
    "Wax": (_NA, _NX),
    "Waa": (_NA, _NA),
    "Wya": (_NY, _NA),
    "ba": (_NA, 1),
    "by": (_NY, 1),
    "Wy": (_NY, _NA),
    **{f"W{g}": (_NA, _NA + _NX) for g in "fico"},
    **{f"b{g}": (_NA, 1) for g in "fico"},
}
_CONFIG_VALUES = {
    "mode": "train",
    "eps": 1e-5,
    "momentum": 0.9,
    "p": 0.6,
    "seed": 7,
    "kernel_size": 3,
    "padding": 1,
}
_SCALARS = {
    "reg": 0.1,
    "G": 2,
    "eps": 1e-5,
    "p": 0.6,
    "keep_prob": 0.6,
    "alpha": 0.01,
    "delta": 1.0,
    "momentum": 0.9,
    "lam": 0.1,
    "lambd": 0.1,
    "l2_reg": 0.1,
    "weight_scale": 0.01,
}
_CONFIG_SUFFIXES = ("_param", "_params", "_config", "_cfg")
_LABEL_NAMES = {"y", "labels", "label", "targets", "target", "captions", "idx", "indices"}
_MASK_NAMES = {"mask"}


@dataclass
class Setting:
    """One call: the arguments by name, and how they are described in a counterexample."""

    arguments: dict[str, object]
    described: str
    config: dict
    keywords: dict = field(default_factory=dict)  # ``mode="average"``: a choice by name


def settings(
    function: ast.FunctionDef, owner: str, others: list[ast.FunctionDef], seed: int = 1
) -> list[Setting]:
    """Calls of ``function`` (the forward of ``owner``'s pair, or a loss function) at each
    config setting its dicts are read with, or once when it has none. A dict it only hands
    on (``batchnorm_forward(x, gamma, beta, bn_param)``) is known by its name."""
    configs = config_dicts(function) | {
        name for name in argument_names(function) if name.endswith(_CONFIG_SUFFIXES)
    }
    keys = {}
    for name in sorted(configs):
        found = set()
        for reader in [function, *others]:
            found |= config_keys(reader, {name})
        keys[name] = sorted(found, key=str)
    strided = any(k in _STRIDED for found in keys.values() for k in found) or any(
        name in _STRIDED for name in argument_names(function)
    )
    out = []
    choices = _choices(function)
    computed = _computed_weights(function)
    configs_used = _CONFIGS if strided else _CONFIGS[:1]
    for number, (config, chosen) in enumerate(product(configs_used, choices)):
        rng = np.random.default_rng(seed + number)
        arguments = _arguments(function, owner, configs, keys, config, rng, set(chosen), computed)
        if arguments is None:
            return []
        described = ", ".join(
            [_describe(name, value) for name, value in arguments.items()]
            + [f"{name}={value!r}" for name, value in chosen.items()]
        )
        read = {k for found in keys.values() for k in found}
        config = {k: config[k] for k in read if k in config}
        out.append(Setting(arguments, described, config, dict(chosen)))
    return out


def _choices(function: ast.FunctionDef) -> list[dict[str, str]]:
    """Each way a string argument is used (``mode="max"``, compared with ``"average"``; an
    ``activation`` compared with ``"relu"`` and ``"sigmoid"``): the function is judged in
    every mode it has."""
    spec = function.args
    positional = spec.args[len(spec.args) - len(spec.defaults) :]
    named = {
        a.arg: d.value
        for a, d in zip(positional, spec.defaults, strict=True)
        if isinstance(d, ast.Constant) and isinstance(d.value, str)
    }
    options: dict[str, list[str]] = {name: [value] for name, value in named.items()}
    defaulted = {a.arg for a in positional}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)):
            continue
        name = node.left.id
        for other in node.comparators:
            text = isinstance(other, ast.Constant) and isinstance(other.value, str)
            required = name in argument_names(function) and name not in defaulted
            if text and required:  # a mode without a default: every one it is compared with
                options.setdefault(name, [])
            known = options.get(name)
            if known is not None and text and other.value not in known:
                known.append(other.value)
    names = list(options)
    return [dict(zip(names, values, strict=True)) for values in product(*options.values())]


def _arguments(
    function, owner: str, configs, keys, config, rng, modes=(), computed=()
) -> dict | None:
    names = argument_names(function)
    defaults = _defaulted(function)
    family = _family(owner)
    unpacked = _unpacked_ranks(function)
    shapes = _shapes(family, names)
    out: dict[str, object] = {}
    labels_below = _label_bound(family, shapes)
    dense_columns = (
        family == "dense" and "W" in names and not configs and unpacked.get("A_prev") != 4
    )
    if dense_columns:  # linear_forward(A_prev, W, b): the other course's dense layer
        shapes = {n: _DENSE_COLUMNS[n] for n in names if n in _DENSE_COLUMNS}
    columns = not dense_columns and any(name in _COLUMNS for name in names)
    chain = next((_layer_chain(keys[n]) for n in names if n in configs), None)
    if computed:  # parameters["W" + str(l)]: as many layers as it has, three here
        chain = _layer_chain(_CHAIN_KEYS)
    for name in names:
        if chain and name in ("X", "Y"):  # a network's data, samples as columns
            out[name] = None  # drawn with its weights, below
        elif (name in configs or name in computed) and chain:
            out[name] = _chain_weights(chain, rng)
        elif name in configs and _holds_arrays(keys[name]):
            out[name] = {
                k: rng.standard_normal(_PARAMETER_KEYS.get(k, (_NA, _NA)))
                for k in keys[name]
                if k not in _CONFIG_VALUES and k not in _STRIDED
            }
        elif name in configs:
            out[name] = {
                k: config.get(k, _CONFIG_VALUES.get(k))
                for k in keys[name]
                if k in config or k in _CONFIG_VALUES
            }
        elif name in _STRIDED:  # conv(x, w, b, stride, pad): the setting's, as numbers
            out[name] = config[name]
        elif name in _SCALARS:
            out[name] = _SCALARS[name]
        elif name in defaults or name in modes:  # a mode is passed by its name
            continue
        elif name.lower() in _LABEL_NAMES or (family == "embedding" and name == "x"):
            shape = (_N, _T) if family in ("embedding", "temporal") else (_samples(family),)
            labels = rng.integers(0, labels_below, size=shape)
            labels.flat[-1] = labels.flat[0]  # a repeated index, as real batches have
            out[name] = labels
        elif name.lower() in _MASK_NAMES:
            mask = rng.random((_N, _T)) < 0.7
            mask.flat[0] = True
            out[name] = mask
        else:
            shape = shapes.get(name) if dense_columns else _COLUMNS.get(name) or shapes.get(name)
            if columns and name in _CHANNELS_LAST:
                shape = _CHANNELS_LAST[name]
            if columns and name == "x":  # a sequence, samples as columns: (n_x, m, T_x)
                shape = (_NX, _M, _T)
            rank = unpacked.get(name)
            if shape is None or (rank is not None and len(shape) != rank):
                shape = _GENERIC.get(rank, (_N, _D))
            out[name] = rng.standard_normal(shape)
    return _chain_data(out, chain, rng) if chain else out


def _chain_weights(chain: dict, rng) -> dict[str, np.ndarray]:
    """A network's weights; its biases above 0, so that ReLU units are on, their masks seen."""
    return {
        k: rng.standard_normal(shape) if k[0] == "W" else rng.uniform(0.5, 1.5, shape)
        for k, shape in chain.items()
    }


def _chain_data(arguments: dict, chain: dict, rng) -> dict:
    """A network's data X (inputs, samples) and labels Y (outputs, samples) of 0 and 1, where
    its arguments take them."""
    first, last = chain["W1"][1], chain[f"W{len(chain) // 2}"][0]
    data = {"X": rng.standard_normal((first, _M))}
    data["Y"] = rng.integers(0, 2, size=(last, _M)).astype(float)
    return {name: data.get(name, value) for name, value in arguments.items()}


def _computed_weights(function: ast.FunctionDef) -> set[str]:
    """Arguments read by keys the code makes, ``parameters["W" + str(l)]``: a network's
    weights, as many layers as it has."""
    found = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            made = isinstance(key, ast.BinOp) and isinstance(key.op, ast.Add)
            if made and isinstance(key.left, ast.Constant) and key.left.value in ("W", "b"):
                found.add(node.value.id)
    return found & set(argument_names(function))


_CHAIN_KEYS = {f"{kind}{n}" for kind in "Wb" for n in (1, 2, 3)}


def _holds_arrays(keys) -> bool:
    """A dict of weights (``parameters["Wax"]``), not of settings."""
    return any(k in _PARAMETER_KEYS for k in keys)


_GENERIC = {1: (_D,), 2: (_N, _D), 3: (_N, _T, _D), 4: (_N, _C, _H, _W)}


def _family(owner: str) -> str:
    name = owner.lower()
    if "embed" in name:
        return "embedding"
    if "temporal" in name:
        return "temporal"
    if "loss" in name:
        return "loss"
    for gated in _GATES:
        if gated in name:
            return f"{gated}_step" if "step" in name else gated
    if "rnn" in name:
        return "rnn_step" if "step" in name else "rnn"
    if "group" in name:
        return "groupnorm"
    if any(word in name for word in ("conv", "pool", "spatial")):
        return "image"
    return "dense"


def _shapes(family: str, names: list[str]) -> dict[str, tuple[int, ...]]:
    gates = _GATES.get(family.removesuffix("_step"), 1)
    step = family.endswith("_step")
    tables = {
        "image": {
            "x": (_N, _C, _H, _W),
            "w": (_F, _C, _HH, _WW),
            "b": (_F,),
            "gamma": (_C,),
            "beta": (_C,),
        },
        "groupnorm": {"x": (_N, _C, _H, _W), "gamma": (1, _C, 1, 1), "beta": (1, _C, 1, 1)},
        "temporal": {"x": (_N, _T, _D), "w": (_D, _M), "b": (_M,)},
        "embedding": {"w": (_V, _D)},
        "dense": {"x": (_N, _D), "w": (_D, _M), "b": (_M,), "gamma": (_D,), "beta": (_D,)},
    }
    if family == "loss":
        table = {"w": (_D, _CLASSES), "x": (_SAMPLES, _D)}
        if not any(n.lower() == "w" for n in names):  # svm_loss(x, y): scores
            table = {"x": (_SAMPLES, _CLASSES)}
    elif family in tables:
        table = tables[family]
        if {"w", "gamma"} <= {n.lower() for n in names} and "b" in table:
            # a sandwich (affine_bn_relu_forward(x, w, b, gamma, beta, bn_param)): the
            # normalisation reads the affine's or the convolution's output
            table = table | {"gamma": table["b"], "beta": table["b"]}
    else:  # recurrent
        hidden = gates * _HIDDEN
        table = {
            "x": (_N, _D) if step else (_N, _T, _D),
            "h0": (_N, _HIDDEN),
            "prev_h": (_N, _HIDDEN),
            "prev_c": (_N, _HIDDEN),
            "wx": (_D, hidden),
            "wh": (_HIDDEN, hidden),
            "b": (hidden,),
        }
    return {n: table[n.lower()] for n in names if n.lower() in table} | {
        n: table[n] for n in names if n in table
    }


def _layer_chain(keys) -> dict[str, tuple[int, int]] | None:
    """The shapes of a network's ``parameters`` (W1, b1, ..., WL, bL), samples as columns:
    layers of distinct widths ending in one output, as a binary classifier's."""
    keys = set(keys)
    layers = len(keys) // 2
    if layers < 1 or keys != {f"{kind}{n}" for kind in "Wb" for n in range(1, layers + 1)}:
        return None
    widths = [*_CHAIN_WIDTHS[:layers], 1]
    shapes = {}
    for n in range(1, layers + 1):
        shapes[f"W{n}"] = (widths[n], widths[n - 1])
        shapes[f"b{n}"] = (widths[n], 1)
    return shapes


_CHAIN_WIDTHS = (4, 5, 2, 6, 7, 8)  # none is _M, the samples


def _label_bound(family: str, shapes: dict) -> int:
    if family == "embedding":
        return _V
    if family == "temporal":
        return _D  # temporal_softmax_loss(x (N, T, V), y): V is x's last size
    return _CLASSES


def _samples(family: str) -> int:
    return _SAMPLES if family == "loss" else _N


def _defaulted(function: ast.FunctionDef) -> set[str]:
    spec = function.args
    positional = [a.arg for a in spec.args]
    return set(positional[len(positional) - len(spec.defaults) :]) | {
        a.arg for a, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=False) if d is not None
    }


def _unpacked_ranks(function: ast.FunctionDef) -> dict[str, int]:
    """``N, C, H, W = x.shape``: x has four dimensions."""
    ranks = {}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Tuple)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "shape"
            and isinstance(node.value.value, ast.Name)
        ):
            ranks.setdefault(node.value.value.id, len(node.targets[0].elts))
    return ranks


def _describe(name: str, value) -> str:
    if isinstance(value, np.ndarray):
        kind = " integer labels" if value.dtype.kind in "iu" else ""
        kind = " mask" if value.dtype.kind == "b" else kind
        return f"{name}{kind} {value.shape}"
    if isinstance(value, dict):
        shown = {k: v.shape if isinstance(v, np.ndarray) else v for k, v in value.items()}
        inner = ", ".join(f"{k}={v}" for k, v in shown.items() if k not in ("mode", "seed"))
        return f"{name} {{{inner}}}" if inner else name
    return f"{name} = {value}"


# -- a layer class: what it is made and called with ----------------------------------------
_INIT_SIZES = {"input": 4, "neuron": 6, "output": 6, "unit": 6, "hidden": 6, "size": 6}


_INIT_RATES = ("p", "keep_prob", "dropout")  # and any name ending in "rate"


def init_arguments(init: ast.FunctionDef | None) -> list:
    """What ``Layer_Dense(n_inputs, n_neurons)`` is made with: sizes by their names, a rate
    by its name; arguments with defaults keep them."""
    if init is None:
        return []
    spec = init.args
    required = spec.args[1 : len(spec.args) - len(spec.defaults)]
    values = []
    for argument in required:
        name = argument.arg.lower()
        if name in _INIT_RATES or name.endswith("rate"):
            values.append(0.25)
            continue
        size = next((v for k, v in _INIT_SIZES.items() if k in name), 4)
        values.append(size)
    return values


def regularisers(init: ast.FunctionDef | None) -> dict[str, float]:
    """The regularisers a layer is made with (``weight_regularizer_l2=0``, ``l1=0``), each
    given its own strength: distinct, so that one used for another shows."""
    if init is None:
        return {}
    spec = init.args
    with_defaults = spec.args[len(spec.args) - len(spec.defaults) :]
    found = {}
    for argument, default in zip(with_defaults, spec.defaults, strict=True):
        name = argument.arg.lower()
        numeric = isinstance(default, ast.Constant) and type(default.value) in (int, float)
        if numeric and ("regulari" in name or name.endswith(("l1", "l2"))):
            found[argument.arg] = _STRENGTHS[len(found) % len(_STRENGTHS)]
    return found


_STRENGTHS = (0.3, 0.7, 0.2, 0.45)

_PREDICTIONS = ("y_pred", "pred", "predictions", "probs", "output", "outputs")


_LABELS = ("y_true", "y", "labels", "targets", "target")


def is_label(name: str) -> bool:
    """An argument a loss class takes its labels by (``y_true``)."""
    return name.lower() in _LABELS


def loss_kind(name: str) -> str | None:
    """What a loss class's labels are, by its name: class indices (categorical cross-entropy),
    0/1 per output (binary), or numbers (squared or absolute error); None: not a loss."""
    name = name.lower()
    if "loss" not in name:
        return None
    if "binary" in name:
        return "binary"
    if any(word in name for word in ("squared", "absolute", "mse", "mae", "regression")):
        return "numbers"
    return "categorical"


def forward_arguments(forward, instance: Instance, kind: str | None, rng) -> dict:
    """The forward's arguments: inputs as wide as the layer's weights take (4 else); for a loss
    (``kind``), predictions and labels as its kind takes them: probabilities per row and class
    indices, probabilities per entry and 0/1, or numbers and numbers."""
    spec = forward.args
    names = [a.arg for a in spec.args[1 : len(spec.args) - len(spec.defaults)]]
    weights = [v for v in instance.attributes.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    width = weights[0].shape[0] if weights else 4
    samples = 5
    out: dict[str, object] = {}
    for name in names:
        if name.lower() in _LABELS and kind == "binary":
            out[name] = rng.integers(0, 2, size=(samples, width))
        elif name.lower() in _LABELS and kind == "numbers":
            out[name] = rng.standard_normal((samples, width))
        elif name.lower() in _LABELS:
            labels = rng.integers(0, width, size=samples)
            labels[-1] = labels[0]
            out[name] = labels
        elif kind == "categorical" and name.lower() in _PREDICTIONS:
            raw = rng.uniform(0.1, 1.0, size=(samples, width))
            out[name] = raw / raw.sum(axis=1, keepdims=True)
        elif kind == "binary" and name.lower() in _PREDICTIONS:
            out[name] = rng.uniform(0.05, 0.95, size=(samples, width))
        else:
            out[name] = rng.standard_normal((samples, width))
    return out
