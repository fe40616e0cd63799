"""How much work one command may do: every limit stated once, with the measurement behind it.

Each limit is checked before the work it bounds begins (before a model is built, before an
array is allocated), so going over one costs a moment and gives one line that names the number,
the limit and what to do instead. Whatever still runs too long is stopped by a time budget per
verb (:func:`time_budget`). Times were measured on a shared 2-core machine.
"""

from __future__ import annotations

import ast
import math
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sympy as sp

from symbackprop.errors import LimitExceeded, TimeLimitExceeded, UsageError

# Scalar mode writes one formula per weight, and its work grows with their number: derive
# took 3.4 s and explain 3 s for [8, 16, 16, 1] (433 weights and biases, with a progress bar on
# a terminal); [30, 30, 30, 30, 1] (2821) takes minutes, and is a job for vector mode.
MAX_SCALAR_PARAMETERS = 1000
# Vector mode: a module holds each parameter array a few times over (values, gradients,
# optimiser state), 80 MB each at this limit; [100000, 100000] would need 74.5 GiB for one.
MAX_PARAMETERS = 10_000_000
# Deriving and generating slow faster than the layers grow: 30 layers took 2.6 s, 50 took
# 10 s, 100 took 52 s, and 5000 never finished. The built-in examples have at most three.
MAX_LAYERS = 32
# verify and train keep every node's float64 array for all the samples they run at once, and
# as many again for the adjoints: a [1, 1000, 1] network on a 200 MB CSV could ask for 400 GB.
MAX_ARRAY_BYTES = 2 * 2**30

# Python code: the longest real forward function here (question 6's digits) has 53 statements;
# a chain of 300 takes 1 to 4 s in each verb; generating one of 1000 took 16 s, and deriving
# one of 3000 never finished.
MAX_STATEMENTS = 300
# A course's layer file holds dozens of functions (with their docstrings, about 500
# statements); each is read alone, so the whole file is only bounded well above that.
MAX_FILE_STATEMENTS = 5000
# A gradient's form larger than this (as a tree) is neither printed nor factored: factor_terms
# on a scalar network's gradient in leaves took 25 s for [4, 4, 4, 1], and listing the chain of
# [2] * 16 took 55 s. No one reads such a form; every form the built-in examples show has
# under 30 nodes.
MAX_SHOWN_NODES = 300
# What still runs past this is stopped: every verb on every built-in example takes seconds.
TIME_LIMIT_SECONDS = 120.0
TIME_LIMIT_VARIABLE = "SYMBACKPROP_TIME_LIMIT"  # seconds; 0 for no limit
UNTIMED_VERBS = ("train", "serve")  # serve: each request has its own time limit


# -- models -----------------------------------------------------------------------------------
def check_network(
    sizes: Sequence[int], scalar: bool, file: str | None = None, line: int | None = None
) -> None:
    """Refuse a fully connected network over the layer or parameter limits, before it is built.

    >>> check_network([2, 60, 1], scalar=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    symbackprop.errors.LimitExceeded: scalar mode's sizes make 241 weights and biases, ...
    """
    layers = len(sizes) - 1
    if layers > MAX_LAYERS:
        raise LimitExceeded(
            f"sizes make {layers} layers, over the limit of {MAX_LAYERS} (deriving and generating "
            "slow steeply with depth)",
            file=file,
            line=line,
        )
    layer_pairs = zip(sizes[:-1], sizes[1:], strict=True)
    count = sum((fan_in + 1) * fan_out for fan_in, fan_out in layer_pairs)  # and a bias per unit
    what = f"{'scalar' if scalar else 'vector'} mode's sizes"
    check_parameters(count, what, scalar=scalar, file=file, line=line)


def check_layer_count(count: int, file: str | None = None, line: int | None = None) -> None:
    """Refuse a network of more [[layer]] entries than a fully connected network of
    :data:`MAX_LAYERS` has nodes (two a layer: the product and the activation)."""
    if count > 2 * MAX_LAYERS:
        raise LimitExceeded(
            f"{count} layers, over the limit of {2 * MAX_LAYERS} (deriving and generating slow "
            "steeply with depth)",
            file=file,
            line=line,
        )


def check_parameters(
    count: int, what: str, *, scalar: bool, file: str | None = None, line: int | None = None
) -> None:
    """Refuse ``count`` weights and biases over the limit of their mode."""
    limit = MAX_SCALAR_PARAMETERS if scalar else MAX_PARAMETERS
    if count <= limit:
        return
    if scalar:
        advice = ' (scalar mode writes a formula per weight); use mode = "vector"'
    else:
        advice = f"; they alone would take {size_text(8 * count)} as float64"
    raise LimitExceeded(
        f"{what} make {count} weights and biases, over the limit of {limit}{advice}",
        file=file,
        line=line,
    )


def check_statements(tree: ast.AST, file: str) -> None:
    """Refuse Python code of more statements than :data:`MAX_STATEMENTS` in any one function
    read with the module's own code, or than :data:`MAX_FILE_STATEMENTS` in all, naming the
    line of the first one over. A course's file of many layer functions is read one pair at
    a time: its length alone is no reason to refuse it."""
    every = sorted(node.lineno for node in ast.walk(tree) if isinstance(node, ast.stmt))
    if len(every) > MAX_FILE_STATEMENTS:
        raise LimitExceeded(
            f"the file has {len(every)} statements, over the limit of {MAX_FILE_STATEMENTS}",
            file=file,
            line=every[MAX_FILE_STATEMENTS],
        )
    body = getattr(tree, "body", [])
    units = [
        s for s in body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    inside = {id(n) for u in units for s in u.body for n in ast.walk(s) if isinstance(n, ast.stmt)}
    shared = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.stmt) and id(n) not in inside]
    for unit in units or [None]:
        own = (
            []
            if unit is None
            else [n.lineno for s in unit.body for n in ast.walk(s) if isinstance(n, ast.stmt)]
        )
        lines = sorted(shared + own)
        if len(lines) > MAX_STATEMENTS:
            raise LimitExceeded(
                f"the code has {len(lines)} statements, over the limit of {MAX_STATEMENTS}; "
                "give the forward function alone, or a smaller network",
                file=file,
                line=lines[MAX_STATEMENTS],
            )


def size_text(nbytes: int) -> str:
    if nbytes >= 2**30:
        return f"{nbytes / 2**30:.1f} GiB"
    return f"{nbytes / 2**20:.1f} MiB" if nbytes >= 2**20 else f"{nbytes} bytes"


# -- expressions ------------------------------------------------------------------------------
def tree_size_at_most(limit: int, *exprs: sp.Basic) -> bool:
    """Whether the expressions, written out as trees, have at most ``limit`` nodes together.

    Counted lazily, so it takes time in proportion to ``limit``: an expression built by
    substitution shares its subexpressions, and its tree can be exponentially larger.
    """
    count = 0
    for expr in exprs:
        for _ in sp.preorder_traversal(expr):
            count += 1
            if count > limit:
                return False
    return True


# -- time -------------------------------------------------------------------------------------
def time_limit(verb: str = "") -> float:
    """The seconds ``verb`` may run: ``$SYMBACKPROP_TIME_LIMIT``, or 120; 0 means no limit.
    Training is untimed unless the variable says otherwise: its length is what the user asked
    for (epochs), shown as it goes by a progress bar, and Ctrl-C ends it."""
    text = os.environ.get(TIME_LIMIT_VARIABLE, "").strip()
    if not text:
        return 0.0 if verb in UNTIMED_VERBS else TIME_LIMIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(
            f"{TIME_LIMIT_VARIABLE} must be a number of seconds (0 for no limit), not {text!r}"
        )
    return seconds


@contextmanager
def time_budget(verb: str) -> Iterator[None]:
    """Within the block, running past :func:`time_limit` raises :class:`TimeLimitExceeded`
    (which unwinds through every ``finally``, so no temporary file is left behind)."""
    seconds = time_limit(verb)
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    if not seconds or not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(
            f"{verb} stopped after {seconds:g} s, its time limit; "
            f"set {TIME_LIMIT_VARIABLE}=SECONDS to allow longer (0 for no limit)"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    # Again every second after the first, should code that catches our errors swallow one.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
