"""Writing explanations: formats by suffix, whole files or none, the CLI verb, the docs."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from symbackprop import files
from symbackprop.errors import SymbackpropError
from symbackprop.explain import PdfUnavailable, UnknownOutputFormat, explain, output
from symbackprop.explain import cli as explain_cli
from symbackprop.questions.explained import write_examples


@pytest.fixture(scope="module")
def torch_scalar():
    return explain("torch-scalar")


def parser() -> argparse.ArgumentParser:
    """A CLI with only the explain verb, built the way symbackprop.cli will build it."""
    top = argparse.ArgumentParser(prog="symbackprop")
    explain_cli.add_parser(top.add_subparsers(dest="verb", required=True))
    return top


def run_cli(*argv: str) -> int:
    return explain_cli.run(parser().parse_args(list(argv)))


# -- formats -----------------------------------------------------------------------------------
def test_markdown_has_display_and_inline_math(torch_scalar):
    markdown = torch_scalar.to_markdown()
    assert markdown.startswith("# Backpropagation in `torch-scalar`, step by step\n")
    assert "$$\n\\begin{aligned}\n" in markdown
    assert "## 2. Adjoints, from the loss down" in markdown


def test_latex_is_a_standalone_document_with_standard_packages_only(torch_scalar):
    tex = torch_scalar.to_latex()
    assert tex.count(r"\documentclass") == 1 and tex.rstrip().endswith(r"\end{document}")
    packages = {
        line.split("{")[1].rstrip("}")
        for line in tex.splitlines()
        if line.startswith(r"\usepackage")
    }
    assert packages == {"fontenc", "lmodern", "geometry", "amsmath,amssymb"}
    assert r"\begin{align*}" in tex and r"\section*{1. The forward pass}" in tex
    assert tex.isascii()


def test_html_is_self_contained(torch_scalar):
    page = torch_scalar.to_html()
    assert "katex.render" in page and "data:font/woff2;base64," in page
    assert set(re.findall(r"<script[^>]*>", page)) == {"<script>"}  # inline scripts only
    assert "<link" not in page and "<img" not in page.split("<body>")[1]
    # data: URLs, or the graph's arrowhead defined in the page itself (url(#arrow))
    urls = re.findall(r"url\(([^)]*)\)", page)
    assert all(url.startswith(("data:", "#")) for url in urls)


@pytest.mark.parametrize(
    "suffix, marker",
    [(".md", "# Backpropagation"), (".tex", r"\documentclass"), (".html", "<!DOCTYPE html>")],
)
def test_write_chooses_the_format_by_suffix(tmp_path, torch_scalar, suffix, marker):
    path = torch_scalar.write(tmp_path / f"out{suffix}")
    assert marker in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temporary left


def test_unknown_suffix_is_a_clear_error_and_writes_nothing(tmp_path, torch_scalar):
    with pytest.raises(UnknownOutputFormat, match=r"use one of \.md, \.tex, \.html, \.pdf"):
        torch_scalar.write(tmp_path / "out.docx")
    assert list(tmp_path.iterdir()) == []


def test_pdf_without_pdflatex_is_a_clear_error(tmp_path, torch_scalar, monkeypatch):
    monkeypatch.setattr(output, "pdflatex", lambda: None)
    with pytest.raises(PdfUnavailable, match="pdflatex is not installed") as error:
        torch_scalar.write(tmp_path / "out.pdf")
    assert isinstance(error.value, SymbackpropError)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_whole(tmp_path, torch_scalar, monkeypatch):
    target = tmp_path / "out.md"
    target.write_text("old contents")

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(SymbackpropError, match="cannot write: disk full"):
        torch_scalar.write(target)
    assert target.read_text() == "old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_writing_into_a_missing_folder_is_a_clear_error(tmp_path, torch_scalar):
    with pytest.raises(SymbackpropError, match="no such folder"):
        torch_scalar.write(tmp_path / "missing" / "out.md")


def test_jupyter_shows_markdown_and_latex(torch_scalar):
    assert torch_scalar._repr_markdown_() == torch_scalar.to_markdown()
    latex = torch_scalar._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.rstrip().endswith("\\end{aligned}$$")


# -- the CLI verb --------------------------------------------------------------------------------
def test_cli_prints_markdown_without_output_file(capsys):
    assert run_cli("explain", "torch-scalar", "--param", "w") == 0
    assert "### The gradient with respect to `w`" in capsys.readouterr().out


def test_cli_plain_names(capsys):
    run_cli("explain", "tiny221", "--param", "w[0]", "--plain-names")
    out = capsys.readouterr().out
    assert r"\mathrm{h1out}" in out and "h^{" not in out


def test_cli_epilog_examples_run_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = [
        line.strip()
        for line in explain_cli.EPILOG.splitlines()
        if line.strip().startswith("symbackprop explain")
    ]
    assert len(commands) == 3
    for command in commands:
        argv = shlex.split(command)[1:]
        assert run_cli(*argv) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["tiny221-w0.html", "xor.tex"]
    assert "wrote tiny221-w0.html" in capsys.readouterr().out


def test_cli_unknown_parameter_raises_the_error_the_cli_reports():
    with pytest.raises(SymbackpropError, match="not a parameter"):
        run_cli("explain", "linreg", "--param", "w")


# -- docs/examples --------------------------------------------------------------------------------
DOCS = Path(__file__).resolve().parents[1] / "docs" / "examples"


def test_docs_examples_are_not_stale():
    assert write_examples(DOCS, check=True) == [], (
        "docs/examples is stale: run python -m symbackprop.questions.explained docs/examples"
    )


def test_write_examples_writes_every_question_document_and_then_nothing_is_stale(tmp_path):
    written = write_examples(tmp_path)
    assert sorted(p.name for p in written) == [
        "README.md",
        "q1_xor.md",
        "q2_linreg.md",
        "q3_gru_keras.md",
        "q4_torch_scalar.md",
        "q5_tiny221.md",
    ]
    assert write_examples(tmp_path, check=True) == []
    (tmp_path / "q2_linreg.md").write_text("edited by hand")
    assert write_examples(tmp_path, check=True) == [tmp_path / "q2_linreg.md"]


@pytest.mark.parametrize(
    "name, opening",
    [
        ("q1_xor.md", "**Why `synapse_1.T` and not `layer_1`?**"),
        ("q2_linreg.md", "**Are `grad_m` and `grad_c` right? They are both right.**"),
        (
            "q3_gru_keras.md",
            "**Why 0.20482421, not 0.55?** The claimed h = 0.55 matches the "
            "blend with z and 1 - z swapped",
        ),
        ("q4_torch_scalar.md", "**Why 16?**"),
        ("q5_tiny221.md", "**Are `e1`..`e6`, `be1`..`be3` right? All 9 are right.**"),
    ],
)
def test_each_question_document_answers_its_question_first(name, opening):
    lines = (DOCS / name).read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith(opening)


def test_q4_document_names_the_dropped_factor():
    text = (DOCS / "q4_torch_scalar.md").read_text(encoding="utf-8")
    # dloss/dw = 2(wx - y) * x = 2 * 4 * 2 = 16; the hand result 8 stopped before dy_hat/dw = x.
    assert r"= 2\,x\,\left(w\,x - y\right) = 16$" in text
    assert r"\partial \hat{y} / \partial w = x = 2$" in text


def test_q1_document_shows_the_broadcasting_trap():
    text = (DOCS / "q1_xor.md").read_text(encoding="utf-8")
    assert "has shape (4, 1)" in text and "silently to shape (4, 4)" in text
