"""The CLI: derive and list, and one clear line with exit code 2 for every kind of bad input."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sympy as sp

from symbackprop.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_derive_prints_adjoints_first_then_one_line_per_parameter(capsys):
    code, out, _ = run(capsys, "derive", "tiny221")
    out = "\n".join(" ".join(line.split()) for line in out.splitlines())
    assert code == 0
    assert out.index("delta_zout = zout - t") < out.index("de/dw[0] = delta_h1*x")
    # the chain written the way the asker wrote e1
    assert "= (zout - t)*zout*(1 - zout)*w[4]*h1out*(1 - h1out)*x" in out
    assert sum(line.lstrip().startswith("de/d") for line in out.splitlines()) == 9


def test_derive_json_is_data_other_tools_can_read(capsys):
    code, out, _ = run(capsys, "derive", "torch-scalar", "--format", "json")
    data = json.loads(out)
    assert code == 0
    (gradient,) = data["gradients"]
    assert gradient["param"] == "w" and gradient["value"] == 16
    w, x, y = sp.symbols("w x y")
    assert sp.expand(sp.sympify(gradient["in_leaves"]) - 2 * (w * x - y) * x) == 0


def test_derive_latex_is_an_align_block_with_readable_names(capsys):
    code, out, _ = run(capsys, "derive", "tiny221", "--format", "latex")
    assert code == 0
    assert out.startswith("\\begin{align*}") and out.rstrip().endswith("\\end{align*}")
    assert "w_{4}" in out and "w[4]" not in out
    assert "\\frac{\\partial e}{\\partial w_{0}}" in out


def test_list_names_every_builtin_example(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name in ("tiny221", "torch-scalar", "linreg", "xor"):
        assert name in out


def test_python_dash_m_works_and_reads_a_spec(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\nmode = "scalar"\nsizes = [2, 3, 1]\nactivation = "tanh"\n')
    done = subprocess.run(
        [sys.executable, "-m", "symbackprop", "derive", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "dE/dW1[0, 0] = " in done.stdout


BAD_INPUTS = {
    "unknown model": (["derive", "no-such-model"], None, "unknown model 'no-such-model'"),
    "missing file": (["derive", "{tmp}/absent.py:Net"], None, "absent.py: no such file"),
    "missing spec": (["derive", "{tmp}/absent.toml"], None, "absent.toml"),
    "syntax error": (
        ["derive", "{tmp}/bad.py:Net"],
        ("bad.py", "def Net(x):\n    h = (x +\n"),
        "bad.py:2",
    ),
    "unsupported construct": (
        ["derive", "{tmp}/lam.py:Net"],
        ("lam.py", "def Net(x, w):\n    h = x * w\n    e = (lambda v: v)(h)\n    return e\n"),
        "lam.py:3",
    ),
    "spec wrong key": (
        ["derive", "{tmp}/k.toml"],
        ("k.toml", "[network]\nsizes = [2, 1]\nactivaton = 'tanh'\n"),
        "k.toml:3",
    ),
    "spec wrong size": (
        ["derive", "{tmp}/s.toml"],
        ("s.toml", "[network]\nsizes = [2, 0, 1]\n"),
        "s.toml:2",
    ),
    "spec unknown activation": (
        ["derive", "{tmp}/a.toml"],
        ("a.toml", "[network]\nsizes = [2, 1]\nactivation = 'nope'\n"),
        "a.toml:3",
    ),
    "spec not toml": (["derive", "{tmp}/n.toml"], ("n.toml", "[network\n"), "n.toml:1"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_one_clear_line_and_exit_code_2(case, tmp_path, capsys):
    argv, file, expected = BAD_INPUTS[case]
    if file:
        (tmp_path / file[0]).write_text(file[1])
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert expected in err


def test_derive_param_keeps_one_gradient_and_the_adjoints_it_needs(capsys):
    code, out, _ = run(capsys, "derive", "tiny221", "--param", "w[0]")
    assert code == 0
    assert "de/dw[0] = delta_h1*x" in out
    assert "de/dw[1]" not in out
    # delta_h1 needs delta_h1out, delta_z, delta_zout; nothing on h2's side
    assert "delta_h1out" in out and "delta_h2" not in out


def test_derive_param_by_base_name_keeps_every_element(capsys):
    code, out, _ = run(capsys, "derive", "tiny221", "--param", "b")
    assert code == 0
    assert [line.split(" = ")[0].strip() for line in out.splitlines() if "  de/d" in line] == [
        "de/db[0]",
        "de/db[1]",
        "de/db[2]",
    ]


def test_derive_unknown_param_is_bad_input(capsys):
    code, out, err = run(capsys, "derive", "tiny221", "--param", "q")
    assert code == 2 and out == ""
    assert "no parameter q" in err


WEIGHTS_AS_ARGUMENTS = """import numpy as np

def forward(x1, x2, target, w, v):
    a = np.tanh(w[0]*x1 + w[1]*x2)
    out = v[0]*a + v[1]*x2
    loss = (out - target)**2
    return loss
"""


def test_params_names_the_arguments_that_are_weights(tmp_path, capsys):
    source = tmp_path / "mynet.py"
    source.write_text(WEIGHTS_AS_ARGUMENTS)
    code, out, _ = run(capsys, "derive", f"{source}:forward", "--params", "w,v")
    assert code == 0
    # d/dw[0] of (v0*tanh(w0*x1 + w1*x2) + v1*x2 - target)**2, by hand
    assert "dloss/dw[0] = delta_a*(x1*(1 - a**2))" in out
    assert "dloss/dv[1] = delta_out*x2" in out


def test_a_function_without_weights_says_how_to_name_them(tmp_path, capsys):
    source = tmp_path / "mynet.py"
    source.write_text(WEIGHTS_AS_ARGUMENTS)
    code, out, err = run(capsys, "derive", f"{source}:forward")
    assert code == 2 and out == ""
    assert "no parameters to differentiate" in err and "--params" in err


# -- conventions a command-line tool is expected to keep -------------------------------------------
def test_version_is_the_installed_distributions(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as ended:
        main(["--version"])
    assert ended.value.code == 0
    assert capsys.readouterr().out.strip() == f"symbackprop {metadata.version('symbackprop')}"


def test_a_closed_pipe_ends_the_command_quietly():
    """``symbackprop derive ... | head`` when head has gone: no traceback, SIGPIPE's status."""
    argv = [sys.executable, "-m", "symbackprop", "derive", "xor-sample", "--format", "json"]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader goes away before the first line
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait() == 141
    assert err == ""


def test_explain_param_is_repeatable_and_keeps_each(capsys):
    code, out, _ = run(capsys, "explain", "tiny221", "--param", "w[0]", "--param", "b[2]")
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("### The gradient")]
    assert headings == [
        "### The gradient with respect to `w[0]`",
        "### The gradient with respect to `b[2]`",
    ]


def test_generate_all_check_calls_absent_files_missing_not_stale(tmp_path, capsys):
    code, out, _ = run(capsys, "generate", "--all", "--check", "--dir", str(tmp_path / "none"))
    assert code == 1
    lines = out.splitlines()
    assert lines and all(line.startswith("missing ") for line in lines)
    assert f"missing {tmp_path / 'none' / 'tiny221.py'}" in lines


def completions(script: str, *words: str) -> list[str]:
    """What bash offers after ``words``, from the completion script ``script``."""
    line = " ".join(("symbackprop", *words))
    program = (
        f"source {script}; COMP_WORDS=(symbackprop {' '.join(words)}); "
        f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
        '_shtab_symbackprop; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completion_offers_the_verbs_and_their_options(tmp_path, capsys):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    with pytest.raises(SystemExit) as ended:
        main(["--print-completion", "bash"])
    assert ended.value.code == 0
    script = tmp_path / "completion.bash"
    script.write_text(capsys.readouterr().out)
    assert completions(script, "de") == ["derive", "demo"]
    assert completions(script, "derive", "--fo") == ["--format"]
    assert "--param" in completions(script, "explain", "--")


# -- standard input: "-" names it where a file is read -------------------------------------------
def piped(text: str, *argv: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "symbackprop", *argv]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=300)


def test_a_spec_on_standard_input_is_read_as_a_file_would_be():
    done = piped("[network]\nsizes = [2, 3, 1]\n", "derive", "-", "--param", "b2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stdin: 2-3-1 network")
    assert "dE/db2 = " in done.stdout


def test_code_on_standard_input_names_its_function_after_a_dash():
    code = "def f(x, w, t):\n    y = w * x\n    loss = (y - t)**2\n    return loss\n"
    done = piped(code, "derive", "--params", "w", "--", "-:f")
    assert done.returncode == 0, done.stderr
    # d/dw (w x - t)^2 = 2 (w x - t) x, by hand
    in_leaves = done.stdout.split("dloss/dw = ")[1].splitlines()[2].split("= ")[1]
    w, x, t = sp.symbols("w x t")
    assert sp.simplify(sp.sympify(in_leaves) - 2 * (w * x - t) * x) == 0


def test_bad_input_on_standard_input_is_named_stdin_with_its_line():
    done = piped("[network]\nsizes = [2, 3, 1]\nbogus = 1\n", "verify", "-")
    assert done.returncode == 2
    assert done.stderr.startswith("symbackprop: error: <stdin>:3: unknown key 'bogus'")
    assert len(done.stderr.splitlines()) == 1


def test_training_data_on_standard_input_is_a_csv():
    rows = "x1,x2,y\n" + "0,0,0\n0,1,1\n1,0,1\n1,1,0\n" * 3
    spec = "[network]\nsizes = [2, 3, 1]\n"
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "net.toml").write_text(spec)
        argv = ["train", "net.toml", "--data", "-", "--target", "y", "--epochs", "2"]
        command = [sys.executable, "-m", "symbackprop", *argv, "--format", "json"]
        done = subprocess.run(
            command, input=rows, capture_output=True, text=True, cwd=folder, timeout=300
        )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["train_samples"] + summary["test_samples"] == 12
