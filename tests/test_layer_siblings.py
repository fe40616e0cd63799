"""A course's composite layers (``layer_utils.py``) import the layers they call from the file
beside them (``from .layers import *``): read from there, never imported, and never judged
as units of the composite file."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED, NOT_READ

LAYERS = Path(__file__).parent / "layerfiles"

UTILS = textwrap.dedent(
    """
    from .layers import *


    def affine_relu_forward(x, w, b):
        a, fc_cache = affine_forward(x, w, b)
        out, relu_cache = relu_forward(a)
        return out, (fc_cache, relu_cache)


    def affine_relu_backward(dout, cache):
        fc_cache, relu_cache = cache
        da = relu_backward(dout, relu_cache)
        dx, dw, db = affine_backward(da, fc_cache)
        return dx, dw, db


    def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
        a, conv_cache = conv_forward_naive(x, w, b, conv_param)
        s, relu_cache = relu_forward(a)
        out, pool_cache = max_pool_forward_naive(s, pool_param)
        return out, (conv_cache, relu_cache, pool_cache)


    def conv_relu_pool_backward(dout, cache):
        conv_cache, relu_cache, pool_cache = cache
        ds = max_pool_backward_naive(dout, pool_cache)
        da = relu_backward(ds, relu_cache)
        dx, dw, db = conv_backward_naive(da, conv_cache)
        return dx, dw, db
    """
)


@pytest.fixture
def course(tmp_path):
    layers = (LAYERS / "course_layers.py").read_text()
    naive = (LAYERS / "naive_layers.py").read_text()
    (tmp_path / "layers.py").write_text(layers + "\n\n" + naive.split("import numpy as np", 1)[1])
    return tmp_path


def test_composite_layers_are_read_with_the_layers_beside_them(course):
    (course / "layer_utils.py").write_text(UTILS)
    report = check_code(course / "layer_utils.py")
    units = {u.function: u for u in report.units}
    assert set(units) == {"affine_relu_backward", "conv_relu_pool_backward"}  # its own only
    for unit in units.values():
        assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()


# the relu's gradient applied to the wrong cache: dx, dw, db of the affine all wrong, by hand
# (the mask of the affine's input instead of its output)
def test_a_mistake_in_the_composite_is_caught_at_its_line(course):
    wrong = UTILS.replace("da = relu_backward(dout, relu_cache)", "da = dout")
    (course / "layer_utils.py").write_text(wrong)
    unit = check_code(course / "layer_utils.py", "affine_relu_backward").units[0]
    line = next(n for n, t in enumerate(wrong.splitlines(), 1) if "da = dout" in t)
    assert not unit.report.ok
    assert min(v.line for v in unit.report.wrong) == line


def test_a_missing_sibling_leaves_the_composite_not_read(course):
    (course / "layer_utils.py").write_text(UTILS.replace(".layers", ".elsewhere"))
    report = check_code(course / "layer_utils.py")
    assert all(u.status == NOT_READ for u in report.units)


def test_a_sibling_is_read_not_run(course):
    (course / "layers.py").write_text("open('RAN', 'w')\n" + (course / "layers.py").read_text())
    (course / "layer_utils.py").write_text(UTILS)
    check_code(course / "layer_utils.py")
    assert not (course / "RAN").exists()
    shutil.rmtree(course)


def test_a_network_class_one_folder_down_reads_the_package_layers(tmp_path):
    """cs231n/classifiers/fc_net.py: ``from ..layers import *`` and ``from ..layer_utils
    import *``, whose functions import from ``.layers`` in turn."""
    net = (LAYERS / "course_net.py").read_text()
    sandwich, loss, network = (
        net.index("def affine_relu_forward"),
        net.index("def softmax_loss"),
        net.index("class TwoLayerNet"),
    )
    package = tmp_path / "cs231n"
    (package / "classifiers").mkdir(parents=True)
    head = "from builtins import range\nimport numpy as np\n\n"
    (package / "layers.py").write_text(
        head + net[net.index("def affine_forward") : sandwich] + net[loss:network]
    )
    (package / "layer_utils.py").write_text("from .layers import *\n\n" + net[sandwich:loss])
    (package / "classifiers" / "fc_net.py").write_text(
        "import numpy as np\n\nfrom ..layers import *\nfrom ..layer_utils import *\n\n\n"
        + net[network:]
    )
    report = check_code(package / "classifiers" / "fc_net.py")
    (unit,) = report.units
    assert unit.function == "TwoLayerNet.loss"
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()


def test_a_server_reads_no_file_beside_a_submission(course):
    (course / "layer_utils.py").write_text(UTILS)
    report = check_code(course / "layer_utils.py", siblings=False)
    assert all(u.status == NOT_READ for u in report.units)


AFFINE_FORWARD = textwrap.dedent(
    """
    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w, b)
    """
)
# The backward alone in a file of its own, its forward imported; right by hand: dx = dout w^T
# in x's shape, dw = x^T dout, db the column sums (the bias is added to every row). The test's
# mutant sums db over the features instead.
AFFINE_BACKWARD = textwrap.dedent(
    """
    from forward_layers import affine_forward


    def affine_backward(dout, cache):
        x, w, b = cache
        dx = (dout @ w.T).reshape(x.shape)
        dw = x.reshape(x.shape[0], -1).T @ dout
        db = dout.sum(axis=0)
        return dx, dw, db
    """
)


def test_a_backward_is_paired_with_the_forward_it_imports(tmp_path):
    (tmp_path / "forward_layers.py").write_text(AFFINE_FORWARD)
    (tmp_path / "backward_layers.py").write_text(AFFINE_BACKWARD)
    (unit,) = check_code(tmp_path / "backward_layers.py").units
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    wrong = AFFINE_BACKWARD.replace("dout.sum(axis=0)", "dout.sum(axis=1)")
    (tmp_path / "backward_layers.py").write_text(wrong)
    (unit,) = check_code(tmp_path / "backward_layers.py").units
    line = next(n for n, t in enumerate(wrong.splitlines(), 1) if "axis=1" in t)
    assert [(v.name, v.line) for v in unit.report.wrong] == [("db", line)]


def test_a_backward_without_its_forward_is_said_not_read_beside_the_pairs(tmp_path):
    lone = "\n\ndef softmax_backward(dout, probs):\n    return probs * dout\n"
    (tmp_path / "layers.py").write_text(AFFINE_FORWARD + AFFINE_BACKWARD.split("\n", 3)[3] + lone)
    report = check_code(tmp_path / "layers.py")
    units = {u.function: u for u in report.units}
    assert units["affine_backward"].status == CHECKED
    assert units["softmax_backward"].status == NOT_READ
    assert "softmax_forward()" in units["softmax_backward"].message
    assert "1 not read" in report.to_text()


def test_an_imported_function_brings_the_functions_of_its_file_it_calls(tmp_path):
    """``from reg_utils import forward_propagation`` without ``relu``: its ``relu`` is read
    from its own file, as Python resolves it there."""
    (tmp_path / "helpers.py").write_text(
        "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(0, x)\n\n\n"
        "def relu_forward(x):\n    return relu(x), x\n"
    )
    (tmp_path / "mine.py").write_text(
        "import numpy as np\nfrom helpers import relu_forward\n\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n"
    )
    (unit,) = check_code(tmp_path / "mine.py").units
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()


BN_SANDWICH = textwrap.dedent(
    """
    from .layers import *


    def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
        a, fc_cache = affine_forward(x, w, b)
        a_bn, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
        out, relu_cache = relu_forward(a_bn)
        return out, (fc_cache, bn_cache, relu_cache)


    def affine_bn_relu_backward(dout, cache):
        fc_cache, bn_cache, relu_cache = cache
        da_bn = relu_backward(dout, relu_cache)
        da, dgamma, dbeta = batchnorm_backward(da_bn, bn_cache)
        dx, dw, db = affine_backward(da, fc_cache)
        return dx, dw, db, dgamma, dbeta
    """
)


def test_a_batchnorm_sandwich_normalises_the_affine_output(course):
    """gamma and beta are the size of the affine's output, not of x; the layers' own mode
    switch is read in its training branch."""
    (course / "layer_utils.py").write_text(BN_SANDWICH)
    (unit,) = check_code(course / "layer_utils.py").units
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    assert {v.name for v in unit.report.verdicts} == {"dx", "dw", "db", "dgamma", "dbeta"}
    # The ReLU's mask left out: by hand, every gradient then misses the mask of the units the
    # ReLU switched off (random inputs switch some off), except db, which is 0 either way:
    # batchnorm takes away any shift of its input, so b, added before it, changes nothing.
    wrong = BN_SANDWICH.replace("da_bn = relu_backward(dout, relu_cache)", "da_bn = dout")
    (course / "layer_utils.py").write_text(wrong)
    (unit,) = check_code(course / "layer_utils.py").units
    line = next(n for n, t in enumerate(wrong.splitlines(), 1) if "da_bn = dout" in t)
    assert {v.name for v in unit.report.wrong} == {"dx", "dw", "dgamma", "dbeta"}
    assert min(v.line for v in unit.report.wrong) == line


def test_a_refusal_inside_an_imported_layer_is_said_at_the_call(course):
    """The imported layer's lines are another file's: a reason found in them names the line
    of the file checked that calls it (a call the evaluating reader cannot make either)."""
    broken = BN_SANDWICH.replace(
        "    a, fc_cache = affine_forward(x, w, b)\n",
        "    a, fc_cache = affine_forward(x, w, b)\n    a = a.not_an_array_method()\n",
    )
    (course / "layer_utils.py").write_text(broken)
    (unit,) = check_code(course / "layer_utils.py").units
    assert unit.status == NOT_READ
    call = next(n for n, t in enumerate(broken.splitlines(), 1) if "batchnorm_forward(" in t)
    assert f"layer_utils.py:{call}: " in unit.message  # batchnorm_forward's mode switch
