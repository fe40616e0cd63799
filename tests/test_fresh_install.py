"""A new user's first hour: a fresh virtual environment, the README's install or a built wheel,
then the first commands, run from an empty folder outside the checkout.

The fresh environments see this interpreter's site-packages through a .pth file, standing in
for the dependencies' downloads: ``--system-site-packages`` would show the base interpreter's
instead, which inside a virtual environment lacks them. symbackprop itself is always installed
into the fresh environment, whose own site-packages comes first on sys.path.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zipfile import ZipFile

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What a build leaves in a checkout, and what no build reads.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache", ".hypothesis"
)

XOR_GRADIENT_CHECK = """
import importlib.util, numpy as np
spec = importlib.util.spec_from_file_location("xor", "xor.py")
xor = importlib.util.module_from_spec(spec)
spec.loader.exec_module(xor)
rng = np.random.default_rng(1)
X, y = rng.random((4, 3)), rng.random((4, 1))
params = xor.init_params(0)
grads = xor.backward(params, xor.forward(params, X, y))
for name, value in params.items():
    for index in np.ndindex(value.shape):
        old, h = value[index], 1e-6
        value[index] = old + h
        up = xor.loss(params, X, y)
        value[index] = old - h
        down = xor.loss(params, X, y)
        value[index] = old
        assert abs(grads[name][index] - (up - down) / (2 * h)) < 1e-7, (name, index)
print("gradients agree")
"""


def run(command: list, cwd: Path) -> subprocess.CompletedProcess:
    """Runs a command as a user's shell would: no PYTHONPATH pointing at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, env=env
    )


def succeeds(command: list, cwd: Path) -> str:
    done = run(command, cwd)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment that sees this interpreter's packages; returns its bin/."""
    succeeds([sys.executable, "-m", "venv", folder], cwd=folder.parent)
    bin_dir = folder / "bin"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    own_site = Path(succeeds([bin_dir / "python", "-c", purelib], cwd=folder).strip())
    # Site directories only: the checkout, which pytest may have put on sys.path, stays out.
    ours = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (own_site / "running_interpreter.pth").write_text("".join(f"{p}\n" for p in ours))
    return bin_dir


def source_files() -> set[str]:
    """Every file of symbackprop/ and templates/, by its path inside an installed wheel."""
    files = set()
    for folder, installed_as in (
        ("symbackprop", "symbackprop"),
        ("templates", "symbackprop/templates"),
    ):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(f"{installed_as}/{path.relative_to(ROOT / folder).as_posix()}")
    return files


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """A wheel built as `pip wheel .` builds it, from a copy of the working tree (a build
    in place would leave build/ behind, whose stale files later wheels could pick up)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    succeeds(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", folder, source], folder
    )
    (built,) = folder.glob("symbackprop-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel) -> Path:
    """bin/ of a fresh virtual environment with the wheel installed (not editable)."""
    folder = tmp_path_factory.mktemp("installed")
    bin_dir = fresh_venv(folder / "venv")
    succeeds([bin_dir / "pip", "install", "-q", f"{wheel}[data]"], cwd=folder)
    return bin_dir


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_wheel_holds_every_module_template_and_asset_of_the_source_tree(wheel):
    with ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
    expected = source_files()
    assert expected - shipped == set()
    assert shipped - expected == set()
    assert "symbackprop/questions/programs/q5_net.py" in shipped  # read by `symbackprop demo`
    assert "symbackprop/templates/explain/document.html.j2" in shipped
    assert "symbackprop/explain/assets/fonts/KaTeX_Main-Regular.woff2" in shipped


def test_installed_package_is_imported_from_the_new_environment(installed, empty):
    where = "import symbackprop, sys; print(symbackprop.__file__); print(*sys.path, sep='\\n')"
    module, *path = succeeds([installed / "python", "-c", where], empty).splitlines()
    assert Path(module).is_relative_to(installed.parent)
    assert str(ROOT) not in path


def test_installed_list_names_the_built_in_examples(installed, empty):
    listed = succeeds([installed / "symbackprop", "list"], empty)
    names = set(re.findall(r"^(\S+)\s", listed, flags=re.M))
    assert {"xor", "tiny221", "linreg", "torch-scalar", "gru-keras", "digits"} <= names


def test_installed_generate_writes_a_module_whose_gradients_agree_with_differences(
    installed, empty
):
    succeeds([installed / "symbackprop", "generate", "xor", "-o", "xor.py"], empty)
    assert "import symbackprop" not in (empty / "xor.py").read_text()
    check = succeeds([installed / "python", "-c", XOR_GRADIENT_CHECK], empty)
    assert check.strip() == "gradients agree"


def test_installed_explain_writes_html_with_katex_and_its_fonts_inside(installed, empty):
    succeeds([installed / "symbackprop", "explain", "tiny221", "-o", "x.html"], empty)
    html = (empty / "x.html").read_text()
    fonts = list((ROOT / "symbackprop/explain/assets/fonts").glob("*.woff2"))
    assert html.count("url(data:font/woff2;base64,") == len(fonts)
    katex = (ROOT / "symbackprop/explain/assets/katex.min.js").read_text()
    assert katex[:200] in html


def assert_demo_answers_six_questions(symbackprop: Path, work: Path) -> None:
    demo = run([symbackprop, "demo"], work)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert re.findall(r"^Q(\d)\. ", demo.stdout, flags=re.M) == list("123456")
    written = re.findall(r"^    wrote (\S+)$", demo.stdout, flags=re.M)
    assert len(written) >= 6
    assert all((work / path).is_file() for path in written)
    assert "not available" not in demo.stdout


@pytest.mark.slow
def test_installed_demo_answers_six_questions(installed, empty):
    assert_demo_answers_six_questions(installed / "symbackprop", empty)


@pytest.mark.slow
def test_readme_install_then_demo_answers_six_questions(tmp_path, empty):
    bin_dir = fresh_venv(tmp_path / "venv")
    # The README's first command, typed in the checkout: pip install -e ".[data]"
    succeeds([bin_dir / "pip", "install", "-q", "-e", ".[data]"], cwd=ROOT)
    assert_demo_answers_six_questions(bin_dir / "symbackprop", empty)


def test_demo_never_overwrites_a_users_files_without_force(tmp_path, capsys):
    from symbackprop.cli import main

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["demo", "--dir", str(folder)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text() == "mine"
