"""Progress bars for slow verbs: tqdm on stderr when it is a terminal, nothing otherwise
(piped, captured or in tests), so that output files and stdout never change."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from tqdm import tqdm


def progress(items: Iterable, what: str, unit: str = "item", at_least: int = 0) -> Iterable:
    """``items`` with a progress bar headed ``what``; none for fewer than ``at_least`` items
    (a bar that flashes by for a small model is noise)."""
    items = list(items)
    if len(items) < at_least:
        return items
    return tqdm(items, desc=what, unit=unit, leave=False, disable=None, file=sys.stderr)
