"""The elementwise ratio the checker reads scales from: one number for every element, an
element zero on both sides (a ReLU's masked entry) fitting any ratio. Expected values by hand."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from symbackprop.check.numeric import elementwise_ratio


def frac(*values):
    return np.array([Fraction(v) for v in values], dtype=object)


def test_a_constant_ratio_is_found():
    assert elementwise_ratio(frac(2, 4, -6), frac(1, 2, -3)) == 2


def test_entries_zero_on_both_sides_fit_any_ratio():
    assert elementwise_ratio(frac(0, 4, 6), frac(0, 2, 3)) == 2


def test_a_zero_only_in_the_denominator_has_no_ratio():
    assert elementwise_ratio(frac(1, 4, 6), frac(0, 2, 3)) is None


def test_all_zero_has_no_ratio_and_differing_ratios_none():
    assert elementwise_ratio(frac(0, 0), frac(0, 0)) is None
    assert elementwise_ratio(frac(1, 4), frac(1, 2)) is None


def mp(*values):
    with mpmath.workdps(50):
        return np.array([mpmath.mpf(v) for v in values], dtype=object)


def test_rounding_in_a_tiny_entry_is_measured_against_the_largest():
    # 1e-20 carries an error of 1e-45: nothing beside the largest entry, 1, but 1e-25 of its own
    expected = mp(1, "-0.5", "1e-20")
    with mpmath.workdps(50):
        got = np.array([2 * v for v in expected], dtype=object)
        got[2] += mpmath.mpf("1e-45")
    ratio = elementwise_ratio(expected, got)
    assert ratio is not None and abs(ratio - mpmath.mpf("0.5")) < mpmath.mpf("1e-40")


def test_a_real_difference_in_a_small_entry_still_has_no_ratio():
    expected = mp(1, "-0.5", "0.01")
    got = mp(2, -1, "0.03")  # 0.01 against 0.015: far above any rounding
    assert elementwise_ratio(expected, got) is None
