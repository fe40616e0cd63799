"""Layers that take their stride, padding and pool size as numbers and loop over output
positions only: read by evaluation at every setting. The labels come from torch
(``F.conv2d``, ``F.max_pool2d``), never from the checker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_mutants import load_module

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED

torch = pytest.importorskip("torch")
F = torch.nn.functional

FIXTURE = Path(__file__).parent / "layerfiles" / "strided_args.py"
SETTINGS = [(1, 1, 2), (2, 1, 3), (2, 0, 2), (1, 0, 3)]  # stride, pad, pool size


def _close(a, b) -> bool:
    a = np.asarray(a)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-8, atol=1e-10)


def _right(module) -> bool:
    """Both pairs agree with torch autograd at every setting (a crash is wrong)."""
    rng = np.random.default_rng(5)
    for stride, pad, size in SETTINGS:
        x, w, b = (
            rng.standard_normal((2, 3, 7, 6)),
            rng.standard_normal((4, 3, 3, 2)),
            rng.standard_normal(4),
        )
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
        dout = rng.standard_normal(tuple(out.shape))
        (out * torch.tensor(dout)).sum().backward()
        pooled = F.max_pool2d(tx.detach().requires_grad_(), size, stride)
        try:
            got, cache = module.conv_forward(x, w, b, stride, pad)
            grads = module.conv_backward(dout, cache)
            tp = tx.detach().requires_grad_()
            pooled = F.max_pool2d(tp, size, stride)
            dpool = rng.standard_normal(tuple(pooled.shape))
            (pooled * torch.tensor(dpool)).sum().backward()
            p_out, p_cache = module.max_pool_forward(x, size, stride)
            dx_pool = module.max_pool_backward(dpool, p_cache)
        except Exception:
            return False
        expected = [t.grad.numpy() for t in (tx, tw, tb)]
        if not _close(got, out.detach().numpy()) or not _close(p_out, pooled.detach().numpy()):
            return False
        if not all(_close(g, e) for g, e in zip(grads, expected, strict=True)):
            return False
        if not _close(dx_pool, tp.grad.numpy()):
            return False
    return True


def test_the_fixture_agrees_with_torch_and_is_read_whole_and_correct():
    assert _right(load_module(FIXTURE))
    report = check_code(FIXTURE)
    assert [u.status for u in report.units] == [CHECKED, CHECKED]
    assert report.ok, report.to_text()


MUTANTS = [
    (
        "dw += np.tensordot(dout[:, :, i, j], patch",
        "dw += np.tensordot(dout[:, :, i, j], xp[:, :, i:i + HH, j:j + WW]",
    ),
    ("dx = dxp[:, :, pad : pad + H, pad : pad + W]", "dx = dxp[:, :, :H, :W]"),
    ("db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(2, 3)).sum(axis=0)"),
    ("pool_size] += (\n                m * dout", "pool_size] = (\n                m * dout"),
    (
        "m = win == win.max(axis=(2, 3), keepdims=True)",
        "m = win >= win.max(axis=(2, 3), keepdims=True)",
    ),
    ("m = win == win.max(axis=(2, 3), keepdims=True)", "m = win == win.max()"),
]


@pytest.mark.parametrize(("old", "new"), MUTANTS, ids=lambda v: v[:30])
def test_a_mutant_is_judged_as_torch_says(tmp_path, old, new):
    text = FIXTURE.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "layers.py"
    path.write_text(text.replace(old, new))
    right = _right(load_module(path))
    report = check_code(path)
    assert all(u.status == CHECKED for u in report.units)
    assert report.ok == right, report.to_text()


def test_the_mutants_hold_both_kinds(tmp_path):
    labels = []
    for number, (old, new) in enumerate(MUTANTS):
        path = tmp_path / f"m{number}.py"
        path.write_text(FIXTURE.read_text().replace(old, new))
        labels.append(_right(load_module(path)))
    assert labels.count(False) >= 3 and labels.count(True) >= 2
