"""The concrete reader evaluates naive layer code through its own whitelist: what is not on
it is refused with its line, never run; loops and arrays are bounded; and the derivative it
judges against is exact (a hand derivation here, not the reader's own)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED, NOT_IMPLEMENTED, NOT_READ
from symbackprop.readers.concrete.interpreter import Interpreter, Module, Refused
from symbackprop.readers.concrete.tape import Tracked, adjoints

PAIR = textwrap.dedent(
    """
    import numpy as np


    def scale_forward(x, conv_param):
        s = conv_param["stride"]
        out = np.zeros((x.shape[0], x.shape[1] // s))
        for i in range(x.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.max(x[i, j * s:j * s + 2])
        return out, (x, conv_param)


    def scale_backward(dout, cache):
        x, conv_param = cache
        s = conv_param["stride"]
        dx = np.zeros_like(x)
        for i in range(x.shape[0]):
            for j in range(dout.shape[1]):
                window = x[i, j * s:j * s + 2]
                BODY
        return dx
    """
)
RIGHT = "dx[i, j * s:j * s + 2] += (window == np.max(window)) * dout[i, j]"


def _write(tmp_path, body: str):
    path = tmp_path / "layers.py"
    path.write_text(PAIR.replace("BODY", body))
    return path


def _unit(report):
    (unit,) = report.units
    return unit


def test_a_naive_pair_is_read_by_evaluation_and_called_correct(tmp_path):
    unit = _unit(check_code(_write(tmp_path, RIGHT)))
    assert unit.status == CHECKED and unit.report.ok, unit.report.to_text()
    assert any("small sizes" in note for note in unit.report.notes)


def test_an_assignment_where_windows_overlap_is_wrong_at_its_line(tmp_path):
    path = _write(tmp_path, RIGHT.replace("+=", "="))
    unit = _unit(check_code(path))
    (wrong,) = unit.report.wrong
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "dx[i, j" in text)
    assert wrong.line == line
    assert wrong.diagnosis.kind == "overwritten"


@pytest.mark.parametrize(
    "body",
    [
        "__import__('os').system('touch HACKED')",
        "open('HACKED', 'w').write('x')",
        "dx = x.__class__",
        "dx = eval('1')",
        "dx = np.load('weights.npy')",
        "dx = np.lib.stride_tricks.as_strided(x)",
    ],
)
def test_what_is_not_on_the_whitelist_is_never_run(tmp_path, body):
    path = _write(tmp_path, body)
    run = subprocess.run(
        [sys.executable, "-m", "symbackprop", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "HACKED").exists()
    report = check_code(path)
    assert _unit(report).status == NOT_READ


def _interpret(source: str, name: str, *args):
    tree = ast.parse(textwrap.dedent(source))
    module = Module(tree)
    return Interpreter(module, tracking=False).call(module.functions[name], list(args))


def test_loops_and_arrays_are_bounded():
    with pytest.raises(Refused, match="statements"):
        _interpret("def f(x):\n    while True:\n        x = x + 1\n", "f", 0)
    with pytest.raises(Refused, match="elements"):
        _interpret("import numpy as np\ndef f(x):\n    return np.zeros((10**5, 10**5))\n", "f", 0)
    with pytest.raises(Refused, match="nested"):
        _interpret("def f(x):\n    return f(x)\n", "f", 0)


def test_the_tape_gives_a_hand_derived_gradient():
    # L = sum(tanh(x * w) ** 2): dL/dw = sum(2 tanh(x w) (1 - tanh(x w)^2) x)
    x = np.array([0.3, -1.2, 0.7])
    w = Tracked(0.9)
    loss = sum((Tracked(float(v)) * w).tanh() ** 2 for v in x)
    t = np.tanh(x * 0.9)
    expected = float(np.sum(2 * t * (1 - t**2) * x))
    assert adjoints(loss)[id(w)] == pytest.approx(expected, rel=1e-12)


CENTER = textwrap.dedent(
    """
    import numpy as np


    def center_forward(x):
        x -= np.mean(x, axis=0)
        return 2 * x, None


    def center_backward(dout, cache):
        BODY
        return dx
    """
)


# out = 2 (x - mean(x)) over the rows: dL/dx = 2 (dout - mean(dout)), by hand
@pytest.mark.parametrize(
    ("body", "right"),
    [
        ("dx = 2 * (dout - dout.mean(axis=0))", True),
        ("dx = 2 * dout - np.mean(2 * dout, axis=0, keepdims=True)", True),
        ("dx = 2 * dout", False),
        ("dx = dout - dout.mean(axis=0)", False),
    ],
)
def test_a_forward_that_writes_into_its_input_is_judged_by_its_values(tmp_path, body, right):
    path = tmp_path / "layers.py"
    path.write_text(CENTER.replace("BODY", body))
    unit = _unit(check_code(path))
    assert unit.status == CHECKED
    assert unit.report.ok == right, unit.report.to_text()


@pytest.mark.parametrize(
    "body",
    [
        "dx = x ** 9**9**9",
        "dx = np.outer(np.ones(100000), np.ones(100000))",
        "dx = np.eye(10**6)",
        "dx = np.arange(10**10)",
        "dx = np.ones((1000, 1)) * np.ones((1, 1000))",
        "dx = [0] * 10**10",
        "dx = sum(range(10**15))",
        "dx = np.pad(x, 10**6)",
        "dx = np.tile(x, 10**8)",
    ],
)
def test_work_that_would_not_end_or_fit_is_refused_at_once(body):
    source = f"import numpy as np\ndef f(x):\n    {body}\n    return dx\n"
    with pytest.raises(Refused, match="large|elements|items|numbers"):
        _interpret(source, "f", np.ones((2, 3)))


def test_a_naive_backward_writing_into_its_cache_is_warned_of(tmp_path):
    body = RIGHT + "\n            x[i, 0] = 0.0"
    unit = _unit(check_code(_write(tmp_path, body)))
    assert unit.status == CHECKED
    assert any("writes into x" in warning for warning in unit.warnings), unit.warnings


TEMPLATE = textwrap.dedent(
    '''
    from builtins import range
    import numpy as np


    def svm_loss_naive(W, X, y, reg):
        """Structured SVM loss function, naive implementation (with loops)."""
        dW = np.zeros(W.shape)  # initialize the gradient as zero
        num_classes = W.shape[1]
        num_train = X.shape[0]
        loss = 0.0
        for i in range(num_train):
            scores = X[i].dot(W)
            correct_class_score = scores[y[i]]
            for j in range(num_classes):
                if j == y[i]:
                    continue
                margin = scores[j] - correct_class_score + 1  # note delta = 1
                if margin > 0:
                    loss += margin
        loss /= num_train
        loss += reg * np.sum(W * W)
        # TODO: Compute the gradient of the loss function and store it dW.
        pass
        return loss, dW


    def svm_loss_vectorized(W, X, y, reg):
        loss = 0.0
        dW = np.zeros(W.shape)  # initialize the gradient as zero
        pass
        pass
        return loss, dW


    def softmax_loss_vectorized(W, X, y, reg):
        loss = 0.0
        dW = np.zeros_like(W)
        return loss, dW
    '''
)


def test_a_loss_template_with_its_loss_given_is_not_implemented(tmp_path):
    path = tmp_path / "linear_svm.py"
    path.write_text(TEMPLATE)
    units = {u.function: u for u in check_code(path).units}
    assert units["svm_loss_naive"].status == NOT_IMPLEMENTED
    assert units["svm_loss_vectorized"].status == NOT_IMPLEMENTED
    # no ``pass`` left, but a loss of 0.0: nothing to judge, never "correct"
    assert units["softmax_loss_vectorized"].status == NOT_READ


def test_float_of_a_one_entry_array_is_its_number_as_older_numpy_made_it():
    # a course's conv_single_step adds ``float(b)`` of its (1, 1, 1) bias: older NumPy gave
    # the number (newer refuses); the math is what is judged
    source = "import numpy as np\ndef f(b):\n    return float(b) + np.float64(b * 2)\n"
    assert _interpret(source, "f", np.full((1, 1, 1), 1.5)) == pytest.approx(4.5)
