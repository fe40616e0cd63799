"""A network trained one sample at a time whose ``backprop(x, y)`` returns lists of gradients,
``(nabla_b, nabla_w)``, one entry for each entry of its lists ``self.biases`` and
``self.weights`` (the best-known online textbook's network, and its second version with a cost
class passed in). Read by evaluating it; correct code never called wrong, each mutant judged
as the oracle labels it.

The labels come from torch autograd of the same network written here in torch: sigmoid layers
on a column, and the quadratic cost 0.5 * sum((a - y)**2) or the cross-entropy
sum(-y log a - (1 - y) log(1 - a)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_mutants import (
    assert_judged_as_labelled,
    assert_labels_as_reviewed,
    judged,
    load_module,
    mutant_file,
    oracle_labels,
)

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED, NOT_READ

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_NETWORK = FIXTURES / "sample_network.py"  # the quadratic cost, by cost_derivative()
COST_NETWORK = FIXTURES / "cost_network.py"  # a cost class: cross-entropy or quadratic
SIZES = [4, 5, 3, 2]
UNIT = "Network.backprop"


def _oracle(weights, biases, x, y, cost: str) -> tuple[list, list]:
    """Each bias's and each weight's gradient of the cost, by torch autograd."""
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]
    a = torch.tensor(x)
    for w, b in zip(ws, bs, strict=True):
        a = torch.sigmoid(w @ a + b)
    target = torch.tensor(y)
    if cost == "quadratic":
        loss = 0.5 * ((a - target) ** 2).sum()
    else:
        loss = (-target * torch.log(a) - (1 - target) * torch.log(1 - a)).sum()
    loss.backward()
    return [b.grad.numpy() for b in bs], [w.grad.numpy() for w in ws]


def _as_torch(net, cost: str, seed: int) -> bool:
    """Whether ``net.backprop`` gives torch's gradients at weights and a sample drawn here;
    one that fails does not."""
    rng = np.random.default_rng(seed)
    net.weights = [rng.standard_normal(w.shape) for w in net.weights]
    net.biases = [rng.standard_normal(b.shape) for b in net.biases]
    x, y = rng.standard_normal((SIZES[0], 1)), rng.uniform(0.1, 0.9, (SIZES[-1], 1))
    want_b, want_w = _oracle(net.weights, net.biases, x, y, cost)
    try:
        got_b, got_w = net.backprop(x, y)
    except Exception:
        return False
    pairs = list(zip(got_b, want_b, strict=True)) + list(zip(got_w, want_w, strict=True))
    return all(
        np.shape(got) == want.shape and np.allclose(got, want, atol=1e-12) for got, want in pairs
    )


def _sample_right(module) -> bool:
    return all(_as_torch(module.Network(SIZES), "quadratic", seed) for seed in (1, 2))


def _cost_right(module) -> bool:
    costs = {"quadratic": module.QuadraticCost, "cross-entropy": module.CrossEntropyCost}
    return all(
        _as_torch(module.Network(SIZES, cost=cost_class), cost, seed)
        for cost, cost_class in costs.items()
        for seed in (1, 2)
    )


RIGHT = {SAMPLE_NETWORK: _sample_right, COST_NETWORK: _cost_right}


@pytest.mark.parametrize("fixture", [SAMPLE_NETWORK, COST_NETWORK], ids=lambda p: p.stem)
def test_torch_autograd_agrees_the_network_is_right_and_it_is_read_so(fixture):
    assert RIGHT[fixture](load_module(fixture))
    (unit,) = check_code(fixture).units
    assert unit.function == UNIT
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    entries = {v.name for v in unit.report.verdicts}
    layers = len(SIZES) - 1  # the checker's own sizes have as many layers as these
    assert entries == {f"{kind}[{i}]" for kind in ("nabla_b", "nabla_w") for i in range(layers)}
    text = fixture.read_text().splitlines()
    lines = {v.name: v.line for v in unit.report.verdicts}
    # each entry at the line that fills it: the last layer's before the loop, the others in it
    assert text[lines[f"nabla_w[{layers - 1}]"] - 1].strip().startswith("nabla_w[-1] =")
    assert text[lines["nabla_w[0]"] - 1].strip().startswith("nabla_w[-l] =")


def test_the_cost_is_said():
    (unit,) = check_code(SAMPLE_NETWORK).units
    assert any("quadratic cost 0.5 * sum((a - y)**2)" in note for note in unit.report.notes)
    (unit,) = check_code(COST_NETWORK).units
    assert any("self.cost.fn(a, y)" in note for note in unit.report.notes)


MUTANTS = [
    (SAMPLE_NETWORK, UNIT, "sp = sigmoid_prime(z)", "sp = sigmoid(z)"),
    (
        SAMPLE_NETWORK,
        UNIT,
        "delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])",
        "delta = self.cost_derivative(activations[-1], y)",
    ),
    (SAMPLE_NETWORK, UNIT, "range(2, self.num_layers)", "range(2, self.num_layers - 1)"),
    (SAMPLE_NETWORK, UNIT, "nabla_b[-l] = delta", "nabla_b[-l] = sp"),
    (
        SAMPLE_NETWORK,
        UNIT,
        "nabla_w[-1] = np.dot(delta, activations[-2].transpose())",
        "nabla_w[-1] = np.dot(delta, activations[-2].transpose()) / 2",
    ),
    (
        SAMPLE_NETWORK,
        UNIT,
        "nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())",
        "nabla_w[-l] = np.dot(delta, activations[-l].transpose())",
    ),
    (SAMPLE_NETWORK, UNIT, "activations.append(activation)", "activations.append(z)"),
    (
        SAMPLE_NETWORK,
        UNIT,
        "nabla_w[-1] = np.dot(delta, activations[-2].transpose())",
        "nabla_w[-1] = delta @ activations[-2].T",
    ),
    (
        SAMPLE_NETWORK,
        UNIT,
        "delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp",
        "delta = sp * (self.weights[-l + 1].T @ delta)",
    ),
    (
        SAMPLE_NETWORK,
        "Network.cost_derivative",
        "return output_activations - y",
        "return y - output_activations",
    ),
    (
        SAMPLE_NETWORK,
        "sigmoid_prime",
        "return sigmoid(z) * (1 - sigmoid(z))",
        "return sigmoid(z) * (1 + sigmoid(z))",
    ),
    (COST_NETWORK, "QuadraticCost.delta", "return (a - y) * sigmoid_prime(z)", "return a - y"),
    (
        COST_NETWORK,
        "CrossEntropyCost.delta",
        "return a - y",
        "return (a - y) * sigmoid_prime(z)",
    ),
    (
        COST_NETWORK,
        UNIT,
        "delta = (self.cost).delta(zs[-1], activations[-1], y)",
        "delta = (self.cost).delta(zs[-1], activations[-1], y) * sigmoid_prime(zs[-1])",
    ),
    (COST_NETWORK, UNIT, "z = np.dot(w, activation) + b", "z = np.dot(w, activation) + 2 * b"),
]
EQUIVALENT = {
    (SAMPLE_NETWORK, "nabla_w[-1] = delta @ activations[-2].T"),
    (SAMPLE_NETWORK, "delta = sp * (self.weights[-l + 1].T @ delta)"),
}
# Caught, but blamed at another line, each for its reason.
BLAMED_ELSEWHERE = {
    # a delta wrong in a turn of the loop has no target of its own (``delta`` is every
    # layer's): blamed where the loop's delta is made from it
    (SAMPLE_NETWORK, "sp = sigmoid(z)"),
    # an entry filled with another value is blamed where that value is made
    (SAMPLE_NETWORK, "nabla_b[-l] = sp"),
    # a mistake in a method or function the unit calls: blamed at the line that calls it
    (SAMPLE_NETWORK, "return y - output_activations"),
    (SAMPLE_NETWORK, "return sigmoid(z) * (1 + sigmoid(z))"),
    (COST_NETWORK, "return a - y"),
    (COST_NETWORK, "return (a - y) * sigmoid_prime(z)"),
    # the forward pass inside backprop: blamed where its values are first read wrongly
    (SAMPLE_NETWORK, "activations.append(z)"),
    (COST_NETWORK, "z = np.dot(w, activation) + 2 * b"),
}


def _label(tmp_path: Path, fixture: Path, function: str, old: str, new: str):
    path, line = mutant_file(fixture, tmp_path, function, old, new)
    return path, line, RIGHT[fixture](load_module(path))


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


@pytest.mark.parametrize(("fixture", "function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_mutant_is_judged_as_the_oracle_says(tmp_path, fixture, function, old, new):
    path, line, right = _label(tmp_path, fixture, function, old, new)
    report = judged(check_code(path, UNIT))
    assert_judged_as_labelled(report, line, right, (fixture, new) in BLAMED_ELSEWHERE)


def test_a_cost_class_is_judged_under_each_cost(tmp_path):
    """A wrong quadratic delta is wrong only when the network is made with that cost: the
    counterexample names it."""
    path, _, right = _label(
        tmp_path, COST_NETWORK, "QuadraticCost.delta", "(a - y) * sigm", "(a - y) * 2 * sigm"
    )
    assert not right
    report = judged(check_code(path, UNIT))
    assert not report.ok
    assert "self.cost = QuadraticCost" in report.to_text()


def test_a_network_without_a_known_cost_is_not_read(tmp_path):
    """No ``cost_derivative()`` and no ``self.cost.fn``: which cost the gradients are of
    cannot be told, and it is said, never guessed."""
    text = SAMPLE_NETWORK.read_text().replace("def cost_derivative(", "def output_error(")
    text = text.replace("self.cost_derivative(", "self.output_error(")
    path = tmp_path / "no_cost.py"
    path.write_text(text)
    (unit,) = check_code(path).units
    assert unit.status == NOT_READ
    assert "cannot tell the cost Network.backprop() gives the gradients of" in unit.message


ROW_NETWORK = FIXTURES / "row_network.py"


def _rows_right(module) -> bool:
    """The row network's gradients as torch has them: x @ W + b, the quadratic cost."""
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        net = module.MLP(SIZES)
        net.weights = [rng.standard_normal(w.shape) for w in net.weights]
        net.biases = [rng.standard_normal(b.shape) for b in net.biases]
        x, y = rng.standard_normal((1, SIZES[0])), rng.uniform(0.1, 0.9, (1, SIZES[-1]))
        ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
        bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
        a = torch.tensor(x)
        for w, b in zip(ws, bs, strict=True):
            a = torch.sigmoid(a @ w + b)
        (0.5 * ((a - torch.tensor(y)) ** 2).sum()).backward()
        got_w, got_b = net.backprop(x, y)
        pairs = zip([*got_w, *got_b], [*ws, *bs], strict=True)
        if not all(np.allclose(got, want.grad.numpy(), atol=1e-12) for got, want in pairs):
            return False
    return True


def test_a_network_of_rows_is_read_and_a_mutant_caught_at_its_line(tmp_path):
    """Weights (in, out) and 1-D biases: the sample is drawn as a row."""
    assert _rows_right(load_module(ROW_NETWORK))
    (unit,) = check_code(ROW_NETWORK).units
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    assert any("a = forward(x)" in note for note in unit.report.notes)
    old = "delta = (delta @ self.weights[k].T) * activations[k] * (1 - activations[k])"
    new = "delta = (delta @ self.weights[k].T) * activations[k]"
    path, line = mutant_file(ROW_NETWORK, tmp_path, "MLP.backprop", old, new)
    assert not _rows_right(load_module(path))
    report = judged(check_code(path, "MLP.backprop"))
    assert not report.ok
    assert min(v.line for v in report.wrong) == line
