"""A ``symbackprop serve`` process on a free localhost port, and plain-HTTP requests to it.

Shared by the serve tests and ``benchmarks/serve_load.py``: the server runs as a user starts
it (``python -m symbackprop serve --port 0``), its first line says where.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

LAYER_FILES = Path(__file__).parent / "layerfiles"
START_TIMEOUT_S = 60

RELU_PAIR_WRONG = """import numpy as np


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout
    return dx
"""
RELU_WRONG_LINE = 12  # dx = dout: the ReLU mask is missing


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path  # its standard error
    tmp: Path  # its TMPDIR: where every worker's folder is made

    def post(self, path: str, body: object, timeout: float = 60) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        return request(self.url + path.lstrip("/"), data, timeout)

    def get(self, path: str, timeout: float = 30) -> tuple[int, dict]:
        return request(self.url + path.lstrip("/"), None, timeout)


def request(url: str, data: bytes | None, timeout: float) -> tuple[int, dict]:
    """(status, JSON body) of a GET (``data`` None) or a JSON POST."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    call = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@contextlib.contextmanager
def running_server(folder: Path, *options: str) -> Iterator[Server]:
    """A server started with ``options``, stopped by SIGTERM (as Ctrl-C or a service manager
    stops it) when the block ends."""
    # Its own TMPDIR, short: multiprocessing makes a socket in it, whose path may not be long
    tmp = Path(tempfile.mkdtemp(prefix="sbp-"))
    log = folder / "server.log"
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "symbackprop", "serve", "--port", "0", *options]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env)
    try:
        first = _first_line(process, log)
        yield Server(first.split()[1], process, log, tmp)
    finally:
        stop(process)
        shutil.rmtree(tmp, ignore_errors=True)


def _first_line(process: subprocess.Popen, log: Path) -> str:
    line = process.stdout.readline().decode("utf-8", "replace")
    if not line.startswith("serving http://"):
        process.kill()
        process.wait()
        said = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"the server did not start: {line!r}; it said: {said}")
    return line


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=START_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()


def descendants(pid: int) -> set[tuple[int, str]]:
    """Every process under ``pid`` now, each as (pid, start time), which names it even after
    the number is reused."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
                started[int(entry.name)] = fields[19]
    found: set[tuple[int, str]] = set()
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.add((child, started[child]))
        todo += children.get(child, [])
    return found


def alive(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Those of ``processes`` still running (a zombie has finished)."""
    still = set()
    for pid, start in processes:
        fields = _stat_fields(pid)
        if fields is not None and fields[19] == start and fields[0] != "Z":
            still.add((pid, start))
    return still


def command_lines(processes: set[tuple[int, str]]) -> list[str]:
    """What each of ``processes`` runs, for a failing test's message."""
    lines = []
    for pid, _ in sorted(processes):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            lines.append(f"{pid}: {command.decode('utf-8', 'replace')[:200]}")
    return lines


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, ... (state is field 0)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def functions_of(path: Path, *names: str) -> str:
    """A file of the module's imports and the named functions of ``path``, in its order."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    kept = [
        ast.get_source_segment(text, node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        or isinstance(node, ast.FunctionDef)
        and node.name in names
    ]
    return "\n\n\n".join(kept) + "\n"


def affine_pair() -> str:
    return functions_of(LAYER_FILES / "course_layers.py", "affine_forward", "affine_backward")


def batchnorm_pair() -> str:
    return functions_of(
        LAYER_FILES / "course_layers.py",
        "batchnorm_forward",
        "batchnorm_backward",
        "batchnorm_backward_alt",
    )


# -- load: many clients at once, mixing valid code, bombs and garbage ----------------------------
FORMULA_BOMB = RELU_PAIR_WRONG.replace("np.maximum(0, x)", "np.maximum(0, x) ** 9**9**9")
DEEP_EXPRESSION = "def f(x, w):\n    y = " + "+".join(["w*x"] * 3000) + "\n    return y\n"


def load_mix() -> list[tuple[str, str, object]]:
    """(label, path, body) of each kind of request a class sends, valid and not."""
    return [
        ("wrong relu", "/api/check", {"code": RELU_PAIR_WRONG}),
        ("affine pair", "/api/check", {"code": affine_pair()}),
        ("explain", "/api/explain", {"example": "torch-scalar"}),
        ("formula bomb", "/api/check", {"code": FORMULA_BOMB}),
        ("deep expression", "/api/check", {"code": DEEP_EXPRESSION}),
        ("not python", "/api/check", {"code": "def relu_backward(dout, cache:\n"}),
        ("not json", "/api/check", b"\x00\xff{garbage"),
        ("hostile text", "/api/check", {"code": '__import__("os").system("touch CANARY")'}),
    ]


BUSY_RETRIES = 4  # a client told "busy" tries again, waiting a little longer each time
BUSY_PAUSE_S = 0.25


@dataclass
class Answer:
    label: str
    status: int  # 0: no answer at all (the connection failed)
    kind: str  # "ok" or the refusal's kind
    seconds: float  # the last try's
    busy: int  # the tries answered 503 busy before it


def send_load(server: Server, count: int, clients: int) -> list[Answer]:
    """``count`` requests from ``clients`` threads at once, cycling through :func:`load_mix`;
    a request answered 503 is sent again after a pause, up to :data:`BUSY_RETRIES` times."""
    mix = load_mix()
    todo = [mix[i % len(mix)] for i in range(count)]

    def send(item: tuple[str, str, object]) -> Answer:
        label, path, body = item
        for tries in range(BUSY_RETRIES + 1):
            answer = _send_once(server, label, path, body, busy=tries)
            if answer.status != 503:
                break
            time.sleep(BUSY_PAUSE_S * (tries + 1))
        return answer

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(send, todo))


def _send_once(server: Server, label: str, path: str, body: object, busy: int) -> Answer:
    started = time.perf_counter()
    try:
        status, data = server.post(path, body, timeout=120)
    except OSError as error:
        return Answer(label, 0, type(error).__name__, time.perf_counter() - started, busy)
    kind = data.get("kind", "ok") if status != 200 else "ok"
    return Answer(label, status, kind, time.perf_counter() - started, busy)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
