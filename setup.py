"""What the wheel holds: every folder under symbackprop/, found rather than listed, and the
top-level templates/ folder installed inside the package as symbackprop.templates.

Namespace discovery counts a folder as a package even without an ``__init__.py``, so a new
subpackage or data folder cannot be left out of the wheel again; the data files in those
folders are chosen by the globs below (tests/test_fresh_install.py compares the wheel with the
source tree, so a data file no glob matches fails there).
"""

from setuptools import find_namespace_packages, setup

NOT_PACKAGES = ["*.__pycache__"]

PACKAGE_DATA = [
    "*.j2",  # Jinja2 templates of generated modules and explanations
    "*.css",  # page styles and KaTeX's stylesheet
    "*.js",  # KaTeX, vendored
    "*.woff2",  # KaTeX's fonts, inlined into HTML explanations
    "*.toml",  # model specs
    "*.html",  # the page of symbackprop serve
    "KATEX_LICENSE",
    "LICENSE",  # the vendored editor's (symbackprop/serve/assets/codemirror)
    "README.md",  # where the vendored assets come from
    "py.typed",  # the package ships its type hints (PEP 561)
]


def packages() -> list[str]:
    ours = find_namespace_packages(include=["symbackprop", "symbackprop.*"], exclude=NOT_PACKAGES)
    templates = find_namespace_packages(include=["templates", "templates.*"], exclude=NOT_PACKAGES)
    return ours + [f"symbackprop.{name}" for name in templates]


setup(
    packages=packages(),
    package_dir={"symbackprop.templates": "templates"},
    package_data={"": PACKAGE_DATA},
)
