"""The page and its assets, every one served by the app itself: the page works offline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"

# The files the app serves, and nothing else: a request names one of these, never a path.
MEDIA_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "codemirror/codemirror.css": "text/css; charset=utf-8",
    "codemirror/codemirror.js": "text/javascript; charset=utf-8",
    "codemirror/python.js": "text/javascript; charset=utf-8",
    "codemirror/LICENSE": "text/plain; charset=utf-8",
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
    return (ASSETS / name).read_bytes()
