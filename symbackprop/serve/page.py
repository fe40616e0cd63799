"""The page and its assets, every one served by the app itself: the page works offline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from symbackprop.explain.paths import assets_dir, katex_fonts

ASSETS = Path(__file__).resolve().parent / "assets"
KATEX = "katex/"  # the explanations' vendored KaTeX, served as it is for the check results

# The files the app serves, and nothing else: a request names one of these, never a path.
MEDIA_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "codemirror/codemirror.css": "text/css; charset=utf-8",
    "codemirror/codemirror.js": "text/javascript; charset=utf-8",
    "codemirror/python.js": "text/javascript; charset=utf-8",
    "codemirror/LICENSE": "text/plain; charset=utf-8",
    KATEX + "katex.min.js": "text/javascript; charset=utf-8",
    KATEX + "katex.min.css": "text/css; charset=utf-8",
    KATEX + "KATEX_LICENSE": "text/plain; charset=utf-8",
    **{f"{KATEX}fonts/{font.name}": "font/woff2" for font in katex_fonts()},
}

# Nothing is fetched from elsewhere. The explanation is a page of its own with KaTeX and its
# fonts inside (inline script, styles and data: fonts), shown in a sandboxed frame that
# shares this policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-src 'self' blob: data: about:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def asset(name: str) -> bytes | None:
    """The bytes of one of :data:`MEDIA_TYPES`' files, or None for any other name."""
    if name not in MEDIA_TYPES:
        return None
    if name.startswith(KATEX):
        return (assets_dir() / name.removeprefix(KATEX)).read_bytes()
    return (ASSETS / name).read_bytes()
