"""Draw a :class:`~symbackprop.explain.graph.Graph`: as SVG (inline in HTML) and as a LaTeX
``picture`` (in the .tex and the PDF), from one set of coordinates.

LaTeX's ``picture`` draws lines of only a few slopes, but quadratic Bézier curves of any; every
edge and arrowhead is therefore a ``\\qbezier`` whose control point lies on the line.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from symbackprop.explain.graph import Graph, GraphNode

BOX_WIDTH, BOX_HEIGHT = 64, 24
COLUMN_WIDTH, ROW_HEIGHT = 92, 36
MARGIN = 6
ARROW = 5  # length of an arrowhead's sides
TEXT_WIDTH_PT = 440  # what fits the LaTeX page (2 cm margins on A4 leave ~480 pt)
FILL = {
    "input": "#eef2f7",
    "target": "#eef2f7",
    "parameter": "#fdf0dc",
    "intermediate": "#ffffff",
    "loss": "#f9dede",
}


@dataclass(frozen=True)
class Box:
    node: GraphNode
    x: float  # left
    y: float  # top, downwards as in SVG


def boxes(graph: Graph) -> dict[str, Box]:
    """Where each node's box goes; a column's boxes are centred on the tallest column."""
    per_column: dict[int, int] = {}
    for node in graph.nodes:
        per_column[node.column] = per_column.get(node.column, 0) + 1
    tallest = max(per_column.values())
    placed = {}
    for node in graph.nodes:
        offset = (tallest - per_column[node.column]) * ROW_HEIGHT / 2
        x = MARGIN + node.column * COLUMN_WIDTH
        y = MARGIN + offset + node.row * ROW_HEIGHT
        placed[node.name] = Box(node, x, y)
    return placed


def size(graph: Graph) -> tuple[float, float]:
    width = 2 * MARGIN + (graph.columns - 1) * COLUMN_WIDTH + BOX_WIDTH
    height = 2 * MARGIN + (graph.rows - 1) * ROW_HEIGHT + BOX_HEIGHT
    return width, height


def _ends(source: Box, target: Box) -> tuple[float, float, float, float]:
    """An edge from the right side of one box to the left side of the next."""
    return (
        source.x + BOX_WIDTH,
        source.y + BOX_HEIGHT / 2,
        target.x,
        target.y + BOX_HEIGHT / 2,
    )


# -- SVG ------------------------------------------------------------------------------------------
def svg(graph: Graph, title: str) -> str:
    placed = boxes(graph)
    width, height = size(graph)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-label="{html.escape(title)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for source, target in graph.edges:
        x1, y1, x2, y2 = _ends(placed[source], placed[target])
        parts.append(
            f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#555" '
            'stroke-width="1" marker-end="url(#arrow)"/>'
        )
    for box in placed.values():
        parts.append(
            f'<rect x="{box.x:g}" y="{box.y:g}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" '
            f'rx="{6 if box.node.kind == "intermediate" else 0}" '
            f'fill="{FILL[box.node.kind]}" stroke="#333" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{box.x + BOX_WIDTH / 2:g}" y="{box.y + BOX_HEIGHT / 2 + 5:g}" '
            'text-anchor="middle" font-family="serif" font-size="14">'
            f"{svg_label(box.node.label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


_UNICODE = {
    r"\delta": "δ",
    r"\sigma": "σ",
    r"\alpha": "α",
    r"\beta": "β",
    r"\gamma": "γ",
    r"\theta": "θ",
    r"\lambda": "λ",
    r"\mu": "μ",
    r"\eta": "η",
    r"\epsilon": "ε",
    r"\phi": "φ",
    r"\omega": "ω",
}
_ACCENT_MARKS = {r"\tilde": "\u0303", r"\hat": "\u0302", r"\bar": "\u0304"}


def svg_label(tex: str) -> str:
    """A node's LaTeX name as SVG text: letters italic, words upright, ``_``/``^`` groups
    shifted down/up in a smaller size."""
    return "".join(_svg_runs(tex, shift=None))


def _svg_runs(tex: str, shift: str | None) -> list[str]:
    runs: list[str] = []
    position = 0
    while position < len(tex):
        char = tex[position]
        if char in "_^":
            group, position = _group(tex, position + 1)
            kind = "sub" if char == "_" else "super"
            inner = "".join(_svg_runs(group, kind))
            # one level of shift: a subscript's own subscript stays on its line
            shifted = f'<tspan baseline-shift="{kind}" font-size="10">{inner}</tspan>'
            runs.append(shifted if shift is None else inner)
            continue
        if char == "\\":
            command = _command(tex, position)
            position += len(command)
            if command == r"\mathrm":
                group, position = _group(tex, position)
                runs.append(html.escape(group.replace(r"\_", "_")))
            elif command in _ACCENT_MARKS:
                group, position = _group(tex, position)
                runs.append(f'<tspan font-style="italic">{html.escape(group)}</tspan>')
                runs.append(_ACCENT_MARKS[command])
            elif command == r"\_":
                runs.append("_")
            else:
                runs.append(_UNICODE.get(command, html.escape(command.lstrip("\\"))))
            continue
        if char in "{}":
            position += 1
            continue
        text = html.escape(char)
        runs.append(f'<tspan font-style="italic">{text}</tspan>' if char.isalpha() else text)
        position += 1
    return runs


def _command(tex: str, start: int) -> str:
    end = start + 1
    if end < len(tex) and not tex[end].isalpha():
        return tex[start : end + 1]  # \_ and friends
    while end < len(tex) and tex[end].isalpha():
        end += 1
    return tex[start:end]


def _group(tex: str, start: int) -> tuple[str, int]:
    """The ``{...}`` group (or single character) at ``start``, and the position after it."""
    if start >= len(tex):
        return "", start
    if tex[start] != "{":
        return tex[start], start + 1
    depth = 0
    for position in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[position], 0)
        if depth == 0:
            return tex[start + 1 : position], position + 1
    return tex[start + 1 :], len(tex)


# -- LaTeX picture --------------------------------------------------------------------------------
def latex_picture(graph: Graph) -> str:
    placed = boxes(graph)
    width, height = size(graph)
    scale = min(1.0, TEXT_WIDTH_PT / width)

    def point(x: float, y: float) -> str:  # picture's y axis points up
        return f"({x:.1f},{height - y:.1f})"

    lines = [
        r"\begin{center}",
        r"\setlength{\unitlength}{%.3fpt}" % scale,
        r"\begin{picture}(%.1f,%.1f)" % (width, height),
    ]
    for source, target in graph.edges:
        x1, y1, x2, y2 = _ends(placed[source], placed[target])
        lines.append(
            r"\qbezier%s%s%s" % (point(x1, y1), point((x1 + x2) / 2, (y1 + y2) / 2), point(x2, y2))
        )
        angle = math.atan2(y2 - y1, x2 - x1)
        for side in (-0.45, 0.45):
            ax = x2 - ARROW * math.cos(angle + side)
            ay = y2 - ARROW * math.sin(angle + side)
            lines.append(
                r"\qbezier%s%s%s"
                % (point(ax, ay), point((ax + x2) / 2, (ay + y2) / 2), point(x2, y2))
            )
    for box in placed.values():
        corner = point(box.x, box.y + BOX_HEIGHT)
        lines.append(
            r"\put%s{\framebox(%d,%d){\scriptsize $%s$}}"
            % (corner, BOX_WIDTH, BOX_HEIGHT, box.node.label)
        )
    lines += [r"\end{picture}", r"\end{center}"]
    return "\n".join(lines)
