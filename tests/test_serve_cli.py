"""``symbackprop serve`` on the command line: it starts without the web stack imported, says
which extra to install when it is missing, and refuses a port it cannot have in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from symbackprop.cli import main


def run_python(program: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", program]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_command_line_loads_without_the_web_stack():
    done = run_python("import sys, symbackprop.cli; print('starlette' in sys.modules)")
    assert done.stdout.strip() == "False", done.stderr


def test_without_the_extra_serve_names_it_in_one_line():
    hidden = "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
    done = run_python(hidden + "from symbackprop.cli import main; sys.exit(main(['serve']))")
    assert done.returncode == 2
    assert done.stderr == (
        "symbackprop: error: symbackprop serve needs starlette, which is not installed: "
        "pip install 'symbackprop[serve]'\n"
    )


def test_a_port_in_use_is_one_line(capsys):
    pytest.importorskip("uvicorn", reason="pip install 'symbackprop[serve]'")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"symbackprop: error: cannot serve on 127.0.0.1:{port}: ")
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (["--time-limit", "0"], "--time-limit must be more than 0"),
        (["--workers", "0"], "0 is not between 1 and 256"),
        (["--port", "http"], "not a whole number: 'http'"),
    ],
)
def test_bad_limits_are_one_line(capsys, option, says):
    with pytest.raises(SystemExit) as ended:
        code = main(["serve", *option])
        raise SystemExit(code)
    assert ended.value.code == 2
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1


def test_workers_that_cannot_start_are_one_line(tmp_path):
    pytest.importorskip("uvicorn", reason="pip install 'symbackprop[serve]'")
    deep = tmp_path / ("x" * 120)  # too long a path for the workers' socket
    deep.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "symbackprop", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, TMPDIR=str(deep)),
    )
    assert done.returncode == 2
    assert done.stderr.startswith("symbackprop: error: cannot start the workers: ")
    assert done.stderr.count("\n") == 1
