"""Time per verdict of ``check``: the six questions, formulas on an 8-16-16-1 net, the corpus.

Each row is one ``check`` run as a user makes it (the model derived, trial points evaluated,
every formula judged and, when wrong, diagnosed); "s/verdict" is its time over its verdicts.
Target: under 0.5 s per formula, numeric trials included.

"setup s" is the model's derivation and trial points (shared by all its formulas), "judge
s/verdict" the rest of the run per verdict. Then every case of the corpus of hand-written
backprop (tests/corpus/) that ``check`` reads, timed whole: its time over its verdicts, median
and max, and the slowest cases. Run: ``python benchmarks/check_speed.py [--repeat N]
[--corpus-repeat N]``; the best of N runs is shown, so N = 1 gives first-run (cold cache)
figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy as sp

from symbackprop.check import CheckReport, check_code, check_formulas
from symbackprop.check.codecheck import check_text
from symbackprop.check.subject import Subject
from symbackprop.derive import derive
from symbackprop.errors import SymbackpropError
from symbackprop.inputs import read_input
from symbackprop.ir import fully_connected
from symbackprop.ir.network import dense_network
from symbackprop.printing.text import TextPrinter
from symbackprop.readers.codereader import read_program
from symbackprop.readers.sources import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus.cases import all_cases  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SLOWEST = 8  # corpus cases listed
TARGET = 0.5  # seconds per verdict
PROGRAMS = Path(__file__).resolve().parent.parent / "symbackprop" / "questions" / "programs"
XOR_ALIASES = ["layer_2_delta=delta_layer_2_in", "layer_1_delta=delta_layer_1_in"]
Q5 = {
    "e1=w[0]": "(zout-t)*(zout*(1-zout))*w[4]*(h1out*(1-h1out))*x",
    "e2=w[1]": "(zout-t)*(zout*(1-zout))*w[4]*(h1out*(1-h1out))*y",
    "e3=w[2]": "(zout-t)*(zout*(1-zout))*w[5]*(h2out*(1-h2out))*x",
    "e4=w[3]": "(zout-t)*(zout*(1-zout))*w[5]*(h2out*(1-h2out))*y",
    "e5=w[4]": "(zout-t)*(zout*(1-zout))*h1out",
    "e6=w[5]": "(zout-t)*(zout*(1-zout))*h2out",
    "be1=b[0]": "(zout-t)*(zout*(1-zout))*w[4]*(h1out*(1-h1out))",
    "be2=b[1]": "(zout-t)*(zout*(1-zout))*w[5]*(h2out*(1-h2out))",
    "be3=b[2]": "(zout-t)*(zout*(1-zout))",
}


def _q5_formulas() -> tuple[list[str], list[str]]:
    aliases = list(Q5)
    formulas = [f"{alias.split('=')[0]} = {text}" for alias, text in Q5.items()]
    return formulas, aliases


def _scalar_net_formulas() -> tuple[list[str], list[str]]:
    """dE/dW1[0, 0] of the 8-16-16-1 net (16 paths, adjoints written out): right, 3 wrongs."""
    derivation = derive(fully_connected([8, 16, 16, 1]))
    chain = derivation.expanded(derivation.gradient("W1[0, 0]").expr)
    right = TextPrinter().doprint(chain)
    wrong_factor = TextPrinter().doprint(chain / sp.Symbol("x[0]"))
    a1 = sp.Symbol("a1[0]")
    wrong_derivative = TextPrinter().doprint(chain.subs(a1 * (1 - a1), 1 - a1**2))
    formulas = [f"g = {right}", f"g = {wrong_factor}", f"g = -({right})", f"g = {wrong_derivative}"]
    return formulas, ["g=W1[0, 0]"]


def _vector_net_formulas() -> tuple[list[str], list[str]]:
    aliases = ["d3=delta_z3", "d2=delta_z2", "d1=delta_z1"]
    formulas = [
        "d3 = (a3 - Y)/m * a3*(1 - a3)",
        "d2 = d3 @ W3.T * a2*(1 - a2)",
        "d1 = d2 @ W2.T * a1*(1 - a1)",
        "W1 = X.T @ d1",
        "b1 = np.sum(d1, axis=0)",
        "W1 = X.T @ ((d2 @ W2.T) * (1 - a1**2))",  # tanh's derivative
        "d1 = d2 @ W2 * a1*(1 - a1)",  # W2 not transposed: 16 x 16, so only sizes reveal it
        "W3 = a2.T @ (a3 - Y) * a3*(1 - a3)",  # the 1/m of the mean dropped
    ]
    return formulas, aliases


def cases() -> list[tuple[str, Callable[[], CheckReport], Callable[[], object]]]:
    """(name, the whole check run, its setup alone: model read, derived, trials evaluated)."""
    q5, q5_aliases = _q5_formulas()
    scalar, scalar_aliases = _scalar_net_formulas()
    vector, vector_aliases = _vector_net_formulas()
    xor_lines = [
        "layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1-layer_1))",
        "layer_1_delta = layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))",
    ]
    torch = ["g = 2 * (w * x - y) * x", "g = 2*(w*x - y)"]
    linreg = ["gm = -2*x*(y - (m*x + c))", "gc = -2*(y - (m*x + c))"]
    loss = "np.sum((layer_2 - y)**2)/2"
    xor_code, asker = FIXTURES / "q1_xor.py", FIXTURES / "q1_xor_asker.py"
    q5_code, q6_code = PROGRAMS / "q5_net.py", FIXTURES / "q6_digits.py"
    scalar_net, vector_net = fully_connected([8, 16, 16, 1]), dense_network([8, 16, 16, 1])
    return [
        (
            "q1 xor, 2 formulas",
            lambda: check_formulas("xor", xor_lines, XOR_ALIASES),
            lambda: _setup("xor"),
        ),
        (
            "q1 xor code",
            lambda: check_code(xor_code, None, loss),
            lambda: _code_setup(xor_code, None, loss),
        ),
        (
            "q1 xor code, asker's line",
            lambda: check_code(asker, None, loss),
            lambda: _code_setup(asker, None, loss),
        ),
        (
            "q2 linreg, 2 formulas",
            lambda: check_formulas("linreg", linreg, ["gm=m", "gc=c"]),
            lambda: _setup("linreg"),
        ),
        (
            "q4 torch-scalar, 2 formulas",
            lambda: check_formulas("torch-scalar", torch, ["g=w"]),
            lambda: _setup("torch-scalar"),
        ),
        (
            "q5 tiny221, 9 formulas",
            lambda: check_formulas("tiny221", q5, q5_aliases),
            lambda: _setup("tiny221"),
        ),
        (
            "q5 tiny221 code",
            lambda: check_code(q5_code, "Net"),
            lambda: _code_setup(q5_code, "Net", None),
        ),
        (
            "q6 digits code --matrix",
            lambda: check_code(q6_code, "backPro", matrix=("X", "y")),
            lambda: _code_setup(q6_code, "backPro", None, ("X", "y")),
        ),
        (
            "8-16-16-1 scalar, 4 formulas",
            lambda: check_formulas(scalar_net, scalar, scalar_aliases),
            lambda: _setup(scalar_net),
        ),
        (
            "8-16-16-1 vector, 8 formulas",
            lambda: check_formulas(vector_net, vector, vector_aliases),
            lambda: _setup(vector_net),
        ),
    ]


def _setup(model) -> Subject:
    subject = Subject(load_model(model) if isinstance(model, str) else model)
    _ = subject.trials
    return subject


def _code_setup(path, function, loss, matrix=()) -> Subject:
    program = read_program(read_input(path), str(path), function, loss, matrix)
    return _trials(program)


def _trials(program) -> Subject:
    subject = Subject(program.model, program.space, program.leaf_shapes)
    _ = subject.trials
    return subject


def best_time(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def corpus_times(repeat: int) -> tuple[list[tuple[str, int, float]], list[float]]:
    """(case, verdicts, best seconds) for every corpus case read; the seconds of each refusal."""
    read, refused = [], []
    for case in all_cases():
        family = case.family

        def run(case=case, family=family):
            return check_text(case.source, "train.py", family.function, family.loss)

        try:
            seconds, report = best_time(run, repeat)
        except SymbackpropError:
            start = time.perf_counter()
            try:
                run()
            except SymbackpropError:
                refused.append(time.perf_counter() - start)
            continue
        read.append((case.name, len(report.verdicts), seconds))
    return read, refused


def print_corpus(repeat: int) -> None:
    read, refused = corpus_times(repeat)
    print(f"\ncorpus: {len(read)} cases read, {len(refused)} refused")
    if refused:
        print(f"  refusal: median {statistics.median(refused):.3f} s, max {max(refused):.3f} s")
    if not read:
        return
    per_verdict = [(seconds / max(count, 1), name, count) for name, count, seconds in read]
    values = [v for v, _, _ in per_verdict]
    cases = [seconds for _, _, seconds in read]
    print(f"  per case: median {statistics.median(cases):.3f} s, max {max(cases):.3f} s")
    print(f"  per verdict: median {statistics.median(values):.3f} s, max {max(values):.3f} s")
    print("  slowest (s/verdict, verdicts, case):")
    for value, name, count in sorted(per_verdict, reverse=True)[:SLOWEST]:
        print(f"    {value:.3f}  {count:>2}  {name}")
    over = [name for value, name, _ in per_verdict if value >= TARGET]
    verdict = "yes" if not over else f"no, {len(over)} cases over"
    print(f"  every verdict under {TARGET} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is shown)")
    parser.add_argument("--corpus-repeat", type=int, default=1, help="runs per corpus case")
    arguments = parser.parse_args()
    repeat = arguments.repeat
    rows = []
    for name, run, setup in cases():
        total, report = best_time(run, repeat)
        prepared, _ = best_time(setup, repeat)
        count, wrong = len(report.verdicts), len(report.wrong)
        per_verdict = max(total - prepared, 0.0) / count
        rows.append(
            (
                name,
                str(count),
                str(wrong),
                f"{total:.3f}",
                f"{prepared:.3f}",
                f"{per_verdict:.3f}",
                f"{total / count:.3f}",
            )
        )
    header = (
        "case",
        "verdicts",
        "wrong",
        "total s",
        "setup s",
        "judge s/verdict",
        "total s/verdict",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    worst = max(float(r[5]) for r in rows)
    print(
        f"\nworst judging time per verdict: {worst:.3f} s (target < 0.5 s); setup is the "
        "model's derivation and trial points, shared by all its formulas"
    )
    print_corpus(arguments.corpus_repeat)


if __name__ == "__main__":
    main()
