"""The computation-graph figure of an explanation: its arrows are the model's definitions
(written out by hand here), drawn inline as SVG in HTML and as a picture in LaTeX/PDF."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

from symbackprop.derive import derive
from symbackprop.explain import explain
from symbackprop.explain.drawing import svg_label
from symbackprop.explain.graph import computation_graph
from symbackprop.explain.notation import Notation
from symbackprop.ir import fully_connected
from symbackprop.readers.examples import builtin


def graph_of(model):
    return computation_graph(model, Notation(derive(model)))


def test_tiny221_graph_has_an_arrow_for_every_value_each_definition_reads():
    # h1 = b0 + w0 x + w1 y, h1out = sigma(h1), h2 likewise, z = b2 + h1out w4 + h2out w5,
    # zout = sigma(z), e = (t - zout)^2 / 2
    expected = {
        *[(v, "h1") for v in ("b[0]", "w[0]", "w[1]", "x", "y")],
        *[(v, "h2") for v in ("b[1]", "w[2]", "w[3]", "x", "y")],
        ("h1", "h1out"),
        ("h2", "h2out"),
        *[(v, "z") for v in ("b[2]", "w[4]", "w[5]", "h1out", "h2out")],
        ("z", "zout"),
        ("zout", "e"),
        ("t", "e"),
    }
    graph = graph_of(builtin("tiny221"))
    assert set(graph.edges) == expected
    column = {node.name: node.column for node in graph.nodes}
    assert all(column[source] < column[target] for source, target in graph.edges)
    assert max(column.values()) == column["e"]  # the loss on the right


def test_a_large_scalar_network_is_drawn_by_its_arrays():
    graph = graph_of(fully_connected([8, 16, 16, 1]))
    assert {node.name for node in graph.nodes} == {
        "x", "t", "W1", "b1", "z1", "a1", "W2", "b2", "z2", "a2", "W3", "b3", "z3", "a3", "E"
    }  # fmt: skip
    assert ("a1", "z2") in graph.edges and ("W3", "z3") in graph.edges


def test_html_draws_the_graph_inline_with_every_node_named_as_in_the_derivation():
    html = explain("digits-softmax").to_html()
    start = html.index("<svg", html.index("<body>"))
    figure = ElementTree.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])
    texts = ["".join(t.itertext()) for t in figure.iter("{http://www.w3.org/2000/svg}text")]
    assert sorted(texts) == sorted(["X", "Y", "W1", "b1", "z1", "a1", "W2", "b2", "z2", "a2", "E"])
    lines = list(figure.iter("{http://www.w3.org/2000/svg}line"))
    assert len(lines) == 10  # X, W1, b1 -> z1 -> a1; a1, W2, b2 -> z2 -> a2; z2, Y -> E


def test_markdown_leaves_the_figure_to_html_and_pdf():
    assert "<svg" not in explain("tiny221").to_markdown()


def test_svg_labels_shift_subscripts_and_superscripts():
    label = svg_label(r"h^{\mathrm{out}}_{1}")
    assert 'baseline-shift="super" font-size="10">out</tspan>' in label
    assert 'baseline-shift="sub" font-size="10">1</tspan>' in label
    assert svg_label(r"\delta_{z}").startswith("δ")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_the_latex_picture_compiles_and_the_pdf_shows_the_node_names(tmp_path):
    source = explain("tiny221").to_latex()
    assert r"\begin{picture}" in source
    (tmp_path / "t.tex").write_text(source)
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True, text=True
        ).stdout
        assert "The computation graph" in text
