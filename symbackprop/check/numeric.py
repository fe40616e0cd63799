"""Judging values: are two evaluations equal, by what constant do they differ, how to show them.

The values come from the one evaluator, :mod:`symbackprop.ir.evaluate` (exact rationals where a
formula allows it, else 50-digit mpmath): exact values are equal with no tolerance at all; in
mpmath a relative difference below 1e-35 is far under any real bug and far above rounding.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from symbackprop.ir.evaluate import DIGITS, Value, to_mp

TOLERANCE = mpmath.mpf("1e-35")


def difference(expected: Value, got: Value) -> tuple | None:
    """None when equal; else the first differing index with both values there. A number and
    an array of one entry are one value: ``b -= lr * np.sum(d)`` steps a (1,) bias."""
    if np.shape(expected) != np.shape(got) and not np.size(expected) == np.size(got) == 1:
        return ("shape", np.shape(expected), np.shape(got))
    e_flat, g_flat = (
        np.ravel(np.asarray(expected, dtype=object)),
        np.ravel(np.asarray(got, dtype=object)),
    )
    scale = max((_magnitude(v) for v in e_flat), default=0) or 1
    for position, (e, g) in enumerate(zip(e_flat, g_flat, strict=True)):
        if not _close(e, g, scale):
            index = np.unravel_index(position, np.shape(expected)) if np.ndim(expected) else ()
            return ("value", tuple(int(i) for i in index), e, g)
    return None


def _magnitude(value) -> float:
    try:
        return float(abs(value))
    except (TypeError, OverflowError):
        return math.inf


def _close(e, g, scale) -> bool:
    if isinstance(e, Fraction) and isinstance(g, Fraction):
        return e == g
    with mpmath.workdps(DIGITS):
        try:
            return bool(abs(to_mp(e) - to_mp(g)) <= TOLERANCE * mpmath.mpf(scale))
        except (TypeError, ValueError):
            return False


def elementwise_ratio(expected: Value, got: Value) -> Value | None:
    """expected/got when it is one number for every element; an element zero in both (a
    ReLU's masked entry) fits any ratio, one zero only in got none."""
    if np.shape(expected) != np.shape(got):
        return None
    e, g = np.ravel(np.asarray(expected, dtype=object)), np.ravel(np.asarray(got, dtype=object))
    pairs = [(a, b) for a, b in zip(e, g, strict=True) if not (a == 0 and b == 0)]
    if not pairs or any(b == 0 for _, b in pairs):
        return None
    e, g = [a for a, _ in pairs], [b for _, b in pairs]
    with mpmath.workdps(DIGITS):
        if all(isinstance(v, Fraction) for v in (*e, *g)):
            ratios = [a / b for a, b in zip(e, g, strict=True)]
            return ratios[0] if all(r == ratios[0] for r in ratios) else None
        e, g = [to_mp(v) for v in e], [to_mp(v) for v in g]
        # the ratio of the largest entries, held to every entry at the tolerance verdicts use
        # (relative to the largest): a softmax's tiny probabilities carry rounding of the
        # large ones, far above 1e-35 of their own size
        largest = max(range(len(e)), key=lambda i: abs(e[i]))
        ratio = e[largest] / g[largest]
        scaled = np.array([ratio * b for b in g], dtype=object)
    return ratio if difference(np.array(e, dtype=object), scaled) is None else None


def as_number(value) -> sp.Expr:
    """A ratio as a short rational where it is one (to 30 digits), else as a float."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    with mpmath.workdps(DIGITS):
        value = to_mp(value)
        guess = Fraction(mpmath.nstr(value, 40, min_fixed=-50, max_fixed=50)).limit_denominator(
            10**6
        )
        if abs(value - mpmath.mpf(guess.numerator) / guess.denominator) < 1e-30 * (1 + abs(value)):
            return sp.Rational(guess.numerator, guess.denominator)
    return sp.Float(str(value), 15)


def plain(value: Value):
    """A JSON-ready number or nested list (exact values as int/float)."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value] if value.ndim else plain(value[()])
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, mpmath.mpc):
        return str(value)
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)


def show(value: Value, digits: int = 6) -> str:
    """A short text of a number: exact rationals as fractions, others rounded."""
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return show(value[()], digits)
    try:
        return mpmath.nstr(value, digits)
    except (TypeError, ValueError):
        return str(value)
