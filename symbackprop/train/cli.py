"""The ``train`` verb's command line: ``add_parser`` declares it, ``run`` carries it out.

``symbackprop.cli`` wires both in; ``main`` runs the verb on its own with the same contract
(one line on stderr and exit 2 for bad input), as ``python -m symbackprop.train``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from symbackprop.errors import SymbackpropError
from symbackprop.interrupts import interruptible
from symbackprop.readers.sources import load_model
from symbackprop.train.extras import check
from symbackprop.train.files import check_writable, save_params
from symbackprop.train.initialization import SCHEMES
from symbackprop.train.runner import DEFAULT_BATCH_SIZE, OPTIMIZERS, train
from symbackprop.train.sources import SOURCES

DESCRIPTION = """\
Run MODEL's generated NumPy module on data with a progress bar; print the loss,
accuracy and time, and explain in plain words, with the number behind each, what
kept it from learning: saturated or dead units, vanishing or exploding gradients,
unscaled inputs, identical predictions, a loss that does not fall, initial weights
all of one sign. Each finding comes with the fix to try."""

EPILOG = """examples:
  symbackprop train tiny221 --data sizes --init positive --lr 1 --batch-size 1 --epochs 20
  symbackprop train tiny221 --data sizes --standardize --lr 1 --batch-size 1 --plot sizes.png
  symbackprop train digits-softmax --data digits --standardize --optimizer adam --lr 0.01
"""


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``train MODEL --data SOURCE [options]`` to the CLI's verbs."""
    parser = verbs.add_parser(
        "train",
        help="train a model's generated module on data, and diagnose the run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="built-in example, digits-softmax, sizes-net, spec.toml, or file.py[:function]",
    )
    parser.add_argument(
        "--data",
        required=True,
        metavar="SOURCE",
        help=f"{', '.join(SOURCES)}, or a CSV file with a header row (with --target)",
    )
    parser.add_argument("--target", metavar="COL[,COL]", help="target column(s) of a CSV file")
    _add_training_options(parser)
    parser.add_argument("--plot", metavar="FILE.png", help="write the loss curve (and boundary)")
    parser.add_argument("--save", metavar="FILE.npz", help="write the trained parameters")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    # Not given: what a built-in example recommends (cnn-digits), else TRAINING_DEFAULTS.
    own = "or the built-in example's own"
    parser.add_argument("--epochs", type=int, metavar="N", help=f"default 100, {own}")
    parser.add_argument("--lr", type=float, metavar="X", help=f"default 0.1, {own}")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default sgd, {own}")
    parser.add_argument(
        "--init",
        choices=SCHEMES,
        default="glorot",
        help="initial parameters; positive is uniform(0, 1) for every weight and bias",
    )
    parser.add_argument("--seed", type=seed_number, default=0, metavar="S", help="default 0")
    parser.add_argument(
        "--batch-size",
        type=batch_size,
        default=DEFAULT_BATCH_SIZE,
        metavar="B",
        help=f"samples per update (default {DEFAULT_BATCH_SIZE}; all: full-batch descent)",
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        default=None,
        help=f"scale inputs to mean 0, deviation 1 (default off, {own})",
    )
    parser.add_argument(
        "--devices",
        type=device_count,
        metavar="N",
        help="train MODEL's JAX module on N devices, each batch split across them "
        "(symbackprop[jax]; a shuffle's last samples short of a batch wait for the next epoch)",
    )


def batch_size(text: str) -> int | None:
    """An argparse type: samples per update, a positive integer, or ``all`` (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"a batch size is a whole number 1 or more, not {text!r}")
    return size


def device_count(text: str) -> int:
    """An argparse type: a number of devices, 1 or more."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"a device count is a whole number 1 or more, not {text!r}"
        )
    return count


def seed_number(text: str) -> int:
    """An argparse type: a random-number seed, a non-negative integer as NumPy takes it."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number 0 or more, not {text!r}")
    return seed


def run(args: argparse.Namespace) -> int:
    """Train, print the summary and findings, then write --plot and --save whole."""
    plot = check_writable(args.plot, ".png", "--plot") if args.plot else None
    save = check_writable(args.save, ".npz", "--save") if args.save else None
    if plot is not None:
        check("matplotlib", "--plot")
    result = train(
        load_model(args.model, params=vars(args).get("params", ())),  # --params: in cli.py
        args.data,
        epochs=args.epochs,
        lr=args.lr,
        optimizer=args.optimizer,
        init=args.init,
        seed=args.seed,
        batch_size=args.batch_size,
        standardize=args.standardize,
        target=args.target,
        progress=True,
        devices=args.devices,
    )
    if args.format == "json":
        print(json.dumps(result.to_data(), indent=2))
    else:
        print(result.to_text(), end="")
    if plot is not None:
        from symbackprop.train.plot import plot_training

        print(f"wrote {plot_training(result, plot)}", file=sys.stderr)
    if save is not None:
        print(f"wrote {save_params(save, result.params, result.dataset.scaling)}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``symbackprop train ...`` on its own: argv starts with ``train``."""
    parser = argparse.ArgumentParser(prog="symbackprop")
    add_parser(parser.add_subparsers(dest="verb", required=True, metavar="VERB"))
    args = parser.parse_args(argv)
    return interruptible(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    try:
        return run(args)
    except SymbackpropError as error:
        print(f"symbackprop: error: {error.located()}", file=sys.stderr)
        return 2
