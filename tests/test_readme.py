"""Every command the README shows runs as written and prints what the README says."""

import re
import shutil

import pytest
from readme_tour import README, commands, comparable, run

TOUR = commands(README.read_text())


def test_readme_opens_with_the_two_commands():
    blocks = README.read_text().split("```bash\n")[1:3]
    first, second = (block.split("```")[0].strip() for block in blocks)
    assert first.startswith("pip install") and first.endswith("symbackprop demo")
    assert second.startswith("pip install") and second.endswith("python -m pytest")


def test_the_tour_has_commands():
    assert len(TOUR) >= 5


@pytest.mark.skipif(shutil.which("symbackprop") is None, reason="the package is not installed")
def test_tour_commands_print_what_the_readme_shows(tmp_path):
    for command, expected in TOUR:
        assert comparable(run(command, tmp_path)) == comparable(expected), command


def test_the_python_examples_run():
    """Every ```python block of the README runs as written (the weight converters' needs torch)."""
    pytest.importorskip("torch")
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S):
        exec(compile(block, "README.md", "exec"), {})
