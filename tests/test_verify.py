"""verify: the largest relative error per parameter, and a Taylor slope that exposes a wrong one."""

import pytest

from symbackprop import api
from symbackprop.cli import main
from symbackprop.codegen.generate import module_text
from symbackprop.readers.examples import EXAMPLES, builtin


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_builtin_verifies(name):
    report = api.verify(name)
    assert report.ok
    assert set(report.errors) == set(builtin_parameters(name))
    assert report.taylor_slope == pytest.approx(2, abs=0.1)
    recurrent = getattr(builtin(name), "cell", None) is not None
    assert (report.step_error is None) == recurrent


def builtin_parameters(name):
    return api.generate(name).split("PARAMETER_SHAPES = {")[1].split("}")[0].split('"')[1::2]


def test_cli_prints_each_parameter_and_exits_0(capsys):
    assert main(["verify", "xor"]) == 0
    out = capsys.readouterr().out
    assert "synapse_0" in out and "synapse_1" in out and "OK" in out


def test_a_wrong_gradient_fails_with_a_taylor_slope_of_one():
    model = builtin("xor")
    correct = "delta_layer_2 = layer_2 - y\n"
    text = module_text(model)
    assert correct in text
    wrong = text.replace(correct, "delta_layer_2 = 2 * (layer_2 - y)\n")  # a forgotten 1/2
    report = api.verify(model, text=wrong)
    assert not report.ok
    assert report.taylor_slope == pytest.approx(1, abs=0.2)
    assert min(report.errors.values()) > 0.1


def test_a_fused_step_that_applies_a_wrong_gradient_fails():
    model = builtin("xor")
    text = module_text(model)
    scaling = "    delta_layer_2 *= lr\n"
    assert text.count(scaling) == 1  # in train_step only; backward() stays right
    report = api.verify(model, text=text.replace(scaling, "    delta_layer_2 *= 2 * lr\n"))
    assert max(report.errors.values()) < 1e-7
    assert report.step_error == pytest.approx(0.5, rel=0.05)  # |2g - g| over the larger, 2g
    assert not report.ok


def test_json_report_is_data(capsys):
    import json

    assert main(["verify", "linreg", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert set(data["max_relative_error"]) == {"m", "c"}
    assert abs(data["taylor_slope"] - 2) < 0.1
