"""The work of each request, as a worker process does it: a validated request in, the JSON
the verbs print with ``--format json`` out.

A worker runs in a temporary folder of its own (see :mod:`symbackprop.serve.pool`): the
user's code or spec is written there under a plain name (``submitted.py``, ``spec.toml``),
read as the verbs read files (parsed, never run), and the folder is removed afterwards. The
messages name the file as the user named it, never a path of the server.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from symbackprop import api
from symbackprop.check.api import check_code, check_formulas
from symbackprop.codegen.verify import ModuleDisagrees
from symbackprop.errors import SymbackpropError
from symbackprop.explain import explain
from symbackprop.ir.model import Model

SUBMITTED_CODE = "submitted.py"
SUBMITTED_SPEC = "spec.toml"


def check_job(request: dict) -> dict:
    """``symbackprop check --format json`` of the submitted code, or of formulas against a
    model (``{"formulas": [...], "aliases": [...]}`` beside the model's fields)."""
    if request.get("formulas"):
        model = load_requested_model(request)
        return check_formulas(model, request["formulas"], request.get("aliases", [])).to_data()
    path = write_submission(request.get("filename") or SUBMITTED_CODE, request["code"])
    report = check_code(
        path,
        request.get("function"),
        request.get("loss"),
        request.get("matrix", ()),
        request.get("params", ()),
        siblings=False,  # one submission: nothing beside it is the user's
    )
    return report.to_data()


def explain_job(request: dict) -> dict:
    """The explanation of a model in every text format: a page with KaTeX, Markdown, LaTeX."""
    model = load_requested_model(request)
    explanation = explain(model, param=request.get("param") or None)
    return {
        "model": model.name,
        "html": explanation.to_html(),
        "markdown": explanation.to_markdown(),
        "latex": explanation.to_latex(),
        "filename": file_stem(model.name),
    }


def pdf_job(request: dict) -> dict:
    """The explanation as a PDF (pdflatex on the server), base64 in the JSON."""
    model = load_requested_model(request)
    name = f"{file_stem(model.name)}.pdf"
    path = explain(model, param=request.get("param") or None).write(Path(name))
    return {
        "model": model.name,
        "pdf": base64.b64encode(path.read_bytes()).decode("ascii"),
        "filename": name,
    }


def generate_job(request: dict) -> dict:
    """The model's NumPy training module, gradient-checked before it is returned."""
    model = load_requested_model(request)
    name = f"{file_stem(model.name)}_train.py"
    command = f"symbackprop generate {request_argument(request)}"
    try:
        module = api.generate(model, command=command)
    except ModuleDisagrees as error:  # as the command line says it
        raise SymbackpropError(f"generate refused to write a wrong module: {error}") from None
    return {"model": model.name, "module": module, "filename": name}


def load_requested_model(request: dict) -> Model:
    """The model a request names: ``{"example": "xor"}``, ``{"spec": TOML}`` or
    ``{"code": PYTHON, "function": "Net"}`` (with ``loss`` and ``params`` as the CLI's)."""
    if "spec" in request:
        write_submission(SUBMITTED_SPEC, request["spec"])
    elif "code" in request:
        write_submission(request.get("filename") or SUBMITTED_CODE, request["code"])
    return api.load_model(
        request_argument(request), loss=request.get("loss"), params=request.get("params", ())
    )


def request_argument(request: dict) -> str:
    """The MODEL argument the request amounts to, as the command line would take it."""
    if "example" in request:
        return request["example"]
    if "spec" in request:
        return SUBMITTED_SPEC
    name = request.get("filename") or SUBMITTED_CODE
    return f"{name}:{request['function']}" if request.get("function") else name


def write_submission(name: str, text: str) -> str:
    """Write the user's text into the worker's folder (its current directory) as ``name``."""
    Path(name).write_text(text, encoding="utf-8", newline="\n")
    return name


def file_stem(name: str) -> str:
    """A model's name as a download's file name: ``tiny221``, ``submitted_Net``."""
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "model"
