"""verify: the largest relative error per parameter, and a Taylor slope that exposes a wrong one."""

import pytest

from symbackprop import api
from symbackprop.cells.step import StepModel
from symbackprop.cli import main
from symbackprop.codegen.generate import module_text
from symbackprop.readers.examples import EXAMPLES, builtin


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_builtin_verifies(name):
    report = api.verify(name)
    assert report.ok
    assert set(report.errors) == set(builtin_parameters(name))
    assert report.taylor_slope == pytest.approx(2, abs=0.1)
    recurrent = isinstance(builtin(name), StepModel)
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


# -- at scale: a random sample of entries per parameter, and directions over every entry ----------
def big_net(folder) -> str:
    spec = folder / "big.toml"
    spec.write_text(
        '[network]\nsizes = [784, 128, 64, 10]\nactivation = ["relu", "relu", "softmax"]\n'
        'loss = "softmax_ce"\nreduction = "mean"\n'
    )
    return str(spec)


def test_a_large_relu_net_verifies_by_sampled_entries(tmp_path):
    report = api.verify(big_net(tmp_path))
    assert report.ok, report.to_text()
    # W1 has 784 * 128 entries; each parameter is differenced in at most 24 of them
    assert report.sampled["W1"] == (24, 784 * 128)
    assert report.sampled["b3"] == (10, 10)  # small parameters entirely
    assert "24 of 100352 entries, at random" in report.to_text()
    assert report.taylor_slope == pytest.approx(2, abs=0.1)


def wrong_in_one_entry(model, name: str, entry: tuple) -> str:
    """The model's module with its gradient of ``name`` wrong in one entry only."""
    text = module_text(model)
    ending = "    return {\n"
    backward = text.index("def backward(")
    at = text.index(ending, backward)
    index = ", ".join(map(str, entry))
    return text[:at] + f"    d_{name}[{index}] += 0.5\n" + text[at:]


def test_one_wrong_entry_outside_the_sample_is_caught_by_the_directions(tmp_path):
    model = api.load_model(big_net(tmp_path))
    report = api.verify(model, text=wrong_in_one_entry(model, "W1", (783, 127)))
    sampled_last = report.sampled["W1"][0] < report.sampled["W1"][1]
    assert sampled_last and not report.ok
    assert report.directional > 1e-3  # a directional derivative sees every entry
