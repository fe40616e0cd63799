"""The explanation as a small document: sections of prose, equations and lists.

Prose is one string with three marks, the same in every output format: ``$...$`` for inline
mathematics, ```...``` for names as written in code and ``**...**`` for emphasis. Equations are
rows of an aligned display (``lhs &= rhs``). The renderers turn this into Markdown, LaTeX or
HTML; nothing here knows about any of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from symbackprop.explain.graph import Graph


@dataclass(frozen=True)
class Prose:
    """A paragraph."""

    text: str


@dataclass(frozen=True)
class Equations:
    """An aligned display: one ``lhs &= rhs`` string per row."""

    rows: tuple[str, ...]


@dataclass(frozen=True)
class Items:
    """A bulleted list of prose items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """The computation graph, drawn by each renderer in its own way, with a prose caption."""

    graph: Graph
    caption: str


Block = Prose | Equations | Items | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    level: int = 2


@dataclass(frozen=True)
class Document:
    title: str
    lead: tuple[Block, ...]
    sections: tuple[Section, ...]

    def formulas(self) -> list[str]:
        """Every piece of mathematics, as a KaTeX/amsmath math-mode string."""
        found: list[str] = []
        for block in self.blocks():
            if isinstance(block, Equations):
                found.append(aligned(block.rows))
            for text in prose_of(block):
                found += inline_math(text)
        return found

    def blocks(self) -> list[Block]:
        titles = [Prose(self.title)] + [Prose(section.title) for section in self.sections]
        body = [block for section in self.sections for block in section.blocks]
        return titles + list(self.lead) + body


@dataclass
class SectionBuilder:
    """Collects the blocks of one section: ``say`` a paragraph, ``show`` equation rows."""

    title: str
    level: int = 2
    blocks: list[Block] = field(default_factory=list)

    def say(self, text: str) -> SectionBuilder:
        self.blocks.append(Prose(text))
        return self

    def show(self, *rows: str) -> SectionBuilder:
        if rows:
            self.blocks.append(Equations(tuple(rows)))
        return self

    def items(self, items: list[str]) -> SectionBuilder:
        if items:
            self.blocks.append(Items(tuple(items)))
        return self

    def figure(self, graph: Graph, caption: str) -> SectionBuilder:
        self.blocks.append(Figure(graph, caption))
        return self

    def build(self) -> Section:
        return Section(self.title, tuple(self.blocks), self.level)


ROW_BREAK = " \\\\[3pt]\n"  # a little air between rows of fractions


def display_body(rows: tuple[str, ...] | list[str]) -> str:
    """The rows of a display, joined as both amsmath and KaTeX read them."""
    return ROW_BREAK.join(rows)


def aligned(rows: tuple[str, ...] | list[str]) -> str:
    r"""Rows as one ``aligned`` environment (amsmath and KaTeX alike)."""
    return "\\begin{aligned}\n" + display_body(rows) + "\n\\end{aligned}"


def inline_math(text: str) -> list[str]:
    """The ``$...$`` formulas of a prose string, inside emphasis too."""
    found = []
    for kind, content in segments(text):
        if kind == "math":
            found.append(content)
        elif kind == "bold":
            found += inline_math(content)
    return found


def prose_of(block: Block) -> list[str]:
    if isinstance(block, Prose):
        return [block.text]
    if isinstance(block, Items):
        return list(block.items)
    if isinstance(block, Figure):
        return [block.caption]
    return []


_MARK = re.compile(r"(\$[^$]+\$|`[^`]+`|\*\*(?:[^*`]|`[^`]*`)+\*\*)")


def segments(text: str) -> list[tuple[str, str]]:
    """Prose split into ("text" | "math" | "code" | "bold", content) pieces."""
    pieces = []
    for part in _MARK.split(text):
        if not part:
            continue
        if part.startswith("$"):
            pieces.append(("math", part[1:-1]))
        elif part.startswith("`"):
            pieces.append(("code", part[1:-1]))
        elif part.startswith("**"):
            pieces.append(("bold", part[2:-2]))
        else:
            pieces.append(("text", part))
    return pieces
