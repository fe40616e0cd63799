"""The six questions, each answered by the verbs and written to a file.

Every answer is computed here, by the same API a user calls; nothing is typed in but the
questions and the askers' own formulas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from symbackprop.cells.evaluate import run_sequence
from symbackprop.check import check_code, check_formulas
from symbackprop.check.states import check_state
from symbackprop.derive import derive
from symbackprop.explain import explain
from symbackprop.printing import text
from symbackprop.questions import programs
from symbackprop.questions.gru import gru_walkthrough
from symbackprop.questions.table import ASKS, CLAIMED_STATE
from symbackprop.readers.examples import builtin, gru_keras
from symbackprop.train import train


@dataclass
class Answer:
    question: int
    asks: str
    lines: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


Question = Callable[[Path], Answer]


def question_1(folder: Path) -> Answer:
    answer = Answer(1, ASKS[1])
    report = check_formulas(
        "xor",
        [
            "layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1-layer_1))",
            "layer_1_delta = layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))",
        ],
        ["layer_2_delta=delta_layer_2_in", "layer_1_delta=delta_layer_1_in"],
    )
    code_line, asker_line = report.verdicts
    answer.lines.append(
        f"the code's line is {code_line.status}; the asker's is "
        f"{asker_line.status}: {_diagnosis(asker_line)}"
    )
    adjoint = derive(builtin("xor")).adjoint("layer_1")
    answer.lines.append(f"settles it: {adjoint.symbol} = {text(adjoint.expr)}")
    answer.files.append(_write_explanation("xor", folder / "q1_xor.md"))
    return answer


def question_2(folder: Path) -> Answer:
    answer = Answer(2, ASKS[2])
    report = check_formulas(
        "linreg",
        ["grad_m = - 2 * x * (y - (m*x + c))", "grad_c = - 2 * (y - (m*x + c))"],
        ["grad_m=m", "grad_c=c"],
    )
    verdicts = ", ".join(f"{v.name} {v.status}" for v in report.verdicts)
    answer.lines.append(f"{verdicts}: the gradients are right, so look at the plotting code")
    result = derive(builtin("linreg"))
    answer.lines.append(f"settles it: dJ/dm = {text(result.in_leaves(result.gradient('m').expr))}")
    answer.files.append(_write_explanation("linreg", folder / "q2_linreg.md"))
    return answer


def question_3(folder: Path) -> Answer:
    answer = Answer(3, ASKS[3])
    model = gru_keras()
    states = run_sequence(model, model.known_input.weights, model.known_input.x).ravel()
    shown = ", ".join(f"{h:.8f}" for h in states)
    answer.lines.append(f"the Keras layer's two states: {shown} (float32 precision)")
    (verdict,) = check_state(model, CLAIMED_STATE).verdicts
    answer.lines.append(
        f"the hand-computed {CLAIMED_STATE} is {verdict.status}: {verdict.diagnosis.kind}"
    )
    answer.lines.append("settles it: Keras blends h = z*h_prev + (1 - z)*h_tilde")
    walkthrough = ["# Question 3: the Keras GRU", *gru_walkthrough(), verdict.diagnosis.message]
    document = "\n\n".join(walkthrough)
    answer.files.append(_write(folder / "q3_gru_keras.md", document))
    return answer


def question_4(folder: Path) -> Answer:
    answer = Answer(4, ASKS[4])
    report = check_formulas("torch-scalar", ["dloss_dw = 2*(w*x - y)"], ["dloss_dw=w"])
    (asker,) = report.verdicts
    answer.lines.append(f"the hand-computed 2*(w*x - y) = 8 is {asker.status}: {_diagnosis(asker)}")
    result = derive(builtin("torch-scalar"))
    gradient = result.in_leaves(result.gradient("w").expr)
    value = gradient.subs({"x": 2, "y": 2, "w": 3})
    answer.lines.append(f"settles it: dloss/dw = {text(gradient)} = {value} at x = 2, y = 2, w = 3")
    answer.files.append(_write_explanation("torch-scalar", folder / "q4_torch_scalar.md"))
    return answer


def question_5(folder: Path) -> Answer:
    answer = Answer(5, ASKS[5])
    code = folder / "q5_net.py"
    code.write_text(resources.files(programs).joinpath("q5_net.py").read_text())
    report = check_code(code, "Net")
    correct = sum(v.status == "correct" for v in report.verdicts)
    answer.lines.append(
        f"the asker's code: {correct} of {len(report.verdicts)} gradient lines are correct"
    )
    raw = train("tiny221", "sizes", epochs=20, lr=1.0, init="positive", batch_size=1)
    fixed = train("tiny221", "sizes", epochs=20, lr=1.0, standardize=True, batch_size=1)
    titles = ", ".join(f.title for f in raw.findings[:3])
    answer.lines.append(
        f"training on raw 0-100 inputs: {titles}; standardised inputs reach "
        f"{fixed.summary.test_accuracy:.0%} test accuracy"
    )
    document = "\n\n".join([raw.to_text(), fixed.to_text()])
    answer.files += [
        code,
        _write(folder / "q5_training.txt", document),
        _write_explanation("tiny221", folder / "q5_tiny221.md"),
    ]
    return answer


def question_6(folder: Path) -> Answer:
    answer = Answer(6, ASKS[6])
    asked = train("digits", "digits", epochs=200, lr=1.0, init="positive", batch_size=None)
    fixed = train(
        "digits-softmax", "digits", epochs=100, lr=0.01, optimizer="adam", standardize=True
    )
    shown = ("identical-predictions", "saturated")
    titles = ", ".join(f.title for f in asked.findings if f.code in shown)
    answer.lines.append(
        f"the set-up as asked: {titles or 'no finding'} "
        f"({asked.summary.test_accuracy:.0%} test accuracy)"
    )
    answer.lines.append(
        f"standardised inputs, Glorot weights and a softmax output: "
        f"{fixed.summary.test_accuracy:.0%} test accuracy"
    )
    document = "\n\n".join([asked.to_text(), fixed.to_text()])
    answer.files.append(_write(folder / "q6_training.txt", document))
    return answer


QUESTIONS: tuple[Question, ...] = (
    question_1,
    question_2,
    question_3,
    question_4,
    question_5,
    question_6,
)


def _diagnosis(verdict) -> str:
    diagnosis = verdict.diagnosis
    factor = diagnosis.factor
    return diagnosis.kind if factor is None else f"{diagnosis.kind} {text(factor)}"


def _write_explanation(model: str, path: Path) -> Path:
    explain(model).write(path)
    return path


def _write(path: Path, content: str) -> Path:
    path.write_text(content if content.endswith("\n") else content + "\n")
    return path
