"""LaTeX of the vector-mode array operations and of the Hadamard product (printing/latex.py)."""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop.ir.ops import (
    T,
    colsum,
    dot,
    rowsum,
    sigmoid_bce,
    softmax,
    softmax_xent,
    total,
)
from symbackprop.printing.latex import ModelLatexPrinter, latex

A, B, G, b, m = sp.symbols("A B G b m")
SHAPES = {"A": ("m", 3), "B": (3, 4), "G": ("m", 4), "b": (4,)}


def hadamard(expr: sp.Expr) -> str:
    return ModelLatexPrinter({"hadamard": SHAPES}).doprint(expr)


@pytest.mark.parametrize(
    "expr, expected",
    [
        (dot(A, B), r"A\, B"),
        (T(B), r"{B}^{\top}"),
        (dot(G, T(B)), r"G\, {B}^{\top}"),
        (dot(T(A), G), r"{A}^{\top}\, G"),
        (T(dot(A, B)), r"\left(A\, B\right)^{\top}"),
        (dot(A + A, B), r"\left(2 A\right)\, B"),
        (total(G), r"\sum G"),
        (colsum(G), r"\sum_{\text{rows}} G"),
        (rowsum(G), r"\sum_{\text{cols}} G"),
        (softmax(G), r"\operatorname{softmax}\left(G\right)"),
        (
            softmax_xent(G, A),
            r"\operatorname{CE}\left(\operatorname{softmax}\left(G\right), A\right)",
        ),
        (sigmoid_bce(G, A), r"\operatorname{BCE}\left(\sigma\left(G\right), A\right)"),
    ],
)
def test_array_operations_print_as_mathematics(expr, expected):
    assert latex(expr) == expected


def test_product_of_two_arrays_prints_with_odot_only_when_shapes_are_given():
    assert hadamard(G * b) == r"G \odot b"
    assert latex(G * b) == "G b"


def test_scalars_stay_in_front_of_a_hadamard_product():
    assert hadamard(G * b / m) == r"\frac{1}{m} G \odot b"


def test_a_sum_inside_a_hadamard_product_is_bracketed():
    assert hadamard(G * (1 - G)) == r"G \odot \left(1 - G\right)"


def test_a_matrix_product_inside_a_hadamard_product_is_bracketed():
    assert hadamard(dot(A, B) * G) == r"G \odot \left(A\, B\right)"


def test_entrywise_division_of_arrays_is_a_fraction():
    assert hadamard(G / b) == r"\frac{G}{b}"


def test_one_array_times_scalars_prints_as_usual():
    assert hadamard(2 * G / m) == latex(2 * G / m) == r"\frac{2 G}{m}"
