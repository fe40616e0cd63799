"""The ``check`` verb: parse its arguments, call the API, print; nothing else lives here."""

from __future__ import annotations

import argparse
import json
import sys

from symbackprop.check.api import check_code, check_formulas
from symbackprop.check.report import CheckReport
from symbackprop.check.states import check_state
from symbackprop.errors import SpecError, SymbackpropError
from symbackprop.interrupts import interruptible
from symbackprop.readers.sources import load_model

EXIT_OK, EXIT_FOUND_WRONG, EXIT_BAD_INPUT = 0, 1, 2

EXAMPLES = """examples:
  symbackprop check torch-scalar --formula 'g = 2*(w*x - y)' --as g=w
  symbackprop check tiny221 --as e1=w[0] \\
      --formula 'e1 = (zout-t)*zout*(1-zout)*w[4]*h1out*(1-h1out)*x'
  symbackprop check xor --as d1=delta_layer_1_in --as d2=delta_layer_2_in \\
      --formula 'd1 = layer_1.T.dot(d2) * (layer_1*(1-layer_1))'

code mode: symbackprop check train.py:backPro --matrix X,y   (the loss from the code)
           symbackprop check xor.py --loss 'np.sum((layer_2 - y)**2)/2'
           symbackprop check net.py:Net.train_step   (a method; weights on self or in dicts)
           symbackprop check grads.py:backward --params W1,b1   (returned, matched by order)
layer files: symbackprop check layers.py   (every NAME_forward/NAME_backward pair and every
           loss function returning loss, dx; layers.py:batchnorm_backward judges one)
exit status: 0 all correct, 1 a formula is wrong, 2 bad input (or no function could be read)
"""


def add_parser(verbs) -> argparse.ArgumentParser:
    """Add the ``check`` subcommand to an ``add_subparsers()`` object."""
    parser = verbs.add_parser(
        "check",
        help="judge hand-written gradient formulas or backprop code",
        description="Say whether each hand-written gradient is correct and, if not, why.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "subject",
        metavar="MODEL|FILE.py[:function]",
        help="a model (with --formula), or a Python file whose backprop code is checked",
    )
    parser.add_argument(
        "--formula",
        action="append",
        default=[],
        metavar="'TARGET = EXPR'",
        help="a formula in the model's names (repeatable)",
    )
    parser.add_argument(
        "--as",
        dest="aliases",
        action="append",
        default=[],
        metavar="NAME=TARGET",
        help="the user's name for a parameter's gradient or an adjoint, "
        "e.g. e1=w[0] or layer_2_delta=delta_layer_2_in (repeatable)",
    )
    parser.add_argument(
        "--loss",
        metavar="EXPR",
        help="the loss, in the code's names, when the code does not compute it",
    )
    parser.add_argument(
        "--matrix",
        metavar="NAMES",
        default="",
        help="comma-separated names that are numpy.matrix (* is a matrix product)",
    )
    parser.add_argument(
        "--state",
        type=float,
        metavar="H1",
        help="a hand-computed first state h_1 of a recurrent built-in, on its known input",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``check``: 0 when every formula is correct, 1 when one is wrong, 2 for bad input."""
    try:
        report = _report(args)
    except SymbackpropError as error:
        print(f"symbackprop: error: {error.located()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:  # a last guard: readers name the line where they can
        print(f"symbackprop: error: {args.subject}: input nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(report.to_data(), indent=2))
    else:
        print(report.to_text(), end="")
    if not report.ok:
        return EXIT_FOUND_WRONG
    return EXIT_OK if getattr(report, "read_any", True) else EXIT_BAD_INPUT


def _report(args: argparse.Namespace) -> CheckReport:
    matrix = tuple(name.strip() for name in args.matrix.split(",") if name.strip())
    if args.state is not None:
        return check_state(_model(args), args.state)
    if args.formula:
        if matrix:
            raise SpecError("--matrix applies to code, not to --formula")
        return check_formulas(_model(args), args.formula, args.aliases)
    if args.aliases:
        raise SpecError("--as needs --formula (in code mode the names come from the code)")
    path, function = _code_subject(args.subject)
    return check_code(path, function, args.loss, matrix, _params(args))


def _model(args: argparse.Namespace):
    if args.loss is not None and not args.loss.isidentifier():
        raise SpecError("with --formula, --loss names the loss variable of a .py model")
    return load_model(args.subject, loss=args.loss, params=_params(args))


def _params(args: argparse.Namespace) -> tuple[str, ...]:
    """--params, which the main command line adds to every verb that reads a model (this
    verb's own ``main`` goes without)."""
    return vars(args).get("params", ())


def _code_subject(subject: str) -> tuple[str, str | None]:
    path, colon, function = subject.rpartition(":")
    if colon and path.endswith(".py"):
        return path, function or None
    if subject.endswith(".py"):
        return subject, None
    raise SpecError(
        f"{subject!r}: give --formula 'TARGET = EXPR' to check formulas against a model, "
        "or a file.py[:function] to check its backprop code"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m symbackprop.check.cli ...``: the verb on its own."""
    parser = argparse.ArgumentParser(prog="symbackprop")
    add_parser(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(argv)
    return interruptible(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
