"""The one-line rule for bad input, as the tests check it."""

from __future__ import annotations

from symbackprop.cli import main


def refused(capsys, argv: list[str], where: str, *words: str) -> str:
    """Run the CLI on bad input; the one line it prints must start with ``where``."""
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"symbackprop: error: {where}"), lines[0]
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]
