"""``docs/examples``: one explanation per question, opening with the answer.

Each document is an ordinary :func:`explain` output with a lead that answers the asker's
question. Every claim in a lead is computed here from the derivation (a verdict is a symbolic
comparison, a number an evaluation, a shape an inference), never typed in. Regenerate with
``python -m symbackprop.questions.explained docs/examples`` (``--check`` lists stale files and
exits 1).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from symbackprop.check.blend import diagnose_blend
from symbackprop.explain.api import Explanation, explain
from symbackprop.explain.notation import Notation
from symbackprop.files import write_whole
from symbackprop.ir.activations import written_out
from symbackprop.ir.evaluate import evaluate, forward_values
from symbackprop.ir.ops import T, broadcast, dot, show_shape
from symbackprop.questions.gru import gru_walkthrough
from symbackprop.questions.table import CLAIMED_STATE, KERAS_PRINTS
from symbackprop.questions.writer_cli import run_writer
from symbackprop.readers.examples import builtin, gru_keras


@dataclass(frozen=True)
class QuestionDoc:
    question: int
    model: str
    asks: str
    lead: Callable[[Explanation], list[str]]

    @property
    def filename(self) -> str:
        return f"q{self.question}_{self.model.replace('-', '_')}.md"


# -- shared helpers -------------------------------------------------------------------------------
def _tex(explanation: Explanation, expr: sp.Expr) -> str:
    return Notation(explanation.derivation).tex(expr)


def _claim(text: str, names: list[str]) -> sp.Expr:
    """A hand-written formula (already in the model's names) as SymPy."""
    return sp.sympify(text, locals={name: sp.Symbol(name) for name in names})


def _agrees(explanation: Explanation, param: str, claim: sp.Expr) -> bool:
    derivation = explanation.derivation
    derived = derivation.expanded(derivation.gradient(param).expr)
    difference = explanation.model.in_leaves(derived - claim)
    return sp.simplify(written_out(difference)) == 0  # a claim may write sigmoid out


def _section(explanation: Explanation, word: str) -> str:
    """The number of the first section whose title mentions ``word``."""
    for section in explanation.document.sections:
        if word in section.title:
            return section.title.split(".")[0]
    raise KeyError(word)


def _names(explanation: Explanation) -> list[str]:
    return [node.name for node in explanation.model.nodes]


# -- question 1: XOR in NumPy ---------------------------------------------------------------------
def _q1_lead(explanation: Explanation) -> list[str]:
    derivation, shapes = explanation.derivation, explanation.model.shapes
    layer_1_delta = derivation.adjoint("layer_1").expr  # d E / d layer_1
    d_synapse_1 = derivation.gradient("synapse_1").expr
    shape = {name: tuple(4 if d == "m" else d for d in s) for name, s in shapes.items()}
    shape.update({"delta_layer_2_in": shape["layer_2_in"]})
    proposed = dot.shape(T.shape(shape["layer_1"]), shape["layer_2_in"])
    wrong = broadcast(proposed, shape["layer_1"])
    return [
        "**Why `synapse_1.T` and not `layer_1`?** The code's `layer_2_delta` is "
        f"${_tex(explanation, sp.Symbol('delta_layer_2_in'))}$, the derivative of the error with "
        "respect to the product `layer_1.dot(synapse_1)`. That product depends on `layer_1` "
        "through the weights: its derivative with respect to `layer_1` is the weight matrix "
        "`synapse_1`, and the chain rule's sum over the output units turns it into a product "
        f"with the transpose, ${_tex(explanation, layer_1_delta)}$ (section 2). Multiplying "
        "entry by entry by the sigmoid's derivative `layer_1*(1-layer_1)` then gives "
        "`layer_1_delta`, exactly the code's line.",
        "The activations `layer_1` appear in the derivative of the same product with respect to "
        f"the weights: ${_tex(explanation, d_synapse_1)}$, the code's "
        "`layer_1.T.dot(layer_2_delta)`, which updates `synapse_1` "
        f"(section {_section(explanation, 'gradients')}).",
        "**The proposed `layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))` is wrong**: "
        f"`layer_1.T.dot(layer_2_delta)` has shape {show_shape(proposed)}, one "
        "number per weight, while `layer_1_delta` needs one number per sample and hidden unit, "
        f"shape (m, {shapes['layer_1'][1]}). With the code's 4 samples NumPy broadcasts the "
        f"product silently to shape {show_shape(wrong)}: no error, and no gradient either.",
    ]


# -- question 2: linear regression by SGD ---------------------------------------------------------
_Q2_CLAIMS = {"m": "-2*x*(y - (m*x + c))", "c": "-2*(y - (m*x + c))"}


def _q2_lead(explanation: Explanation) -> list[str]:
    verdicts = {
        p: _agrees(explanation, p, _claim(t, _names(explanation))) for p, t in _Q2_CLAIMS.items()
    }
    verdict = "both right" if all(verdicts.values()) else "not both right"
    lines = [
        f"`grad_{p}` = `{t}` is **{'right' if ok else 'wrong'}**: it equals "
        f"${_tex(explanation, _in_leaves(explanation, p))}$, derived below."
        for (p, t), ok in zip(_Q2_CLAIMS.items(), verdicts.values(), strict=True)
    ]
    return [
        f"**Are `grad_m` and `grad_c` right? They are {verdict}.** Written in the model's names "
        "(`xk[i]` is `x`, `yk[i]` is `y`, `np.dot(m, xk[i])` is `m*x`):",
        *lines,
        "So the gradient step is not what makes the result look wrong; the plotting lines are "
        "(they draw the data points `xk[0], yk[0]` and `xk[1], yk[1]`, not the path of "
        "`(m, c)`).",
    ]


def _in_leaves(explanation: Explanation, param: str) -> sp.Expr:
    derivation = explanation.derivation
    return sp.factor_terms(derivation.in_leaves(derivation.gradient(param).expr))


# -- question 4: PyTorch, 16 not 8 ----------------------------------------------------------------
def _q4_lead(explanation: Explanation) -> list[str]:
    derivation, model = explanation.derivation, explanation.model
    values = forward_values(model, {k: sp.sympify(v) for k, v in model.values.items()})
    (term,) = derivation.gradient("w").terms
    upper = derivation.adjoint(term.consumer)

    def at(expr: sp.Expr) -> str:
        return _tex(explanation, sp.sympify(evaluate(derivation.expanded(expr), values)))

    point = ", ".join(f"${_tex(explanation, sp.Symbol(k))} = {v}$" for k, v in model.values.items())
    return [
        f"**Why 16?** $\\partial \\mathrm{{loss}} / \\partial w = "
        f"{_tex(explanation, _in_leaves(explanation, 'w'))} = "
        f"{at(derivation.gradient('w').expr)}$ at {point}. The hand computation that gave "
        f"{at(upper.symbol)} stopped at $\\partial \\mathrm{{loss}} / \\partial "
        f"{_tex(explanation, sp.Symbol(term.consumer))} = {at(upper.symbol)}$ and dropped the "
        "last factor of the chain rule, "
        f"$\\partial {_tex(explanation, sp.Symbol(term.consumer))} / \\partial w = "
        f"{_tex(explanation, term.local)} = {at(term.local)}$: the factor $x$ comes from "
        "the prediction's derivative with respect to the weight.",
    ]


# -- question 5: the 2-2-1 sigmoid net ------------------------------------------------------------
_Q5_CLAIMS = {
    "e1": ("w[0]", "(zout-t) * (zout * (1 - zout)) * w4 * (h1out * (1 - h1out)) * x"),
    "e2": ("w[1]", "(zout-t) * (zout * (1 - zout)) * w4 * (h1out * (1 - h1out)) * y"),
    "e3": ("w[2]", "(zout-t) * (zout * (1 - zout)) * w5 * (h2out * (1 - h2out)) * x"),
    "e4": ("w[3]", "(zout-t) * (zout * (1 - zout)) * w5 * (h2out * (1 - h2out)) * y"),
    "e5": ("w[4]", "(zout-t) * (zout * (1 - zout)) * h1out"),
    "e6": ("w[5]", "(zout-t) * (zout * (1 - zout)) * h2out"),
    "be1": ("b[0]", "(zout-t) * (zout * (1 - zout)) * w4 * (h1out * (1 - h1out))"),
    "be2": ("b[1]", "(zout-t) * (zout * (1 - zout)) * w5 * (h2out * (1 - h2out))"),
    "be3": ("b[2]", "(zout-t) * (zout * (1 - zout))"),
}
_Q5_POINT = {"x": 76, "y": 92, "t": 1}  # the asker's "big" example, every weight and bias 1/2


def _q5_claim(text: str, names: list[str]) -> sp.Expr:
    aliases = {"w4": "w[4]", "w5": "w[5]"}
    locals_ = {name: sp.Symbol(name) for name in names}
    locals_.update({alias: sp.Symbol(name) for alias, name in aliases.items()})
    return sp.sympify(text, locals=locals_)


def _q5_lead(explanation: Explanation) -> list[str]:
    names = _names(explanation)
    lines, right = [], 0
    for label, (param, text) in _Q5_CLAIMS.items():
        ok = _agrees(explanation, param, _q5_claim(text, names))
        right += ok
        verdict = "right" if ok else "**wrong**"
        lines.append(f"`{label}` (the gradient of `{param}`) is {verdict}")
    saturation = _q5_saturation(explanation)
    count = "All" if right == len(_Q5_CLAIMS) else f"{right} of"
    return [
        f"**Are `e1`..`e6`, `be1`..`be3` right? {count} {len(_Q5_CLAIMS)} are right.** Each was "
        "compared symbolically with the gradient derived below (the asker's `w[4]`, `h1out`, "
        "`zout` are the model's own names):",
        "; ".join(lines) + ".",
        "**Why it will not learn anyway:** the inputs are integers up to 100 and are not "
        "scaled, so the hidden pre-activations are large and the sigmoids saturate. At "
        f"`x = {_Q5_POINT['x']}`, `y = {_Q5_POINT['y']}` with every weight and bias 0.5, the "
        f"factor ${saturation[0]}$ that the gradients of the first layer carry (section "
        f"{_section(explanation, 'gradients')}) is "
        f"${saturation[1]}$: the gradients of `w[0]`..`w[3]` vanish. Scale the inputs to [0, 1].",
    ]


def _q5_saturation(explanation: Explanation) -> tuple[str, str]:
    model = explanation.model
    point = {n.name: sp.Rational(1, 2) for n in model.parameters}
    point.update({k: sp.Integer(v) for k, v in _Q5_POINT.items()})
    h1out = sp.Symbol("h1out")
    factor = h1out * (1 - h1out)
    value = model.in_leaves(factor).xreplace({sp.Symbol(k): v for k, v in point.items()})
    mantissa, exponent = f"{float(value.evalf(60)):.1e}".split("e")
    return _tex(explanation, factor), f"{mantissa} \\times 10^{{{int(exponent)}}}"


def _q3_lead(explanation: Explanation) -> list[str]:
    known = gru_keras().known_input
    h0 = np.zeros((1, 1))
    verdict = diagnose_blend("keras", known.x[:, 0], h0, CLAIMED_STATE, known.weights).message
    opening = f"**Why {KERAS_PRINTS[0]}, not {CLAIMED_STATE}?**"
    return [f"{opening} {verdict[0].upper()}{verdict[1:]}", *gru_walkthrough()]


QUESTION_DOCS = (
    QuestionDoc(1, "xor", "why `synapse_1.T` and not `layer_1`?", _q1_lead),
    QuestionDoc(2, "linreg", "are `grad_m` and `grad_c` right?", _q2_lead),
    QuestionDoc(
        3, "gru-keras", "why 0.20482421 and 0.34675306, not the hand-computed 0.55?", _q3_lead
    ),
    QuestionDoc(4, "torch-scalar", "why is dloss/dw 16, not 8?", _q4_lead),
    QuestionDoc(5, "tiny221", "are `e1`..`e6`, `be1`..`be3` right?", _q5_lead),
)


def question_document(doc: QuestionDoc) -> str:
    """The Markdown of one question's explanation."""
    explanation = explain(builtin(doc.model))
    return explanation.with_lead(*doc.lead(explanation)).to_markdown()


# Documents other verbs write into the same folder, listed in the index too.
TRAINING_DOCS = (
    "- [Question 5, training](q5_training.md), `tiny221` on `sizes`: why won't it learn?",
    "- [Question 6](q6_training.md), `digits`: why the same class for every image?",
)


def _index() -> str:
    lines = ["# The six questions, answered by `symbackprop explain`", ""]
    lines += [
        f"- [Question {d.question}]({d.filename}), `{d.model}`: {d.asks}" for d in QUESTION_DOCS
    ]
    lines += ["", "## Answered by `symbackprop train`", "", *TRAINING_DOCS]
    lines += ["", "Regenerate with `python -m symbackprop.questions.explained docs/examples` and"]
    lines += ["`python -m symbackprop.questions.training docs/examples`.", ""]
    return "\n".join(lines)


def write_examples(out_dir: str | Path, check: bool = False) -> list[Path]:
    """Write every question's document into ``out_dir`` (with a README index).

    With ``check=True`` nothing is written; the files that are missing or differ are returned.
    Otherwise the files written (those that changed) are returned.
    """
    out_dir = Path(out_dir)
    wanted = {out_dir / doc.filename: question_document(doc) for doc in QUESTION_DOCS}
    wanted[out_dir / "README.md"] = _index()
    changed = [path for path, text in wanted.items() if _read(path) != text]
    if not check:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in changed:
            write_whole(path, wanted[path].encode("utf-8"))
    return changed


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    """``python -m symbackprop.questions.explained FOLDER [--check]``."""
    return run_writer("symbackprop.questions.explained", write_examples, argv)


if __name__ == "__main__":
    sys.exit(main())
