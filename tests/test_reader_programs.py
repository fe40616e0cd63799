"""The shapes training code is written in: each is read, judged, and the verdict agrees with an
independent oracle.

Every program below computes the gradients of one two-layer net (tanh, then sigmoid, squared
error): it returns them, or applies them to arguments, to a dict, or to an object's
attributes, with samples as rows (``X @ W1 + b1``) or as columns (``W1 @ X + b1``). The label
comes from running the program itself (the test may; the product never does) and comparing
its gradients with PyTorch autograd in float64. Each program is judged as written (correct)
and with one line broken: the checker must call it wrong at that line and nowhere else.
"""

from __future__ import annotations

import importlib.util
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest
from one_line import refused

from symbackprop.api import derive, load_model
from symbackprop.check import check_code

torch = pytest.importorskip("torch")

ORDER = ("W1", "b1", "W2", "b2")
SIGMOID_DERIVATIVE_FOR_TANH = ("(1 - A1 ** 2)", "A1 * (1 - A1)")


@dataclass(frozen=True)
class Program:
    source: str
    function: str
    run: str  # how its gradients come out: returned, or applied to "arguments", "dict", ...
    bug: tuple[str, str] = SIGMOID_DERIVATIVE_FOR_TANH  # one line broken: (old, new)
    columns: bool = False  # samples as columns
    mean: bool = False  # the loss divided by the number of samples
    params: tuple[str, ...] = ()  # --params
    cross_entropy: bool = False  # the loss: binary cross-entropy, not half the squared error
    names: tuple[str, ...] = ORDER  # the weights as the code names them

    def broken(self) -> str:
        assert self.source.count(self.bug[0]) == 1
        return self.source.replace(*self.bug)


HEADER = "import numpy as np\n\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\n"
FORWARD_ROWS = """
    Z1 = X @ W1 + b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ W2 + b2
    A2 = sigmoid(Z2)
    loss = np.sum((A2 - Y) ** 2) / 2
    dZ2 = (A2 - Y) * A2 * (1 - A2)
    dW2 = A1.T @ dZ2
    db2 = np.sum(dZ2, axis=0)
    dZ1 = dZ2 @ W2.T * (1 - A1 ** 2)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
"""


def program(body: str) -> str:
    return HEADER + textwrap.dedent(body).lstrip()


PROGRAMS = {
    "a tuple of gradients returned": Program(
        program(
            "def grads(X, Y, W1, b1, W2, b2):" + FORWARD_ROWS + "    return dW1, db1, dW2, db2\n"
        ),
        "grads",
        "returns",
    ),
    "a list of gradients named grad_W": Program(
        program(
            "def grads(X, Y, W1, b1, W2, b2):"
            + FORWARD_ROWS.replace("dW", "grad_W").replace("db", "grad_b").replace("dZ", "delta")
            + "    return [grad_W1, grad_b1, grad_W2, grad_b2]\n"
        ),
        "grads",
        "returns",
    ),
    "gradients returned in the order of --params": Program(
        program(
            "def grads(X, Y, W1, b1, W2, b2):"
            + FORWARD_ROWS.replace("dW1", "g1")
            .replace("db1", "g2")
            .replace("dW2", "g3")
            .replace("db2", "g4")
            + "    return g1, g2, g3, g4\n"
        ),
        "grads",
        "returns",
        params=ORDER,
    ),
    "a dict of gradients returned": Program(
        program(
            "def grads(X, Y, W1, b1, W2, b2):"
            + FORWARD_ROWS
            + "    return {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}\n"
        ),
        "grads",
        "returns",
    ),
    "a dict filled entry by entry, returned with the loss": Program(
        program("""
            def gradients(params, X, Y):
                W1, b1 = params['W1'], params['b1']
                W2 = params['W2']
                Z1 = X @ W1 + b1
                A1 = np.tanh(Z1)
                Z2 = A1 @ W2 + params['b2']
                A2 = sigmoid(Z2)
                loss = np.sum((A2 - Y) ** 2) / (2 * X.shape[0])
                grads = {}
                dZ2 = (A2 - Y) * A2 * (1 - A2) / X.shape[0]
                grads['W2'] = A1.T @ dZ2
                grads['b2'] = np.sum(dZ2, axis=0)
                dZ1 = dZ2 @ W2.T * (1 - A1 ** 2)
                grads['W1'] = X.T @ dZ1
                grads['b1'] = np.sum(dZ1, axis=0)
                return loss, grads
            """),
        "gradients",
        "returns from a dict",
        mean=True,
    ),
    "columns, cross-entropy, gradients returned under keys 'dW1'": Program(
        program("""
            def model_step(parameters, X, Y):
                W1 = parameters["W1"]
                b1 = parameters["b1"]
                W2 = parameters["W2"]
                b2 = parameters["b2"]
                m = X.shape[1]
                Z1 = np.dot(W1, X) + b1
                A1 = np.tanh(Z1)
                Z2 = np.dot(W2, A1) + b2
                A2 = 1 / (1 + np.exp(-Z2))
                cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
                dZ2 = A2 - Y
                dW2 = (1 / m) * np.dot(dZ2, A1.T)
                db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
                dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
                dW1 = (1 / m) * np.dot(dZ1, X.T)
                db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
                grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
                return cost, grads
            """),
        "model_step",
        "returns from a dict",
        bug=("(1 - np.power(A1, 2))", "A1 * (1 - A1)"),
        columns=True,
        mean=True,
        cross_entropy=True,
    ),
    "weights in a dict, updated by a loop over its keys": Program(
        program("""
            def train_step(params, X, Y, lr):
                Z1 = X @ params['W1'] + params['b1']
                A1 = np.tanh(Z1)
                Z2 = A1 @ params['W2'] + params['b2']
                A2 = sigmoid(Z2)
                loss = np.sum((A2 - Y) ** 2) / 2
                dZ2 = (A2 - Y) * A2 * (1 - A2)
                dZ1 = dZ2 @ params['W2'].T * (1 - A1 ** 2)
                grads = {'W1': X.T @ dZ1, 'b1': np.sum(dZ1, axis=0)}
                grads['W2'] = A1.T @ dZ2
                grads['b2'] = np.sum(dZ2, axis=0)
                for k in params:
                    params[k] -= lr * grads[k]
                return loss
            """),
        "train_step",
        "dict",
    ),
    "weights on an object, a method updating them": Program(
        program("""
            class Net:
                def activation(self, z):
                    return np.tanh(z)

                def train_step(self, X, Y, lr=0.1):
                    Z1 = X @ self.W1 + self.b1
                    A1 = self.activation(Z1)
                    Z2 = A1 @ self.W2 + self.b2
                    A2 = sigmoid(Z2)
                    loss = np.sum((A2 - Y) ** 2) / 2
                    dZ2 = (A2 - Y) * A2 * (1 - A2)
                    dZ1 = dZ2 @ self.W2.T * (1 - A1 ** 2)
                    self.W2 -= lr * A1.T @ dZ2
                    self.b2 -= lr * np.sum(dZ2, axis=0)
                    self.W1 -= lr * X.T @ dZ1
                    self.b1 -= lr * np.sum(dZ1, axis=0)
                    return loss
            """),
        "Net.train_step",
        "object",
    ),
    "a method calling the object's forward and backward methods": Program(
        program("""
            class Net:
                def forward(self, X):
                    self.Z1 = X @ self.W1 + self.b1
                    self.A1 = np.tanh(self.Z1)
                    Z2 = self.A1 @ self.W2 + self.b2
                    return sigmoid(Z2)

                def backward(self, X, Y, A2, lr):
                    dZ2 = (A2 - Y) * A2 * (1 - A2)
                    dZ1 = dZ2 @ self.W2.T * (1 - self.A1 ** 2)
                    self.W2 -= lr * self.A1.T @ dZ2
                    self.b2 -= lr * np.sum(dZ2, axis=0)
                    self.W1 -= lr * X.T @ dZ1
                    self.b1 -= lr * np.sum(dZ1, axis=0)

                def train_step(self, X, Y, lr):
                    out = self.forward(X)
                    loss = np.sum((out - Y) ** 2) / 2
                    self.backward(X, Y, out, lr)
                    return loss
            """),
        "Net.train_step",
        "object",
        bug=("(1 - self.A1 ** 2)", "self.A1 * (1 - self.A1)"),
    ),
    "weights in a dict on an object": Program(
        program("""
            class Net:
                def step(self, X, Y, lr):
                    p = self.params
                    Z1 = X @ self.params['W1'] + self.params['b1']
                    A1 = np.tanh(Z1)
                    Z2 = A1 @ self.params['W2'] + self.params['b2']
                    A2 = sigmoid(Z2)
                    loss = np.sum((A2 - Y) ** 2) / 2
                    dZ2 = (A2 - Y) * A2 * (1 - A2)
                    dZ1 = dZ2 @ self.params['W2'].T * (1 - A1 ** 2)
                    grads = {'W1': X.T @ dZ1, 'b1': np.sum(dZ1, axis=0)}
                    grads['W2'] = A1.T @ dZ2
                    grads['b2'] = np.sum(dZ2, axis=0)
                    for name in self.params.keys():
                        self.params[name] -= lr * grads[name]
            """),
        "Net.step",
        "object dict",
    ),
    "weights and biases in lists, updated element by element": Program(
        program("""
            def step(X, Y, Ws, bs, lr):
                A1 = np.tanh(X @ Ws[0] + bs[0])
                A2 = sigmoid(A1 @ Ws[1] + bs[1])
                loss = np.sum((A2 - Y) ** 2) / 2
                dZ2 = (A2 - Y) * A2 * (1 - A2)
                dZ1 = dZ2 @ Ws[1].T * (1 - A1 ** 2)
                Ws[1] -= lr * A1.T @ dZ2
                bs[1] -= lr * np.sum(dZ2, axis=0)
                Ws[0] -= lr * X.T @ dZ1
                bs[0] -= lr * np.sum(dZ1, axis=0)
            """),
        "step",
        "lists",
        names=("Ws[0]", "bs[0]", "Ws[1]", "bs[1]"),
    ),
    "samples as columns, the mean loss": Program(
        program("""
            def step(X, Y, W1, b1, W2, b2, lr):
                m = X.shape[1]
                Z1 = W1 @ X + b1
                A1 = np.tanh(Z1)
                Z2 = np.dot(W2, A1) + b2
                A2 = sigmoid(Z2)
                loss = np.sum((A2 - Y) ** 2) / (2 * m)
                dZ2 = (A2 - Y) * A2 * (1 - A2)
                dW2 = dZ2 @ A1.T / m
                db2 = np.sum(dZ2, axis=1, keepdims=True) / m
                dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
                dW1 = dZ1 @ X.T / m
                db1 = np.sum(dZ1, axis=1, keepdims=True) / m
                W1 -= lr * dW1
                b1 -= lr * db1
                W2 -= lr * dW2
                b2 -= lr * db2
            """),
        "step",
        "arguments",
        bug=("db1 = np.sum(dZ1, axis=1, keepdims=True) / m", "db1 = np.sum(dZ1) / m"),
        columns=True,
        mean=True,
    ),
    "samples as columns, the summed loss": Program(
        program("""
            def grads(X, Y, W1, b1, W2, b2):
                Z1 = W1 @ X + b1
                A1 = np.tanh(Z1)
                Z2 = W2 @ A1 + b2
                A2 = sigmoid(Z2)
                loss = np.sum((A2 - Y) ** 2) / 2
                dZ2 = (A2 - Y) * A2 * (1 - A2)
                dW2 = dZ2 @ A1.T
                db2 = np.sum(dZ2, axis=1, keepdims=True)
                dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
                dW1 = dZ1 @ X.T
                db1 = np.sum(dZ1, axis=1, keepdims=True)
                return dW1, db1, dW2, db2
            """),
        "grads",
        "returns",
        columns=True,
    ),
    "samples as rows, the mean loss": Program(
        program("""
            def step(X, Y, W1, b1, W2, b2, lr):
                m = X.shape[0]
                Z1 = X @ W1 + b1
                A1 = np.tanh(Z1)
                Z2 = A1 @ W2 + b2
                A2 = sigmoid(Z2)
                loss = np.sum((A2 - Y) ** 2) / (2 * m)
                dZ2 = (A2 - Y) * A2 * (1 - A2)
                dW2 = A1.T @ dZ2 / m
                db2 = np.sum(dZ2, axis=0) / m
                dZ1 = dZ2 @ W2.T * (1 - A1 ** 2)
                dW1 = X.T @ dZ1 / m
                db1 = np.sum(dZ1, axis=0) / m
                W1 -= lr * dW1
                b1 -= lr * db1
                W2 -= lr * dW2
                b2 -= lr * db2
            """),
        "step",
        "arguments",
        bug=("db2 = np.sum(dZ2, axis=0) / m", "db2 = np.sum(dZ2, axis=0)\n"),
        mean=True,
    ),
}


# -- the oracle: PyTorch autograd, and the program's own gradients ------------------------------
def data(columns: bool, bias_shape=None) -> tuple[np.ndarray, np.ndarray, dict]:
    rng = np.random.default_rng(3)
    n, m, h, k = 3, 5, 4, 2  # inputs, samples, hidden units, outputs
    if columns:
        shapes = {"W1": (h, n), "b1": (h, 1), "W2": (k, h), "b2": (k, 1)}
        return rng.normal(size=(n, m)), rng.random((k, m)), _params(rng, shapes)
    shapes = {"W1": (n, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    return rng.normal(size=(m, n)), rng.random((m, k)), _params(rng, shapes)


def _params(rng, shapes: dict) -> dict:
    return {name: rng.normal(size=shape) for name, shape in shapes.items()}


def autograd(spec: Program, X, Y, params: dict) -> dict:
    t = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    X, Y = torch.tensor(X), torch.tensor(Y)
    if spec.columns:
        A1 = torch.tanh(t["W1"] @ X + t["b1"])
        A2 = torch.sigmoid(t["W2"] @ A1 + t["b2"])
    else:
        A1 = torch.tanh(X @ t["W1"] + t["b1"])
        A2 = torch.sigmoid(A1 @ t["W2"] + t["b2"])
    loss = ((A2 - Y) ** 2).sum() / 2
    if spec.cross_entropy:
        loss = -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).sum()
    if spec.mean:
        loss = loss / X.shape[1 if spec.columns else 0]
    loss.backward()
    return {name: tensor.grad.numpy() for name, tensor in t.items()}


def run_program(path, spec: Program, X, Y, params: dict) -> dict:
    """The gradients the program computes: returned, or the step it takes at rate 1."""
    loaded = importlib.util.spec_from_file_location("program_under_test", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    before = {name: value.copy() for name, value in params.items()}
    function = getattr(module, spec.function.split(".")[0])
    if spec.run == "returns from a dict":  # keyed 'W1', or 'dW1'
        return {key.removeprefix("d"): value for key, value in function(params, X, Y)[1].items()}
    if spec.run == "returns":
        result = function(X, Y, *(params[n] for n in ORDER))
        return result if isinstance(result, dict) else dict(zip(ORDER, result, strict=True))
    if spec.run == "arguments":
        function(X, Y, *(params[n] for n in ORDER), 1.0)
    elif spec.run == "dict":
        function(params, X, Y, 1.0)
    elif spec.run == "lists":
        Ws, bs = [params["W1"], params["W2"]], [params["b1"], params["b2"]]
        function(X, Y, Ws, bs, 1.0)
    else:
        net = function()
        if spec.run == "object":
            vars(net).update(params)
        else:
            net.params = params
        getattr(net, spec.function.split(".")[1])(X, Y, 1.0)
    return {name: before[name] - params[name] for name in ORDER}


@pytest.mark.parametrize("broken", [False, True], ids=["as written", "one line broken"])
@pytest.mark.parametrize("shape", PROGRAMS)
def test_each_program_shape_is_judged_as_autograd_says(shape, broken, tmp_path):
    spec = PROGRAMS[shape]
    source = spec.broken() if broken else spec.source
    path = tmp_path / "train.py"
    path.write_text(source)
    X, Y, params = data(spec.columns)
    expected = autograd(spec, X, Y, params)
    got = run_program(path, spec, X, Y, {k: v.copy() for k, v in params.items()})
    wrong = [name for name in ORDER if not np.allclose(got[name], expected[name], atol=1e-12)]
    assert bool(wrong) == broken  # the oracle's label: the broken line does break a gradient

    report = check_code(path, spec.function, params=spec.params)

    assert report.ok == (not broken)
    blamed = {v.line for v in report.verdicts if v.status == "wrong"}
    if broken:
        assert blamed == {source[: source.index(spec.bug[1])].count("\n") + 1}
    loss = report.loss
    assert {v.claim for v in report.verdicts} >= {f"d{loss}/d{name}" for name in spec.names}


# -- loops: over the samples, over a small fixed range ------------------------------------------
@dataclass(frozen=True)
class Loop:
    source: str
    function: str
    bug: tuple[str, str]
    mean: bool  # the loss divided by the number of samples
    layers: bool = False  # y = w[1] * w[0] * x, w a list, rather than y = w * x + b
    one_sample: bool = False  # a step per sample: run on one sample, its gradient is one step


LOOPS = {
    "a loop over range(len(xs)) summing gradients, then the updates": Loop(
        """
        def step(xs, ys, w, b, lr):
            dw = 0
            db = 0
            loss = 0
            for i in range(len(xs)):
                y = w * xs[i] + b
                loss += (y - ys[i]) ** 2 / len(xs)
                dw += 2 * (y - ys[i]) * xs[i] / len(xs)
                db += 2 * (y - ys[i]) / len(xs)
            w -= lr * dw
            b -= lr * db
            return w, b
        """,
        "step",
        ("db += 2 * (y - ys[i]) / len(xs)", "db += 2 * (y - ys[i]) * xs[i] / len(xs)"),
        mean=True,
    ),
    "a loop over zip(xs, ys), the sums returned": Loop(
        """
        def grads(xs, ys, w, b):
            n = len(xs)
            dw, db, cost = 0.0, 0.0, 0.0
            for x, t in zip(xs, ys):
                y = w * x + b
                cost += 0.5 * (y - t) ** 2
                dw += (y - t) * x
                db += y - t
            return dw, db
        """,
        "grads",
        ("dw += (y - t) * x", "dw += (y - t) * x / n"),
        mean=False,
    ),
    "a step per sample (SGD), read as one step": Loop(
        """
        def epoch(xs, ys, w, b, lr):
            for i in range(len(xs)):
                y = w * xs[i] + b
                loss = (y - ys[i]) ** 2
                grad_w = 2 * (y - ys[i]) * xs[i]
                grad_b = 2 * (y - ys[i])
                w -= lr * grad_w
                b -= lr * grad_b
            return w, b
        """,
        "epoch",
        ("grad_b = 2 * (y - ys[i])", "grad_b = (y - ys[i])\n"),
        mean=False,
        one_sample=True,
    ),
    "a loss per sample, the gradients summed over zip(xs, ys)": Loop(
        """
        def summed(xs, ys, w, b, lr):
            dw = 0
            db = 0
            for x, t in zip(xs, ys):
                y = w * x + b
                loss = (y - t) ** 2
                print(loss)
                dw += 2 * (y - t) * x
                db += 2 * (y - t)
            w -= lr * dw
            b -= lr * db
            return w, b
        """,
        "summed",
        ("dw += 2 * (y - t) * x", "dw += 2 * (y - t) * x * x"),
        mean=False,
    ),
    "a delta per sample named like a loss (err), summed into each gradient": Loop(
        """
        def step(xs, ys, w, b, lr):
            dw = 0
            db = 0
            for i in range(len(xs)):
                y = w * xs[i] + b
                loss = (y - ys[i]) ** 2
                err = 2 * (y - ys[i])
                dw += err * xs[i]
                db += err
            w -= lr * dw
            b -= lr * db
            return w, b
        """,
        "step",
        ("dw += err * xs[i]", "dw += err\n"),
        mean=False,
    ),
    "a loop over a small fixed range": Loop(
        """
        def step(x, t, w, lr):
            h = x
            for l in range(2):
                h = w[l] * h
            loss = (h - t) ** 2
            dh = 2 * (h - t)
            g0 = dh * w[1] * x
            g1 = dh * w[0] * x
            w[0] -= lr * g0
            w[1] -= lr * g1
        """,
        "step",
        ("g1 = dh * w[0] * x", "g1 = dh * w[0]\n"),
        mean=False,
        layers=True,
    ),
}


def loop_autograd(spec: Loop, xs, ys, weights: list) -> list:
    w = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in weights]
    x, y = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    out = w[1] * w[0] * x if spec.layers else w[0] * x + w[1]
    loss = ((out - y) ** 2).sum() * (0.5 if spec.function == "grads" else 1.0)
    if spec.mean:
        loss = loss / len(xs)
    loss.backward()
    return [v.grad.item() for v in w]


def run_loop(path, spec: Loop, xs, ys, weights: list) -> list:
    loaded = importlib.util.spec_from_file_location("loop_under_test", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    function = getattr(module, spec.function)
    if spec.layers:
        w = list(weights)
        function(xs[0], ys[0], w, 1.0)
        return [a - b for a, b in zip(weights, w, strict=True)]
    if spec.function == "grads":
        return list(function(xs, ys, *weights))
    return [a - b for a, b in zip(weights, function(xs, ys, *weights, 1.0), strict=True)]


@pytest.mark.parametrize("broken", [False, True], ids=["as written", "one line broken"])
@pytest.mark.parametrize("shape", LOOPS)
def test_each_loop_is_read_unrun_and_judged_as_autograd_says(shape, broken, tmp_path):
    spec = LOOPS[shape]
    source = textwrap.dedent(spec.source).lstrip()
    source = source.replace(*spec.bug) if broken else source
    path = tmp_path / "train.py"
    path.write_text(source)
    rng = np.random.default_rng(5)
    xs, ys = list(rng.normal(size=5)), list(rng.normal(size=5))  # 5 samples: not the 3 read
    xs, ys = (xs[:1], ys[:1]) if spec.layers or spec.one_sample else (xs, ys)
    weights = list(rng.normal(size=2))
    expected = loop_autograd(spec, xs, ys, weights)
    got = run_loop(path, spec, xs, ys, weights)
    assert np.allclose(got, expected, atol=1e-12) == (not broken)  # the oracle's label

    report = check_code(path, spec.function)

    assert report.ok == (not broken)
    if broken:
        blamed = {v.line for v in report.verdicts if v.status == "wrong"}
        assert blamed == {source[: source.index(spec.bug[1])].count("\n") + 1}


# -- forward functions in the new shapes, for derive and the verbs built on it ------------------
def test_a_class_method_and_dict_weights_are_forward_functions_whose_weights_need_no_option(
    tmp_path,
):
    path = tmp_path / "neuron.py"
    path.write_text(
        textwrap.dedent("""
        import numpy as np

        class Neuron:
            def act(self, z):
                return np.tanh(z)

            def loss(self, x, t):
                y = self.act(self.w * x + self.b)
                loss = (y - t) ** 2
                return loss

        def dict_loss(params, x, t):
            y = np.tanh(params['w'] * x + params['b'])
            loss = (y - t) ** 2
            return loss
        """)
    )
    x, t, w, b = 0.7, -0.2, 1.3, 0.4
    tensors = {
        n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in (("w", w), ("b", b))
    }
    ((torch.tanh(tensors["w"] * x + tensors["b"]) - t) ** 2).backward()
    for function in ("Neuron.loss", "dict_loss"):
        model = load_model(f"{path}:{function}")
        assert [p.name for p in model.parameters] == ["w", "b"]
        result = derive(model)
        for name, tensor in tensors.items():
            in_leaves = result.in_leaves(result.gradient(name).expr)
            value = in_leaves.subs({"x": x, "t": t, "w": w, "b": b})
            assert float(value) == pytest.approx(tensor.grad.item(), rel=1e-12)


def test_a_training_loop_that_only_prints_its_counter_is_read_as_one_step(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(
        textwrap.dedent("""
        import numpy as np

        def train(X, Y, W, lr):
            for i in range(10):
                out = np.tanh(X @ W)
                loss = np.sum((out - Y) ** 2) / 2
                W -= lr * X.T @ ((out - Y) * (1 - out ** 2))
                if i % 5 == 0:
                    print(i, loss)
        """)
    )
    report = check_code(path, "train")
    # one step, not ten: d/dW of sum((tanh(XW) - Y)^2)/2 is X.T @ ((out - Y)(1 - out^2))
    assert [(v.line, v.claim, v.correct) for v in report.verdicts] == [(8, "dloss/dW", True)]


MODULE_LEVEL = """
xs = [1.0, 2.0, 3.0, 4.0, 5.0]
ys = [2.1, 3.9, 6.2, 7.8, 10.1]
m = 0.0
c = 0.0
lr = 0.01
for epoch in range(1):
    grad_m = 0
    grad_c = 0
    for x, y in zip(xs, ys):
        pred = m * x + c
        loss = (pred - y) ** 2
        grad_m += 2 * (pred - y) * x
        grad_c += 2 * (pred - y)
    m -= lr * grad_m
    c -= lr * grad_c
"""


@pytest.mark.parametrize("broken", [False, True], ids=["as written", "one line broken"])
def test_a_module_level_loop_over_the_samples_is_read_as_the_sum_it_makes(broken, tmp_path):
    bug = ("grad_c += 2 * (pred - y)\n", "grad_c += 2 * (pred - y) * x\n")
    source = MODULE_LEVEL.lstrip().replace(*bug) if broken else MODULE_LEVEL.lstrip()
    path = tmp_path / "fit.py"
    path.write_text(source)
    ran: dict = {}
    exec(compile(source, str(path), "exec"), ran)  # the test runs its own fixture
    m, c = (torch.tensor(0.0, dtype=torch.float64, requires_grad=True) for _ in range(2))
    xs, ys = torch.tensor(ran["xs"]), torch.tensor(ran["ys"])
    ((m * xs + c - ys) ** 2).sum().backward()
    got = [-ran["m"] / ran["lr"], -ran["c"] / ran["lr"]]
    assert np.allclose(got, [m.grad.item(), c.grad.item()], atol=1e-9) == (not broken)

    report = check_code(path)

    assert report.ok == (not broken)
    assert [v.name for v in report.verdicts] == ["grad_m", "grad_c"]  # no partial sums
    if broken:
        assert [v.line for v in report.verdicts if not v.correct] == [13]


# -- bad input in these shapes: one line, naming the place -------------------------------------
BAD_SHAPES = {
    "no such class": (
        "class Net:\n    def step(self, x):\n        return x\n",
        "Other.step",
        1,
        "no class 'Other'",
    ),
    "no such method": (
        "class Net:\n    def step(self, x):\n        return x\n",
        "Net.train",
        1,
        "no method 'train' in class Net",
    ),
    "a method calling itself": (
        "class Net:\n    def step(self, x, t):\n        loss = (self.w * x - t) ** 2\n"
        "        self.step(x, t)\n",
        "Net.step",
        4,
        "methods calling methods",
    ),
    "returned values only some of which are named": (
        "def grads(x, t, w, b):\n    y = w * x + b\n    loss = (y - t) ** 2\n"
        "    dw = 2 * (y - t) * x\n    other = 2 * (y - t)\n    return dw, other\n",
        "grads",
        6,
        "--params",
    ),
}


@pytest.mark.parametrize("case", BAD_SHAPES)
def test_bad_input_in_these_shapes_is_one_located_line(case, tmp_path, capsys):
    source, function, line, words = BAD_SHAPES[case]
    path = tmp_path / "train.py"
    path.write_text(source)
    refused(capsys, ["check", f"{path}:{function}"], f"{path}:{line}", words)


CLASS_WITH_INIT = """
import numpy as np

class Net:
    def __init__(self, n_in, n_hidden, n_out):
        self.W1 = np.random.randn(n_in, n_hidden) * 0.5
        self.b1 = np.zeros((1, n_hidden))
        self.W2 = np.random.randn(n_hidden, n_out) * 0.5
        self.b2 = np.random.normal(0.0, 0.1, size=(1, n_out))

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def forward(self, X):
        self.z1 = X @ self.W1 + self.b1
        self.a1 = np.tanh(self.z1)
        return self.sigmoid(self.a1 @ self.W2 + self.b2)

    def train_step(self, X, Y, lr=0.5):
        out = self.forward(X)
        loss = np.sum((out - Y) ** 2) / 2
        d_z2 = (out - Y) * out * (1 - out)
        d_z1 = d_z2 @ self.W2.T * (1 - self.a1 ** 2)
        self.W2 -= lr * self.a1.T @ d_z2
        self.b2 -= lr * np.sum(d_z2, axis=0, keepdims=True)
        self.W1 -= lr * X.T @ d_z1
        self.b1 -= lr * np.sum(d_z1, axis=0, keepdims=True)
        return loss
"""


@pytest.mark.parametrize("init", ["np.zeros((1, n_hidden))", "np.zeros(n_hidden)"])
def test_the_shapes_init_gives_an_objects_weights_are_the_shapes_read(init, tmp_path):
    source = CLASS_WITH_INIT.replace("np.zeros((1, n_hidden))", init)
    path = tmp_path / "net.py"
    path.write_text(source)
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # the test runs its own fixture
    net = namespace["Net"](3, 4, 2)
    X, Y, _ = data(columns=False)
    before = {name: getattr(net, name).copy() for name in ORDER}
    try:
        net.train_step(X, Y, 1.0)
        runs = True
    except ValueError:  # a (1, H) step cannot be taken in place by an (H,) bias
        runs = False
    if runs:
        got = {name: before[name] - getattr(net, name) for name in ORDER}
        expected = autograd(PROGRAMS["a tuple of gradients returned"], X, Y, before)
        assert all(np.allclose(got[n], expected[n].reshape(got[n].shape)) for n in ORDER)

    report = check_code(path, "Net.train_step")

    assert report.ok == runs  # (1, H) biases: all correct; (H,) ones: the keepdims sum wrong
    if not runs:
        assert [v.line for v in report.verdicts if not v.correct] == [27]
