"""Render a :class:`~symbackprop.explain.document.Document` as Markdown, LaTeX or HTML.

Python turns the prose marks into each format's inline markup (and escapes text for it); the
Jinja2 templates in ``templates/explain`` lay out titles, paragraphs, lists and displays.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from functools import cache

import jinja2

from symbackprop.explain.document import (
    Block,
    Document,
    Equations,
    Figure,
    Items,
    Prose,
    display_body,
    segments,
)
from symbackprop.explain.drawing import latex_picture, svg
from symbackprop.explain.paths import assets_dir, template_dir

Inline = Callable[[str], str]

# -- inline markup, one small function per format ------------------------------------------------
_MARKDOWN_SPECIAL = re.compile(r"([\\*_\[\]<>#])")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\~{}",
}


def markdown_inline(text: str) -> str:
    parts = []
    for kind, content in segments(text):
        if kind == "math":
            parts.append(f"${content}$")
        elif kind == "code":
            parts.append(f"`{content}`")
        elif kind == "bold":
            parts.append(f"**{markdown_inline(content)}**")
        else:
            parts.append(_MARKDOWN_SPECIAL.sub(r"\\\1", content))
    return "".join(parts)


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


def latex_inline(text: str) -> str:
    parts = []
    for kind, content in segments(text):
        if kind == "math":
            parts.append(f"${content}$")
        elif kind == "code":
            parts.append(r"\texttt{%s}" % latex_escape(content))
        elif kind == "bold":
            parts.append(r"\textbf{%s}" % latex_inline(content))
        else:
            parts.append(latex_escape(content))
    return "".join(parts)


def html_inline(text: str) -> str:
    parts = []
    for kind, content in segments(text):
        if kind == "math":
            parts.append(f'<span class="math">{html.escape(content)}</span>')
        elif kind == "code":
            parts.append(f"<code>{html.escape(content)}</code>")
        elif kind == "bold":
            parts.append(f"<strong>{html_inline(content)}</strong>")
        else:
            parts.append(html.escape(content))
    return "".join(parts)


# -- blocks and the whole document ---------------------------------------------------------------
def _block(block: Block, inline: Inline, escape_math: Callable[[str], str]) -> dict:
    if isinstance(block, Prose):
        return {"kind": "prose", "text": inline(block.text)}
    if isinstance(block, Items):
        return {"kind": "items", "entries": [inline(item) for item in block.items]}
    if isinstance(block, Figure):
        caption = "".join(content for _, content in segments(block.caption))
        return {
            "kind": "figure",
            "caption": inline(block.caption),
            "svg": svg(block.graph, caption),
            "picture": latex_picture(block.graph),
        }
    assert isinstance(block, Equations)
    return {"kind": "equations", "body": escape_math(display_body(block.rows))}


def _context(
    document: Document, inline: Inline, escape_math=lambda tex: tex, figures: bool = True
) -> dict:
    def blocks(items) -> list[dict]:
        kept = [b for b in items if figures or not isinstance(b, Figure)]
        return [_block(block, inline, escape_math) for block in kept]

    return {
        "title": inline(document.title),
        "lead": blocks(document.lead),
        "sections": [
            {"title": inline(s.title), "level": s.level, "blocks": blocks(s.blocks)}
            for s in document.sections
        ],
    }


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def to_markdown(document: Document) -> str:
    # no figure: Markdown viewers strip inline SVG (the HTML and the PDF draw the graph)
    context = _context(document, markdown_inline, figures=False)
    return environment().get_template("document.md.j2").render(context)


def to_latex(document: Document) -> str:
    return environment().get_template("document.tex.j2").render(_context(document, latex_inline))


def to_html(document: Document) -> str:
    context = _context(document, html_inline, html.escape)
    context.update(katex_css=katex_css(), katex_js=katex_script(), page_title=_plain(document))
    return environment().get_template("document.html.j2").render(context)


def _plain(document: Document) -> str:
    return html.escape("".join(content for _, content in segments(document.title)))


# -- KaTeX, embedded whole so that the page needs no network -----------------------------------
_FONT_FACE_SRC = re.compile(r"src:url\(fonts/(?P<name>[\w-]+)\.woff2\)[^;}]*")


@cache
def katex_css() -> str:
    """KaTeX's stylesheet with its woff2 fonts inlined as data: URLs (woff and ttf dropped)."""
    css = (assets_dir() / "katex.min.css").read_text(encoding="utf-8")
    return _FONT_FACE_SRC.sub(_inline_font, css)


def _inline_font(match: re.Match) -> str:
    font = (assets_dir() / "fonts" / f"{match['name']}.woff2").read_bytes()
    data = base64.b64encode(font).decode("ascii")
    return f'src:url(data:font/woff2;base64,{data}) format("woff2")'


@cache
def katex_script() -> str:
    return (assets_dir() / "katex.min.js").read_text(encoding="utf-8")
