"""Writing an explanation to a file: whole or not at all, and PDF through pdflatex."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from symbackprop.errors import SymbackpropError

PDFLATEX_TIMEOUT_S = 120


class ExplainOutputError(SymbackpropError):
    """An explanation could not be written."""


class UnknownOutputFormat(ExplainOutputError):
    """The output file's suffix is none of .md, .tex, .html, .pdf."""


class PdfUnavailable(ExplainOutputError):
    """No pdflatex is installed, so no PDF can be made here."""


class PdfFailed(ExplainOutputError):
    """pdflatex ran but did not produce a PDF."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The old file, if any, stays whole when anything fails; the failure is one clear error.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ExplainOutputError("no such folder", file=str(path.parent))
    try:
        _replace(path, data)
    except OSError as error:
        raise ExplainOutputError(
            f"cannot write: {error.strerror or error}", file=str(path)
        ) from None


def _replace(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` would give (mkstemp's are 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


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
        write_atomically(path, pdf.read_bytes())


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
