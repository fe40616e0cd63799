"""Judge one claim: equal to the true derivative at every trial point (and symbolically where
SymPy can show it), else wrong with a diagnosis, a counterexample and the correct formula."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symbackprop.check.diagnose import Probe, diagnose, symbolic_size_ok, tree_size_at_most
from symbackprop.check.formula import Target
from symbackprop.check.numeric import difference, plain, show
from symbackprop.check.present import correct_form, formula_text, simplified
from symbackprop.check.report import Counterexample, Following, Verdict
from symbackprop.check.steps import derivation_steps
from symbackprop.check.subject import Subject, Trial
from symbackprop.derive import Derivation
from symbackprop.ir.activations import written_out
from symbackprop.ir.evaluate import EvaluationError, Value

MAX_PROOF_OPS = 300
MAX_LEAF_OPS_SHOWN = 24


@dataclass
class Claim:
    """A formula that claims to be ``scale`` times a target (a gradient or an adjoint)."""

    name: str
    formula: str
    target: Target
    got: sp.Expr
    line: int | None = None
    scale: sp.Expr = sp.S.One
    names: dict[sp.Symbol, str] = field(default_factory=dict)
    note: str | None = None
    follows: Following | None = None  # right given its reads, one of which is wrong


def target_value(subject: Subject, target: Target) -> sp.Expr:
    """The true value of a target, written through adjoint symbols."""
    return target_in(subject.derivation, target)


def target_in(derivation: Derivation, target: Target) -> sp.Expr:
    """A target's value under ``derivation`` (the model's, or a variant's)."""
    if target.kind == "gradient":
        return derivation.gradient(target.name).expr
    try:
        return derivation.adjoint(target.name).symbol
    except KeyError:
        return sp.S.Zero


def claim_label(subject: Subject, target: Target, scale: sp.Expr = sp.S.One) -> str:
    label = target.label(subject.model.loss.name)
    pre = subject.model.by_name.get(target.name)
    if pre is not None and pre.symbol in subject.hidden:
        label = f"d{subject.model.loss.name}/d({formula_text(subject, pre.symbol)})"
    return label if scale == 1 else f"{formula_text(subject, scale)} * {label}"


def judge(subject: Subject, claim: Claim) -> Verdict:
    expected = claim.scale * target_value(subject, claim.target)
    probe = Probe(subject, claim.got, claim.names)
    failing = _first_failure(subject, expected, probe)
    common = {
        "name": claim.name,
        "claim": claim_label(subject, claim.target, claim.scale),
        "formula": claim.formula,
        "line": claim.line,
        "correct_formula": _correct_text(subject, claim),
        "value": _value_at_model(subject, expected),
        "note": claim.note,
        "derivation": derivation_steps(subject, claim.target),
    }
    if failing is None and claim.follows is not None:
        proof = "right for the values it reads, " + _proof(subject, expected, claim.got)
        return Verdict(correct=False, proof=proof, follows=claim.follows, **common)
    if failing is None:
        return Verdict(correct=True, proof=_proof(subject, expected, claim.got), **common)
    diagnosis = diagnose(
        subject, expected, claim.got, probe, lambda d: claim.scale * target_in(d, claim.target)
    )
    trial, got = failing
    counterexample = _counterexample(subject, trial, trial.evaluate(expected), got)
    return Verdict(
        correct=False,
        proof="a counterexample",
        diagnosis=diagnosis,
        counterexample=counterexample,
        **common,
    )


def _first_failure(subject: Subject, expected: sp.Expr, probe: Probe):
    for trial, got in zip(subject.trials, probe.values, strict=True):
        if isinstance(got, EvaluationError):
            return trial, got
        value = subject.comparable(trial.evaluate(expected))
        if subject.differs(expected, value, subject.comparable(got), trial):
            return trial, got
    return None


def _proof(subject: Subject, expected: sp.Expr, got: sp.Expr) -> str:
    trials = subject.trials
    arithmetic = "exact rational" if all(t.exact for t in trials) else "50-digit"
    points = f"equal at {len(trials)} points in {arithmetic} arithmetic"
    if subject.is_vector:
        names = ", ".join(map(str, trials[0].sizes))
        sizes = ", ".join("(" + ", ".join(map(str, t.sizes.values())) + ")" for t in trials)
        points += f", at sizes ({names}) = {sizes}"
    if _symbolically_equal(subject, expected, got):
        return "proved symbolically; " + points
    return points


def _symbolically_equal(subject: Subject, expected: sp.Expr, got: sp.Expr) -> bool:
    # sigmoid(h) and 1/(1 + exp(-h)) are one formula: compare definitions
    e, g = written_out(subject.expanded(expected)), written_out(subject.expanded(got))
    if not tree_size_at_most(2 * MAX_PROOF_OPS, e, g) or not symbolic_size_ok(e, g):
        return False
    difference = e - g
    if difference == 0:
        return True
    try:  # a sum of products of node values: expanding decides (no gcds, unlike cancel)
        return sp.expand(sp.together(difference)) == 0
    except (sp.PolynomialError, TypeError, ValueError):
        return False


def _correct_text(subject: Subject, claim: Claim) -> str:
    target = claim.target
    derivation = subject.derivation
    try:
        terms = (
            derivation.gradient(target.name).terms
            if target.kind == "gradient"
            else derivation.adjoint(target.name).terms
        )
    except KeyError:
        terms = None
    start = target_value(subject, target)
    if target.kind == "adjoint" and terms is not None:
        start = derivation.adjoint(target.name).expr  # the target itself, one step down
    expr = simplified(subject, claim.scale * correct_form(subject, start, terms, claim.names))
    shown = formula_text(subject, expr, claim.names)
    expanded = subject.expanded(expr)
    if subject.is_vector or not tree_size_at_most(2 * MAX_LEAF_OPS_SHOWN, expanded):
        return shown
    leaves = subject.in_leaves(expanded)
    if (
        leaves is None
        or not tree_size_at_most(4 * MAX_LEAF_OPS_SHOWN, leaves)
        or not symbolic_size_ok(leaves)
    ):
        return shown
    leaves = sp.factor_terms(leaves)
    if sp.count_ops(leaves) > MAX_LEAF_OPS_SHOWN:
        return shown
    in_leaves = formula_text(subject, leaves, claim.names)
    return shown if in_leaves == shown else f"{shown} = {in_leaves}"


def _value_at_model(subject: Subject, expected: sp.Expr) -> str | None:
    first = subject.trials[0]
    if first.label != "at the model's values":
        return None
    return f"{show(first.evaluate(expected))} at {_point(subject, first)}"


def _point(subject: Subject, trial: Trial) -> str:
    if subject.is_vector:
        return _sizes(trial) + " (random values)"
    return ", ".join(f"{s} = {show(value)}" for s, value in trial.leaves.items())


def _sizes(trial: Trial) -> str:
    return "(" + ", ".join(f"{s} = {v}" for s, v in trial.sizes.items()) + ")"


def _counterexample(subject: Subject, trial: Trial, expected: Value, got) -> Counterexample:
    data = {
        "trial": trial.label,
        "sizes": {str(s): v for s, v in trial.sizes.items()},
        "inputs": {str(s): plain(value) for s, value in trial.leaves.items()},
        "expected_value": plain(expected),
        "got_value": None if isinstance(got, EvaluationError) else plain(got),
    }
    if isinstance(got, EvaluationError):
        return Counterexample(_point(subject, trial), _describe(expected), f"an error: {got}", data)
    found = difference(expected, got)
    if found[0] == "shape":
        return Counterexample(_point(subject, trial), _describe(expected), _describe(got), data)
    _, index, e, g = found
    if index:
        at = f"element [{', '.join(map(str, index))}]"
        return Counterexample(
            _point(subject, trial), f"{at} = {show(e)}", f"{at} = {show(g)}", data
        )
    return Counterexample(_point(subject, trial), show(e), show(g), data)


def _describe(value) -> str:
    if isinstance(value, np.ndarray) and value.ndim:
        return f"an array of shape {tuple(value.shape)}"
    return show(value)
