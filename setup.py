"""Ships the top-level templates/ directory inside the package as symbackprop.templates."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["symbackprop", "symbackprop.*"]), "symbackprop.templates"],
    package_dir={"symbackprop.templates": "templates"},
    package_data={
        "symbackprop.templates": ["*.j2", "explain/*.j2", "explain/*.css"],
        "symbackprop.explain": [
            "assets/*.js",
            "assets/*.css",
            "assets/*.md",
            "assets/KATEX_LICENSE",
            "assets/fonts/*.woff2",
        ],
    },
)
