"""One training step of the built-in cnn-digits, generated NumPy against PyTorch eager on CPU.

The same network (3x3 convolution with padding 1, ReLU, 2x2 max pooling, flatten, dense
softmax layer, mean cross-entropy), the same weights and the same batches of 8x8 images:

- generated ``train_step``: the module's fused forward, backward and SGD update;
- generated ``forward`` + ``backward``: the two functions a hand-written loop would call;
- torch eager: ``F.conv2d``, ``F.max_pool2d``, ``F.cross_entropy``, ``loss.backward()`` and
  the SGD update under ``torch.no_grad()``.

The machine may be shared: each side runs on one thread (``torch.set_num_threads(1)``, one
OpenMP and OpenBLAS thread, set before NumPy and PyTorch load), the steps are timed in turn,
round after round, and the median of the rounds is printed.

Run: ``python benchmarks/cnn_step.py [--rounds N]`` (needs the ``oracle`` extra: PyTorch).
"""

from __future__ import annotations

import os

# One BLAS thread unless the caller sets it: set before NumPy and PyTorch load their BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from symbackprop.codegen.loader import load_module  # noqa: E402
from symbackprop.readers.examples import builtin  # noqa: E402

F = torch.nn.functional
LR = 0.01
BATCHES = (32, 256)
DTYPES = ((np.float64, torch.float64), (np.float32, torch.float32))


def generated_step(module, params, X, Y):
    work: dict = {}
    return lambda: module.train_step(params, X, Y, LR, work)


def generated_forward_backward(module, params, X, Y):
    return lambda: module.backward(params, module.forward(params, X, Y))


def torch_step(params: dict, X, labels):
    def step():
        z1 = F.conv2d(X, params["W1"], params["b1"], padding=1)
        f1 = torch.flatten(F.max_pool2d(torch.relu(z1), 2), 1)
        loss = F.cross_entropy(f1 @ params["W2"] + params["b2"], labels)
        loss.backward()
        with torch.no_grad():
            for value in params.values():
                value -= LR * value.grad
                value.grad = None

    return step


def median_seconds(steps: dict, rounds: int) -> dict:
    """Median time per call of each step, the steps timed in turn in every round."""
    for step in steps.values():
        step()  # warm up: first calls allocate
    times: dict = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            times[name].append(min(timeit.repeat(step, number=5, repeat=3)) / 5)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(np_dtype, torch_dtype, batch: int, rounds: int) -> dict:
    module = load_module(builtin("cnn-digits"))
    params = {k: v.astype(np_dtype) for k, v in module.init_params(0, "he").items()}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, 1, 8, 8)).astype(np_dtype)
    labels = rng.integers(0, 10, size=batch)
    leaves = {k: torch.tensor(v, dtype=torch_dtype, requires_grad=True) for k, v in params.items()}
    steps = {
        "train_step": generated_step(module, {k: v.copy() for k, v in params.items()}, X, labels),
        "forward+backward": generated_forward_backward(module, params, X, labels),
        "torch": torch_step(leaves, torch.from_numpy(X), torch.from_numpy(labels)),
    }
    return median_seconds(steps, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"cnn-digits training step; torch {torch.__version__}, numpy {np.__version__}, 1 thread")
    columns = ["dtype", "batch", "train_step ms", "forward+backward ms", "torch eager ms"]
    columns += ["train_step / torch"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for np_dtype, torch_dtype in DTYPES:
        for batch in BATCHES:
            t = measure(np_dtype, torch_dtype, batch, args.rounds)
            ours, both, theirs = t["train_step"], t["forward+backward"], t["torch"]
            print(
                f"| {np.dtype(np_dtype).name} | {batch} | {ours * 1e3:.2f} | {both * 1e3:.2f} | "
                f"{theirs * 1e3:.2f} | {ours / theirs:.2f} |"
            )


if __name__ == "__main__":
    main()
