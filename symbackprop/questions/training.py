"""``docs/examples/q5_training.md`` and ``q6_training.md``: why the networks of questions 5 and
6 do not learn, answered by training them, with plots made here.

Every number in the documents comes from a seeded run, so regenerating gives the same files:
``python -m symbackprop.questions.training docs/examples`` (``--check`` lists stale files and
exits 1).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symbackprop.files import write_whole
from symbackprop.questions.writer_cli import run_writer
from symbackprop.train.plot import plot_training
from symbackprop.train.result import TrainResult
from symbackprop.train.runner import train

Q5_ASKED = dict(init="positive", lr=1.0, batch_size=1, epochs=100)
Q5_FIXED = dict(Q5_ASKED, init="glorot", standardize=True)
Q6_ASKED = dict(init="positive", lr=1.0, epochs=1000, batch_size=None)  # full batch, as asked
Q6_FIXED = dict(init="glorot", standardize=True, optimizer="adam", lr=0.01, epochs=100)


@dataclass(frozen=True)
class Run:
    """One training run of a document, and the PNG its plot goes to."""

    model: str
    data: str
    options: dict
    png: str
    title: str

    def train(self) -> TrainResult:
        return train(self.model, self.data, **self.options)

    def command(self) -> str:
        flags = [_flag(key, value) for key, value in self.options.items()]
        flags.append(f"--plot {self.png}")
        return f"symbackprop train {self.model} --data {self.data} {' '.join(flags)}"


def _flag(key: str, value) -> str:
    flag = "--" + key.replace("_", "-")
    if value is True:
        return flag
    if value is None:  # the batch size of full-batch descent
        return f"{flag} all"
    return f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}"


Q5_RUNS = (
    Run("tiny221", "sizes", Q5_ASKED, "q5_as_asked.png", "question 5 as asked"),
    Run("tiny221", "sizes", Q5_FIXED, "q5_standardized.png", "standardised, Glorot"),
    Run("tiny221", "sizes-nonlinear", Q5_FIXED, "q5_nonlinear.png", "non-linear data, same fix"),
)
Q6_RUNS = (
    Run("digits", "digits", Q6_ASKED, "q6_as_asked.png", "question 6 as asked"),
    Run("digits", "digits-binary", Q6_ASKED, "q6_binary_pixels.png", "binarised pixels, as asked"),
    Run("digits-softmax", "digits", Q6_FIXED, "q6_softmax.png", "standardised, Glorot, softmax"),
)


# -- the documents ---------------------------------------------------------------------------
def q5_markdown(asked: TrainResult, fixed: TrainResult, nonlinear: TrainResult) -> str:
    saturated, vanishing = _value(asked, "saturated"), _value(asked, "vanishing-gradients")
    lead = [
        "# Question 5: why the 2-2-1 net does not learn",
        "",
        "**The formulas `e1`..`e6`, `be1`..`be3` are right ([the derivation](q5_tiny221.md)); "
        "the training set-up is not.** Heights and widths from 0 to 100 go into the sigmoids "
        "unscaled, every weight and bias starts in (0, 1) (`random.random()`), and the "
        f"learning rate is 1. Then {saturated:.0%} of the hidden pre-activations "
        "`h1`, `h2` lie beyond ±5, where the sigmoid's slope is under 3% of its peak; the "
        f"gradient reaching the first layer is {_times(vanishing)} that of the output "
        f"layer, and {_identical_words(asked)}: {_accuracy(asked)}.",
        "",
        "**The fix: standardise the inputs and start from small weights of both signs.** The "
        "same net, with the same learning rate 1 and the same per-sample updates, then reaches "
        f"{_accuracy(fixed)} on the linear data (big when height + width > 100) and "
        f"{_accuracy(nonlinear)} on the non-linear data (big when height × width > 2500).",
    ]
    sections = [
        _section(run, result)
        for run, result in zip(Q5_RUNS, (asked, fixed, nonlinear), strict=True)
    ]
    return _document(lead, sections)


def q6_markdown(asked: TrainResult, binary: TrainResult, fixed: TrainResult) -> str:
    saturated, vanishing = _value(asked, "saturated"), _value(asked, "vanishing-gradients")
    spread = _value(asked, "identical-predictions")
    lead = [
        "# Question 6: why the digits classifier predicts the same class for every image",
        "",
        "**Every weight starts positive (`random.rand` gives 0 to 1) and the pixels are "
        "unscaled (0 to 16), so every hidden pre-activation is a large sum of 64 non-negative "
        f"terms and a positive bias.** {saturated:.0%} of them lie beyond ±5: every hidden "
        "sigmoid outputs nearly 1 for every image, and the gradient that reaches the first "
        f"layer is {_times(vanishing)} that of the output layer. The output layer sees the "
        "same hidden vector for every image, so the best it can learn is how often each class "
        f"occurs: its outputs differ across images by at most {spread:.2g}, "
        f"{_identical_words(asked)}, {_accuracy(asked)}. The asker's binarised 0/1 pixels fail "
        f"the same way: {_identical_words(binary)}, {_accuracy(binary)}.",
        "",
        "**The fix: standardise the pixels, start from Glorot weights, and give the classes a "
        "softmax output with cross-entropy.** A 64-32-10 network (tanh hidden units) then "
        f"reaches {_accuracy(fixed)} in {fixed.summary.epochs} epochs.",
    ]
    sections = [
        _section(run, result) for run, result in zip(Q6_RUNS, (asked, binary, fixed), strict=True)
    ]
    return _document(lead, sections)


def _document(lead: list[str], sections: list[list[str]]) -> str:
    footer = ["Regenerate with `python -m symbackprop.questions.training docs/examples`."]
    return (
        "\n".join(lead + [line for section in sections for line in section] + ["", *footer]) + "\n"
    )


def _section(run: Run, result: TrainResult) -> list[str]:
    lines = ["", f"## {run.title[0].upper()}{run.title[1:]}", "", "```", f"$ {run.command()}"]
    lines += [result.summary.to_text(timing=False), "```", ""]
    if result.findings:
        lines += [f"- **{f.title}**: {f.message}. *Fix:* {f.fix}." for f in result.findings]
    else:
        lines.append("No problems found.")
    return lines + ["", f"![{run.title}]({run.png})"]


def _value(result: TrainResult, code: str) -> float:
    for finding in result.findings:
        if finding.code == code:
            return finding.value
    raise AssertionError(f"the documented run no longer finds {code!r}")


def _identical_words(result: TrainResult) -> str:
    """``every sample is classed 'small'``, read off the identical-predictions finding."""
    for finding in result.findings:
        if finding.code == "identical-predictions" and "class " in finding.message:
            label = finding.message.split("class ", 1)[1].split(" ", 1)[0]
            return f"every sample is classed {label}"
    raise AssertionError("the documented run no longer predicts one class for every sample")


def _times(ratio: float) -> str:
    return "0 times" if ratio == 0 else f"{ratio:.1e} times"


def _accuracy(result: TrainResult) -> str:
    summary = result.summary
    return f"{summary.test_accuracy:.1%} test accuracy ({summary.train_accuracy:.1%} on training)"


# -- writing -----------------------------------------------------------------------------------
DOCUMENTS: dict[str, tuple[tuple[Run, ...], Callable[..., str]]] = {
    "q5_training.md": (Q5_RUNS, q5_markdown),
    "q6_training.md": (Q6_RUNS, q6_markdown),
}


def regenerate(directory: Path, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) the documents and their plots; returns the files
    that differed from what is generated now."""
    stale = []
    for name, (runs, markdown) in DOCUMENTS.items():
        results = [run.train() for run in runs]
        for run, result in zip(runs, results, strict=True):
            stale += _refresh(
                directory / run.png, lambda p, r=result, t=run.title: plot_training(r, p, t), check
            )
        text = markdown(*results).encode()
        stale += _refresh(directory / name, lambda p, t=text: p.write_bytes(t), check)
    return stale


def _refresh(path: Path, write: Callable[[Path], object], check: bool) -> list[Path]:
    """Render into a temporary file; replace ``path`` with it only when it differs."""
    fresh = path.with_name(f".{path.stem}.fresh{path.suffix}")
    try:
        write(fresh)
        if path.exists() and path.read_bytes() == fresh.read_bytes():
            return []
        if not check:
            write_whole(path, lambda temporary: temporary.write_bytes(fresh.read_bytes()))
        return [path]
    finally:
        fresh.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m symbackprop.questions.training FOLDER [--check]``."""
    return run_writer("symbackprop.questions.training", regenerate, argv)


if __name__ == "__main__":
    sys.exit(main())
