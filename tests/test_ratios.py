"""The elementwise ratio the checker reads scales from: one number for every element, an
element zero on both sides (a ReLU's masked entry) fitting any ratio. Expected values by hand."""

from __future__ import annotations

from fractions import Fraction

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
