"""Batch normalisation's backward written step by step through its computational graph: the
gradients of the sums over the batch spread with ``np.ones((N, D))`` are the node-shaped
arrays that a reduction's adjoint (one row, the same in every row) stands for. Labels come
from torch autograd of ``batch_norm`` (biased variance, the fixture's eps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_mutants import judged, load_module, mutant_file

from symbackprop.check import check_code

torch = pytest.importorskip("torch")

GRAPH = Path(__file__).parent / "layerfiles" / "graph_batchnorm.py"
EPS = 1e-5


def _right(module) -> bool:
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(4)
    dout = rng.standard_normal((6, 4))
    out, cache = module.batchnorm_forward(x, gamma, beta, EPS)
    dx, dgamma, dbeta = module.batchnorm_backward(dout, cache)
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    tout = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=EPS)
    (tout * torch.tensor(dout)).sum().backward()
    pairs = ((dx, tx), (dgamma, tg), (dbeta, tb))
    return all(np.allclose(got, want.grad.numpy(), atol=1e-10) for got, want in pairs)


def test_the_graph_backward_is_right_and_called_right():
    assert _right(load_module(GRAPH))
    report = judged(check_code(GRAPH, "batchnorm_backward"))
    assert report.ok, report.to_text()
    assert "dsq" in {v.name for v in report.verdicts}  # the spread sum's gradient is judged


@pytest.mark.parametrize(
    ("old", "new", "at_its_line"),
    [
        (
            "dsq = 1.0 / N * np.ones((N, D)) * dvar",
            "dsq = 2.0 / N * np.ones((N, D)) * dvar",
            True,
        ),
        # a factor left out of a step with no name of its own in the forward (``dxmu2``):
        # blamed where the formula reader finds the adjoint it feeds, ``dx``
        ("dxmu2 = 2 * xmu * dsq", "dxmu2 = xmu * dsq", False),
    ],
)
def test_a_wrong_step_is_called_wrong(tmp_path, old, new, at_its_line):
    path, line = mutant_file(GRAPH, tmp_path, "batchnorm_backward", old, new)
    assert not _right(load_module(path))
    report = judged(check_code(path, "batchnorm_backward"))
    assert not report.ok
    assert (min(v.line for v in report.wrong) == line) is at_its_line


def test_the_sum_s_gradient_as_one_row_is_right_too(tmp_path):
    """``dsq = dvar / N``: one row, broadcast where it is used: as right as the spread one."""
    old, new = "dsq = 1.0 / N * np.ones((N, D)) * dvar", "dsq = dvar / N"
    path, _ = mutant_file(GRAPH, tmp_path, "batchnorm_backward", old, new)
    assert _right(load_module(path))
    assert judged(check_code(path, "batchnorm_backward")).ok
