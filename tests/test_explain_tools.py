"""Proof with the real tools: KaTeX renders every formula, pdflatex compiles every document,
and headless Chromium shows the HTML with no KaTeX error and no network.

Each test skips, saying what to install, where its tool is missing (CI installs them all).
"""

from __future__ import annotations

import html
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symbackprop.explain import explain
from symbackprop.explain.katex import katex_errors, node
from symbackprop.ir import fully_connected
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import EXAMPLES

APT = "apt-get install -y texlive-latex-base texlive-latex-recommended texlive-fonts-recommended"
SCALAR_ACTIVATIONS = ["sigmoid", "tanh", "relu", "softplus", "identity", "leaky_relu"]
VECTOR_ACTIVATIONS = ["sigmoid", "tanh", "relu", "softplus", "swish", "identity"]


def random_networks(seed: int = 20240607) -> list:
    """A few fully connected networks of random sizes, activations and losses, both modes."""
    rng = random.Random(seed)
    models = []
    for _ in range(3):
        sizes = [rng.randint(1, 3) for _ in range(rng.randint(2, 3))]
        act = rng.choice(SCALAR_ACTIVATIONS)
        models.append(fully_connected(sizes, act, rng.choice(["half_sse", "sse", "mse"])))
    for _ in range(3):
        sizes = [rng.randint(1, 5) for _ in range(rng.randint(2, 4))]
        act = rng.choice(VECTOR_ACTIVATIONS)
        models.append(dense_network(sizes, act, rng.choice(["half_sse", "mse", "sse"])))
    models.append(dense_network([4, 5, 3], ["tanh", "softmax"], "softmax_ce", "sum"))
    models.append(dense_network([2, 3, 1], "sigmoid", "bce"))
    return models


def all_explanations() -> list:
    models = list(EXAMPLES) + random_networks()
    return [explain(m, plain_names=plain) for m in models for plain in (False, True)]


# -- every formula in the outputs, as written there -----------------------------------------------
def markdown_formulas(markdown: str) -> list[str]:
    displays = re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, flags=re.S | re.M)
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    return displays + re.findall(r"\$([^$\n]+)\$", rest)


def html_formulas(page: str) -> list[str]:
    body = page.split("<body>", 1)[1]
    found = re.findall(r'<(span|div) class="math[^"]*">(.*?)</\1>', body, flags=re.S)
    return [html.unescape(tex) for _, tex in found]


def test_katex_renders_every_formula_of_every_output():
    if node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    formulas: set[str] = set()
    for explanation in all_explanations():
        in_markdown = markdown_formulas(explanation.to_markdown())
        in_html = html_formulas(explanation.to_html())
        assert sorted(in_markdown) == sorted(in_html) == sorted(explanation.formulas())
        formulas.update(in_markdown)
    errors = katex_errors(sorted(formulas))
    assert errors == [], "\n\n".join(f"{e.message}\n{e.formula}" for e in errors[:5])
    assert len(formulas) > 500


# -- pdflatex ----------------------------------------------------------------------------------
def compile_tex(tex: Path) -> tuple[Path, str]:
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        timeout=120,
        check=False,
    )
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    return tex.with_suffix(".pdf"), log


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, flags=re.M).group(1))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    if shutil.which("pdflatex") is None:
        pytest.skip(f"pdflatex is not installed ({APT})")
    folder = tmp_path_factory.mktemp("tex")
    results = {}
    for name in [*EXAMPLES, "torch-scalar:w"]:
        model, _, param = name.partition(":")
        tex = explain(model, param=param or None).write(folder / f"{name.replace(':', '-')}.tex")
        results[name] = compile_tex(tex)
    return results


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_tex_of_every_builtin_example_compiles_without_errors(compiled, name):
    pdf, log = compiled[name]
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert errors == [] and pdf.is_file()
    assert pdf.read_bytes().startswith(b"%PDF")
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \((\d+\.?\d*)pt too wide", log)]
    assert max(overfull, default=0) < 10, "a formula or line runs into the margin"


def test_pdf_page_counts(compiled):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo is not installed (apt-get install -y poppler-utils)")
    pages = {name: page_count(pdf) for name, (pdf, _) in compiled.items()}
    assert pages["torch-scalar"] == 2  # question 4 fits on two pages
    assert pages["torch-scalar:w"] == pages["torch-scalar"]  # its one parameter is all of it
    assert pages["tiny221"] > pages["torch-scalar"]  # nine parameters take more room
    assert all(count >= 1 for count in pages.values())


def test_write_pdf_produces_a_pdf(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip(f"pdflatex is not installed ({APT})")
    path = explain("linreg", param="c").write(tmp_path / "linreg.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["linreg.pdf"]


# -- headless Chromium ---------------------------------------------------------------------------
def chromium() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return executable


@pytest.mark.parametrize("model", ["xor", "tiny221"])
def test_html_renders_in_headless_chromium_without_katex_errors(tmp_path, model):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    page_file = explain(model).write(tmp_path / f"{model}.html")
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--headless", "--no-sandbox"]
        )
        context = browser.new_context(offline=True, viewport={"width": 1000, "height": 1400})
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        page.wait_for_function("document.body.dataset.typeset === 'done'", timeout=20_000)
        page.evaluate("document.fonts.ready")
        errors = page.locator(".katex-error").count()
        typeset, math = page.locator(".katex").count(), page.locator(".math").count()
        font_loaded = page.evaluate("document.fonts.check('16px KaTeX_Main')")
        page.screenshot(path=str(tmp_path / f"{model}.png"))
        browser.close()
    assert errors == 0
    assert typeset == math > 10
    assert font_loaded
    assert requests == [page_file.as_uri()]  # nothing fetched but the page itself
    assert (tmp_path / f"{model}.png").stat().st_size > 10_000
