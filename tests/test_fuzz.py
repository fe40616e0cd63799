"""No input crashes the command line, hangs it, leaves a partial file or runs user text.

Thousands of inputs through every channel (tests/fuzz/channels.py): the MODEL argument, spec
files, ``.py`` models, ``check`` formulas and code, every option, CSV data, output paths and
input files that are not plain files, mutations of valid specs and models, and SIGINT/SIGTERM
at drawn points of commands that write. Each is run in-process in a fresh folder and
classified by tests/fuzz/harness.py; every hostile payload of the corpus (tests/fuzz/payloads.py)
is also one case of its own, put everywhere user text goes. Drawing is derandomized, so CI
runs the same inputs every time; ``python benchmarks/fuzz_table.py`` runs a larger budget.
"""

from __future__ import annotations

import signal
import sys
import time

import pytest
from fuzz.channels import run_channel
from fuzz.corpus import bundle
from fuzz.harness import (
    CANARY_FIRED,
    CLEAN,
    CRASH,
    HANG,
    OK,
    PARTIAL,
    Case,
    Interrupt,
    run_case,
)
from fuzz.payloads import CANARY, PAYLOADS

# Drawn inputs per channel: many of the cheap ones that are rejected early, fewer of those that
# generate, verify, train or are interrupted (the interrupt channel runs each command twice).
EXAMPLES = {
    "model name": 250,
    "spec": 200,
    "py model": 200,
    "check": 200,
    "options": 150,
    "csv": 60,
    "output": 60,
    "input file": 76,
    "mutation": 200,
    "interrupt": 30,
}


def _failures(results) -> str:
    failed = [result for result in results if result.failed]
    shown = "\n".join(str(result) for result in failed[:10])
    return f"{len(failed)} of {len(results)} inputs failed:\n{shown}"


# --- the corpus: one case per payload ---------------------------------------------------------


@pytest.mark.parametrize("key", list(PAYLOADS))
def test_a_payload_stays_data_wherever_user_text_goes(key):
    results = [run_case(case) for case in bundle(key)]
    assert not any(result.failed for result in results), _failures(results)


# --- the channels -------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(EXAMPLES))
def test_no_drawn_input_crashes_hangs_leaves_a_partial_file_or_runs(channel):
    results = run_channel(channel, EXAMPLES[channel])
    assert len(results) >= min(EXAMPLES[channel], 50)  # the channel really drew its inputs
    assert not any(result.failed for result in results), _failures(results)


def test_an_option_the_parser_refuses_is_one_error_line():
    """argparse's refusal is one line too, ``symbackprop VERB: error: ...``, no usage dump."""
    result = run_case(Case("options", ("verify", "xor", "--seed", "abc")))
    assert result.outcome == CLEAN, result
    assert result.stderr.startswith("symbackprop verify: error: argument --seed")


# --- the harness tells each outcome apart -----------------------------------------------------
# (fake commands with a known behaviour: a broken classifier would pass every fuzzed input)


def _writes(name: str, text: str, code: int = 0):
    def command(argv):
        with open(name, "w") as handle:
            handle.write(text)
        return code

    return command


def _says(line: str, code: int):
    def command(argv):
        print(line, file=sys.stderr)
        return code

    return command


def _sleeps(argv):
    time.sleep(5)


def _raises(argv):
    raise ValueError("escaped")


@pytest.mark.parametrize(
    "command, expected",
    [
        (_says("symbackprop: error: x.toml:3: bad", 2), CLEAN),
        (_says("symbackprop: error: two\nlines", 2), CRASH),
        (_says("usage: symbackprop x\nsymbackprop x: error: bad", 2), CRASH),
        (_says("Traceback (most recent call last):", 0), CRASH),
        (_says("", 1), OK),
        (_says("fine", 3), CRASH),
        (_raises, CRASH),
        (_sleeps, HANG),
        (_writes(".out.k2j4x.py", "half"), PARTIAL),
        (_writes("out.py", "half", code=2), PARTIAL),
        (_writes("out.py", "whole"), OK),
        (_writes(CANARY, ""), CANARY_FIRED),
    ],
    ids=[
        "one error line",
        "two error lines",
        "usage dump",
        "traceback",
        "exit 1 with output",
        "odd exit",
        "exception",
        "hang",
        "temporary left",
        "output after failure",
        "output after success",
        "canary",
    ],
)
def test_the_harness_classifies(command, expected):
    assert run_case(Case("harness", ("x",)), limit=1, entry=command).outcome == expected


def test_the_harness_imports_generated_modules_in_a_fresh_process():
    runs = _writes("out.py", f"open({CANARY!r}, 'w')\n")
    assert run_case(Case("harness", ("x",), import_output="out.py"), entry=runs).outcome == (
        CANARY_FIRED
    )
    broken = _writes("out.py", "x = (\n")
    assert run_case(Case("harness", ("x",), import_output="out.py"), entry=broken).outcome == CRASH


def test_the_harness_interrupts_inside_the_command():
    """SIGINT halfway through a real command: one line, exit 130, no file left behind."""
    case = Case("harness", ("generate", "torch-scalar", "-o", "out.py"))
    interrupted = Case(case.channel, case.argv, interrupt=Interrupt(signal.SIGINT, 0.5))
    result = run_case(interrupted)
    assert result.outcome == CLEAN and result.rc == 128 + signal.SIGINT, result
    assert result.stderr == "symbackprop: interrupted\n"
