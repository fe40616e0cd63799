"""A progress bar over epochs showing the loss (tqdm, on stderr), or nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterator


class _Silent:
    def __init__(self, epochs: int):
        self._epochs = epochs

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._epochs))

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def epochs_bar(epochs: int, description: str, enabled: bool):
    """An iterable over ``range(epochs)`` with ``set_postfix_str`` and ``close``: a tqdm bar
    when ``enabled``, tqdm is installed and stderr is a terminal."""
    if not enabled:
        return _Silent(epochs)
    try:
        from tqdm import tqdm
    except ImportError:
        return _Silent(epochs)
    return tqdm(
        range(epochs), desc=description, unit="epoch", file=sys.stderr, leave=True, disable=None
    )
