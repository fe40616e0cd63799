"""The page of ``symbackprop serve`` in headless Chromium, offline: paste code and read the
verdicts with the wrong line highlighted; derive a built-in and read it typeset by KaTeX;
download the generated module and import it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytest.importorskip("starlette", reason="pip install 'symbackprop[serve]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

from serve_helpers import RELU_PAIR_WRONG, RELU_WRONG_LINE, batchnorm_pair, running_server  # noqa: E402


def chromium() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return executable


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve"), "--workers", "2") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--headless", "--no-sandbox"]
        )
        yield browser
        browser.close()


class Visit:
    """A page of the app, with every console error and every request it made."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1100, "height": 1400})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url)
        # selectors, not wait_for_function: the page's policy forbids the eval that polls it
        self.page.wait_for_selector("body[data-ready='yes']", timeout=20_000)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def paste_code(self, code: str) -> None:
        self.page.locator(".CodeMirror").click()
        self.page.keyboard.insert_text(code)
        assert self.page.evaluate("window.symbackpropEditor.getValue()") == code

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, server):
    visit = Visit(browser, server.url)
    yield visit
    visit.close()
    here = urlparse(server.url).netloc
    elsewhere = [u for u in visit.requests if urlparse(u).netloc not in (here, "")]
    assert elsewhere == []  # nothing fetched from anywhere but the app
    assert visit.errors == []


def test_a_wrong_relu_backward_is_highlighted_with_its_diagnosis(visit):
    page = visit.page
    visit.paste_code(RELU_PAIR_WRONG)
    page.click("#check")
    page.wait_for_selector(".verdict")
    wrong = page.locator(".verdict-wrong")
    assert wrong.count() == 1
    assert wrong.get_attribute("data-line") == str(RELU_WRONG_LINE)
    assert "missing factor (x > 0)" in wrong.locator(".diagnosis").inner_text()
    assert "expected" in wrong.locator(".counterexample").inner_text()
    diff = wrong.locator(".diff").inner_text()
    assert "-     dx = dout" in diff and "(x > 0)" in diff
    # CodeMirror draws line N as the N-th .CodeMirror-line; the first wrong one is marked
    highlighted = page.locator(".CodeMirror-code > div:has(.line-first-wrong) .CodeMirror-line")
    assert highlighted.inner_text() == "    dx = dout"
    numbers = page.locator(".CodeMirror-code > div:has(.line-first-wrong) .CodeMirror-linenumber")
    assert numbers.inner_text() == str(RELU_WRONG_LINE)
    assert "1 wrong" in page.inner_text("#check-status")


def test_the_derivation_of_the_correct_value_opens_typeset(visit):
    page = visit.page
    visit.paste_code(RELU_PAIR_WRONG)
    page.click("#check")
    page.wait_for_selector(".verdict-wrong")
    details = page.locator(".verdict-wrong details.derivation")
    assert details.locator(".katex").count() == 0  # typeset only when opened
    details.locator("summary").click()
    page.wait_for_selector(".verdict-wrong .derivation-step .katex")
    steps = details.locator(".derivation-step")
    assert steps.count() >= 1
    assert details.locator(".katex-error").count() == 0
    # relu's backward: dL/dx = dout where x > 0, the indicator typeset, not left as source
    assert "∂" in steps.last.inner_text()


def test_a_correct_batchnorm_pair_is_correct_everywhere(visit):
    page = visit.page
    visit.paste_code(batchnorm_pair())
    page.click("#check")
    page.wait_for_selector(".verdict")
    assert page.locator(".unit").count() == 2
    assert page.locator(".verdict").count() == page.locator(".verdict-correct").count() > 6
    assert page.locator(".line-wrong").count() == 0
    assert "all correct" in page.inner_text("#check-status")


def test_a_bad_file_gets_its_one_line_on_the_page(visit):
    visit.paste_code("def relu_backward(:\n")
    visit.page.click("#check")
    visit.page.wait_for_selector('#check-status[data-kind="error"]')
    assert visit.page.inner_text("#check-status") == (
        "submitted.py:1: invalid Python: invalid syntax"
    )
    visit.errors.clear()  # the 400 the browser logs for the refused request


def test_an_opened_file_is_checked_under_its_own_name(visit, tmp_path):
    broken = tmp_path / "my_layers.py"
    broken.write_text("def relu_backward(:\n", encoding="utf-8")
    visit.page.set_input_files("#upload", str(broken))
    visit.page.wait_for_selector(".CodeMirror-code:has-text('def relu_backward(:')")
    visit.page.click("#check")
    visit.page.wait_for_selector('#check-status[data-kind="error"]')
    assert visit.page.inner_text("#check-status").startswith("my_layers.py:1: invalid Python")
    visit.errors.clear()  # the 400 the browser logs for the refused request


def test_a_derived_built_in_is_typeset_and_its_module_imports(visit, tmp_path):
    page = visit.page
    page.click("#tab-explain")
    page.select_option("#example", "tiny221")
    page.click("#explain")
    frame = page.frame_locator("#explanation")
    frame.locator("body[data-typeset='done']").wait_for(timeout=20_000)
    assert frame.locator(".katex").count() > 10
    assert frame.locator(".katex-error").count() == 0
    with page.expect_download() as tex:
        page.click("#downloads [data-format='tex']")
    assert "\\begin{document}" in Path(tex.value.path()).read_text(encoding="utf-8")
    with page.expect_download(timeout=60_000) as module:
        page.click("#download-module")
    assert module.value.suggested_filename == "tiny221_train.py"
    saved = tmp_path / module.value.suggested_filename
    module.value.save_as(saved)
    ast.parse(saved.read_text(encoding="utf-8"))
    imported = subprocess.run(
        [sys.executable, "-c", "import tiny221_train as m; print(sorted(m.init_params(0)))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert "w" in imported.stdout


def test_a_pasted_forward_function_is_derived_and_typeset(visit):
    page = visit.page
    page.click("#tab-explain")
    page.select_option("#source", "code")
    assert "def net(x, y, t):" in page.input_value("#model-text")
    page.click("#explain")
    frame = page.frame_locator("#explanation")
    frame.locator("body[data-typeset='done']").wait_for(timeout=20_000)
    assert frame.locator(".katex").count() > 5
    assert frame.locator(".katex-error").count() == 0
    assert page.inner_text("#explain-status") == "explained net"


def test_a_formula_is_checked_against_a_built_in(visit):
    page = visit.page
    page.select_option("#against", "torch-scalar")
    page.fill("#aliases", "dloss_dw=w")
    visit.paste_code("# question 4: PyTorch says 16\ndloss_dw = 2*(w*x - y)\n")
    page.click("#check")
    wrong = page.locator(".verdict-wrong")
    wrong.wait_for()
    assert wrong.get_attribute("data-line") == "2"
    assert "missing factor x" in wrong.locator(".diagnosis").inner_text()
    assert page.locator(".line-first-wrong").count() == 1
