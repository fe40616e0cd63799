"""Every verb's --help ends with real examples, and each runs as written (exit 0, or 1 for a
check that finds a wrong formula), never with bad input (2)."""

import re
import shlex
import subprocess
import sys

import pytest

from symbackprop.cli import build_parser

VERBS = ["list", "derive", "explain", "check", "generate", "verify", "train", "demo", "convert"]


def examples(verb: str) -> list[str]:
    parser = build_parser()
    help_text = parser._subparsers._group_actions[0].choices[verb].format_help()
    block = help_text.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    joined = re.sub(r"\\\n\s*", "", block)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("symbackprop")]


@pytest.mark.parametrize("verb", VERBS)
def test_help_ends_with_two_or_three_examples(verb):
    assert 1 <= len(examples(verb)) <= 3 or verb == "list"


@pytest.mark.slow
@pytest.mark.parametrize("verb", VERBS)
def test_help_examples_run_as_written(verb, tmp_path):
    for example in examples(verb):
        argv = shlex.split(example)
        done = subprocess.run(
            [sys.executable, "-m", "symbackprop", *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode in (0, 1), f"{example}: {done.stderr[-500:]}"
        assert "Traceback" not in done.stderr
