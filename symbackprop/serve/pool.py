"""Workers: each request's work runs in a fresh process with a time and a memory limit.

A process per request costs about 10 ms: processes are forked from a server process that has
already imported SymPy and the verbs (multiprocessing's ``forkserver``), so that nothing one
request leaves behind (memory, a cache, a stuck thread) reaches the next. The number running
at once is the number of workers; a bounded number more wait for one, and beyond them the
answer is :class:`~symbackprop.serve.refusals.Busy` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from symbackprop.errors import SymbackpropError
from symbackprop.serve.refusals import BY_KIND, Busy, TimedOut, WorkFailed
from symbackprop.serve.settings import ServeSettings

log = logging.getLogger("symbackprop.serve")

Job = Callable[[Any], Any]

# Imported once by the fork server, so that every worker starts with them loaded.
PRELOADED = ["symbackprop.serve.jobs"]
# A worker computes in one thread: the pool is where requests run in parallel, and a BLAS
# that starts a thread a core would also reserve their buffers inside every worker's limit.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
EXIT_GRACE_S = 2.0  # a worker that has answered gets this long to exit before it is killed
# A worker ends itself this long after its time limit, should the server be gone (killed
# without its cleanup) and not there to stop it.
SELF_STOP_GRACE_S = 5


class ChildLimits(NamedTuple):
    seconds: float
    memory_bytes: int


class WorkerPool:
    """Runs ``job(request)`` in a process of its own; ``await pool.run(job, request)``."""

    def __init__(self, settings: ServeSettings):
        self.settings = settings
        self._context = multiprocessing.get_context("forkserver")
        self._threads = ThreadPoolExecutor(settings.worker_count, "symbackprop-worker")
        self._slots = asyncio.Semaphore(settings.worker_count)
        self._admitted = 0  # running or waiting; touched only on the event loop's thread
        self._running: set[multiprocessing.process.BaseProcess] = set()
        self._lock = threading.Lock()
        self.started = False

    @property
    def capacity(self) -> int:
        return self.settings.worker_count + self.settings.queue_length

    @property
    def running(self) -> int:
        """Worker processes alive now."""
        with self._lock:
            return len(self._running)

    def start(self) -> None:
        """Start the fork server and one worker, so that the first request waits for neither."""
        for name, value in ONE_THREAD.items():
            os.environ.setdefault(name, value)
        self._context.set_forkserver_preload(PRELOADED)
        self._run_in_process(abs, 0)
        self.started = True

    async def run(self, job: Job, request: Any) -> Any:
        """The job's answer, or a Refusal: Busy, TimedOut, BadRequest, OverMemoryLimit..."""
        if self._admitted >= self.capacity:
            raise Busy(
                f"the server is busy ({self.settings.worker_count} requests running, "
                f"{self.settings.queue_length} waiting): try again in a few seconds"
            )
        self._admitted += 1
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._threads, self._run_in_process, job, request)
        finally:
            self._admitted -= 1

    def close(self) -> None:
        """Stop every worker still running; their requests end as failed."""
        with self._lock:
            running = list(self._running)
        for process in running:
            _kill(process)
        self._threads.shutdown(wait=True, cancel_futures=True)

    def _run_in_process(self, job: Job, request: Any) -> Any:
        folder = tempfile.mkdtemp(prefix="symbackprop-serve-")
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=work_in_child,
            args=(job, request, folder, self._limits(), sender),
            daemon=True,  # and so stopped, should the server itself exit
        )
        try:
            self._start(process)
            sender.close()
            if not receiver.poll(self.settings.time_limit_s):
                _kill(process)
                raise TimedOut(
                    f"stopped after {self.settings.time_limit_s:g} s, the time limit of a "
                    "request: the input is too large or too deeply nested to work through"
                )
            kind, value = _answer(receiver)
        finally:
            self._stop(process)
            sender.close()  # again, should the worker not have started
            receiver.close()
            shutil.rmtree(folder, ignore_errors=True)
        if kind == "ok":
            return value
        raise BY_KIND[kind](value)

    def _limits(self) -> ChildLimits:
        return ChildLimits(self.settings.time_limit_s, self.settings.memory_limit_mb * 2**20)

    def _start(self, process: multiprocessing.process.BaseProcess) -> None:
        try:
            process.start()
        except OSError as error:  # out of processes or memory; a temporary folder's path too long
            raise WorkFailed(f"the server could not start a worker ({error})") from None
        with self._lock:
            self._running.add(process)

    def _stop(self, process: multiprocessing.process.BaseProcess) -> None:
        if process.pid is None:  # never started
            return
        process.join(EXIT_GRACE_S)
        if process.is_alive():
            _kill(process)
            process.join()
        with self._lock:
            self._running.discard(process)
        process.close()


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    """Kill the worker and whatever it started (pdflatex for a PDF): its process group."""
    with contextlib.suppress(OSError):  # not yet the leader of a group of its own, or gone
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()


def _answer(receiver: Connection) -> tuple[str, Any]:
    try:
        return receiver.recv()
    except EOFError:  # the process died: killed by the kernel, or by close()
        return "internal", "the work stopped without an answer (over the memory limit?)"


# -- inside the worker process -------------------------------------------------------------------
def work_in_child(
    job: Job, request: Any, folder: str, limits: ChildLimits, sender: Connection
) -> None:
    """Run ``job(request)`` in ``folder`` within the limits, and send back ``(kind, value)``:
    ``("ok", answer)``, or a refusal's kind and its one line."""
    os.setpgrp()  # a group of its own, so that what it starts is stopped with it
    signal.alarm(math.ceil(limits.seconds) + SELF_STOP_GRACE_S)  # SIGALRM ends the process
    _limit_memory(limits.memory_bytes)
    os.chdir(folder)  # files the job writes, and the names its messages print, are in here
    tempfile.tempdir = folder  # and the temporary files of what it calls
    try:
        outcome = ("ok", job(request))
    except SymbackpropError as error:
        outcome = ("bad input", error.located())
    except RecursionError:  # a last guard: the readers name the line where they can
        outcome = ("bad input", "input nested too deeply")
    except MemoryError:
        outcome = ("memory limit", "the input needs more memory than a request may take")
    except Exception as error:  # a bug of ours: its type for the log, never the user's text
        log.error("worker failed: %s", type(error).__name__)
        outcome = ("internal", f"internal error ({type(error).__name__}); the server goes on")
    sender.send(outcome)
    sender.close()


def _limit_memory(memory_bytes: int) -> None:
    """Cap the address space at what the worker holds now plus ``memory_bytes``: past it an
    allocation fails with MemoryError instead of slowing the host. Where the system says
    neither (no /proc) nor enforces it, the time limit is the one that holds."""
    held = _address_space()
    if held is None:
        return
    limit = held + memory_bytes
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return None
