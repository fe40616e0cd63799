"""The command line: parses arguments and calls the API; nothing else lives here."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from importlib import metadata

import shtab

from symbackprop import api
from symbackprop.cells.step import StepModel
from symbackprop.check import cli as check_cli
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.targets import DTYPES, TARGETS
from symbackprop.codegen.verify import ModuleDisagrees
from symbackprop.errors import SymbackpropError, UsageError, one_line
from symbackprop.explain import cli as explain_cli
from symbackprop.files import check_output
from symbackprop.interrupts import interruptible
from symbackprop.limits import time_budget
from symbackprop.questions import QUESTION_OF
from symbackprop.questions import cli as demo_cli
from symbackprop.readers.weightfiles import read_weights, write_weights
from symbackprop.serve import cli as serve_cli
from symbackprop.train import cli as train_cli

EXIT_OK, EXIT_FOUND_WRONG, EXIT_BAD_INPUT = 0, 1, 2
EXIT_CLOSED_PIPE = 128 + 13  # as a shell reports a program ended by SIGPIPE

_DERIVE_EXAMPLES = """examples:
  symbackprop derive tiny221
  symbackprop derive tiny221 --param 'w[0]'
  symbackprop derive torch-scalar --format json
"""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (naming the option) and exit 2, like every
    other bad input; the usage itself is one ``--help`` away."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def _version() -> str:
    try:
        return metadata.version("symbackprop")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="symbackprop",
        description="Derive, explain, generate and check backpropagation formulas.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    shtab.add_argument_to(  # eval "$(symbackprop --print-completion bash)" completes verbs
        parser, ["--print-completion"], help="print a shell completion script (bash, zsh, tcsh)"
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
    derive.add_argument(
        "--param",
        action="append",
        metavar="P",
        help="only this parameter's gradient (a name such as w[0], or a base "
        "such as w); repeatable",
    )
    derive.add_argument("--loss", help="name of the loss variable in a .py model")
    explain_cli.add_parser(verbs)
    check_cli.add_parser(verbs)
    _add_generate(verbs)
    _add_verify(verbs)
    _add_convert(verbs)
    train_cli.add_parser(verbs)
    demo_cli.add_parser(verbs)
    serve_cli.add_parser(verbs)
    for verb in _VERBS_READING_MODELS:
        _add_params(verbs.choices[verb])
    return parser


# Every verb that reads a model takes --params, with one meaning: which arguments are weights.
_VERBS_READING_MODELS = ("derive", "explain", "generate", "verify", "train", "check")


def _add_params(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--params",
        type=_names,
        default=(),
        metavar="NAMES",
        help="comma-separated arguments of a .py function that are weights (code that "
        "updates or returns its gradients names its weights itself)",
    )


_GENERATE_EXAMPLES = """examples:
  symbackprop generate xor -o xor_train.py
  symbackprop generate digits --target jax --dtype float32 -o digits_jax.py
  symbackprop generate --all --check
"""

_VERIFY_EXAMPLES = """examples:
  symbackprop verify xor
  symbackprop verify digits --seed 3
  symbackprop verify xor --target jax
"""


def _add_generate(verbs) -> None:
    generate = verbs.add_parser(
        "generate",
        help="write a NumPy (or JAX) training module",
        epilog=_GENERATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generate.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="built-in example, spec.toml, or file.py[:function]",
    )
    generate.add_argument("-o", "--output", help="file to write (default: standard output)")
    generate.add_argument(
        "--all", action="store_true", help="write every built-in example's module into --dir"
    )
    generate.add_argument(
        "--check",
        action="store_true",
        help="with --all: exit 1 if a file differs from what would be written",
    )
    generate.add_argument("--dir", default="generated", help="folder for --all")
    _add_target(generate)
    generate.add_argument(
        "--dtype",
        choices=DTYPES,
        default=DTYPES[0],
        help="a JAX module's float type (float64 turns on jax_enable_x64 when it is imported)",
    )


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=tuple(TARGETS),
        default="numpy",
        help="numpy (the default; numpy its only import) or jax (pip install symbackprop[jax])",
    )


def _add_verify(verbs) -> None:
    verify = verbs.add_parser(
        "verify",
        help="generate a module and check its gradients numerically",
        epilog=_VERIFY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument(
        "model", metavar="MODEL", help="built-in example, spec.toml, or file.py[:function]"
    )
    verify.add_argument(
        "--seed", type=train_cli.seed_number, default=0, help="seed of the parameters and data"
    )
    verify.add_argument("--format", choices=("text", "json"), default="text")
    _add_target(verify)


_CONVERT_EXAMPLES = """examples:
  symbackprop convert lstm --init 0 -o lstm.pt
  symbackprop convert lstm lstm.pt -o lstm_params.npz
"""


def _add_convert(verbs) -> None:
    convert = verbs.add_parser(
        "convert",
        help="a recurrent cell's weights between framework files and the module's arrays",
        description="Read a recurrent cell's weights from a framework's file (a torch "
        "state_dict .pt, a Keras 3 .weights.h5 or .keras, d2l's params saved with np.savez, or "
        "the module's own arrays in .npz) and write them in the format OUTPUT's suffix names: "
        ".npz (the generated module's per-gate arrays), .pt (a torch state_dict) or "
        ".weights.h5 (Keras 3).",
        epilog=_CONVERT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument(
        "model", metavar="MODEL", help="a recurrent built-in example or [recurrent] spec.toml"
    )
    convert.add_argument("source", metavar="SOURCE", nargs="?", help="the weights file to read")
    convert.add_argument(
        "--init",
        metavar="SEED",
        type=train_cli.seed_number,
        help="no SOURCE: the module's own initial weights from SEED (to start a framework's "
        "model where the module starts)",
    )
    convert.add_argument("-o", "--output", required=True, help="file to write (.npz, .pt, .h5)")
    convert.add_argument(
        "--layer", help="the recurrent layer's name in a file of a whole model (gru, lstm)"
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def run_list(args: argparse.Namespace) -> int:
    for example in api.examples():
        question = QUESTION_OF.get(example.name)
        answers = "" if question is None else f"question {question}: "
        print(f"{example.name:<14} {answers}{example.summary}")
    return EXIT_OK


def run_derive(args: argparse.Namespace) -> int:
    model = api.load_model(args.model, loss=args.loss, params=args.params)
    derivation = api.derive(model, params=args.param, show_progress=True)
    if args.format == "json":
        print(json.dumps(derivation.to_data(), indent=2))
    elif args.format == "latex":
        print(derivation.to_latex(), end="")
    else:
        print(derivation.to_text(), end="")
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    if args.all:
        stale = api.generate_all(args.dir, check=args.check, target=args.target)
        for path in stale:
            print(f"{_freshness(path) if args.check else 'wrote'} {path}")
        return EXIT_FOUND_WRONG if args.check and stale else EXIT_OK
    if args.model is None:
        raise UsageError("generate needs a MODEL, or --all")
    if args.output is not None:
        check_output(args.output)  # before the model is read and derived
    command = "symbackprop " + shlex.join(args.typed)  # what the header says regenerates it
    try:
        text = api.generate(
            api.load_model(args.model, params=args.params),
            output=args.output,
            command=command,
            target=args.target,
            dtype=args.dtype,
        )
    except ModuleDisagrees as error:
        print(f"symbackprop: generate refused to write a wrong module: {error}", file=sys.stderr)
        return EXIT_FOUND_WRONG
    if args.output is None:
        print(text, end="")
    return EXIT_OK


def _freshness(path) -> str:
    """Why ``generate --all --check`` lists a file: not there at all, or different."""
    return "stale" if path.exists() else "missing"


def run_verify(args: argparse.Namespace) -> int:
    model = api.load_model(args.model, params=args.params)
    report = api.verify(model, seed=args.seed, target=args.target)
    if args.format == "json":
        print(json.dumps(report.to_data(), indent=2))
    else:
        print(report.to_text(), end="")
    return EXIT_OK if report.ok else EXIT_FOUND_WRONG


def run_convert(args: argparse.Namespace) -> int:
    model = api.load_model(args.model)
    if not isinstance(model, StepModel):
        raise UsageError(f"{args.model} is not a recurrent cell: convert reads a cell's weights")
    if (args.source is None) == (args.init is None):
        raise UsageError("convert reads a SOURCE file or makes weights with --init SEED (one)")
    output = check_output(args.output)
    if args.source is None:
        params = load_module(model).init_params(args.init)
    else:
        params = read_weights(args.source, model.cell, args.layer)
    write_weights(output, model.cell, params, layer=args.layer or model.cell.convention.family)
    print(f"wrote {output}")
    return EXIT_OK


_VERBS = {
    "list": run_list,
    "derive": run_derive,
    "explain": explain_cli.run,
    "check": check_cli.run,
    "generate": run_generate,
    "verify": run_verify,
    "convert": run_convert,
    "train": train_cli.run,
    "demo": demo_cli.run,
    "serve": serve_cli.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; Ctrl-C or SIGTERM ends it with one line (see interrupts)."""
    for stream in (sys.stdout, sys.stderr):  # a path of undecodable bytes prints, escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code = interruptible(lambda: _run(argv))
        sys.stdout.flush()  # here, where a closed pipe can still be met quietly
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's flush at exit is quiet
        return EXIT_CLOSED_PIPE


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    args.typed = list(sys.argv[1:] if argv is None else argv)  # what regenerates an output
    try:
        with time_budget(args.verb):  # past it, one line and exit 2 rather than a hang
            return _VERBS[args.verb](args)
    except SymbackpropError as error:
        print(f"symbackprop: error: {error.located()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RecursionError, OverflowError, MemoryError) as error:  # last guards
        where = f"{args.model}: " if getattr(args, "model", None) else ""
        print(f"symbackprop: error: {one_line(where)}{_TOO_MUCH[type(error)]}", file=sys.stderr)
        return EXIT_BAD_INPUT


# What a last guard says: the readers, limits and evaluators name the line where they can.
_TOO_MUCH = {
    RecursionError: "input nested too deeply",
    OverflowError: "a value too large to compute (an exponent of an exponent?)",
    MemoryError: "out of memory: the model or data is too large",
}


if __name__ == "__main__":
    sys.exit(main())
