"""Where the explanation's templates and vendored assets live (changed here, and only here)."""

from __future__ import annotations

from pathlib import Path


def template_dir() -> Path:
    """The Jinja2 templates of the explanations.

    For now the repository's top-level ``templates/explain``; once ``templates/`` ships inside
    the package as ``symbackprop/templates``, this becomes ``parents[1] / "templates" / ...``.
    """
    return Path(__file__).resolve().parents[2] / "templates" / "explain"


def assets_dir() -> Path:
    """Vendored KaTeX (minified JS and CSS, woff2 fonts, licence), shipped in the package."""
    return Path(__file__).resolve().parent / "assets"


def katex_js() -> Path:
    return assets_dir() / "katex.min.js"
