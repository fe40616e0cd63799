"""Typeset formulas with the vendored KaTeX under Node.js, to prove that every one renders.

Used by the tests and by :func:`symbackprop.questions.explained.write_examples`; it needs ``node``
on the PATH and nothing else (KaTeX itself is vendored in ``assets/``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

from symbackprop.explain.paths import katex_js

NODE_TIMEOUT_S = 120

# Reads a JSON list of formulas on stdin; prints a JSON list of [index, message] for failures.
_SCRIPT = """
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const failures = [];
  JSON.parse(input).forEach((formula, index) => {
    try {
      katex.renderToString(formula, {displayMode: true, throwOnError: true, strict: "error"});
    } catch (error) {
      failures.push([index, String(error.message)]);
    }
  });
  process.stdout.write(JSON.stringify(failures));
});
"""


@dataclass(frozen=True)
class KatexError:
    formula: str
    message: str


def node() -> str | None:
    """The Node.js executable, or None."""
    return shutil.which("node") or shutil.which("nodejs")


def katex_errors(formulas: list[str]) -> list[KatexError]:
    """The formulas KaTeX refuses (``throwOnError``), each with KaTeX's message."""
    executable = node()
    if executable is None:
        raise FileNotFoundError("node is not installed")
    result = subprocess.run(
        [executable, "-e", _SCRIPT, str(katex_js())],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=True,
    )
    return [KatexError(formulas[i], message) for i, message in json.loads(result.stdout)]
