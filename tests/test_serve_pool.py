"""The worker pool behind ``symbackprop serve``: each job in a process of its own, stopped at
the time limit, refused memory past the memory limit, and "busy" once workers and queue are
full; the jobs here are builtins, so that they pickle into the worker as they are."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest

from symbackprop.readers.sources import load_model
from symbackprop.serve.pool import WorkerPool
from symbackprop.serve.refusals import BadRequest, Busy, OverMemoryLimit, TimedOut
from symbackprop.serve.settings import ServeSettings


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(ServeSettings(workers=2, queue=1, time_limit_s=1.0, memory_limit_mb=64))
    pool.start()
    yield pool
    pool.close()


def run(pool: WorkerPool, job, request):
    return asyncio.run(pool.run(job, request))


def test_a_job_answers_from_another_process(pool):
    assert run(pool, abs, -3) == 3
    assert run(pool, os.getpgid, 0) != os.getpgid(0)  # in a process group of its own


def test_a_job_past_the_time_limit_is_stopped(pool):
    started = time.perf_counter()
    with pytest.raises(TimedOut, match="time limit"):
        run(pool, time.sleep, 60)
    assert time.perf_counter() - started < 10
    assert pool.running == 0  # killed and reaped, not left behind


def test_what_a_stopped_job_started_is_stopped_with_it(pool):
    sleeper = ["sleep", "61.25"]  # a duration no other process here sleeps
    with pytest.raises(TimedOut):
        run(pool, subprocess.run, sleeper)
    time.sleep(0.2)
    running = [p.read_bytes() for p in Path("/proc").glob("[0-9]*/cmdline") if _readable(p)]
    assert "\0".join(sleeper).encode() + b"\0" not in running


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True


def test_a_job_past_the_memory_limit_gets_a_clear_refusal(pool):
    with pytest.raises(OverMemoryLimit, match="more memory than a request may take"):
        run(pool, bytearray, 512 * 2**20)
    assert run(pool, bytearray, 2**20) == bytearray(2**20)  # within the limit


def test_bad_input_in_a_job_is_one_line(pool):
    with pytest.raises(BadRequest, match="no-such-model"):
        run(pool, load_model, "no-such-model")


def test_beyond_the_workers_and_the_queue_the_answer_is_busy():
    pool = WorkerPool(ServeSettings(workers=2, queue=1, time_limit_s=5.0))
    pool.start()

    async def five_at_once():
        jobs = [pool.run(time.sleep, 0.5) for _ in range(5)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        outcomes = asyncio.run(five_at_once())
    finally:
        pool.close()
    busy = [o for o in outcomes if isinstance(o, Busy)]
    assert len(busy) == 2  # two running, one waiting, two refused
    assert outcomes.count(None) == 3
    assert "busy" in busy[0].message and busy[0].status == 503
