"""Whom to blame: the role assignment under which the fewest lines are wrong.

A delta may have several candidate roles (what its consumers need it to be, what its name
says, what its values are). Each assignment gives every judged line a standing:

- correct: right given what it reads, and what it reads is right;
- wrong: not what its role says, given what it reads (the line holds a mistake);
- follows: right given what it reads, but it reads a wrong value, so its own value is wrong.

The assignment chosen makes the fewest lines wrong, then uses the fewest scaled roles, then
makes the fewest lines follow, then blames the latest lines: an alias
``dz1 = dh`` of a correct ``dh`` is then the wrong line, not ``dh``, and a missing ``1/m`` is
blamed once, where it belongs, not in every gradient downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from math import prod

MAX_ASSIGNMENTS = 256  # beyond this, candidates are improved one delta at a time


@dataclass(frozen=True)
class Judged:
    """One line under one assignment: right given its reads (``local_ok``), right in fact
    (``sound``), and the judged lines it reads."""

    key: Hashable
    line: int
    name: str
    local_ok: bool
    sound: bool
    reads: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class Standing:
    status: str  # "correct", "wrong" or "follows"
    follows: int | None = None  # the first wrong line it reads, directly or not
    via: str | None = None  # the name it reads that carries the mistake
    via_line: int | None = None  # where that name is computed


CORRECT = Standing("correct")
WRONG = Standing("wrong")


def standings(lines: Sequence[Judged]) -> dict[Hashable, Standing]:
    """Each line's standing, in program order."""
    found: dict[Hashable, Standing] = {}
    by_key = {j.key: j for j in lines}
    for judged in sorted(lines, key=lambda j: j.line):
        if not judged.local_ok:
            found[judged.key] = WRONG
        elif judged.sound:
            found[judged.key] = CORRECT
        else:
            found[judged.key] = _following(judged, by_key, found)
    return found


def _following(judged: Judged, by_key: Mapping, found: Mapping) -> Standing:
    """Which wrong line a right-but-wrongly-valued line follows; WRONG when none explains it
    (the mistake is then its own, hidden in values no role names)."""
    blamed = []
    for key in judged.reads:
        standing = found.get(key)
        if standing is None or standing.status == "correct":
            continue
        read = by_key[key]
        line = read.line if standing.status == "wrong" else standing.follows
        blamed.append((line, read.line, read.name))
    if not blamed:
        return WRONG
    line, via_line, via = min(blamed)
    return Standing("follows", line, via, via_line)


def cost(lines: Sequence[Judged], scaled: int = 0) -> tuple:
    """Wrong lines, then roles with a scale (a convention the code must compensate, taken only
    where it saves a wrong line), then lines following a wrong one; last, blame as late as
    possible: where ``dh`` is right as far as its inputs go and ``dz1 = dh`` copies it, an
    upstream mistake makes both values wrong, and the line that breaks the chain is dz1's."""
    found = standings(lines)
    wrong = sorted(j.line for j in lines if found[j.key].status == "wrong")
    follows = sum(s.status == "follows" for s in found.values())
    return len(wrong), scaled, follows, tuple(-line for line in wrong)


def choose(
    candidates: Mapping[Hashable, Sequence],
    judge: Callable[[dict], Sequence[Judged]],
    is_scaled: Callable[[object], bool],
) -> dict:
    """The assignment (one candidate per key) with the least blame; ties go to earlier
    candidates, so that when every reading is right the first found stands."""

    def blame(roles: dict) -> tuple:
        return cost(judge(roles), sum(map(is_scaled, roles.values())))

    keys = list(candidates)
    if prod(len(candidates[k]) for k in keys) <= MAX_ASSIGNMENTS:
        options = (dict(zip(keys, pick, strict=True)) for pick in product(*candidates.values()))
        return min(options, key=blame)
    return _descend(candidates, blame)


def _descend(candidates: Mapping[Hashable, Sequence], blame) -> dict:
    """Coordinate descent from the first candidates: change one key at a time while it helps."""
    roles = {k: options[0] for k, options in candidates.items()}
    best = blame(roles)
    improved = True
    while improved:
        improved = False
        for key, options in candidates.items():
            for option in options:
                trial = {**roles, key: option}
                here = blame(trial)
                if here < best:
                    roles, best, improved = trial, here, True
    return roles
