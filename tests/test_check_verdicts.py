"""Verdicts on hand-written backprop: the first wrong line is blamed, lines computed correctly
from a wrong value FOLLOW it, and each mistake gets the diagnosis a person can act on.

The labels are independent of the checker: the test runs the fixture's NumPy code (the
product never runs code; a test may run its own fixture) one statement at a time, computes
every true adjoint and gradient with PyTorch autograd in float64 (``retain_grad`` on the
intermediates, the forward pass written again here), and calls a line's value right when it
matches the adjoint its name stands for (``dZ1`` for dloss/dZ1; a value rebound later, or
named after no value, any adjoint: it is a step on the way). The first line whose value is
wrong must be WRONG, every later wrong-valued line must FOLLOW it, every right one be CORRECT.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from symbackprop.check import blame, check_code, check_formulas
from symbackprop.cli import main

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).parent / "fixtures"
NET = (FIXTURES / "check_verdicts_net.py").read_text()
FUNCTION = "train_step"


# -- independent labels ----------------------------------------------------------------------
def arguments() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = {"X": (6, 3), "Y": (6, 2), "W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    values = {name: rng.normal(size=shape) for name, shape in shapes.items()}
    values["Y"] = rng.uniform(size=shapes["Y"])
    return {**values, "lr": 0.1}


def true_adjoints(args: dict, hidden=torch.tanh) -> dict[str, np.ndarray]:
    """dloss/dv for every value v of the net, by autograd (``dv`` names it)."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in args.items()}
    m = args["X"].shape[0]
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = hidden(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(z2)
    for tensor in (z1, a1, z2, a2):
        tensor.retain_grad()
    (((a2 - t["Y"]) ** 2).sum() / (2 * m)).backward()
    named = {"Z1": z1, "A1": a1, "Z2": z2, "A2": a2, **{p: t[p] for p in ("W1", "b1", "W2", "b2")}}
    return {f"d{name}": tensor.grad.numpy() for name, tensor in named.items()}


def bindings(source: str, args: dict) -> list[tuple[str, int, np.ndarray]]:
    """(name, line, value) of every backward assignment, from running the body statement by
    statement (updates are left out: their claims are the gradients they read)."""
    function = next(f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef))
    scope = {"np": np, **{k: np.copy(v) for k, v in args.items()}}
    return run_statements(function.body, scope)


def run_statements(statements, scope: dict) -> list[tuple[str, int, np.ndarray]]:
    found = []
    for statement in statements:
        if isinstance(statement, ast.AugAssign) and not statement.target.id.startswith("d"):
            continue  # a parameter's update: not needed, and a wrong shape would stop the run
        if isinstance(statement, ast.Assign) and _updates_itself(statement):
            continue  # W1 = W1 - learning_rate * dW1
        exec(compile(ast.Module([statement], []), "<fixture>", "exec"), scope)  # noqa: S102
        if isinstance(statement, ast.Assign) and statement.targets[0].id.startswith("d"):
            name = statement.targets[0].id
            found.append((name, statement.lineno, np.copy(scope[name])))
    return found


def _same(value: np.ndarray, true: np.ndarray) -> bool:
    return np.shape(value) == np.shape(true) and np.allclose(value, true)


def _updates_itself(statement: ast.Assign) -> bool:
    target = statement.targets[0].id
    return not target.startswith("d") and any(
        isinstance(n, ast.Name) and n.id == target for n in ast.walk(statement.value)
    )


def expected_statuses(source: str, hidden=torch.tanh) -> dict[int, tuple[str, int | None]]:
    """line -> (status, line it follows), from the NumPy values against autograd's."""
    args = arguments()
    truth = true_adjoints(args, hidden)
    found = bindings(source, args)
    final = {name: line for name, line, _ in found}  # a name bound again is a step on the way
    right = {
        line: any(
            _same(value, true)
            for true in ([truth[name]] if final[name] == line and name in truth else truth.values())
        )
        for name, line, value in found
    }
    wrong_lines = sorted(line for line, ok in right.items() if not ok)
    first = wrong_lines[0] if wrong_lines else None
    return {
        line: ("correct", None) if ok else ("wrong", None) if line == first else ("follows", first)
        for line, ok in right.items()
    }


def checked(tmp_path, source: str):
    path = tmp_path / "net.py"
    path.write_text(source)
    return check_code(path, FUNCTION)


@pytest.fixture(scope="module")
def alias_report(tmp_path_factory):
    """The net with ``dZ1 = dA1``: the tanh derivative left out of an alias."""
    return checked(tmp_path_factory.mktemp("alias"), mutated(DZ1, "dZ1 = dA1"))


def statuses(report) -> dict[int, tuple[str, int | None]]:
    return {
        v.line: (v.status, v.follows.line if v.follows is not None else None)
        for v in report.verdicts
    }


def mutated(old: str, new: str) -> str:
    assert NET.count(old) == 1, old
    return NET.replace(old, new)


# -- the correct net, and mistakes made one at a time ----------------------------------------
def test_the_correct_net_is_correct_on_every_line(tmp_path):
    expected = expected_statuses(NET)
    assert set(expected.values()) == {("correct", None)}  # the labeller agrees it is right
    report = checked(tmp_path, NET)
    assert report.ok
    assert statuses(report) == expected


DZ1 = "dZ1 = dA1 * (1 - A1**2)"
DA2 = "dA2 = (A2 - Y) / m"
DB2 = "db2 = np.sum(dZ2, axis=0)"
MUTATIONS = [
    # (id, line as written, line as mutated, diagnosis kind, text the diagnosis must hold)
    ("tanh derivative dropped", DZ1, "dZ1 = dA1", "missing factor", "1 - A1**2"),
    (
        "sigmoid derivative for tanh",
        DZ1,
        "dZ1 = dA1 * A1 * (1 - A1)",
        "wrong activation derivative",
        "A1*(1 - A1) where 1 - A1**2 belongs",
    ),
    ("wrong sign", DA2, "dA2 = (Y - A2) / m", "sign", "minus"),
    ("1/N missing", DA2, "dA2 = A2 - Y", "constant scale", "missing factor 1/m"),
    ("extra factor 2", DA2, "dA2 = 2 * (A2 - Y) / m", "constant scale", "extra factor 2"),
    ("transposed", "dW2 = A1.T @ dZ2", "dW2 = dZ2.T @ A1", "transposed", "transpose"),
    (
        "wrong axis",
        "db1 = np.sum(dZ1, axis=0)",
        "db1 = np.sum(dZ1, axis=1, keepdims=True)",
        "wrong axis",
        "sum(axis=1, keepdims=True)",
    ),
    (
        "rebound with the sigmoid derivative",
        DZ1,
        "dZ1 = dZ2 @ W2.T\n    dZ1 = dZ1 * A1 * (1 - A1)",
        "wrong activation derivative",
        "A1*(1 - A1) where 1 - A1**2 belongs",
    ),
    (
        "a copy scaled by mistake",
        DZ1,
        "dT = dA1 * (1 - A1**2)\n    dZ1 = 2 * dT",
        "constant scale",
        "extra factor 2",
    ),
    (
        "sigmoid derivative dropped",
        "dZ2 = dA2 * A2 * (1 - A2)",
        "dZ2 = dA2",
        "missing factor",
        "A2*(1 - A2)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "kind", "text"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_one_mistake_is_blamed_once_and_what_follows_from_it_follows(
    tmp_path, old, new, kind, text
):
    source = mutated(old, new)
    expected = expected_statuses(source)
    (first,) = [line for line, (status, _) in expected.items() if status == "wrong"]
    report = checked(tmp_path, source)
    assert statuses(report) == expected, report.to_text()
    (blamed,) = report.wrong
    assert blamed.line == first
    assert blamed.diagnosis.kind == kind, blamed.diagnosis.message
    assert text in blamed.diagnosis.message


def local_statuses(source: str) -> dict[int, str]:
    """line -> status when mistakes are several: a line is wrong when, run on the true values
    of the deltas it reads, it misses its own true value; else correct or following, by its
    actual value."""
    args = arguments()
    truth = true_adjoints(args)
    function = next(f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef))
    actual = {line: value for _, line, value in bindings(source, args)}
    scope = {"np": np, **{k: np.copy(v) for k, v in args.items()}}
    found = {}
    for statement in function.body:
        if isinstance(statement, ast.AugAssign):
            continue
        name = statement.targets[0].id
        if name.startswith("d"):
            fed = {**scope, **{k: np.copy(v) for k, v in truth.items()}}
            exec(compile(ast.Module([statement], []), "<fixture>", "exec"), fed)  # noqa: S102
            right_here = _same(fed[name], truth[name])
            right = _same(actual[statement.lineno], truth[name])
            found[statement.lineno] = (
                "wrong" if not right_here else "correct" if right else "follows"
            )
        else:
            exec(compile(ast.Module([statement], []), "<fixture>", "exec"), scope)  # noqa: S102
    return found


def test_several_mistakes_are_each_blamed_where_they_are(tmp_path):
    source = NET
    for old, new in [(DA2, "dA2 = A2 - Y"), (DZ1, "dZ1 = dA1"), (DB2, "db2 = np.sum(dZ2)")]:
        source = source.replace(old, new)
    expected = local_statuses(source)
    assert sorted(line for line, s in expected.items() if s == "wrong") == [13, 16, 18]
    report = checked(tmp_path, source)
    assert {v.line: v.status for v in report.verdicts} == expected, report.to_text()
    # each corrected line reads the user's deltas, each fixed by its own verdict
    corrected = {v.name: v.correct_formula for v in report.wrong}
    assert corrected == {"dA2": "(A2 - Y)/m", "db2": "dZ2.sum(axis=0)", "dZ1": "dA1*(1 - A1**2)"}


# A ReLU hidden layer: its derivative is the mask (Z1 > 0), which is left out or replaced.
RELU_MUTATIONS = [
    ("ReLU mask left out", "dZ1 = dA1", "missing factor", "(Z1 > 0): the ReLU mask"),
    (
        "tanh derivative for ReLU",
        "dZ1 = dA1 * (1 - A1**2)",
        "wrong activation derivative",
        "1 - A1**2 where (Z1 > 0) belongs",
    ),
]


@pytest.mark.parametrize(
    ("new", "kind", "text"), [m[1:] for m in RELU_MUTATIONS], ids=[m[0] for m in RELU_MUTATIONS]
)
def test_a_relu_derivative_left_out_or_replaced_is_named(tmp_path, new, kind, text):
    source = mutated("A1 = np.tanh(Z1)", "A1 = np.maximum(Z1, 0)").replace(DZ1, new)
    expected = expected_statuses(source, torch.relu)
    report = checked(tmp_path, source)
    assert statuses(report) == expected, report.to_text()
    (blamed,) = report.wrong
    assert (blamed.name, blamed.diagnosis.kind) == ("dZ1", kind)
    assert text in blamed.diagnosis.message


def test_a_transposed_operand_is_named_rather_than_a_shape_bug(tmp_path):
    # dA1 = dZ2 @ W2 cannot run (NumPy refuses it, so no autograd label): by hand, the lines
    # before it are right, it is W2 where W2.T belongs, and the three lines after it follow
    report = checked(tmp_path, mutated("dA1 = dZ2 @ W2.T", "dA1 = dZ2 @ W2"))
    assert {v.line: v.status for v in report.verdicts} == {
        **dict.fromkeys((13, 14, 15, 16), "correct"),
        17: "wrong",
        **dict.fromkeys((18, 19, 20), "follows"),
    }
    (blamed,) = report.wrong
    assert blamed.diagnosis.kind == "transposed"
    assert blamed.diagnosis.message.startswith("transposed: W2 where W2.T belongs (")


def test_an_alias_of_a_right_value_blames_the_alias_not_the_value(alias_report):
    # dA1 = dZ2 @ W2.T is dloss/dA1, right; dZ1 = dA1 claims dloss/dZ1 and lacks 1 - A1**2
    report = alias_report
    by_name = {v.name: v for v in report.verdicts}
    assert by_name["dA1"].status == "correct" and by_name["dA1"].claim == "dloss/dA1"
    assert by_name["dZ1"].status == "wrong"
    assert by_name["dZ1"].correct_formula == "dA1*(1 - A1**2)"
    assert [v.name for v in report.following] == ["dW1", "db1"]


def test_follows_reads_alike_in_text_json_and_markdown(alias_report):
    report = alias_report
    data = json.loads(json.dumps(report.to_data()))
    follows = [v for v in data["verdicts"] if v["verdict"] == "follows"]
    assert [(v["name"], v["follows"]["line"]) for v in follows] == [("dW1", 18), ("db1", 18)]
    assert data["counts"] == {"correct": 5, "wrong": 1, "follows": 2} and not data["ok"]
    text = report.to_text()
    assert "FOLLOWS  line 19: dW1" in text
    assert "follows line 18: computed correctly from the wrong dZ1" in text
    assert "| 19 | `dW1` | dloss/dW1 | follows line 18 |" in report._repr_markdown_()


def test_the_command_exits_1_when_lines_are_wrong_or_follow(tmp_path, capsys):
    path = tmp_path / "net.py"
    path.write_text(mutated(DZ1, "dZ1 = dA1"))
    assert main(["check", f"{path}:{FUNCTION}", "--format", "json"]) == 1
    verdicts = json.loads(capsys.readouterr().out)["verdicts"]
    assert {v["verdict"] for v in verdicts} == {"correct", "wrong", "follows"}


def test_with_too_many_assignments_roles_improve_one_delta_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(blame, "MAX_ASSIGNMENTS", 1)  # no exhaustive search: descent only
    source = mutated(DZ1, "dZ1 = dA1")
    assert statuses(checked(tmp_path, source)) == expected_statuses(source)


# -- right ways of writing a line stay right ---------------------------------------------------
GRADIENTS = (
    "dW2 = A1.T @ dZ2",
    "db2 = np.sum(dZ2, axis=0)",
    "dW1 = X.T @ dZ1",
    "db1 = np.sum(dZ1, axis=0)",
)
RIGHT_VARIANTS = [
    pytest.param([(DZ1, "dH = dA1 * (1 - A1**2)\n    dZ1 = dH")], id="an alias"),
    pytest.param([(DZ1, "dZ1 = dZ2 @ W2.T\n    dZ1 = dZ1 * (1 - A1**2)")], id="a value rebound"),
    pytest.param(
        [(DZ1, "dZ1 = dZ2 @ W2.T\n    dZ1 *= 1 - A1**2")],
        id="an in-place edit",
    ),
    # the mean's 1/m left out of the delta and put back in every gradient
    pytest.param(
        [(DA2, "dA2 = A2 - Y")] + [(g, f"{g} / m") for g in GRADIENTS],
        id="a scaled delta undone later",
    ),
]


@pytest.mark.parametrize("edits", RIGHT_VARIANTS)
def test_right_code_written_another_way_is_all_correct(tmp_path, edits):
    source = NET
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    args = arguments()
    truth = true_adjoints(args)
    for name, _, value in bindings(source, args):
        if name in ("dW1", "db1", "dW2", "db2"):  # the variant is right: its gradients are
            assert np.allclose(value, truth[name])
    report = checked(tmp_path, source)
    assert report.ok, report.to_text()


# -- formula mode: a GRU's update gate on the other side of the blend --------------------------
# gru-keras blends h = z*h_prev + (1 - z)*h_tilde; by hand, dE/dh_tilde = dh*(1 - z) and
# dE/dz = dh*(h_prev - h_tilde). Written for h = (1 - z)*h_prev + z*h_tilde instead, they are
# dh*z and dh*(h_tilde - h_prev): the gate convention swapped, not a stray sign or factor.
SWAPPED_GATE = [
    "delta_h_tilde = delta_h*z",
    "delta_z = delta_h*(h_tilde - h_prev)",
    "W_z = x.T @ (delta_h*(h_tilde - h_prev)*z*(1-z))",
]


@pytest.fixture(scope="module")
def gate_report():
    return check_formulas("gru-keras", [*SWAPPED_GATE, "delta_h_tilde = delta_h*(1-z)"])


def test_a_gru_formula_for_the_other_gate_convention_is_named_as_such(gate_report):
    *swapped, right = gate_report.verdicts
    assert right.status == "correct"
    for verdict in swapped:
        assert verdict.status == "wrong"
        assert verdict.diagnosis.kind == "gates swapped in the blend", verdict.diagnosis.message
        assert "h_prev*z + h_tilde*(1 - z)" in verdict.diagnosis.message


def test_a_sign_error_in_a_gru_formula_is_still_a_sign():
    (verdict,) = check_formulas("gru-keras", ["delta_h_tilde = -delta_h*(1-z)"]).verdicts
    assert verdict.diagnosis.kind == "sign"


# -- corrected lines: short, in the user's names -----------------------------------------------
# The column-layout net keeps dZ2 = A2 - Y, m times dcost/dZ2 (sigmoid's derivative times the
# cross-entropy's is (A2 - Y)/m by hand), and divides by m in every gradient.
COLUMNS = (FIXTURES / "check_verdicts_columns.py").read_text()


def columns_gradients() -> tuple[dict, dict]:
    """The fixture's gradients from running one pass of its loop, and autograd's."""
    module = ast.parse(COLUMNS)
    loop = next(s for s in module.body if isinstance(s, ast.For))
    scope = {"np": np}
    np.random.seed(3)
    run_statements(module.body[: module.body.index(loop)], scope)
    found = {name: value for name, _, value in run_statements(loop.body, scope)}
    t = {p: torch.tensor(scope[p], requires_grad=True) for p in ("W1", "b1", "W2", "b2")}
    x, y, m = torch.tensor(scope["X"]), torch.tensor(scope["Y"]), scope["X"].shape[1]
    a2 = torch.sigmoid(t["W2"] @ torch.tanh(t["W1"] @ x + t["b1"]) + t["b2"])
    (-(y * torch.log(a2) + (1 - y) * torch.log(1 - a2)).sum() / m).backward()
    return found, {f"d{p}": tensor.grad.numpy() for p, tensor in t.items()}


def checked_module(tmp_path, source: str):
    path = tmp_path / "columns.py"
    path.write_text(source)
    return {v.name: v for v in check_code(path).verdicts}


def test_the_column_layout_net_with_its_1_over_m_in_the_gradients_is_correct(tmp_path):
    found, truth = columns_gradients()
    assert all(np.allclose(found[name], truth[name]) for name in truth)
    verdicts = checked_module(tmp_path, COLUMNS)
    assert {v.status for v in verdicts.values()} == {"correct"}
    assert verdicts["dZ2"].claim == "m * dcost/dZ2"


@pytest.mark.parametrize(
    ("old", "new", "name", "kind", "correct"),
    [
        pytest.param(
            "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
            "db2 = np.sum(dZ2, axis=1, keepdims=True)",
            "db2",
            "constant scale",
            "dZ2.sum(axis=1, keepdims=True)/m",
            id="1/m left out of a bias gradient",
        ),
        pytest.param(
            "    dZ2 = A2 - Y",
            "    dZ2 = (A2 - Y) * A2 * (1 - A2)",
            "dZ2",
            "extra factor",
            "A2 - Y",
            id="sigmoid derivative on top of the cross-entropy",
        ),
        pytest.param(
            "db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
            "db1 = np.sum(dZ1, axis=0, keepdims=True) / m",
            "db1",
            "wrong axis",
            "dZ1.sum(axis=1, keepdims=True)/m",
            id="bias gradient summed over the samples' other axis",
        ),
    ],
)
def test_a_corrected_line_is_short_and_reads_the_users_deltas(
    tmp_path, old, new, name, kind, correct
):
    assert COLUMNS.count(old) == 1
    verdicts = checked_module(tmp_path, COLUMNS.replace(old, new))
    assert verdicts[name].status == "wrong"
    assert verdicts[name].diagnosis.kind == kind, verdicts[name].diagnosis.message
    assert verdicts[name].correct_formula == correct


def test_a_sign_error_is_corrected_to_the_hand_derived_delta(tmp_path):
    # loss = sum((A2 - Y)**2)/(2m): dloss/dA2 = (A2 - Y)/m
    report = checked(tmp_path, mutated(DA2, "dA2 = (Y - A2) / m"))
    (blamed,) = report.wrong
    assert (blamed.name, blamed.correct_formula) == ("dA2", "(A2 - Y)/m")
