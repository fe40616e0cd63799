"""Term order shared by the text and LaTeX printers: positive terms first (``zout - t``).

The printers run with ``order="none"`` so that a product keeps its factors in the order it was
built (chain order, loss first); sums are ordered here instead.
"""

from __future__ import annotations


class PositiveTermsFirst:
    """Printer mixin: a sum lists its positive terms, then its negative ones."""

    def _as_ordered_terms(self, expr, order=None):
        terms = expr.as_ordered_terms()
        return sorted(terms, key=lambda term: term.could_extract_minus_sign())
