"""Ships the top-level templates/ directory inside the package as symbackprop.templates."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["symbackprop", "symbackprop.*"]), "symbackprop.templates"],
    package_dir={"symbackprop.templates": "templates"},
    package_data={"symbackprop.templates": ["*.j2", "**/*.j2"]},
)
