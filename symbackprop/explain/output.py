"""Writing an explanation to a file: whole or not at all, and PDF through pdflatex."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from symbackprop.errors import OutputError
from symbackprop.files import write_whole

PDFLATEX_TIMEOUT_S = 120


class ExplainOutputError(OutputError):
    """An explanation could not be written."""


class UnknownOutputFormat(ExplainOutputError):
    """The output file's suffix is none of .md, .tex, .html, .pdf."""


class PdfUnavailable(ExplainOutputError):
    """No pdflatex is installed, so no PDF can be made here."""


class PdfFailed(ExplainOutputError):
    """pdflatex ran but did not produce a PDF."""


def pdflatex() -> str | None:
    """The pdflatex executable, or None."""
    return shutil.which("pdflatex")


def latex_to_pdf(source: str, path: Path) -> None:
    """Compile a standalone LaTeX document with pdflatex and write the PDF to ``path``."""
    executable = pdflatex()
    if executable is None:
        raise PdfUnavailable(
            "cannot write a PDF: pdflatex is not installed (install TeX Live, e.g. "
            "apt-get install texlive-latex-base texlive-latex-recommended "
            "texlive-fonts-recommended, or write .tex and compile it elsewhere)",
            file=str(path),
        )
    with tempfile.TemporaryDirectory(prefix="symbackprop-pdf-") as work:
        tex = Path(work) / "explanation.tex"
        tex.write_text(source, encoding="utf-8")
        pdf = _run_pdflatex(executable, tex, path)
        write_whole(path, pdf.read_bytes())


def _run_pdflatex(executable: str, tex: Path, target: Path) -> Path:
    command = [executable, "-interaction=nonstopmode", "-halt-on-error", tex.name]
    try:
        subprocess.run(
            command,
            cwd=tex.parent,
            capture_output=True,
            timeout=PDFLATEX_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PdfFailed("pdflatex took too long", file=str(target)) from None
    pdf = tex.with_suffix(".pdf")
    if not pdf.is_file():
        error = _first_error(tex.with_suffix(".log"))
        raise PdfFailed(f"pdflatex failed: {error}", file=str(target))
    return pdf


def _first_error(log: Path) -> str:
    if not log.is_file():
        return "no log written"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line[2:].strip() for line in lines if line.startswith("! ")]
    return errors[0] if errors else "see the LaTeX log"
