"""Run one command line in-process, in a fresh folder, and classify what happened.

Outcomes, from the user's side (the rules of DESIGN.md: bad input gets one line and exit 2,
never a traceback, never a half-written file, and user text is never run):

- ``ok``: exit 0, or exit 1 (a wrong formula, a failed verification) with something said;
- ``clean error``: exit 2 and exactly one stderr line ``symbackprop: error: ...`` (or
  ``symbackprop VERB: error: ...`` for an option the argument parser refuses), or, when the
  case interrupts the command, its exit code and one line ``symbackprop: ...``;
- ``crash``: an exception escaping ``main``, a traceback on stderr, any other exit, or a
  generated module that a fresh interpreter cannot import;
- ``hang``: still running after the time limit (a watchdog signal raises inside the call);
- ``partial file``: a temporary ``.name.XXXX`` left behind, or an output created or changed by
  a command that failed or was interrupted (unless it is the whole, finished output);
- ``canary``: the file ``CANARY`` that payloads try to create exists afterwards, after the
  command or after importing the module it generated.
"""

from __future__ import annotations

import ast
import atexit
import functools
import io
import os
import re
import resource
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field, replace
from pathlib import Path

from fuzz.payloads import CANARY

OK, CLEAN = "ok", "clean error"
CRASH, HANG, PARTIAL, CANARY_FIRED = "crash", "hang", "partial file", "canary"
OUTCOMES = (OK, CLEAN, CRASH, HANG, PARTIAL, CANARY_FIRED)
FAULTS = (CANARY_FIRED, HANG, CRASH, PARTIAL)  # most serious first: a result names the first

TIME_LIMIT_S = 20.0
MEMORY_HEADROOM = 4 << 30  # bytes of address space a command may add before MemoryError

_ERROR_LINE = re.compile(r"^symbackprop(?: [\w-]+)?: error: ")


@dataclass(frozen=True)
class Node:
    """A file that is not a regular file: fifo, null, zero, full, urandom (character devices
    made with mknod), block, socket, folder, or link (to ``target``)."""

    kind: str
    target: str = ""


Content = str | bytes | Node


@dataclass(frozen=True)
class Interrupt:
    """SIGINT or SIGTERM raised at the call ``fraction`` of the way through the command."""

    signum: int
    fraction: float


@dataclass(frozen=True)
class Case:
    channel: str
    argv: tuple[str, ...]
    files: tuple[tuple[str, Content], ...] = ()
    import_output: str | None = None  # a module the command writes: import it afterwards
    interrupt: Interrupt | None = None

    def __post_init__(self) -> None:
        # a command line cannot carry NUL: execve ends each argument at one
        object.__setattr__(self, "argv", tuple(a.replace("\x00", "") for a in self.argv))

    def __str__(self) -> str:
        files = ", ".join(f"{name!r}: {_short(content)}" for name, content in self.files)
        extra = f" interrupt={self.interrupt}" if self.interrupt else ""
        return f"[{self.channel}] argv={list(self.argv)!r} files={{{files}}}{extra}"


@dataclass
class Result:
    case: Case
    outcome: str
    rc: object = None
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    where: str = ""  # the product file (and line) a crash points at

    @property
    def failed(self) -> bool:
        return self.outcome in FAULTS

    def __str__(self) -> str:
        where = f" at {self.where}" if self.where else ""
        return (
            f"{self.outcome}{where}: {self.detail}\n  case: {_clip(str(self.case), 600)}\n"
            f"  exit {self.rc!r}, stderr: {_short(self.stderr, 600)}"
        )


class Hang(BaseException):
    """Raised by the watchdog inside the command; BaseException, so that no ``except Exception``
    in the product swallows it, while its ``finally`` blocks still run."""


def run_case(case: Case, limit: float = TIME_LIMIT_S, entry: Callable | None = None) -> Result:
    """Run ``case`` once in a fresh temporary folder and classify it."""
    if entry is None:
        from symbackprop.cli import main as entry
    reference = _reference(case, limit, entry) if case.interrupt else None
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder, ExitStack() as stack:
        root = Path(folder)
        _place(root, case.files, stack)
        before = _snapshot(root)
        at = _interrupt_call(case.interrupt, reference)
        call = _call(entry, case.argv, root, limit, (case.interrupt.signum, at) if at else None)
        result = _classify(case, call, before, _snapshot(root), reference)
        if not result.failed and case.import_output and result.rc == 0:
            result = _import_check(result, root / case.import_output, limit)
        return result


# --- the call -------------------------------------------------------------------------------


@dataclass
class _Call:
    rc: object = None
    stdout: str = ""
    stderr: str = ""
    escaped: BaseException | None = None
    hung: bool = False
    calls: int = 0  # calls counted for interrupts
    untraceable: str = ""  # why an interrupt could not be raised


def _call(entry: Callable, argv: Sequence[str], root: Path, limit: float, interrupt) -> _Call:
    done = _Call()
    out, err = _stream("strict"), _stream("backslashreplace")  # as a UTF-8 terminal has them
    previous = signal.signal(_WATCHDOG, _alarm)
    cwd, tracer = os.getcwd(), sys.gettrace()
    memory = resource.getrlimit(resource.RLIMIT_AS)
    own_limit = os.environ.get(_PRODUCT_LIMIT)
    watchdog = threading.Timer(limit, signal.pthread_kill, (threading.get_ident(), _WATCHDOG))
    try:
        os.chdir(root)
        resource.setrlimit(resource.RLIMIT_AS, (_memory_cap(memory[1]), memory[1]))
        os.environ[_PRODUCT_LIMIT] = str(limit * 0.75)  # its own limit, ours as a backstop
        watchdog.start()
        sys.settrace(_counter(done, interrupt))
        with redirect_stdout(out), redirect_stderr(err):
            done.rc = entry(list(argv))
    except SystemExit as exit_:  # argparse ends this way; so does a program
        done.rc = exit_.code
    except Hang:
        done.hung = True
    except KeyboardInterrupt as error:
        if interrupt is None:
            raise  # a person pressed Ctrl-C: stop the run
        done.escaped = error
    except BaseException as error:  # noqa: BLE001 - every escape is a finding
        done.escaped = error
    finally:
        sys.settrace(tracer)
        done.hung |= _stop(watchdog)
        signal.signal(_WATCHDOG, previous)
        _restore(_PRODUCT_LIMIT, own_limit)
        resource.setrlimit(resource.RLIMIT_AS, memory)
        os.chdir(cwd)
    done.stdout, done.stderr = _text(out), _text(err)
    return done


# The product's own time limit (symbackprop/limits.py) takes SIGALRM and ITIMER_REAL; the
# harness keeps a clock of its own: a thread that signals the main thread with SIGUSR1.
_WATCHDOG = signal.SIGUSR1
_PRODUCT_LIMIT = "SYMBACKPROP_TIME_LIMIT"


def _alarm(signum, frame):
    raise Hang()


def _stop(watchdog: threading.Timer) -> bool:
    """Stop the watchdog; whether it fired just as the command ended."""
    try:
        watchdog.cancel()
        watchdog.join()
        return False
    except Hang:
        return True


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _stream(errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8", "backslashreplace")


def _memory_cap(hard: int) -> int:
    """The address space in use now plus the headroom (a size bound failing shows up as a
    MemoryError, not as a machine out of memory)."""
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    cap = used + MEMORY_HEADROOM
    return cap if hard == resource.RLIM_INFINITY else min(cap, hard)


def _counter(done: _Call, interrupt):
    """A trace function that counts the calls the product (and its file helpers) makes inside
    ``interruptible`` and, when ``interrupt`` is ``(signum, n)``, raises that signal at the
    n-th one, as a user would. Outside that window no program can turn a signal into one line
    (Python has not yet or no longer installed the handler), so no signal is raised there."""
    signum, at = interrupt or (None, 0)
    inside = False

    def guarded(frame, event, arg):
        nonlocal inside
        if event == "return":
            inside = False
        return guarded

    def trace(frame, event, arg):
        nonlocal inside
        if event != "call":
            return None
        if _run_by_interruptible(frame):
            inside = True
            return guarded
        if not inside or not _counted(frame.f_code.co_filename):
            return None
        done.calls += 1
        if done.calls == at:
            if callable(signal.getsignal(signum)):
                signal.raise_signal(signum)  # the handler raises here, inside the product
            else:
                done.untraceable = f"no handler for signal {signum} at call {at}"
        return None

    return trace if interrupt is not None or _counting else None


def _run_by_interruptible(frame) -> bool:
    """Whether ``frame`` is the command that ``interruptible`` runs (not its context manager)."""
    caller = frame.f_back
    return (
        caller is not None
        and caller.f_code.co_name == "interruptible"
        and frame.f_code.co_name not in ("helper", "__enter__", "__exit__")
    )


_counting = False  # set while a reference run counts calls


def _counted(filename: str) -> bool:
    return "symbackprop" in filename or filename.endswith(
        ("tempfile.py", "shutil.py", "pathlib.py", "zipfile.py", "os.py")
    )


# --- interrupts: a reference run first -----------------------------------------------------


@dataclass
class _Reference:
    calls: int
    outputs: dict = field(default_factory=dict)  # relative path -> bytes of a finished run


_REFERENCES: dict = {}


def _reference(case: Case, limit: float, entry: Callable) -> _Reference:
    """The same command uninterrupted: how many calls it makes and what it writes."""
    key = (case.argv, case.files)
    if key not in _REFERENCES:
        global _counting
        with tempfile.TemporaryDirectory(prefix="fuzz-ref-") as folder, ExitStack() as stack:
            root = Path(folder)
            _place(root, case.files, stack)
            before = _snapshot(root)
            _counting = True
            try:
                call = _call(entry, case.argv, root, limit, None)
            finally:
                _counting = False
            after = _snapshot(root)
            outputs = {p: v for p, v in after.items() if before.get(p) != v}
            _REFERENCES[key] = _Reference(call.calls, outputs)
    return _REFERENCES[key]


def _interrupt_call(interrupt: Interrupt | None, reference: _Reference | None) -> int:
    if interrupt is None or reference is None or reference.calls == 0:
        return 0
    return 1 + int(interrupt.fraction * reference.calls) % reference.calls


# --- the folder before and after ------------------------------------------------------------


def _place(root: Path, files: tuple[tuple[str, Content], ...], stack: ExitStack) -> None:
    for name, content in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Node):
            _make_node(path, content, stack)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8", "surrogatepass"))


_DEVICES = {  # (major, minor); 240 is reserved for local use, so no driver answers it
    "null": (stat.S_IFCHR, 1, 3, "/dev/null"),
    "zero": (stat.S_IFCHR, 1, 5, "/dev/zero"),
    "full": (stat.S_IFCHR, 1, 7, "/dev/full"),
    "urandom": (stat.S_IFCHR, 1, 9, "/dev/urandom"),
    "block": (stat.S_IFBLK, 240, 0, None),
}


def _make_node(path: Path, node: Node, stack: ExitStack) -> None:
    if node.kind == "fifo":
        os.mkfifo(path)
    elif node.kind == "folder":
        path.mkdir()
    elif node.kind == "link":
        os.symlink(node.target, path)
    elif node.kind == "socket":
        server = stack.enter_context(socket.socket(socket.AF_UNIX))
        server.bind(str(path))
    else:
        kind, major, minor, fallback = _DEVICES[node.kind]
        try:
            os.mknod(path, kind | 0o666, os.makedev(major, minor))
        except PermissionError:  # not root: the real device stands in, where there is one
            if fallback:
                os.symlink(fallback, path)


def _snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root``: a regular file's bytes, else its kind."""
    found = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            relative = os.path.relpath(path, root)
            if stat.S_ISREG(mode):
                with open(path, "rb") as handle:
                    found[relative] = handle.read()
            else:
                found[relative] = stat.S_IFMT(mode)
    return found


# --- classification -------------------------------------------------------------------------


def _classify(case, call: _Call, before: dict, after: dict, reference) -> Result:
    result = Result(case, OK, call.rc, call.stdout, call.stderr)
    found = (
        _canary(after)
        or _hang(call)
        or _crash(call, case.interrupt is not None)
        or _partial(call, before, after, reference)
    )
    if found:
        result.outcome, result.detail, result.where = found
        return result
    result.outcome, result.detail = _answer(call, case.interrupt is not None)
    return result


def _canary(after: dict):
    fired = [p for p in after if os.path.basename(p) == CANARY]
    return fired and (CANARY_FIRED, f"{fired[0]} was created", "")


def _hang(call: _Call):
    return call.hung and (HANG, "still running at the time limit", "")


def _crash(call: _Call, interrupted: bool):
    if call.untraceable:
        return CRASH, call.untraceable, ""
    if call.escaped is not None:
        error = call.escaped
        return CRASH, f"{type(error).__name__}: {_short(str(error))}", _product_frame(error)
    if "Traceback" in call.stderr:
        return CRASH, "traceback on stderr", _where_in_text(call.stderr)
    if not isinstance(call.rc, int) or isinstance(call.rc, bool):
        return CRASH, f"exit status {call.rc!r} is not a number", ""
    lines = _lines(call.stderr)
    if call.rc == 2 and len(lines) > 1:
        return CRASH, f"exit 2 with {len(lines)} lines on stderr", ""
    if call.rc not in (0, 1, 2) and not (interrupted and call.rc in (130, 143)):
        return CRASH, f"exit {call.rc}", ""
    return None


def _partial(call: _Call, before: dict, after: dict, reference):
    for path in after.keys() - before.keys():
        if os.path.basename(path).startswith(".") and "__pycache__" not in path:
            return PARTIAL, f"temporary {path} left behind", ""
    if call.rc == 0:
        return None
    finished = reference.outputs if reference else {}
    for path, content in after.items():
        if "__pycache__" in path or not isinstance(content, bytes):
            continue
        if before.get(path) != content and finished.get(path) != content:
            return PARTIAL, f"{path} written by a command that ended with exit {call.rc}", ""
    return None


def _answer(call: _Call, interrupted: bool) -> tuple[str, str]:
    lines = _lines(call.stderr)
    if call.rc == 0 or (call.rc == 1 and (call.stdout or call.stderr)):
        return OK, ""
    if call.rc == 2 and len(lines) == 1 and _ERROR_LINE.match(lines[0]):
        return CLEAN, lines[0]
    if interrupted and len(lines) == 1 and lines[0].startswith("symbackprop: "):
        return CLEAN, lines[0]
    return CRASH, f"exit {call.rc} with stderr {call.stderr[:200]!r}"


def _lines(text: str) -> list[str]:
    """Lines as a shell, an editor or ``for line in stream`` sees them: ended by ``\\n``,
    ``\\r\\n`` or ``\\r`` (not by the rarer breaks ``str.splitlines`` also knows)."""
    return re.split(r"\r\n|\r|\n", text.removesuffix("\n")) if text else []


def _import_check(result: Result, module: Path, limit: float) -> Result:
    """Import the generated module in a fresh process in its folder: it must import, and
    importing must run nothing of the user's."""
    if not module.is_file():
        return result
    code, last = _importer().run(module, limit)
    if (module.parent / CANARY).exists():
        return replace(result, outcome=CANARY_FIRED, detail="importing the module ran a payload")
    if code == -signal.SIGALRM:
        return replace(result, outcome=HANG, detail="importing the generated module hangs")
    if code != 0:
        return replace(result, outcome=CRASH, detail=f"generated module fails to import: {last}")
    return result


# A process that has imported numpy (all a generated module may import) forks one child per
# module to import: a clean interpreter each time, without paying for its start.
_IMPORTER = r"""
import ast, importlib.util, os, signal, sys, traceback
import numpy
for line in sys.stdin:
    path, limit = ast.literal_eval(line)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.chdir(os.path.dirname(path))
        signal.alarm(limit)
        try:
            spec = importlib.util.spec_from_file_location("fuzzed", path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        said = stream.read().decode("utf-8", "replace").strip().splitlines()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(ascii((code, said[-1] if said else "")), flush=True)
"""


class _Importer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _IMPORTER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, module: Path, limit: float) -> tuple[int, str]:
        self.process.stdin.write(ascii((str(module), max(1, int(limit)))) + "\n")
        self.process.stdin.flush()
        return ast.literal_eval(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


@functools.cache
def _importer() -> _Importer:
    importer = _Importer()
    atexit.register(importer.close)
    return importer


def _product_frame(error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "symbackprop" in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f"{frame.filename[frame.filename.rindex('symbackprop') :]}:{frame.lineno}"


def _where_in_text(stderr: str) -> str:
    found = re.findall(r'File "[^"]*?(symbackprop/[^"]+)", line (\d+)', stderr)
    return f"{found[-1][0]}:{found[-1][1]}" if found else ""


def _short(value: object, limit: int = 120) -> str:
    return _clip(ascii(value)[1:-1] if isinstance(value, str) else repr(value), limit)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"
