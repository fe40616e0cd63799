"""The ``demo`` verb."""

from __future__ import annotations

import argparse

from symbackprop.questions.demo import DEFAULT_FOLDER, run_demo

EPILOG = """examples:
  symbackprop demo
  symbackprop demo --dir answers --force
"""


def add_parser(verbs) -> None:
    demo = verbs.add_parser(
        "demo",
        help="answer the six questions the product began with, one after another",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--dir",
        default=DEFAULT_FOLDER,
        help=f"folder for the explanation files (default: {DEFAULT_FOLDER}/)",
    )
    demo.add_argument(
        "--force", action="store_true", help="replace the folder's contents if it is not empty"
    )


def run(args: argparse.Namespace) -> int:
    run_demo(args.dir, force=args.force)
    return 0
