"""``explain``: a model's backpropagation as a step-by-step document, and its outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from symbackprop.cells.step import StepModel
from symbackprop.derive import Derivation, derive
from symbackprop.derive.bptt import derive_sequence
from symbackprop.explain import render
from symbackprop.explain.common import chosen_parameters, forward_section
from symbackprop.explain.document import (
    Document,
    Equations,
    Prose,
    Section,
    SectionBuilder,
    aligned,
)
from symbackprop.explain.notation import Notation
from symbackprop.explain.output import UnknownOutputFormat, latex_to_pdf
from symbackprop.explain.scalar import MAX_FULL_CHAINS, ScalarExplainer
from symbackprop.explain.vector import VectorExplainer
from symbackprop.files import write_whole
from symbackprop.ir.model import Model
from symbackprop.naming import split_indexed
from symbackprop.printing.through_time import convention_text, recursion_latex
from symbackprop.readers.sources import load_model

SUFFIXES = (".md", ".tex", ".html", ".pdf")


class Explanation:
    """A derivation explained step by step, in Markdown, LaTeX, HTML or PDF.

    >>> explanation = explain("torch-scalar")
    >>> "16" in explanation.to_markdown()
    True
    """

    def __init__(self, document: Document, derivation: Derivation):
        self.document = document
        self.derivation = derivation
        self.model = derivation.model

    def __repr__(self) -> str:
        return f"<explanation of {self.model.name}: {self.document.title}>"

    def to_markdown(self) -> str:
        return render.to_markdown(self.document)

    def to_latex(self) -> str:
        """A standalone document for pdflatex (amsmath and amssymb only)."""
        return render.to_latex(self.document)

    def to_html(self) -> str:
        """A self-contained page: KaTeX and its fonts are embedded, nothing is fetched."""
        return render.to_html(self.document)

    def formulas(self) -> list[str]:
        """Every formula the outputs contain, as math-mode LaTeX."""
        return self.document.formulas()

    def with_lead(self, *paragraphs: str) -> Explanation:
        """The same explanation opening with ``paragraphs`` (prose with $math$ and `code`)."""
        lead = tuple(Prose(p) for p in paragraphs) + self.document.lead
        return Explanation(replace(self.document, lead=lead), self.derivation)

    def write(self, path: str | Path) -> Path:
        """Write to ``path``; the suffix (.md, .tex, .html, .pdf) chooses the format."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            latex_to_pdf(self.to_latex(), path)
            return path
        text = {".md": self.to_markdown, ".tex": self.to_latex, ".html": self.to_html}.get(suffix)
        if text is None:
            raise UnknownOutputFormat(
                f"cannot write {suffix or 'a file without suffix'}: use one of "
                f"{', '.join(SUFFIXES)}",
                file=str(path),
            )
        write_whole(path, text().encode("utf-8"))
        return path

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        displays = [
            aligned(block.rows)
            for section in self.document.sections
            for block in section.blocks
            if isinstance(block, Equations)
        ]
        return "\n".join(f"$${display}$$" for display in displays)


def explain(
    model: Model | str,
    param: str | Sequence[str] | None = None,
    plain_names: bool = False,
    show_progress: bool = False,
) -> Explanation:
    """Explain how backpropagation finds the gradient of every parameter (or of ``param``).

    ``model`` is a Model or a MODEL argument (built-in name, spec.toml, file.py[:function]);
    ``param`` a parameter name (``"w[4]"``) or an indexed base (``"w"``: all its elements);
    ``plain_names`` keeps names as written instead of subscripted LaTeX; ``show_progress``
    draws a bar on a terminal while a large model is derived.
    """
    if isinstance(model, str):
        model = load_model(model)
    derivation = derive(model, show_progress=show_progress)
    params = chosen_parameters(model, param)
    notation = Notation(derivation, plain_names)
    document = Document(
        _title(model), _lead(model, params), _sections(derivation, notation, params, param is None)
    )
    return Explanation(document, derivation)


def _title(model: Model) -> str:
    return f"Backpropagation in `{model.name}`, step by step"


def _lead(model: Model, params: list[str]) -> tuple[Prose, ...]:
    if len(params) == 1:
        what = f"the parameter `{params[0]}`"
    else:
        what = f"each of its {len(params)} parameters"
    about = (Prose(model.description),) if model.description else ()
    return (
        *about,
        Prose(
            f"How the gradient of the loss `{model.loss.name}` with respect to {what} follows "
            "from the chain rule: first the forward pass, then the adjoints (deltas) from the "
            "loss down, then each parameter, as a chain of local derivatives and in its short "
            "form."
        ),
    )


def through_time_section(model: Model, number: int) -> Section | None:
    """For a recurrent cell: the recursion over steps and the gate convention."""
    if not isinstance(model, StepModel):
        return None
    sequence = derive_sequence(model)
    body = recursion_latex(sequence).split("\\begin{align*}\n")[1].split("\\end{align*}")[0]
    rows = []
    for row in body.split(" \\\\\n"):
        first, _, last = row.strip().partition(",\\qquad ")
        rows += [first] + ([last.replace(" = ", " &= ", 1)] if last else [])
    section = SectionBuilder(f"{number}. Backpropagation through time")
    section.say(convention_text(sequence))
    section.say(
        "The step above is one of T. Going back from the last step, the adjoint of each state "
        "adds what the loss says at that step to what flows back from the next step; every "
        "weight's gradient is the sum of its per-step gradients."
    )
    return section.show(*rows).build()


def _sections(
    derivation: Derivation, notation: Notation, params: list[str], summarise: bool
) -> tuple:
    """The document's sections; ``summarise``: a large scalar network's arrays are shown by
    one entry in full and a few short forms (asked-for parameters are always in full)."""
    model = derivation.model
    vector = model.is_vector
    explainer = (
        VectorExplainer(derivation, notation) if vector else ScalarExplainer(derivation, notation)
    )
    sections: list[Section | None] = [
        forward_section(model, notation),
        explainer.adjoint_section(params),
        explainer.recursion_section() if vector else None,
    ]
    sections = [s for s in sections if s is not None]
    through_time = through_time_section(model, len(sections) + 1)
    sections += [through_time] if through_time is not None else []
    number = len(sections) + 1
    heading = SectionBuilder(f"{number}. The gradients of the parameters")
    heading.say(
        "For each parameter: the chain of local derivatives from the loss down to it, and the "
        "short form through the adjoints above."
    )
    sections.append(heading.build())
    if vector or not summarise or len(params) <= MAX_FULL_CHAINS:
        return (*sections, *[explainer.parameter_section(p) for p in params])
    for base, elements in _by_array(params).items():
        sections.append(explainer.parameter_section(elements[0]))
        if len(elements) > 1:
            sections.append(explainer.others_section(base, elements[0], elements[1:]))
    return tuple(sections)


def _by_array(params: list[str]) -> dict[str, list[str]]:
    """Parameters grouped by the array they are entries of (``W1[0, 2]`` under ``W1``)."""
    groups: dict[str, list[str]] = {}
    for name in params:
        groups.setdefault((split_indexed(name) or (name,))[0], []).append(name)
    return groups
