"""``symbackprop serve`` under load on localhost: 200 requests from 20 clients at once,
mixing valid code (a wrong ReLU backward, a correct affine pair, an explanation), bombs
(a formula bomb, a deeply nested expression) and garbage (not Python, not JSON, hostile text).

Prints the answers by kind, p50/p95 latency of each, the server's memory before and after,
and whether any worker outlived the server. tests/test_serve_load.py asserts the behaviour.

Run: ``python benchmarks/serve_load.py [REQUESTS] [CLIENTS] [WORKERS]`` (about 20 s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from serve_helpers import (  # noqa: E402
    alive,
    descendants,
    load_mix,
    percentile,
    resident_kib,
    running_server,
    send_load,
    stop,
)


def main(requests: int = 200, clients: int = 20, workers: int = 2) -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = ("--workers", str(workers))
        with running_server(Path(folder), *options) as server:
            pid = server.process.pid
            helpers = descendants(pid)
            before = resident_kib(pid)
            alone = send_load(server, 3 * len(load_mix()), 1)  # one at a time, for comparison
            started = time.perf_counter()
            answers = send_load(server, requests, clients)
            elapsed = time.perf_counter() - started
            time.sleep(0.5)
            after = resident_kib(pid)
            busy_workers = alive(descendants(pid)) - alive(helpers)
            stop(server.process)
        time.sleep(1)
        left = alive(helpers)
    print(f"{requests} requests from {clients} clients, {workers} workers: {elapsed:.1f} s")
    statuses = Counter(a.status for a in answers)
    print("answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print("| request | status | kind | count | p50 s | p95 s |")
    print("|---|---|---|---|---|---|")
    groups = defaultdict(list)
    for answer in answers:
        groups[answer.label, answer.status, answer.kind].append(answer.seconds)
    for (label, status, kind), seconds in sorted(groups.items()):
        p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
        print(f"| {label} | {status} | {kind} | {len(seconds)} | {p50:.3f} | {p95:.3f} |")
    print(f"one at a time: p50 {percentile([a.seconds for a in alone], 0.5):.3f} s")
    everything = [a.seconds for a in answers]
    served = [a.seconds for a in answers if a.status != 503]
    print(f"all: p50 {percentile(everything, 0.5):.3f} s, p95 {percentile(everything, 0.95):.3f} s")
    print(f"not busy: p50 {percentile(served, 0.5):.3f} s, p95 {percentile(served, 0.95):.3f} s")
    print(f"server memory: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after")
    print(
        f"workers alive when idle: {len(busy_workers)}; processes left after shutdown: {len(left)}"
    )


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:4]))
