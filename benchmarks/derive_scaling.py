"""Derivation time and formula size: named adjoints against plain sympy.diff of the expanded loss.

For fully connected sigmoid nets of growing size, one run measures
- symbackprop's derivation (adjoints + per-parameter gradients) and its total ``count_ops``;
- the baseline: the loss expanded into inputs and parameters, then ``sympy.diff`` per parameter,
  stopped after a time cap (its figures are then extrapolated from the parameters it reached).

Run: ``python benchmarks/derive_scaling.py [--cap SECONDS]``.
"""

from __future__ import annotations

import argparse
import time

import sympy as sp

from symbackprop.derive import derive
from symbackprop.ir import fully_connected

NETS = ([2, 2, 1], [3, 4, 1], [4, 8, 8, 1], [8, 16, 16, 1])


def adjoint_form(sizes: list[int]) -> tuple[int, float, int]:
    model = fully_connected(sizes)
    start = time.perf_counter()
    derivation = derive(model)
    elapsed = time.perf_counter() - start
    ops = sum(sp.count_ops(a.expr) for a in derivation.adjoints)
    ops += sum(sp.count_ops(g.expr) for g in derivation.gradients)
    return len(model.parameters), elapsed, ops


def expanded_form(sizes: list[int], cap: float) -> tuple[float, int, bool]:
    """(time, ops) of sympy.diff on the expanded loss, extrapolated when the cap is hit."""
    model = fully_connected(sizes)
    start = time.perf_counter()
    loss = model.in_leaves(model.loss.expr)
    params = [p.symbol for p in model.parameters]
    ops, done = 0, 0
    for param in params:
        ops += sp.count_ops(sp.diff(loss, param))
        done += 1
        if time.perf_counter() - start > cap:
            break
    elapsed = time.perf_counter() - start
    scale = len(params) / done
    return elapsed * scale, int(ops * scale), done < len(params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=30.0, help="seconds per net for sympy.diff")
    cap = parser.parse_args().cap
    header = (
        "net",
        "params",
        "adjoint s",
        "adjoint ops",
        "expanded s",
        "expanded ops",
        "ops ratio",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for sizes in NETS:
        params, seconds, ops = adjoint_form(sizes)
        base_seconds, base_ops, capped = expanded_form(sizes, cap)
        mark = "≥" if capped else ""
        row = (
            "-".join(map(str, sizes)),
            params,
            f"{seconds:.3f}",
            ops,
            f"{mark}{base_seconds:.2f}",
            f"{mark}{base_ops}",
            f"{mark}{base_ops / ops:.1f}x",
        )
        print("| " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
