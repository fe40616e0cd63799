"""The ``explain`` verb's command line: ``add_parser`` declares it, ``run`` carries it out."""

from __future__ import annotations

import argparse
import sys

from symbackprop.explain.api import SUFFIXES, explain
from symbackprop.files import check_output
from symbackprop.readers.sources import load_model

EPILOG = """examples:
  symbackprop explain torch-scalar
  symbackprop explain tiny221 --param 'w[0]' -o tiny221-w0.html
  symbackprop explain xor --plain-names -o xor.tex
"""


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``explain MODEL [--param P] [-o FILE] [--plain-names]`` to the CLI's verbs."""
    parser = verbs.add_parser(
        "explain",
        help="explain the chain rule step by step (Markdown, LaTeX, HTML, PDF)",
        description="Step-by-step chain-rule derivations: the forward pass, the adjoints from "
        "the loss down, and each parameter's chain of local derivatives.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "model", metavar="MODEL", help="built-in example, spec.toml, or file.py[:function]"
    )
    parser.add_argument(
        "--param",
        action="append",
        metavar="P",
        help="explain only this parameter (w[0], or w for all of w[...]); repeatable",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"write to FILE, format by suffix ({', '.join(SUFFIXES)}); "
        "default: Markdown on stdout",
    )
    parser.add_argument(
        "--plain-names", action="store_true", help="keep names as written (h1out, not h^out_1)"
    )
    parser.add_argument("--loss", help="name of the loss variable in a .py model")
    return parser


def run(args: argparse.Namespace) -> int:
    """Explain ``args.model``; errors are SymbackpropError for the CLI to report."""
    if args.output is not None:
        check_output(args.output)  # before the model is read and derived
    # --params: added by the main command line to every verb that reads a model
    model = load_model(args.model, loss=args.loss, params=vars(args).get("params", ()))
    explanation = explain(model, param=args.param, plain_names=args.plain_names, show_progress=True)
    if args.output is None:
        sys.stdout.write(explanation.to_markdown())
    else:
        path = explanation.write(args.output)
        print(f"wrote {path}")
    return 0
