"""The Jinja2 environment of every generated file: strict, whitespace-controlled."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

from symbackprop.codegen.literal import docstring_text


@cache
def environment() -> jinja2.Environment:
    """Templates ship as ``symbackprop.templates`` (the repository's top-level templates/)."""
    folder = resources.files("symbackprop.templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # Every string from the user that a template places in a docstring passes this filter.
    env.filters["docstring"] = docstring_text
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
