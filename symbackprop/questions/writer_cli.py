"""The command line the docs writers share: ``python -m MODULE FOLDER [--check]``."""

from __future__ import annotations

import argparse
from pathlib import Path


def run_writer(module: str, write, argv: list[str] | None) -> int:
    """The command line of a docs writer: ``python -m MODULE FOLDER [--check]``, where
    ``write(folder, check=...)`` returns the files it wrote (or, checking, found stale)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}")
    parser.add_argument("folder", type=Path, help="where the documents go, e.g. docs/examples")
    parser.add_argument("--check", action="store_true", help="list stale files; write nothing")
    args = parser.parse_args(argv)
    changed = write(args.folder, check=args.check)
    for path in changed:
        print(f"{'stale' if args.check else 'wrote'} {path}")
    return 1 if args.check and changed else 0
