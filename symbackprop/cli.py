"""The command line: parses arguments and calls the API; nothing else lives here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from symbackprop import api
from symbackprop.errors import SymbackpropError

EXIT_OK, EXIT_FOUND_WRONG, EXIT_BAD_INPUT = 0, 1, 2

_DERIVE_EXAMPLES = """examples:
  symbackprop derive tiny221
  symbackprop derive torch-scalar --format json
  symbackprop derive net.py:Net --format latex
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symbackprop",
        description="Derive, explain, generate and check backpropagation formulas.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser(
        "list",
        help="list the built-in example models",
        epilog="examples:\n  symbackprop list\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    derive = verbs.add_parser(
        "derive",
        help="print every partial derivative of the loss",
        epilog=_DERIVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    derive.add_argument(
        "model", metavar="MODEL", help="built-in example, spec.toml, or file.py[:function]"
    )
    derive.add_argument("--format", choices=("text", "latex", "json"), default="text")
    derive.add_argument("--loss", help="name of the loss variable in a .py model")
    return parser


def run_list(args: argparse.Namespace) -> int:
    for example in api.examples():
        print(f"{example.name:<14} question {example.question}: {example.summary}")
    return EXIT_OK


def run_derive(args: argparse.Namespace) -> int:
    derivation = api.derive(api.load_model(args.model, loss=args.loss))
    if args.format == "json":
        print(json.dumps(derivation.to_data(), indent=2))
    elif args.format == "latex":
        print(derivation.to_latex(), end="")
    else:
        print(derivation.to_text(), end="")
    return EXIT_OK


_VERBS = {"list": run_list, "derive": run_derive}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _VERBS[args.verb](args)
    except SymbackpropError as error:
        print(f"symbackprop: error: {error.located()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("symbackprop: error: input nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
