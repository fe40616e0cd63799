"""Each verdict carries the derivation of the correct value: the chain rule from the loss down
to what the line claims, one adjoint a step, in LaTeX that KaTeX typesets.

Expected chains by hand: question 5's e1 = dE/dw[0] runs through the output's adjoint, the
output's pre-activation, h1's output and h1's pre-activation, then multiplies by x; a ReLU
pair's dx is out's adjoint (the upstream gradient, as L = sum(out * dout)) where x > 0.
"""

from __future__ import annotations

import json

import pytest
from corpus.families_loops import PER_SAMPLE_OUTER

from symbackprop.check import api as check_api
from symbackprop.check.codecheck import check_text
from symbackprop.explain.katex import katex_errors, node

E1 = "e1 = (zout-t)*zout*(1-zout)*w[4]*h1out*(1-h1out)*x"

RELU_PAIR = """\
import numpy as np


def relu_forward(x):
    out = np.maximum(0, x)
    return out, x


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx
"""


def question5_steps() -> list[str]:
    report = check_api.check_formulas("tiny221", [E1], ["e1=w[0]"])
    (verdict,) = report.verdicts
    return verdict.to_data()["derivation"]


def test_a_weight_gradient_is_derived_down_the_chain_from_the_loss():
    steps = question5_steps()
    assert steps[0].startswith(r"\delta_{z^{\mathrm{out}}} = ")  # the loss's own input first
    assert [s.split(" = ")[0] for s in steps[1:-1]] == [
        r"\delta_{z}",
        r"\delta_{h^{\mathrm{out}}_{1}}",
        r"\delta_{h_{1}}",
    ]
    assert steps[-1] == r"\frac{\partial e}{\partial w_{0}} = \delta_{h_{1}} x"


def test_the_json_output_carries_the_steps(tmp_path, capsys):
    from symbackprop.cli import main

    path = tmp_path / "layers.py"
    path.write_text(RELU_PAIR)
    assert main(["check", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (unit,) = [u for u in data["units"] if u["function"] == "relu_backward"]
    (verdict,) = unit["report"]["verdicts"]
    *chain, last = verdict["derivation"]
    assert chain == [r"\delta_{\mathrm{out}} = d^{\mathrm{out}}"]  # L = sum(out * dout)
    assert last.startswith(r"\frac{\partial L}{\partial x} = ")


@pytest.mark.skipif(node() is None, reason="node is not installed")
def test_every_step_of_a_program_typesets_in_katex():
    report = check_text(PER_SAMPLE_OUTER.source, "sgd.py", "sgd_epoch")
    steps = [step for verdict in report.verdicts for step in verdict.derivation]
    steps += question5_steps()
    assert len(steps) > 8
    assert katex_errors(steps) == []
