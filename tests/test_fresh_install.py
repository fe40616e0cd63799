"""A new user's path: a fresh virtual environment, the README's install, then `symbackprop demo`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_install_then_demo_answers_six_questions(tmp_path):
    venv = tmp_path / "venv"
    # System site packages stand in for the dependencies' downloads; the package itself is
    # installed from the checkout exactly as the README's first command does.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    bin_dir = venv / "bin"
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "empty"
    work.mkdir()
    demo = subprocess.run(
        [str(bin_dir / "symbackprop"), "demo"],
        capture_output=True,
        text=True,
        cwd=work,
        check=False,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert re.findall(r"^Q(\d)\. ", demo.stdout, flags=re.M) == list("123456")
    written = re.findall(r"^    wrote (\S+)$", demo.stdout, flags=re.M)
    assert len(written) >= 6
    assert all((work / path).is_file() for path in written)
    assert "not available" not in demo.stdout


def test_demo_never_overwrites_a_users_files_without_force(tmp_path, capsys):
    from symbackprop.cli import main

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["demo", "--dir", str(folder)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text() == "mine"
