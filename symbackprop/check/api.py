"""The checker's API: verdicts on hand-written formulas and on hand-written backprop code.

>>> report = check_formulas("torch-scalar", ["dloss_dw = 2*(w*x - y)"], ["dloss_dw=w"])
>>> report.ok, report.verdicts[0].diagnosis.kind
(False, 'missing factor')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import sympy as sp

from symbackprop.check.codecheck import check_text
from symbackprop.check.compare import Claim, judge
from symbackprop.check.formula import FormulaReader, parse_aliases
from symbackprop.check.layerfile import (
    FileReport,
    check_units,
    evaluated_first,
    layer_file_units,
)
from symbackprop.check.loopcheck import concrete_report
from symbackprop.check.report import CheckReport
from symbackprop.check.subject import Subject
from symbackprop.errors import SymbackpropError
from symbackprop.inputs import read_input
from symbackprop.ir.model import Model
from symbackprop.readers.pysource import parse
from symbackprop.readers.siblings import with_siblings
from symbackprop.readers.sources import load_model

__all__ = ["CheckReport", "FileReport", "check_code", "check_formulas"]


def check_formulas(
    model: Model | str,
    formulas: Sequence[str],
    aliases: Mapping[str, str] | Sequence[str] = (),
) -> CheckReport:
    """Judge each ``TARGET = EXPR`` formula against the model's true derivatives.

    ``aliases`` maps the user's names to targets (``{"e1": "w[0]"}`` or ``["e1=w[0]"]``).
    """
    if isinstance(model, str):
        model = load_model(model)
    if not isinstance(aliases, Mapping):
        aliases = parse_aliases(aliases)
    subject = Subject(model)
    reader = FormulaReader(subject, aliases)
    names = _adjoint_names(reader)
    verdicts = []
    for number, text in enumerate(formulas, start=1):
        formula = reader.read(text, number)
        claim = Claim(formula.user_name, text.strip(), formula.target, formula.expr, names=names)
        try:
            verdicts.append(judge(subject, claim))
        except SymbackpropError as error:  # a value the evaluator refuses, e.g. too large
            if error.file is not None:
                raise
            raise type(error)(error.message, file=f"--formula #{number}") from None
    return CheckReport(model.name, model.loss.name, verdicts)


def _adjoint_names(reader: FormulaReader) -> dict[sp.Symbol, str]:
    """The user's names for adjoints (``layer_2_delta`` for delta_layer_2_in), for printing."""
    names = {}
    for alias, target in reader.meanings.items():
        if target.kind == "adjoint":
            expected = reader.expected(target)
            if isinstance(expected, sp.Symbol):
                names[expected] = alias
    return names


def check_code(
    path: str | Path,
    function: str | None = None,
    loss: str | None = None,
    matrix: Sequence[str] = (),
    params: Sequence[str] = (),
    siblings: bool = True,
) -> CheckReport | FileReport:
    """Judge the hand-written backprop of a training function (or module) in ``path``.

    Its forward statements define the model; each parameter update states which gradient an
    expression claims to be (the learning rate stripped); intermediate deltas are judged as
    the adjoints they play. ``loss`` is an expression in the code's names, for code that does
    not compute its loss; ``matrix`` names values that are ``numpy.matrix``; ``params`` names
    arguments that are weights, where returned gradients are matched to them by order.

    A file of course-style layers (``affine_forward``/``affine_backward`` pairs, loss
    functions returning ``loss, dx``, a network's ``loss`` method) checked whole gives a
    :class:`FileReport`, one report per pair or loss function; so does one pair, named by
    either of its halves. A loss function named on its own gives its one report.
    ``siblings`` reads the functions it imports from files beside it (``from .layers import
    *``); a server leaves them out.
    """
    text = read_input(path)
    if loss is None and not matrix and not params:
        tree = parse(text, str(path))
        if siblings:  # the files beside it that it imports layers from
            tree = with_siblings(tree, path)
        units = layer_file_units(tree, str(path), function)
        # one loss function named is a training step like any other: one report
        if units and (function is None or units[0].is_pair):
            return check_units(tree, text, str(path), units)
        if units and evaluated_first(tree, units[0]):  # loops in loops: never formulas
            report = concrete_report(tree, str(path), units[0])
            if report is not None:
                return report
        if units:
            try:
                return check_text(text, str(path), function, loss, (), ())
            except SymbackpropError:  # naive loops: evaluated instead, where they can be
                report = concrete_report(tree, str(path), units[0])
                if report is None:
                    raise
                return report
    return check_text(text, str(path), function, loss, tuple(matrix), tuple(params))
