"""The ``train`` verb: summary, findings and files on success; one clear line, exit 2 and
nothing written on bad input."""

import argparse
import json
import shlex

import numpy as np
import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.train import cli, extras

needs_matplotlib = pytest.mark.skipif(
    not extras.available("matplotlib"), reason="--plot needs matplotlib (extra 'plot')"
)
needs_sklearn = pytest.mark.skipif(
    not extras.available("sklearn"), reason="the digits data needs scikit-learn (extra 'data')"
)


def parse(*argv):
    parser = argparse.ArgumentParser(prog="symbackprop")
    cli.add_parser(parser.add_subparsers(dest="verb"))
    return parser.parse_args(["train", *argv])


def run_verb(capsys, *argv):
    """Parse and run like symbackprop.cli.main: a SymbackpropError is one line and exit 2."""
    try:
        code = cli.run(parse(*argv))
    except SymbackpropError as error:
        print(f"symbackprop: error: {error.located()}", file=__import__("sys").stderr)
        code = 2
    out, err = capsys.readouterr()
    return code, out, err


def test_train_prints_the_summary_then_the_diagnosis(capsys):
    code, out, _ = run_verb(
        capsys, "tiny221", "--data", "sizes", "--init", "positive", "--lr", "1", "--epochs", "5"
    )
    assert code == 0
    assert out.startswith("trained tiny221 on sizes (150 training, 50 test samples): 5 epochs")
    assert "test accuracy" in out and "ms per epoch" in out
    assert "- saturated units:" in out and "fix: standardise the inputs" in out


def test_train_json_is_data(capsys):
    code, out, _ = run_verb(capsys, "xor", "--data", "xor", "--epochs", "3", "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data["losses"]) == 4
    assert data["summary"]["epochs"] == 3 and isinstance(data["findings"], list)


def test_save_writes_the_trained_parameters_and_the_input_scaling(capsys, tmp_path):
    target = tmp_path / "params.npz"
    code, _, err = run_verb(
        capsys,
        "tiny221",
        "--data",
        "sizes",
        "--standardize",
        "--epochs",
        "2",
        "--save",
        str(target),
    )
    assert code == 0 and f"wrote {target}" in err
    with np.load(target) as saved:
        assert sorted(saved.files) == ["b", "input_mean", "input_scale", "w"]
        assert saved["w"].shape == (6,)
    assert [p.name for p in tmp_path.iterdir()] == ["params.npz"]  # no temporary left


@needs_matplotlib
def test_plot_writes_a_png(capsys, tmp_path):
    target = tmp_path / "loss.png"
    code, _, _ = run_verb(capsys, "xor", "--data", "xor", "--epochs", "3", "--plot", str(target))
    assert code == 0 and target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def bad_inputs(tmp_path):
    nan_csv = tmp_path / "nan.csv"
    nan_csv.write_text("h,w,size\n1,2,0\n3,nan,1\n")
    wide_csv = tmp_path / "wide.csv"
    wide_csv.write_text("h,w,d,size\n1,2,3,0\n4,5,6,1\n")
    return {
        "missing file": (["--data", str(tmp_path / "absent.csv"), "--target", "y"], "no such file"),
        "no target column": (["--data", str(nan_csv), "--target", "label"], "no target column"),
        "wrong width": (["--data", str(wide_csv), "--target", "size"], "takes 2 input columns"),
        "NaN in data": (["--data", str(nan_csv), "--target", "size"], "nan.csv:3:"),
        "unknown source": (["--data", "heights"], "unknown data 'heights'"),
        "bad learning rate": (["--data", "sizes", "--lr", "-1"], "learning rate"),
        "plot not png": (["--data", "sizes", "--plot", str(tmp_path / "loss.pdf")], ".png"),
        "no such folder": (["--data", "sizes", "--save", str(tmp_path / "no" / "p.npz")], "folder"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "no target column",
        "wrong width",
        "NaN in data",
        "unknown source",
        "bad learning rate",
        "plot not png",
        "no such folder",
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(capsys, tmp_path, case):
    argv, words = bad_inputs(tmp_path)[case]
    before = sorted(tmp_path.iterdir())
    plot, save = tmp_path / "out.png", tmp_path / "out.npz"
    argv = [*argv] + ([] if "--plot" in argv else ["--plot", str(plot)])
    argv += [] if "--save" in argv else ["--save", str(save)]
    code, out, err = run_verb(capsys, "tiny221", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("symbackprop: error: ") and words in err
    assert sorted(tmp_path.iterdir()) == before  # no plot, no parameters, no temporary


def test_missing_matplotlib_is_one_line_before_any_training(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(extras, "available", lambda module: module != "matplotlib")
    target = tmp_path / "loss.png"
    code, out, err = run_verb(capsys, "tiny221", "--data", "sizes", "--plot", str(target))
    assert code == 2 and out == "" and not target.exists()
    assert "matplotlib" in err and "pip install 'symbackprop[plot]'" in err


def test_missing_scikit_learn_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(extras, "available", lambda module: not module.startswith("sklearn"))
    code, _, err = run_verb(capsys, "digits", "--data", "digits")
    assert code == 2 and "pip install 'symbackprop[data]'" in err and err.count("\n") == 1


def test_standalone_main_keeps_the_cli_contract(capsys):
    assert cli.main(["train", "tiny221", "--data", "nowhere.csv", "--target", "t"]) == 2
    assert capsys.readouterr().err == "symbackprop: error: nowhere.csv: no such file\n"


@needs_matplotlib
@needs_sklearn
def test_every_epilog_example_runs_as_written(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = [line.strip() for line in cli.EPILOG.splitlines() if line.strip().startswith("sym")]
    assert len(lines) == 3
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == ["symbackprop", "train"]
        code, out, _ = run_verb(capsys, *words[2:])
        assert code == 0 and out.startswith("trained ")
    assert (tmp_path / "sizes.png").exists()
