"""Module-style layer classes, whose ``backward(grad)`` returns the gradient of the forward's
input rather than storing it as ``self.dinputs``: each returned value is judged as dL/dx of
the forward's first argument (dloss/dpred for a loss class), beside any ``self.dW`` stored.
Labels come from torch autograd of the same layers written here in torch."""

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
    read_correct,
)

from symbackprop.check import check_code

torch = pytest.importorskip("torch")

MODULES = Path(__file__).parent / "layerfiles" / "module_layers.py"
BACKWARDS = ["Linear.backward", "ReLU.backward", "Sigmoid.backward", "MSELoss.backward"]


def _close(got, want) -> bool:
    got = np.asarray(got, dtype=float)
    return got.shape == tuple(want.shape) and np.allclose(got, want.numpy(), atol=1e-12)


def _right(module) -> bool:
    """Every backward's gradients as torch's, at drawn inputs, weights and upstream."""
    rng = np.random.default_rng(4)
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    linear = module.Linear(3, 2)
    linear.W, linear.b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, linear.W, linear.b))
    ((tx @ tw + tb) * torch.tensor(grad)).sum().backward()
    linear.forward(x)
    ok = _close(linear.backward(grad), tx.grad)
    ok = ok and _close(linear.dW, tw.grad) and _close(linear.db, tb.grad)
    upstream = rng.standard_normal((5, 3))
    for layer, function in ((module.ReLU(), torch.relu), (module.Sigmoid(), torch.sigmoid)):
        tx = torch.tensor(x, requires_grad=True)
        (function(tx) * torch.tensor(upstream)).sum().backward()
        layer.forward(x)
        ok = ok and _close(layer.backward(upstream), tx.grad)
    target = rng.standard_normal((5, 3))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.mse_loss(tx, torch.tensor(target)).backward()
    loss = module.MSELoss()
    loss.forward(x, target)
    return ok and _close(loss.backward(), tx.grad)


def test_the_module_layers_are_right_and_each_returned_gradient_is_judged():
    assert _right(load_module(MODULES))
    units = read_correct(MODULES, BACKWARDS)
    for name in BACKWARDS:
        claims = {v.name: v.claim for v in units[name].report.verdicts}
        assert claims["the returned value"] in ("dL/dx", "dloss/dpred")
    assert {"self.dW", "self.db"} <= {v.name for v in units["Linear.backward"].report.verdicts}


MUTANTS = [
    ("ReLU.backward", "return grad * self.mask", "return grad * (1 - self.mask)"),
    ("Sigmoid.backward", "return grad * self.out * (1 - self.out)", "return grad * self.out"),
    ("MSELoss.backward", "return 2 * self.diff / self.diff.size", "return 2 * self.diff"),
    ("Linear.backward", "return grad @ self.W.T", "return 2 * grad @ self.W.T"),
    ("Linear.backward", "self.db = grad.sum(axis=0)", "self.db = grad.mean(axis=0)"),
    ("Linear.backward", "self.dW = self.x.T @ grad", "self.dW = (grad.T @ self.x).T"),
]
EQUIVALENT = {("Linear.backward", "self.dW = (grad.T @ self.x).T")}


def _label(tmp_path: Path, function: str, old: str, new: str):
    path, line = mutant_file(MODULES, tmp_path, function, old, new)
    return path, line, _right(load_module(path))


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, set(), len(MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_mutant_is_judged_as_the_oracle_says_at_its_own_line(tmp_path, function, old, new):
    path, line, right = _label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, elsewhere=False)
