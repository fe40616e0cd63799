"""The JSON API of ``symbackprop serve``, against a real server on a free localhost port:
verdicts as ``check --format json`` gives them, explanations and modules, and every kind of
bad input ending its own request with one clear line while the server goes on serving."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

pytest.importorskip("starlette", reason="pip install 'symbackprop[serve]'")
pytest.importorskip("uvicorn", reason="pip install 'symbackprop[serve]'")

from serve_helpers import (  # noqa: E402
    DEEP_EXPRESSION,
    FORMULA_BOMB,
    LAYER_FILES,
    RELU_PAIR_WRONG,
    RELU_WRONG_LINE,
    batchnorm_pair,
    request,
    running_server,
)

TIME_LIMIT_S = 2
MAX_BODY = 64 * 1024
SECRET = "a_name_only_the_submitted_code_holds"  # must never reach the log


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    options = ("--workers", "2", "--time-limit", str(TIME_LIMIT_S), "--max-body", str(MAX_BODY))
    with running_server(folder, *options) as running:
        yield running


def verdicts(data: dict) -> list[dict]:
    return [v for unit in data["units"] if unit["report"] for v in unit["report"]["verdicts"]]


def assert_still_serving(server) -> None:
    status, data = server.post("/api/check", {"code": RELU_PAIR_WRONG})
    assert status == 200 and not data["ok"]


# -- verdicts -------------------------------------------------------------------------------------
def test_a_wrong_relu_backward_is_wrong_at_its_line(server):
    status, data = server.post("/api/check", {"code": RELU_PAIR_WRONG})
    assert status == 200
    assert data["subject"] == "submitted.py"
    [verdict] = verdicts(data)
    assert verdict["verdict"] == "wrong"
    assert verdict["line"] == RELU_WRONG_LINE
    assert verdict["diagnosis"]["kind"] == "missing factor"
    assert "ReLU mask" in verdict["diagnosis"]["message"]
    assert verdict["counterexample"]["expected"] != verdict["counterexample"]["got"]
    assert "(x > 0)" in verdict["correct_formula"]


def test_a_correct_batchnorm_pair_has_every_gradient_correct(server):
    status, data = server.post("/api/check", {"code": batchnorm_pair()})
    assert status == 200
    assert data["ok"]
    functions = [unit["function"] for unit in data["units"]]
    assert functions == ["batchnorm_backward", "batchnorm_backward_alt"]
    for unit in data["units"]:
        claims = {v["claim"] for v in unit["report"]["verdicts"]}
        assert {"dL/dx", "dL/dgamma", "dL/dbeta"} <= claims  # and the intermediate deltas
    assert all(v["verdict"] == "correct" for v in verdicts(data))


def test_the_answer_is_what_check_format_json_prints(server, tmp_path):
    code = (LAYER_FILES / "course_layers.py").read_text(encoding="utf-8")
    body = {"code": code, "function": "affine_backward", "filename": "layers.py"}
    status, data = server.post("/api/check", body)
    (tmp_path / "layers.py").write_text(code, encoding="utf-8")
    command = [sys.executable, "-m", "symbackprop", "check", "layers.py:affine_backward"]
    printed = subprocess.run(
        [*command, "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert status == 200
    assert data == json.loads(printed.stdout)


TRAINING_STEP = """import numpy as np


def train_step(X, y, W, lr):
    pred = X @ W
    loss = np.sum((pred - y) ** 2) / 2
    dW = X @ (pred - y)
    W -= lr * dW
    return loss
"""


def test_a_training_step_gets_the_verdicts_of_one_report(server):
    status, data = server.post("/api/check", {"code": TRAINING_STEP, "function": "train_step"})
    assert status == 200
    assert data["subject"] == "submitted.py:train_step"
    [verdict] = data["verdicts"]
    assert (verdict["line"], verdict["verdict"]) == (7, "wrong")
    assert verdict["diagnosis"]["kind"] == "transposed"
    assert verdict["correct_formula"] == "X.T @ (pred - y)"


def test_formulas_are_checked_against_a_built_in_model(server):
    body = {
        "example": "torch-scalar",
        "formulas": ["dloss_dw = 2*(w*x - y)"],
        "aliases": ["dloss_dw=w"],
    }
    status, data = server.post("/api/check", body)
    assert status == 200
    [verdict] = data["verdicts"]
    assert verdict["verdict"] == "wrong"
    assert verdict["diagnosis"]["kind"] == "missing factor"


# -- explain, generate, examples ------------------------------------------------------------------
def test_explain_gives_the_page_markdown_and_latex(server):
    status, data = server.post("/api/explain", {"example": "tiny221", "param": "w[0]"})
    assert status == 200
    assert data["model"] == "tiny221"
    assert "katex.render" in data["html"]
    assert "\\begin{document}" in data["latex"]
    assert "$$" in data["markdown"]


def test_explain_reads_a_pasted_spec(server):
    spec = '[network]\nsizes = [2, 3, 1]\nactivation = "tanh"\nloss = "half_sse"\n'
    status, data = server.post("/api/explain", {"spec": spec})
    assert status == 200
    assert "\\tanh" in data["latex"]


def test_generate_gives_a_module_that_parses(server):
    status, data = server.post("/api/generate", {"example": "xor"})
    assert status == 200
    assert data["filename"] == "xor_train.py"
    ast.parse(data["module"])


def test_examples_are_the_built_ins(server):
    status, data = server.get("/api/examples")
    assert status == 200
    by_name = {e["name"]: e["summary"] for e in data["examples"]}
    assert by_name["xor"].startswith("3-4-1 sigmoid XOR net")
    assert "digits" in by_name


# -- bad input: one line, that request only -------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("/api/check", b"{not json", "not JSON"),
        ("/api/check", b"[" * 100_000 + b"]" * 100_000, "over the limit"),
        ("/api/check", b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
        ("/api/check", b"[[[[1]]]]", "JSON object"),
        ("/api/check", {"code": 3}, '"code" must be a string'),
        ("/api/check", {"code": "x = 1", "function": "../etc/passwd"}, "plain function name"),
        ("/api/check", {"code": "x = 1", "filename": "/etc/passwd"}, "plain filename name"),
        ("/api/check", {"code": "def f(:\n    pass\n"}, "submitted.py:1: invalid Python"),
        ("/api/check", {"code": "x = 1", "colour": "red"}, "unknown field 'colour'"),
        ("/api/explain", {"example": "/etc/passwd.toml"}, "no built-in example"),
        ("/api/explain", {"spec": "[network]\nsizes = 3\n"}, "spec.toml"),
        ("/api/explain", {"example": "xor", "spec": "x"}, "name one model"),
        ("/api/generate", {}, "name one model"),
    ],
)
def test_bad_input_gets_one_clear_line(server, path, body, says):
    status, data = server.post(path, body)
    assert status in (400, 413)
    assert says in data["error"]
    assert "\n" not in data["error"] and "Traceback" not in data["error"]


def test_a_local_server_answers_to_its_own_names_only(server):
    foreign = urllib.request.Request(server.url + "api/examples", headers={"Host": "evil.test"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(foreign, timeout=30)
    assert refused.value.code == 400
    refused.value.close()
    local = server.url.replace("127.0.0.1", "localhost") + "api/examples"
    assert request(local, None, timeout=30)[0] == 200


def test_a_form_is_refused_with_415(server):
    form = urllib.request.Request(server.url + "api/check", data=b"code=x%3D1")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(form, timeout=30)
    assert refused.value.code == 415
    assert json.loads(refused.value.read())["kind"] == "not json"
    refused.value.close()


def test_an_oversize_body_is_refused_with_413(server):
    status, data = server.post("/api/check", {"code": "#" * (MAX_BODY + 1)})
    assert (status, data["kind"]) == (413, "too large")
    assert_still_serving(server)


# A scalar network of 961 weights: legal, but its explanation takes minutes.
HUGE_SPEC = '[network]\nmode = "scalar"\nsizes = [30, 30, 1]\nactivation = "tanh"\n'


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/api/check", {"code": FORMULA_BOMB}, 200, "a power this large is not supported"),
        ("/api/check", {"code": DEEP_EXPRESSION}, 400, "nested too deeply"),
        ("/api/explain", {"spec": HUGE_SPEC}, 408, "time limit"),
    ],
    ids=["formula-bomb", "deep-expression", "huge-size"],
)
def test_a_pathological_input_ends_its_request_only(server, path, body, status, says):
    answered, data = server.post(path, body)
    assert answered == status
    assert says in json.dumps(data)
    assert_still_serving(server)


def test_unknown_routes_and_assets_are_json_404s(server):
    assert server.get("/api/nothing")[0] == 404
    assert server.get("/api/check") == (405, {"error": "Method Not Allowed", "kind": "bad request"})
    status, data = server.get("/assets/../pyproject.toml")
    assert status == 404 and data["kind"] == "not found"


def test_the_log_holds_no_submitted_code_and_no_file_is_left(server):
    code = RELU_PAIR_WRONG.replace("cache = x", f"cache = x  # {SECRET}")
    assert server.post("/api/check", {"code": code})[0] == 200
    assert server.post("/api/check", {"code": f"{SECRET} = ("})[0] == 400
    log = server.log.read_text(encoding="utf-8")
    assert "/api/check 200" in log
    assert SECRET not in log
    # every worker's folder is removed, those of killed workers too
    assert list(server.tmp.glob("symbackprop-serve-*")) == []


def test_pdf_is_typeset_where_pdflatex_is_installed(server):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    status, data = server.post("/api/pdf", {"example": "torch-scalar"}, timeout=120)
    assert status == 200
    assert data["filename"] == "torch-scalar.pdf"
    assert base64.b64decode(data["pdf"]).startswith(b"%PDF")
