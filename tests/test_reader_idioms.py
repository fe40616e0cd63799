"""The NumPy that people write in hand-made backprop, read without running it.

Each fixture is a training step in one style (samples as rows, samples as columns; ReLU, leaky
ReLU, tanh through cosh, a softmax shifted by its maximum; means, sums over any axis, gradients
accumulated with ``+=``), written in several spellings of the same idioms, and with mutants (a
mask left out, the wrong axis, keepdims missing, a mean instead of a sum). The checker must call
every spelling correct and every mutant wrong at the mutated line.

The labels are justified independently: the test runs the fixture's own step with lr = 1 (the
step each parameter takes is then its claimed gradient) and compares it with PyTorch's autograd
in float64 on the same loss; a step NumPy cannot even take (shapes that do not fit) is wrong.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import torch

from symbackprop.check.codecheck import check_text
from symbackprop.derive import derive
from symbackprop.derive.rules import rule_for
from symbackprop.ir.evaluate import evaluate, forward_values
from symbackprop.ir.ops import rowmax
from symbackprop.printing.text import text
from symbackprop.readers.pyreader import read_python

PARAMS = ("W1", "b1", "W2", "b2")

# -- the fixtures: samples as rows ------------------------------------------------------------
RELU_ROWS = """\
import numpy as np


def train(X, Y, W1, b1, W2, b2, lr):
    N, D = X.shape
    Z1 = np.dot(X, W1) + b1
    H = np.maximum(0, Z1)
    Z2 = H.dot(W2) + b2
    loss = np.sum((Z2 - Y) ** 2) / (2 * N)
    dZ2 = (Z2 - Y) / N
    dW2 = H.T @ dZ2
    db2 = np.sum(dZ2, axis=0)
    dH = dZ2 @ W2.T
    dZ1 = dH * (Z1 > 0)
    dW1 = np.dot(X.T, dZ1)
    db1 = dZ1.sum(axis=0)
    W2 -= lr * dW2
    b2 -= lr * db2
    W1 -= lr * dW1
    b1 -= lr * db1
"""


def relu_rows_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.relu(X @ W1 + b1) @ W2 + b2
    return ((Z2 - Y) ** 2).sum() / (2 * X.shape[0])


# The same step in other spellings: (line replaced, replacement).
RELU_SPELLINGS = {
    "maximum(z, 0)": ("H = np.maximum(0, Z1)", "H = np.maximum(Z1, 0)"),
    "z times its mask": ("H = np.maximum(0, Z1)", "H = Z1 * (Z1 > 0)"),
    "where in forward": ("H = np.maximum(0, Z1)", "H = np.where(Z1 > 0, Z1, 0)"),
    "mask of the output": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * (H > 0)"),
    "astype(float)": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * (Z1 > 0).astype(float)"),
    "np.int64 cast": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * np.int64(Z1 > 0)"),
    "where in backward": ("dZ1 = dH * (Z1 > 0)", "dZ1 = np.where(Z1 > 0, dH, 0)"),
    "heaviside": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * np.heaviside(Z1, 0)"),
    "clip below only": ("H = np.maximum(0, Z1)", "H = np.clip(Z1, 0, None)"),
    "masks combined with &": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * ((Z1 > 0) & (H > 0))"),
    "masks combined with |": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * ((Z1 > 0) | (H > 0))"),
    "masked copy": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH.copy()\n    dZ1[Z1 <= 0] = 0"),
    "masked in place": ("dZ1 = dH * (Z1 > 0)", "dH[H <= 0] = 0\n    dZ1 = dH"),
    "*= mask": ("dZ1 = dH * (Z1 > 0)", "dH *= Z1 > 0\n    dZ1 = dH"),
    "matmul and transpose": ("dW1 = np.dot(X.T, dZ1)", "dW1 = np.matmul(np.transpose(X), dZ1)"),
    "len(X)": ("N, D = X.shape", "N = len(X)"),
    "X.shape[0]": ("N, D = X.shape", "N = X.shape[0]"),
    "accumulated": ("dW2 = H.T @ dZ2", "dW2 = np.zeros_like(W2)\n    dW2 += H.T @ dZ2"),
    "summed by a vector of ones": ("db2 = np.sum(dZ2, axis=0)", "db2 = np.ones(N) @ dZ2"),
    "identity product": ("dZ2 = (Z2 - Y) / N", "dZ2 = np.eye(N) @ (Z2 - Y) / N"),
    "named mask": (
        "dZ1 = dH * (Z1 > 0)",
        "negative = Z1 <= 0\n    dZ1 = dH.copy()\n    dZ1[negative] = 0",
    ),
    "inverted named mask": (
        "dZ1 = dH * (Z1 > 0)",
        "active = Z1 > 0\n    dZ1 = np.copy(dH)\n    dZ1[~active] = 0",
    ),
    "mask from ones_like": (
        "dZ1 = dH * (Z1 > 0)",
        "mask = np.ones_like(Z1)\n    mask[Z1 <= 0] = 0\n    dZ1 = dH * mask",
    ),
    "keepdims=False spelt out": (
        "db2 = np.sum(dZ2, axis=0)",
        "db2 = np.sum(dZ2, axis=-2, keepdims=False)",
    ),
}
# Mutants: (line replaced, replacement, the name of the line that must be called wrong).
RELU_MUTANTS = {
    "mask left out": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dZ2 @ W2.T", "dZ1"),
    "named mask inverted by mistake": (
        "dZ1 = dH * (Z1 > 0)",
        "active = Z1 > 0\n    dZ1 = dH.copy()\n    dZ1[active] = 0",
        "dZ1",
    ),
    "mask reversed": ("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * (Z1 < 0)", "dZ1"),
    "masks combined into none": (
        "dZ1 = dH * (Z1 > 0)",
        "dZ1 = dH * ((Z1 > 0) & (Z1 < 0))",
        "dZ1",
    ),
    "masked the wrong way": (
        "dZ1 = dH * (Z1 > 0)",
        "dZ1 = dH.copy()\n    dZ1[Z1 > 0] = 0",
        "dZ1",
    ),
    "bias summed over the wrong axis": (
        "db2 = np.sum(dZ2, axis=0)",
        "db2 = np.sum(dZ2, axis=1)",
        "db2",
    ),
    "mean instead of sum": ("db1 = dZ1.sum(axis=0)", "db1 = dZ1.mean(axis=0)", "db1"),
    "summed by ones on the wrong side": (
        "db2 = np.sum(dZ2, axis=0)",
        "db2 = dZ2 @ np.ones(Y.shape[1])",  # each sample's sum, (N,)
        "db2",
    ),
    "1/N left out": ("dZ2 = (Z2 - Y) / N", "dZ2 = Z2 - Y", "dZ2"),
}

# A bias kept as a (1, k) row: its step is summed with keepdims (the code would not run on a
# bias of shape (k,), so it is read as (1, k)).
KEPT_ROWS = RELU_ROWS.replace(
    "db2 = np.sum(dZ2, axis=0)", "db2 = np.sum(dZ2, axis=0, keepdims=True)"
).replace("db1 = dZ1.sum(axis=0)", "db1 = dZ1.sum(axis=0, keepdims=True)")

# -- samples as columns, a sigmoid output with binary cross-entropy -----------------------------
RELU_COLUMNS = """\
import numpy as np


def train(X, Y, W1, b1, W2, b2, lr):
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    loss = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
    dZ2 = (A2 - Y) / m
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = W2.T.dot(dZ2)
    dZ1 = dA1 * (Z1 > 0)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W2 -= lr * dW2
    b2 -= lr * db2
    W1 -= lr * dW1
    b1 -= lr * db1
"""


def relu_columns_loss(X, Y, W1, b1, W2, b2):
    A2 = torch.sigmoid(W2 @ torch.relu(W1 @ X + b1) + b2)
    return -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).sum() / X.shape[1]


COLUMN_SPELLINGS = {
    "keepdims by method": (
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
        "db1 = dZ1.sum(axis=-1, keepdims=True)",
    ),
    "mean over samples": (
        "db2 = np.sum(dZ2, axis=1, keepdims=True)",
        "db2 = np.mean(A2 - Y, axis=1, keepdims=True)",
    ),
    "where with a mask": ("dZ1 = dA1 * (Z1 > 0)", "dZ1 = np.where(A1 > 0, dA1, 0.0)"),
    "summed by a column of ones": (
        "db2 = np.sum(dZ2, axis=1, keepdims=True)",
        "db2 = dZ2 @ np.ones((m, 1))",
    ),
}
COLUMN_MUTANTS = {
    "summed over the samples' rows": (
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
        "db1 = np.sum(dZ1, axis=0, keepdims=True)",
        "db1",
    ),
    "mean instead of sum": (
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
        "db1 = np.mean(dZ1, axis=1, keepdims=True)",
        "db1",
    ),
    "mask left out": ("dZ1 = dA1 * (Z1 > 0)", "dZ1 = W2.T.dot(dZ2)", "dZ1"),
}

# -- leaky ReLU, tanh through cosh, a shifted softmax, a mean loss ------------------------------
LEAKY = RELU_ROWS.replace("H = np.maximum(0, Z1)", "H = np.where(Z1 > 0, Z1, 0.01 * Z1)").replace(
    "dZ1 = dH * (Z1 > 0)", "dZ1 = dH * np.where(Z1 > 0, 1, 0.01)"
)


def leaky_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.nn.functional.leaky_relu(X @ W1 + b1, 0.01) @ W2 + b2
    return ((Z2 - Y) ** 2).sum() / (2 * X.shape[0])


TANH = RELU_ROWS.replace("H = np.maximum(0, Z1)", "H = np.tanh(Z1)").replace(
    "dZ1 = dH * (Z1 > 0)", "dZ1 = dH / np.cosh(Z1) ** 2"
)


def tanh_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.tanh(X @ W1 + b1) @ W2 + b2
    return ((Z2 - Y) ** 2).sum() / (2 * X.shape[0])


SOFTMAX = """\
import numpy as np


def train(X, Y, W1, b1, W2, b2, lr):
    N = X.shape[0]
    H = np.tanh(X @ W1 + b1)
    Z2 = H @ W2 + b2
    shifted = Z2 - np.max(Z2, axis=1, keepdims=True)
    E = np.exp(shifted)
    P = E / np.sum(E, axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(np.clip(P, 1e-12, 1.0))) / N
    dZ2 = (P * Y.sum(axis=1, keepdims=True) - Y) / N
    dW2 = H.T @ dZ2
    db2 = np.sum(dZ2, axis=0)
    dH = dZ2 @ W2.T
    dZ1 = dH * (1 - np.square(H))
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    W2 -= lr * dW2
    b2 -= lr * db2
    W1 -= lr * dW1
    b1 -= lr * db1
"""


def softmax_loss(X, Y, W1, b1, W2, b2):
    # the targets are not one-hot: each row's total weighs its softmax in the gradient
    Z2 = torch.tanh(X @ W1 + b1) @ W2 + b2
    return -(Y * torch.log_softmax(Z2, dim=1)).sum() / X.shape[0]


EXPIT = "import numpy as np\nfrom scipy.special import expit\n"
SOFTPLUS = (
    RELU_ROWS.replace(
        "import numpy as np\n", "import numpy as np\nfrom scipy.special import expit\n"
    )
    .replace("H = np.maximum(0, Z1)", "H = np.logaddexp(0, Z1)")
    .replace("dZ1 = dH * (Z1 > 0)", "dZ1 = dH * expit(Z1)")
)


def softplus_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.nn.functional.softplus(X @ W1 + b1) @ W2 + b2
    return ((Z2 - Y) ** 2).sum() / (2 * X.shape[0])


MEAN = RELU_ROWS.replace("np.sum((Z2 - Y) ** 2) / (2 * N)", "np.mean((Z2 - Y) ** 2)").replace(
    "dZ2 = (Z2 - Y) / N", "dZ2 = 2 * (Z2 - Y) / Z2.size"
)


def mean_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.relu(X @ W1 + b1) @ W2 + b2
    return ((Z2 - Y) ** 2).mean()


L1 = RELU_ROWS.replace("np.sum((Z2 - Y) ** 2) / (2 * N)", "np.sum(np.abs(Z2 - Y)) / N").replace(
    "dZ2 = (Z2 - Y) / N", "dZ2 = np.sign(Z2 - Y) / N"
)


def l1_loss(X, Y, W1, b1, W2, b2):
    Z2 = torch.relu(X @ W1 + b1) @ W2 + b2
    return (Z2 - Y).abs().sum() / X.shape[0]


# Other spellings of the mean loss, each with the dZ2 that goes with it.
MEAN_SPELLINGS = {
    "method": ("((Z2 - Y) ** 2).mean()", "2 * (Z2 - Y) / (N * Y.shape[1])"),
    "mean of row sums": ("np.mean(np.sum((Z2 - Y) ** 2, axis=1)) / Y.shape[1]", None),
    "sum of column means": ("np.sum(np.mean((Z2 - Y) ** 2, axis=0)) / Y.shape[1]", None),
    "row sums kept": ("np.mean(np.sum((Z2 - Y) ** 2, axis=-1, keepdims=True)) / Y.shape[1]", None),
}

# name: (source, torch loss, spellings, mutants)
FIXTURES = {
    "relu rows": (RELU_ROWS, relu_rows_loss, RELU_SPELLINGS, RELU_MUTANTS),
    "relu rows kept biases": (
        KEPT_ROWS,
        relu_rows_loss,
        {
            "a row of ones": (
                "db2 = np.sum(dZ2, axis=0, keepdims=True)",
                "db2 = np.ones((1, N)) @ dZ2",
            ),
            "keepdims dropped, broadcast back": (
                "db1 = dZ1.sum(axis=0, keepdims=True)",
                "db1 = dZ1.sum(axis=0)",
            ),
        },
        {
            "kept over the wrong axis": (
                "db2 = np.sum(dZ2, axis=0, keepdims=True)",
                "db2 = np.sum(dZ2, axis=1, keepdims=True)",
                "db2",
            ),
        },
    ),
    "relu columns": (RELU_COLUMNS, relu_columns_loss, COLUMN_SPELLINGS, COLUMN_MUTANTS),
    "leaky relu": (
        LEAKY,
        leaky_loss,
        {
            "maximum": ("H = np.where(Z1 > 0, Z1, 0.01 * Z1)", "H = np.maximum(Z1, 0.01 * Z1)"),
            "scaled where masked": (
                "dZ1 = dH * np.where(Z1 > 0, 1, 0.01)",
                "dZ1 = dH.copy()\n    dZ1[Z1 <= 0] *= 0.01",
            ),
        },
        {"relu's mask": ("dZ1 = dH * np.where(Z1 > 0, 1, 0.01)", "dZ1 = dH * (Z1 > 0)", "dZ1")},
    ),
    "tanh through cosh": (
        TANH,
        tanh_loss,
        {"1 - tanh**2": ("dZ1 = dH / np.cosh(Z1) ** 2", "dZ1 = dH * (1 - np.tanh(Z1) ** 2)")},
        {"sigmoid's derivative": ("dZ1 = dH / np.cosh(Z1) ** 2", "dZ1 = dH * H * (1 - H)", "dZ1")},
    ),
    "softplus": (
        SOFTPLUS,
        softplus_loss,
        {
            "log1p of exp": ("H = np.logaddexp(0, Z1)", "H = np.log1p(np.exp(Z1))"),
            "sigmoid written out": ("dZ1 = dH * expit(Z1)", "dZ1 = dH / (1 + np.exp(-Z1))"),
        },
        {"its own value as slope": ("dZ1 = dH * expit(Z1)", "dZ1 = dH * H", "dZ1")},
    ),
    "shifted softmax": (
        SOFTMAX,
        softmax_loss,
        {},
        {
            "keepdims missing": (
                "dZ2 = (P * Y.sum(axis=1, keepdims=True) - Y) / N",
                "dZ2 = (P * Y.sum(axis=1) - Y) / N",
                "dZ2",
            ),
        },
    ),
    "l1 loss": (
        L1,
        l1_loss,
        {"where": ("dZ2 = np.sign(Z2 - Y) / N", "dZ2 = np.where(Z2 > Y, 1.0, -1.0) / N")},
        {"squared loss's delta": ("dZ2 = np.sign(Z2 - Y) / N", "dZ2 = (Z2 - Y) / N", "dZ2")},
    ),
    "mean loss": (
        MEAN,
        mean_loss,
        {
            name: ("loss = np.mean((Z2 - Y) ** 2)", f"loss = {loss}")
            for name, (loss, _) in MEAN_SPELLINGS.items()
        },
        {},
    ),
}
SHAPES = {  # samples N = 5, inputs 3, hidden 4, outputs 2: no two sizes alike
    "rows": {"X": (5, 3), "Y": (5, 2), "W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)},
    "kept": {"X": (5, 3), "Y": (5, 2), "W1": (3, 4), "b1": (1, 4), "W2": (4, 2), "b2": (1, 2)},
    "columns": {"X": (3, 5), "Y": (2, 5), "W1": (4, 3), "b1": (4, 1), "W2": (2, 4), "b2": (2, 1)},
}


def replaced(source: str, old: str, new: str) -> tuple[str, int]:
    """``source`` with the line ``old`` replaced, and the line number of the replacement's
    last line (the one that makes the value)."""
    assert source.count(old) == 1, old
    before = source[: source.index(old)]
    return source.replace(old, new), before.count("\n") + new.count("\n") + 1


def data(name: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(4)
    shapes = SHAPES[next((k for k in ("columns", "kept") if k in name), "rows")]
    arrays = {key: rng.normal(size=shape) for key, shape in shapes.items()}
    arrays["Y"] = rng.uniform(0.05, 0.95, size=shapes["Y"])  # targets a BCE can take
    return arrays


# -- the independent reference -------------------------------------------------------------------
def steps_taken(source: str, arrays: dict) -> dict[str, np.ndarray] | None:
    """Run the fixture's own training step with lr = 1: each parameter moves by minus its
    claimed gradient. None when NumPy cannot take the step (shapes that do not fit)."""
    namespace: dict = {}
    exec(compile(source, "<fixture>", "exec"), namespace)  # our own fixture, never user code
    moved = {key: value.copy() for key, value in arrays.items()}
    try:
        with np.errstate(all="raise"):
            namespace["train"](**moved, lr=1.0)
    except (ValueError, FloatingPointError):
        return None
    return {p: arrays[p] - moved[p] for p in PARAMS}


def torch_gradients(loss, arrays: dict) -> dict[str, np.ndarray]:
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=k in PARAMS)
        for k, v in arrays.items()
    }
    loss(**tensors).backward()
    return {p: tensors[p].grad.numpy() for p in PARAMS}


def really_correct(source: str, loss, name: str) -> bool:
    arrays = data(name)
    taken = steps_taken(source, arrays)
    expected = torch_gradients(loss, arrays)
    return taken is not None and all(
        taken[p].shape == expected[p].shape and np.allclose(taken[p], expected[p], atol=1e-10)
        for p in PARAMS
    )


# -- the cases ------------------------------------------------------------------------------------
def _spellings():
    for fixture, (source, loss, spellings, _) in FIXTURES.items():
        yield pytest.param(fixture, source, loss, id=f"{fixture}")
        for spelling, (old, new) in spellings.items():
            text, _ = replaced(source, old, new)
            if fixture == "mean loss" and MEAN_SPELLINGS[spelling][1] is not None:
                text, _ = replaced(text, "2 * (Z2 - Y) / Z2.size", MEAN_SPELLINGS[spelling][1])
            yield pytest.param(fixture, text, loss, id=f"{fixture}: {spelling}")


def _mutants():
    for fixture, (source, loss, _, mutants) in FIXTURES.items():
        for mutant, (old, new, blamed) in mutants.items():
            text, line = replaced(source, old, new)
            yield pytest.param(fixture, text, loss, blamed, line, id=f"{fixture}: {mutant}")


@pytest.mark.parametrize(("fixture", "source", "loss"), list(_spellings()))
def test_every_spelling_of_a_correct_step_is_called_correct(fixture, source, loss):
    assert really_correct(source, loss, fixture)  # the label, from PyTorch
    report = check_text(source, "train.py", "train")
    wrong = [(v.name, v.line) for v in report.verdicts if not v.correct]
    assert report.ok, wrong
    assert {v.name for v in report.verdicts} >= {"dW1", "db1", "dW2", "db2"}


@pytest.mark.parametrize(("fixture", "source", "loss", "blamed", "line"), list(_mutants()))
def test_a_mutant_is_called_wrong_at_its_line(fixture, source, loss, blamed, line):
    assert not really_correct(source, loss, fixture)  # the label, from PyTorch
    report = check_text(source, "train.py", "train")
    wrong = {(v.name, v.line) for v in report.verdicts if not v.correct}
    assert (blamed, line) in wrong, wrong


def test_a_clip_that_guards_a_log_is_read_as_its_value_with_a_note():
    report = check_text(SOFTMAX, "train.py", "train")
    assert report.ok
    assert "line 11: np.clip(P, 1e-12, 1.0) is read as P" in " ".join(report.notes)


def test_a_clip_that_binds_is_read_exactly():
    source, line = replaced(RELU_ROWS, "dZ2 = (Z2 - Y) / N", "dZ2 = np.clip(Z2 - Y, -0.5, 0.5) / N")
    assert not really_correct(source, relu_rows_loss, "relu rows")
    report = check_text(source, "train.py", "train")
    assert ("dZ2", line) in {(v.name, v.line) for v in report.verdicts if not v.correct}
    assert not any("clip" in note for note in report.notes)


def test_a_mask_left_out_by_aliasing_the_delta_is_called_wrong():
    source, _ = replaced(RELU_ROWS, "dZ1 = dH * (Z1 > 0)", "dZ1 = dH")
    assert not really_correct(source, relu_rows_loss, "relu rows")
    assert not check_text(source, "train.py", "train").ok


# -- the forward pass alone: derive reads the same idioms -----------------------------------------
FORWARD = """\
import numpy as np


def forward(x, t, w, b, v):
    z = np.dot(w, x) + b
    h = np.maximum(0, z)
    g = np.where(z > 0, z, 0.01 * z)
    y = v * h + g / np.cosh(z)
    y += h * (z > 0).astype(float)
    loss = np.mean(np.square(y - t))
    return loss
"""


def test_derive_reads_relu_written_with_numpy_a_version_and_a_mean_loss(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(FORWARD)
    result = subprocess.run(
        [sys.executable, "-m", "symbackprop", "derive", f"{path}:forward", "--params", "w,b,v"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "relu(b + w*x)" in result.stdout and "leaky_relu(b + w*x)" in result.stdout
    assert "(z > 0)" in result.stdout  # ReLU's derivative as the indicator people write

    model = read_python(path, "forward", params=("w", "b", "v"))
    derivation = derive(model)
    point = {"x": 0.7, "t": 0.2, "w": 1.3, "b": -0.4, "v": 0.9}
    values = forward_values(model, {k: sp.Rational(str(v)) for k, v in point.items()})
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in point.items()}
    z = leaves["w"] * leaves["x"] + leaves["b"]
    y = leaves["v"] * torch.relu(z) + torch.nn.functional.leaky_relu(z, 0.01) / torch.cosh(z)
    y = y + torch.relu(z) * (z > 0)
    ((y - leaves["t"]) ** 2).backward()
    for gradient in derivation.gradients:
        ours = float(evaluate(derivation.expanded(gradient.expr), values))
        assert ours == pytest.approx(leaves[gradient.param].grad.item(), rel=1e-12)
    assert {g.param for g in derivation.gradients} == {"w", "b", "v"}


def test_a_maximum_backward_rule_prints_as_numpy_that_runs():
    """The mask a maximum sends its adjoint through reads as NumPy code: ``(z == z.max(...))``."""
    z, g = sp.Symbol("z"), sp.Symbol("g")
    printed = text(rule_for(rowmax, 0)(g, z))
    assert printed == "g*(z == z.max(axis=1, keepdims=True))"
    values = np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]])
    ran = eval(printed, {"z": values, "g": 2.0})  # our own printed formula
    assert np.array_equal(ran, [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0]])


def test_a_mean_over_rows_only_is_right_for_one_output_and_the_report_says_so():
    """With two outputs torch finds it wrong; with one (a regression target, a binary
    classifier) it is right: check cannot see the width, so it reads it as 1 and says so."""
    fixture, loss_fn, _, _ = FIXTURES["mean loss"]
    source = fixture.replace("dZ2 = 2 * (Z2 - Y) / Z2.size", "dZ2 = 2 * (Z2 - Y) / N")
    assert source != fixture
    assert not really_correct(source, loss_fn, "mean loss")  # two outputs: wrong for torch
    report = check_text(source, "train.py", "train")
    assert report.ok
    assert any("= 1 (one output)" in note for note in report.notes)


def test_keepdims_left_out_on_one_sigmoid_output_is_right_there_and_said_so():
    # db2 of shape (k,) steps a (k, 1) bias by broadcasting only when k = 1; a sigmoid output
    # with binary targets has k = 1 (the course style), so the code is read at one output
    text = RELU_COLUMNS.replace(
        "db2 = np.sum(dZ2, axis=1, keepdims=True)", "db2 = np.sum(dZ2, axis=1)"
    )
    report = check_text(text, "train.py", "train")
    assert report.ok, report.to_text()
    assert any("= 1 (one output)" in note for note in report.notes)
    assert "= 1 (one output)" not in check_text(RELU_COLUMNS, "train.py", "train").to_text()


def test_relus_mask_in_a_leaky_relus_place_is_named_and_corrected_as_numpy():
    # leaky ReLU's derivative is 1 where Z1 > 0 and 0.01 elsewhere; ReLU's mask gives 0 there
    text = RELU_ROWS.replace("H = np.maximum(0, Z1)", "H = np.where(Z1 > 0, Z1, 0.01 * Z1)")
    report = check_text(text, "train.py", "train")
    (wrong,) = [v for v in report.verdicts if v.name == "dZ1"]
    assert not wrong.correct
    assert wrong.diagnosis.kind == "wrong activation derivative"
    assert "the derivative of relu" in wrong.diagnosis.message
    assert "np.where(Z1 > 0, 1, 1/100)" in wrong.correct_formula
