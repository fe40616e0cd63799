"""Fuzz the command line over a larger budget than tests/test_fuzz.py and print a Markdown
table: inputs tried per channel and what became of them, then every failing input grouped by
cause (outcome, the product file it points at, the message).

Run: ``python benchmarks/fuzz_table.py [--examples N] [--channel NAME ...] [--seed S]``.
The same harness and channels as the tests (tests/fuzz/); the corpus runs first, once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz.channels import CHANNELS, run_channel  # noqa: E402
from fuzz.corpus import corpus_cases  # noqa: E402
from fuzz.harness import FAULTS, OUTCOMES, Result, run_case  # noqa: E402


def table(rows: dict[str, list[Result]]) -> str:
    columns = [o for o in OUTCOMES]
    lines = [
        "| channel | inputs | " + " | ".join(columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    totals: Counter = Counter()
    for channel, results in rows.items():
        counts = Counter(r.outcome for r in results)
        totals.update(counts)
        totals["inputs"] += len(results)
        cells = " | ".join(str(counts[c]) for c in columns)
        lines.append(f"| {channel} | {len(results)} | {cells} |")
    cells = " | ".join(f"**{totals[c]}**" for c in columns)
    lines.append(f"| **all** | **{totals['inputs']}** | {cells} |")
    return "\n".join(lines)


def failures(rows: dict[str, list[Result]]) -> str:
    """Failing inputs grouped by cause; each group shows up to three of its inputs."""
    groups: dict[tuple, list[Result]] = defaultdict(list)
    for results in rows.values():
        for result in results:
            if result.outcome in FAULTS:
                cause = result.detail.split(":")[0] if result.outcome == "crash" else result.detail
                verb = result.case.argv[0] if result.case.argv else ""
                groups[(result.outcome, result.where, f"{verb}: {cause[:100]}")].append(result)
    out = []
    for (outcome, where, cause), members in sorted(groups.items(), key=lambda g: -len(g[1])):
        channels = sorted({m.case.channel for m in members})
        out.append(
            f"\n### {outcome} at {where or '?'}: {cause} ({len(members)} inputs; {channels})"
        )
        out += [f"- {m}" for m in members[:3]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="drawn inputs per channel")
    parser.add_argument("--channel", action="append", choices=sorted(CHANNELS))
    parser.add_argument("--seed", type=int, help="a random seed (default: derandomized)")
    parser.add_argument(
        "--without-fails-today",
        action="store_true",
        help="leave out the inputs known to fail today, as tests/test_fuzz.py does",
    )
    args = parser.parse_args()
    rows: dict[str, list[Result]] = {}
    started = time.perf_counter()
    if not args.channel:
        rows["corpus"] = [run_case(case) for case in corpus_cases()]
    for name in args.channel or CHANNELS:
        began = time.perf_counter()
        rows[name] = run_channel(name, args.examples, args.seed, not args.without_fails_today)
        print(f"{name}: {len(rows[name])} inputs in {time.perf_counter() - began:.0f} s",
              file=sys.stderr)  # fmt: skip
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    print(failures(rows))


if __name__ == "__main__":
    main()
