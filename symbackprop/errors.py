"""Error types. Each carries where the problem is, so the CLI can print one clear line."""

from __future__ import annotations


class SymbackpropError(Exception):
    """Base of every error caused by bad input; the CLI turns it into one line and exit code 2."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def located(self) -> str:
        """The message prefixed with ``file:line:`` where known."""
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        return one_line(f"{where}: {self.message}" if where else self.message)

    def __str__(self) -> str:
        return self.located()


def one_line(text: str) -> str:
    r"""``text`` with each character that would break, colour or garble a terminal line (a
    newline, an escape, a lone surrogate from undecodable bytes) written as its escape: a
    user's file name or formula can't make an error longer than one line.

    >>> print(one_line("a\nb\x1b[31m"))
    a\nb\x1b[31m
    """
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class SpecError(SymbackpropError):
    """A model declaration or spec file is malformed (wrong key, size, name)."""


class LayerError(SpecError):
    """A layer of a layered network that does not fit the layers before it; ``layer`` numbers
    it from 1, so that a spec reader can name the layer's line."""

    def __init__(self, message: str, layer: int):
        super().__init__(f"layer {layer}: {message}")
        self.layer = layer


class UnsupportedConstruct(SymbackpropError):
    """Source code or a formula uses something outside the whitelist."""


class UnknownModel(SymbackpropError):
    """A MODEL argument names no built-in example and no readable file."""


class ShapeError(SymbackpropError):
    """Array shapes do not fit together."""


class MissingRule(SymbackpropError):
    """No backward rule is registered for an operation."""


class OutputError(SymbackpropError):
    """An output file could not be written."""


class InputError(SymbackpropError):
    """An input file cannot be read: not a regular file, too large, or not UTF-8 text."""


class UsageError(SymbackpropError):
    """Command-line arguments that do not fit together."""


class NumericOverflow(SymbackpropError):
    """Values left float64 (an overflow, a NaN, a division by zero): the run was stopped."""


class LimitExceeded(SymbackpropError):
    """The work asked for is over one of the limits in :mod:`symbackprop.limits`."""


class TimeLimitExceeded(LimitExceeded):
    """A verb ran past its time budget and was stopped."""
