"""Where the explanation's templates and vendored assets live (changed here, and only here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def template_dir() -> Path:
    """The Jinja2 templates of the explanations: ``templates/explain`` of the repository,
    installed inside the package as ``symbackprop.templates``."""
    return Path(str(resources.files("symbackprop.templates"))) / "explain"


def assets_dir() -> Path:
    """Vendored KaTeX (minified JS and CSS, woff2 fonts, licence), shipped in the package."""
    return Path(__file__).resolve().parent / "assets"


def katex_js() -> Path:
    return assets_dir() / "katex.min.js"


def katex_fonts() -> list[Path]:
    """KaTeX's fonts (woff2, the one format every current browser reads)."""
    return sorted((assets_dir() / "fonts").glob("*.woff2"))
