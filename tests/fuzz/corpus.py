"""The payload corpus as cases: each payload put everywhere user text goes.

One bundle per payload: a spec's name (network and recurrent, generated and imported), the
file name of a spec or a ``.py`` model and of the module written from it (generated and
imported), a spec's activation, loss and convention, a ``check`` formula and alias, the MODEL
argument, a CSV header and cell, and a ``--param``.
"""

from __future__ import annotations

from fuzz.channels import PY_MODEL, RECURRENT, toml_document
from fuzz.harness import Case
from fuzz.payloads import PAYLOADS


def file_stem(payload: str) -> str:
    """The payload as a file name: no ``/`` or NUL, short enough for a suffix to fit."""
    stem = payload.replace("/", "_").replace("\x00", "_")
    while len(stem.encode("utf-8", "surrogatepass")) > 200:
        stem = stem[: len(stem) // 2]
    return stem if stem not in ("", ".", "..") else f"_{stem}"


def bundle(key: str) -> list[Case]:
    payload = PAYLOADS[key]
    stem = file_stem(payload)
    channel = f"corpus {key}"
    network = toml_document("network", {"name": payload, "sizes": [2, 1]})
    recurrent = toml_document("recurrent", {**RECURRENT, "name": payload})
    by_file = (
        (f"{stem}.toml", "[network]\nsizes = [2, 1]\n")
        if len(key) % 2
        else (f"{stem}.py", PY_MODEL)
    )
    model = by_file[0] + (":forward" if by_file[0].endswith(".py") else "")
    return [
        Case(channel, ("generate", "net.toml", "-o", "out.py"), (("net.toml", network),), "out.py"),
        Case(channel, ("generate", "cell.toml", "-o", "o.py"), (("cell.toml", recurrent),), "o.py"),
        Case(channel, ("generate", model, "-o", f"{stem}.py"), (by_file,), f"{stem}.py"),
        *(
            Case(channel, ("derive", "net.toml"), (("net.toml", toml_document(table, keys)),))
            for table, keys in [
                ("network", {"sizes": [2, 1], "activation": payload}),
                ("network", {"sizes": [2, 1], "loss": payload}),
                ("recurrent", {**RECURRENT, "convention": payload}),
            ]
        ),
        Case(channel, ("check", "torch-scalar", "--formula", f"g = {payload}", "--as", "g=w")),
        Case(channel, ("check", "torch-scalar", "--formula", "g = 2*(w*x - y)*x", "--as", payload)),
        Case(channel, ("derive", "--", payload)),
        Case(channel, ("derive", "xor", "--param", payload)),
        Case(
            channel,
            ("train", "net.toml", "--data", "d.csv", "--target", "t", "--epochs", "1"),
            (
                ("net.toml", "[network]\nsizes = [2, 1]\n"),
                ("d.csv", f"{stem},b,t\n0,{stem},1\n1,0,0\n"),
            ),
        ),
    ]


def corpus_cases() -> list[Case]:
    return [case for key in PAYLOADS for case in bundle(key)]
